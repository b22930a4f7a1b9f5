#include "views/pictures.hpp"

#include <algorithm>
#include <array>
#include <sstream>

#include "text/format.hpp"
#include "views/names.hpp"
#include "views/svg.hpp"

namespace tcpsim::views {

using svg::esc;
using svg::px;
using svg::text_el;
using text::bytes;
using text::format_duration;
using text::grouped;
using text::size_short;

std::string verdict_text(const core::Result& r) {
    if (r.outcome == core::Outcome::deadlock)
        return "DEADLOCK since " + format_duration(r.time_ns) + ": every unfinished thread is blocked for good";
    if (r.outcome == core::Outcome::completed)
        return "COMPLETED at " + format_duration(r.time_ns) + ": every thread finished" + core::failures_in_words(r);
    if (r.outcome == core::Outcome::stopped)
        return "STOPPED where asked, at " + format_duration(r.time_ns) + ": the state then; the run had not ended" +
               core::failures_in_words(r);
    return "LIMIT: stopped by the " + std::string(core::to_string(r.limit_reason)) + " limit at " + format_duration(r.time_ns) + core::failures_in_words(r);
}

const char* outcome_colour(core::Outcome outcome) {
    if (outcome == core::Outcome::deadlock) return "#b71c1c";
    if (outcome == core::Outcome::completed) return "#1b5e20";
    if (outcome == core::Outcome::stopped) return "#37474f";
    return "#8d6e00";
}

// ------------------------------------------------------------------ figure

namespace {

constexpr double kFigureWidthPx = 900;
constexpr double kFigureMarginPx = 20;
constexpr double kHostWidthPx = 340;
constexpr double kHostPadPx = 20;
constexpr double kInnerWidthPx = kHostWidthPx - 2 * kHostPadPx;
constexpr double kQueueRowPx = 62;
constexpr double kBarHeightPx = 24;
constexpr double kQueueNameWidthPx = 60;  // "SendQ" in bold, then the numbers
constexpr double kLinePx = 15;            // one line of a thread's text
constexpr double kThreadGapPx = 8;        // between two threads
constexpr const char* kFullColour = "#c62828";
constexpr const char* kPartColour = "#64b5f6";
constexpr const char* kHeldColour = "#9e9e9e";  // read bytes a partly read skb still holds

double host_x(int e) { return e == 0 ? kFigureMarginPx : kFigureWidthPx - kFigureMarginPx - kHostWidthPx; }

// How far a blocked thread's op has come, in short sizes: "1,000 B of 1,500 B in, 500 B left".
// "" for an op with no bytes to count (sleep).
std::string op_progress(const core::BlockedIn& b) {
    const std::string n = size_short(b.requested), done = size_short(b.done), left = size_short(b.requested - b.done);
    if (model::is_write(b.op)) return done + " of " + n + " in, " + left + " left";
    if (b.op == model::OpKind::read_exact) return done + " of " + n + " read, " + left + " left";
    if (b.op == model::OpKind::read) return "waits for data, " + done + " read";
    if (b.op == model::OpKind::read_to_end) return "waits for data or EOF, " + done + " read";
    if (b.op == model::OpKind::event_loop) return done + " of " + n + " written";
    return "";
}

// The same, exact to the byte, for the tooltip.
std::string op_exact(const core::BlockedIn& b) {
    if (b.op == model::OpKind::sleep) return "";
    return std::string(model::op_name(b.op)) + "(" + grouped(b.requested) + " bytes): " + grouped(b.done) + " done";
}

// One line of a host's text. Every host's lines of a kind share one size: a line too long
// for its box is wrapped, never shrunk.
struct TextLine {
    std::string text;
    double font_px;
    std::string attrs;
    std::string exact;
};

void add_wrapped(std::vector<TextLine>& lines, const std::string& s, double font_px, double width_px, const std::string& attrs,
                 const std::string& exact = "") {
    for (const std::string& line : svg::wrap(s, font_px, width_px, attrs.find("bold") != std::string::npos))
        lines.push_back({line, font_px, attrs, exact});
}

// A thread as lines: its state; its totals; the call it is in, with what it acts on; the
// call's progress (or its error).
std::vector<TextLine> thread_text(const core::ThreadReport& t, double width_px) {
    const bool stuck = t.state == core::ThreadState::blocked || t.state == core::ThreadState::failed;
    std::vector<TextLine> lines;
    add_wrapped(lines, t.name + ": " + core::to_string(t.state), 13, width_px,
                stuck ? "font-weight=\"bold\" fill=\"#b71c1c\"" : "font-weight=\"bold\"");
    add_wrapped(lines, "wrote " + size_short(t.bytes_written) + ", read " + size_short(t.bytes_read), 12, width_px,
                "fill=\"#424242\"", "wrote " + bytes(t.bytes_written) + ", read " + bytes(t.bytes_read));
    if (!t.error.empty()) {
        add_wrapped(lines, t.error, 12, width_px, "");
        return lines;
    }
    if (!t.blocked_in) return lines;
    const core::BlockedIn& b = *t.blocked_in;
    const std::string call = text::call_text(model::op_name(b.op), b.requested, b.duration_ns);
    add_wrapped(lines, call + (b.on.empty() ? "" : " " + b.on), 12, width_px, "", op_exact(b));
    if (const std::string progress = op_progress(b); !progress.empty())
        add_wrapped(lines, progress, 12, width_px, "fill=\"#424242\"", op_exact(b));
    return lines;
}

std::vector<const core::ThreadReport*> threads_of(const core::Result& r, const std::string& endpoint) {
    std::vector<const core::ThreadReport*> out;
    for (const core::ThreadReport& t : r.threads)
        if (t.endpoint == endpoint) out.push_back(&t);
    return out;
}

double threads_height_px(const std::vector<const core::ThreadReport*>& threads, double width_px) {
    double h = 0;
    for (const core::ThreadReport* t : threads) h += kLinePx * static_cast<double>(thread_text(*t, width_px).size()) + kThreadGapPx;
    return h;
}

// The box "application" with every thread of one endpoint, one below the other.
std::string app_box(const std::vector<const core::ThreadReport*>& threads, double x, double y, double width_px, double height_px) {
    std::ostringstream out;
    out << "<rect x=\"" << px(x) << "\" y=\"" << px(y) << "\" width=\"" << px(width_px) << "\" height=\"" << px(height_px)
        << "\" rx=\"4\" fill=\"#f5f5f5\" stroke=\"#9e9e9e\"/>\n"
        << text_el(x + 8, y + 15, "application", 11, width_px, "fill=\"#616161\"");
    double line_y = y + 34;
    for (const core::ThreadReport* t : threads) {
        for (const TextLine& line : thread_text(*t, width_px - 16)) {
            out << text_el(x + 8, line_y, line.text, line.font_px, width_px - 16, line.attrs, line.exact);
            line_y += kLinePx;
        }
        line_y += kThreadGapPx;
    }
    return out.str();
}

// The app box's height for the host with the most text, so every host's boxes line up.
double app_height_px(const core::Result& r, const std::vector<std::string>& endpoints, double width_px) {
    double most = kLinePx;
    for (const std::string& e : endpoints) most = std::max(most, threads_height_px(threads_of(r, e), width_px - 16));
    return 26 + most;
}

// Which sockets (Result::queues order) have a thread blocked writing into them.
std::vector<bool> writer_blocked(const model::Scenario& s, const core::Result& r) {
    std::vector<bool> out(r.queues.size(), false);
    for (const core::ThreadReport& t : r.threads) {
        if (t.state != core::ThreadState::blocked || !t.blocked_in || !model::is_write(t.blocked_in->op)) continue;
        for (size_t e = 0; e < s.endpoints.size(); ++e) {
            if (s.endpoints[e].name != t.endpoint) continue;
            const model::Channel& c = s.endpoints[e].channels[static_cast<size_t>(t.blocked_in->channel)];
            if (c.kind == model::Channel::Kind::socket)
                out[static_cast<size_t>(ChannelNames::socket_of(s, c.index, static_cast<int>(e)))] = true;
        }
    }
    return out;
}

// One queue's bar and what it holds.
struct QueueLevel {
    std::string key;  // as the Recorder and the report name it: "A.SendQ", "stdin"
    int64_t used = 0, capacity = 0;
    int64_t held = 0;  // a linux RecvQ: space taken by bytes already read from a partly read skb
    // A SendQ a writer is blocked on. In linux the kernel counts each skb's overhead against the
    // buffer (sk_wmem_queued), so the payload alone stays below the capacity: full all the same.
    bool writer_blocked = false;
};

// A queue as a bar filled to its level: a full queue in the strong colour, labelled. The <g>
// carries the queue's name and level for a browser test or script to read.
std::string queue_bar(double x, double y, const std::string& name, const QueueLevel& q, double width_px = kInnerWidthPx,
                      double name_width_px = kQueueNameWidthPx) {
    const bool full = q.capacity > 0 && q.used + q.held >= q.capacity;
    const bool drawn_full = full || q.writer_blocked;
    const auto fraction_of = [&q](int64_t b) {
        const double ratio = q.capacity > 0 ? static_cast<double>(b) / static_cast<double>(q.capacity) : 0.0;
        return std::clamp(ratio, 0.0, 1.0);
    };
    const double fraction = fraction_of(q.used);
    const double bar_y = y + 22;
    const std::string level = unbounded(q.capacity) ? size_short(q.used) + ", unbounded"
                              : q.held > 0 ? size_short(q.used) + " + " + size_short(q.held) + " held / " + size_short(q.capacity)
                                           : text::level_short(q.used, q.capacity);
    std::string exact = grouped(q.used) + (q.held > 0 ? " + " + grouped(q.held) + " held" : "") +
                        (unbounded(q.capacity) ? " bytes, no bound" : " of " + bytes(q.capacity));
    if (q.writer_blocked && !full)
        exact += "; its writer is blocked: the kernel counts each segment's overhead too, so it is full below its payload capacity";
    std::ostringstream out;
    out << "<g class=\"queue\" data-queue=\"" << esc(q.key) << "\" data-bytes=\"" << q.used << "\" data-capacity=\"" << q.capacity
        << "\"" << (q.held > 0 ? " data-held=\"" + std::to_string(q.held) + "\"" : "") << ">\n"
        << text_el(x, y + 14, name, 13, name_width_px, "font-weight=\"bold\"")
        << text_el(x + width_px, y + 14, level, 13, width_px - name_width_px, "text-anchor=\"end\"", exact)
        << "<rect x=\"" << px(x) << "\" y=\"" << px(bar_y) << "\" width=\"" << px(width_px * fraction) << "\" height=\""
        << px(kBarHeightPx) << "\" fill=\"" << (drawn_full ? kFullColour : kPartColour) << "\"/>\n";
    if (q.held > 0)
        out << "<rect x=\"" << px(x + width_px * fraction) << "\" y=\"" << px(bar_y) << "\" width=\""
            << px(width_px * std::min(fraction_of(q.held), 1.0 - fraction)) << "\" height=\"" << px(kBarHeightPx)
            << "\" fill=\"" << kHeldColour << "\"/>\n";
    out << "<rect x=\"" << px(x) << "\" y=\"" << px(bar_y) << "\" width=\"" << px(width_px) << "\" height=\""
        << px(kBarHeightPx) << "\" fill=\"none\" stroke=\"#424242\"/>\n";
    if (drawn_full)
        out << text_el(x + width_px / 2, bar_y + 17, full ? "FULL" : "full: writer blocked", 13, width_px,
                       "text-anchor=\"middle\" font-weight=\"bold\" fill=\"white\"");
    return out.str() + "</g>\n";
}

// Every socket's two queues and every byte queue, as the bars show them.
struct Levels {
    std::vector<QueueLevel> sendq, recvq;  // per socket, Result::queues order
    std::vector<QueueLevel> byte_queues;
};

Levels levels_of(const model::Scenario& s, const core::Result& r) {
    const ChannelNames names(s);
    const std::vector<bool> blocked = writer_blocked(s, r);
    Levels l;
    for (size_t i = 0; i < r.queues.size(); ++i) {
        const core::QueueReport& q = r.queues[i];
        l.sendq.push_back({names.sockets[i] + ".SendQ", q.sendq, q.sqs, 0, blocked[i]});
        l.recvq.push_back({names.sockets[i] + ".RecvQ", q.recvq, q.rqs, q.recvq_held, false});
    }
    for (size_t k = 0; k < r.byte_queues.size(); ++k)
        l.byte_queues.push_back({names.byte_queues[k], r.byte_queues[k].level, r.byte_queues[k].capacity, 0, false});
    return l;
}

// The figure's <desc>: every thread and queue in words, with exact bytes.
std::string figure_desc(const core::Result& r, const Levels& l) {
    std::string out;
    for (const core::ThreadReport& t : r.threads) {
        out += t.endpoint + "." + t.name + " is " + core::to_string(t.state);
        if (t.blocked_in && t.blocked_in->op != model::OpKind::sleep)
            out += " in " + text::call_text(model::op_name(t.blocked_in->op), t.blocked_in->requested) +
                   (t.blocked_in->on.empty() ? "" : " " + t.blocked_in->on) + " with " + bytes(t.blocked_in->done) + " done";
        out += "; it wrote " + bytes(t.bytes_written) + " and read " + bytes(t.bytes_read) + ". ";
    }
    const auto level_words = [](const QueueLevel& q) {
        return q.key + " holds " + grouped(q.used) + (unbounded(q.capacity) ? " bytes" : " of " + bytes(q.capacity)) +
               (q.held > 0 ? " and " + bytes(q.held) + " already read" : "") +
               (q.capacity > 0 && q.used + q.held >= q.capacity ? ", full" : q.writer_blocked ? ", its writer blocked" : "") + ". ";
    };
    for (size_t i = 0; i < r.queues.size(); ++i)
        out += level_words(l.sendq[i]) + level_words(l.recvq[i]) + r.queues[i].endpoint + " offers " + r.queues[i].peer +
               " a window of " + bytes(r.queues[i].window) + ". ";
    for (const QueueLevel& q : l.byte_queues) out += level_words(q);
    if (!out.empty()) out.pop_back();
    return out;
}

std::string figure_title(const std::string& title, const core::Result& r, bool two_hosts) {
    return title + ": " + (two_hosts ? "the two hosts" : "the hosts") + " when the run ended. " + verdict_text(r);
}

constexpr const char* kArrowDefs =
    "<defs><marker id=\"fig-arrowhead\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" "
    "markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#212121\"/></marker></defs>\n";

// Row 0 carries endpoints[0] -> endpoints[1], row 1 the reverse, so both arrows are straight:
// the left host shows SendQ above RecvQ, the right host RecvQ above SendQ.
double queue_row_y(double rows_top, int row) { return rows_top + row * kQueueRowPx; }

std::string host_queues(const Levels& l, int e, double rows_top) {
    const double x = host_x(e) + kHostPadPx;
    const auto i = static_cast<size_t>(e);
    return queue_bar(x, queue_row_y(rows_top, e), "SendQ", l.sendq[i]) + queue_bar(x, queue_row_y(rows_top, 1 - e), "RecvQ", l.recvq[i]);
}

std::string window_label(int64_t window) { return "window " + (window == 0 ? std::string("0") : size_short(window)); }

// The data path from sender's SendQ to the receiver's RecvQ, labelled with the window the
// receiver advertises: a zero window is what stops the flow.
std::string flow_arrow(const core::Result& r, int sender, double rows_top) {
    const double y = queue_row_y(rows_top, sender) + 22 + kBarHeightPx / 2;
    const double left = host_x(0) + kHostPadPx + kInnerWidthPx + 4, right = host_x(1) + kHostPadPx - 4;
    const double from = sender == 0 ? left : right, to = sender == 0 ? right : left;
    const int64_t window = r.queues[1 - sender].window;
    const double mid = (left + right) / 2, gap = right - left;
    std::ostringstream out;
    out << "<line x1=\"" << px(from) << "\" y1=\"" << px(y) << "\" x2=\"" << px(to) << "\" y2=\"" << px(y)
        << "\" stroke=\"#212121\" stroke-width=\"2\" marker-end=\"url(#fig-arrowhead)\"/>\n"
        << text_el(mid, y - 8, window_label(window), 13, gap,
                   window == 0 ? "text-anchor=\"middle\" font-weight=\"bold\" fill=\"#b71c1c\"" : "text-anchor=\"middle\"",
                   "window " + bytes(window))
        << text_el(mid, y + 18, r.queues[sender].endpoint + " \u2192 " + r.queues[1 - sender].endpoint + " data", 11, gap,
                   "text-anchor=\"middle\" fill=\"#616161\"");
    return out.str();
}

std::string host_box(const core::Result& r, const Levels& l, int e, double y, double app_height, double height_px) {
    const double x = host_x(e);
    std::ostringstream out;
    out << "<rect x=\"" << px(x) << "\" y=\"" << px(y) << "\" width=\"" << px(kHostWidthPx) << "\" height=\""
        << px(height_px) << "\" rx=\"8\" fill=\"#fafafa\" stroke=\"#212121\" stroke-width=\"1.5\"/>\n"
        << text_el(x + kHostPadPx, y + 24, "Host " + r.queues[e].endpoint, 16, kInnerWidthPx, "font-weight=\"bold\"")
        << app_box(threads_of(r, r.queues[e].endpoint), x + kHostPadPx, y + 36, kInnerWidthPx, app_height)
        << host_queues(l, e, y + 36 + app_height + 12);
    return out.str();
}

// The captions under a figure: what the bars and arrows mean, then, where the figure shows them,
// the two linux cases a bar's length alone would mislead on.
std::vector<std::string> captions(const Levels& l, bool two_hosts) {
    std::vector<std::string> out;
    if (two_hosts) {
        out.push_back("Bars: bytes queued / capacity, red when full. Arrows: where each SendQ drains, with the receiver's "
                      "advertised window.");
    } else {
        out.push_back("Bars: bytes queued / capacity, red when full.");
        out.push_back("Arrows: where each SendQ drains, with the receiver's advertised window; a pipe drains into its reader.");
    }
    const auto held = [](const QueueLevel& q) { return q.held > 0; };
    const auto blocked_below = [](const QueueLevel& q) { return q.writer_blocked && q.used + q.held < q.capacity; };
    if (std::any_of(l.recvq.begin(), l.recvq.end(), held))
        out.push_back("Grey: bytes already read, still taking space: the kernel frees an skb only once it is read to the end.");
    if (std::any_of(l.sendq.begin(), l.sendq.end(), blocked_below))
        out.push_back("Full, writer blocked: the kernel counts each skb's overhead against the send buffer too, so the "
                      "bytes queued stay below it.");
    return out;
}

constexpr double kCaptionLinePx = 14;

std::string caption_els(const std::vector<std::string>& lines, double height_px, double text_width) {
    std::string out;
    double y = height_px - 12 - kCaptionLinePx * static_cast<double>(lines.size() - 1);
    for (const std::string& line : lines) {
        out += text_el(kFigureMarginPx, y, line, 11, text_width, "fill=\"#616161\"");
        y += kCaptionLinePx;
    }
    return out;
}

std::string heading(const core::Result& r, const std::string& title, double text_width) {
    return text_el(kFigureMarginPx, 28, title, 17, text_width, "font-weight=\"bold\"") +
           text_el(kFigureMarginPx, 54, verdict_text(r), 14, text_width,
                   std::string("font-weight=\"bold\" fill=\"") + outcome_colour(r.outcome) + "\"");
}

std::string two_hosts_svg(const model::Scenario& s, const core::Result& result, const std::string& title) {
    const Levels levels = levels_of(s, result);
    const double app_height = app_height_px(result, {result.queues[0].endpoint, result.queues[1].endpoint}, kInnerWidthPx);
    const double host_top = 72;
    const double rows_top = host_top + 36 + app_height + 12;
    const double host_height_px = rows_top - host_top + 2 * kQueueRowPx + 4;
    const std::vector<std::string> caption_lines = captions(levels, true);
    const double height_px = host_top + host_height_px + 20 + kCaptionLinePx * static_cast<double>(caption_lines.size());
    const double text_width = kFigureWidthPx - 2 * kFigureMarginPx;
    std::ostringstream svg;
    svg << svg::open(kFigureWidthPx, height_px, "figure", figure_title(title, result, true), figure_desc(result, levels))
        << kArrowDefs << heading(result, title, text_width);
    for (int e = 0; e < 2; ++e) svg << host_box(result, levels, e, host_top, app_height, host_height_px);
    for (int sender = 0; sender < 2; ++sender) svg << flow_arrow(result, sender, rows_top);
    svg << caption_els(caption_lines, height_px, text_width) << "</svg>\n";
    return svg.str();
}

// ------------------------------------------------------------------ several hosts

// With several connections, or queues and pipes: the hosts side by side in host_order, each
// with its threads, then one row per connection and per queue or pipe, at the same height in
// every host, so each connection's two arrows and each pipe's arrow run straight across. A
// host not on a row leaves it empty; an arrow between hosts that are not neighbours crosses
// that empty space.

constexpr double kWideHostWidthPx = 300;
constexpr double kWideGapPx = 140;
constexpr double kWideInnerPx = kWideHostWidthPx - 2 * kHostPadPx;
constexpr double kRowHeadPx = 22;   // the row's title: "socket to server", "queue jobs"
constexpr double kRowGapPx = 10;
constexpr double kWideNamePx = 56;

struct Row {
    enum class Kind { connection, byte_queue } kind;
    int index;  // into Scenario::connections or byte_queues
    double y = 0;
    double height_px() const { return kRowHeadPx + (kind == Kind::connection ? 2 : 1) * kQueueRowPx; }
};

struct WideLayout {
    std::vector<int> order;   // endpoints, left to right
    std::vector<int> column;  // per endpoint: its place in order
    std::vector<Row> rows;
    double host_top = 72, rows_top = 0, host_height_px = 0, width_px = 0;
    double x_of(int e) const {
        return kFigureMarginPx + static_cast<double>(column[static_cast<size_t>(e)]) * (kWideHostWidthPx + kWideGapPx);
    }
    double inner_x(int e) const { return x_of(e) + kHostPadPx; }
};

WideLayout wide_layout(const model::Scenario& s, double app_height) {
    WideLayout l;
    l.order = host_order(s);
    l.column.assign(s.endpoints.size(), 0);
    for (size_t i = 0; i < l.order.size(); ++i) l.column[static_cast<size_t>(l.order[i])] = static_cast<int>(i);
    l.width_px = 2 * kFigureMarginPx + static_cast<double>(l.order.size()) * kWideHostWidthPx +
                 static_cast<double>(l.order.size() - 1) * kWideGapPx;
    l.rows_top = l.host_top + 36 + app_height + 12;
    double y = l.rows_top;
    for (size_t k = 0; k < s.connections.size(); ++k) l.rows.push_back({Row::Kind::connection, static_cast<int>(k)});
    for (size_t q = 0; q < s.byte_queues.size(); ++q) l.rows.push_back({Row::Kind::byte_queue, static_cast<int>(q)});
    for (Row& row : l.rows) {
        row.y = y;
        y += row.height_px() + kRowGapPx;
    }
    l.host_height_px = y - l.host_top;
    return l;
}

std::string wide_arrow(double from_x, double to_x, double y, const std::string& above, const std::string& above_exact,
                       bool above_alarm, const std::string& below) {
    // The labels sit in the gap next to the sender, where no host's text is.
    const double label_x = from_x < to_x ? from_x + kWideGapPx / 2 - 4 : from_x - kWideGapPx / 2 + 4;
    std::ostringstream out;
    out << "<line x1=\"" << px(from_x) << "\" y1=\"" << px(y) << "\" x2=\"" << px(to_x) << "\" y2=\"" << px(y)
        << "\" stroke=\"#212121\" stroke-width=\"2\" marker-end=\"url(#fig-arrowhead)\"/>\n"
        << text_el(label_x, y - 8, above, 12, kWideGapPx - 12,
                   above_alarm ? "text-anchor=\"middle\" font-weight=\"bold\" fill=\"#b71c1c\"" : "text-anchor=\"middle\"",
                   above_exact)
        << text_el(label_x, y + 17, below, 11, kWideGapPx - 12, "text-anchor=\"middle\" fill=\"#616161\"");
    return out.str();
}

// A connection's row: in each of its two hosts a SendQ and a RecvQ bar, the left host's SendQ
// level with the right host's RecvQ, and the two arrows between them.
std::string connection_row(const model::Scenario& s, const core::Result& r, const Levels& levels, const WideLayout& l,
                           const Row& row) {
    const model::Connection& c = s.connections[static_cast<size_t>(row.index)];
    const bool first_left = l.column[static_cast<size_t>(c.ends[0])] < l.column[static_cast<size_t>(c.ends[1])];
    const int left = first_left ? c.ends[0] : c.ends[1], right = first_left ? c.ends[1] : c.ends[0];
    const size_t left_socket = static_cast<size_t>(ChannelNames::socket_of(s, row.index, left));
    const size_t right_socket = static_cast<size_t>(ChannelNames::socket_of(s, row.index, right));
    const double bars_y = row.y + kRowHeadPx;
    std::ostringstream out;
    for (const int e : {left, right}) {
        const size_t socket = e == left ? left_socket : right_socket;
        const double x = l.inner_x(e);
        const int send_row = e == left ? 0 : 1;
        out << text_el(x, row.y + 14, "socket to " + r.queues[socket].peer, 13, kWideInnerPx, "font-weight=\"bold\" fill=\"#37474f\"")
            << queue_bar(x, bars_y + send_row * kQueueRowPx, "SendQ", levels.sendq[socket], kWideInnerPx, kWideNamePx)
            << queue_bar(x, bars_y + (1 - send_row) * kQueueRowPx, "RecvQ", levels.recvq[socket], kWideInnerPx, kWideNamePx);
    }
    const double left_edge = l.inner_x(left) + kWideInnerPx + 4, right_edge = l.inner_x(right) - 4;
    const double mid_offset = 22 + kBarHeightPx / 2;
    const std::array<size_t, 2> senders{left_socket, right_socket};
    for (int k = 0; k < 2; ++k) {
        const core::QueueReport& from = r.queues[senders[static_cast<size_t>(k)]];
        const core::QueueReport& to = r.queues[senders[static_cast<size_t>(1 - k)]];
        const double y = bars_y + k * kQueueRowPx + mid_offset;
        out << wide_arrow(k == 0 ? left_edge : right_edge, k == 0 ? right_edge : left_edge, y, window_label(to.window),
                          "window " + bytes(to.window), to.window == 0, from.endpoint + " \u2192 " + to.endpoint);
    }
    return out.str();
}

// A queue's or pipe's row: the bar in its writer's host; a pipe's reader names it, and an
// arrow runs from the bar to the reader.
std::string byte_queue_row(const model::Scenario& s, const core::Result& r, const Levels& levels, const WideLayout& l,
                           const Row& row) {
    const model::ByteQueue& spec = s.byte_queues[static_cast<size_t>(row.index)];
    const core::ByteQueueReport& q = r.byte_queues[static_cast<size_t>(row.index)];
    const QueueLevel& level = levels.byte_queues[static_cast<size_t>(row.index)];
    const double x = l.inner_x(spec.writer);
    const std::string closed = q.writer_closed ? " (closed)" : "";
    std::ostringstream out;
    if (!spec.pipe) {
        out << text_el(x, row.y + 14, "queue " + spec.name + closed, 13, kWideInnerPx, "font-weight=\"bold\" fill=\"#37474f\"")
            << queue_bar(x, row.y + kRowHeadPx, "level", level, kWideInnerPx, kWideNamePx);
        return out.str();
    }
    const std::string& reader = s.endpoints[static_cast<size_t>(spec.reader)].name;
    const std::string& writer = s.endpoints[static_cast<size_t>(spec.writer)].name;
    out << text_el(x, row.y + 14, "pipe " + spec.name + " to " + reader + closed, 13, kWideInnerPx,
                   "font-weight=\"bold\" fill=\"#37474f\"")
        << queue_bar(x, row.y + kRowHeadPx, "level", level, kWideInnerPx, kWideNamePx);
    const double reader_x = l.inner_x(spec.reader);
    const double y = row.y + kRowHeadPx + 22 + kBarHeightPx / 2;
    out << text_el(reader_x, row.y + 14, "pipe " + spec.name + " from " + writer + (q.reader_closed ? " (closed)" : ""), 13,
                   kWideInnerPx, "font-weight=\"bold\" fill=\"#37474f\"")
        << text_el(reader_x, y + 4, "reads " + spec.name, 12, kWideInnerPx, "fill=\"#616161\"");
    const bool reader_right = l.column[static_cast<size_t>(spec.reader)] > l.column[static_cast<size_t>(spec.writer)];
    const double from_x = reader_right ? x + kWideInnerPx + 4 : x - 4;
    const double to_x = reader_right ? reader_x - 4 : reader_x + kWideInnerPx + 4;
    out << wide_arrow(from_x, to_x, y, "pipe " + spec.name, "", false, writer + " \u2192 " + reader);
    return out.str();
}

std::string several_hosts_svg(const model::Scenario& s, const core::Result& r, const std::string& title) {
    const Levels levels = levels_of(s, r);
    std::vector<std::string> names;
    for (const model::Endpoint& e : s.endpoints) names.push_back(e.name);
    const double app_height = app_height_px(r, names, kWideInnerPx);
    const WideLayout l = wide_layout(s, app_height);
    const std::vector<std::string> caption_lines = captions(levels, false);
    const double height_px = l.host_top + l.host_height_px + 20 + kCaptionLinePx * static_cast<double>(caption_lines.size());
    const double text_width = l.width_px - 2 * kFigureMarginPx;
    std::ostringstream svg;
    svg << svg::open(l.width_px, height_px, "figure", figure_title(title, r, false), figure_desc(r, levels)) << kArrowDefs
        << heading(r, title, text_width);
    for (const int e : l.order) {
        const std::string& name = s.endpoints[static_cast<size_t>(e)].name;
        svg << "<rect x=\"" << px(l.x_of(e)) << "\" y=\"" << px(l.host_top) << "\" width=\"" << px(kWideHostWidthPx)
            << "\" height=\"" << px(l.host_height_px) << "\" rx=\"8\" fill=\"#fafafa\" stroke=\"#212121\" stroke-width=\"1.5\"/>\n"
            << text_el(l.inner_x(e), l.host_top + 24, "Host " + name, 16, kWideInnerPx, "font-weight=\"bold\"")
            << app_box(threads_of(r, name), l.inner_x(e), l.host_top + 36, kWideInnerPx, app_height);
    }
    for (const Row& row : l.rows)
        svg << (row.kind == Row::Kind::connection ? connection_row(s, r, levels, l, row) : byte_queue_row(s, r, levels, l, row));
    svg << caption_els(caption_lines, height_px, text_width) << "</svg>\n";
    return svg.str();
}

}  // namespace

std::string figure_svg(const model::Scenario& scenario, const core::Result& result, const std::string& title) {
    if (ChannelNames(scenario).several) return several_hosts_svg(scenario, result, title);
    return two_hosts_svg(scenario, result, title);
}

// ------------------------------------------------------------------ HTML

namespace {

// Type for a projector and a phone alike; on paper, black on white with each picture whole.
constexpr const char* kPageStyle = R"(
:root { color-scheme: light; }
body { font-family: system-ui, "DejaVu Sans", sans-serif; font-size: clamp(17px, 1.05rem + 0.45vw, 24px); line-height: 1.45;
       max-width: 88rem; margin: 0 auto; padding: 1rem clamp(0.6rem, 3vw, 2.5rem); color: #1a1a1a; background: #ffffff; }
h1 { font-size: 1.9em; margin: 0.3em 0 0.2em; overflow-wrap: anywhere; }
h2 { font-size: 1.35em; margin-top: 1.6em; border-bottom: 2px solid #b0bec5; }
.verdict { font-size: 1.2em; font-weight: bold; color: #ffffff; padding: 0.5em 0.8em; border-radius: 6px; }
svg { width: 100%; height: auto; display: block; }
.cycle li, .off-cycle li, .rule li { margin: 0.35em 0; }
ol.steps { list-style: none; padding: 0; margin: 0; counter-reset: step; }
ol.steps li { display: grid; grid-template-columns: 2.6em 7em 1fr; column-gap: 0.7em; padding: 0.45em 0.2em;
              border-bottom: 1px solid #e0e0e0; counter-increment: step; }
ol.steps li::before { content: counter(step); color: #757575; text-align: right; }
ol.steps .t { font-variant-numeric: tabular-nums; text-align: right; white-space: nowrap; color: #37474f; font-weight: bold; }
ol.steps .what { overflow-wrap: anywhere; }
ol.steps .q { grid-column: 3; font-family: "DejaVu Sans Mono", monospace; font-size: 0.8em; color: #455a64; overflow-wrap: anywhere; }
ol.steps li.summary .what { font-style: italic; color: #546e7a; }
@media (max-width: 600px) { ol.steps li { grid-template-columns: 1.8em 5.2em 1fr; column-gap: 0.4em; }
                            ol.steps .q { grid-column: 2 / 4; } }
section.picture { break-inside: avoid; page-break-inside: avoid; }
@page { margin: 15mm; }
@media print {
  body { font-size: 11pt; max-width: none; margin: 0; padding: 0; color: #000000; background: #ffffff; }
  .verdict { background: none !important; color: #000000 !important; border: 2px solid currentColor; }
  h2 { break-after: avoid; page-break-after: avoid; }
  svg { max-width: 100%; break-inside: avoid; page-break-inside: avoid; }
  section.picture, ol.steps li { break-inside: avoid; page-break-inside: avoid; }
}
)";

std::string list_html(const char* tag, const char* css_class, const std::vector<std::string>& lines) {
    std::string out = std::string("<") + tag + " class=\"" + css_class + "\">\n";
    for (const std::string& line : lines) out += "<li>" + esc(line) + "</li>\n";
    return out + "</" + tag + ">\n";
}

// The steps in a list: the time in a column of its own, what happens, and the queue levels
// after it set apart below.
std::string steps_html(const std::vector<NarratedStep>& steps) {
    std::string out = "<ol class=\"steps\">\n";
    for (const NarratedStep& s : steps) {
        out += std::string("<li") + (s.summary ? " class=\"summary\"" : "") + "><span class=\"t\">" +
               esc(s.summary ? "" : format_duration(s.time_ns)) + "</span><span class=\"what\">" + esc(s.what) + "</span>";
        if (!s.queues.empty()) out += "<span class=\"q\">" + esc(s.queues) + "</span>";
        out += "</li>\n";
    }
    return out + "</ol>\n";
}

std::string section_html(const std::string& heading, const std::string& body, const char* css_class = "text") {
    return std::string("<section class=\"") + css_class + "\">\n<h2>" + esc(heading) + "</h2>\n" + body + "</section>\n";
}

}  // namespace

std::string html_page(const core::Result& result, const std::string& figure, const std::string& timeline,
                      const std::vector<NarratedStep>& steps, const std::vector<std::string>& rule_lines) {
    const std::string name = esc(result.scenario);
    const std::string verdict = esc(verdict_text(result));
    std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
                       name + ": " + verdict + " (tcpsim)</title>\n<style>" + kPageStyle + "</style>\n</head>\n<body>\n<h1>" +
                       name + "</h1>\n" + "<p class=\"verdict\" style=\"background: " + outcome_colour(result.outcome) +
                       "; color: #ffffff\">" + verdict + "</p>\n";
    const bool two_hosts = result.queues.size() == 2 && result.byte_queues.empty();
    page += section_html(two_hosts ? "The two hosts when the run ended" : "The hosts when the run ended", figure, "picture");
    page += section_html("Over time", timeline, "picture");
    // The threads off the cycle (blocked on it, or finished) follow it: they say why the rest stands still.
    page += section_html("Wait-for cycle", result.cycle.empty()
                                               ? std::string("<p>No wait-for cycle: no thread is blocked for good.</p>\n")
                                               : list_html("ol", "cycle", result.cycle) +
                                                     (result.off_cycle.empty() ? "" : list_html("ul", "off-cycle", result.off_cycle)));
    if (!steps.empty()) page += section_html("Step by step", steps_html(steps));
    if (!rule_lines.empty()) page += section_html("The rule", list_html("ul", "rule", rule_lines));
    return page + "</body>\n</html>\n";
}

}  // namespace tcpsim::views
