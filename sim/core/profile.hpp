// Model profiles: every rule that differs between the seeds' textbook model and
// a real Linux peer lives in this one data-driven struct. Its defaults are the textbook
// model (every rule off). The one linux profile is a calibrated profile file,
// sim/profiles/linux.json (or linux-veth.json for Ethernet-sized segments), built into
// the binary and read by scenario::builtin_linux_params: the core holds no second copy.
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
    // Linux: SKB_TRUESIZE of a write-queue skb's head on x86_64 Linux 6.x, 832: SO_MEMINFO shows
    // sk_wmem_queued - SIOCOUTQ = 832 for a stalled SendQ in one skb (`calibrate` re-reads it).
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
    // Linux backs off from TCP_RTO_MIN (200 ms) up to TCP_RTO_MAX (120 s).
    int64_t persist_min_ns = 1'000'000'000;
    int64_t persist_max_ns = 60'000'000'000;

    // IPv4 + TCP headers on the wire per segment (for serialization time).
    int64_t header_bytes = 40;
};

ProfileParams textbook_profile();

}  // namespace tcpsim::core
