#include "core/tcp_receiver.hpp"

namespace tcpsim::core {

int64_t TcpReceiver::open(int64_t recvq_capacity, int64_t initial_window_bytes) {
    c_.recvq_capacity = recvq_capacity;
    rcv_ssthresh_ = initial_window_bytes > 0 ? std::min(initial_window_bytes, recvq_capacity) : recvq_capacity;
    const int64_t window = fresh_window();
    adv_right_ = window;
    last_window_ = window;
    return window;
}

void TcpReceiver::free_read_skbs() {
    while (!skb_ends_.empty() && skb_ends_.front() <= c_.read) {
        head_skb_start_ = skb_ends_.front();
        skb_ends_.pop_front();
    }
    if (skb_ends_.empty()) head_skb_start_ = c_.read;  // nothing held (textbook: always)
}

void TcpReceiver::on_segment(int64_t seq, int64_t len, bool fin) {
    TCPSIM_CHECK(seq == c_.arrived);
    c_.in_flight -= len;
    if (len > 0 && run_.params.rcv_skbs_freed_whole) queue_skb(len);
    c_.arrived += len;
    rcv_mss_ = std::max(rcv_mss_, len);  // tcp_measure_rcv_mss
    if (len > 0) rcv_ssthresh_ = rules::grown_rcv_ssthresh(rcv_ssthresh_, free_bytes(), mss_bytes_);
    if (fin) fin_arrived_ = true;
    run_.touch();
    emit({run_.now_ns(), TraceKind::segment_received, endpoint_, -1, seq, len, 0, 0, fin});
    if (rules::ack_at_once(run_.params, fin, c_.arrived - ack_wup_, rcv_mss_, fresh_window(), last_window_)) {
        ack_now_ = true;
    } else if (!delack_.armed()) {
        run_.events.arm(delack_, run_.now_ns() + run_.params.delack_ns,
                        Event{.type = EventType::delack_timeout, .target = index_});
    }
}

void TcpReceiver::queue_skb(int64_t len) {
    const int64_t end = c_.arrived + len;
    const int64_t frags = rules::page_frags_of_segment(c_.arrived, len);
    if (!skb_ends_.empty() && rules::coalesces_into_tail(tail_first_end_, c_.acked, tail_frags_, frags)) {
        skb_ends_.back() = end;
        tail_frags_ += frags;
    } else {
        skb_ends_.push_back(end);
        tail_first_end_ = end;
        tail_frags_ = frags;
    }
}

void TcpReceiver::on_delack_timeout() {
    emit({run_.now_ns(), TraceKind::delack_timeout, endpoint_, -1, c_.arrived, 0, 0});
    if (c_.arrived != ack_wup_) ack_now_ = true;
}

void TcpReceiver::acknowledge_if_due() {
    if (!ack_now_ && read_since_ack_ &&
        rules::window_update_due(run_.params, adv_right_ - c_.arrived, fresh_window(), c_.recvq_capacity))
        ack_now_ = true;
    read_since_ack_ = false;
    if (ack_now_) send_ack();
}

void TcpReceiver::send_ack() {
    const int64_t window = window_to_advertise();
    adv_right_ = c_.arrived + window;
    ack_wup_ = c_.arrived;
    last_window_ = window;
    ack_now_ = false;
    read_since_ack_ = false;
    run_.events.cancel(delack_);  // a pending delayed ACK is now stale
    run_.events.schedule(run_.now_ns() + ack_delay_ns_,
                         Event{.type = EventType::ack_arrival, .target = index_, .a = c_.arrived, .b = window});
    emit({run_.now_ns(), TraceKind::ack_sent, endpoint_, -1, c_.arrived, 0, window});
}

}  // namespace tcpsim::core
