// The observer stream: every event of a run, in order, with the byte counters of every
// direction at that moment. Views and tests listen; nothing they do can change the run.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/model.hpp"

namespace tcpsim::core {

// Byte counters of one direction of a connection (its sender's SendQ to its receiver's RecvQ).
// Counted, never stored: written >= sent >= acked, sent = arrived + in_flight, arrived >= read.
struct DirectionCounters {
    int64_t written = 0;    // bytes the sender's applications copied into the SendQ
    int64_t sent = 0;       // bytes transmitted (snd_nxt)
    int64_t acked = 0;      // bytes acknowledged (snd_una)
    int64_t in_flight = 0;  // bytes on the link, not yet arrived
    int64_t arrived = 0;    // bytes in the receiver (rcv_nxt)
    int64_t read = 0;       // bytes the receiver's applications read
    int64_t sendq_capacity = 0;
    int64_t recvq_capacity = 0;
    int64_t peer_window = 0;  // the window the sender last heard
    int64_t advertised = 0;   // the window the receiver last sent (may still be on its way)
    int64_t held = 0;         // linux: bytes read from a partly read receive skb, still taking RecvQ space
    int64_t sendq() const { return written - acked; }
    int64_t recvq() const { return arrived - read; }
};

// Byte counters of an in-process queue or a pipe: level = written - read, never above capacity.
struct ByteQueueCounters {
    int64_t written = 0;  // bytes its writers put in
    int64_t read = 0;     // bytes its readers took out
    int64_t capacity = 0;
    int64_t peak = 0;     // the highest level it reached
    bool writer_closed = false;
    bool reader_closed = false;
    int64_t level() const { return written - read; }
};

enum class TraceKind {
    segment_sent, segment_received, ack_sent, ack_received, probe_sent,
    op_start, op_block, op_return, op_batch, persist_timeout, delack_timeout, sleep_done,
};
const char* to_string(TraceKind kind);

inline bool is_op_event(TraceKind kind) {
    return kind == TraceKind::op_start || kind == TraceKind::op_block || kind == TraceKind::op_return ||
           kind == TraceKind::op_batch;
}

struct TraceEvent {
    int64_t time_ns = 0;
    TraceKind kind = TraceKind::segment_sent;
    int endpoint = 0;      // the endpoint the event happens at
    int thread = -1;       // index into the endpoint's threads, for op events
    int64_t seq = 0;       // segments: first byte; acks: ack number
    int64_t length = 0;    // segment payload bytes; op events: bytes moved so far
    int64_t window = 0;    // acks: advertised window
    int64_t requested = 0; // op events: bytes asked for; op_batch: iterations
    bool fin = false;
    model::OpKind op = model::OpKind::write;  // op events only (op_batch: repeat)
    int64_t thread_written = 0;  // op events: the thread's bytes written so far
    int64_t thread_read = 0;     // op events: the thread's bytes read so far
    int64_t duration_ns = 0;     // sleep's op events and sleep_done: how long the sleep lasts
    int channel = -1;    // op events: what the op acts on, an index into the endpoint's channels
    int direction = -1;  // TCP events: the direction (connection k: 2k and 2k+1)
};

class Observer {
public:
    virtual ~Observer() = default;
    // Called after the event took effect; `directions` are the counters at that moment, two per
    // connection: connection k's directions are 2k (its first endpoint sending) and 2k+1;
    // `byte_queues` are the scenario's queues and pipes, in its order.
    virtual void on_event(const TraceEvent& event, std::span<const DirectionCounters> directions,
                          std::span<const ByteQueueCounters> byte_queues) = 0;
};

// Forwards every event to several observers, in order.
class ObserverList : public Observer {
public:
    void add(Observer* observer) { observers_.push_back(observer); }
    bool empty() const { return observers_.empty(); }
    void on_event(const TraceEvent& event, std::span<const DirectionCounters> directions,
                  std::span<const ByteQueueCounters> byte_queues) override {
        for (Observer* o : observers_) o->on_event(event, directions, byte_queues);
    }

private:
    std::vector<Observer*> observers_;
};

// How far a long run has come, for a progress display: the engine calls it every
// kProgressSteps events or operations, never otherwise, so it cannot change the run.
struct Progress {
    int64_t now_ns = 0;
    int64_t events = 0;
    int64_t operations = 0;
};
using ProgressFn = std::function<void(const Progress&)>;
inline constexpr int64_t kProgressSteps = int64_t{1} << 20;

}  // namespace tcpsim::core
