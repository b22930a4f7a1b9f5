// Shared by the fuzz targets: a loaded scenario run under a small bound and rendered the way
// `tcpsim run` renders it, text and JSON, so the views see whatever the loader lets through.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/engine.hpp"
#include "scenario/load.hpp"
#include "scenario/profile_file.hpp"
#include "views/report.hpp"

namespace tcpsim::fuzz {

// Small enough that one input takes milliseconds; large enough to reach deadlocks and limits.
inline constexpr int64_t kMaxFuzzEvents = 20'000;
inline constexpr int64_t kMaxFuzzTimeNs = int64_t{60} * 1'000'000'000;

// The text report, then the JSON one as `run --format json` prints it.
inline std::string reports_of(const model::Scenario& scenario, const core::ProfileParams& params) {
    const core::Result result = core::simulate(scenario, params);
    return views::report_text(result) + views::report_json(result).dump(2);
}

inline void run_bounded(scenario::Loaded& loaded) {
    model::Limits& limits = loaded.scenario.limits;
    limits.events = std::min(limits.events, kMaxFuzzEvents);
    limits.time_ns = std::min(limits.time_ns, kMaxFuzzTimeNs);
    // A "profile" file named by the input is not read: the fuzzer must not wander the disk.
    const core::ProfileParams params =
        scenario::params_for(loaded.scenario.profile, "", scenario::profile_mss(loaded.scenario));
    const std::string reports = reports_of(loaded.scenario, params);
    // Deterministic: the same scenario gives byte-identical reports.
    if (reports_of(loaded.scenario, params) != reports) __builtin_trap();
}

}  // namespace tcpsim::fuzz
