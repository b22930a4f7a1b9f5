// What a run produces: the verdict, where every thread stands, every queue's level,
// and the wait-for cycle in words. Views read only this and the observer stream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model.hpp"

namespace tcpsim::core {

// stopped: the run was stopped where its caller asked (--at), before any limit and before it ended.
enum class Outcome { deadlock, completed, limit, stopped };
// running: only when a limit or a stop cut the run off while the thread could still move.
enum class ThreadState { blocked, sleeping, running, done, failed };

// What cut a run off when the outcome is limit.
enum class LimitReason { none, time, events, operations };

const char* to_string(Outcome outcome);
const char* to_string(LimitReason reason);
const char* to_string(ThreadState state);

struct BlockedIn {
    model::OpKind op = model::OpKind::write;
    int index = 0;          // index of the thread's top-level op
    std::string at;         // full position, e.g. "ops[1].do[0]"
    int64_t requested = 0;  // bytes the op asked for (0 for read_to_end / event_loop reads / sleep)
    int64_t done = 0;       // bytes it had moved when the run ended
    int64_t duration_ns = 0;  // sleep: how long it sleeps
};

struct ThreadReport {
    std::string endpoint;
    std::string name;
    ThreadState state = ThreadState::done;
    int64_t bytes_written = 0;
    int64_t bytes_read = 0;
    std::optional<BlockedIn> blocked_in;  // set for blocked and sleeping threads
    std::string error;                    // set for failed threads
};

struct QueueReport {
    std::string endpoint;
    int64_t sendq = 0;  // unsent + unacknowledged bytes
    int64_t recvq = 0;  // received, not yet read
    int64_t sqs = 0;    // SendQ payload capacity the simulator used
    int64_t rqs = 0;    // RecvQ payload capacity the simulator used
    int64_t window = 0; // the window this endpoint last advertised
    int64_t recvq_held = 0;  // linux: bytes already read from a partly read skb, still taking RecvQ space
};

struct Result {
    std::string scenario;
    Outcome outcome = Outcome::completed;
    // deadlock: onset (the last state change); completed: when the last thread
    // finished; limit: when the limit was hit; stopped: where the run was stopped.
    int64_t time_ns = 0;
    int64_t events = 0;
    std::vector<ThreadReport> threads;
    std::vector<QueueReport> queues;  // one per endpoint, in the scenario's order
    std::vector<std::string> cycle;  // one hop a line, empty unless deadlock
    LimitReason limit_reason = LimitReason::none;  // set when outcome is limit
};

// "" when no thread failed; else "; 1 thread failed: A.main (send: Connection reset by peer)",
// so that a run that ended with an error never reads as a clean finish.
std::string failures_in_words(const Result& result);

}  // namespace tcpsim::core
