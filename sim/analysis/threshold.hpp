// `tcpsim threshold`: the smallest value of one parameter at which a scenario deadlocks,
// and the closed-form rule compared with the simulation at every value run.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "analysis/sweep.hpp"

namespace tcpsim::analysis {

// Intervals of at most this many values are run whole, so every change in them is found.
inline constexpr int64_t kExhaustiveValues = 100'000;

struct Interval {
    int64_t from = 0;  // inclusive
    int64_t to = 0;    // inclusive
    bool deadlock = false;
};

// What the simulation and the rule said over a stretch of values.
struct Verdicts {
    bool deadlock = false;   // simulated
    int rule = -1;           // -1 the rule does not apply, 0 completed, 1 deadlock
    bool agrees = true;      // SweepRow::rule_agrees
    bool operator==(const Verdicts&) const = default;
};
struct Stretch {
    int64_t from = 0, to = 0;  // inclusive
    Verdicts verdicts;
};

struct ThresholdReport {
    int64_t lo = 0, hi = 0;
    bool exhaustive = false;  // every integer in [lo, hi] ran; else `samples` evenly spaced values did
    int64_t samples = 0;      // values run before any bisection
    int64_t runs = 0;         // simulations run in all
    std::vector<Stretch> stretches;   // [lo, hi], split wherever a verdict changes between values run
    std::vector<Interval> intervals;  // the simulated outcome over [lo, hi]
    bool monotone = true;             // at most one change, from completed to deadlock
    std::optional<int64_t> threshold; // smallest deadlocking value, when monotone and one exists
    std::optional<SweepRow> below, above;
    // The rule at every value run: where it applies, and where it disagrees.
    int64_t rule_runs = 0;
    int64_t rule_disagreements = 0;
    std::vector<Interval> rule_intervals;    // its verdict over [lo, hi], when it applies at every value run
    std::optional<int64_t> rule_threshold;   // when rule_intervals are monotone and end in deadlock
    std::optional<RulePrediction> rule_at;   // the rule at the threshold, else at lo (for its explanation)
    std::vector<Stretch> disagreements() const;  // the stretches where the rule applies and disagrees
};

// `sweep` has exactly one axis, a numeric one; its own values are ignored, lo..hi are searched
// instead. Up to max(kExhaustiveValues, samples) values, every one runs; beyond, `samples` evenly
// spaced values run, and each change between neighbours is located by bisection (a change and
// back between two samples is missed). Runs go on `jobs` threads; the result does not depend on it.
ThresholdReport find_threshold(const Sweep& sweep, int64_t lo, int64_t hi, int64_t samples, int jobs);

}  // namespace tcpsim::analysis
