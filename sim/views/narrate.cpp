#include "views/narrate.hpp"

#include <algorithm>

#include "analysis/rule.hpp"
#include "text/format.hpp"

namespace tcpsim::views {

using core::TraceKind;
using text::bytes;
using text::grouped;

Narrator::Narrator(const model::Scenario& scenario) : scenario_(scenario) {}

std::string Narrator::who(int endpoint, int thread) const {
    const model::Endpoint& ep = scenario_.endpoints[endpoint];
    return thread >= 0 ? ep.name + "." + ep.threads[thread].name : ep.name;
}

std::string Narrator::queues(std::span<const core::DirectionCounters> dirs) const {
    const auto level = [](int64_t n, int64_t cap) { return grouped(n) + "/" + grouped(cap); };
    std::string s = "[";
    for (int e = 0; e < 2; ++e) {
        s += (e == 0 ? "" : " | ") + scenario_.endpoints[e].name + ": SendQ " +
             level(dirs[e].sendq(), dirs[e].sendq_capacity) + " RecvQ " +
             level(dirs[1 - e].recvq(), dirs[1 - e].recvq_capacity);
        if (dirs[1 - e].held > 0) s += " +" + grouped(dirs[1 - e].held) + " held";
    }
    return s + "]";
}

namespace {

std::string call(const core::TraceEvent& ev) { return text::call_text(model::op_name(ev.op), ev.requested, ev.duration_ns); }

bool is_write(std::string_view op) { return op == "write" || op == "send"; }

}  // namespace

bool Narrator::worth_telling(Step& step) {
    const core::TraceEvent& ev = step.event;
    const int e = ev.endpoint;
    bool tell = true;
    switch (ev.kind) {
        case TraceKind::persist_timeout:
        case TraceKind::delack_timeout: tell = false; break;
        case TraceKind::ack_received: {
            // An ACK matters to a reader when it closes or reopens the window, or when the bytes
            // it frees empty the SendQ or make room where a writer waits.
            const int64_t sendq = step.directions[e].sendq();
            step.freed_bytes = last_sendq_[e] - sendq;
            step.waiting_writer = waiting_writers_[e].empty() ? -1 : *waiting_writers_[e].begin();
            step.window_changed = window_zero_[e] != (ev.window == 0);
            window_zero_[e] = ev.window == 0;
            tell = step.window_changed || (step.freed_bytes > 0 && (sendq == 0 || step.waiting_writer >= 0));
            break;
        }
        default: break;
    }
    if (is_op_event(ev.kind)) {
        const std::string_view op = model::op_name(ev.op);
        const bool waits_to_write = ev.kind == TraceKind::op_block &&
                                    (is_write(op) || (op == "event_loop" && ev.length < ev.requested));
        if (waits_to_write) waiting_writers_[e].insert(ev.thread);
        else waiting_writers_[e].erase(ev.thread);
    }
    for (int d = 0; d < 2; ++d) last_sendq_[d] = step.directions[d].sendq();
    return tell;
}

int Narrator::variant_of(const Step& step) {
    const core::TraceEvent& ev = step.event;
    if (ev.kind == TraceKind::ack_sent) return ev.window == 0 ? 1 : 0;
    if (ev.kind == TraceKind::ack_received) return (step.window_changed ? 1 : 0) + (step.freed_bytes > 0 ? 2 : 0);
    return 0;
}

std::string Narrator::describe_block(const core::TraceEvent& ev) const {
    const std::string me = who(ev.endpoint, ev.thread);
    const std::string_view op = model::op_name(ev.op);
    if (is_write(op))
        return me + " blocks in " + call(ev) + ": " + grouped(ev.length) + " of " + bytes(ev.requested) +
               " handed to TCP, " + grouped(ev.requested - ev.length) + " left, and its SendQ has no room";
    if (op == "sleep") return me + " sleeps for " + text::format_duration(ev.duration_ns);
    if (op == "event_loop") {
        if (ev.length < ev.requested)
            return me + " waits in " + call(ev) + " with " + grouped(ev.length) + " of " + bytes(ev.requested) +
                   " written: no room in its SendQ and nothing to read";
        return me + " waits in " + call(ev) + " with all " + bytes(ev.requested) + " written: nothing to read yet";
    }
    // A read blocks with its RecvQ empty; what it holds so far is the lesson (ev.length).
    if (ev.length == 0) return me + " blocks in " + call(ev) + ": nothing to read yet";
    if (op == "read_exact")
        return me + " blocks in " + call(ev) + " with " + grouped(ev.length) + " of " + bytes(ev.requested) +
               " read, " + grouped(ev.requested - ev.length) + " to go: its RecvQ is empty";
    return me + " blocks in " + call(ev) + " with " + bytes(ev.length) + " read so far: its RecvQ is empty";
}

std::string Narrator::describe_ack_received(const Step& step) const {
    const core::TraceEvent& ev = step.event;
    const std::string me = who(ev.endpoint, -1);
    const std::string& peer = scenario_.endpoints[1 - ev.endpoint].name;
    std::string window;
    if (step.window_changed) {
        window = ev.window > 0 ? peer + "'s window reopened (" + bytes(ev.window) + "): " + me + " may send again"
                               : peer + "'s window is zero: " + me + " must stop sending and probe";
    }
    if (step.freed_bytes <= 0) return me + " learns that " + window;
    std::string s = me + " receives the ACK for " + bytes(ev.seq) + ": " + bytes(step.freed_bytes) + " leave its SendQ";
    if (step.directions[ev.endpoint].sendq() == 0) s += ", now empty";
    if (step.waiting_writer >= 0) s += ", where " + who(ev.endpoint, step.waiting_writer) + " waits to write";
    return window.empty() ? s : s + "; " + window;
}

std::string Narrator::describe(const Step& step) const {
    const core::TraceEvent& ev = step.event;
    const std::string me = who(ev.endpoint, ev.thread);
    const std::string& peer = scenario_.endpoints[1 - ev.endpoint].name;
    const std::string_view op = model::op_name(ev.op);
    switch (ev.kind) {
        case TraceKind::op_start: return me + " calls " + call(ev);
        case TraceKind::op_block: return describe_block(ev);
        case TraceKind::op_return:
            if (is_write(op)) return me + "'s " + call(ev) + " returns: all " + bytes(ev.length) + " are in its SendQ";
            if (op.starts_with("read"))
                return me + "'s " + call(ev) + " returns " + bytes(ev.length) + (ev.length == 0 ? " (end of file)" : "");
            return me + "'s " + call(ev) + " returns";
        case TraceKind::op_batch:
            return me + " runs " + text::count(ev.requested, "loop iteration", "identical loop iterations") + " at once (" +
                   bytes(ev.length) + " moved)";
        case TraceKind::segment_sent:
            if (ev.fin) return me + " sends FIN: it will write no more";
            return me + " sends " + bytes(ev.length) + " to " + peer + " (bytes " + grouped(ev.seq) + ".." +
                   grouped(ev.seq + ev.length - 1) + ")";
        case TraceKind::segment_received:
            if (ev.fin) return me + " receives FIN: after the data in its RecvQ, reads return end of file";
            return me + " receives " + bytes(ev.length) + " into its RecvQ";
        case TraceKind::ack_sent:
            if (ev.window == 0) {
                const core::DirectionCounters& in = step.directions[1 - ev.endpoint];
                const std::string zero = me + " acknowledges and advertises a ZERO window: its RecvQ ";
                const std::string held =
                    in.held > 0 ? " plus " + bytes(in.held) + " already read that a partly read skb still holds" : "";
                if (in.recvq() + in.held >= in.recvq_capacity)
                    return zero + "is full" + (in.held > 0 ? ": " + grouped(in.recvq()) + " unread" + held : "");
                // linux: __tcp_select_window offers nothing under one segment once the buffer is half used.
                return zero + "holds " + grouped(in.recvq()) + " of " + bytes(in.recvq_capacity) + held +
                       ", and less than one segment is free (receiver silly-window avoidance)";
            }
            return me + " acknowledges " + bytes(ev.seq) + " and offers a window of " + bytes(ev.window);
        case TraceKind::ack_received: return describe_ack_received(step);
        case TraceKind::probe_sent: return me + "'s persist timer fires: it probes " + peer + "'s zero window";
        case TraceKind::sleep_done: return me + " wakes up after " + text::format_duration(ev.duration_ns);
        case TraceKind::persist_timeout:
        case TraceKind::delack_timeout: break;
    }
    return "";
}

std::string Narrator::render(const Step& step) const {
    return text::format_duration(step.event.time_ns) + "  " + describe(step) + "  " + queues(step.directions);
}

// "2 calls to read_exact by server.main", "1 zero-window ACK sent by B".
std::string Narrator::kind_phrase(const Kind& kind, int64_t steps) const {
    const auto [k, endpoint, thread, op, variant] = kind;
    const std::string by = who(endpoint, thread);
    const std::string op_name(op);
    using text::count;
    switch (static_cast<TraceKind>(k)) {
        case TraceKind::segment_sent: return count(steps, "segment", "segments") + " sent by " + by;
        case TraceKind::segment_received: return count(steps, "segment", "segments") + " received by " + by;
        case TraceKind::ack_sent:
            return (variant == 1 ? count(steps, "zero-window ACK", "zero-window ACKs") : count(steps, "ACK", "ACKs")) +
                   " sent by " + by;
        case TraceKind::ack_received: return count(steps, "ACK", "ACKs") + " received by " + by;
        case TraceKind::probe_sent: return count(steps, "zero-window probe", "zero-window probes") + " sent by " + by;
        case TraceKind::op_start: return count(steps, "call", "calls") + " to " + op_name + " by " + by;
        case TraceKind::op_block: return count(steps, "wait", "waits") + " in " + op_name + " by " + by;
        case TraceKind::op_return: return count(steps, "return", "returns") + " from " + op_name + " in " + by;
        case TraceKind::op_batch:
            return count(steps, "batch", "batches") + " of identical loop iterations by " + by;
        case TraceKind::sleep_done: return count(steps, "wake-up", "wake-ups") + " of " + by;
        case TraceKind::persist_timeout:
        case TraceKind::delack_timeout: break;
    }
    return count(steps, "step", "steps");
}

std::string Narrator::summary(int64_t steps) const {
    std::string kinds;
    for (const auto& [kind, n] : skipped_) kinds += (kinds.empty() ? "" : ", ") + kind_phrase(kind, n);
    return "          ... " + text::count(steps, "more step", "more steps") + " of the same pattern (" + kinds + ") ...";
}

void Narrator::on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs, std::span<const core::ByteQueueCounters>) {
    Step step{ev, {dirs.begin(), dirs.end()}};
    if (!worth_telling(step)) return;
    const Kind kind{static_cast<int>(ev.kind), ev.endpoint, ev.thread, std::string_view(model::op_name(ev.op)), variant_of(step)};
    int64_t& told = told_[kind];
    if (told < kShownPerKind) {
        if (!skipped_.empty()) {
            int64_t total = 0;
            for (const auto& entry : skipped_) total += entry.second;
            lines_.push_back(summary(total));
            skipped_.clear();
            tail_.clear();
        }
        ++told;
        lines_.push_back(render(step));
        return;
    }
    ++skipped_[kind];
    tail_.push_back(step);
    if (tail_.size() > kTailSteps) tail_.pop_front();
}

std::vector<std::string> Narrator::lines() const {
    std::vector<std::string> out = lines_;
    if (skipped_.empty()) return out;
    int64_t total = 0;
    for (const auto& entry : skipped_) total += entry.second;
    const int64_t hidden = total - static_cast<int64_t>(tail_.size());
    if (hidden > 0) out.push_back(summary(hidden));
    for (const Step& s : tail_) out.push_back(render(s));
    return out;
}

// ------------------------------------------------------------------ the rule

namespace {

struct Totals {
    int64_t written = 0;  // by the endpoint's threads
    int64_t read = 0;     // by the peer's threads
};

Totals totals(const core::Result& result, const std::string& writer, const std::string& reader) {
    Totals t;
    for (const core::ThreadReport& th : result.threads) {
        if (th.endpoint == writer) t.written += th.bytes_written;
        if (th.endpoint == reader) t.read += th.bytes_read;
    }
    return t;
}

// The textbook rule for one blocked write, exact because every capacity is: the bytes an
// endpoint has written minus those its peer has read sit in SendQ + link + RecvQ, at most
// SQS+RQS, so write(n) returns only after the peer has read (written before it + n) - (SQS+RQS).
std::string textbook_write_line(const core::ThreadReport& t, const core::QueueReport& mine,
                                const core::QueueReport& theirs, const Totals& totals) {
    const core::BlockedIn& b = *t.blocked_in;
    const std::string& me = mine.endpoint;
    const std::string& peer = theirs.endpoint;
    const int64_t sqs = mine.sqs, rqs = theirs.rqs, path = sqs + rqs;
    // send() returns once a single byte fits.
    const int64_t n = b.op == model::OpKind::send ? 1 : b.requested;
    const int64_t before = totals.written - b.done;
    if (before == 0) {
        const std::string head = t.endpoint + "." + t.name + ": " + text::call_text(model::op_name(b.op), b.requested) +
                                 " with SQS+RQS = " + grouped(sqs) + "+" + grouped(rqs) + " = " + grouped(path);
        const std::string now = "; here it has " + grouped(b.done) + " in and " + peer + " has read " + grouped(totals.read) + ".";
        const analysis::WriteRule r = analysis::write_rule(n, sqs, rqs);
        return head + ": TCP takes " + bytes(r.accepted) + " while " + peer + " reads nothing" +
               (r.peer_must_read > 0 ? ", and the write returns only after " + peer + " has read n-(SQS+RQS) = " +
                                           bytes(r.peer_must_read)
                                     : ", so the write can return without a read once they have moved") +
               now;
    }
    const int64_t need = before + n - path;
    const std::string rule = t.endpoint + "." + t.name + ": " + text::call_text(model::op_name(b.op), b.requested) + " after " + me +
                             " had written " + bytes(before) + ", with SQS+RQS = " + grouped(sqs) + "+" + grouped(rqs) +
                             " = " + grouped(path) + ": it returns only after " + peer + " has read (" + grouped(before) +
                             "+" + grouped(n) + ")-(SQS+RQS) = " + bytes(need) + " in all; " + peer + " has read " +
                             grouped(totals.read);
    const std::string here = ". Here it has " + grouped(b.done) + " of " + grouped(b.requested) + " in.";
    if (need <= totals.read) return rule + ", enough: the bytes on their way make the room" + here;
    return rule + ", so " + grouped(need - totals.read) + " more" + here;
}

// linux charges buffers with overhead and wakes writers late, so SQS+RQS is not what the
// path holds: say what it held.
std::string linux_write_line(const core::ThreadReport& t, const core::QueueReport& mine, const core::QueueReport& theirs,
                             const Totals& totals) {
    const core::BlockedIn& b = *t.blocked_in;
    const int64_t path = mine.sqs + theirs.rqs;
    const int64_t in_path = totals.written - totals.read;
    return t.endpoint + "." + t.name + ": blocked in " + text::call_text(model::op_name(b.op), b.requested) + " with " + grouped(b.done) +
           " of " + bytes(b.requested) + " in. " + mine.endpoint + " has written " + bytes(totals.written) + " and " +
           theirs.endpoint + " has read " + grouped(totals.read) + ", so " + bytes(in_path) + " sit in " + mine.endpoint +
           ".SendQ, on the wire or in " + theirs.endpoint + ".RecvQ: " +
           (in_path < path ? grouped(path - in_path) + " short of" : "against") + " SQS+RQS = " + grouped(mine.sqs) + "+" +
           grouped(theirs.rqs) + " = " + grouped(path) + ".";
}

}  // namespace

std::vector<std::string> rule_lines(const model::Scenario& scenario, const core::Result& result) {
    const bool textbook = scenario.profile == model::Profile::textbook;
    std::vector<std::string> out;
    for (const core::ThreadReport& t : result.threads) {
        if (t.state != core::ThreadState::blocked || !t.blocked_in) continue;
        const core::BlockedIn& b = *t.blocked_in;
        if (!model::is_write(b.op)) continue;
        const int e = result.queues[0].endpoint == t.endpoint ? 0 : 1;
        const core::QueueReport& mine = result.queues[e];
        const core::QueueReport& theirs = result.queues[1 - e];
        const Totals sums = totals(result, mine.endpoint, theirs.endpoint);
        out.push_back(textbook ? textbook_write_line(t, mine, theirs, sums) : linux_write_line(t, mine, theirs, sums));
    }
    if (!textbook) {
        out.push_back(std::string("The textbook rule, write(n) returns only after the peer has read n-(SQS+RQS), needs "
                                  "exact capacities. The linux model charges skb overhead to the buffers and, by default, "
                                  "wakes a blocked writer only once a third of its SendQ is free and offers no window under "
                                  "one segment, so the rule does not hold here") +
                      (result.outcome == core::Outcome::deadlock ? ": the wait-for cycle above says where the run stops." : ".") +
                      " With --set model=textbook the same programs follow it.");
        return out;
    }
    if (const auto p = analysis::predict(scenario)) out.push_back("The rule for this shape (" + p->shape + "): " + p->explanation + ".");
    if (out.empty()) out.push_back("No write is blocked, and the closed-form rule does not cover this scenario's shape.");
    return out;
}

}  // namespace tcpsim::views
