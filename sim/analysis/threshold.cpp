#include "analysis/threshold.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace tcpsim::analysis {

namespace {

Verdicts verdicts_of(const SweepRow& row) {
    return {row.result.outcome == core::Outcome::deadlock, row.rule ? (row.rule->deadlock ? 1 : 0) : -1,
            row.rule_agrees()};
}

// Builds the stretches from values run in increasing order; between two values whose verdicts
// differ, it locates every change by bisection.
class StretchBuilder {
public:
    StretchBuilder(const Sweep& sweep, ThresholdReport& report) : sweep_(sweep), report_(report) {}

    void add(int64_t value, const Verdicts& v) {
        std::vector<Stretch>& s = report_.stretches;
        if (!s.empty() && s.back().verdicts != v) locate_changes(s.back().to, value, v);
        if (s.empty() || s.back().verdicts != v) s.push_back({value, value, v});
        s.back().to = value;
    }

    Verdicts run(int64_t value) {
        const Verdicts v = verdicts_of(sweep_.run_values({AxisValue(value)}));
        ++report_.runs;
        report_.rule_runs += v.rule >= 0;
        report_.rule_disagreements += v.rule >= 0 && !v.agrees;
        return v;
    }

private:
    // The verdicts at `a` (the last stretch's end) and at `b` differ: split (a, b) at every change.
    void locate_changes(int64_t a, int64_t b, const Verdicts& at_b) {
        std::vector<Stretch>& s = report_.stretches;
        // Each pass ends one stretch at a change strictly right of `a`: at most b - a passes.
        while (true) {
            const Verdicts at_a = s.back().verdicts;
            int64_t left = a, right = b;  // verdicts(left) == at_a != verdicts(right)
            Verdicts at_right = at_b;
            while (right - left > 1) {  // halves each pass: at most 64 passes
                const int64_t mid = left + (right - left) / 2;
                const Verdicts at_mid = run(mid);
                if (at_mid == at_a) {
                    left = mid;
                } else {
                    right = mid;
                    at_right = at_mid;
                }
            }
            s.back().to = left;
            if (right == b) return;  // the change is at b itself: add() starts its stretch
            s.push_back({right, right, at_right});
            if (at_right == at_b) return;
            a = right;
        }
    }

    const Sweep& sweep_;
    ThresholdReport& report_;
};

// Adjacent stretches merged by one verdict (the simulation's or the rule's).
template <typename Verdict>
std::vector<Interval> intervals_by(const std::vector<Stretch>& stretches, Verdict verdict) {
    std::vector<Interval> out;
    for (const Stretch& s : stretches) {
        const bool deadlock = verdict(s.verdicts);
        if (!out.empty() && out.back().deadlock == deadlock) out.back().to = s.to;
        else out.push_back({s.from, s.to, deadlock});
    }
    return out;
}

bool monotone(const std::vector<Interval>& intervals) {
    return intervals.size() == 1 || (intervals.size() == 2 && !intervals[0].deadlock);
}

}  // namespace

std::vector<Stretch> ThresholdReport::disagreements() const {
    std::vector<Stretch> out;
    for (const Stretch& s : stretches)
        if (s.verdicts.rule >= 0 && !s.verdicts.agrees) out.push_back(s);
    return out;
}

ThresholdReport find_threshold(const Sweep& sweep, int64_t lo, int64_t hi, int64_t samples, int jobs) {
    TCPSIM_CHECK(sweep.axes().size() == 1 && lo <= hi && samples >= 2 && samples <= kMaxSweepPoints);
    ThresholdReport r;
    r.lo = lo;
    r.hi = hi;
    const core::int128 span = static_cast<core::int128>(hi) - lo;
    r.exhaustive = span < std::max(kExhaustiveValues, samples);
    r.samples = r.exhaustive ? static_cast<int64_t>(span) + 1 : samples;
    // Sampled: the spacing exceeds 1, so the values are distinct and increasing.
    const auto value_at = [&](int64_t i) {
        return r.exhaustive ? lo + i : lo + static_cast<int64_t>(span * i / (samples - 1));
    };

    StretchBuilder builder(sweep, r);
    run_in_order(
        r.samples, jobs, [&](int64_t i) { return sweep.run_values({AxisValue(value_at(i))}, i); },
        [&](SweepRow&& row) {
            const Verdicts v = verdicts_of(row);
            ++r.runs;
            r.rule_runs += v.rule >= 0;
            r.rule_disagreements += v.rule >= 0 && !v.agrees;
            builder.add(value_at(row.point), v);
        },
        {});

    r.intervals = intervals_by(r.stretches, [](const Verdicts& v) { return v.deadlock; });
    r.monotone = monotone(r.intervals);
    if (r.monotone && r.intervals.back().deadlock) {
        r.threshold = r.intervals.back().from;
        r.above = sweep.run_values({AxisValue(*r.threshold)});
        if (*r.threshold > lo) r.below = sweep.run_values({AxisValue(*r.threshold - 1)});
    }
    if (r.rule_runs == r.runs) {
        r.rule_intervals = intervals_by(r.stretches, [](const Verdicts& v) { return v.rule == 1; });
        if (monotone(r.rule_intervals) && r.rule_intervals.back().deadlock) r.rule_threshold = r.rule_intervals.back().from;
    }
    // The closed form needs only the scenario, not a run.
    r.rule_at = predict(sweep.scenario_at({AxisValue(r.threshold.value_or(lo))}).scenario);
    return r;
}

}  // namespace tcpsim::analysis
