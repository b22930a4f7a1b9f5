#include "views/pictures.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <iomanip>
#include <sstream>

#include "text/format.hpp"
#include "views/names.hpp"

namespace tcpsim::views {

namespace {

using text::bytes;
using text::format_duration;
using text::format_size;
using text::grouped;
using text::size_short;

// ------------------------------------------------------------------ shared

// Escapes text and attribute values alike, for SVG (XML) and HTML.
std::string esc(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

// A coordinate with at most one decimal: exact enough at 900 px, and short.
std::string px(double v) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(1) << v;
    std::string s = out.str();
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
    return s == "-0" ? "0" : s;
}

// Predicts a line's width generously (DejaVu Sans digits are 0.64 em, 0.70 em in bold), to
// spot a line that would overflow its box.
constexpr double kCharWidthEm = 0.64;
constexpr double kBoldCharWidthEm = 0.70;

double fitted_font_px(double predicted_width_px, double font_px, double max_width_px) {
    return predicted_width_px > max_width_px ? font_px * max_width_px / predicted_width_px : font_px;
}

// One <text>, its font made smaller when the line would be wider than max_width_px, so long
// numbers stay inside their box. A smaller font rather than textLength: librsvg ignores
// textLength. `exact`, when given, is a <title> (the tooltip) with the exact bytes behind
// the short sizes the text shows.
std::string text_el(double x, double y, const std::string& s, double font_px, double max_width_px,
                    const std::string& attrs = "", const std::string& exact = "") {
    const double em = attrs.find("bold") != std::string::npos ? kBoldCharWidthEm : kCharWidthEm;
    const double predicted_px = static_cast<double>(s.size()) * em * font_px;
    std::ostringstream out;
    out << "<text x=\"" << px(x) << "\" y=\"" << px(y) << "\" font-size=\""
        << px(fitted_font_px(predicted_px, font_px, max_width_px)) << "\"";
    if (!attrs.empty()) out << " " << attrs;
    out << ">" << esc(s);
    if (!exact.empty()) out << "<title>" << esc(exact) << "</title>";
    out << "</text>\n";
    return out.str();
}

// The <title> names the picture for screen readers and as the file's tooltip.
std::string svg_open(double width_px, double height_px, const std::string& title) {
    std::ostringstream out;
    out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << px(width_px) << "\" height=\"" << px(height_px)
        << "\" viewBox=\"0 0 " << px(width_px) << " " << px(height_px)
        << "\" font-family=\"sans-serif\" font-size=\"12\">\n<title>" << esc(title) << "</title>\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    return out.str();
}

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

constexpr double kFigureWidthPx = 900;
constexpr double kFigureMarginPx = 20;
constexpr double kHostWidthPx = 340;
constexpr double kHostPadPx = 20;
constexpr double kInnerWidthPx = kHostWidthPx - 2 * kHostPadPx;
constexpr double kThreadBlockPx = 38;  // two lines per thread
constexpr double kQueueRowPx = 62;
constexpr double kBarHeightPx = 24;
constexpr double kQueueNameWidthPx = 60;  // "SendQ" in bold, then the numbers
constexpr const char* kFullColour = "#c62828";
constexpr const char* kPartColour = "#64b5f6";
constexpr const char* kHeldColour = "#9e9e9e";  // read bytes a partly read skb still holds

double host_x(int e) { return e == 0 ? kFigureMarginPx : kFigureWidthPx - kFigureMarginPx - kHostWidthPx; }

// What a blocked (or sleeping) thread is inside, with the progress the seeds talk about, in
// short sizes.
std::string op_text(const core::BlockedIn& b) {
    const std::string call = text::call_text(model::op_name(b.op), b.requested, b.duration_ns);
    const std::string n = size_short(b.requested), done = size_short(b.done), left = size_short(b.requested - b.done);
    if (model::is_write(b.op)) return call + ": " + done + " of " + n + " in, " + left + " left";
    if (b.op == model::OpKind::read_exact) return call + ": " + done + " of " + n + " read, " + left + " left";
    if (b.op == model::OpKind::read) return call + ": waits for data, " + done + " read";
    if (b.op == model::OpKind::read_to_end) return call + ": waits for data or EOF, " + done + " read";
    if (b.op == model::OpKind::event_loop) return call + ": " + done + " of " + n + " written";
    return call + " at " + b.at;
}

// The same, exact to the byte, for the tooltip.
std::string op_exact(const core::BlockedIn& b) {
    if (b.op == model::OpKind::sleep) return "";
    return std::string(model::op_name(b.op)) + "(" + grouped(b.requested) + " bytes): " + grouped(b.done) + " done";
}

std::vector<const core::ThreadReport*> threads_of(const core::Result& r, int e) {
    std::vector<const core::ThreadReport*> out;
    for (const core::ThreadReport& t : r.threads)
        if (t.endpoint == r.queues[e].endpoint) out.push_back(&t);
    return out;
}

// "main: blocked" in bold (red when stuck), then its totals in regular weight, on one line;
// below it, the op it is in or its error.
std::string thread_lines(const core::ThreadReport& t, double x, double y) {
    const bool stuck = t.state == core::ThreadState::blocked || t.state == core::ThreadState::failed;
    const std::string head = t.name + ": " + core::to_string(t.state);
    const std::string totals = "wrote " + size_short(t.bytes_written) + ", read " + size_short(t.bytes_read);
    constexpr double kFontPx = 13, kGapPx = 8;
    const double predicted_px = (static_cast<double>(head.size()) * kBoldCharWidthEm +
                                 static_cast<double>(totals.size()) * kCharWidthEm) * kFontPx + kGapPx;
    std::ostringstream out;
    out << "<text x=\"" << px(x) << "\" y=\"" << px(y) << "\" font-size=\""
        << px(fitted_font_px(predicted_px, kFontPx, kInnerWidthPx - 16)) << "\">"
        << "<tspan font-weight=\"bold\"" << (stuck ? " fill=\"#b71c1c\"" : "") << ">" << esc(head) << "</tspan>"
        << "<tspan dx=\"" << px(kGapPx) << "\" fill=\"#424242\">" << esc(totals) << "</tspan><title>"
        << esc("wrote " + bytes(t.bytes_written) + ", read " + bytes(t.bytes_read)) << "</title></text>\n";
    if (!t.error.empty()) out << text_el(x, y + 16, t.error, 12, kInnerWidthPx - 16);
    else if (t.blocked_in) out << text_el(x, y + 16, op_text(*t.blocked_in), 12, kInnerWidthPx - 16, "", op_exact(*t.blocked_in));
    return out.str();
}

std::string app_box(const core::Result& r, int e, double y, double height_px) {
    const double x = host_x(e) + kHostPadPx;
    std::ostringstream out;
    out << "<rect x=\"" << px(x) << "\" y=\"" << px(y) << "\" width=\"" << px(kInnerWidthPx) << "\" height=\""
        << px(height_px) << "\" rx=\"4\" fill=\"#f5f5f5\" stroke=\"#9e9e9e\"/>\n"
        << text_el(x + 8, y + 15, "application", 11, kInnerWidthPx, "fill=\"#616161\"");
    double line_y = y + 34;
    for (const core::ThreadReport* t : threads_of(r, e)) {
        out << thread_lines(*t, x + 8, line_y);
        line_y += kThreadBlockPx;
    }
    return out.str();
}

// A queue as a bar filled to its level: a full queue entirely in the strong colour. `held`
// (a RecvQ in linux) is space taken by bytes already read from a partly read skb: grey.
std::string queue_bar(double x, double y, const std::string& name, int64_t used, int64_t capacity, int64_t held = 0,
                      double width_px = kInnerWidthPx, double name_width_px = kQueueNameWidthPx) {
    const bool full = capacity > 0 && used + held >= capacity;
    const auto fraction_of = [capacity](int64_t bytes) {
        const double ratio = capacity > 0 ? static_cast<double>(bytes) / static_cast<double>(capacity) : 0.0;
        return std::clamp(ratio, 0.0, 1.0);
    };
    const double fraction = fraction_of(used);
    const double bar_y = y + 22;
    const std::string level = unbounded(capacity) ? size_short(used) + ", unbounded"
                              : held > 0 ? size_short(used) + " + " + size_short(held) + " held / " + size_short(capacity)
                                         : text::level_short(used, capacity);
    const std::string exact = grouped(used) + (held > 0 ? " + " + grouped(held) + " held" : "") +
                              (unbounded(capacity) ? " bytes, no bound" : " of " + bytes(capacity));
    std::ostringstream out;
    out << text_el(x, y + 14, name, 13, name_width_px, "font-weight=\"bold\"")
        << text_el(x + width_px, y + 14, level, 13, width_px - name_width_px, "text-anchor=\"end\"", exact)
        << "<rect x=\"" << px(x) << "\" y=\"" << px(bar_y) << "\" width=\"" << px(width_px * fraction)
        << "\" height=\"" << px(kBarHeightPx) << "\" fill=\"" << (full ? kFullColour : kPartColour) << "\"/>\n";
    if (held > 0)
        out << "<rect x=\"" << px(x + width_px * fraction) << "\" y=\"" << px(bar_y) << "\" width=\""
            << px(width_px * std::min(fraction_of(held), 1.0 - fraction)) << "\" height=\"" << px(kBarHeightPx)
            << "\" fill=\"" << kHeldColour << "\"/>\n";
    out << "<rect x=\"" << px(x) << "\" y=\"" << px(bar_y) << "\" width=\"" << px(width_px) << "\" height=\""
        << px(kBarHeightPx) << "\" fill=\"none\" stroke=\"#424242\"/>\n";
    if (full)
        out << text_el(x + width_px / 2, bar_y + 17, "FULL", 13, width_px,
                       "text-anchor=\"middle\" font-weight=\"bold\" fill=\"white\"");
    return out.str();
}

// Row 0 carries endpoints[0] -> endpoints[1], row 1 the reverse, so both arrows are straight:
// the left host shows SendQ above RecvQ, the right host RecvQ above SendQ.
double queue_row_y(double rows_top, int row) { return rows_top + row * kQueueRowPx; }

std::string host_queues(const core::QueueReport& q, int e, double rows_top) {
    const double x = host_x(e) + kHostPadPx;
    return queue_bar(x, queue_row_y(rows_top, e), "SendQ", q.sendq, q.sqs) +
           queue_bar(x, queue_row_y(rows_top, 1 - e), "RecvQ", q.recvq, q.rqs, q.recvq_held);
}

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
        << text_el(mid, y - 8, "window " + (window == 0 ? std::string("0") : size_short(window)), 13, gap,
                   window == 0 ? "text-anchor=\"middle\" font-weight=\"bold\" fill=\"#b71c1c\"" : "text-anchor=\"middle\"",
                   "window " + bytes(window))
        << text_el(mid, y + 18, r.queues[sender].endpoint + " \u2192 " + r.queues[1 - sender].endpoint + " data", 11, gap,
                   "text-anchor=\"middle\" fill=\"#616161\"");
    return out.str();
}

std::string host_box(const core::Result& r, int e, double y, double app_height_px, double height_px) {
    const double x = host_x(e);
    std::ostringstream out;
    out << "<rect x=\"" << px(x) << "\" y=\"" << px(y) << "\" width=\"" << px(kHostWidthPx) << "\" height=\""
        << px(height_px) << "\" rx=\"8\" fill=\"#fafafa\" stroke=\"#212121\" stroke-width=\"1.5\"/>\n"
        << text_el(x + kHostPadPx, y + 24, "Host " + r.queues[e].endpoint, 16, kInnerWidthPx, "font-weight=\"bold\"")
        << app_box(r, e, y + 36, app_height_px)
        << host_queues(r.queues[e], e, y + 36 + app_height_px + 12);
    return out.str();
}

// The last caption line of a figure whose RecvQs hold bytes already read (linux).
std::string held_caption(double height_px, double text_width) {
    return text_el(kFigureMarginPx, height_px - 12,
                   "Grey: bytes already read, still taking space: the kernel frees an skb only once it is read to the end.",
                   11, text_width, "fill=\"#616161\"");
}

std::string two_hosts_svg(const core::Result& result, const std::string& title) {
    const size_t most_threads = std::max({threads_of(result, 0).size(), threads_of(result, 1).size(), size_t{1}});
    const double app_height_px = 26 + kThreadBlockPx * static_cast<double>(most_threads);
    const double host_top = 72;
    const double rows_top = host_top + 36 + app_height_px + 12;
    const double host_height_px = rows_top - host_top + 2 * kQueueRowPx + 4;
    const bool any_held = result.queues[0].recvq_held > 0 || result.queues[1].recvq_held > 0;
    const double held_caption_px = any_held ? 14 : 0;
    const double height_px = host_top + host_height_px + 34 + held_caption_px;
    const double text_width = kFigureWidthPx - 2 * kFigureMarginPx;
    std::ostringstream svg;
    svg << svg_open(kFigureWidthPx, height_px, title)
        << "<defs><marker id=\"fig-arrowhead\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" "
           "markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#212121\"/></marker></defs>\n"
        << text_el(kFigureMarginPx, 28, title, 17, text_width, "font-weight=\"bold\"")
        << text_el(kFigureMarginPx, 54, verdict_text(result), 14, text_width,
                   std::string("font-weight=\"bold\" fill=\"") + outcome_colour(result.outcome) + "\"");
    for (int e = 0; e < 2; ++e) svg << host_box(result, e, host_top, app_height_px, host_height_px);
    for (int sender = 0; sender < 2; ++sender) svg << flow_arrow(result, sender, rows_top);
    svg << text_el(kFigureMarginPx, height_px - 12 - held_caption_px,
                   "Bars: bytes queued / capacity, red when full. Arrows: where each SendQ drains, with the "
                   "receiver's advertised window.",
                   11, text_width, "fill=\"#616161\"");
    if (any_held) svg << held_caption(height_px, text_width);
    svg << "</svg>\n";
    return svg.str();
}

}  // namespace

// ------------------------------------------------------------------ several hosts

// With several connections, or queues and pipes: the hosts side by side in host_order, each
// with its threads, then one row per connection and per queue or pipe, at the same height in
// every host, so each connection's two arrows and each pipe's arrow run straight across. A
// host not on a row leaves it empty; an arrow between hosts that are not neighbours crosses
// that empty space.
namespace {

constexpr double kWideHostWidthPx = 300;
constexpr double kWideGapPx = 140;
constexpr double kWideThreadBlockPx = 70;  // four lines per thread: state, totals, call, progress
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

WideLayout wide_layout(const model::Scenario& s, double app_height_px) {
    WideLayout l;
    l.order = host_order(s);
    l.column.assign(s.endpoints.size(), 0);
    for (size_t i = 0; i < l.order.size(); ++i) l.column[static_cast<size_t>(l.order[i])] = static_cast<int>(i);
    l.width_px = 2 * kFigureMarginPx + static_cast<double>(l.order.size()) * kWideHostWidthPx +
                 static_cast<double>(l.order.size() - 1) * kWideGapPx;
    l.rows_top = l.host_top + 36 + app_height_px + 12;
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

std::string window_label(int64_t window) { return "window " + (window == 0 ? std::string("0") : size_short(window)); }

// A connection's row: in each of its two hosts a SendQ and a RecvQ bar, the left host's SendQ
// level with the right host's RecvQ, and the two arrows between them.
std::string connection_row(const model::Scenario& s, const core::Result& r, const WideLayout& l, const Row& row) {
    const model::Connection& c = s.connections[static_cast<size_t>(row.index)];
    const bool first_left = l.column[static_cast<size_t>(c.ends[0])] < l.column[static_cast<size_t>(c.ends[1])];
    const int left = first_left ? c.ends[0] : c.ends[1], right = first_left ? c.ends[1] : c.ends[0];
    const size_t left_socket = static_cast<size_t>(ChannelNames::socket_of(s, row.index, left));
    const size_t right_socket = static_cast<size_t>(ChannelNames::socket_of(s, row.index, right));
    const double bars_y = row.y + kRowHeadPx;
    std::ostringstream out;
    for (const int e : {left, right}) {
        const core::QueueReport& q = r.queues[e == left ? left_socket : right_socket];
        const double x = l.inner_x(e);
        const int send_row = e == left ? 0 : 1;
        out << text_el(x, row.y + 14, "socket to " + q.peer, 13, kWideInnerPx, "font-weight=\"bold\" fill=\"#37474f\"")
            << queue_bar(x, bars_y + send_row * kQueueRowPx, "SendQ", q.sendq, q.sqs, 0, kWideInnerPx, kWideNamePx)
            << queue_bar(x, bars_y + (1 - send_row) * kQueueRowPx, "RecvQ", q.recvq, q.rqs, q.recvq_held, kWideInnerPx,
                         kWideNamePx);
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
std::string byte_queue_row(const model::Scenario& s, const core::Result& r, const WideLayout& l, const Row& row) {
    const model::ByteQueue& spec = s.byte_queues[static_cast<size_t>(row.index)];
    const core::ByteQueueReport& q = r.byte_queues[static_cast<size_t>(row.index)];
    const double x = l.inner_x(spec.writer);
    const std::string closed = q.writer_closed ? " (closed)" : "";
    std::ostringstream out;
    if (!spec.pipe) {
        out << text_el(x, row.y + 14, "queue " + spec.name + closed, 13, kWideInnerPx, "font-weight=\"bold\" fill=\"#37474f\"")
            << queue_bar(x, row.y + kRowHeadPx, "level", q.level, q.capacity, 0, kWideInnerPx, kWideNamePx);
        return out.str();
    }
    const std::string& reader = s.endpoints[static_cast<size_t>(spec.reader)].name;
    const std::string& writer = s.endpoints[static_cast<size_t>(spec.writer)].name;
    out << text_el(x, row.y + 14, "pipe " + spec.name + " to " + reader + closed, 13, kWideInnerPx,
                   "font-weight=\"bold\" fill=\"#37474f\"")
        << queue_bar(x, row.y + kRowHeadPx, "level", q.level, q.capacity, 0, kWideInnerPx, kWideNamePx);
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

// A thread in a narrow host: its state; its totals; the call it is in, with what it acts on;
// the call's progress. One line each, so none has to shrink to fit.
std::string wide_thread_lines(const core::ThreadReport& t, double x, double y) {
    const bool stuck = t.state == core::ThreadState::blocked || t.state == core::ThreadState::failed;
    const double width = kWideInnerPx - 16;
    std::ostringstream out;
    out << text_el(x, y, t.name + ": " + core::to_string(t.state), 13, width,
                   stuck ? "font-weight=\"bold\" fill=\"#b71c1c\"" : "font-weight=\"bold\"")
        << text_el(x, y + 15, "wrote " + size_short(t.bytes_written) + ", read " + size_short(t.bytes_read), 12, width,
                   "fill=\"#424242\"", "wrote " + bytes(t.bytes_written) + ", read " + bytes(t.bytes_read));
    if (!t.error.empty()) return out.str() + text_el(x, y + 30, t.error, 12, width);
    if (!t.blocked_in) return out.str();
    const core::BlockedIn& b = *t.blocked_in;
    // op_text is "call: progress"; here each goes on its own line, the call with its target.
    const std::string both = op_text(b), call = text::call_text(model::op_name(b.op), b.requested, b.duration_ns);
    const std::string progress = both.starts_with(call + ": ") ? both.substr(call.size() + 2) : "";
    out << text_el(x, y + 30, call + (b.on.empty() ? "" : " " + b.on), 12, width, "", op_exact(b));
    if (!progress.empty()) out << text_el(x, y + 45, progress, 12, width, "fill=\"#424242\"");
    return out.str();
}

std::string wide_app_box(const core::Result& r, const std::string& endpoint, double x, double y, double height_px) {
    std::ostringstream out;
    out << "<rect x=\"" << px(x) << "\" y=\"" << px(y) << "\" width=\"" << px(kWideInnerPx) << "\" height=\""
        << px(height_px) << "\" rx=\"4\" fill=\"#f5f5f5\" stroke=\"#9e9e9e\"/>\n"
        << text_el(x + 8, y + 15, "application", 11, kWideInnerPx, "fill=\"#616161\"");
    double line_y = y + 34;
    for (const core::ThreadReport& t : r.threads) {
        if (t.endpoint != endpoint) continue;
        out << wide_thread_lines(t, x + 8, line_y);
        line_y += kWideThreadBlockPx;
    }
    return out.str();
}

std::string several_hosts_svg(const model::Scenario& s, const core::Result& r, const std::string& title) {
    size_t most_threads = 1;
    for (const model::Endpoint& e : s.endpoints) most_threads = std::max(most_threads, e.threads.size());
    const double app_height_px = 26 + kWideThreadBlockPx * static_cast<double>(most_threads);
    const WideLayout l = wide_layout(s, app_height_px);
    bool any_held = false;
    for (const core::QueueReport& q : r.queues) any_held = any_held || q.recvq_held > 0;
    const double held_caption_px = any_held ? 14 : 0;
    const double height_px = l.host_top + l.host_height_px + 48 + held_caption_px;
    const double text_width = l.width_px - 2 * kFigureMarginPx;
    std::ostringstream svg;
    svg << svg_open(l.width_px, height_px, title)
        << "<defs><marker id=\"fig-arrowhead\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" "
           "markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#212121\"/></marker></defs>\n"
        << text_el(kFigureMarginPx, 28, title, 17, text_width, "font-weight=\"bold\"")
        << text_el(kFigureMarginPx, 54, verdict_text(r), 14, text_width,
                   std::string("font-weight=\"bold\" fill=\"") + outcome_colour(r.outcome) + "\"");
    for (const int e : l.order) {
        const std::string& name = s.endpoints[static_cast<size_t>(e)].name;
        svg << "<rect x=\"" << px(l.x_of(e)) << "\" y=\"" << px(l.host_top) << "\" width=\"" << px(kWideHostWidthPx)
            << "\" height=\"" << px(l.host_height_px) << "\" rx=\"8\" fill=\"#fafafa\" stroke=\"#212121\" stroke-width=\"1.5\"/>\n"
            << text_el(l.inner_x(e), l.host_top + 24, "Host " + name, 16, kWideInnerPx, "font-weight=\"bold\"")
            << wide_app_box(r, name, l.inner_x(e), l.host_top + 36, app_height_px);
    }
    for (const Row& row : l.rows)
        svg << (row.kind == Row::Kind::connection ? connection_row(s, r, l, row) : byte_queue_row(s, r, l, row));
    svg << text_el(kFigureMarginPx, height_px - 26 - held_caption_px, "Bars: bytes queued / capacity, red when full.", 11,
                   text_width, "fill=\"#616161\"")
        << text_el(kFigureMarginPx, height_px - 12 - held_caption_px,
                   "Arrows: where each SendQ drains, with the receiver's advertised window; a pipe drains into its reader.",
                   11, text_width, "fill=\"#616161\"");
    if (any_held) svg << held_caption(height_px, text_width);
    svg << "</svg>\n";
    return svg.str();
}

}  // namespace

std::string figure_svg(const model::Scenario& scenario, const core::Result& result, const std::string& title) {
    if (ChannelNames(scenario).several) return several_hosts_svg(scenario, result, title);
    return two_hosts_svg(result, title);
}

// ------------------------------------------------------------------ timeline

namespace {

constexpr double kTimelineWidthPx = 900;
constexpr int kMaxTicks = 8;
constexpr int64_t kMaxPointsPerLine = 1500;
constexpr int64_t kPointsPerColumn = 4;   // H to the column, then V to its min, max and last value
constexpr int64_t kEndPointsPerLine = 2;  // the M that starts a line and the H that ends it
// The first four are the two-host figure's; more sockets and queues take the rest in turn, and
// past ten, a dash tells two of one colour apart.
constexpr std::array<const char*, 10> kQueueColours = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr double kLegendRowPx = 20;
// A read line's dash; and the dashes that tell apart queue series of one colour, ten series each:
// 50 series, each with a style of its own.
constexpr const char* kDash = "7 4";
constexpr std::array<const char*, 5> kQueueDashes = {nullptr, "7 4", "2 3", "12 4 3 4", "1 6"};
constexpr std::array<const char*, 8> kThreadColours = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                                       "#8c564b", "#e377c2", "#17becf", "#bcbd22"};

// Lines drawn later are thinner, so identical series (both hosts of a symmetric scenario)
// still show every colour instead of the last one hiding the others.
constexpr std::array<double, 4> kLineWidthsPx = {6, 4, 2.5, 1.5};
double line_width_px(size_t index) { return kLineWidthsPx[std::min(index, kLineWidthsPx.size() - 1)]; }

// The smallest 1, 2 or 5 x 10^k that is >= raw (and >= 1).
int64_t nice_125(double raw) {
    int64_t decade = 1;
    while (true) {
        for (int64_t m : {1, 2, 5})
            if (static_cast<double>(m * decade) >= raw) return m * decade;
        decade *= 10;
    }
}

struct Ticks {
    int64_t top = 1;  // the axis' end value
    std::vector<int64_t> values;
};

// Byte ticks in the largest binary unit that still gives >= 4 units, so labels read
// "200 MiB" rather than "209715200 B"; the axis ends on a tick.
Ticks byte_ticks(int64_t max_bytes) {
    const int64_t hi = std::max<int64_t>(max_bytes, 1);
    int64_t unit = 1;
    while (hi / unit / 1024 >= 4) unit *= 1024;
    const int64_t step = nice_125(static_cast<double>(hi) / static_cast<double>(unit) / (kMaxTicks - 1)) * unit;
    Ticks t;
    t.top = (hi + step - 1) / step * step;
    for (int64_t v = 0; v <= t.top; v += step) t.values.push_back(v);
    return t;
}

// Time ticks within [0, span]; a zero-length run gets its one tick at 0.
std::vector<int64_t> time_ticks(int64_t span_ns) {
    if (span_ns <= 0) return {0};
    const int64_t step = nice_125(static_cast<double>(span_ns) / (kMaxTicks - 1));
    std::vector<int64_t> out;
    for (int64_t t = 0; t <= span_ns; t += step) out.push_back(t);
    return out;
}

struct Panel {
    double x, y, w, h;
    int64_t span_ns;
    int64_t top_bytes;
    // max(..., 1): a zero-length run or an all-zero series draws flat at the origin.
    double x_of(int64_t t_ns) const {
        return x + w * static_cast<double>(t_ns) / static_cast<double>(std::max<int64_t>(span_ns, 1));
    }
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
    const double columns_per_ns = static_cast<double>(columns) / static_cast<double>(std::max<int64_t>(p.span_ns, 1));
    auto column_of = [&](int64_t t_ns) {
        return std::min(columns - 1, static_cast<int64_t>(static_cast<double>(t_ns) * columns_per_ns));
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
    d << " H" << px(p.x_of(p.span_ns));
    return d.str();
}

std::string path_el(const std::string& d, const char* colour, double width_px, const char* dash) {
    return "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"" + px(width_px) +
           "\" stroke-linejoin=\"round\"" + (dash != nullptr ? std::string(" stroke-dasharray=\"") + dash + "\"" : "") + "/>\n";
}

std::string legend_entry(double x, double y, const char* colour, double width_px, const char* dash, const std::string& label) {
    std::ostringstream out;
    out << "<line x1=\"" << px(x) << "\" y1=\"" << px(y - 4) << "\" x2=\"" << px(x + 26) << "\" y2=\"" << px(y - 4)
        << "\" stroke=\"" << colour << "\" stroke-width=\"" << px(width_px) << "\""
        << (dash != nullptr ? std::string(" stroke-dasharray=\"") + dash + "\"" : "") << "/>\n"
        << text_el(x + 32, y, label, 12, kTimelineWidthPx - x - 38);
    return out.str();
}

// Grid, y tick labels, outline and titles of one panel; x grid lines follow the shared ticks.
std::string panel_frame(const Panel& p, const Ticks& y_ticks, const std::vector<int64_t>& x_ticks,
                        const std::string& title, const std::string& y_label) {
    std::ostringstream out;
    for (int64_t v : y_ticks.values)
        out << "<line x1=\"" << px(p.x) << "\" y1=\"" << px(p.y_of(v)) << "\" x2=\"" << px(p.x + p.w) << "\" y2=\""
            << px(p.y_of(v)) << "\" stroke=\"#e0e0e0\"/>\n"
            << text_el(p.x - 6, p.y_of(v) + 4, format_size(v), 11, p.x - 30, "text-anchor=\"end\"");
    for (int64_t t : x_ticks)
        out << "<line x1=\"" << px(p.x_of(t)) << "\" y1=\"" << px(p.y) << "\" x2=\"" << px(p.x_of(t)) << "\" y2=\""
            << px(p.y + p.h) << "\" stroke=\"#eeeeee\"/>\n";
    out << "<rect x=\"" << px(p.x) << "\" y=\"" << px(p.y) << "\" width=\"" << px(p.w) << "\" height=\"" << px(p.h)
        << "\" fill=\"none\" stroke=\"#616161\"/>\n"
        << text_el(p.x, p.y - 8, title, 13, p.w, "font-weight=\"bold\"")
        << "<text transform=\"translate(16," << px(p.y + p.h / 2) << ") rotate(-90)\" text-anchor=\"middle\">"
        << esc(y_label) << "</text>\n";
    return out.str();
}

std::string time_axis(const Panel& p, const std::vector<int64_t>& x_ticks) {
    std::ostringstream out;
    const double base = p.y + p.h;
    for (int64_t t : x_ticks)
        out << "<line x1=\"" << px(p.x_of(t)) << "\" y1=\"" << px(base) << "\" x2=\"" << px(p.x_of(t)) << "\" y2=\""
            << px(base + 5) << "\" stroke=\"#616161\"/>\n"
            << "<text class=\"xtick\" x=\"" << px(p.x_of(t)) << "\" y=\"" << px(base + 18)
            << "\" font-size=\"11\" text-anchor=\"middle\">" << esc(format_duration(t)) << "</text>\n";
    out << text_el(p.x + p.w / 2, base + 40, "simulated time", 12, p.w, "text-anchor=\"middle\"");
    return out.str();
}

int64_t max_over(const std::vector<Sample>& samples, const ValueOf& value_of) {
    int64_t hi = 0;
    for (const Sample& s : samples) hi = std::max(hi, value_of(s));
    return hi;
}

// Occupancy of every queue. The axis follows the data, not the capacities: a linux
// profile's 300 KiB capacity would flatten a 32-byte exchange to nothing.
std::string queue_panel(const std::vector<Sample>& samples, const std::vector<std::string>& labels, Panel p,
                        const std::vector<int64_t>& x_ticks) {
    int64_t hi = 0;
    std::vector<ValueOf> series;
    for (size_t k = 0; k < labels.size(); ++k) {
        series.push_back([k](const Sample& s) { return s.queues[k]; });
        hi = std::max(hi, max_over(samples, series.back()));
    }
    const Ticks ticks = byte_ticks(hi);
    p.top_bytes = ticks.top;
    std::string out = panel_frame(p, ticks, x_ticks, "Queue occupancy", "bytes in queue");
    for (size_t k = 0; k < labels.size(); ++k) {
        const char* colour = kQueueColours[k % kQueueColours.size()];
        const char* dash = kQueueDashes[k / kQueueColours.size() % kQueueDashes.size()];
        out += path_el(step_path(samples, series[k], p), colour, line_width_px(k), dash);
        out += legend_entry(p.x + p.w + 16, p.y + 14 + kLegendRowPx * static_cast<double>(k), colour, line_width_px(k),
                            dash, labels[k]);
    }
    return out;
}

// Cumulative bytes per thread: written solid, read dashed, one colour per thread.
std::string bytes_panel(const std::vector<Sample>& samples, const std::vector<std::string>& labels, Panel p,
                        const std::vector<int64_t>& x_ticks) {
    int64_t hi = 0;
    for (size_t k = 0; k < labels.size(); ++k) {
        hi = std::max(hi, max_over(samples, [k](const Sample& s) { return s.written[k]; }));
        hi = std::max(hi, max_over(samples, [k](const Sample& s) { return s.read[k]; }));
    }
    const Ticks ticks = byte_ticks(hi);
    p.top_bytes = ticks.top;
    std::string out = panel_frame(p, ticks, x_ticks, "Bytes each thread has written (solid) and read (dashed)",
                                  "bytes, cumulative");
    const double legend_x = p.x + p.w + 16;
    for (size_t k = 0; k < labels.size(); ++k) {
        const char* colour = kThreadColours[k % kThreadColours.size()];
        out += path_el(step_path(samples, [k](const Sample& s) { return s.written[k]; }, p), colour, line_width_px(k), nullptr);
        out += path_el(step_path(samples, [k](const Sample& s) { return s.read[k]; }, p), colour, line_width_px(k), kDash);
        out += legend_entry(legend_x, p.y + 14 + kLegendRowPx * static_cast<double>(k), colour, line_width_px(k), nullptr,
                            labels[k]);
    }
    const double style_y = p.y + 24 + kLegendRowPx * static_cast<double>(labels.size());
    out += legend_entry(legend_x, style_y, "#616161", 2, nullptr, "written");
    out += legend_entry(legend_x, style_y + 20, "#616161", 2, kDash, "read");
    return out;
}

// The dashed line at the deadlock's onset, across both panels, labelled on the side with room.
std::string onset_marker(const core::Result& r, const Panel& top, const Panel& bottom, double label_y) {
    const double x = top.x_of(r.time_ns);
    const bool right_half = x > top.x + top.w / 2;
    std::ostringstream out;
    out << "<line class=\"onset\" x1=\"" << px(x) << "\" y1=\"" << px(label_y + 6) << "\" x2=\"" << px(x) << "\" y2=\""
        << px(bottom.y + bottom.h) << "\" stroke=\"#b71c1c\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n"
        << text_el(right_half ? x - 6 : x + 6, label_y, "deadlock onset, " + format_duration(r.time_ns), 12, top.w / 2,
                   std::string("font-weight=\"bold\" fill=\"#b71c1c\" text-anchor=\"") + (right_half ? "end" : "start") + "\"");
    return out.str();
}

}  // namespace

std::string timeline_svg(const Recorder& recorder, const core::Result& result, const std::string& title) {
    const std::vector<Sample>& samples = recorder.samples();
    const int64_t run_ns = std::max(samples.back().time_ns, result.time_ns);
    // A deadlock's state lasts forever: a tail after the onset shows the lines staying flat
    // and keeps the onset marker off the frame's edge.
    const int64_t span_ns = result.outcome == core::Outcome::deadlock ? run_ns + run_ns / 10 : run_ns;
    constexpr double kLeftPx = 90, kPlotWidthPx = 640;
    static constexpr double kMinPanelHeightPx = 190;
    // Each panel tall enough for its legend: one row per series (the bytes panel adds two for
    // the line styles).
    const auto height_for = [](size_t legend_rows) {
        return std::max(kMinPanelHeightPx, 30 + kLegendRowPx * static_cast<double>(legend_rows));
    };
    const Panel top{kLeftPx, 84, kPlotWidthPx, height_for(recorder.queue_labels().size()), span_ns, 1};
    const Panel bottom{kLeftPx, top.y + top.h + 46, kPlotWidthPx, height_for(recorder.thread_labels().size() + 2), span_ns, 1};
    const double height_px = bottom.y + bottom.h + 56;
    const std::vector<int64_t> x_ticks = time_ticks(span_ns);
    std::ostringstream svg;
    svg << svg_open(kTimelineWidthPx, height_px, title + ": queues and bytes over time")
        << text_el(20, 26, title, 17, kTimelineWidthPx - 40, "font-weight=\"bold\"")
        << queue_panel(samples, recorder.queue_labels(), top, x_ticks)
        << bytes_panel(samples, recorder.thread_labels(), bottom, x_ticks) << time_axis(bottom, x_ticks);
    if (result.outcome == core::Outcome::deadlock) svg << onset_marker(result, top, bottom, 52);
    svg << "</svg>\n";
    return svg.str();
}

// ------------------------------------------------------------------ HTML

namespace {

constexpr const char* kPageStyle = R"(
body { font-family: sans-serif; max-width: 940px; margin: 1.5em auto; padding: 0 1em; color: #212121; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #bdbdbd; }
.verdict { font-size: 1.15em; font-weight: bold; }
svg { width: 100%; height: auto; max-width: 900px; display: block; }
ol li, ul li { white-space: pre-wrap; }
.steps, .rule { font-family: monospace; font-size: 0.95em; }
section.picture { break-inside: avoid; page-break-inside: avoid; }
@page { margin: 15mm; }
@media print { body { max-width: none; margin: 0; } h2 { break-after: avoid; page-break-after: avoid; } }
)";

std::string list_html(const char* tag, const char* css_class, const std::vector<std::string>& lines) {
    std::string out = std::string("<") + tag + " class=\"" + css_class + "\">\n";
    for (const std::string& line : lines) out += "<li>" + esc(line) + "</li>\n";
    return out + "</" + tag + ">\n";
}

std::string section_html(const std::string& heading, const std::string& body, const char* css_class = "text") {
    return std::string("<section class=\"") + css_class + "\">\n<h2>" + esc(heading) + "</h2>\n" + body + "</section>\n";
}

}  // namespace

std::string html_page(const core::Result& result, const std::string& figure, const std::string& timeline,
                      const std::vector<std::string>& narration, const std::vector<std::string>& rule_lines) {
    const std::string name = esc(result.scenario);
    std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>tcpsim: " +
                       name + "</title>\n<style>" + kPageStyle + "</style>\n</head>\n<body>\n<h1>" + name + "</h1>\n" +
                       "<p class=\"verdict\" style=\"color: " + outcome_colour(result.outcome) + "\">" +
                       esc(verdict_text(result)) + "</p>\n";
    const bool two_hosts = result.queues.size() == 2 && result.byte_queues.empty();
    page += section_html(two_hosts ? "The two hosts when the run ended" : "The hosts when the run ended", figure, "picture");
    page += section_html("Over time", timeline, "picture");
    // The threads off the cycle (blocked on it, or finished) follow it: they say why the rest stands still.
    page += section_html("Wait-for cycle", result.cycle.empty()
                                               ? std::string("<p>No wait-for cycle: no thread is blocked for good.</p>\n")
                                               : list_html("ol", "cycle", result.cycle) +
                                                     (result.off_cycle.empty() ? "" : list_html("ul", "off-cycle", result.off_cycle)));
    if (!narration.empty()) page += section_html("Step by step", list_html("ol", "steps", narration));
    if (!rule_lines.empty()) page += section_html("The rule", list_html("ul", "rule", rule_lines));
    return page + "</body>\n</html>\n";
}

}  // namespace tcpsim::views
