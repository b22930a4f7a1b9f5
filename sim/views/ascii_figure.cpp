#include "views/ascii_figure.hpp"

#include <algorithm>
#include <vector>

#include "text/format.hpp"

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

}  // namespace

std::string ascii_figure(const core::Result& r) {
    if (r.queues.size() != 2) return "";  // the two-host drawing; more hosts are not drawn yet
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
