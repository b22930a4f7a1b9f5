#include "views/narrate.hpp"

#include <algorithm>

#include "analysis/rule.hpp"
#include "text/format.hpp"

namespace tcpsim::views {

using core::TraceKind;
using text::bytes;
using text::grouped;

Narrator::Narrator(const model::Scenario& scenario)
    : scenario_(scenario), names_(scenario), window_zero_(names_.directions.size(), false),
      last_sendq_(names_.directions.size(), 0), waiting_writers_(names_.directions.size()) {}

std::string Narrator::who(int endpoint, int thread) const {
    const model::Endpoint& ep = scenario_.endpoints[endpoint];
    return thread >= 0 ? ep.name + "." + ep.threads[thread].name : ep.name;
}

// Every socket's SendQ and RecvQ (socket i sends on direction i, receives on i^1), then every
// queue's and pipe's level.
std::string Narrator::queues(const Step& step) const {
    const auto level = [](int64_t n, int64_t cap) { return unbounded(cap) ? grouped(n) : grouped(n) + "/" + grouped(cap); };
    const std::vector<core::DirectionCounters>& dirs = step.directions;
    std::string s = "[";
    for (size_t i = 0; i < names_.sockets.size(); ++i) {
        s += (i == 0 ? "" : " | ") + names_.sockets[i] + ": SendQ " + level(dirs[i].sendq(), dirs[i].sendq_capacity) +
             " RecvQ " + level(dirs[i ^ 1].recvq(), dirs[i ^ 1].recvq_capacity);
        if (dirs[i ^ 1].held > 0) s += " +" + grouped(dirs[i ^ 1].held) + " held";
    }
    for (size_t q = 0; q < names_.byte_queues.size(); ++q) {
        const core::ByteQueueCounters& c = step.byte_queues[q];
        s += (s.size() == 1 ? "" : " | ") + names_.byte_queues[q] + " " + level(c.level(), c.capacity);
    }
    return s + "]";
}

const std::string& Narrator::peer_of(const core::TraceEvent& ev) const {
    const model::Connection& c = scenario_.connections[static_cast<size_t>(ev.direction / 2)];
    return scenario_.endpoints[static_cast<size_t>(c.ends[0] == ev.endpoint ? c.ends[1] : c.ends[0])].name;
}

namespace {

bool acts_on_channel(const core::TraceEvent& ev) {
    return ev.channel >= 0 && ev.op != model::OpKind::sleep && ev.op != model::OpKind::repeat;
}

}  // namespace

std::string Narrator::on(const core::TraceEvent& ev) const {
    if (scenario_.endpoints[static_cast<size_t>(ev.endpoint)].channels.size() < 2 || !acts_on_channel(ev)) return "";
    return " " + names_.channel_words(scenario_, ev.endpoint, ev.channel, ev.op);
}

std::string Narrator::buffer_of(const core::TraceEvent& ev, bool writes) const {
    const model::Channel& c = scenario_.endpoints[static_cast<size_t>(ev.endpoint)].channels[static_cast<size_t>(ev.channel)];
    if (c.kind == model::Channel::Kind::socket) return writes ? "its SendQ" : "its RecvQ";
    return (scenario_.byte_queues[static_cast<size_t>(c.index)].pipe ? "pipe " : "queue ") + c.name;
}

int Narrator::sending_direction(const core::TraceEvent& ev) const {
    if (!acts_on_channel(ev)) return -1;
    const model::Channel& c = scenario_.endpoints[static_cast<size_t>(ev.endpoint)].channels[static_cast<size_t>(ev.channel)];
    if (c.kind != model::Channel::Kind::socket) return -1;
    return ChannelNames::socket_of(scenario_, c.index, ev.endpoint);
}

namespace {

std::string call(const core::TraceEvent& ev) { return text::call_text(model::op_name(ev.op), ev.requested, ev.duration_ns); }

bool is_write(std::string_view op) { return op == "write" || op == "send"; }

}  // namespace

bool Narrator::worth_telling(Step& step) {
    const core::TraceEvent& ev = step.event;
    const int d = ev.direction;  // ack_received: the direction its receiver sends on
    bool tell = true;
    switch (ev.kind) {
        case TraceKind::persist_timeout:
        case TraceKind::delack_timeout: tell = false; break;
        case TraceKind::ack_received: {
            // An ACK matters to a reader when it closes or reopens the window, or when the bytes
            // it frees empty the SendQ or make room where a writer waits.
            const int64_t sendq = step.directions[d].sendq();
            step.freed_bytes = last_sendq_[d] - sendq;
            step.waiting_writer = waiting_writers_[d].empty() ? -1 : *waiting_writers_[d].begin();
            step.window_changed = window_zero_[d] != (ev.window == 0);
            window_zero_[d] = ev.window == 0;
            tell = step.window_changed || (step.freed_bytes > 0 && (sendq == 0 || step.waiting_writer >= 0));
            break;
        }
        default: break;
    }
    if (is_op_event(ev.kind)) {
        // Any step of a thread ends its wait; a blocked write starts one on the direction it feeds.
        for (size_t k = 0; k < scenario_.connections.size(); ++k)
            for (size_t side = 0; side < 2; ++side)
                if (scenario_.connections[k].ends[side] == ev.endpoint) waiting_writers_[2 * k + side].erase(ev.thread);
        const std::string_view op = model::op_name(ev.op);
        const bool waits_to_write = ev.kind == TraceKind::op_block &&
                                    (is_write(op) || (op == "event_loop" && ev.length < ev.requested));
        if (waits_to_write && sending_direction(ev) >= 0)
            waiting_writers_[static_cast<size_t>(sending_direction(ev))].insert(ev.thread);
    }
    for (size_t i = 0; i < last_sendq_.size(); ++i) last_sendq_[i] = step.directions[i].sendq();
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
    const std::string in = call(ev) + on(ev);
    if (is_write(op))
        return me + " blocks in " + in + ": " + grouped(ev.length) + " of " + bytes(ev.requested) +
               (sending_direction(ev) >= 0 ? " handed to TCP, " : " put in, ") + grouped(ev.requested - ev.length) +
               " left, and " + buffer_of(ev, true) + " has no room";
    if (op == "sleep") return me + " sleeps for " + text::format_duration(ev.duration_ns);
    if (op == "event_loop") {
        if (ev.length < ev.requested)
            return me + " waits in " + in + " with " + grouped(ev.length) + " of " + bytes(ev.requested) +
                   " written: no room in its SendQ and nothing to read";
        return me + " waits in " + in + " with all " + bytes(ev.requested) + " written: nothing to read yet";
    }
    // A read blocks with its RecvQ empty; what it holds so far is the lesson (ev.length).
    if (ev.length == 0) return me + " blocks in " + in + ": nothing to read yet";
    if (op == "read_exact")
        return me + " blocks in " + in + " with " + grouped(ev.length) + " of " + bytes(ev.requested) +
               " read, " + grouped(ev.requested - ev.length) + " to go: " + buffer_of(ev, false) + " is empty";
    return me + " blocks in " + in + " with " + bytes(ev.length) + " read so far: " + buffer_of(ev, false) + " is empty";
}

std::string Narrator::describe_ack_received(const Step& step) const {
    const core::TraceEvent& ev = step.event;
    const std::string me = who(ev.endpoint, -1);
    const std::string& peer = peer_of(ev);
    std::string window;
    if (step.window_changed) {
        window = ev.window > 0 ? peer + "'s window reopened (" + bytes(ev.window) + "): " + me + " may send again"
                               : peer + "'s window is zero: " + me + " must stop sending and probe";
    }
    if (step.freed_bytes <= 0) return me + " learns that " + window;
    const bool several = scenario_.connections.size() > 1;
    std::string s = me + " receives the ACK for " + bytes(ev.seq) + (several ? " from " + peer : "") + ": " +
                    bytes(step.freed_bytes) + " leave its SendQ" + (several ? " to " + peer : "");
    if (step.directions[static_cast<size_t>(ev.direction)].sendq() == 0) s += ", now empty";
    if (step.waiting_writer >= 0) s += ", where " + who(ev.endpoint, step.waiting_writer) + " waits to write";
    return window.empty() ? s : s + "; " + window;
}

std::string Narrator::describe(const Step& step) const {
    const core::TraceEvent& ev = step.event;
    const std::string me = who(ev.endpoint, ev.thread);
    if (is_op_event(ev.kind) || ev.kind == TraceKind::sleep_done) return describe_op(ev);
    const std::string& peer = peer_of(ev);
    // With several connections a step says which one it is on.
    const bool several = scenario_.connections.size() > 1;
    const std::string to_peer = several ? " to " + peer : "", from_peer = several ? " from " + peer : "";
    switch (ev.kind) {
        case TraceKind::segment_sent:
            if (ev.fin) return me + " sends FIN" + to_peer + ": it will write no more";
            return me + " sends " + bytes(ev.length) + " to " + peer + " (bytes " + grouped(ev.seq) + ".." +
                   grouped(ev.seq + ev.length - 1) + ")";
        case TraceKind::segment_received:
            if (ev.fin) return me + " receives FIN" + from_peer + ": after the data in its RecvQ, reads return end of file";
            return me + " receives " + bytes(ev.length) + from_peer + " into its RecvQ";
        case TraceKind::ack_sent:
            if (ev.window == 0) {
                const core::DirectionCounters& in = step.directions[static_cast<size_t>(ev.direction)];
                const std::string zero = me + " acknowledges and advertises a ZERO window" + to_peer + ": its RecvQ ";
                const std::string held =
                    in.held > 0 ? " plus " + bytes(in.held) + " already read that a partly read skb still holds" : "";
                if (in.recvq() + in.held >= in.recvq_capacity)
                    return zero + "is full" + (in.held > 0 ? ": " + grouped(in.recvq()) + " unread" + held : "");
                // linux: __tcp_select_window offers nothing under one segment once the buffer is half used.
                return zero + "holds " + grouped(in.recvq()) + " of " + bytes(in.recvq_capacity) + held +
                       ", and less than one segment is free (receiver silly-window avoidance)";
            }
            return me + " acknowledges " + bytes(ev.seq) + from_peer + " and offers a window of " + bytes(ev.window);
        case TraceKind::ack_received: return describe_ack_received(step);
        case TraceKind::probe_sent: return me + "'s persist timer fires: it probes " + peer + "'s zero window";
        default: break;
    }
    return "";
}

std::string Narrator::describe_op(const core::TraceEvent& ev) const {
    const std::string me = who(ev.endpoint, ev.thread);
    const std::string_view op = model::op_name(ev.op);
    const std::string in = call(ev) + on(ev);
    switch (ev.kind) {
        case TraceKind::op_start: return me + " calls " + in;
        case TraceKind::op_block: return describe_block(ev);
        case TraceKind::op_return:
            if (is_write(op)) return me + "'s " + in + " returns: all " + bytes(ev.length) + " are in " + buffer_of(ev, true);
            if (op.starts_with("read"))
                return me + "'s " + in + " returns " + bytes(ev.length) + (ev.length == 0 ? " (end of file)" : "");
            return me + "'s " + in + " returns";
        case TraceKind::op_batch:
            return me + " runs " + text::count(ev.requested, "loop iteration", "identical loop iterations") + " at once (" +
                   bytes(ev.length) + " moved)";
        case TraceKind::sleep_done: return me + " wakes up after " + text::format_duration(ev.duration_ns);
        default: break;
    }
    return "";
}

NarratedStep Narrator::render(const Step& step) const {
    return {step.event.time_ns, describe(step), queues(step), false};
}

// "2 calls to read_exact by server.main", "1 zero-window ACK sent by B".
std::string Narrator::kind_phrase(const Kind& kind, int64_t steps) const {
    const auto [k, endpoint, thread, op, variant, target] = kind;
    const TraceKind trace_kind = static_cast<TraceKind>(k);
    // With several channels, which one: "on proxy->server", "to queue jobs".
    std::string where;
    if (target >= 0 && is_op_event(trace_kind) && scenario_.endpoints[static_cast<size_t>(endpoint)].channels.size() > 1)
        where = " " + names_.channel_words(scenario_, endpoint, target, *model::op_kind_named(op));
    if (target >= 0 && !is_op_event(trace_kind) && scenario_.connections.size() > 1)
        where = " on " + names_.directions[static_cast<size_t>(target)];
    const std::string by = who(endpoint, thread) + where;
    const std::string op_name(op);
    using text::count;
    switch (trace_kind) {
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

NarratedStep Narrator::summary(int64_t steps) const {
    std::string kinds;
    for (const auto& [kind, n] : skipped_) kinds += (kinds.empty() ? "" : ", ") + kind_phrase(kind, n);
    return {first_skipped_ns_, text::count(steps, "more step", "more steps") + " of the same pattern (" + kinds + ")", "", true};
}

void Narrator::on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs,
                        std::span<const core::ByteQueueCounters> byte_queues) {
    Step step{ev, {dirs.begin(), dirs.end()}, {byte_queues.begin(), byte_queues.end()}};
    if (!worth_telling(step)) return;
    const int target = ev.direction >= 0 ? ev.direction : acts_on_channel(ev) ? ev.channel : -1;
    const Kind kind{static_cast<int>(ev.kind), ev.endpoint, ev.thread, std::string_view(model::op_name(ev.op)),
                    variant_of(step), target};
    int64_t& told = told_[kind];
    if (told < kShownPerKind) {
        if (!skipped_.empty()) {
            int64_t total = 0;
            for (const auto& entry : skipped_) total += entry.second;
            told_steps_.push_back(summary(total));
            skipped_.clear();
            tail_.clear();
        }
        ++told;
        told_steps_.push_back(render(step));
        return;
    }
    if (skipped_.empty()) first_skipped_ns_ = ev.time_ns;
    ++skipped_[kind];
    tail_.push_back(step);
    if (tail_.size() > kTailSteps) tail_.pop_front();
}

std::vector<NarratedStep> Narrator::steps() const {
    std::vector<NarratedStep> out = told_steps_;
    if (skipped_.empty()) return out;
    int64_t total = 0;
    for (const auto& entry : skipped_) total += entry.second;
    const int64_t hidden = total - static_cast<int64_t>(tail_.size());
    if (hidden > 0) out.push_back(summary(hidden));
    for (const Step& s : tail_) out.push_back(render(s));
    return out;
}

std::vector<std::string> Narrator::lines() const {
    std::vector<std::string> out;
    for (const NarratedStep& step : steps())
        out.push_back(step.summary ? "          ... " + step.what + " ..."
                                   : text::format_duration(step.time_ns) + "  " + step.what + "  " + step.queues);
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
    // The rule is about one writer and one reader joined by one connection: its sums count every
    // byte an endpoint wrote, which queues and other connections would falsify.
    if (ChannelNames(scenario).several)
        return {"The closed-form rule covers two endpoints joined by one connection; this scenario has " +
                text::count(static_cast<int64_t>(scenario.connections.size()), "connection", "connections") + " and " +
                text::count(static_cast<int64_t>(scenario.byte_queues.size()), "queue or pipe", "queues or pipes") +
                (result.outcome == core::Outcome::deadlock ? ": the wait-for cycle above says where the run stops."
                                                           : ", so the run itself is the answer.")};
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
