// Parameter studies: the cross product of --vary axes, run in parallel, in a stable order.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/rule.hpp"
#include "core/profile.hpp"
#include "core/result.hpp"
#include "scenario/load.hpp"

namespace tcpsim::analysis {

struct Axis {
    std::string path;                 // a --set path
    std::vector<std::string> values;  // each a --set value
};

// A size given on the command line: plain digits are bytes, else a size with a unit ("64KiB").
int64_t parse_size_argument(const std::string& text, const std::string& where);

// "PATH=SPEC": SPEC is a list (500,1000,2000), a linear range (500:8000:500) or a
// geometric range (512:1MiB:x2); range ends and steps are sizes. Throws InputError.
Axis parse_axis(const std::string& text);

struct SweepRow {
    int64_t point = 0;
    std::vector<std::string> values;  // one per axis
    core::Result result;
    std::optional<RulePrediction> rule;
    bool rule_agrees() const;
};

class Sweep {
public:
    Sweep(nlohmann::ordered_json document, std::string label, std::vector<std::string> base_sets,
          std::vector<Axis> axes, std::string profile_path);
    int64_t size() const { return size_; }
    const std::vector<Axis>& axes() const { return axes_; }
    // The axis values of one point: the first axis varies slowest.
    std::vector<std::string> values_at(int64_t point) const;
    SweepRow run(int64_t point) const;
    // The scenario at arbitrary values, one per axis, loaded and validated but not run.
    scenario::Loaded scenario_at(const std::vector<std::string>& values) const;
    // Runs arbitrary values, one per axis (for threshold searches).
    SweepRow run_values(const std::vector<std::string>& values, int64_t point = -1) const;

private:
    nlohmann::ordered_json document_;
    std::string label_;
    std::vector<std::string> base_sets_;
    std::vector<Axis> axes_;
    std::string profile_path_;
    int64_t size_ = 1;
};

// Points [begin, end) on `jobs` threads; rows come back in point order whatever the job
// count. `progress` (may be empty) is called from the calling thread with points done.
std::vector<SweepRow> run_points(const Sweep& sweep, int64_t begin, int64_t end, int jobs,
                                 const std::function<void(int64_t done, int64_t total)>& progress);

// --shard I/N: the contiguous slice of points shard I (1-based) of N runs.
std::pair<int64_t, int64_t> shard_range(int64_t points, int shard, int shards);

}  // namespace tcpsim::analysis
