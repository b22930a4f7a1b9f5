#include "core/tcp_sender.hpp"

#include <algorithm>

namespace tcpsim::core {

int64_t LinkLine::carry(int64_t now_ns, int64_t payload_bytes, int64_t header_bytes) {
    const int128 bits = static_cast<int128>(payload_bytes + header_bytes) * 8;
    const int128 serialization_ns = (bits * 1'000'000'000 + spec_.bandwidth_bps - 1) / spec_.bandwidth_bps;
    busy_until_ns_ = std::max(now_ns, busy_until_ns_) + static_cast<int64_t>(serialization_ns);
    return busy_until_ns_ + spec_.delay_ns;
}

void TcpSender::transmit_pending() {
    const int64_t now = run_.now_ns();
    // Bounded: each pass sends a segment or returns; segments are bounded by the window.
    for (int64_t guard = 0; guard <= c_.recvq_capacity + 1; ++guard) {
        if (line_.busy(now)) {
            if (!line_.wake_pending && (unsent() > 0 || (fin_requested_ && !fin_sent_))) {
                line_.wake_pending = true;
                run_.events.schedule(line_.busy_until_ns(), Event{.type = EventType::link_free, .target = index_});
            }
            return;
        }
        const int64_t len = sendable_bytes();
        if (len > 0) {
            send_segment(len, false);
        } else if (unsent() == 0 && fin_requested_ && !fin_sent_) {
            send_segment(0, true);
        } else {
            if (unsent() > 0 && c_.sent == c_.acked) arm_persist();
            return;
        }
    }
    TCPSIM_CHECK(!"transmit loop bound exceeded");
}

inline int64_t TcpSender::sendable_bytes() const {
    return rules::sendable_bytes(run_.params, rules::SendState{
        .segment_bytes = segment_bytes(),
        .unsent = unsent(),
        .usable_window = c_.acked + c_.peer_window - c_.sent,
        .fin_queued = fin_requested_,
        .small_segment_unacked = small_segment_end_ > c_.acked,
    });
}

inline void TcpSender::send_segment(int64_t len, bool fin) {
    const int64_t now = run_.now_ns();
    const int64_t arrival_ns = line_.carry(now, len, run_.params.header_bytes);
    run_.events.schedule(arrival_ns, Event{.type = EventType::segment_arrival, .fin = fin, .target = index_,
                                           .a = c_.sent, .b = len});
    emit({now, TraceKind::segment_sent, endpoint_, -1, c_.sent, len, 0, 0, fin});
    c_.sent += len;
    c_.in_flight += len;
    if (fin) fin_sent_ = true;
    if (len > 0 && len < segment_bytes()) small_segment_end_ = c_.sent;
    if (len > 0) persist_backoff_ = 0;
    run_.events.cancel(persist_);
}

void TcpSender::arm_persist() {
    if (persist_.armed()) return;
    const int64_t interval_ns = rules::persist_interval_ns(run_.params, persist_base_ns_, persist_backoff_);
    run_.events.arm(persist_, run_.now_ns() + interval_ns, Event{.type = EventType::persist_timeout, .target = index_});
}

void TcpSender::on_ack(int64_t ack, int64_t window) {
    TCPSIM_CHECK(ack >= c_.acked && ack <= c_.sent);
    if (ack != c_.acked || window != c_.peer_window) run_.touch();
    c_.acked = ack;
    c_.peer_window = window;
    if (window > max_peer_window_) {
        max_peer_window_ = window;
        c_.sendq_capacity = rules::sendq_after_window_growth(run_.params, c_.sendq_capacity, sndbuf_bytes_, window,
                                                             line_.spec().mss_bytes);
    }
    emit({run_.now_ns(), TraceKind::ack_received, endpoint_, -1, ack, 0, window});
}

void TcpSender::on_persist_timeout() {
    const int64_t now = run_.now_ns();
    ++persist_backoff_;
    emit({now, TraceKind::persist_timeout, endpoint_, -1, c_.sent, 0, c_.peer_window});
    const int64_t usable = c_.acked + c_.peer_window - c_.sent;
    if (usable > 0 && unsent() > 0) {
        // tcp_write_wakeup: a window smaller than a segment still takes what fits.
        send_segment(std::min({usable, unsent(), segment_bytes()}), false);
        return;
    }
    run_.events.schedule(now + line_.spec().delay_ns, Event{.type = EventType::probe_arrival, .target = index_});
    emit({now, TraceKind::probe_sent, endpoint_, -1, c_.sent, 0, 0});
}

}  // namespace tcpsim::core
