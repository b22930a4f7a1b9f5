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
Result simulate(const model::Scenario& scenario, Observer* observer = nullptr);

}  // namespace tcpsim::core
