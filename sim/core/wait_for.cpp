#include "core/wait_for.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "text/format.hpp"

namespace tcpsim::core {

namespace {

using model::OpKind;
using text::bytes;
using text::grouped;

std::string label(const ThreadReport& t) { return t.endpoint + "." + t.name; }

std::string held_text(const QueueReport& q) {
    if (q.recvq_held == 0) return "";
    return " (plus " + bytes(q.recvq_held) + " already read from an skb the kernel frees only once it is read to the end)";
}

std::string on_text(const BlockedIn& b) { return b.on.empty() ? "" : " " + b.on; }

std::string call_text(const BlockedIn& b) { return text::call_text(model::op_name(b.op), b.requested, b.duration_ns); }

// Which channels a thread's program writes to and reads from, anywhere in it.
struct ChannelUse {
    std::vector<bool> writes;
    std::vector<bool> reads;
};

void note_uses(const std::vector<model::Op>& ops, ChannelUse& use) {
    for (const model::Op& op : ops) {
        const auto at = static_cast<size_t>(op.channel);
        switch (op.kind) {
            case OpKind::write:
            case OpKind::send: use.writes[at] = true; break;
            case OpKind::read:
            case OpKind::read_exact:
            case OpKind::read_to_end: use.reads[at] = true; break;
            case OpKind::event_loop:
                use.writes[at] = use.writes[at] || op.write_total > 0;
                use.reads[at] = true;
                break;
            case OpKind::repeat: note_uses(op.body, use); break;
            default: break;
        }
    }
}

class CycleWriter {
public:
    CycleWriter(const model::Scenario& scenario, const Result& result, const WaitForFacts& facts)
        : scenario_(scenario), result_(result), facts_(facts), visited_(result.threads.size(), false),
          first_thread_(scenario.endpoints.size(), 0) {
        size_t index = 0;
        for (size_t e = 0; e < scenario.endpoints.size(); ++e) {
            first_thread_[e] = index;
            const model::Endpoint& ep = scenario.endpoints[e];
            for (const model::Thread& thread : ep.threads) {
                ChannelUse& use = uses_.emplace_back();
                use.writes.assign(ep.channels.size(), false);
                use.reads.assign(ep.channels.size(), false);
                note_uses(thread.ops, use);
                ++index;
            }
        }
        TCPSIM_CHECK(index == result.threads.size());
        for (size_t i = 0; i < result.threads.size(); ++i)
            if (result.threads[i].state == ThreadState::blocked) blocked_.push_back(static_cast<int>(i));
    }

    WaitFor write() {
        WaitFor out;
        if (blocked_.empty()) return out;
        // A first walk from the first blocked thread finds where it closes; the words start
        // there, so threads that only wait on the cycle are not told as hops of it.
        const int start = walk(blocked_.front());
        lines_.clear();
        std::fill(visited_.begin(), visited_.end(), false);
        walk(start);
        out.cycle = std::move(lines_);
        for (int i : blocked_) {
            if (visited_[static_cast<size_t>(i)]) continue;
            const ThreadReport& t = result_.threads[static_cast<size_t>(i)];
            out.off_cycle.push_back(label(t) + " is blocked too, in " + call_text(*t.blocked_in) + " " +
                                    channel_words(t) + ", waiting on the cycle");
        }
        std::string finished;
        for (const ThreadReport& t : result_.threads)
            if (t.state == ThreadState::done) finished += (finished.empty() ? "" : ", ") + label(t);
        if (!finished.empty()) out.off_cycle.push_back(finished + " finished; the threads above are blocked for good");
        return out;
    }

private:
    // Follows the waits from thread `from`; returns the thread the walk came back to (where the
    // cycle closes), or `from` when it ended at an endpoint with no thread left.
    int walk(int from) {
        int current = from;
        for (size_t hop = 0; current >= 0 && hop <= result_.threads.size(); ++hop) {
            visited_[static_cast<size_t>(current)] = true;
            const int next = follow(result_.threads[static_cast<size_t>(current)]);
            if (next < 0) return closed_at_ >= 0 ? closed_at_ : from;
            current = next;
        }
        return from;
    }


    int endpoint_index(const std::string& name) const {
        const auto& eps = scenario_.endpoints;
        const auto it = std::find_if(eps.begin(), eps.end(), [&](const model::Endpoint& ep) { return ep.name == name; });
        TCPSIM_CHECK(it != eps.end());
        return static_cast<int>(it - eps.begin());
    }

    const model::Channel& channel_of(const ThreadReport& t) const {
        return scenario_.endpoints[static_cast<size_t>(endpoint_index(t.endpoint))].channels[static_cast<size_t>(
            t.blocked_in->channel)];
    }

    static size_t socket_count(const model::Endpoint& ep) {
        return static_cast<size_t>(std::count_if(ep.channels.begin(), ep.channels.end(), [](const model::Channel& c) {
            return c.kind == model::Channel::Kind::socket;
        }));
    }

    // "A.SendQ", or "A.SendQ to B" when A has sockets to several endpoints.
    std::string queue_name(int e, int peer, const char* queue, const char* preposition) const {
        const model::Endpoint& ep = scenario_.endpoints[static_cast<size_t>(e)];
        std::string name = ep.name + "." + queue;
        if (socket_count(ep) > 1) name += std::string(" ") + preposition + " " + scenario_.endpoints[static_cast<size_t>(peer)].name;
        return name;
    }

    std::string byte_queue_name(int q) const {
        const model::ByteQueue& spec = scenario_.byte_queues[static_cast<size_t>(q)];
        return spec.pipe ? "pipe " + spec.name : "queue " + result_.byte_queues[static_cast<size_t>(q)].name;
    }

    std::string channel_words(const ThreadReport& t) const {
        const model::Channel& ch = channel_of(t);
        const bool writing = model::is_write(t.blocked_in->op);
        if (ch.kind == model::Channel::Kind::socket) return (writing ? "to " : "from ") + ch.name;
        return (writing ? "to " : "from ") + byte_queue_name(ch.index);
    }

    // Describes why thread t waits and returns the next thread in the cycle (-1: end).
    int follow(const ThreadReport& t) {
        const model::Channel& ch = channel_of(t);
        if (ch.kind == model::Channel::Kind::byte_queue) return follow_byte_queue(t, ch.index);
        const BlockedIn& b = *t.blocked_in;
        const int e = endpoint_index(t.endpoint);
        const model::Connection& connection = scenario_.connections[static_cast<size_t>(ch.index)];
        const int side = connection.ends[0] == e ? 0 : 1;
        const int peer = connection.ends[static_cast<size_t>(1 - side)];
        const size_t mine_at = static_cast<size_t>(2 * ch.index + side);
        const size_t theirs_at = static_cast<size_t>(2 * ch.index + 1 - side);
        const QueueReport& mine = result_.queues[mine_at];
        const QueueReport& theirs = result_.queues[theirs_at];
        const std::string& other = scenario_.endpoints[static_cast<size_t>(peer)].name;
        // An event loop reads whatever arrives and writes whenever there is room, so when it
        // is stuck for good its RecvQ is empty: it waits for data like a reader.
        if (model::is_write(b.op)) {
            const std::string sendq = queue_name(e, peer, "SendQ", "to");
            const std::string recvq = queue_name(peer, e, "RecvQ", "from");
            lines_.push_back(label(t) + " is blocked in " + call_text(b) + on_text(b) + " with " + grouped(b.done) +
                             " of " + bytes(b.requested) + " accepted: it waits for space in " + sendq + " (" +
                             grouped(mine.sendq) + " of " + bytes(mine.sqs) + " used" +
                             (facts_.writer_wakes_at_third && mine.sendq < mine.sqs
                                  ? "; a blocked writer wakes only once a third of it is free"
                                  : "") +
                             ")");
            lines_.push_back(sendq + " drains only into " + recvq + ", which holds " + grouped(theirs.recvq) + " of " +
                             bytes(theirs.rqs) + held_text(theirs) +
                             (facts_.sockets[theirs_at].window_zero ? " and offers a zero window" : "") +
                             ": it needs a read by " + other);
            return next_at(peer, channel_at(peer, model::Channel::Kind::socket, ch.index), false, "read " + recvq);
        }
        const std::string recvq = queue_name(e, peer, "RecvQ", "from");
        const std::string sendq = queue_name(peer, e, "SendQ", "to");
        const std::string progress = b.op == OpKind::event_loop
            ? " with " + grouped(b.done) + " of " + bytes(b.requested) + " written and all that arrived read"
            : " with " + bytes(b.done) + " read";
        lines_.push_back(label(t) + " is blocked in " + call_text(b) + on_text(b) + progress + ": " + recvq + " is empty and " +
                         other +
                         (facts_.sockets[theirs_at].write_shut ? " has shut down but its data has not arrived"
                                                               : " has not shut down its side"));
        lines_.push_back(recvq + " fills only from " + sendq + ", which holds " + grouped(theirs.sendq) + " of " +
                         bytes(theirs.sqs) + ": it needs a write (or a shutdown) by " + other);
        return next_at(peer, channel_at(peer, model::Channel::Kind::socket, ch.index), true,
                       "write to " + scenario_.endpoints[static_cast<size_t>(e)].name);
    }

    int follow_byte_queue(const ThreadReport& t, int q) {
        const BlockedIn& b = *t.blocked_in;
        const model::ByteQueue& spec = scenario_.byte_queues[static_cast<size_t>(q)];
        const ByteQueueReport& level = result_.byte_queues[static_cast<size_t>(q)];
        const std::string name = byte_queue_name(q);
        if (model::is_write(b.op)) {
            lines_.push_back(label(t) + " is blocked in " + call_text(b) + " to " + name + " with " + grouped(b.done) +
                             " of " + bytes(b.requested) + " accepted: " + name + " holds " + grouped(level.level) +
                             " of " + bytes(level.capacity));
            lines_.push_back(name + " drains only by a read by " + scenario_.endpoints[static_cast<size_t>(spec.reader)].name);
            return next_at(spec.reader, channel_at(spec.reader, model::Channel::Kind::byte_queue, q), false, "read " + name);
        }
        lines_.push_back(label(t) + " is blocked in " + call_text(b) + " from " + name + " with " + bytes(b.done) +
                         " read: " + name + " is empty and its writing end is open");
        lines_.push_back(name + " fills only by a write (or a close) by " +
                         scenario_.endpoints[static_cast<size_t>(spec.writer)].name);
        return next_at(spec.writer, channel_at(spec.writer, model::Channel::Kind::byte_queue, q), true, "write to " + name);
    }

    // Endpoint e's channel for connection or byte queue `index`: every end of one has one.
    int channel_at(int e, model::Channel::Kind kind, int index) const {
        const int c = model::channel_index(scenario_, e, kind, index);
        TCPSIM_CHECK(c >= 0);
        return c;
    }

    // The next hop: endpoint e's first blocked thread that writes (or reads) channel c, one not
    // yet visited if there is one.
    int next_at(int e, int c, bool writer, const std::string& action) {
        const std::string& name = scenario_.endpoints[static_cast<size_t>(e)].name;
        const size_t begin = first_thread_[static_cast<size_t>(e)];
        const size_t end = begin + scenario_.endpoints[static_cast<size_t>(e)].threads.size();
        int next = -1;
        bool any_user = false;
        for (size_t i = begin; i < end; ++i) {
            const ChannelUse& use = uses_[i];
            if (!(writer ? use.writes : use.reads)[static_cast<size_t>(c)]) continue;
            any_user = true;
            if (result_.threads[i].state != ThreadState::blocked) continue;
            if (next < 0 || (visited_[static_cast<size_t>(next)] && !visited_[i])) next = static_cast<int>(i);
        }
        if (next < 0) {
            lines_.push_back(name + (any_user ? " has no thread left to " + action + ": all of them finished"
                                              : " has no thread that will " + action));
            return -1;
        }
        if (visited_[static_cast<size_t>(next)]) {
            lines_.push_back("but " + label(result_.threads[static_cast<size_t>(next)]) + " is the thread above: the cycle is closed");
            closed_at_ = next;
            return -1;
        }
        return next;
    }

    const model::Scenario& scenario_;
    const Result& result_;
    const WaitForFacts& facts_;
    std::vector<bool> visited_;        // by index into result_.threads
    std::vector<size_t> first_thread_;  // per endpoint, the index of its first thread in result_.threads
    std::vector<ChannelUse> uses_;      // by index into result_.threads
    std::vector<int> blocked_;          // the blocked threads, in report order
    std::vector<std::string> lines_;
    int closed_at_ = -1;  // the thread the last walk came back to
};

}  // namespace

WaitFor describe_cycle(const model::Scenario& scenario, const Result& result, const WaitForFacts& facts) {
    return CycleWriter(scenario, result, facts).write();
}

}  // namespace tcpsim::core
