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
    int channel = 0;          // what the op acts on: an index into the endpoint's channels
    std::string on;           // "to server", "from queue jobs": set when the endpoint has several channels
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

// One socket's queues: the endpoint's side of a connection to `peer`.
struct QueueReport {
    std::string endpoint;
    std::string peer;
    int64_t sendq = 0;  // unsent + unacknowledged bytes
    int64_t recvq = 0;  // received, not yet read
    int64_t sqs = 0;    // SendQ payload capacity the simulator used
    int64_t rqs = 0;    // RecvQ payload capacity the simulator used
    int64_t window = 0; // the window this endpoint last advertised
    int64_t recvq_held = 0;  // linux: bytes already read from a partly read skb, still taking RecvQ space
};

// An in-process queue or a pipe when the run ended.
struct ByteQueueReport {
    std::string name;  // a pipe's name, or "endpoint.queue" for an in-process queue
    bool pipe = false;
    int64_t level = 0;
    int64_t capacity = 0;
    int64_t peak = 0;     // the highest level it reached
    int64_t written = 0;  // bytes put in over the run
    int64_t read = 0;     // bytes taken out
    bool writer_closed = false;
    bool reader_closed = false;
};

struct Result {
    std::string scenario;
    Outcome outcome = Outcome::completed;
    // deadlock: onset (the last state change); completed: when the last thread
    // finished; limit: when the limit was hit; stopped: where the run was stopped.
    int64_t time_ns = 0;
    int64_t events = 0;
    std::vector<ThreadReport> threads;
    // One per socket: connection by connection, each connection's first end then its second
    // (with one connection: one per endpoint, in the scenario's order).
    std::vector<QueueReport> queues;
    std::vector<ByteQueueReport> byte_queues;  // in the scenario's order
    std::vector<std::string> cycle;  // one hop a line, empty unless deadlock
    // deadlock: the blocked threads off the cycle, and the threads that finished, one a line
    std::vector<std::string> off_cycle;
    LimitReason limit_reason = LimitReason::none;  // set when outcome is limit
};

// How reports name result.queues[i]: as model::socket_keys does (the endpoint with one
// connection, else "endpoint.peer").
std::string socket_key(const Result& result, size_t i);

// "" when no thread failed; else "; 1 thread failed: A.main (send: Connection reset by peer)",
// so that a run that ended with an error never reads as a clean finish.
std::string failures_in_words(const Result& result);

}  // namespace tcpsim::core
