#include "analysis/threshold.hpp"

#include <algorithm>
#include <functional>

#include "core/check.hpp"

namespace tcpsim::analysis {

namespace {

using Predicate = std::function<bool(int64_t)>;

// Smallest v in (a, b] with pred(v) != pred(a), given pred(a) != pred(b): bisection.
int64_t first_change(const Predicate& pred, int64_t a, int64_t b) {
    const bool at_a = pred(a);
    while (b - a > 1) {  // halves each pass: at most 64 passes
        const int64_t mid = a + (b - a) / 2;
        if (pred(mid) == at_a) a = mid;
        else b = mid;
    }
    return b;
}

// The outcome over [lo, hi]: sampled, then every change located exactly.
std::vector<Interval> intervals_of(const Predicate& pred, int64_t lo, int64_t hi, int samples) {
    std::vector<int64_t> xs;
    for (int i = 0; i < samples; ++i)
        xs.push_back(lo + static_cast<int64_t>(static_cast<core::int128>(hi - lo) * i / std::max(1, samples - 1)));
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
    std::vector<Interval> out{{xs[0], xs[0], pred(xs[0])}};
    for (size_t i = 1; i < xs.size(); ++i) {
        const bool d = pred(xs[i]);
        if (d == out.back().deadlock) {
            out.back().to = xs[i];
            continue;
        }
        const int64_t change = first_change(pred, xs[i - 1], xs[i]);
        out.back().to = change - 1;
        out.push_back({change, xs[i], d});
    }
    return out;
}

}  // namespace

ThresholdReport find_threshold(const Sweep& sweep, int64_t lo, int64_t hi, int samples) {
    TCPSIM_CHECK(sweep.axes().size() == 1 && lo <= hi && samples >= 2);
    ThresholdReport r;
    r.lo = lo;
    r.hi = hi;
    r.samples = samples;
    const auto row_at = [&](int64_t v) { return sweep.run_values({std::to_string(v)}); };
    const Predicate simulated = [&](int64_t v) { return row_at(v).result.outcome == core::Outcome::deadlock; };
    r.intervals = intervals_of(simulated, lo, hi, samples);
    r.monotone = r.intervals.size() == 1 || (r.intervals.size() == 2 && !r.intervals[0].deadlock);
    if (r.monotone) {
        const Interval& last = r.intervals.back();
        if (last.deadlock) {
            r.threshold = last.from;
            r.above = row_at(last.from);
            if (last.from > lo) r.below = row_at(last.from - 1);
        }
    }
    // The closed form needs only the scenario, not a run.
    const auto rule_at = [&](int64_t v) { return predict(sweep.scenario_at({std::to_string(v)}).scenario); };
    r.rule_applies = rule_at(lo).has_value() && rule_at(hi).has_value();
    if (r.rule_applies) {
        const Predicate rule = [&](int64_t v) {
            const auto p = rule_at(v);
            return p && p->deadlock;
        };
        const std::vector<Interval> by_rule = intervals_of(rule, lo, hi, samples);
        if (by_rule.back().deadlock) r.rule_threshold = by_rule.back().from;
    }
    return r;
}

}  // namespace tcpsim::analysis
