// The rules of a real Linux TCP peer, as pure functions named after the kernel code they model
// (net/ipv4/tcp_output.c, tcp_input.c, tcp.c, tcp_timer.c, net/core/sock.c, include/net/sock.h).
// Each takes the numbers it needs and the profile, and decides one thing; with the profile's
// flag off each reduces to the textbook model's rule. The sender and receiver call them; tests
// in tests/test_linux_rules.cpp pin each one by name.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/model.hpp"
#include "core/profile.hpp"

namespace tcpsim::core::rules {

// ---------------------------------------------------------------- buffers (sock.c, tcp.c)

struct Capacities {
    int64_t sendq_bytes = 0;
    int64_t recvq_bytes = 0;
    int64_t sndbuf_bytes = 0;  // SO_SNDBUF as the kernel holds it, with skb accounting; else 0
    int64_t initial_window_bytes = 0;  // the receive window of the SYN, with skb accounting; else 0
};

// What the simulator uses as payload capacities for one endpoint's socket; `peer` and the MSSes
// of the endpoint's sending and receiving directions matter only with skb accounting.
// sk_setsockopt(SO_SNDBUF/SO_RCVBUF): val = min(val, *mem_max), sk_buf = max(val * 2, SOCK_MIN_*BUF).
Capacities capacities_for(const ProfileParams& params, model::Profile profile, const model::SocketSizes& endpoint,
                          const model::SocketSizes& peer, int64_t send_mss_bytes, int64_t recv_mss_bytes);

// The window a receiver offers in its SYN: unscaled, so at most 65535, and half its buffer.
int64_t syn_window_bytes(int64_t rcvbuf);
// tcp_sync_mss / tcp_bound_to_half_wnd: the segment size, at most half the largest window the
// peer offered, so a small receiver still gets whole segments.
int64_t mss_for_window(int64_t max_window, int64_t mss_bytes);
// tcp_xmit_size_goal: whole segments of mss_for_window, up to half that window or the GSO limit.
int64_t size_goal_for_window(int64_t max_window, int64_t mss_bytes);
// The payload of one write-queue skb at the handshake: the SYN's window is unscaled (at most
// 65535) and half the peer's buffer (TCP_DEFAULT_SCALING_RATIO); tcp_sync_mss bounds the MSS to
// half of it, and tcp_xmit_size_goal packs whole MSSes into an skb up to half the window or the
// GSO limit.
int64_t skb_size_goal(int64_t peer_rcvbuf, int64_t mss_bytes);
// The payload a buffer charged per skb truesize holds in skbs of `size_goal`.
int64_t skb_payload_bytes(const ProfileParams& params, int64_t buffer, int64_t size_goal);
// tcp_sendmsg_locked: the SendQ payload with skb accounting, skbs of `size_goal` appended while
// sk_wmem_queued < sk_sndbuf.
int64_t skb_sendq_bytes(const ProfileParams& params, int64_t sndbuf, int64_t size_goal);
// tcp_ack_update_window: a larger window than ever re-syncs the MSS (tcp_sync_mss) and with it
// the size_goal that write-queue skbs fill up to, so the SendQ holds more (never less).
int64_t sendq_after_window_growth(const ProfileParams& params, int64_t sendq_capacity, int64_t sndbuf_bytes,
                                  int64_t max_peer_window, int64_t mss_bytes);

// ---------------------------------------------------------------- receive skbs (tcp_input.c)

// A receive skb coalesces arriving segments only up to MAX_SKB_FRAGS page fragments
// (skbuff.h; skb_try_coalesce appends the segment's fragments to the tail's, never merging them).
constexpr int64_t kMaxSkbFrags = 17;
// The page fragments a segment carries: a writer copies its bytes into its task's page frag
// (sk_page_frag), pages of 32 KiB (sock.c, SKB_FRAG_PAGE_ORDER), one after another, so stream
// byte s lies at about offset s mod 32 KiB and a segment has one fragment per page it spans.
// About: skb_page_frag_refill takes a new page when fewer than 32 bytes are left (16-byte writes
// drift by 16 bytes a page), and reuses the page from offset 0 once only the task holds it.
int64_t page_frags_of_segment(int64_t stream_offset, int64_t len_bytes);
// tcp_queue_rcv -> tcp_try_coalesce -> skb_try_coalesce: an arriving segment is appended to the
// tail skb unless the tail is still cloned. On loopback and veth the receiver holds a clone of
// the sender's skb until the sender frees its copy on the ACK; appending takes page references
// only and leaves the tail uncloned. So the tail grows once the segment it started as is
// acknowledged, until it holds MAX_SKB_FRAGS page fragments.
inline bool coalesces_into_tail(int64_t tail_first_end, int64_t acked, int64_t tail_frags, int64_t segment_frags) {
    return tail_first_end <= acked && tail_frags + segment_frags <= kMaxSkbFrags;
}

// ---------------------------------------------------------------- receive window (tcp_output.c)

// tcp_input.c tcp_grow_window: a segment with data raises rcv_ssthresh by twice the advertised
// MSS (its truesize is small), but never past the free space left then (room = min(clamp,
// tcp_space) - rcv_ssthresh): a receiver that fills up keeps offering small windows.
inline int64_t grown_rcv_ssthresh(int64_t rcv_ssthresh, int64_t free_bytes, int64_t mss_bytes) {
    return rcv_ssthresh < free_bytes ? std::min(free_bytes, rcv_ssthresh + 2 * mss_bytes) : rcv_ssthresh;
}

// __tcp_select_window: the window a receiver would offer now, before the no-shrink rule. With
// receiver SWS avoidance, below half the buffer no window under one received segment (rcv_mss)
// or a sixteenth of the buffer is offered.
inline int64_t select_window(const ProfileParams& params, int64_t capacity, int64_t free_bytes, int64_t rcv_mss,
                             int64_t rcv_ssthresh) {
    if (params.receiver_sws && free_bytes < capacity / 2 &&
        (free_bytes < std::min(rcv_mss, capacity) || free_bytes < capacity / 16))
        return 0;
    return std::min(free_bytes, rcv_ssthresh);
}

// tcp_select_window (RFC 9293 3.8.6.2.2): a window never moves its right edge to the left.
inline int64_t no_shrink_window(int64_t selected, int64_t offered_right_of_next) {
    return std::max(selected, offered_right_of_next);
}

// tcp.c __tcp_cleanup_rbuf: after a read, linux sends a window update only when the window at
// least doubles (and was at most half the buffer); the textbook receiver announces any growth.
inline bool window_update_due(const ProfileParams& params, int64_t current, int64_t fresh, int64_t capacity) {
    if (!params.update_when_doubled) return fresh > current;
    return 2 * current <= capacity && fresh > 0 && fresh >= 2 * current;
}

// tcp_input.c __tcp_ack_snd_check: without delayed ACKs every segment is acknowledged at once;
// with them, a FIN, more than one full segment unacknowledged with a window that does not shrink
// get an immediate ACK, and anything else waits for the delayed-ACK timer (TCP_DELACK_MIN).
inline bool ack_at_once(const ProfileParams& params, bool fin, int64_t unacked_bytes, int64_t rcv_mss,
                        int64_t fresh_window, int64_t last_window) {
    return !params.delayed_ack || fin || (unacked_bytes > rcv_mss && fresh_window >= last_window);
}

// ---------------------------------------------------------------- sending (tcp_output.c)

// tcp_bound_to_half_wnd: in linux the segment size is at most half the largest window the
// receiver offered, so a small receiver still gets whole segments; textbook: the MSS.
inline int64_t segment_bytes(const ProfileParams& params, int64_t max_peer_window, int64_t mss_bytes) {
    return params.segment_half_window ? mss_for_window(max_peer_window, mss_bytes) : mss_bytes;
}

struct SendState {
    int64_t segment_bytes = 0;       // segment_bytes() now
    int64_t unsent = 0;              // bytes in the SendQ not yet sent
    int64_t usable_window = 0;       // acked + peer window - sent
    bool fin_queued = false;         // the application has shut down its write side
    bool small_segment_unacked = false;  // a sub-MSS segment is still unacknowledged
};

// How many bytes the next segment may carry now (0: hold). tcp_snd_wnd_test: in linux a segment
// must fit the window whole. tcp_nagle_check (Minshall's variant): a sub-MSS segment waits while
// an earlier sub-MSS segment is unacknowledged, unless it is the last before the FIN.
inline int64_t sendable_bytes(const ProfileParams& params, const SendState& s) {
    const int64_t want = std::min(s.segment_bytes, s.unsent);
    if (want == 0) return 0;
    if (params.whole_segment_in_window ? want > s.usable_window : s.usable_window <= 0) return 0;
    const int64_t len = std::min(want, s.usable_window);
    const bool last_before_fin = s.fin_queued && len == s.unsent;
    if (params.nagle && len < s.segment_bytes && !last_before_fin && s.small_segment_unacked) return 0;
    return len;
}

// include/net/sock.h sk_stream_is_writeable / sk_stream_wspace >= sk_stream_min_wspace: a blocked
// writer wakes on any free byte (textbook), or once a third of the buffer is free. But ACKs that
// arrive while the writer holds the socket inside write() wait in its backlog, and
// sk_stream_wait_memory re-checks for any free space after release_sock has processed them.
// Application steps take no simulated time here, while on loopback a write takes longer than a
// round trip: so the ACKs of everything outstanding when the writer blocked, up to what that step
// sent, stand for that backlog (`acked_from_backlog`), and the writer refills what they free.
// They count whenever they come, delayed ACKs included: this is a fitted stand-in, not the
// kernel's exact rule (counting only ACKs within a round trip of the block puts 50 of the 81
// calibration cells in range instead of 62).
inline bool writer_wakes(const ProfileParams& params, int64_t space, int64_t capacity, bool acked_from_backlog) {
    if (!params.writer_wakes_at_third) return space > 0;
    return space > 0 && (3 * space >= capacity || acked_from_backlog);
}

// tcp_timer.c tcp_probe_timer / tcp_probe0_when: the persist timer's interval doubles with each
// unanswered probe, from max(TCP_RTO_MIN, 2 RTT) up to TCP_RTO_MAX; a segment with data resets it.
int64_t persist_interval_ns(const ProfileParams& params, int64_t base_ns, int backoff);
// The first interval: at least the profile's minimum, and twice the round trip.
int64_t persist_base_ns(const ProfileParams& params, int64_t rtt_ns);

}  // namespace tcpsim::core::rules
