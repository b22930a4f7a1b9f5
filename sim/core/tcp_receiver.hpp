// The receiving side of one direction of a connection: the RecvQ the applications read from,
// the window it offers (with the Linux rules of the profile), its ACKs and the delayed-ACK timer,
// and, in linux, the receive skbs that hold buffer space until they are read to the end.
#pragma once

#include <cstdint>
#include <deque>

#include "core/linux_rules.hpp"
#include "core/run_context.hpp"

namespace tcpsim::core {

class TcpReceiver {
public:
    // `index` names the direction in events; `endpoint` is the receiving endpoint's index;
    // ACKs take `ack_delay_ns` (the reverse link's delay) to reach the sender.
    TcpReceiver(RunContext& run, DirectionCounters& counters, int64_t mss_bytes, uint32_t index, int endpoint,
                int64_t ack_delay_ns)
        : run_(run), c_(counters), mss_bytes_(mss_bytes), index_(index), endpoint_(endpoint),
          ack_delay_ns_(ack_delay_ns),
          // tcp_initialize_rcv_mss: a guess no larger than TCP_MSS_DEFAULT until segments arrive.
          rcv_mss_(std::min<int64_t>(mss_bytes, 536)) {}

    // The buffer and the window of the SYN (0: the whole RecvQ); returns the first window offered.
    int64_t open(int64_t recvq_capacity, int64_t initial_window_bytes);

    // ------------------------------------------------ the application's side
    const DirectionCounters& counters() const { return c_; }
    int64_t readable() const { return c_.recvq(); }
    bool at_eof() const { return fin_arrived_ && readable() == 0; }
    // The reader takes bytes out of the receive queue; skbs it has read to the end are freed.
    // Inline: every read of every thread comes here.
    void consume(int64_t bytes) {
        if (bytes <= 0) return;
        c_.read += bytes;
        read_since_ack_ = true;
        if (skb_ends_.empty()) {
            head_skb_start_ = c_.read;  // nothing held (textbook: always)
            return;
        }
        free_read_skbs();
    }
    // Bytes read from a partly read skb, still taking RecvQ space (linux).
    int64_t held() const { return c_.read - head_skb_start_; }
    int64_t last_window() const { return last_window_; }
    bool fin_arrived() const { return fin_arrived_; }

    // ------------------------------------------------ the network's side
    void on_segment(int64_t seq, int64_t len, bool fin);
    void on_delack_timeout();
    void on_probe() { ack_now_ = true; }
    // The window an ACK sent now would carry.
    int64_t window_to_advertise() const {
        return rules::no_shrink_window(fresh_window(), adv_right_ - c_.arrived);
    }
    // After a step: a read that opened the window enough, or a pending ACK, sends one now.
    // Runs after every step of the run, and most steps neither read nor owe an ACK.
    void end_of_step() {
        if (ack_now_ || read_since_ack_) acknowledge_if_due();
    }
    int64_t adv_right() const { return adv_right_; }

private:
    // Every event of this direction names it, so a trace of many connections tells them apart.
    void emit(TraceEvent event) {
        event.direction = static_cast<int>(index_);
        run_.trace.emit(event);
    }

    int64_t free_bytes() const { return c_.recvq_capacity - c_.recvq() - held(); }
    int64_t fresh_window() const {
        return rules::select_window(run_.params, c_.recvq_capacity, free_bytes(), rcv_mss_, rcv_ssthresh_);
    }
    void queue_skb(int64_t len);
    void free_read_skbs();
    void acknowledge_if_due();
    void send_ack();

    RunContext& run_;
    DirectionCounters& c_;
    int64_t mss_bytes_;
    uint32_t index_;
    int endpoint_;
    int64_t ack_delay_ns_;
    bool fin_arrived_ = false;
    int64_t rcv_mss_;          // the largest segment received (icsk_ack.rcv_mss)
    int64_t rcv_ssthresh_ = 0; // the most the receiver offers yet: the SYN's window, grown by arrivals
    int64_t adv_right_ = 0;    // arrived + window at the last advertisement; never moves left
    int64_t ack_wup_ = 0;      // `arrived` at the last acknowledgement (rcv_wup)
    int64_t last_window_ = 0;  // the window sent in the last acknowledgement
    bool ack_now_ = false;     // an acknowledgement goes out at the end of this step
    bool read_since_ack_ = false;
    Timer delack_{true};
    // The receive queue's skbs by their end sequence numbers (profile: rcv_skbs_freed_whole).
    // tcp_recvmsg_locked frees an skb, and the buffer space it holds, only once the reader
    // has consumed all of it: the bytes already read from the head skb still take space.
    std::deque<int64_t> skb_ends_;
    int64_t head_skb_start_ = 0;
    int64_t tail_first_end_ = 0;  // the end of the segment the tail skb started as
    int64_t tail_frags_ = 0;      // the page fragments the tail skb holds
};

}  // namespace tcpsim::core
