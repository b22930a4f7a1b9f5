// The simulator: endpoints, the connections between them, their application threads.
// Pure function of its input: same scenario, same Result, same observer stream.
#pragma once

#include "core/model.hpp"
#include "core/observer.hpp"
#include "core/profile.hpp"
#include "core/result.hpp"

namespace tcpsim::core {

Result simulate(const model::Scenario& scenario, const ProfileParams& params, Observer* observer = nullptr,
                const ProgressFn& progress = {});
// As simulate, stopped at the simulated time `stop_ns` (`--at`, the lecture page's scrubber): a
// run still going then is `stopped`, with every thread and queue as it stands at that instant.
Result simulate_until(model::Scenario scenario, const ProfileParams& params, int64_t stop_ns, Observer* observer = nullptr,
                      const ProgressFn& progress = {});
// A textbook scenario needs no profile: the textbook rules are fixed. A linux scenario
// runs with a calibrated profile (scenario::params_for), so here it is a caller's error.
Result simulate_textbook(const model::Scenario& scenario, Observer* observer = nullptr);

}  // namespace tcpsim::core
