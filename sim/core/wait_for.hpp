// The wait-for graph of a deadlock, told in words: each blocked thread waits for a queue (space
// in its SendQ, data in its RecvQ), each queue waits for the endpoint at the other end of its
// connection to act, and one of that endpoint's blocked threads is the next hop, until the walk
// comes back to a thread it has passed (the cycle) or reaches an endpoint with no thread left.
#pragma once

#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"

namespace tcpsim::core {

// One endpoint's socket when the run ended.
struct SocketFacts {
    int peer = 0;              // the endpoint at the other end of its connection
    bool write_shut = false;   // it has shut down its write side (FIN queued)
    bool window_zero = false;  // its RecvQ offers a zero window
};

struct WaitForFacts {
    std::vector<SocketFacts> sockets;    // by endpoint index
    bool writer_wakes_at_third = false;  // a blocked writer wakes only once a third of its SendQ is free
};

std::vector<std::string> describe_cycle(const model::Scenario& scenario, const Result& result,
                                        const WaitForFacts& facts);

}  // namespace tcpsim::core
