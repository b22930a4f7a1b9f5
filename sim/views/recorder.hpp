// Samples of a run for pictures: every socket's SendQ and RecvQ, every queue's and pipe's level,
// and every thread's bytes over time; and the instants a timeline marks: where a write blocks and
// returns, and where the textbook rule says it can return.
// One sample per instant; memory stays bounded: past kMaxSamples it keeps every other
// sample and samples half as often, and it keeps at most kMarkedWritesPerThread writes a thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "core/model.hpp"

namespace tcpsim::views {

struct Sample {
    int64_t time_ns = 0;
    // Per socket (Result::queues order) its SendQ then its RecvQ, then each byte queue's level:
    // in queue_labels() order.
    std::vector<int64_t> queues;
    std::vector<int64_t> written;  // per thread, in Result::threads order
    std::vector<int64_t> read;
    // Bytes sent on any connection and not yet acknowledged: on the wire, or their ACK is. While
    // it is 0 and nothing above changes, no byte moves.
    int64_t in_transit = 0;
};

// A write that blocked: where it first blocked and where it returned. In `textbook`, a write of
// n > SQS+RQS on a socket can return only once the peer has read n-(SQS+RQS) of it (written -
// read never exceeds SendQ + RecvQ capacity): the instant its reads reach that is kept too.
struct BlockedWrite {
    size_t thread = 0;            // index into thread_labels()
    model::OpKind op = model::OpKind::write;
    int64_t requested = 0;        // n
    int64_t blocked_ns = 0;       // the first time it blocked
    int64_t returned_ns = -1;     // -1: it had not returned when the run ended
    std::string reader;           // the peer endpoint ("" on a queue or pipe)
    // n-(SQS+RQS), when the rule applies (textbook, a socket, n > SQS+RQS); else -1.
    int64_t rule_bytes = -1;
    // The peer's reads on the connection that make the rule's figure: the bytes written on it
    // before this write, plus rule_bytes.
    int64_t rule_read_bytes = 0;
    int64_t rule_read_ns = -1;    // when the peer's reads reached rule_read_bytes; -1: not reached
};

class Recorder : public core::Observer {
public:
    static constexpr size_t kMaxSamples = 20000;
    // A write loop can block a million times: a thread keeps its first two blocked writes and
    // its latest one (the one a deadlock stops in).
    static constexpr size_t kMarkedWritesPerThread = 3;
    explicit Recorder(const model::Scenario& scenario);
    void on_event(const core::TraceEvent& event, std::span<const core::DirectionCounters> directions, std::span<const core::ByteQueueCounters> byte_queues) override;
    const std::vector<Sample>& samples() const { return samples_; }
    const std::vector<std::string>& thread_labels() const { return labels_; }  // "A.main", ...
    // "A.SendQ", "A.RecvQ", ... with one connection; "proxy.server.SendQ", ... with several;
    // then the byte queues' keys ("server.jobs", "stdin").
    const std::vector<std::string>& queue_labels() const { return queue_labels_; }
    // The kept blocked writes, in the order they first blocked (a kept latest write may replace
    // an earlier latest one).
    const std::vector<BlockedWrite>& blocked_writes() const { return writes_; }
    // Per thread, how many of its writes blocked, kept or not.
    const std::vector<int64_t>& blocked_write_counts() const { return blocked_counts_; }

private:
    // The write a thread is in, from its op_start to its op_return.
    struct OpenWrite {
        bool open = false;
        BlockedWrite write;
        int direction = -1;       // the direction it sends on; -1 on a queue or pipe
        int64_t kept = -1;        // its index in writes_ once it blocked and is kept
        bool blocked = false;
    };
    void start_write(const core::TraceEvent& event, size_t thread, std::span<const core::DirectionCounters> directions);
    void block_write(const core::TraceEvent& event, size_t thread);
    void follow_rule(const core::TraceEvent& event, std::span<const core::DirectionCounters> directions);

    // Per endpoint, per channel: the direction a write on it sends on, or -1 (a queue, a pipe);
    // and the endpoint at its other end.
    std::vector<std::vector<int>> send_direction_;
    std::vector<std::vector<std::string>> peer_;
    bool textbook_ = false;
    std::vector<OpenWrite> open_;  // per thread
    std::vector<BlockedWrite> writes_;
    std::vector<int64_t> blocked_counts_;
    std::vector<std::vector<size_t>> kept_;  // per thread, its writes' indices in writes_

    std::vector<std::string> labels_;
    std::vector<std::string> queue_labels_;
    std::vector<size_t> first_thread_;  // index of each endpoint's first thread in labels_
    Sample current_;
    std::vector<Sample> samples_;
    size_t stride_ = 1;
    size_t seen_ = 0;
};

}  // namespace tcpsim::views
