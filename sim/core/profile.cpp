#include "core/profile.hpp"

#include <algorithm>

#include "core/check.hpp"


namespace tcpsim::core {

ProfileParams textbook_profile() { return ProfileParams{}; }

ProfileParams linux_profile() {
    ProfileParams p;
    p.rcv_skbs_freed_whole = true;
    p.receiver_sws = true;
    p.update_when_doubled = true;
    p.delayed_ack = true;
    p.nagle = true;
    p.whole_segment_in_window = true;
    p.segment_half_window = true;
    p.writer_wakes_at_third = true;
    // SKB_TRUESIZE of a write-queue skb's head on x86_64 Linux 6.x: SO_MEMINFO shows
    // sk_wmem_queued - SIOCOUTQ = 832 for a stalled SendQ in one skb. `calibrate` re-reads it.
    p.skb_overhead_bytes = 832;
    p.persist_min_ns = 200'000'000;      // TCP_RTO_MIN
    p.persist_max_ns = 120'000'000'000;  // TCP_RTO_MAX
    return p;
}

ProfileParams profile_for(model::Profile profile) {
    return profile == model::Profile::linux ? linux_profile() : textbook_profile();
}

}  // namespace tcpsim::core
