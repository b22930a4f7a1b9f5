// Model profiles: every rule that differs between the seeds' textbook model and
// a real Linux peer lives in this one data-driven struct.
#pragma once

#include <cstdint>

#include "core/model.hpp"

namespace tcpsim::core {

struct ProfileParams {
    // --- buffer sizing (linux only; textbook takes sqs/rqs as exact capacities) ---
    // net/core/sock.c, sk_setsockopt(SO_SNDBUF/SO_RCVBUF): val = min(val, *mem_max),
    // sk_buf = max(val * 2, SOCK_MIN_*BUF).
    int64_t wmem_max_bytes = 212992;   // net.core.wmem_max default
    int64_t rmem_max_bytes = 212992;   // net.core.rmem_max default
    int64_t sndbuf_min_bytes = 4608;   // SOCK_MIN_SNDBUF on x86_64
    int64_t rcvbuf_min_bytes = 2304;   // SOCK_MIN_RCVBUF on x86_64
    // Buffers when a scenario sets none: autotuning grows them towards tcp_wmem[2]
    // and tcp_rmem[2] during a bulk transfer (tcp_sndbuf_expand, tcp_rcv_space_adjust).
    int64_t sndbuf_default_bytes = 4194304;  // net.ipv4.tcp_wmem[2]
    int64_t rcvbuf_default_bytes = 6291456;  // net.ipv4.tcp_rmem[2]
    // The buffer an unset receiver starts from, which sizes the SYN's window: tcp_rmem[1].
    int64_t rcvbuf_initial_bytes = 131072;   // net.ipv4.tcp_rmem[1]
    // Share of sk_sndbuf / sk_rcvbuf that holds payload; the rest is skb overhead
    // (sk_wmem_queued counts truesize; tcp_win_from_space applies scaling_ratio).
    // payload capacity = buffer * ratio + extra (fitted by `tcpsim calibrate`).
    model::Ratio send_payload{1, 2};
    int64_t send_extra_bytes = 0;
    model::Ratio recv_payload{1, 2};
    int64_t recv_extra_bytes = 0;
    // Sender skb accounting (tcp.c tcp_sendmsg_locked): a writer appends to the tail skb
    // up to size_goal and starts a new skb only while sk_wmem_queued < sk_sndbuf; each skb
    // costs its payload plus this overhead. 0 keeps the linear SendQ line above.
    int64_t skb_overhead_bytes = 0;

    // --- receive side ---
    // tcp_recvmsg_locked frees a receive skb only once it is read to the end, and arriving
    // segments coalesce into an uncloned tail skb (tcp_try_coalesce, skb_try_coalesce).
    bool rcv_skbs_freed_whole = false;
    bool receiver_sws = false;        // tcp_output.c __tcp_select_window: no window below one MSS
    bool update_when_doubled = false; // tcp.c __tcp_cleanup_rbuf: update only if the window doubles
    bool delayed_ack = false;         // tcp_input.c __tcp_ack_snd_check
    int64_t delack_ns = 40'000'000;   // TCP_DELACK_MIN

    // --- send side ---
    bool nagle = false;               // tcp_output.c tcp_nagle_check (Minshall variant)
    bool whole_segment_in_window = false;  // tcp_snd_wnd_test: a segment must fit the window
    bool segment_half_window = false;      // tcp_output.c tcp_bound_to_half_wnd: segments <= max window / 2
    bool writer_wakes_at_third = false;    // sock.h sk_stream_wspace >= sk_stream_min_wspace

    // --- persist timer (RFC 9293 3.8.6.1; tcp_timer.c tcp_probe_timer) ---
    int64_t persist_min_ns = 1'000'000'000;
    int64_t persist_max_ns = 60'000'000'000;

    // IPv4 + TCP headers on the wire per segment (for serialization time).
    int64_t header_bytes = 40;
};

ProfileParams textbook_profile();
ProfileParams linux_profile();
ProfileParams profile_for(model::Profile profile);

struct Capacities {
    int64_t sendq_bytes = 0;
    int64_t recvq_bytes = 0;
    int64_t sndbuf_bytes = 0;  // SO_SNDBUF as the kernel holds it, with skb accounting; else 0
    int64_t initial_window_bytes = 0;  // the receive window of the SYN, with skb accounting; else 0
};

// The payload of one write-queue skb at the handshake: the SYN's window is unscaled
// (at most 65535) and half the peer's buffer (TCP_DEFAULT_SCALING_RATIO); tcp_sync_mss bounds
// the MSS to half of it, and tcp_xmit_size_goal packs whole MSSes into an skb up to half the
// window or the GSO limit.
int64_t skb_size_goal(int64_t peer_rcvbuf, int64_t mss_bytes);
// The window a receiver offers in its SYN: unscaled, so at most 65535, and half its buffer.
int64_t syn_window_bytes(int64_t rcvbuf);
// tcp_sync_mss: the segment size, at most half the largest window the peer offered
// (tcp_bound_to_half_wnd), so a small receiver still gets whole segments.
int64_t mss_for_window(int64_t max_window, int64_t mss_bytes);
// tcp_xmit_size_goal: whole segments of mss_for_window, up to half that window or the GSO limit.
int64_t size_goal_for_window(int64_t max_window, int64_t mss_bytes);
// A receive skb coalesces arriving segments only up to MAX_SKB_FRAGS page fragments
// (skbuff.h; skb_try_coalesce appends the segment's fragments to the tail's, never merging them).
constexpr int64_t kMaxSkbFrags = 17;
// The page fragments a segment carries: a writer copies its bytes into its task's page frag
// (sk_page_frag), pages of 32 KiB (sock.c, SKB_FRAG_PAGE_ORDER), one after another, so stream
// byte s lies at about offset s mod 32 KiB and a segment has one fragment per page it spans.
// About: skb_page_frag_refill takes a new page when fewer than 32 bytes are left (16-byte writes
// drift by 16 bytes a page), and reuses the page from offset 0 once only the task holds it.
int64_t page_frags_of_segment(int64_t stream_offset, int64_t len_bytes);
// The payload a buffer charged per skb truesize holds in skbs of `size_goal`.
int64_t skb_payload_bytes(const ProfileParams& params, int64_t buffer, int64_t size_goal);
// The SendQ payload with skb accounting: skbs of `size_goal` while sk_wmem_queued < sndbuf.
int64_t skb_sendq_bytes(const ProfileParams& params, int64_t sndbuf, int64_t size_goal);

// What the simulator uses as payload capacities for one endpoint; `peer` and the MSSes of the
// endpoint's sending and receiving directions matter only with skb accounting.
Capacities capacities_for(const ProfileParams& params, model::Profile profile, const model::Endpoint& endpoint,
                          const model::Endpoint& peer, int64_t send_mss_bytes, int64_t recv_mss_bytes);

}  // namespace tcpsim::core
