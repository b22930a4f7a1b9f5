#include "analysis/sweep.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

#include "core/check.hpp"
#include "core/engine.hpp"
#include "scenario/load.hpp"
#include "scenario/profile_file.hpp"
#include "scenario/units.hpp"
#include "text/units.hpp"

namespace tcpsim::analysis {

using nlohmann::ordered_json;
using scenario::InputError;

namespace {

using Pointer = ordered_json::json_pointer;

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text[i] != sep) continue;
        parts.push_back(text.substr(start, i - start));
        start = i + 1;
    }
    return parts;
}

}  // namespace

const char* to_string(FieldKind kind) {
    switch (kind) {
        case FieldKind::size: return "size";
        case FieldKind::duration: return "duration";
        case FieldKind::bandwidth: return "bandwidth";
        case FieldKind::count: return "count";
        case FieldKind::other: return "other";
    }
    return "other";
}

const char* unit_of(FieldKind kind) {
    switch (kind) {
        case FieldKind::size: return "bytes";
        case FieldKind::duration: return "ns";
        case FieldKind::bandwidth: return "bits/s";
        default: return "";
    }
}

std::optional<FieldKind> field_kind_named(const std::string& name) {
    for (FieldKind kind : {FieldKind::size, FieldKind::duration, FieldKind::bandwidth, FieldKind::count, FieldKind::other})
        if (name == to_string(kind)) return kind;
    return std::nullopt;
}

PathSegments path_segments(const std::string& path, const std::string& where) {
    if (!path.starts_with('/')) {
        PathSegments segments = split(path, '.');
        for (const std::string& segment : segments)
            if (segment.empty()) throw InputError(where + ": empty segment in path \"" + path + "\"");
        return segments;
    }
    Pointer pointer;
    try {
        pointer = Pointer(path);
    } catch (const ordered_json::exception&) {
        throw InputError(where + ": \"" + path + "\" is not a valid JSON pointer");
    }
    PathSegments segments;
    for (; !pointer.empty(); pointer.pop_back()) segments.insert(segments.begin(), pointer.back());  // one pass a segment
    return segments;
}

PathSegments path_segments(const std::string& path, const std::string& where, const ordered_json& document) {
    PathSegments segments = path_segments(path, where);
    // What --set does with a bare name the scenario declares in "params".
    if (segments.size() == 1 && scenario::declares_parameter(document, segments[0])) segments.insert(segments.begin(), "params");
    return segments;
}

FieldKind field_kind(const PathSegments& segments, const ordered_json& document) {
    if (segments.size() != 2 || segments[0] != "params" || !scenario::declares_parameter(document, segments[1]))
        return field_kind(segments);
    std::optional<FieldKind> kind;
    for (PathSegments at : scenario::parameter_references(document, segments[1])) {
        // An item of a size list ("write": ["$n", 100]) is a size.
        const bool item = !at.empty() && text::plain_integer(at.back());
        if (item) at.pop_back();
        FieldKind here = field_kind(at);
        if (item && here != FieldKind::size) here = FieldKind::other;
        if (kind && *kind != here) return FieldKind::other;
        kind = here;
    }
    return kind.value_or(FieldKind::other);
}

FieldKind field_kind(const PathSegments& segments) {
    if (segments.empty()) return FieldKind::other;
    const std::string& key = segments.back();
    const std::string parent = segments.size() > 1 ? segments[segments.size() - 2] : "";
    // The keys the scenario format reads with parse_duration_ns, parse_bandwidth_bps,
    // parse_size and as integers (see sim/scenario/load.cpp and docs/scenario-format.md).
    if (key == "delay" || key == "sleep" || (key == "time" && parent == "limits")) return FieldKind::duration;
    if (key == "bandwidth") return FieldKind::bandwidth;
    if (key == "repeat" || (key == "events" && parent == "limits")) return FieldKind::count;
    for (const char* size_key : {"sqs", "rqs", "mss", "write", "send", "read", "read_exact", "write_chunk", "read_chunk"})
        if (key == size_key) return FieldKind::size;
    return FieldKind::other;
}

int64_t parse_quantity(FieldKind kind, const std::string& text, const std::string& where) {
    const ordered_json value = scenario::argument_json(text);
    switch (kind) {
        case FieldKind::size: return scenario::parse_size(value, where);
        case FieldKind::duration: return scenario::parse_duration_ns(value, where);
        case FieldKind::bandwidth: return scenario::parse_bandwidth_bps(value, where);
        case FieldKind::count:
            if (!text::plain_integer(text)) scenario::fail_expected(where, "must be a count: a non-negative integer", value);
            return value.get<int64_t>();
        case FieldKind::other: break;
    }
    TCPSIM_CHECK(false && "parse_quantity of a field that holds no quantity");
    return 0;
}

std::string value_text(const AxisValue& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

// ------------------------------------------------------------------ axes

Axis::Axis(std::string path, Shape shape, const ordered_json* document, const std::string& option)
    : path_(std::move(path)), option_(option), shape_(shape) {
    const std::string where = option + " " + path_;
    segments_ = document ? path_segments(path_, where, *document) : path_segments(path_, where);
    kind_ = document ? field_kind(segments_, *document) : field_kind(segments_);
}

Axis Axis::integers(const std::string& path, int64_t lo, int64_t hi, const ordered_json* document) {
    TCPSIM_CHECK(lo <= hi);
    Axis axis(path, Shape::linear, document, "--vary");
    TCPSIM_CHECK(axis.kind_ != FieldKind::other);
    axis.lo_ = lo;
    axis.step_ = 1;
    const core::int128 size = static_cast<core::int128>(hi) - lo + 1;
    TCPSIM_CHECK(size <= kMaxSweepPoints);
    axis.size_ = static_cast<int64_t>(size);
    return axis;
}

Axis Axis::parse(const std::string& text, const ordered_json* document, const std::string& option) {
    const std::string where = option + " " + text;
    const size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
        throw InputError(where + ": expected PATH=SPEC, e.g. endpoints.A.sqs=500:8000:500");
    const std::string spec = text.substr(eq + 1);
    Axis axis(text.substr(0, eq), Shape::list, document, option);
    const std::vector<std::string> parts = split(spec, ':');
    // Other fields take any JSON value, colons included, so their SPEC is always a list.
    if (axis.kind_ == FieldKind::other || parts.size() == 1) {
        for (const std::string& v : split(spec, ',')) {
            if (v.empty()) throw InputError(where + ": an empty value in the list");
            if (axis.kind_ != FieldKind::other) {
                axis.list_.emplace_back(parse_quantity(axis.kind_, v, where));
                continue;
            }
            // What --set takes: JSON when it parses, else the text.
            ordered_json parsed = ordered_json::parse(v, nullptr, false);
            axis.list_.push_back(parsed.is_discarded() ? ordered_json(v) : std::move(parsed));
        }
        axis.size_ = static_cast<int64_t>(axis.list_.size());
        return axis;
    }
    if (parts.size() != 3) throw InputError(where + ": SPEC is a list a,b,c or a range lo:hi:step or lo:hi:xFACTOR");
    axis.shape_ = parts[2].starts_with('x') ? Shape::geometric : Shape::linear;
    axis.lo_ = parse_quantity(axis.kind_, parts[0], where + " (start)");
    const int64_t hi = parse_quantity(axis.kind_, parts[1], where + " (end)");
    if (hi < axis.lo_) throw InputError(where + ": the range ends before it starts");
    if (axis.shape_ == Shape::geometric) {
        const std::string factor = parts[2].substr(1);
        axis.step_ = text::plain_integer(factor) ? std::stoll(factor) : 0;
        if (axis.step_ < 2 || axis.lo_ == 0)
            throw InputError(where + ": a geometric range needs a start > 0 and a whole factor >= 2, e.g. 512:1MiB:x2");
        axis.size_ = 1;
        for (int64_t v = axis.lo_; v <= hi / axis.step_; v *= axis.step_) ++axis.size_;  // at most 63 passes
        return axis;
    }
    axis.step_ = parse_quantity(axis.kind_, parts[2], where + " (step)");
    if (axis.step_ <= 0) throw InputError(where + ": the step must be positive");
    axis.size_ = (hi - axis.lo_) / axis.step_ + 1;
    return axis;
}

AxisValue Axis::at(int64_t index) const {
    TCPSIM_CHECK(index >= 0 && index < size_);
    switch (shape_) {
        case Shape::list: return list_[static_cast<size_t>(index)];
        case Shape::linear: return lo_ + index * step_;
        case Shape::geometric: {
            int64_t v = lo_;
            for (int64_t i = 0; i < index; ++i) v *= step_;  // index < 63: the axis was counted so
            return v;
        }
    }
    return nullptr;
}

std::string Axis::describe() const {
    std::string shape = shape_ == Shape::list ? "list" : shape_ == Shape::linear ? "linear" : "geometric";
    std::string line = ordered_json(segments_).dump() + " " + to_string(kind_) + " " + shape;
    if (shape_ == Shape::list) return line + " " + ordered_json(list_).dump();
    return line + " " + std::to_string(lo_) + " " + std::to_string(step_) + " " + std::to_string(size_);
}

// ------------------------------------------------------------------ rows and sweeps

bool SweepRow::rule_agrees() const {
    if (!rule) return true;
    const bool deadlock = result.outcome == core::Outcome::deadlock;
    if (deadlock != rule->deadlock) return false;
    if (!deadlock) return true;
    // At a deadlock the rule also names the bytes the writer handed over.
    for (const core::ThreadReport& t : result.threads)
        if (t.endpoint == rule->endpoint) return t.bytes_written == rule->accepted;
    return false;
}

namespace {

// Two --vary axes that set the same field, or one field inside another, would silently
// override each other at every point.
void refuse_overlaps(const std::vector<Axis>& axes) {
    for (size_t i = 0; i < axes.size(); ++i)
        for (size_t j = 0; j < i; ++j) {
            const PathSegments& a = axes[j].segments();
            const PathSegments& b = axes[i].segments();
            if (a == b)
                throw InputError(axes[i].option() + " " + axes[i].path() + ": the same field as " + axes[j].option() + " " +
                                 axes[j].path());
            // One path is a prefix of the other.
            if (std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(std::min(a.size(), b.size())), b.begin()))
                throw InputError(axes[i].option() + " " + axes[i].path() + " and " + axes[j].option() + " " + axes[j].path() +
                                 ": one field lies inside the other");
        }
}

// Zipped axes take their values together: each must have as many as the first of its group.
void refuse_unequal_zips(const std::vector<Axis>& axes) {
    for (size_t i = 1; i < axes.size(); ++i) {
        if (!axes[i].zipped() || axes[i].size() == axes[i - 1].size()) continue;
        size_t first = i;
        while (axes[first].zipped()) --first;
        throw InputError("--zip " + axes[i].path() + ": " + std::to_string(axes[i].size()) + " values, but --zip " +
                         axes[first].path() + " has " + std::to_string(axes[first].size()) +
                         " (zipped paths take their values together, so their lists must be as long)");
    }
}

// The product of the axis sizes, refused beyond kMaxSweepPoints before anything is expanded.
int64_t count_points(const std::vector<Axis>& axes) {
    core::int128 points = 1;
    std::string product;
    for (const Axis& a : axes) {
        if (a.zipped()) continue;  // one value of its group's
        points = std::min<core::int128>(points * a.size(), core::int128{1} << 64);
        product += (product.empty() ? "" : " x ") + std::to_string(a.size());
    }
    if (points > kMaxSweepPoints)
        throw InputError("--vary: the axes make " + product + " points, more than the 10,000,000 a sweep may have");
    return static_cast<int64_t>(points);
}

// FNV-1a, 64 bits: enough to tell sweeps apart, not a security measure.
uint64_t fnv1a(const std::string& text, uint64_t hash = 14695981039346656037ull) {
    for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
    return hash;
}

}  // namespace

Sweep::Sweep(ordered_json document, std::string label, std::vector<Axis> axes, std::string profile_path)
    : document_(std::move(document)), label_(std::move(label)), axes_(std::move(axes)),
      profile_path_(std::move(profile_path)) {
    TCPSIM_CHECK(!axes_.empty() && !axes_.front().zipped());
    refuse_overlaps(axes_);
    refuse_unequal_zips(axes_);
    size_ = count_points(axes_);
    const scenario::Loaded base = scenario::load_document(document_, label_);
    base_profile_path_ = base.profile_path;
    binder_ = std::make_shared<const scenario::ScenarioBinder>(base);
    for (const Axis& a : axes_) bindings_.push_back(binder_->find(a.segments()));
    scenario_at(values_at(0));  // a bad path or value is an input error before any work starts
}

std::vector<AxisValue> Sweep::values_at(int64_t point) const {
    TCPSIM_CHECK(point >= 0 && point < size_);
    std::vector<AxisValue> values(axes_.size());
    for (size_t end = axes_.size(); end > 0;) {  // one group of zipped axes (often one axis) a pass
        size_t first = end - 1;
        while (axes_[first].zipped()) --first;
        const int64_t index = point % axes_[first].size();
        for (size_t i = first; i < end; ++i) values[i] = axes_[i].at(index);
        point /= axes_[first].size();
        end = first;
    }
    return values;
}

SweepRow Sweep::run(int64_t point) const { return run_values(values_at(point), point); }

scenario::Loaded Sweep::scenario_at(const std::vector<AxisValue>& values) const {
    TCPSIM_CHECK(values.size() == axes_.size());
    std::vector<std::string> sets;
    for (size_t i = 0; i < axes_.size(); ++i) sets.push_back(axes_[i].path() + "=" + values[i].dump());
    return scenario::load_document(document_, label_, sets);
}

std::optional<model::Scenario> Sweep::bound_model(const std::vector<AxisValue>& values) const {
    TCPSIM_CHECK(values.size() == axes_.size());
    std::vector<scenario::ScenarioBinder::Assignment> assignments;
    for (size_t i = 0; i < axes_.size(); ++i) {
        if (!bindings_[i]) return std::nullopt;
        assignments.emplace_back(*bindings_[i], &values[i]);
    }
    return binder_->apply(assignments);
}

SweepRow Sweep::run_values(const std::vector<AxisValue>& values, int64_t point) const {
    SweepRow row;
    row.point = point;
    row.values = values;
    const std::optional<model::Scenario> bound = bound_model(values);
    const scenario::Loaded loaded = bound ? scenario::Loaded{} : scenario_at(values);
    const model::Scenario& model = bound ? *bound : loaded.scenario;
    // "profile" has no binding, so a model set through them has the document's profile file.
    const std::string& profile = !profile_path_.empty() ? profile_path_ : bound ? base_profile_path_ : loaded.profile_path;
    row.result = core::simulate(model, scenario::params_for(model.profile, profile, scenario::profile_mss(model)));
    row.rule = predict(model);
    return row;
}

std::string Sweep::fingerprint() const {
    uint64_t hash = fnv1a(document_.dump());
    // A zipped axis marks itself, so zipping two axes is another sweep than crossing them.
    for (const Axis& a : axes_) hash = fnv1a(std::string("\n") + (a.zipped() ? "zip " : "") + a.describe(), hash);
    const std::string& profile = profile_path_.empty() ? scenario_at(values_at(0)).profile_path : profile_path_;
    if (!profile.empty()) hash = fnv1a("\n" + scenario::read_file(profile), hash);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
    return hex;
}

// ------------------------------------------------------------------ running

namespace {

constexpr int64_t kWindowRowsPerJob = 128;
constexpr auto kProgressEvery = std::chrono::milliseconds(100);

// A row made by a worker, or what stopped it, waiting for its turn to be handed on.
struct Slot {
    std::optional<SweepRow> row;
    std::exception_ptr error;
    bool filled() const { return row || error; }
};

}  // namespace

void run_in_order(int64_t count, int jobs, const std::function<SweepRow(int64_t)>& make,
                  const std::function<void(SweepRow&&)>& sink, const Progress& progress) {
    TCPSIM_CHECK(count >= 0 && jobs >= 1);
    const int64_t window = kWindowRowsPerJob * jobs;
    std::vector<Slot> slots(static_cast<size_t>(std::min(window, std::max<int64_t>(count, 1))));
    std::mutex mu;
    std::condition_variable row_ready, slot_free;
    int64_t next = 0, handed = 0;  // guarded by mu: the next index to make, and to hand on
    bool stop = false;             // guarded by mu
    const auto slot_of = [&](int64_t i) -> Slot& { return slots[static_cast<size_t>(i % static_cast<int64_t>(slots.size()))]; };

    const auto worker = [&] {
        for (;;) {
            int64_t i = 0;
            {
                std::unique_lock lock(mu);
                // A worker never runs more than the window ahead of the row handed on last.
                slot_free.wait(lock, [&] { return stop || next >= count || next < handed + static_cast<int64_t>(slots.size()); });
                if (stop || next >= count) return;
                i = next++;
            }
            Slot made;
            try {
                made.row = make(i);
            } catch (...) {
                made.error = std::current_exception();
            }
            {
                std::lock_guard lock(mu);
                slot_of(i) = std::move(made);
            }
            row_ready.notify_one();
        }
    };
    std::vector<std::thread> threads;
    for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);

    std::exception_ptr error;
    auto last_report = std::chrono::steady_clock::now();
    const auto report = [&](int64_t done) {
        if (!progress || std::chrono::steady_clock::now() - last_report < kProgressEvery) return;
        last_report = std::chrono::steady_clock::now();
        progress(done, count);
    };
    try {
        for (int64_t done = 0; done < count; ++done) {  // one row handed on per pass
            Slot slot;
            {
                std::unique_lock lock(mu);
                while (!slot_of(done).filled()) {
                    row_ready.wait_for(lock, kProgressEvery);
                    lock.unlock();
                    report(done);
                    lock.lock();
                }
                slot = std::move(slot_of(done));
                slot_of(done) = Slot{};
                handed = done + 1;
            }
            slot_free.notify_all();
            if (slot.error) std::rethrow_exception(slot.error);  // the first failure in index order
            sink(std::move(*slot.row));
            if (done + 1 < count) report(done + 1);
        }
    } catch (...) {
        error = std::current_exception();
    }
    {
        std::lock_guard lock(mu);
        stop = true;
    }
    slot_free.notify_all();
    for (std::thread& t : threads) t.join();
    if (error) std::rethrow_exception(error);
    if (progress) progress(count, count);
}

void run_points(const Sweep& sweep, int64_t begin, int64_t end, int jobs,
                const std::function<void(SweepRow&&)>& sink, const Progress& progress) {
    TCPSIM_CHECK(begin >= 0 && begin <= end && end <= sweep.size());
    run_in_order(end - begin, jobs, [&](int64_t i) { return sweep.run(begin + i); }, sink, progress);
}

std::pair<int64_t, int64_t> shard_range(int64_t points, int shard, int shards) {
    TCPSIM_CHECK(shards >= 1 && shard >= 1 && shard <= shards);
    const auto at = [&](int64_t k) { return static_cast<int64_t>(static_cast<core::int128>(points) * k / shards); };
    return {at(shard - 1), at(shard)};
}

}  // namespace tcpsim::analysis
