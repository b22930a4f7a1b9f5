#include "core/profile.hpp"

#include <algorithm>

#include "core/check.hpp"


namespace tcpsim::core {

ProfileParams textbook_profile() { return ProfileParams{}; }

ProfileParams linux_profile() {
    ProfileParams p;
    p.receiver_sws = true;
    p.update_when_doubled = true;
    p.delayed_ack = true;
    p.nagle = true;
    p.whole_segment_in_window = true;
    p.segment_half_window = true;
    p.writer_wakes_at_third = true;
    p.persist_min_ns = 200'000'000;      // TCP_RTO_MIN
    p.persist_max_ns = 120'000'000'000;  // TCP_RTO_MAX
    return p;
}

ProfileParams profile_for(model::Profile profile) {
    return profile == model::Profile::linux ? linux_profile() : textbook_profile();
}

namespace {

// sk_setsockopt: the kernel doubles the request to leave room for its bookkeeping.
int64_t kernel_buffer(int64_t requested, int64_t max_bytes, int64_t min_bytes) {
    return std::max(std::min(requested, max_bytes) * 2, min_bytes);
}

}  // namespace

Capacities capacities_for(const ProfileParams& params, model::Profile profile,
                          const model::Endpoint& endpoint) {
    if (profile == model::Profile::textbook) {
        TCPSIM_CHECK(endpoint.sqs_bytes && endpoint.rqs_bytes);
        return {*endpoint.sqs_bytes, *endpoint.rqs_bytes};
    }
    const int64_t sndbuf = endpoint.sqs_bytes
        ? kernel_buffer(*endpoint.sqs_bytes, params.wmem_max_bytes, params.sndbuf_min_bytes)
        : params.sndbuf_default_bytes;
    const int64_t rcvbuf = endpoint.rqs_bytes
        ? kernel_buffer(*endpoint.rqs_bytes, params.rmem_max_bytes, params.rcvbuf_min_bytes)
        : params.rcvbuf_default_bytes;
    // The receive window starts at half the buffer (TCP_DEFAULT_SCALING_RATIO) and only
    // grows, so a fitted line never takes the receive capacity below that.
    Capacities caps{std::max<int64_t>(1, model::apply_ratio(sndbuf, params.send_payload) + params.send_extra_bytes),
                    std::max(rcvbuf / 2, model::apply_ratio(rcvbuf, params.recv_payload) + params.recv_extra_bytes)};
    TCPSIM_CHECK(caps.sendq_bytes > 0 && caps.recvq_bytes > 0);
    return caps;
}

}  // namespace tcpsim::core
