// `tcpsim threshold`: the smallest value of one parameter at which a scenario deadlocks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/sweep.hpp"

namespace tcpsim::analysis {

struct Interval {
    int64_t from = 0;  // inclusive
    int64_t to = 0;    // inclusive
    bool deadlock = false;
};

struct ThresholdReport {
    int64_t lo = 0, hi = 0;
    int samples = 0;
    bool monotone = true;             // over the sampled values, refined at every change
    std::vector<Interval> intervals;  // the outcome over [lo, hi], exact at each change
    std::optional<int64_t> threshold; // smallest deadlocking value, when monotone and one exists
    std::optional<SweepRow> below, above;
    std::optional<int64_t> rule_threshold;  // the same search on the closed-form rule
    bool rule_applies = false;
};

// `sweep` has exactly one axis; its values are ignored, lo..hi are searched instead.
ThresholdReport find_threshold(const Sweep& sweep, int64_t lo, int64_t hi, int samples);

}  // namespace tcpsim::analysis
