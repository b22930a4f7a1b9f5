#include "core/linux_rules.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace tcpsim::core::rules {

int64_t syn_window_bytes(int64_t rcvbuf) {
    constexpr int64_t kSynWindowMax = 65535;
    return std::min(kSynWindowMax, rcvbuf / 2);
}

namespace {

// tcp_bound_to_half_wnd: at most half the largest window the peer offered (all of a tiny one).
int64_t half_window_cutoff(int64_t max_window) {
    constexpr int64_t kMssDefault = 536;  // TCP_MSS_DEFAULT
    return max_window > kMssDefault ? max_window / 2 : max_window;
}

}  // namespace

int64_t mss_for_window(int64_t max_window, int64_t mss_bytes) {
    const int64_t cutoff = half_window_cutoff(max_window);
    return cutoff > 0 ? std::min(mss_bytes, cutoff) : mss_bytes;
}

int64_t size_goal_for_window(int64_t max_window, int64_t mss_bytes) {
    constexpr int64_t kGsoMaxBytes = 65536;  // GSO_LEGACY_MAX_SIZE: IPv4 on loopback and veth
    const int64_t mss_now = std::max<int64_t>(1, mss_for_window(max_window, mss_bytes));
    return std::max(mss_now, std::min(kGsoMaxBytes, half_window_cutoff(max_window)) / mss_now * mss_now);
}

int64_t page_frags_of_segment(int64_t stream_offset, int64_t len_bytes) {
    constexpr int64_t kPageFragBytes = 32768;
    TCPSIM_CHECK(stream_offset >= 0 && len_bytes > 0);
    return (stream_offset + len_bytes - 1) / kPageFragBytes - stream_offset / kPageFragBytes + 1;
}

int64_t skb_payload_bytes(const ProfileParams& params, int64_t buffer, int64_t size_goal) {
    TCPSIM_CHECK(size_goal > 0 && params.skb_overhead_bytes >= 0 && buffer >= 0);
    // floor(buffer * goal / (goal + overhead)) in integers: no floating point decides a byte count.
    return static_cast<int64_t>(static_cast<int128>(buffer) * size_goal / (size_goal + params.skb_overhead_bytes));
}

int64_t skb_size_goal(int64_t peer_rcvbuf, int64_t mss_bytes) {
    return size_goal_for_window(syn_window_bytes(peer_rcvbuf), mss_bytes);
}

int64_t skb_sendq_bytes(const ProfileParams& params, int64_t sndbuf, int64_t size_goal) {
    TCPSIM_CHECK(params.skb_overhead_bytes > 0 && size_goal > 0);
    const int64_t skb_cost = size_goal + params.skb_overhead_bytes;
    const int64_t skbs = (sndbuf + skb_cost - 1) / skb_cost;  // a new skb while queued < sndbuf
    return skbs * size_goal;
}

namespace {

// sk_setsockopt: the kernel doubles the request to leave room for its bookkeeping.
int64_t kernel_buffer(int64_t requested, int64_t max_bytes, int64_t min_bytes) {
    return std::max(std::min(requested, max_bytes) * 2, min_bytes);
}

int64_t sndbuf_of(const ProfileParams& params, const model::SocketSizes& endpoint) {
    return endpoint.sqs_bytes ? kernel_buffer(*endpoint.sqs_bytes, params.wmem_max_bytes, params.sndbuf_min_bytes)
                              : params.sndbuf_default_bytes;
}

int64_t rcvbuf_of(const ProfileParams& params, const model::SocketSizes& endpoint) {
    return endpoint.rqs_bytes ? kernel_buffer(*endpoint.rqs_bytes, params.rmem_max_bytes, params.rcvbuf_min_bytes)
                              : params.rcvbuf_default_bytes;
}

}  // namespace

Capacities capacities_for(const ProfileParams& params, model::Profile profile, const model::SocketSizes& endpoint,
                          const model::SocketSizes& peer, int64_t send_mss_bytes, int64_t recv_mss_bytes) {
    if (profile == model::Profile::textbook) {
        TCPSIM_CHECK(endpoint.sqs_bytes && endpoint.rqs_bytes);
        return {*endpoint.sqs_bytes, *endpoint.rqs_bytes};
    }
    const int64_t sndbuf = sndbuf_of(params, endpoint);
    const int64_t rcvbuf = rcvbuf_of(params, endpoint);
    // The receive queue fills to a fitted share of what the buffer holds as payload, never
    // below half the buffer (TCP_DEFAULT_SCALING_RATIO) nor above all of it (the fitted
    // offset would pass it for buffers below the calibration grid's).
    const auto recvq_of = [&](int64_t payload_bytes) {
        const int64_t fitted = model::apply_ratio(payload_bytes, params.recv_payload) + params.recv_extra_bytes;
        return std::clamp(fitted, rcvbuf / 2, rcvbuf);
    };
    if (params.skb_overhead_bytes == 0) {  // no skb accounting: linear lines, windows open at once
        const int64_t sendq = model::apply_ratio(sndbuf, params.send_payload) + params.send_extra_bytes;
        return {std::max<int64_t>(1, sendq), recvq_of(rcvbuf)};
    }
    // The handshake fixes the first size_goal each way (from the receiver's SYN window) and
    // this endpoint's own first window; the engine grows them as windows grow. An endpoint
    // that sets no SO_RCVBUF starts from tcp_rmem[1]. On loopback and veth the sender's skb
    // travels, so the receiver is charged its truesize: the buffer holds payload in skbs of
    // the peer's size_goal.
    const int64_t peer_syn_buffer = peer.rqs_bytes ? rcvbuf_of(params, peer) : params.rcvbuf_initial_bytes;
    const int64_t own_syn_buffer = endpoint.rqs_bytes ? rcvbuf : params.rcvbuf_initial_bytes;
    const int64_t sendq = skb_sendq_bytes(params, sndbuf, skb_size_goal(peer_syn_buffer, send_mss_bytes));
    const int64_t recvq = recvq_of(skb_payload_bytes(params, rcvbuf, skb_size_goal(own_syn_buffer, recv_mss_bytes)));
    Capacities caps{std::max<int64_t>(1, sendq), recvq, sndbuf, syn_window_bytes(own_syn_buffer)};
    TCPSIM_CHECK(caps.sendq_bytes > 0 && caps.recvq_bytes > 0);
    return caps;
}

int64_t sendq_after_window_growth(const ProfileParams& params, int64_t sendq_capacity, int64_t sndbuf_bytes,
                                  int64_t max_peer_window, int64_t mss_bytes) {
    if (sndbuf_bytes == 0) return sendq_capacity;  // no skb accounting: a fixed SendQ
    const int64_t goal = size_goal_for_window(max_peer_window, mss_bytes);
    return std::max(sendq_capacity, skb_sendq_bytes(params, sndbuf_bytes, goal));
}

int64_t persist_base_ns(const ProfileParams& params, int64_t rtt_ns) { return std::max(params.persist_min_ns, 2 * rtt_ns); }

int64_t persist_interval_ns(const ProfileParams& params, int64_t base_ns, int backoff) {
    const int shift = std::min(backoff, 40);
    const int128 interval = static_cast<int128>(base_ns) << shift;
    return static_cast<int64_t>(std::min<int128>(interval, params.persist_max_ns));
}

}  // namespace tcpsim::core::rules
