// Parameter studies: the cross product of --vary axes (and one group of --zip axes that vary
// together), run in parallel, streamed in point order.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/rule.hpp"
#include "core/result.hpp"
#include "scenario/bind.hpp"
#include "scenario/load.hpp"

namespace tcpsim::analysis {

inline constexpr int64_t kMaxSweepPoints = 10'000'000;

// What a scenario field holds, which decides how --vary values are read and written:
// sizes in bytes, durations in ns, bandwidths in bits/s, counts; `other` takes any JSON.
enum class FieldKind { size, duration, bandwidth, count, other };
const char* to_string(FieldKind kind);  // "size", "duration", ...
const char* unit_of(FieldKind kind);    // "bytes", "ns", "bits/s", "" for counts and others
std::optional<FieldKind> field_kind_named(const std::string& name);

// The keys and indexes a --set path names, dotted ("endpoints.A.sqs") or a JSON pointer
// ("/endpoints/A/sqs"): both spellings of one field give the same segments. `where` prefixes
// the InputError for a malformed path.
using PathSegments = std::vector<std::string>;
PathSegments path_segments(const std::string& path, const std::string& where);
// As path_segments, a parameter the document declares named as --set names it ("n" or
// "params.n") being {"params", "n"} in both spellings.
PathSegments path_segments(const std::string& path, const std::string& where, const nlohmann::ordered_json& document);
// The kind of the field at a path, from its key (and, for "time" and "events", its parent).
FieldKind field_kind(const PathSegments& segments);
// As field_kind; a parameter the document declares takes the kind of the fields that hold
// "$name" when they all have one kind (else `other`).
FieldKind field_kind(const PathSegments& segments, const nlohmann::ordered_json& document);

// A value of an axis: an integer in the field's base unit, or any JSON for `other` fields.
using AxisValue = nlohmann::ordered_json;
// A number in the field's base unit: plain digits, or the field's units ("64KiB", "5ms", "1Gbps").
// Throws InputError "<where>: must be a <kind> ...". Not for `other` fields.
int64_t parse_quantity(FieldKind kind, const std::string& text, const std::string& where);
// How a value prints in CSV, in labels and in messages: numbers as digits, strings bare.
std::string value_text(const AxisValue& value);

// One --vary axis. Ranges are never expanded: a value is computed from its index.
class Axis {
public:
    // "PATH=SPEC": SPEC is a list (500,1000,2KiB), a linear range (500:8000:500) or a geometric
    // range (512:1MiB:x2), in the unit of the field PATH names. Throws InputError. With the
    // scenario's document, PATH may name a parameter (see field_kind). `option` names the
    // option in messages.
    static Axis parse(const std::string& text, const nlohmann::ordered_json* document = nullptr,
                      const std::string& option = "--vary");
    // lo, lo+1, ..., hi of a numeric field (threshold searches).
    static Axis integers(const std::string& path, int64_t lo, int64_t hi, const nlohmann::ordered_json* document = nullptr);

    const std::string& path() const { return path_; }        // as the user wrote it
    const std::string& option() const { return option_; }    // "--vary" or "--zip", for messages
    const PathSegments& segments() const { return segments_; }  // for comparisons
    FieldKind kind() const { return kind_; }
    int64_t size() const { return size_; }
    AxisValue at(int64_t index) const;
    // The axis in one canonical line ("linear 100 1000 100"), for telling sweeps apart.
    std::string describe() const;
    // Whether the axis varies together with the one before it (--zip): point i of the group
    // takes value i of each of its axes.
    bool zipped() const { return zipped_; }
    void zip_with_previous() { zipped_ = true; }

private:
    enum class Shape { list, linear, geometric };
    Axis(std::string path, Shape shape, const nlohmann::ordered_json* document, const std::string& option);
    std::string path_;
    std::string option_;
    PathSegments segments_;
    FieldKind kind_ = FieldKind::other;
    Shape shape_;
    int64_t lo_ = 0, step_ = 1;  // linear: lo + i*step; geometric: lo * step^i
    int64_t size_ = 0;
    std::vector<AxisValue> list_;
    bool zipped_ = false;
};

struct SweepRow {
    int64_t point = 0;
    std::vector<AxisValue> values;  // one per axis
    core::Result result;
    std::optional<RulePrediction> rule;
    bool rule_agrees() const;
};

class Sweep {
public:
    // Refuses (InputError) a path given twice or inside another, zipped axes of unequal lengths
    // and more than kMaxSweepPoints points, before any work; then checks that the first point
    // loads. A point sets its values on the loaded model where the binder can (ScenarioBinder),
    // else loads the document with them, which gives the same model or the same error.
    Sweep(nlohmann::ordered_json document, std::string label, std::vector<Axis> axes, std::string profile_path);
    int64_t size() const { return size_; }
    const std::vector<Axis>& axes() const { return axes_; }
    // The axis values of one point: the first axis varies slowest; zipped axes move together.
    std::vector<AxisValue> values_at(int64_t point) const;
    SweepRow run(int64_t point) const;
    // The scenario at arbitrary values, one per axis, loaded and validated but not run.
    scenario::Loaded scenario_at(const std::vector<AxisValue>& values) const;
    // Its model set on the loaded model through the bindings (scenario::ScenarioBinder), without
    // loading the document; nothing when a value has no binding or the binder declines it.
    std::optional<model::Scenario> bound_model(const std::vector<AxisValue>& values) const;
    // Runs arbitrary values, one per axis (for threshold searches).
    SweepRow run_values(const std::vector<AxisValue>& values, int64_t point = -1) const;
    // Tells sweeps apart across hosts: a hash of the scenario after --set, the axes and the
    // profile file's text, not of where the files lie.
    std::string fingerprint() const;

private:
    nlohmann::ordered_json document_;
    std::string label_;
    std::vector<Axis> axes_;
    std::string profile_path_;
    int64_t size_ = 1;
    std::string base_profile_path_;  // the "profile" of the document before any axis
    std::shared_ptr<const scenario::ScenarioBinder> binder_;
    std::vector<std::optional<size_t>> bindings_;  // one per axis
};

using Progress = std::function<void(int64_t done, int64_t total)>;

// Makes rows 0..count-1 with `make` on `jobs` threads and hands each to `sink` on the calling
// thread in index order, so the output is the same for any job count. At most a bounded window
// of rows is held at once, whatever `count`. `progress` (may be empty) is called on the calling
// thread about every 100 ms while rows remain, and once at the end with done == total.
// The first exception from `make` or `sink` stops the work and is rethrown.
void run_in_order(int64_t count, int jobs, const std::function<SweepRow(int64_t index)>& make,
                  const std::function<void(SweepRow&&)>& sink, const Progress& progress);

// Points [begin, end) of a sweep through run_in_order.
void run_points(const Sweep& sweep, int64_t begin, int64_t end, int jobs,
                const std::function<void(SweepRow&&)>& sink, const Progress& progress);

// --shard I/N: the contiguous slice of points shard I (1-based) of N runs.
std::pair<int64_t, int64_t> shard_range(int64_t points, int shard, int shards);

}  // namespace tcpsim::analysis
