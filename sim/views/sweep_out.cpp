#include "views/sweep_out.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/check.hpp"
#include "text/format.hpp"
#include "text/units.hpp"
#include "views/svg.hpp"

namespace tcpsim::views {

using nlohmann::ordered_json;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument(what); }

std::string rule_text(const analysis::SweepRow& row) {
    if (!row.rule) return "";
    return row.rule->deadlock ? "deadlock" : "completed";
}

// Axis paths and `other` values may hold commas or quotes: quote those fields.
std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

// The inverse of csv_field over one line.
std::vector<std::string> csv_fields(const std::string& line) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
            fields.back() += '"';
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            fields.emplace_back();
        } else {
            fields.back() += c;
        }
    }
    return fields;
}

std::string thread_key(const core::ThreadReport& t) { return t.endpoint + "." + t.name; }

constexpr const char* kCsvMetaPrefix = "# ";
constexpr int kMetaVersion = 1;

}  // namespace

std::optional<SweepFormat> sweep_format_for(const std::string& path) {
    if (ends_with(path, ".csv")) return SweepFormat::csv;
    if (ends_with(path, ".jsonl")) return SweepFormat::jsonl;
    return std::nullopt;
}

SweepMeta sweep_meta(const analysis::Sweep& sweep, const std::string& scenario_name, int shard, int shards) {
    SweepMeta meta{sweep.fingerprint(), scenario_name, sweep.size(), shard, shards, {}};
    for (const analysis::Axis& a : sweep.axes()) meta.axes.push_back({a.path(), a.kind(), a.size(), a.zipped()});
    return meta;
}

SweepMeta whole(const SweepMeta& shard) {
    SweepMeta meta = shard;
    meta.shard = meta.shards = 1;
    return meta;
}

std::string meta_line(const SweepMeta& meta, SweepFormat format) {
    ordered_json axes = ordered_json::array();
    for (const SweepAxisInfo& a : meta.axes) {
        axes.push_back({{"path", a.path}, {"kind", analysis::to_string(a.kind)}, {"values", a.values}});
        if (a.zipped) axes.back()["zip"] = true;  // only then, so a sweep without --zip writes what it always did
    }
    const ordered_json j = {{"tcpsim_sweep", kMetaVersion},
                            {"sweep", meta.sweep},
                            {"scenario", meta.scenario},
                            {"points", meta.points},
                            {"shard", std::to_string(meta.shard) + "/" + std::to_string(meta.shards)},
                            {"axes", axes}};
    return (format == SweepFormat::csv ? kCsvMetaPrefix : "") + j.dump() + "\n";
}

std::string sweep_header(const analysis::Sweep& sweep, const analysis::SweepRow& first, SweepFormat format) {
    if (format == SweepFormat::jsonl) return "";
    std::string h = "point";
    for (const analysis::Axis& a : sweep.axes()) h += "," + csv_field(a.path());
    h += ",outcome,time_ns,events";
    for (const core::ThreadReport& t : first.result.threads) h += "," + thread_key(t) + ".written," + thread_key(t) + ".read";
    return h + ",rule,rule_agrees\n";
}

std::string sweep_line(const analysis::Sweep& sweep, const analysis::SweepRow& row, SweepFormat format) {
    const core::Result& r = row.result;
    if (format == SweepFormat::jsonl) {
        ordered_json values = ordered_json::object();
        for (size_t i = 0; i < row.values.size(); ++i) values[sweep.axes()[i].path()] = row.values[i];
        ordered_json threads = ordered_json::object();
        for (const core::ThreadReport& t : r.threads)
            threads[thread_key(t)] = {{"written", t.bytes_written}, {"read", t.bytes_read}};
        const ordered_json j = {{"point", row.point},
                                {"values", values},
                                {"outcome", core::to_string(r.outcome)},
                                {"time_ns", r.time_ns},
                                {"events", r.events},
                                {"threads", threads},
                                {"rule", row.rule ? ordered_json(rule_text(row)) : ordered_json(nullptr)},
                                {"rule_agrees", row.rule ? ordered_json(row.rule_agrees()) : ordered_json(nullptr)}};
        return j.dump() + "\n";
    }
    std::ostringstream out;
    out << row.point;
    for (const analysis::AxisValue& v : row.values) out << "," << csv_field(analysis::value_text(v));
    out << "," << core::to_string(r.outcome) << "," << r.time_ns << "," << r.events;
    for (const core::ThreadReport& t : r.threads) out << "," << t.bytes_written << "," << t.bytes_read;
    out << "," << rule_text(row) << "," << (row.rule ? (row.rule_agrees() ? "yes" : "NO") : "") << "\n";
    return out.str();
}

SweepWriter::SweepWriter(std::ostream& out, const analysis::Sweep& sweep, SweepFormat format, int shard, int shards)
    : out_(out), sweep_(sweep), format_(format) {
    const analysis::SweepRow first = sweep.run(0);
    meta_ = sweep_meta(sweep, first.result.scenario, shard, shards);
    out_ << meta_line(meta_, format_) << sweep_header(sweep_, first, format_);
}

// ------------------------------------------------------------------ heatmap

HeatmapPoint heatmap_point(const analysis::SweepRow& row) {
    TCPSIM_CHECK(row.values.size() == 2 && !row.result.threads.empty());
    const core::ThreadReport& first = row.result.threads.front();
    return {row.point,
            analysis::value_text(row.values[0]),
            analysis::value_text(row.values[1]),
            row.result.outcome,
            first.bytes_written,
            thread_key(first),
            row.rule ? (row.rule->deadlock ? 1 : 0) : -1,
            row.rule_agrees()};
}

namespace {

constexpr int64_t kCompleted = -1, kLimit = -2;

using svg::esc;

// White-to-red for the stall figure, t in [0, 1].
std::string red_shade(double t) {
    const int g = static_cast<int>(220 - 180 * t);
    std::ostringstream c;
    c << "rgb(" << static_cast<int>(250 - 60 * t) << "," << g << "," << g << ")";
    return c.str();
}

// The path, and for sizes "(bytes)"; durations and rates carry their units in each label.
std::string axis_title(const SweepAxisInfo& a) {
    return esc(a.path) + (a.kind == analysis::FieldKind::size ? " (bytes)" : "");
}

}  // namespace

Heatmap::Heatmap(const SweepMeta& meta) : meta_(meta) {
    TCPSIM_CHECK(meta_.axes.size() == 2 && meta_.points == meta_.axes[0].values * meta_.axes[1].values);
    nx_ = meta_.axes[0].values;
    ny_ = meta_.axes[1].values;
    const auto cells = static_cast<size_t>(meta_.points);
    stall_.assign(cells, kCompleted);
    rule_.assign(cells, -1);
    mismatch_.assign(cells, 0);
    x_labels_.resize(static_cast<size_t>(nx_));
    y_labels_.resize(static_cast<size_t>(ny_));
}

void Heatmap::add(const HeatmapPoint& p) {
    TCPSIM_CHECK(p.point >= 0 && p.point < meta_.points);
    const auto k = static_cast<size_t>(p.point);
    const int64_t i = p.point / ny_, j = p.point % ny_;
    stall_[k] = p.outcome == core::Outcome::deadlock ? p.stalled_bytes
              : p.outcome == core::Outcome::limit    ? kLimit
                                                     : kCompleted;
    rule_[k] = static_cast<int8_t>(p.rule);
    mismatch_[k] = p.rule_agrees ? 0 : 1;
    if (j == 0) x_labels_[static_cast<size_t>(i)] = p.x;
    if (i == 0) y_labels_[static_cast<size_t>(j)] = p.y;
    if (p.point == 0) stalled_thread_ = p.stalled_thread;
    ++added_;
}

namespace {

// Where the picture's parts sit: cells of `cell` pixels, the plot's corner at (left, top), x
// growing right and y growing up, the legend to the right of the plot.
struct HeatmapLayout {
    int cell = 0;
    int left = 90, top = 50;
    int plot_w = 0, plot_h = 0;
    int width = 0, height = 0;
    int legend_x = 0;
    int x_of(int64_t i) const { return left + cell * static_cast<int>(i); }
    int y_of(int64_t j) const { return top + plot_h - cell * static_cast<int>(j + 1); }
};

HeatmapLayout heatmap_layout(int64_t nx, int64_t ny) {
    HeatmapLayout l;
    l.cell = static_cast<int>(std::clamp<int64_t>(560 / std::max(nx, ny), 4, 48));
    l.plot_w = l.cell * static_cast<int>(nx);
    l.plot_h = l.cell * static_cast<int>(ny);
    l.width = l.left + l.plot_w + 320;
    l.height = l.top + l.plot_h + 70;
    l.legend_x = l.left + l.plot_w + 20;
    return l;
}

// The least and most bytes at a stall over the deadlocked cells: the ends of the red scale.
struct StallRange {
    int64_t lo = 0, hi = 1;
    bool any_deadlock = false;
};

StallRange stall_range(const std::vector<int64_t>& stall) {
    StallRange r;
    for (const int64_t v : stall) {
        if (v < 0) continue;
        r.lo = r.any_deadlock ? std::min(r.lo, v) : v;
        r.hi = r.any_deadlock ? std::max(r.hi, v) : v;
        r.any_deadlock = true;
    }
    return r;
}

std::string cell_fill(int64_t stall, const StallRange& r) {
    if (stall == kCompleted) return "rgb(214,236,214)";
    if (stall == kLimit) return "rgb(250,230,150)";
    return red_shade(r.hi > r.lo ? static_cast<double>(stall - r.lo) / static_cast<double>(r.hi - r.lo) : 1.0);
}

// The outcome counts, for the picture's <title> and <desc>.
struct Counts {
    int64_t completed = 0, deadlock = 0, limit = 0, mismatch = 0;
};

Counts counts_of(const std::vector<int64_t>& stall, const std::vector<uint8_t>& mismatch) {
    Counts c;
    for (const int64_t v : stall) (v == kCompleted ? c.completed : v == kLimit ? c.limit : c.deadlock) += 1;
    for (const uint8_t m : mismatch) c.mismatch += m;
    return c;
}

void draw_opening(std::ostream& svg, const HeatmapLayout& l, const SweepMeta& meta, const Counts& c, const StallRange& r,
                  const std::string& stalled_thread) {
    const std::string title = meta.scenario + ": the outcome at each of " + text::count(meta.points, "point", "points") +
                              " of a sweep over " + meta.axes[0].path + " and " + meta.axes[1].path;
    std::string desc = text::count(c.completed, "point completes", "points complete") + ", " +
                       text::count(c.deadlock, "point deadlocks", "points deadlock");
    if (c.deadlock > 0)
        desc += " (" + stalled_thread + " had written " + text::bytes(r.lo) + " to " + text::bytes(r.hi) + " at the stall)";
    if (c.limit > 0) desc += ", " + text::count(c.limit, "point hits", "points hit") + " a limit";
    desc += c.mismatch == 0 ? "; the simulation agrees with the rule wherever the rule applies."
                            : "; the simulation disagrees with the rule at " + text::count(c.mismatch, "point", "points") + ".";
    svg << svg::open(l.width, l.height, "heatmap", title, desc)
        << "<text x=\"" << l.left << "\" y=\"24\" font-size=\"15\">" << esc(meta.scenario) << "</text>\n";
}

// One square per point, marked with an x where the simulation disagrees with the rule.
void draw_cell(std::ostream& svg, const HeatmapLayout& l, int64_t i, int64_t j, const std::string& fill, bool mismatch) {
    const int x = l.x_of(i), y = l.y_of(j);
    svg << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << l.cell << "\" height=\"" << l.cell
        << "\" fill=\"" << fill << "\"/>\n";
    if (mismatch)
        svg << "<text x=\"" << x + l.cell / 2 << "\" y=\"" << y + l.cell / 2 + 4
            << "\" text-anchor=\"middle\" font-weight=\"bold\">x</text>\n";
}

void draw_boundary_edge(std::ostream& svg, int x1, int y1, int x2, int y2) {
    svg << "<line x1=\"" << x1 << "\" y1=\"" << y1 << "\" x2=\"" << x2 << "\" y2=\"" << y2
        << "\" stroke=\"black\" stroke-width=\"2.5\"/>\n";
}

// The rule's boundary: an edge between neighbouring cells where its prediction flips. `rule`
// holds each point's prediction (-1: none), point (i, j) at i * ny + j.
void draw_rule_boundary(std::ostream& svg, const HeatmapLayout& l, const std::vector<int8_t>& rule, int64_t nx, int64_t ny) {
    const auto at = [ny](int64_t i, int64_t j) { return static_cast<size_t>(i * ny + j); };
    const auto flips = [&](int8_t here, int64_t i, int64_t j) { return rule[at(i, j)] >= 0 && rule[at(i, j)] != here; };
    for (int64_t i = 0; i < nx; ++i)
        for (int64_t j = 0; j < ny; ++j) {
            const int8_t here = rule[at(i, j)];
            if (here < 0) continue;
            const int x = l.x_of(i), y = l.y_of(j);
            if (i + 1 < nx && flips(here, i + 1, j)) draw_boundary_edge(svg, x + l.cell, y, x + l.cell, y + l.cell);
            if (j + 1 < ny && flips(here, i, j + 1)) draw_boundary_edge(svg, x, y, x + l.cell, y);
        }
}

// An axis' labels: each at its place in cells from the axis' start (cell i spans [i, i+1)).
struct AxisTick {
    double at_cells;
    std::string label;  // markup: escaped text, and for a size its bytes as a <title>
};

// A size reads in binary units ("64 KiB"), a duration in its unit ("64 ms"), a rate in bits per
// second ("10 Mbps"), each with the exact base value as a tooltip; any other value as the sweep
// wrote it.
std::string tick_label(const std::string& value, analysis::FieldKind kind) {
    if (!text::plain_integer(value)) return esc(value);
    const int64_t v = std::stoll(value);
    switch (kind) {
        case analysis::FieldKind::size: return text::format_size(v) + "<title>" + text::bytes(v) + "</title>";
        case analysis::FieldKind::duration: return text::format_duration(v) + "<title>" + text::grouped(v) + " ns</title>";
        case analysis::FieldKind::bandwidth:
            return text::format_bandwidth(v) + "<title>" + text::grouped(v) + " bits per second</title>";
        default: return esc(value);
    }
}

size_t visible_size(const std::string& label) { return std::min(label.size(), label.find('<')); }

// Every value's own label at its cell while they fit (one per `spacing_px`); past that, on a
// linear axis (whole numbers evenly spaced) round 1-2-5 values at their true positions, and on
// any other every k-th value at its cell.
std::vector<AxisTick> axis_ticks(const std::vector<std::string>& values, analysis::FieldKind kind, double length_px,
                                 double spacing_px) {
    const size_t n = values.size();
    const auto fitting = static_cast<size_t>(std::max(2.0, length_px / spacing_px));
    std::vector<AxisTick> out;
    if (n <= fitting) {
        for (size_t i = 0; i < n; ++i) out.push_back({static_cast<double>(i) + 0.5, tick_label(values[i], kind)});
        return out;
    }
    const bool whole = std::all_of(values.begin(), values.end(), [](const std::string& v) { return text::plain_integer(v); });
    std::vector<int64_t> v;
    for (size_t i = 0; whole && i < n; ++i) v.push_back(std::stoll(values[i]));
    bool linear = whole && v[1] > v[0];
    for (size_t i = 2; linear && i < n; ++i) linear = v[i] - v[i - 1] == v[1] - v[0];
    if (!linear) {
        const size_t every = (n + fitting - 1) / fitting;
        for (size_t i = 0; i < n; i += every) out.push_back({static_cast<double>(i) + 0.5, tick_label(values[i], kind)});
        return out;
    }
    // Value x sits at 0.5 + (x - v0) / d cells: the axis spans v0 - d/2 .. v_last + d/2.
    const int64_t d = v[1] - v[0];
    const int64_t lo = v.front() - d / 2, hi = v.back() + d / 2;
    const int count = static_cast<int>(fitting);
    const int64_t step = kind == analysis::FieldKind::size ? svg::byte_step(hi - lo, count) : svg::round_step(hi - lo, count);
    for (const int64_t x : svg::multiples_in(lo, hi, step))
        out.push_back({0.5 + static_cast<double>(x - v.front()) / static_cast<double>(d), tick_label(std::to_string(x), kind)});
    return out;
}

// The frame, the ticks along each axis, and the axes' titles.
void draw_axes(std::ostream& svg, const HeatmapLayout& l, const std::vector<std::string>& x_labels,
               const std::vector<std::string>& y_labels, const std::vector<SweepAxisInfo>& axes) {
    svg << "<rect x=\"" << l.left << "\" y=\"" << l.top << "\" width=\"" << l.plot_w << "\" height=\"" << l.plot_h
        << "\" fill=\"none\" stroke=\"#444\"/>\n";
    size_t widest = 1;
    for (const std::string& label : x_labels) widest = std::max(widest, visible_size(tick_label(label, axes[0].kind)));
    const double base = l.top + l.plot_h;
    for (const AxisTick& t : axis_ticks(x_labels, axes[0].kind, l.plot_w, svg::text_width_px(std::string(widest, '0'), 12) + 14)) {
        const std::string x = svg::px(l.left + l.cell * t.at_cells);
        svg << "<line x1=\"" << x << "\" y1=\"" << base << "\" x2=\"" << x << "\" y2=\"" << base + 5 << "\" stroke=\"#444\"/>"
            << "<text class=\"xtick\" x=\"" << x << "\" y=\"" << base + 18 << "\" text-anchor=\"middle\" font-size=\"12\">"
            << t.label << "</text>\n";
    }
    for (const AxisTick& t : axis_ticks(y_labels, axes[1].kind, l.plot_h, 24)) {
        const std::string y = svg::px(base - l.cell * t.at_cells);
        svg << "<line x1=\"" << l.left - 5 << "\" y1=\"" << y << "\" x2=\"" << l.left << "\" y2=\"" << y << "\" stroke=\"#444\"/>"
            << "<text class=\"ytick\" x=\"" << l.left - 8 << "\" y=\"" << svg::px(base - l.cell * t.at_cells + 4)
            << "\" text-anchor=\"end\" font-size=\"12\">" << t.label << "</text>\n";
    }
    svg << "<text x=\"" << l.left + l.plot_w / 2 << "\" y=\"" << l.top + l.plot_h + 42 << "\" text-anchor=\"middle\">"
        << axis_title(axes[0]) << "</text>\n"
        << "<text transform=\"translate(20," << l.top + l.plot_h / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
        << axis_title(axes[1]) << "</text>\n";
}

// The colours and marks in words, and the picture's closing tag.
void draw_legend(std::ostream& svg, const HeatmapLayout& l, const StallRange& r, const std::string& stalled_thread) {
    const int lx = l.legend_x, top = l.top;
    svg << "<rect x=\"" << lx << "\" y=\"" << top << "\" width=\"14\" height=\"14\" fill=\"rgb(214,236,214)\"/>"
        << "<text x=\"" << lx + 20 << "\" y=\"" << top + 11 << "\">completed</text>\n";
    for (int k = 0; k < 10; ++k)
        svg << "<rect x=\"" << lx + 14 * k << "\" y=\"" << top + 26 << "\" width=\"14\" height=\"14\" fill=\""
            << red_shade(k / 9.0) << "\"/>\n";
    svg << "<text x=\"" << lx << "\" y=\"" << top + 56 << "\">deadlock: " << text::size_short(r.any_deadlock ? r.lo : 0)
        << " .. " << text::size_short(r.any_deadlock ? r.hi : 0) << "<title>"
        << (r.any_deadlock ? text::grouped(r.lo) + " .. " + text::bytes(r.hi) : std::string("no deadlock")) << "</title></text>\n<text x=\"" << lx << "\" y=\"" << top + 70
        << "\">bytes written by " << esc(stalled_thread) << " at the stall</text>\n"
        << "<line x1=\"" << lx << "\" y1=\"" << top + 90 << "\" x2=\"" << lx + 28 << "\" y2=\"" << top + 90
        << "\" stroke=\"black\" stroke-width=\"2.5\"/><text x=\"" << lx + 34 << "\" y=\"" << top + 94
        << "\">rule's boundary</text>\n<text x=\"" << lx + 4 << "\" y=\"" << top + 114
        << "\" font-weight=\"bold\">x</text><text x=\"" << lx + 34 << "\" y=\"" << top + 114
        << "\">simulation disagrees with rule</text>\n</svg>\n";
}

}  // namespace

void Heatmap::write_svg(std::ostream& svg) const {
    TCPSIM_CHECK(added_ == meta_.points);
    const HeatmapLayout layout = heatmap_layout(nx_, ny_);
    const StallRange range = stall_range(stall_);
    const auto at = [&](int64_t i, int64_t j) { return static_cast<size_t>(i * ny_ + j); };
    draw_opening(svg, layout, meta_, counts_of(stall_, mismatch_), range, stalled_thread_);
    for (int64_t i = 0; i < nx_; ++i)
        for (int64_t j = 0; j < ny_; ++j) draw_cell(svg, layout, i, j, cell_fill(stall_[at(i, j)], range), mismatch_[at(i, j)] != 0);
    draw_rule_boundary(svg, layout, rule_, nx_, ny_);
    draw_axes(svg, layout, x_labels_, y_labels_, meta_.axes);
    draw_legend(svg, layout, range, stalled_thread_);
}

// ------------------------------------------------------------------ reading sweep files

namespace {

// Longer lines are not ours: a bounded read refuses them rather than holding them.
constexpr size_t kMaxLineBytes = 1 << 20;

class LineReader {
public:
    explicit LineReader(const std::string& path) : path_(path), in_(path, std::ios::binary) {
        if (!in_) fail(path_ + ": cannot open file");
    }
    // The next line without its newline; false at the end of the file.
    bool next(std::string& line) {
        line.clear();
        std::streambuf* buf = in_.rdbuf();
        for (int c; (c = buf->sbumpc()) != std::char_traits<char>::eof();) {  // bounded by kMaxLineBytes
            if (c == '\n') {
                ++number_;
                return true;
            }
            if (line.size() == kMaxLineBytes) fail(where(number_ + 1) + ": longer than 1 MiB, not a sweep output line");
            line += static_cast<char>(c);
        }
        if (line.empty()) return false;
        ++number_;  // a last line without a newline
        return true;
    }
    std::string where(int64_t line) const { return path_ + ": line " + std::to_string(line); }
    std::string where() const { return where(number_); }

private:
    std::string path_;
    std::ifstream in_;
    int64_t number_ = 0;
};

const char* format_name(SweepFormat f) { return f == SweepFormat::csv ? "CSV" : "JSON Lines"; }

// The sweep record on a file's first line, checked field by field.
SweepMeta parse_meta(const std::string& line, SweepFormat format, const std::string& where) {
    const std::string json_text = format == SweepFormat::csv ? line.substr(std::string(kCsvMetaPrefix).size()) : line;
    const ordered_json j = ordered_json::parse(json_text, nullptr, false);
    const auto bad = [&](const std::string& what) -> SweepMeta {
        fail(where + ": not a tcpsim sweep record (" + what + "); was it written by tcpsim sweep?");
    };
    if (j.is_discarded() || !j.is_object() || !j.contains("tcpsim_sweep")) return bad("no \"tcpsim_sweep\" key");
    if (j["tcpsim_sweep"] != kMetaVersion) return bad("version " + j["tcpsim_sweep"].dump() + ", this tcpsim reads 1");
    SweepMeta meta;
    try {
        meta.sweep = j.at("sweep").get<std::string>();
        meta.scenario = j.at("scenario").get<std::string>();
        meta.points = j.at("points").get<int64_t>();
        const std::string shard = j.at("shard").get<std::string>();
        char slash = 0;
        std::istringstream in(shard);
        if (!(in >> meta.shard >> slash >> meta.shards) || slash != '/' || !in.eof()) return bad("shard " + shard);
        for (const ordered_json& a : j.at("axes")) {
            const auto kind = analysis::field_kind_named(a.at("kind").get<std::string>());
            if (!kind) return bad("axis kind " + a.at("kind").dump());
            const bool zipped = a.contains("zip") && a.at("zip").get<bool>();
            meta.axes.push_back({a.at("path").get<std::string>(), *kind, a.at("values").get<int64_t>(), zipped});
        }
    } catch (const ordered_json::exception&) {
        return bad("a missing or mistyped field");
    }
    core::int128 product = 1;
    bool zips_match = !meta.axes.empty() && !meta.axes.front().zipped;
    for (size_t i = 0; i < meta.axes.size(); ++i) {
        const SweepAxisInfo& a = meta.axes[i];
        if (a.zipped) {  // one value of its group's: as many as the axis before it
            zips_match = zips_match && a.values == meta.axes[i - 1].values;
            continue;
        }
        product = a.values < 1 ? 0 : std::min<core::int128>(product * a.values, core::int128{1} << 62);
    }
    if (!zips_match || product != meta.points || meta.points > analysis::kMaxSweepPoints)
        return bad("its axes do not make its point count");
    if (meta.shards < 1 || meta.shard < 1 || meta.shard > meta.shards) return bad("shard " + j["shard"].get<std::string>());
    return meta;
}

bool same_sweep(const SweepMeta& a, const SweepMeta& b) {
    return a.sweep == b.sweep && a.scenario == b.scenario && a.points == b.points && a.axes == b.axes;
}

core::Outcome outcome_named(const std::string& name, const std::string& where) {
    for (core::Outcome o : {core::Outcome::deadlock, core::Outcome::completed, core::Outcome::limit})
        if (name == core::to_string(o)) return o;
    fail(where + ": outcome \"" + name + "\" is not deadlock, completed or limit");
}

int64_t integer_field(const std::string& text, const std::string& where, const std::string& what) {
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
        fail(where + ": " + what + " \"" + text.substr(0, 40) + "\" is not a whole number");
    return std::stoll(text);
}

// One row's point and, when asked, what the heatmap shows of it.
struct ParsedRow {
    int64_t point = 0;
    std::optional<HeatmapPoint> heat;
};

ParsedRow parse_csv_row(const std::string& line, const ShardFile& shard, bool want_heat, const std::string& where) {
    ParsedRow row;
    if (!want_heat) {
        row.point = integer_field(line.substr(0, line.find(',')), where, "point");
        return row;
    }
    const std::vector<std::string> names = csv_fields(shard.header);
    const std::vector<std::string> f = csv_fields(line);
    const size_t axes = shard.meta.axes.size(), first_written = 1 + axes + 3;
    if (f.size() != names.size() || f.size() < first_written + 4)
        fail(where + ": " + std::to_string(f.size()) + " fields, the header names " + std::to_string(names.size()));
    row.point = integer_field(f[0], where, "point");
    const std::string& column = names[first_written];
    row.heat = HeatmapPoint{row.point,
                            f[1],
                            f[2],
                            outcome_named(f[1 + axes], where),
                            integer_field(f[first_written], where, column),
                            column.substr(0, column.size() - std::string(".written").size()),
                            f[f.size() - 2].empty() ? -1 : f[f.size() - 2] == "deadlock" ? 1 : 0,
                            f.back() != "NO"};
    return row;
}

ParsedRow parse_jsonl_row(const std::string& line, bool want_heat, const std::string& where) {
    const ordered_json j = ordered_json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail(where + ": not a JSON object");
    ParsedRow row;
    try {
        row.point = j.at("point").get<int64_t>();
        if (!want_heat) return row;
        const ordered_json& values = j.at("values");
        const ordered_json& threads = j.at("threads");
        if (values.size() != 2 || threads.empty()) fail(where + ": a heatmap needs two values and a thread");
        const ordered_json& rule = j.at("rule");
        const ordered_json& agrees = j.at("rule_agrees");
        row.heat = HeatmapPoint{row.point,
                                analysis::value_text(values.begin().value()),
                                analysis::value_text(std::next(values.begin()).value()),
                                outcome_named(j.at("outcome").get<std::string>(), where),
                                threads.begin().value().at("written").get<int64_t>(),
                                threads.begin().key(),
                                rule.is_null() ? -1 : rule == "deadlock" ? 1 : 0,
                                agrees.is_null() || agrees.get<bool>()};
    } catch (const ordered_json::exception&) {
        fail(where + ": a sweep row needs point, values, outcome, threads, rule and rule_agrees");
    }
    return row;
}

std::string shard_name(const SweepMeta& m) { return std::to_string(m.shard) + "/" + std::to_string(m.shards); }

}  // namespace

std::vector<ShardFile> check_shards(const std::vector<std::string>& paths) {
    TCPSIM_CHECK(!paths.empty());
    std::vector<ShardFile> files;
    for (const std::string& path : paths) {
        LineReader in(path);
        ShardFile f{path, SweepFormat::csv, {}, ""};
        std::string line;
        if (!in.next(line)) fail(path + ": empty, not a sweep output (a shard with no points still has its sweep record)");
        f.format = line.starts_with(kCsvMetaPrefix) ? SweepFormat::csv : SweepFormat::jsonl;
        f.meta = parse_meta(line, f.format, in.where());
        if (f.format == SweepFormat::csv && !in.next(f.header)) fail(path + ": no column names after the sweep record");
        const ShardFile& first = files.empty() ? f : files.front();
        if (f.format != first.format)
            fail(path + ": " + format_name(f.format) + ", but " + first.path + " is " + format_name(first.format));
        if (!same_sweep(f.meta, first.meta))
            fail(path + ": from another sweep than " + first.path + " (sweep " + f.meta.sweep + ", not " + first.meta.sweep + ")");
        if (f.meta.shards != first.meta.shards)
            fail(path + ": shard " + shard_name(f.meta) + ", but " + first.path + " is shard " + shard_name(first.meta) +
                 ": the same sweep split two ways");
        if (f.header != first.header) fail(path + ": its column names differ from " + first.path + "'s");
        for (const ShardFile& g : files)
            if (g.meta.shard == f.meta.shard)
                fail(path + (g.path == path ? ": given twice" : ": shard " + shard_name(f.meta) + " again (" + g.path + " is that shard too)"));
        files.push_back(std::move(f));
    }
    const int shards = files.front().meta.shards;
    std::string missing;
    int missing_count = 0;
    for (int s = 1; s <= shards; ++s) {
        const bool present = std::any_of(files.begin(), files.end(), [&](const ShardFile& f) { return f.meta.shard == s; });
        if (present) continue;
        ++missing_count;
        if (missing_count <= 10) missing += (missing.empty() ? "" : ", ") + std::to_string(s);
    }
    if (missing_count > 0)
        fail((missing_count == 1 ? "shard " + missing + " of " + std::to_string(shards) + " is missing"
                                 : std::to_string(missing_count) + " of " + std::to_string(shards) + " shards are missing (" +
                                       missing + (missing_count > 10 ? ", ..." : "") + ")") +
             "; the whole sweep needs every one");
    std::sort(files.begin(), files.end(), [](const ShardFile& a, const ShardFile& b) { return a.meta.shard < b.meta.shard; });
    return files;
}

void for_each_row(const std::vector<ShardFile>& shards, bool want_points,
                  const std::function<void(const std::string&, const HeatmapPoint*)>& row) {
    for (const ShardFile& f : shards) {
        const auto [begin, end] = analysis::shard_range(f.meta.points, f.meta.shard, f.meta.shards);
        LineReader in(f.path);
        std::string line;
        for (int skip = f.format == SweepFormat::csv ? 2 : 1; skip > 0; --skip) in.next(line);
        int64_t expected = begin;
        while (in.next(line)) {  // bounded by the file
            const ParsedRow parsed = f.format == SweepFormat::csv ? parse_csv_row(line, f, want_points, in.where())
                                                                  : parse_jsonl_row(line, want_points, in.where());
            if (parsed.point != expected)
                fail(in.where() + ": point " + std::to_string(parsed.point) + " where shard " + shard_name(f.meta) +
                     " has point " + (expected < end ? std::to_string(expected) : "none (it ends at " + std::to_string(end - 1) + ")"));
            ++expected;
            row(line, parsed.heat ? &*parsed.heat : nullptr);
        }
        if (expected != end)
            fail(f.path + ": shard " + shard_name(f.meta) + " ends after " + std::to_string(expected - begin) + " of its " +
                 std::to_string(end - begin) + " points (cut short?)");
    }
}

}  // namespace tcpsim::views
