#include "views/narrate.hpp"

#include <algorithm>

#include "analysis/rule.hpp"
#include "scenario/units.hpp"

namespace tcpsim::views {

using core::TraceKind;

Narrator::Narrator(const model::Scenario& scenario) : scenario_(scenario) {}

std::string Narrator::who(int endpoint, int thread) const {
    const model::Endpoint& ep = scenario_.endpoints[endpoint];
    return thread >= 0 ? ep.name + "." + ep.threads[thread].name : ep.name;
}

std::string Narrator::queues(const std::array<core::DirectionCounters, 2>& dirs) const {
    const auto level = [](int64_t n, int64_t cap) { return std::to_string(n) + "/" + std::to_string(cap); };
    std::string s = "[";
    for (int e = 0; e < 2; ++e) {
        s += (e == 0 ? "" : " | ") + scenario_.endpoints[e].name + ": SendQ " +
             level(dirs[e].sendq(), dirs[e].sendq_capacity) + " RecvQ " +
             level(dirs[1 - e].recvq(), dirs[1 - e].recvq_capacity);
        if (dirs[1 - e].held > 0) s += " +" + std::to_string(dirs[1 - e].held) + " held";
    }
    return s + "]";
}

namespace {

std::string call(const core::TraceEvent& ev) {
    const std::string op = ev.op;
    if (op == "read_to_end" || op == "shutdown" || op == "close") return op + "()";
    if (op == "sleep") return "sleep()";
    if (op == "event_loop") return "event_loop(write " + std::to_string(ev.requested) + ")";
    return op + "(" + std::to_string(ev.requested) + ")";
}

bool is_write(const std::string& op) { return op == "write" || op == "send"; }

}  // namespace

bool Narrator::worth_telling(const core::TraceEvent& ev) {
    switch (ev.kind) {
        case TraceKind::persist_timeout:
        case TraceKind::delack_timeout: return false;
        case TraceKind::ack_received: {
            // Only a window that closes or reopens changes what the sender may do.
            int64_t& last = last_window_[ev.endpoint];
            const bool changed = (last == 0) != (ev.window == 0) && last >= 0;
            last = ev.window;
            return changed;
        }
        default: return true;
    }
}

std::string Narrator::describe(const Step& step) const {
    const core::TraceEvent& ev = step.event;
    const std::string me = who(ev.endpoint, ev.thread);
    const std::string& peer = scenario_.endpoints[1 - ev.endpoint].name;
    switch (ev.kind) {
        case TraceKind::op_start: return me + " calls " + call(ev);
        case TraceKind::op_block:
            if (is_write(ev.op))
                return me + " blocks in " + call(ev) + ": " + std::to_string(ev.length) + " of " + std::to_string(ev.requested) +
                       " bytes handed to TCP, " + std::to_string(ev.requested - ev.length) + " left, and its SendQ has no room";
            if (std::string(ev.op) == "sleep") return me + " sleeps";
            return me + " blocks in " + call(ev) + ": nothing to read yet";
        case TraceKind::op_return:
            if (is_write(ev.op)) return me + "'s " + call(ev) + " returns: all " + std::to_string(ev.length) + " bytes are in its SendQ";
            if (std::string(ev.op).rfind("read", 0) == 0)
                return me + "'s " + call(ev) + " returns " + std::to_string(ev.length) + " bytes" + (ev.length == 0 ? " (end of file)" : "");
            return me + "'s " + call(ev) + " returns";
        case TraceKind::op_batch:
            return me + " runs " + std::to_string(ev.requested) + " identical loop iterations at once (" + std::to_string(ev.length) +
                   " bytes moved)";
        case TraceKind::segment_sent:
            if (ev.fin) return me + " sends FIN: it will write no more";
            return me + " sends " + std::to_string(ev.length) + " bytes to " + peer + " (bytes " + std::to_string(ev.seq) + ".." +
                   std::to_string(ev.seq + ev.length - 1) + ")";
        case TraceKind::segment_received:
            if (ev.fin) return me + " receives FIN: after the data in its RecvQ, reads return end of file";
            return me + " receives " + std::to_string(ev.length) + " bytes into its RecvQ";
        case TraceKind::ack_sent:
            if (ev.window == 0) {
                const core::DirectionCounters& in = step.directions[1 - ev.endpoint];
                const std::string zero = me + " acknowledges and advertises a ZERO window: its RecvQ ";
                const std::string held = in.held > 0 ? " plus " + std::to_string(in.held) +
                                                           " bytes already read that a partly read skb still holds"
                                                     : "";
                if (in.recvq() + in.held >= in.recvq_capacity)
                    return zero + "is full" + (in.held > 0 ? ": " + std::to_string(in.recvq()) + " unread" + held : "");
                // linux: __tcp_select_window offers nothing under one segment once the buffer is half used.
                return zero + "holds " + std::to_string(in.recvq()) + " of " + std::to_string(in.recvq_capacity) +
                       " bytes" + held + ", and less than one segment is free (receiver silly-window avoidance)";
            }
            return me + " acknowledges " + std::to_string(ev.seq) + " bytes and offers a window of " + std::to_string(ev.window);
        case TraceKind::ack_received:
            if (ev.window > 0) return me + " learns that " + peer + "'s window reopened (" + std::to_string(ev.window) + " bytes): it may send again";
            return me + " learns that " + peer + "'s window is zero: it must stop sending and probe";
        case TraceKind::probe_sent: return me + "'s persist timer fires: it probes " + peer + "'s zero window";
        case TraceKind::sleep_done: return me + " wakes up";
        case TraceKind::persist_timeout:
        case TraceKind::delack_timeout: break;
    }
    return "";
}

std::string Narrator::render(const Step& step) const {
    return scenario::format_duration(step.event.time_ns) + "  " + describe(step) + "  " + queues(step.directions);
}

std::string Narrator::kind_name(const Kind& kind) const {
    const auto [k, endpoint, thread, op, zero] = kind;
    std::string name = std::string(core::to_string(static_cast<TraceKind>(k))) + " by " + who(endpoint, thread);
    if (!op.empty()) name += " " + std::string(op);
    return zero ? name + " (zero window)" : name;
}

std::string Narrator::summary(int64_t steps) const {
    std::string kinds;
    for (const auto& [kind, n] : skipped_) kinds += (kinds.empty() ? "" : ", ") + std::to_string(n) + " x " + kind_name(kind);
    return "          ... " + std::to_string(steps) + " more steps of the same pattern (" + kinds + ") ...";
}

void Narrator::on_event(const core::TraceEvent& ev, const std::array<core::DirectionCounters, 2>& dirs) {
    if (!worth_telling(ev)) return;
    const Kind kind{static_cast<int>(ev.kind), ev.endpoint, ev.thread, std::string_view(ev.op),
                    ev.kind == TraceKind::ack_sent && ev.window == 0};
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
        lines_.push_back(render(Step{ev, dirs}));
        return;
    }
    ++skipped_[kind];
    tail_.push_back(Step{ev, dirs});
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

std::vector<std::string> rule_lines(const model::Scenario& scenario, const core::Result& result) {
    std::vector<std::string> out;
    for (const core::ThreadReport& t : result.threads) {
        if (t.state != core::ThreadState::blocked || !t.blocked_in) continue;
        const core::BlockedIn& b = *t.blocked_in;
        if (b.op != "write" && b.op != "send") continue;
        const int e = result.queues[0].endpoint == t.endpoint ? 0 : 1;
        const int64_t sqs = result.queues[e].sqs, rqs = result.queues[1 - e].rqs;
        const analysis::WriteRule r = analysis::write_rule(b.requested, sqs, rqs);
        const std::string& peer = result.queues[1 - e].endpoint;
        out.push_back(t.endpoint + "." + t.name + ": write(" + std::to_string(b.requested) + ") with SQS+RQS = " +
                      std::to_string(sqs) + "+" + std::to_string(rqs) + " = " + std::to_string(sqs + rqs) +
                      ": TCP takes " + std::to_string(r.accepted) + " bytes while " + peer + " reads nothing" +
                      (r.peer_must_read > 0 ? ", and the write returns only after " + peer + " has read n-(SQS+RQS) = " +
                                                  std::to_string(r.peer_must_read) + " bytes"
                                            : ", so the write can return without a read") +
                      "; here it has " + std::to_string(b.done) + " in.");
    }
    if (const auto p = analysis::predict(scenario)) out.push_back("The rule for this shape (" + p->shape + "): " + p->explanation + ".");
    if (out.empty()) out.push_back("No write is blocked, and the closed-form rule does not cover this scenario's shape.");
    return out;
}

}  // namespace tcpsim::views
