// The wait-for cycle of a deadlock, in words: who waits for which queue, and who
// would have to act to free it.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"

namespace tcpsim::core {

struct CycleFacts {
    std::array<bool, 2> write_shut{};   // endpoint e has shut down its write side (FIN queued)
    std::array<bool, 2> window_zero{};  // endpoint e's RecvQ offers a zero window
    bool writer_wakes_at_third = false; // a blocked writer wakes only once a third of its SendQ is free
};

std::vector<std::string> describe_cycle(const model::Scenario& scenario, const Result& result,
                                        const CycleFacts& facts);

}  // namespace tcpsim::core
