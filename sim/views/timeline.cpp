// The timeline: queue levels and each thread's bytes over simulated time, with the long idle
// stretches collapsed into marked gaps, and the instants a reader looks for marked.
#include <algorithm>
#include <array>
#include <functional>
#include <sstream>

#include "core/check.hpp"
#include "text/format.hpp"
#include "views/pictures.hpp"
#include "views/svg.hpp"

namespace tcpsim::views {

namespace {

using svg::esc;
using svg::px;
using svg::text_el;
using text::format_duration;

constexpr double kTimelineWidthPx = 900;
constexpr double kLeftPx = 90;
constexpr double kPlotWidthPx = 640;
constexpr int kMaxByteTicks = 8;
constexpr int64_t kMaxPointsPerLine = 1500;
constexpr int64_t kPointsPerColumn = 4;   // H to the column, then V to its min, max and last value
constexpr int64_t kEndPointsPerLine = 2;  // the M that starts a line and the H that ends it
constexpr double kLegendRowPx = 20;
// The first four are the two-host figure's; more sockets and queues take the rest in turn.
constexpr std::array<const char*, 10> kQueueColours = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
// Every queue series has a dash of its own among its neighbours, so two series at one level
// both show: the first four are solid, dashed, dotted and dash-dotted.
constexpr std::array<const char*, 5> kQueueDashes = {nullptr, "9 5", "2 4", "12 4 3 4", "1 7"};
constexpr std::array<const char*, 8> kThreadColours = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                                       "#8c564b", "#e377c2", "#17becf", "#bcbd22"};
constexpr const char* kReadDash = "7 4";
constexpr const char* kRuleColour = "#37474f";

// Lines drawn later are thinner, so identical series (both hosts of a symmetric scenario)
// still show every colour instead of the last one hiding the others.
constexpr std::array<double, 4> kLineWidthsPx = {6, 4, 2.5, 1.5};
double line_width_px(size_t index) { return kLineWidthsPx[std::min(index, kLineWidthsPx.size() - 1)]; }

// Queue series k: colour k mod 10, and a dash that differs from every other series of that
// colour (50 series, each a style of its own) and from its neighbours'.
const char* queue_colour(size_t k) { return kQueueColours[k % kQueueColours.size()]; }
const char* queue_dash(size_t k) { return kQueueDashes[(k % kQueueDashes.size() + k / kQueueColours.size()) % kQueueDashes.size()]; }

// ------------------------------------------------------------------ the time axis

// An idle stretch is collapsed when it would take at least this share of the axis left to the
// rest; at most kMaxGaps are, each kGapPx wide.
constexpr double kGapShare = 0.25;
constexpr size_t kMaxGaps = 4;
constexpr double kGapPx = 36;
constexpr double kTickSpacingPx = 80;  // about one time tick per this many pixels

struct Gap {
    int64_t from_ns, to_ns;
    double from_x, to_x;
};

// Simulated time mapped onto the plot's width: linear between breakpoints, the collapsed gaps
// each kGapPx wide and the busy stretches sharing the rest in proportion to their length.
struct TimeAxis {
    std::vector<std::pair<int64_t, double>> breaks;  // (t_ns, x), both increasing
    std::vector<Gap> gaps;
    std::vector<int64_t> ticks;
    std::vector<size_t> tick_stretch;  // per tick, the busy stretch it is in (0, 1, ...)
    int64_t end_ns = 0;

    double x_of(int64_t t_ns) const {
        if (t_ns <= breaks.front().first) return breaks.front().second;
        if (t_ns >= breaks.back().first) return breaks.back().second;
        const auto hi = std::upper_bound(breaks.begin(), breaks.end(), t_ns,
                                         [](int64_t t, const std::pair<int64_t, double>& b) { return t < b.first; });
        const auto lo = hi - 1;
        return lo->second + (hi->second - lo->second) * static_cast<double>(t_ns - lo->first) /
                                static_cast<double>(hi->first - lo->first);
    }
    // The contract with the page: [[t_ns,x],...], breakpoints in increasing order.
    std::string map_json() const {
        std::string out = "[";
        for (const auto& [t, x] : breaks) out += (out.size() > 1 ? ",[" : "[") + std::to_string(t) + "," + px(x) + "]";
        return out + "]";
    }
};

// The instants where something happens: a sample that differs from the one before (a level,
// a thread's bytes, the bytes in transit), every marked instant, the start and the end.
std::vector<int64_t> change_instants(const std::vector<Sample>& samples, const std::vector<int64_t>& marked, int64_t run_ns) {
    std::vector<int64_t> out{0, run_ns};
    for (size_t i = 1; i < samples.size(); ++i) {
        const Sample &a = samples[i - 1], &b = samples[i];
        if (a.queues != b.queues || a.written != b.written || a.read != b.read || a.in_transit != b.in_transit)
            out.push_back(b.time_ns);
    }
    out.insert(out.end(), marked.begin(), marked.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// Whether bytes are in transit through the stretch that starts at t_ns: the state of the last
// sample at or before it.
bool in_transit_from(const std::vector<Sample>& samples, int64_t t_ns) {
    const auto after = std::upper_bound(samples.begin(), samples.end(), t_ns,
                                        [](int64_t t, const Sample& s) { return t < s.time_ns; });
    return after != samples.begin() && std::prev(after)->in_transit > 0;
}

// The idle stretches to collapse: those with no byte in transit (a segment crossing a slow link
// is not idle, though no level changes), the longest first, while one takes kGapShare of the
// time not yet collapsed and leaves some time to draw.
std::vector<std::pair<int64_t, int64_t>> idle_stretches(const std::vector<int64_t>& instants, const std::vector<Sample>& samples) {
    std::vector<std::pair<int64_t, int64_t>> candidates;
    for (size_t i = 1; i < instants.size(); ++i)
        if (!in_transit_from(samples, instants[i - 1])) candidates.emplace_back(instants[i - 1], instants[i]);
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const auto& a, const auto& b) { return a.second - a.first > b.second - b.first; });
    int64_t left_ns = instants.back() - instants.front();
    std::vector<std::pair<int64_t, int64_t>> chosen;
    for (const auto& [from, to] : candidates) {
        const int64_t length = to - from;
        if (chosen.size() == kMaxGaps || length >= left_ns || static_cast<double>(length) < kGapShare * static_cast<double>(left_ns)) break;
        chosen.emplace_back(from, to);
        left_ns -= length;
    }
    std::sort(chosen.begin(), chosen.end());
    return chosen;
}

// Round ticks in each busy stretch, about one per kTickSpacingPx; a label that would touch
// the previous one is left out.
void add_ticks(TimeAxis& axis, const std::vector<std::pair<int64_t, int64_t>>& busy) {
    double last_right_px = -1e9;
    for (size_t stretch = 0; stretch < busy.size(); ++stretch) {
        const auto [from, to] = busy[stretch];
        const double width_px = axis.x_of(to) - axis.x_of(from);
        const int count = static_cast<int>(width_px / kTickSpacingPx) + 2;
        // A stretch of one instant between two gaps gets a tick only where that instant is round
        // (1 s, not 292.4 ms).
        const int64_t step = to > from ? svg::round_step(to - from, count) : svg::round_step(from, 11);
        for (int64_t t : svg::multiples_in(from, to, step)) {
            const double half_px = svg::text_width_px(format_duration(t), 11) / 2;
            if (axis.x_of(t) - half_px < last_right_px + 6) continue;
            axis.ticks.push_back(t);
            axis.tick_stretch.push_back(stretch);
            last_right_px = axis.x_of(t) + half_px;
        }
    }
}

TimeAxis time_axis_for(const std::vector<Sample>& samples, const std::vector<int64_t>& instants, int64_t run_ns, bool deadlock,
                       double x0, double width_px) {
    TimeAxis axis;
    const std::vector<std::pair<int64_t, int64_t>> idle = idle_stretches(instants, samples);
    int64_t idle_ns = 0;
    for (const auto& [from, to] : idle) idle_ns += to - from;
    const int64_t busy_ns = run_ns - idle_ns;
    // A deadlock's state lasts forever: a tail after the onset shows the lines staying flat and
    // keeps the onset marker off the frame's edge. A run where no time passed gets one
    // nanosecond, so its lines are drawn across.
    axis.end_ns = run_ns == 0 ? 1 : deadlock ? run_ns + std::max<int64_t>(busy_ns / 10, 1) : run_ns;
    const double busy_px = width_px - kGapPx * static_cast<double>(idle.size());
    const double px_per_ns = busy_px / static_cast<double>(axis.end_ns - idle_ns);
    std::vector<std::pair<int64_t, int64_t>> busy;
    int64_t t = 0;
    double x = x0;
    axis.breaks.emplace_back(0, x0);
    for (const auto& [from, to] : idle) {
        busy.emplace_back(t, from);
        x += px_per_ns * static_cast<double>(from - t);
        if (from > t) axis.breaks.emplace_back(from, x);
        axis.gaps.push_back({from, to, x, x + kGapPx});
        x += kGapPx;
        axis.breaks.emplace_back(to, x);
        t = to;
    }
    busy.emplace_back(t, axis.end_ns);
    if (axis.end_ns > t) axis.breaks.emplace_back(axis.end_ns, x0 + width_px);
    else axis.breaks.back().second = x0 + width_px;  // the run ends with a gap
    if (run_ns == 0) {
        axis.ticks = {0};
        axis.tick_stretch = {0};
    } else {
        add_ticks(axis, busy);
    }
    return axis;
}

// ------------------------------------------------------------------ panels

struct Panel {
    double x, y, w, h;
    const TimeAxis* axis;
    int64_t top_bytes = 1;
    double x_of(int64_t t_ns) const { return axis->x_of(t_ns); }
    // The top tick sits kHeadroomPx below the frame, so a full queue's line stays off the edge.
    static constexpr double kHeadroomPx = 10;
    double y_of(int64_t bytes) const {
        return y + h - (h - kHeadroomPx) * static_cast<double>(bytes) / static_cast<double>(std::max<int64_t>(top_bytes, 1));
    }
};

using ValueOf = std::function<int64_t(const Sample&)>;

// One series as a step line. Samples falling in the same pixel column collapse to a vertical
// stroke over their min..max ending at the last value: at most kMaxPointsPerLine points,
// and no step, however brief, disappears.
std::string step_path(const std::vector<Sample>& samples, const ValueOf& value_of, const Panel& p) {
    const int64_t budget_columns = (kMaxPointsPerLine - kEndPointsPerLine) / kPointsPerColumn;
    const int64_t columns = std::max<int64_t>(1, std::min(static_cast<int64_t>(p.w), budget_columns));
    auto column_of = [&](int64_t t_ns) {
        return std::clamp<int64_t>(static_cast<int64_t>((p.x_of(t_ns) - p.x) / p.w * static_cast<double>(columns)), 0, columns - 1);
    };
    int64_t current = value_of(samples.front());
    std::ostringstream d;
    d << "M" << px(p.x_of(samples.front().time_ns)) << " " << px(p.y_of(current));
    for (size_t i = 1; i < samples.size();) {
        const int64_t column = column_of(samples[i].time_ns);
        const double x = p.x_of(samples[i].time_ns);
        int64_t lo = current, hi = current, last = current;
        for (; i < samples.size() && column_of(samples[i].time_ns) == column; ++i) {
            last = value_of(samples[i]);
            lo = std::min(lo, last);
            hi = std::max(hi, last);
        }
        if (lo == current && hi == current) continue;
        d << " H" << px(x);
        for (int64_t v : {lo, hi, last}) {
            if (v == current) continue;
            d << " V" << px(p.y_of(v));
            current = v;
        }
    }
    d << " H" << px(p.x + p.w);
    return d.str();
}

std::string dash_attr(const char* dash) { return dash != nullptr ? std::string(" stroke-dasharray=\"") + dash + "\"" : ""; }

std::string path_el(const std::string& d, const char* colour, double width_px, const char* dash, const std::string& series) {
    return "<path data-series=\"" + esc(series) + "\" d=\"" + d + "\" fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"" +
           px(width_px) + "\" stroke-linejoin=\"round\"" + dash_attr(dash) + "/>\n";
}

std::string legend_entry(double x, double y, const char* colour, double width_px, const char* dash, const std::string& label) {
    std::ostringstream out;
    out << "<line x1=\"" << px(x) << "\" y1=\"" << px(y - 4) << "\" x2=\"" << px(x + 26) << "\" y2=\"" << px(y - 4)
        << "\" stroke=\"" << colour << "\" stroke-width=\"" << px(width_px) << "\"" << dash_attr(dash) << "/>\n"
        << text_el(x + 32, y, label, 12, kTimelineWidthPx - x - 38);
    return out.str();
}

// Grid, y tick labels, the collapsed gaps' bands, outline and titles of one panel.
std::string panel_frame(const Panel& p, const svg::Ticks& y_ticks, const std::string& title, const std::string& y_label) {
    std::ostringstream out;
    for (const Gap& g : p.axis->gaps)
        out << "<rect class=\"gap\" x=\"" << px(g.from_x) << "\" y=\"" << px(p.y) << "\" width=\"" << px(g.to_x - g.from_x)
            << "\" height=\"" << px(p.h) << "\" fill=\"#eceff1\"/>\n";
    for (int64_t v : y_ticks.values)
        out << "<line x1=\"" << px(p.x) << "\" y1=\"" << px(p.y_of(v)) << "\" x2=\"" << px(p.x + p.w) << "\" y2=\""
            << px(p.y_of(v)) << "\" stroke=\"#e0e0e0\"/>\n"
            << text_el(p.x - 6, p.y_of(v) + 4, text::format_size(v), 11, p.x - 30, "text-anchor=\"end\"", text::bytes(v));
    for (int64_t t : p.axis->ticks)
        out << "<line x1=\"" << px(p.x_of(t)) << "\" y1=\"" << px(p.y) << "\" x2=\"" << px(p.x_of(t)) << "\" y2=\""
            << px(p.y + p.h) << "\" stroke=\"#eeeeee\"/>\n";
    out << "<rect x=\"" << px(p.x) << "\" y=\"" << px(p.y) << "\" width=\"" << px(p.w) << "\" height=\"" << px(p.h)
        << "\" fill=\"none\" stroke=\"#616161\"/>\n"
        << text_el(p.x, p.y - 8, title, 13, p.w, "font-weight=\"bold\"")
        << "<text transform=\"translate(16," << px(p.y + p.h / 2) << ") rotate(-90)\" text-anchor=\"middle\">"
        << esc(y_label) << "</text>\n";
    return out.str();
}

// A break in the frame's top and bottom edges where a gap was collapsed: a zigzag in place of
// the straight line.
std::string gap_breaks(const Panel& p) {
    std::ostringstream out;
    for (const Gap& g : p.axis->gaps)
        for (const double y : {p.y, p.y + p.h}) {
            const double step = (g.to_x - g.from_x) / 4;
            out << "<line x1=\"" << px(g.from_x) << "\" y1=\"" << px(y) << "\" x2=\"" << px(g.to_x) << "\" y2=\"" << px(y)
                << "\" stroke=\"white\" stroke-width=\"3\"/>\n"
                << "<polyline class=\"gap-break\" points=\"" << px(g.from_x) << "," << px(y) << " " << px(g.from_x + step) << ","
                << px(y - 5) << " " << px(g.from_x + 3 * step) << "," << px(y + 5) << " " << px(g.to_x) << "," << px(y)
                << "\" fill=\"none\" stroke=\"#616161\" stroke-width=\"1.2\"/>\n";
        }
    return out.str();
}

std::string gap_words(const Gap& g) { return format_duration(g.to_ns - g.from_ns) + ", no byte moves"; }

// Each gap says what it stands for, written up its band in the top panel.
std::string gap_labels(const Panel& p) {
    std::ostringstream out;
    for (const Gap& g : p.axis->gaps) {
        const double x = (g.from_x + g.to_x) / 2 + 4, y = p.y + p.h / 2;
        out << "<g class=\"gap-label\" data-from-ns=\"" << g.from_ns << "\" data-to-ns=\"" << g.to_ns << "\">"
            << "<text transform=\"translate(" << px(x) << "," << px(y) << ") rotate(-90)\" text-anchor=\"middle\" font-size=\""
            << px(std::min(12.0, 12.0 * (p.h - 12) / svg::text_width_px(gap_words(g), 12)))
            << "\" fill=\"#37474f\" stroke=\"#eceff1\" stroke-width=\"4\" paint-order=\"stroke\">"
            << esc(gap_words(g)) << "<title>" << esc("from " + format_duration(g.from_ns) + " to " + format_duration(g.to_ns) +
                                                     ": " + gap_words(g) + " (none queued, sent or read), drawn narrow")
            << "</title></text></g>\n";
    }
    return out.str();
}

// The tick labels: each tick's time; but where two ticks of one busy stretch would read alike
// (1 s, 1 s at 1.0002 s), the stretch's later ticks count from its first (+200 us).
std::vector<std::string> tick_labels(const TimeAxis& axis) {
    const std::vector<int64_t>& ticks = axis.ticks;
    std::vector<std::string> labels;
    for (int64_t t : ticks) labels.push_back(format_duration(t));
    for (size_t first = 0; first < ticks.size();) {
        size_t end = first;
        bool alike = false;
        for (; end < ticks.size() && axis.tick_stretch[end] == axis.tick_stretch[first]; ++end)
            alike = alike || (end > first && labels[end] == labels[end - 1]);
        for (size_t k = first + 1; alike && k < end; ++k) labels[k] = "+" + format_duration(ticks[k] - ticks[first]);
        first = end;
    }
    return labels;
}

// Round time ticks under the bottom panel.
std::string time_axis(const Panel& p, bool zero_length) {
    std::ostringstream out;
    const double base = p.y + p.h;
    const std::vector<std::string> labels = tick_labels(*p.axis);
    for (size_t i = 0; i < p.axis->ticks.size(); ++i) {
        const double x = p.x_of(p.axis->ticks[i]);
        out << "<line x1=\"" << px(x) << "\" y1=\"" << px(base) << "\" x2=\"" << px(x) << "\" y2=\"" << px(base + 5)
            << "\" stroke=\"#616161\"/>\n"
            << "<text class=\"xtick\" data-t-ns=\"" << p.axis->ticks[i] << "\" data-stretch=\"" << p.axis->tick_stretch[i] << "\" x=\"" << px(x) << "\" y=\"" << px(base + 18)
            << "\" font-size=\"11\" text-anchor=\"middle\">" << esc(labels[i]) << "</text>\n";
    }
    const std::string caption = zero_length              ? "simulated time: everything happened at 0 ns"
                                : p.axis->gaps.empty() ? "simulated time"
                                                       : "simulated time (grey bands: idle stretches drawn narrow)";
    out << text_el(p.x + p.w / 2, base + 40, caption, 12, p.w, "text-anchor=\"middle\"");
    return out.str();
}

int64_t max_over(const std::vector<Sample>& samples, const ValueOf& value_of) {
    int64_t hi = 0;
    for (const Sample& s : samples) hi = std::max(hi, value_of(s));
    return hi;
}

// Occupancy of every queue. The axis follows the data, not the capacities: a linux
// profile's 300 KiB capacity would flatten a 32-byte exchange to nothing.
std::string queue_panel(const std::vector<Sample>& samples, const std::vector<std::string>& labels, Panel p) {
    int64_t hi = 0;
    std::vector<ValueOf> series;
    for (size_t k = 0; k < labels.size(); ++k) {
        series.push_back([k](const Sample& s) { return s.queues[k]; });
        hi = std::max(hi, max_over(samples, series.back()));
    }
    const svg::Ticks ticks = svg::byte_ticks(hi, kMaxByteTicks);
    p.top_bytes = ticks.top;
    std::string out = panel_frame(p, ticks, "Queue occupancy", "bytes in queue");
    for (size_t k = 0; k < labels.size(); ++k) {
        out += path_el(step_path(samples, series[k], p), queue_colour(k), line_width_px(k), queue_dash(k), labels[k]);
        out += legend_entry(p.x + p.w + 16, p.y + 14 + kLegendRowPx * static_cast<double>(k), queue_colour(k), line_width_px(k),
                            queue_dash(k), labels[k]);
    }
    // Over the lines, which are flat there: nothing moves in a gap.
    return out + gap_labels(p) + gap_breaks(p);
}

// Cumulative bytes per thread: written solid, read dashed, one colour per thread.
std::string bytes_panel(const std::vector<Sample>& samples, const std::vector<std::string>& labels, Panel p) {
    int64_t hi = 0;
    for (size_t k = 0; k < labels.size(); ++k) {
        hi = std::max(hi, max_over(samples, [k](const Sample& s) { return s.written[k]; }));
        hi = std::max(hi, max_over(samples, [k](const Sample& s) { return s.read[k]; }));
    }
    const svg::Ticks ticks = svg::byte_ticks(hi, kMaxByteTicks);
    p.top_bytes = ticks.top;
    std::string out = panel_frame(p, ticks, "Bytes each thread has written (solid) and read (dashed)", "bytes, cumulative");
    const double legend_x = p.x + p.w + 16;
    for (size_t k = 0; k < labels.size(); ++k) {
        const char* colour = kThreadColours[k % kThreadColours.size()];
        out += path_el(step_path(samples, [k](const Sample& s) { return s.written[k]; }, p), colour, line_width_px(k), nullptr,
                       labels[k] + " written");
        out += path_el(step_path(samples, [k](const Sample& s) { return s.read[k]; }, p), colour, line_width_px(k), kReadDash,
                       labels[k] + " read");
        out += legend_entry(legend_x, p.y + 14 + kLegendRowPx * static_cast<double>(k), colour, line_width_px(k), nullptr,
                            labels[k]);
    }
    const double style_y = p.y + 24 + kLegendRowPx * static_cast<double>(labels.size());
    out += legend_entry(legend_x, style_y, "#616161", 2, nullptr, "written");
    out += legend_entry(legend_x, style_y + 20, "#616161", 2, kReadDash, "read");
    return out + gap_breaks(p);
}

// ------------------------------------------------------------------ markers

// One marked instant: a thin line down both panels, its label in the band between them.
struct Marker {
    int64_t t_ns;
    std::string kind;  // "blocks", "returns", "rule": the line's class
    std::string label;
    std::string exact;  // the tooltip
    const char* colour;
    const char* dash;
};

std::vector<Marker> markers_of(const Recorder& recorder) {
    std::vector<Marker> out;
    for (const BlockedWrite& w : recorder.blocked_writes()) {
        const std::string& who = recorder.thread_labels()[w.thread];
        const char* colour = kThreadColours[w.thread % kThreadColours.size()];
        const std::string call = text::call_text(model::op_name(w.op), w.requested);
        out.push_back({w.blocked_ns, "blocks", who + ": " + call + " blocks", who + ": " + call + " first blocks at " + format_duration(w.blocked_ns),
                       colour, "4 3"});
        if (w.returned_ns >= 0)
            out.push_back({w.returned_ns, "returns", who + ": " + call + " returns",
                           who + ": " + call + " returns at " + format_duration(w.returned_ns) + ", " +
                               format_duration(w.returned_ns - w.blocked_ns) + " after it blocked",
                           colour, "4 3"});
        if (w.rule_read_ns >= 0)
            out.push_back({w.rule_read_ns, "rule", w.reader + " has read n-(SQS+RQS) = " + text::size_short(w.rule_bytes),
                           w.reader + "'s reads reach " + text::bytes(w.rule_read_bytes) + " at " + format_duration(w.rule_read_ns) +
                               ": what was written before " + call + ", plus n-(SQS+RQS) = " + text::grouped(w.requested) +
                               " - " + text::grouped(w.requested - w.rule_bytes) + " = " + text::bytes(w.rule_bytes) +
                               " of it. Only then can the write return.",
                           kRuleColour, "1 3"});
    }
    std::stable_sort(out.begin(), out.end(), [](const Marker& a, const Marker& b) { return a.t_ns < b.t_ns; });
    return out;
}

// Labels packed into rows, each label in the first row where it clears the one before it.
// Returns each marker's row and the number of rows.
std::pair<std::vector<size_t>, size_t> label_rows(const std::vector<Marker>& markers, const TimeAxis& axis, double right_px) {
    std::vector<double> row_end;
    std::vector<size_t> rows;
    for (const Marker& m : markers) {
        const double width = svg::text_width_px(m.label, 11);
        const double x = axis.x_of(m.t_ns);
        const double left = x + 4 + width > right_px ? x - 4 - width : x + 4;
        size_t row = 0;
        while (row < row_end.size() && row_end[row] + 8 > left) ++row;
        if (row == row_end.size()) row_end.push_back(0);
        row_end[row] = left + width;
        rows.push_back(row);
    }
    return {rows, row_end.size()};
}

constexpr double kMarkerRowPx = 16;

// Every marker's line first, then every label over them, each on a white halo so that no line
// runs through its words.
std::string marker_els(const std::vector<Marker>& markers, const std::vector<size_t>& rows, const Panel& top,
                       const Panel& bottom, double band_y) {
    std::ostringstream lines, labels;
    for (size_t i = 0; i < markers.size(); ++i) {
        const Marker& m = markers[i];
        const double x = top.x_of(m.t_ns), label_y = band_y + kMarkerRowPx * static_cast<double>(rows[i] + 1) - 4;
        const bool left = x + 4 + svg::text_width_px(m.label, 11) > top.x + top.w;
        lines << "<line class=\"marker " << m.kind << "\" data-t-ns=\"" << m.t_ns << "\" x1=\"" << px(x) << "\" y1=\""
              << px(top.y) << "\" x2=\"" << px(x) << "\" y2=\"" << px(bottom.y + bottom.h) << "\" stroke=\"" << m.colour
              << "\" stroke-width=\"1.5\" stroke-dasharray=\"" << m.dash << "\"><title>" << esc(m.exact) << "</title></line>\n";
        labels << text_el(left ? x - 4 : x + 4, label_y, m.label, 11, top.w,
                          std::string("class=\"marker-label\" fill=\"") + m.colour +
                              "\" font-weight=\"bold\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\" text-anchor=\"" +
                              (left ? "end" : "start") + "\"",
                          m.exact);
    }
    return lines.str() + labels.str();
}

// The dashed line at the deadlock's onset, across both panels, labelled on the side with room.
std::string onset_marker(const core::Result& r, const Panel& top, const Panel& bottom, double label_y) {
    const double x = top.x_of(r.time_ns);
    const bool right_half = x > top.x + top.w / 2;
    std::ostringstream out;
    out << "<line class=\"onset\" data-t-ns=\"" << r.time_ns << "\" x1=\"" << px(x) << "\" y1=\"" << px(label_y + 6)
        << "\" x2=\"" << px(x) << "\" y2=\"" << px(bottom.y + bottom.h)
        << "\" stroke=\"#b71c1c\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n"
        << text_el(right_half ? x - 6 : x + 6, label_y, "deadlock onset, " + format_duration(r.time_ns), 12, top.w / 2,
                   std::string("font-weight=\"bold\" fill=\"#b71c1c\" text-anchor=\"") + (right_half ? "end" : "start") + "\"");
    return out.str();
}

// What the picture shows, in words, for a reader who cannot see it.
std::string timeline_desc(const TimeAxis& axis, const std::vector<Marker>& markers, const core::Result& r, int64_t run_ns,
                          const Recorder& recorder) {
    std::string out = "Two panels over " + format_duration(run_ns) +
                      " of simulated time: the level of every queue, and the bytes each thread has written and read.";
    for (const Gap& g : axis.gaps)
        out += " From " + format_duration(g.from_ns) + " to " + format_duration(g.to_ns) + ", " + gap_words(g) + ": drawn narrow.";
    for (const Marker& m : markers) out += " " + m.label + " at " + format_duration(m.t_ns) + ".";
    for (size_t k = 0; k < recorder.thread_labels().size(); ++k) {
        const size_t kept = static_cast<size_t>(std::count_if(recorder.blocked_writes().begin(), recorder.blocked_writes().end(),
                                                              [k](const BlockedWrite& w) { return w.thread == k; }));
        const int64_t more = recorder.blocked_write_counts()[k] - static_cast<int64_t>(kept);
        if (more > 0)
            out += " " + recorder.thread_labels()[k] + ": " + text::count(more, "more write", "more writes") +
                   " blocked, not marked.";
    }
    if (r.outcome == core::Outcome::deadlock) out += " The deadlock sets in at " + format_duration(r.time_ns) + ".";
    return out;
}

}  // namespace

std::string timeline_svg(const Recorder& recorder, const core::Result& result, const std::string& title) {
    const std::vector<Sample>& samples = recorder.samples();
    const int64_t run_ns = std::max(samples.back().time_ns, result.time_ns);
    const bool deadlock = result.outcome == core::Outcome::deadlock;
    const std::vector<Marker> markers = markers_of(recorder);
    std::vector<int64_t> marked{result.time_ns};
    for (const Marker& m : markers) marked.push_back(m.t_ns);
    const TimeAxis axis = time_axis_for(samples, change_instants(samples, marked, run_ns), run_ns, deadlock, kLeftPx, kPlotWidthPx);
    TCPSIM_CHECK(axis.breaks.size() >= 2);

    static constexpr double kMinPanelHeightPx = 190;
    // Each panel tall enough for its legend: one row per series (the bytes panel adds two for
    // the line styles).
    const auto height_for = [](size_t legend_rows) {
        return std::max(kMinPanelHeightPx, 30 + kLegendRowPx * static_cast<double>(legend_rows));
    };
    const Panel top{kLeftPx, 84, kPlotWidthPx, height_for(recorder.queue_labels().size()), &axis};
    const auto [rows, row_count] = label_rows(markers, axis, kLeftPx + kPlotWidthPx);
    const double band_y = top.y + top.h + 4;
    const double band_h = kMarkerRowPx * static_cast<double>(row_count);
    const Panel bottom{kLeftPx, band_y + band_h + 42, kPlotWidthPx, height_for(recorder.thread_labels().size() + 2), &axis};
    const double height_px = bottom.y + bottom.h + 56;

    const std::string root_attrs = "data-time-map='" + axis.map_json() + "' data-plot-top=\"" + px(top.y) +
                                   "\" data-plot-bottom=\"" + px(bottom.y + bottom.h) + "\"";
    std::ostringstream svg;
    svg << svg::open(kTimelineWidthPx, height_px, "timeline", title + ": queues and bytes over time. " + verdict_text(result),
                     timeline_desc(axis, markers, result, run_ns, recorder), root_attrs)
        << text_el(20, 26, title, 17, kTimelineWidthPx - 40, "font-weight=\"bold\"")
        << queue_panel(samples, recorder.queue_labels(), top) << bytes_panel(samples, recorder.thread_labels(), bottom)
        << time_axis(bottom, run_ns == 0) << marker_els(markers, rows, top, bottom, band_y);
    if (deadlock) svg << onset_marker(result, top, bottom, 52);
    svg << "</svg>\n";
    return svg.str();
}

}  // namespace tcpsim::views
