// The sending side of one direction of a connection: the SendQ the applications write into,
// segmentation and the window (with the Linux rules of the profile), the link the segments
// cross, and the persist timer that probes a zero window.
#pragma once

#include <cstdint>

#include "core/linux_rules.hpp"
#include "core/model.hpp"
#include "core/run_context.hpp"

namespace tcpsim::core {

// The link of one direction: a segment occupies it for its serialization time, then travels
// for the propagation delay.
class LinkLine {
public:
    explicit LinkLine(const model::Link& spec) : spec_(spec) {}
    const model::Link& spec() const { return spec_; }
    bool busy(int64_t now_ns) const { return busy_until_ns_ > now_ns; }
    int64_t busy_until_ns() const { return busy_until_ns_; }
    // Puts a segment on the line; returns when it arrives at the far end.
    int64_t carry(int64_t now_ns, int64_t payload_bytes, int64_t header_bytes);
    // A link_free event is pending: the sender will look again when the line is free.
    bool wake_pending = false;

private:
    model::Link spec_;
    int64_t busy_until_ns_ = 0;
};

class TcpSender {
public:
    // `index` names the direction in events; `endpoint` is the sending endpoint's index.
    // `persist_base_ns`: the persist timer's first interval (rules::persist_base_ns).
    TcpSender(RunContext& run, DirectionCounters& counters, const model::Link& link, uint32_t index, int endpoint,
              int64_t persist_base_ns)
        : run_(run), c_(counters), line_(link), index_(index), endpoint_(endpoint), persist_base_ns_(persist_base_ns) {}
    void set_buffers(int64_t sendq_capacity, int64_t sndbuf_bytes) {
        c_.sendq_capacity = sendq_capacity;
        sndbuf_bytes_ = sndbuf_bytes;
    }
    // The handshake told the sender the receiver's first window.
    void hear_initial_window(int64_t window) {
        c_.peer_window = window;
        max_peer_window_ = window;
    }

    // ------------------------------------------------ the application's side
    const DirectionCounters& counters() const { return c_; }
    int64_t space() const { return c_.sendq_capacity - c_.sendq(); }
    // A blocked writer may go on (rules::writer_wakes).
    bool writable() const {
        const bool acked_from_backlog = std::min(c_.acked, sent_before_writer_sleep_) > acked_at_writer_block_;
        return rules::writer_wakes(run_.params, space(), c_.sendq_capacity, acked_from_backlog);
    }
    void write(int64_t bytes) { c_.written += bytes; }
    // A writer blocks on a full SendQ: `acked` now, and `sent` once this step's transmission is done.
    void writer_blocks() {
        acked_at_writer_block_ = c_.acked;
        sent_before_writer_sleep_ = c_.sent;
        writer_block_pending_ = true;
    }
    void shut_write() { fin_requested_ = true; }
    bool write_shut() const { return fin_requested_; }

    // ------------------------------------------------ the network's side
    // Sends what the window and the rules allow now (after every step of the run). With nothing
    // unsent and no FIN to send there is nothing to do, which is most steps.
    void transmit() {
        if (unsent() > 0 || (fin_requested_ && !fin_sent_)) transmit_pending();
    }
    void on_link_free() { line_.wake_pending = false; }
    void on_ack(int64_t ack, int64_t window);
    void on_persist_timeout();
    bool persist_armed() const { return persist_.armed(); }
    const LinkLine& line() const { return line_; }
    // After a step's transmissions: a writer that blocked in it counts ACKs up to what it sent.
    void end_of_step() {
        if (!writer_block_pending_) return;
        sent_before_writer_sleep_ = c_.sent;
        writer_block_pending_ = false;
    }

private:
    // Every event of this direction names it, so a trace of many connections tells them apart.
    void emit(TraceEvent event) {
        event.direction = static_cast<int>(index_);
        run_.trace.emit(event);
    }

    int64_t unsent() const { return c_.written - c_.sent; }
    int64_t segment_bytes() const { return rules::segment_bytes(run_.params, max_peer_window_, line_.spec().mss_bytes); }
    void transmit_pending();
    int64_t sendable_bytes() const;
    void send_segment(int64_t len, bool fin);
    void arm_persist();

    RunContext& run_;
    DirectionCounters& c_;
    LinkLine line_;
    uint32_t index_;
    int endpoint_;
    int64_t persist_base_ns_;
    bool fin_requested_ = false;
    bool fin_sent_ = false;
    int64_t small_segment_end_ = 0;  // Nagle/Minshall: end of the last sub-MSS segment sent
    int64_t max_peer_window_ = 0;    // the largest window the receiver ever offered
    int64_t sndbuf_bytes_ = 0;       // with skb accounting: SO_SNDBUF as the kernel holds it
    Timer persist_{false};           // judged by the engine: a probe matters only if a window opens
    int persist_backoff_ = 0;
    int64_t acked_at_writer_block_ = 0;
    int64_t sent_before_writer_sleep_ = 0;
    bool writer_block_pending_ = false;

};

}  // namespace tcpsim::core
