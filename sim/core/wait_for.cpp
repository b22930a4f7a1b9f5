#include "core/wait_for.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "text/format.hpp"

namespace tcpsim::core {

namespace {

using text::bytes;
using text::grouped;

std::string label(const ThreadReport& t) { return t.endpoint + "." + t.name; }

std::string held_text(const QueueReport& q) {
    if (q.recvq_held == 0) return "";
    return " (plus " + bytes(q.recvq_held) + " already read from an skb the kernel frees only once it is read to the end)";
}

std::string call_text(const BlockedIn& b) { return text::call_text(model::op_name(b.op), b.requested, b.duration_ns); }

class CycleWriter {
public:
    CycleWriter(const model::Scenario& scenario, const Result& result, const WaitForFacts& facts)
        : scenario_(scenario), result_(result), facts_(facts), visited_(result.threads.size(), false),
          blocked_(scenario.endpoints.size()), cursor_(scenario.endpoints.size(), 0) {
        for (size_t i = 0; i < result.threads.size(); ++i) {
            const ThreadReport& t = result.threads[i];
            if (t.state == ThreadState::blocked) blocked_[endpoint_index(t.endpoint)].push_back(static_cast<int>(i));
        }
    }

    std::vector<std::string> write() {
        // The walk starts at the first endpoint with a blocked thread.
        int current = -1;
        for (size_t e = 0; e < blocked_.size() && current < 0; ++e) current = first_blocked_at(static_cast<int>(e));
        // Each hop visits a new blocked thread; there are finitely many.
        for (size_t hop = 0; current >= 0 && hop <= result_.threads.size(); ++hop) {
            visited_[static_cast<size_t>(current)] = true;
            current = follow(result_.threads[current]);
        }
        return lines_;
    }

private:
    int endpoint_index(const std::string& name) const {
        const auto& eps = scenario_.endpoints;
        const auto it = std::find_if(eps.begin(), eps.end(), [&](const model::Endpoint& ep) { return ep.name == name; });
        TCPSIM_CHECK(it != eps.end());
        return static_cast<int>(it - eps.begin());
    }

    // The first blocked thread of endpoint e not yet visited, else its first blocked thread
    // (-1: none). The cursor only moves forward, so a walk over n threads costs O(n), which
    // matters to a measured deadlock of thousands of threads.
    int first_blocked_at(int e) {
        const std::vector<int>& list = blocked_[e];
        size_t& cursor = cursor_[e];
        while (cursor < list.size() && visited_[static_cast<size_t>(list[cursor])]) ++cursor;
        if (cursor < list.size()) return list[cursor];
        return list.empty() ? -1 : list.front();
    }

    // Describes why thread t waits and returns the next thread in the cycle (-1: end).
    int follow(const ThreadReport& t) {
        const BlockedIn& b = *t.blocked_in;
        const int e = endpoint_index(t.endpoint);
        const int peer = facts_.sockets[static_cast<size_t>(e)].peer;
        const QueueReport& mine = result_.queues[e];
        const QueueReport& theirs = result_.queues[peer];
        const std::string& me = scenario_.endpoints[e].name;
        const std::string& other = scenario_.endpoints[peer].name;
        // An event loop reads whatever arrives and writes whenever there is room, so when it
        // is stuck for good its RecvQ is empty: it waits for data like a reader.
        if (model::is_write(b.op)) {
            lines_.push_back(label(t) + " is blocked in " + call_text(b) + " with " + grouped(b.done) +
                             " of " + bytes(b.requested) + " accepted: it waits for space in " + me +
                             ".SendQ (" + grouped(mine.sendq) + " of " + bytes(mine.sqs) + " used" +
                             (facts_.writer_wakes_at_third && mine.sendq < mine.sqs
                                  ? "; a blocked writer wakes only once a third of it is free"
                                  : "") +
                             ")");
            lines_.push_back(me + ".SendQ drains only into " + other + ".RecvQ, which holds " +
                             grouped(theirs.recvq) + " of " + bytes(theirs.rqs) + held_text(theirs) +
                             (facts_.sockets[static_cast<size_t>(peer)].window_zero ? " and offers a zero window" : "") +
                             ": it needs a read by " + other);
            return next_at(peer, "read " + other + ".RecvQ");
        }
        const std::string progress = b.op == model::OpKind::event_loop
            ? " with " + grouped(b.done) + " of " + bytes(b.requested) + " written and all that arrived read"
            : " with " + bytes(b.done) + " read";
        lines_.push_back(label(t) + " is blocked in " + call_text(b) + progress + ": " + me +
                         ".RecvQ is empty and " + other +
                         (facts_.sockets[static_cast<size_t>(peer)].write_shut ? " has shut down but its data has not arrived"
                                                : " has not shut down its side"));
        lines_.push_back(me + ".RecvQ fills only from " + other + ".SendQ, which holds " +
                         grouped(theirs.sendq) + " of " + bytes(theirs.sqs) + ": it needs a write (or a shutdown) by " +
                         other);
        return next_at(peer, "write to " + me);
    }

    int next_at(int e, const std::string& action) {
        const int next = first_blocked_at(e);
        const std::string& name = scenario_.endpoints[e].name;
        if (next < 0) {
            lines_.push_back(name + " has no thread left to " + action + ": all of them finished");
            return -1;
        }
        if (visited_[static_cast<size_t>(next)]) {
            lines_.push_back("but " + label(result_.threads[next]) + " is the thread above: the cycle is closed");
            return -1;
        }
        return next;
    }

    const model::Scenario& scenario_;
    const Result& result_;
    const WaitForFacts& facts_;
    std::vector<bool> visited_;             // by index into result_.threads
    std::vector<std::vector<int>> blocked_;  // per endpoint, its blocked threads in report order
    std::vector<size_t> cursor_;             // per endpoint, where first_blocked_at looks next
    std::vector<std::string> lines_;
};

}  // namespace

std::vector<std::string> describe_cycle(const model::Scenario& scenario, const Result& result,
                                        const WaitForFacts& facts) {
    return CycleWriter(scenario, result, facts).write();
}

}  // namespace tcpsim::core
