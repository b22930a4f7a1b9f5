#include "views/ascii_figure.hpp"

#include <algorithm>
#include <vector>

#include "text/format.hpp"
#include "views/names.hpp"

namespace tcpsim::views {

namespace {

constexpr size_t kInner = 36;  // characters inside a host box
constexpr int kBar = 10;       // characters of a queue bar

std::string fit(std::string text, size_t width) {
    if (text.size() > width) text = text.substr(0, width - 3) + "...";
    return text + std::string(width - text.size(), ' ');
}

std::string bar(int64_t level, int64_t capacity) {
    const int filled = capacity > 0 ? static_cast<int>((level * kBar + capacity - 1) / capacity) : 0;
    return "[" + std::string(static_cast<size_t>(std::min(filled, kBar)), '#') +
           std::string(static_cast<size_t>(kBar - std::min(filled, kBar)), '.') + "]";
}

std::string queue_cell(const char* name, int64_t level, int64_t capacity) {
    return fit(std::string(name) + " " + bar(level, capacity) + " " + text::level_short(level, capacity), kInner);
}

// A closed window is 0, in any unit.
std::string window_text(int64_t window) { return window == 0 ? "0" : text::size_short(window); }

// What the host's application threads are doing, one or two lines each.
std::vector<std::string> app_lines(const core::Result& r, const std::string& endpoint) {
    std::vector<std::string> lines;
    for (const core::ThreadReport& t : r.threads) {
        if (t.endpoint != endpoint) continue;
        if (!t.blocked_in) {
            lines.push_back(t.name + ": " + core::to_string(t.state));
            continue;
        }
        const core::BlockedIn& b = *t.blocked_in;
        const bool writes = model::is_write(b.op);
        lines.push_back(t.name + ": " + core::to_string(t.state) + " in " + text::call_text(model::op_name(b.op), b.requested, b.duration_ns));
        if (writes)
            lines.push_back("  " + text::size_short(b.done) + " in, " + text::size_short(b.requested - b.done) + " left");
    }
    return lines;
}

// ------------------------------------------------------------------ several channels

constexpr size_t kWideInner = 44;  // characters inside a host box when it lists its channels

std::string box_line(const std::string& text) { return "| " + fit(text, kWideInner) + " |\n"; }

std::string level_text(int64_t level, int64_t capacity) {
    return unbounded(capacity) ? text::size_short(level) + " (unbounded)" : text::level_short(level, capacity);
}

std::string byte_queue_cell(const core::ByteQueueReport& q, const std::string& label) {
    const std::string closed = q.writer_closed ? ", closed" : "";
    if (unbounded(q.capacity)) return label + " " + level_text(q.level, q.capacity) + closed;
    return label + " " + bar(q.level, q.capacity) + " " + level_text(q.level, q.capacity) + closed;
}

// A host with several channels: its threads, then each socket (named by its peer) with its
// SendQ and RecvQ, then the queues it owns and the pipes it writes (a pipe's reader names it).
std::string host_block(const model::Scenario& s, const core::Result& r, int e) {
    const std::string& name = s.endpoints[static_cast<size_t>(e)].name;
    const std::string border = "+" + std::string(kWideInner + 2, '-') + "+\n";
    std::string out = "  " + name + "\n" + border;
    for (const core::ThreadReport& t : r.threads) {
        if (t.endpoint != name) continue;
        if (!t.blocked_in) {
            out += box_line(t.name + ": " + core::to_string(t.state));
            continue;
        }
        const core::BlockedIn& b = *t.blocked_in;
        out += box_line(t.name + ": " + core::to_string(t.state) + " in " +
                        text::call_text(model::op_name(b.op), b.requested, b.duration_ns));
        std::string detail = b.on.empty() ? "" : b.on;
        if (model::is_write(b.op))
            detail += (detail.empty() ? "" : ": ") + text::size_short(b.done) + " in, " +
                      text::size_short(b.requested - b.done) + " left";
        if (!detail.empty()) out += box_line("  " + detail);
    }
    for (size_t i = 0; i < r.queues.size(); ++i) {
        const core::QueueReport& q = r.queues[i];
        if (q.endpoint != name) continue;
        out += box_line("");
        out += box_line("socket to " + q.peer + ", offers window " + window_text(q.window));
        out += box_line(" SendQ " + bar(q.sendq, q.sqs) + " " + text::level_short(q.sendq, q.sqs));
        out += box_line(" RecvQ " + bar(q.recvq, q.rqs) + " " + text::level_short(q.recvq, q.rqs) +
                        (q.recvq_held > 0 ? " +" + text::size_short(q.recvq_held) + " held" : ""));
    }
    for (size_t k = 0; k < s.byte_queues.size(); ++k) {
        const model::ByteQueue& spec = s.byte_queues[k];
        if (spec.writer != e && spec.reader != e) continue;
        const core::ByteQueueReport& q = r.byte_queues[k];
        if (!spec.pipe) {
            out += box_line("");
            out += box_line(byte_queue_cell(q, "queue " + spec.name));
            continue;
        }
        const bool writes = spec.writer == e;
        const std::string& other = s.endpoints[static_cast<size_t>(writes ? spec.reader : spec.writer)].name;
        out += box_line("");
        out += box_line(writes ? byte_queue_cell(q, "pipe " + spec.name + " to " + other)
                               : "pipe " + spec.name + " from " + other + " (drawn at " + other + ")");
    }
    return out + border;
}

// Between two hosts drawn one above the other: each direction of a connection joining them as
// an arrow with the window its receiver offers, and each pipe joining them.
std::string joints(const model::Scenario& s, const core::Result& r, int upper, int lower) {
    const ChannelNames names(s);
    std::vector<std::string> lines;
    for (size_t k = 0; k < s.connections.size(); ++k) {
        const model::Connection& c = s.connections[k];
        if (!((c.ends[0] == upper && c.ends[1] == lower) || (c.ends[0] == lower && c.ends[1] == upper))) continue;
        const int down = ChannelNames::socket_of(s, static_cast<int>(k), upper);  // the upper host's socket
        const int up = ChannelNames::socket_of(s, static_cast<int>(k), lower);
        lines.push_back("      |  " + fit(names.directions[static_cast<size_t>(down)] + ", window " +
                                              window_text(r.queues[static_cast<size_t>(up)].window), 30) +
                        "   ^  " + names.directions[static_cast<size_t>(up)] + ", window " +
                        window_text(r.queues[static_cast<size_t>(down)].window));
        lines.push_back("      v  " + fit("", 30) + "   |");
    }
    for (const model::ByteQueue& q : s.byte_queues) {
        if (!q.pipe) continue;
        if (q.writer == upper && q.reader == lower) lines.push_back("      |  pipe " + q.name + "\n      v");
        if (q.writer == lower && q.reader == upper) lines.push_back("      ^  pipe " + q.name + "\n      |");
    }
    std::string out;
    for (const std::string& line : lines) out += line + "\n";
    return out;
}

// Connections between hosts that are not drawn next to each other, in words.
std::string distant_joints(const model::Scenario& s, const core::Result& r, const std::vector<int>& order) {
    const ChannelNames names(s);
    const auto adjacent = [&](int a, int b) {
        const auto pa = std::find(order.begin(), order.end(), a), pb = std::find(order.begin(), order.end(), b);
        return pa - pb == 1 || pb - pa == 1;
    };
    std::string out;
    for (size_t k = 0; k < s.connections.size(); ++k) {
        const model::Connection& c = s.connections[k];
        if (adjacent(c.ends[0], c.ends[1])) continue;
        for (int side = 0; side < 2; ++side) {
            const size_t from = 2 * k + static_cast<size_t>(side), to = from ^ 1;
            out += "  " + names.directions[from] + ": " + names.sockets[from] + ".SendQ drains into " +
                   names.sockets[to] + ".RecvQ, window " + window_text(r.queues[to].window) + "\n";
        }
    }
    for (const model::ByteQueue& q : s.byte_queues)
        if (q.pipe && !adjacent(q.writer, q.reader))
            out += "  pipe " + q.name + ": " + s.endpoints[static_cast<size_t>(q.writer)].name + " -> " +
                   s.endpoints[static_cast<size_t>(q.reader)].name + "\n";
    return out;
}

// Every host one below the other, in host_order, with what joins neighbours between them.
std::string several_hosts(const model::Scenario& s, const core::Result& r) {
    const std::vector<int> order = host_order(s);
    std::string out;
    for (size_t i = 0; i < order.size(); ++i) {
        out += host_block(s, r, order[i]);
        if (i + 1 < order.size()) out += joints(s, r, order[i], order[i + 1]);
    }
    return out + distant_joints(s, r, order);
}

}  // namespace

std::string ascii_figure(const model::Scenario& s, const core::Result& r) {
    if (ChannelNames(s).several) return several_hosts(s, r);
    const core::QueueReport& a = r.queues[0];
    const core::QueueReport& b = r.queues[1];
    const std::string border = "+" + std::string(kInner + 2, '-') + "+";
    const std::string gap(8, ' ');
    std::string out = "  " + fit(a.endpoint, kInner + 2) + gap + "  " + b.endpoint + "\n";
    out += border + gap + border + "\n";
    const std::vector<std::string> left = app_lines(r, a.endpoint), right = app_lines(r, b.endpoint);
    for (size_t i = 0; i < std::max(left.size(), right.size()); ++i)
        out += "| " + fit(i < left.size() ? left[i] : "", kInner) + " |" + gap + "| " +
               fit(i < right.size() ? right[i] : "", kInner) + " |\n";
    out += "| " + fit("", kInner) + " |" + gap + "| " + fit("", kInner) + " |\n";
    // A's SendQ feeds B's RecvQ; B's SendQ feeds A's RecvQ.
    out += "| " + queue_cell("SendQ", a.sendq, a.sqs) + " |" + " -----> " + "| " + queue_cell("RecvQ", b.recvq, b.rqs) + " |\n";
    out += "| " + queue_cell("RecvQ", a.recvq, a.rqs) + " |" + " <----- " + "| " + queue_cell("SendQ", b.sendq, b.sqs) + " |\n";
    out += border + gap + border + "\n";
    out += "  " + fit(a.endpoint + " offers window " + window_text(a.window), kInner + 2) + gap + "  " + b.endpoint +
           " offers window " + window_text(b.window) + "\n";
    for (const core::QueueReport& q : r.queues)
        if (q.recvq_held > 0)
            out += "  " + q.endpoint + ".RecvQ also holds " + text::size_short(q.recvq_held) +
                   " already read: the kernel frees an skb only once it is read to the end\n";
    return out;
}

}  // namespace tcpsim::views
