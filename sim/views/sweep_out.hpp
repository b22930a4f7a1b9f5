// Sweep results as CSV and JSON Lines, an SVG heatmap, and shard files merged back into one.
//
// Every sweep output opens with a sweep record (CSV: a "# " comment line; JSON Lines: the first
// object) naming the sweep, its point count, its axes and which shard the file is, so that merge
// knows the whole and the heatmap can be drawn from a saved file. A file is read line by line:
// memory stays bounded whatever the point count.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "analysis/sweep.hpp"

namespace tcpsim::views {

enum class SweepFormat { csv, jsonl };
// By extension: ".csv" or ".jsonl"; nothing for any other name.
std::optional<SweepFormat> sweep_format_for(const std::string& path);

struct SweepAxisInfo {
    std::string path;  // as given to --vary
    analysis::FieldKind kind = analysis::FieldKind::other;
    int64_t values = 0;
    bool zipped = false;  // varied together with the axis before it (--zip)
    bool operator==(const SweepAxisInfo&) const = default;
};

struct SweepMeta {
    std::string sweep;     // analysis::Sweep::fingerprint
    std::string scenario;  // the scenario's name
    int64_t points = 0;    // in the whole sweep, not only this shard
    int shard = 1, shards = 1;
    std::vector<SweepAxisInfo> axes;
};
SweepMeta sweep_meta(const analysis::Sweep& sweep, const std::string& scenario_name, int shard, int shards);

// The sweep record, the CSV column names (the threads of the sweep's first point, so every shard
// writes the same; empty for JSON Lines), and one row.
std::string meta_line(const SweepMeta& meta, SweepFormat format);
std::string sweep_header(const analysis::Sweep& sweep, const analysis::SweepRow& first, SweepFormat format);
std::string sweep_line(const analysis::Sweep& sweep, const analysis::SweepRow& row, SweepFormat format);

// Writes one sweep output: the sweep record and the CSV header at once, then rows as they come.
// The header and the scenario's name come from the sweep's first point, so every shard writes
// the same ones.
class SweepWriter {
public:
    SweepWriter(std::ostream& out, const analysis::Sweep& sweep, SweepFormat format, int shard, int shards);
    void add(const analysis::SweepRow& row) { out_ << sweep_line(sweep_, row, format_); }
    const SweepMeta& meta() const { return meta_; }

private:
    std::ostream& out_;
    const analysis::Sweep& sweep_;
    SweepFormat format_;
    SweepMeta meta_;
};

// What the heatmap shows of one point.
struct HeatmapPoint {
    int64_t point = 0;
    std::string x, y;               // the two axis values, as value_text prints them
    core::Outcome outcome = core::Outcome::completed;
    int64_t stalled_bytes = 0;      // the first thread's bytes written
    std::string stalled_thread;     // "endpoint.thread" of the first thread
    int rule = -1;                  // -1 no rule, 0 completed, 1 deadlock
    bool rule_agrees = true;
};
HeatmapPoint heatmap_point(const analysis::SweepRow& row);

// The outcome grid of a two-axis sweep: completed light, deadlock shaded by the first thread's
// bytes at the stall, the rule's boundary drawn where it applies. It keeps a few bytes per cell
// and the axis labels, filled point by point from a run or from a saved file alike.
class Heatmap {
public:
    explicit Heatmap(const SweepMeta& meta);  // meta.axes.size() == 2
    void add(const HeatmapPoint& p);
    // Once every point was added.
    void write_svg(std::ostream& out) const;

private:
    SweepMeta meta_;
    int64_t nx_ = 0, ny_ = 0;
    std::vector<int64_t> stall_;    // bytes at a deadlock; kCompleted, kLimit otherwise
    std::vector<int8_t> rule_;      // -1 none, 0 completed, 1 deadlock
    std::vector<uint8_t> mismatch_;
    std::vector<std::string> x_labels_, y_labels_;
    std::string stalled_thread_;
    int64_t added_ = 0;
};

// A sweep output file as merge reads it: its sweep record and, for CSV, its column names.
struct ShardFile {
    std::string path;
    SweepFormat format = SweepFormat::csv;
    SweepMeta meta;
    std::string header;  // CSV column names; empty for JSON Lines
};

// Reads the opening of each file and checks that together they are the whole of one sweep:
// each shard of the same sweep exactly once, in one format. Returns them in shard order.
// Throws std::invalid_argument with one line naming the file and the problem.
std::vector<ShardFile> check_shards(const std::vector<std::string>& paths);

// Every row of checked shards, in point order; each must be the next point, and each shard must
// hold exactly its slice. `point` gets the row's heatmap view only when `want_points` is set.
void for_each_row(const std::vector<ShardFile>& shards, bool want_points,
                  const std::function<void(const std::string& line, const HeatmapPoint* point)>& row);

// The merged sweep's record: the whole sweep, as one unsharded run writes it.
SweepMeta whole(const SweepMeta& shard);

}  // namespace tcpsim::views
