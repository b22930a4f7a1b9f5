// One test per rule of the linux profile (sim/core/profile.hpp ProfileParams, applied in
// sim/core/engine.cpp and sim/core/profile.cpp), named after the rule and the kernel function
// it models. Each drives a small scenario to where the rule acts and asserts the exact
// segments, ACKs and probes around it (time, endpoint, seq, length, window), with the profile
// and with only that rule turned off, so the difference the rule makes is written down.
//
// Every scenario runs on a link so fast that a segment takes 1 ns on the wire, with 1 ms of
// delay each way: a segment sent at t arrives at t + 1'000'001, an ACK sent at t arrives at
// t + 1'000'000, and segments sent back to back are 1 ns apart. Buffers stay below rmem_max,
// so a RecvQ holds exactly the SO_RCVBUF asked for (doubled, then half of it payload) and a
// receiver asking for at most 65535 bytes offers all of it from the SYN on.
#include <doctest/doctest.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

#include "core/linux_rules.hpp"
#include "support.hpp"
#include "trace_recorder.hpp"

using namespace tcpsim;
using namespace tcpsim::test;

namespace {

constexpr int64_t kInstantBps = 8'000'000'000'000'000;  // every segment serializes in 1 ns
constexpr int64_t kDelayNs = 1'000'000;
constexpr int64_t kMs = 1'000'000;

model::Scenario linux_pair(Side a, Side b, int64_t mss_bytes, int64_t delay_ns = kDelayNs) {
    return make_scenario(std::move(a), std::move(b), model::Profile::linux, mss_bytes, delay_ns, kInstantBps);
}

// The profile with one of its rules turned off.
core::ProfileParams linux_without(bool core::ProfileParams::*rule) {
    core::ProfileParams params = kernel_rules_params();
    REQUIRE(params.*rule);
    params.*rule = false;
    return params;
}

// Every scenario here runs to its end; one that does not is not the scenario its test describes.
TraceRecorder record(const model::Scenario& scenario, const core::ProfileParams& params) {
    TraceRecorder trace;
    REQUIRE(core::simulate(scenario, params, &trace).outcome == core::Outcome::completed);
    return trace;
}

// A writer's timeline: the ACKs it hears (sent by the receiver) and its own op events.
Trace acks_and_writer_ops(const TraceRecorder& trace, int64_t from_ns, int64_t to_ns) {
    Trace out;
    const Trace acks = trace.of_kind(core::TraceKind::ack_sent, from_ns, to_ns);
    const Trace ops = trace.ops(A, from_ns, to_ns);
    std::merge(acks.begin(), acks.end(), ops.begin(), ops.end(), std::back_inserter(out),
               [](const TraceLine& x, const TraceLine& y) { return x.time_ns < y.time_ns; });
    return out;
}

constexpr core::TraceKind kAck = core::TraceKind::ack_sent;
constexpr core::TraceKind kProbe = core::TraceKind::probe_sent;

}  // namespace

// ------------------------------------------------------------------------ acknowledgements

TEST_CASE("delayed ACK: a lone segment is acknowledged delack_ns after it arrives, a FIN at once (__tcp_ack_snd_check, tcp_send_delayed_ack)") {
    const Side b{64000, 64000, {{"main", {read_to_end_op(), sleep_op(100 * kMs)}}}};
    SUBCASE("a lone segment waits for the timer") {
        // B reads the 100 bytes at once, but one small segment earns no immediate ACK: the
        // delayed-ACK timer (TCP_DELACK_MIN, 40 ms) sends it.
        const model::Scenario s = linux_pair(Side{64000, 64000, {{"main", {write_op(100), sleep_op(100 * kMs)}}}}, b, 1460);
        CHECK(record(s, kernel_rules_params()).packets(0, 99 * kMs) == Trace{
            segment(0, A, 0, 100),
            ack(41'000'001, B, 100, 64000),
        });
        CHECK(record(s, linux_without(&core::ProfileParams::delayed_ack)).packets(0, 99 * kMs) == Trace{
            segment(0, A, 0, 100),
            ack(1'000'001, B, 100, 64000),
        });
    }
    SUBCASE("a FIN is acknowledged on arrival, with the data before it") {
        // (The FIN takes no sequence number in the simulator: the ACK number counts bytes.)
        const model::Scenario s = linux_pair(Side{64000, 64000, {{"main", {write_op(100), shutdown_op()}}}}, b, 1460);
        CHECK(record(s, kernel_rules_params()).packets(0, 99 * kMs) == Trace{
            segment(0, A, 0, 100),
            fin_segment(1, A, 100, 0),
            ack(1'000'002, B, 100, 64000),
        });
        CHECK(record(s, linux_without(&core::ProfileParams::delayed_ack)).packets(0, 99 * kMs) == Trace{
            segment(0, A, 0, 100),
            fin_segment(1, A, 100, 0),
            ack(1'000'001, B, 100, 64000),
            ack(1'000'002, B, 100, 64000),
        });
    }
}

TEST_CASE("quick ACK: more than one full segment unacknowledged, in a window that does not shrink, is acknowledged at once (__tcp_ack_snd_check)") {
    // B sleeps, so the segments stay in its RecvQ. Two full segments arrive 1 ns apart.
    const Side a{100000, 100000, {{"main", {write_op(2920), sleep_op(100 * kMs)}}}};
    SUBCASE("a large buffer: the window grows with each segment, and the second is ACKed on arrival") {
        // RecvQ 100000 offers the SYN's 65535 first; each segment raises rcv_ssthresh by two
        // MSS (tcp_grow_window), so the window does not shrink: 68455, then 71375. The first
        // segment is one rcv_mss unacknowledged, not more: it waits for the second.
        const model::Scenario s = linux_pair(a, Side{100000, 100000, {{"main", {sleep_op(50 * kMs), read_to_end_op()}}}}, 1460);
        CHECK(record(s, kernel_rules_params()).packets(0, 49 * kMs) == Trace{
            segment(0, A, 0, 1460),
            segment(1, A, 1460, 1460),
            ack(1'000'002, B, 2920, 71375),
        });
        CHECK(record(s, linux_without(&core::ProfileParams::delayed_ack)).packets(0, 49 * kMs) == Trace{
            segment(0, A, 0, 1460),
            segment(1, A, 1460, 1460),
            ack(1'000'001, B, 1460, 68455),
            ack(1'000'002, B, 2920, 71375),
        });
    }
    SUBCASE("a small buffer: the window shrinks as data waits, so the ACK waits for the timer") {
        // RecvQ 4000: after two segments 1080 bytes are free, less than the 4000 last offered.
        const model::Scenario s = linux_pair(a, Side{100000, 4000, {{"main", {sleep_op(50 * kMs), read_to_end_op()}}}}, 1460);
        CHECK(record(s, kernel_rules_params()).packets(0, 49 * kMs) == Trace{
            segment(0, A, 0, 1460),
            segment(1, A, 1460, 1460),
            ack(41'000'001, B, 2920, 1080),
        });
        CHECK(record(s, linux_without(&core::ProfileParams::delayed_ack)).packets(0, 49 * kMs) == Trace{
            segment(0, A, 0, 1460),
            segment(1, A, 1460, 1460),
            ack(1'000'001, B, 1460, 2540),
            ack(1'000'002, B, 2920, 1080),
        });
    }
}

// ------------------------------------------------------------------------ receive window

namespace {

// B's 4000-byte RecvQ fills with a 1000-byte skb and two of 1460 (so rcv_mss is 1460), then
// the 80 bytes the persist timer sends; B reads the 1000-byte skb at 300 ms and the next one
// at 400 ms.
model::Scenario one_mss_floor_scenario() {
    const Side a{100000, 100000, {{"main", {write_op(1000), sleep_op(10 * kMs), write_op(10000), read_to_end_op()}}}};
    const Side b{100000, 4000,
                 {{"main", {sleep_op(300 * kMs), read_exact_op(1000), sleep_op(100 * kMs), read_exact_op(1460),
                            sleep_op(100 * kMs), read_exact_op(8540)}}}};
    return linux_pair(a, b, 1460);
}

}  // namespace

TEST_CASE("receiver SWS avoidance: no window below one received segment once half the buffer is taken (__tcp_select_window)") {
    const model::Scenario s = one_mss_floor_scenario();
    // At 300 ms 1000 bytes are free: less than half the buffer and less than rcv_mss (1460),
    // so the profile offers nothing; at 400 ms 2460 are free and offered.
    CHECK(record(s, kernel_rules_params()).packets(280 * kMs, 450 * kMs) == Trace{
        ack(283'000'002, B, 4000, 0),
        ack(400'000'000, B, 4000, 2460),
        segment(401'000'000, A, 4000, 1460),
        ack(442'000'001, B, 5460, 1000),
    });
    // Without the rule the 1000 free bytes are offered at once (a window smaller than a
    // segment, which the sender will not fill: tcp_snd_wnd_test).
    CHECK(record(s, linux_without(&core::ProfileParams::receiver_sws)).packets(280 * kMs, 450 * kMs) == Trace{
        ack(283'000'002, B, 4000, 0),
        ack(300'000'000, B, 4000, 1000),
        ack(400'000'000, B, 4000, 2460),
        segment(401'000'000, A, 4000, 1460),
        ack(442'000'001, B, 5460, 1000),
    });
}

TEST_CASE("receiver SWS avoidance: no window below 1/16 of the buffer once half of it is taken (__tcp_select_window)") {
    // RecvQ 64000 and 3000-byte segments: rcv_mss (3000) is below 64000/16 = 4000, so the
    // sixteenth is the floor. 21 segments, sent in one burst and so each its own skb, and the
    // persist timer's 1000 bytes fill the buffer; B reads one segment at 300 ms (3000 free, not
    // offered) and one at 400 ms (6000 free, offered).
    const Side a{100000, 100000, {{"main", {write_op(100000), read_to_end_op()}}}};
    const Side b{100000, 64000,
                 {{"main", {sleep_op(300 * kMs), read_exact_op(3000), sleep_op(100 * kMs), read_exact_op(3000),
                            sleep_op(100 * kMs), read_exact_op(94000)}}}};
    const model::Scenario s = linux_pair(a, b, 3000);
    CHECK(record(s, kernel_rules_params()).packets(280 * kMs, 402 * kMs) == Trace{
        ack(283'000'002, B, 64000, 0),
        ack(400'000'000, B, 64000, 6000),
        segment(401'000'000, A, 64000, 3000),
        segment(401'000'001, A, 67000, 3000),
    });
    CHECK(record(s, linux_without(&core::ProfileParams::receiver_sws)).packets(280 * kMs, 402 * kMs) == Trace{
        ack(283'000'002, B, 64000, 0),
        ack(300'000'000, B, 64000, 3000),
        segment(301'000'000, A, 64000, 3000),
        ack(342'000'001, B, 67000, 0),
        ack(400'000'000, B, 67000, 3000),
        segment(401'000'000, A, 67000, 3000),
    });
}

TEST_CASE("receiver SWS avoidance: with half the buffer free, a window below one segment is offered (__tcp_select_window)") {
    // rcv_mss can pass half the buffer only when segments are not bounded to half the window,
    // so this test turns tcp_bound_to_half_wnd off: 3000-byte segments into a 4000-byte RecvQ.
    // B reads the first segment, then A sends 2500 and (with its FIN, past Nagle) 1500 as two
    // skbs. B reads the 2500-byte one at 101 ms: 2500 bytes free, below rcv_mss but not below
    // half the buffer, so they are offered, with the rule as without it.
    core::ProfileParams params = linux_without(&core::ProfileParams::segment_half_window);
    const Side a{100000, 100000,
                 {{"main", {write_op(3000), sleep_op(10 * kMs), write_op(2500), sleep_op(1 * kMs), write_op(1500), shutdown_op()}}}};
    const Side b{100000, 4000, {{"main", {read_exact_op(3000), sleep_op(100 * kMs), read_exact_op(2500), sleep_op(100 * kMs), read_to_end_op()}}}};
    const model::Scenario s = linux_pair(a, b, 3000);
    const Trace expected{
        segment(0, A, 0, 3000),
        ack(1'000'001, B, 3000, 4000),
        segment(10'000'000, A, 3000, 2500),
        segment(11'000'000, A, 5500, 1500),
        fin_segment(11'000'001, A, 7000, 0),
        ack(12'000'002, B, 7000, 0),
        ack(101'000'001, B, 7000, 2500),
    };
    CHECK(record(s, params).packets(0, 150 * kMs) == expected);
    params.receiver_sws = false;
    CHECK(record(s, params).packets(0, 150 * kMs) == expected);
}

TEST_CASE("window update after a read only when the window at least doubles (__tcp_cleanup_rbuf)") {
    SUBCASE("growth by less than double waits; exact doubling is announced") {
        // RecvQ 64000, 40 segments of 1000: the delayed ACK offers the 24000 left. Reading 1000
        // at 1 s would offer 25000; reading 23000 more at 1.1 s offers 48000, twice 24000.
        const Side a{100000, 100000, {{"main", {write_op(40000), sleep_op(2000 * kMs)}}}};
        const Side b{100000, 64000,
                     {{"main", {sleep_op(1000 * kMs), read_exact_op(1000), sleep_op(100 * kMs), read_exact_op(23000),
                                sleep_op(100 * kMs), read_exact_op(16000)}}}};
        const model::Scenario s = linux_pair(a, b, 1000);
        CHECK(record(s, kernel_rules_params()).of_kind(kAck, 0, 1150 * kMs) == Trace{
            ack(41'000'001, B, 40000, 24000),
            ack(1'100'000'000, B, 40000, 48000),
        });
        CHECK(record(s, linux_without(&core::ProfileParams::update_when_doubled)).of_kind(kAck, 0, 1150 * kMs) == Trace{
            ack(41'000'001, B, 40000, 24000),
            ack(1'000'000'000, B, 40000, 25000),
            ack(1'100'000'000, B, 40000, 48000),
        });
    }
    SUBCASE("a read that leaves the window at zero announces nothing") {
        // B's 4000-byte RecvQ is full (two skbs of 1460 and one of 1080). Reading 1000 bytes
        // of the first skb frees nothing (tcp_recvmsg_locked), so the window stays 0: no ACK
        // at 300 ms, with the rule as without it. Reading the rest of it at 400 ms frees 1460.
        const Side a{100000, 100000, {{"main", {write_op(10000), read_to_end_op()}}}};
        const Side b{100000, 4000,
                     {{"main", {sleep_op(300 * kMs), read_exact_op(1000), sleep_op(100 * kMs), read_exact_op(460),
                                sleep_op(100 * kMs), read_exact_op(8540)}}}};
        const model::Scenario s = linux_pair(a, b, 1460);
        const Trace expected{
            ack(283'000'002, B, 4000, 0),
            ack(400'000'000, B, 4000, 1460),
        };
        CHECK(record(s, kernel_rules_params()).of_kind(kAck, 280 * kMs, 420 * kMs) == expected);
        CHECK(record(s, linux_without(&core::ProfileParams::update_when_doubled)).of_kind(kAck, 280 * kMs, 420 * kMs) == expected);
    }
}

TEST_CASE("no shrinking: an advertised right edge never moves left (RFC 9293 3.8.6.2.2, tcp_select_window)") {
    // Two segments leave 1080 of B's 4000 bytes free: SWS avoidance would offer 0, but 1080
    // was promised by the last window (right edge 4000), so the ACK keeps it, and the persist
    // timer then sends exactly those 1080 bytes. The rule has no flag: with SWS avoidance off
    // the same 1080 is offered because it is free.
    const Side a{100000, 100000, {{"main", {write_op(10000), read_to_end_op()}}}};
    const Side b{100000, 4000, {{"main", {sleep_op(1000 * kMs), read_exact_op(10000)}}}};
    const model::Scenario s = linux_pair(a, b, 1460);
    const Trace expected{
        segment(0, A, 0, 1460),
        segment(1, A, 1460, 1460),
        ack(41'000'001, B, 2920, 1080),
        segment(242'000'001, A, 2920, 1080),
        ack(283'000'002, B, 4000, 0),
    };
    CHECK(record(s, kernel_rules_params()).packets(0, 300 * kMs) == expected);
    CHECK(record(s, linux_without(&core::ProfileParams::receiver_sws)).packets(0, 300 * kMs) == expected);
}

TEST_CASE("window growth: the SYN's window first, then two MSS per data segment, never past the free space (tcp_grow_window)") {
    // RecvQ 70000; the SYN offers 65535 (unscaled). The first segment raises rcv_ssthresh by
    // 2 x 1460 to 68455; the second would raise it to 71375 but is held to the 68540 bytes
    // free when it arrives (70000 less that segment). B reads everything at once.
    const Side a{100000, 100000, {{"main", {write_op(1460), sleep_op(100 * kMs), write_op(2920), sleep_op(100 * kMs)}}}};
    const Side b{100000, 70000, {{"main", {read_to_end_op()}}}};
    const model::Scenario s = linux_pair(a, b, 1460);
    CHECK(record(s, kernel_rules_params()).of_kind(kAck, 0, 150 * kMs) == Trace{
        ack(41'000'001, B, 1460, 68455),
        ack(101'000'002, B, 4380, 68540),
    });
    // The SYN's window comes with skb accounting; without it the whole RecvQ is offered at
    // once, and as data waits the window shrinks, so the two segments wait for the timer.
    core::ProfileParams no_skbs = kernel_rules_params();
    no_skbs.skb_overhead_bytes = 0;
    CHECK(record(s, no_skbs).of_kind(kAck, 0, 150 * kMs) == Trace{
        ack(41'000'001, B, 1460, 70000),
        ack(141'000'001, B, 4380, 70000),
    });
}

// ------------------------------------------------------------------------ sender

namespace {

// A writes 100 twice 0.5 ms apart (t = 0), a full segment then 100 bytes (t = 100.5 ms), and
// 100 twice with a shutdown after the second (t = 201 ms). B reads everything at once, so its
// window is always its whole 64000-byte RecvQ.
model::Scenario nagle_scenario() {
    const Side a{100000, 100000,
                 {{"main", {write_op(100), sleep_op(kMs / 2), write_op(100), sleep_op(100 * kMs),
                            write_op(1460), sleep_op(kMs / 2), write_op(100), sleep_op(100 * kMs),
                            write_op(100), sleep_op(kMs / 2), write_op(100), shutdown_op()}}}};
    const Side b{100000, 64000, {{"main", {read_to_end_op()}}}};
    return linux_pair(a, b, 1460);
}

}  // namespace

TEST_CASE("Nagle: a small segment waits while a small segment is unacknowledged (tcp_nagle_check)") {
    const model::Scenario s = nagle_scenario();
    // The second 100 bytes wait for the (delayed) ACK of the first, which arrives at 42 ms.
    CHECK(record(s, kernel_rules_params()).packets(0, 99 * kMs) == Trace{
        segment(0, A, 0, 100),
        ack(41'000'001, B, 100, 64000),
        segment(42'000'001, A, 100, 100),
        ack(83'000'002, B, 200, 64000),
    });
    CHECK(record(s, linux_without(&core::ProfileParams::nagle)).packets(0, 99 * kMs) == Trace{
        segment(0, A, 0, 100),
        segment(500'000, A, 100, 100),
        ack(41'000'001, B, 200, 64000),
    });
}

TEST_CASE("Nagle, Minshall's variant: an unacknowledged full segment does not hold a small one (tcp_minshall_check)") {
    // Only a small segment in flight holds the next small one: the 100 bytes after an
    // unacknowledged full segment go at once, as they would without Nagle.
    const model::Scenario s = nagle_scenario();
    const Trace expected{
        segment(100'500'000, A, 200, 1460),
        segment(101'000'000, A, 1660, 100),
        ack(141'500'001, B, 1760, 64000),
    };
    CHECK(record(s, kernel_rules_params()).packets(100 * kMs, 199 * kMs) == expected);
    CHECK(record(s, linux_without(&core::ProfileParams::nagle)).packets(100 * kMs, 199 * kMs) == expected);
}

TEST_CASE("Nagle: the last segment before a FIN goes at once (tcp_nagle_test)") {
    // The second 100 bytes follow an unacknowledged small segment, but the writer shut down
    // after them: they leave with the FIN behind them, as without Nagle.
    const model::Scenario s = nagle_scenario();
    const Trace expected{
        segment(201'000'000, A, 1760, 100),
        segment(201'500'000, A, 1860, 100),
        fin_segment(201'500'001, A, 1960, 0),
    };
    CHECK(record(s, kernel_rules_params()).packets(200 * kMs, 202 * kMs) == expected);
    CHECK(record(s, linux_without(&core::ProfileParams::nagle)).packets(200 * kMs, 202 * kMs) == expected);
}

namespace {

// A writes 10000 bytes to B, which sleeps for a second in front of a 4000-byte RecvQ.
model::Scenario small_window_scenario(int64_t mss_bytes) {
    const Side a{100000, 100000, {{"main", {write_op(10000), read_to_end_op()}}}};
    const Side b{100000, 4000, {{"main", {sleep_op(1000 * kMs), read_exact_op(10000)}}}};
    return linux_pair(a, b, mss_bytes);
}

}  // namespace

TEST_CASE("a segment is sent only when it fits the window whole (tcp_snd_wnd_test)") {
    // After two 1460-byte segments 1080 bytes of window are left: the profile holds the
    // third segment (the persist timer sends those 1080 bytes at 242 ms), without the rule
    // they go at once.
    const model::Scenario s = small_window_scenario(1460);
    CHECK(record(s, kernel_rules_params()).packets(0, 99 * kMs) == Trace{
        segment(0, A, 0, 1460),
        segment(1, A, 1460, 1460),
        ack(41'000'001, B, 2920, 1080),
    });
    CHECK(record(s, linux_without(&core::ProfileParams::whole_segment_in_window)).packets(0, 99 * kMs) == Trace{
        segment(0, A, 0, 1460),
        segment(1, A, 1460, 1460),
        segment(2, A, 2920, 1080),
        ack(41'000'001, B, 4000, 0),
    });
}

TEST_CASE("segments of at most half the largest window offered (tcp_bound_to_half_wnd)") {
    // An 8000-byte MSS against a 4000-byte window, B reading at once: the profile cuts
    // segments of 2000, which flow every round trip. Without the rule a segment is the
    // MSS, which never fits the window whole: only the persist timer moves data, 4000 at a
    // time (tcp_write_wakeup sends what fits).
    const Side a{100000, 100000, {{"main", {write_op(10000), read_to_end_op()}}}};
    const Side b{100000, 4000, {{"main", {read_exact_op(10000)}}}};
    const model::Scenario s = linux_pair(a, b, 8000);
    CHECK(record(s, kernel_rules_params()).packets(0, 3 * kMs) == Trace{
        segment(0, A, 0, 2000),
        segment(1, A, 2000, 2000),
        ack(1'000'001, B, 2000, 4000),
        ack(1'000'002, B, 4000, 4000),
        segment(2'000'001, A, 4000, 2000),
        segment(2'000'002, A, 6000, 2000),
    });
    CHECK(record(s, linux_without(&core::ProfileParams::segment_half_window)).packets(0, 300 * kMs) == Trace{
        segment(200'000'000, A, 0, 4000),
        ack(201'000'001, B, 4000, 4000),
    });
    // A window no larger than TCP_MSS_DEFAULT is not halved; the simulated linux RecvQ is
    // never that small (SOCK_MIN_RCVBUF), so only the function shows it.
    CHECK(core::rules::mss_for_window(536, 1460) == 536);
    CHECK(core::rules::mss_for_window(537, 1460) == 268);
    CHECK(core::rules::mss_for_window(0, 1460) == 1460);  // no window heard yet
}

// ------------------------------------------------------------------------ writer and SendQ

namespace {

// A writes 30000 bytes through a SendQ of 10220 (see the skb accounting test) to B, which
// sleeps for a second in front of a 4000-byte RecvQ.
model::Scenario blocked_writer_scenario() {
    const Side a{8000, 100000, {{"main", {write_op(30000), shutdown_op()}}}};
    const Side b{100000, 4000, {{"main", {sleep_op(1000 * kMs), read_to_end_op()}}}};
    return linux_pair(a, b, 1460);
}

}  // namespace

TEST_CASE("a blocked writer wakes only once a third of the SendQ is free (sk_stream_is_writeable, sk_stream_wspace)") {
    const model::Scenario s = blocked_writer_scenario();
    // At 284 ms the ACK of the persist timer's 1080 bytes frees 1080 of 10220: the profile's
    // writer sleeps on. At 1003 ms 4000 are free, more than a third (3407): it wakes.
    CHECK(acks_and_writer_ops(record(s, kernel_rules_params()), 100 * kMs, 1004 * kMs) == Trace{
        ack(283'000'002, B, 4000, 0),
        ack(485'000'002, B, 4000, 0),
        ack(885'000'002, B, 4000, 0),
        ack(1'000'000'000, B, 4000, 4000),
        ack(1'002'000'002, B, 6920, 4000),
        op_block(1'003'000'002, A, 17140),
    });
    CHECK(acks_and_writer_ops(record(s, linux_without(&core::ProfileParams::writer_wakes_at_third)), 100 * kMs, 1004 * kMs) == Trace{
        ack(283'000'002, B, 4000, 0),
        op_block(284'000'002, A, 14220),
        ack(485'000'002, B, 4000, 0),
        ack(885'000'002, B, 4000, 0),
        ack(1'000'000'000, B, 4000, 4000),
        ack(1'002'000'002, B, 6920, 4000),
        op_block(1'003'000'002, A, 17140),
    });
}

TEST_CASE("a blocked writer refills what the ACKs of its own write freed (sk_stream_wait_memory, the socket backlog)") {
    // The write fills the SendQ (10220) and sends 2920 before blocking. The ACK of those
    // 2920 frees less than a third, but it stands for an ACK processed from the backlog while
    // the writer held the socket: the writer refills them at once, as without the third rule.
    const model::Scenario s = blocked_writer_scenario();
    const Trace expected{
        op_start(0, A, 0),
        op_block(0, A, 10220),
        ack(41'000'001, B, 2920, 1080),
        op_block(42'000'001, A, 13140),
    };
    CHECK(acks_and_writer_ops(record(s, kernel_rules_params()), 0, 99 * kMs) == expected);
    CHECK(acks_and_writer_ops(record(s, linux_without(&core::ProfileParams::writer_wakes_at_third)), 0, 99 * kMs) == expected);
}

TEST_CASE("sender skb accounting: a write fills skbs of size_goal while the queued truesize is under SO_SNDBUF (tcp_sendmsg_locked)") {
    // SO_SNDBUF 8000 is 16000 in the kernel. B's SYN window is 4000 (half its 8000-byte
    // buffer), so segments are 1460 (tcp_bound_to_half_wnd leaves the MSS below 2000) and
    // size_goal one segment. Each skb costs 1460 + 832 bytes; a new one starts while fewer
    // than 16000 are queued: 7 skbs (6 x 2292 = 13752 < 16000), 10220 bytes.
    const model::Scenario s = blocked_writer_scenario();
    const core::ProfileParams p = kernel_rules_params();
    const core::rules::Capacities caps = core::rules::capacities_for(p, model::Profile::linux, s.connections[0].sizes[0], s.connections[0].sizes[1], 1460, 1460);
    CHECK(caps.sndbuf_bytes == 16000);
    CHECK(caps.sendq_bytes == 10220);
    CHECK(acks_and_writer_ops(record(s, p), 0, 0) == Trace{
        op_start(0, A, 0),
        op_block(0, A, 10220),
    });
    // Without skb accounting the SendQ is the fitted share of SO_SNDBUF: half of 16000.
    core::ProfileParams no_skbs = p;
    no_skbs.skb_overhead_bytes = 0;
    CHECK(acks_and_writer_ops(record(s, no_skbs), 0, 0) == Trace{
        op_start(0, A, 0),
        op_block(0, A, 8000),
    });
}

TEST_CASE("size_goal grows with the largest window heard, and the SendQ with it (tcp_ack_update_window -> tcp_sync_mss, tcp_xmit_size_goal)") {
    // SO_SNDBUF 8000 (16000 in the kernel) against B's 100000-byte RecvQ: the SYN's 65535
    // window gives size_goal 22 x 1460 = 32120, and 16000 is less than one skb's truesize,
    // so the SendQ is one skb: 32120. Each window B then offers raises size_goal to the
    // whole segments in half of it (71375 -> 24 x 1460 = 35040; 77215 -> 37960; 83055 ->
    // 40880; 88320 -> 43800), and the writer, woken by those ACKs, fills the larger SendQ:
    // written = acknowledged + SendQ (2920 + 35040 = 37960, ...).
    const Side a{8000, 100000, {{"main", {write_op(300000), shutdown_op()}}}};
    const Side b{100000, 100000, {{"main", {sleep_op(1000 * kMs), read_to_end_op()}}}};
    const model::Scenario s = linux_pair(a, b, 1460);
    CHECK(acks_and_writer_ops(record(s, kernel_rules_params()), 0, 2'000'010) == Trace{
        op_start(0, A, 0),
        op_block(0, A, 32120),
        ack(1'000'002, B, 2920, 71375),
        ack(1'000'004, B, 5840, 77215),
        ack(1'000'006, B, 8760, 83055),
        ack(1'000'008, B, 11680, 88320),
        op_block(2'000'002, A, 37960),
        op_block(2'000'004, A, 43800),
        op_block(2'000'006, A, 49640),
        op_block(2'000'008, A, 55480),
    });
}

// ------------------------------------------------------------------------ receive skbs

namespace {

// A sends 2 x 1460 bytes (with a pause between them or not) into B's 4000-byte RecvQ; B
// reads 2000 at 100 ms, which ends inside the second segment.
model::Scenario partial_read_scenario(bool pause) {
    std::vector<Op> a_ops{write_op(1460)};
    if (pause) a_ops.push_back(sleep_op(50 * kMs));  // past the first segment's delayed ACK
    a_ops.push_back(write_op(1460));
    a_ops.push_back(sleep_op(300 * kMs));
    const Side a{100000, 100000, {{"main", a_ops}}};
    const Side b{100000, 4000, {{"main", {sleep_op(100 * kMs), read_exact_op(2000), sleep_op(100 * kMs), read_exact_op(920)}}}};
    return linux_pair(a, b, 1460);
}

}  // namespace

TEST_CASE("receive skbs are freed only once read to the end (tcp_recvmsg_locked)") {
    // Sent back to back, the two segments stay two skbs. Reading 2000 frees the first skb
    // (1460) but not the 540 bytes read of the second: 2540 free, offered as at least twice
    // the 1080 left. Without the rule all 3080 free bytes are offered.
    const model::Scenario s = partial_read_scenario(false);
    CHECK(record(s, kernel_rules_params()).packets(0, 150 * kMs) == Trace{
        segment(0, A, 0, 1460),
        segment(1, A, 1460, 1460),
        ack(41'000'001, B, 2920, 1080),
        ack(100'000'000, B, 2920, 2540),
    });
    CHECK(record(s, linux_without(&core::ProfileParams::rcv_skbs_freed_whole)).packets(0, 150 * kMs) == Trace{
        segment(0, A, 0, 1460),
        segment(1, A, 1460, 1460),
        ack(41'000'001, B, 2920, 1080),
        ack(100'000'000, B, 2920, 3080),
    });
}

TEST_CASE("arriving segments coalesce into the tail skb once the sender has freed its clone (tcp_try_coalesce, skb_try_coalesce)") {
    // Sent back to back, the second segment arrives while the first is still cloned (its
    // ACK has not reached A): two skbs, and reading 2000 bytes frees the first (1460).
    CHECK(record(partial_read_scenario(false), kernel_rules_params()).of_kind(kAck, 0, 150 * kMs) == Trace{
        ack(41'000'001, B, 2920, 1080),
        ack(100'000'000, B, 2920, 2540),
    });
    // After a pause for the first segment's ACK, the second segment joins its skb: reading
    // 2000 bytes then frees nothing, 1080 stay free, below one segment (SWS): no ACK at 100 ms.
    const model::Scenario s = partial_read_scenario(true);
    CHECK(record(s, kernel_rules_params()).packets(0, 150 * kMs) == Trace{
        segment(0, A, 0, 1460),
        ack(41'000'001, B, 1460, 2540),
        segment(50'000'000, A, 1460, 1460),
        ack(91'000'001, B, 2920, 1080),
    });
    CHECK(record(s, linux_without(&core::ProfileParams::rcv_skbs_freed_whole)).packets(0, 150 * kMs) == Trace{
        segment(0, A, 0, 1460),
        ack(41'000'001, B, 1460, 2540),
        segment(50'000'000, A, 1460, 1460),
        ack(91'000'001, B, 2920, 1080),
        ack(100'000'000, B, 2920, 3080),
    });
}

TEST_CASE("a receive skb coalesces at most MAX_SKB_FRAGS page fragments (skb_try_coalesce, kMaxSkbFrags)") {
    // A sends one segment, waits for its ACK, then a burst: the burst joins the first skb
    // until it holds 17 page fragments. B's 200000-byte RecvQ fills; B reads at 1 s, then
    // the rest of the first skb at 1.1 s: only that second read frees the skb, and the
    // window it frees is announced (the window was 0).
    const auto scenario = [](int64_t mss, int64_t first_read, int64_t second_read) {
        const Side a{200000, 100000, {{"main", {write_op(mss), sleep_op(50 * kMs), write_op(400000), read_to_end_op()}}}};
        const Side b{100000, 200000,
                     {{"main", {sleep_op(1000 * kMs), read_exact_op(first_read), sleep_op(100 * kMs), read_exact_op(second_read),
                                sleep_op(100 * kMs), read_exact_op(400000 + mss - first_read - second_read)}}}};
        return linux_pair(a, b, mss);
    };
    SUBCASE("8192-byte segments, one page fragment each: the skb holds 17 segments") {
        const model::Scenario s = scenario(8192, 16 * 8192, 8192);
        CHECK(record(s, kernel_rules_params()).of_kind(kAck, 999 * kMs, 1100 * kMs) == Trace{
            ack(1'100'000'000, B, 200000, 139264),
        });
        // Without the rule the first read frees its bytes at once; A refills them, and the
        // 8192 bytes of the second read are below 1/16 of the buffer (SWS): no update.
        CHECK(record(s, linux_without(&core::ProfileParams::rcv_skbs_freed_whole)).of_kind(kAck, 999 * kMs, 1100 * kMs) == Trace{
            ack(1'000'000'000, B, 200000, 131072),
            ack(1'042'000'001, B, 331072, 0),
        });
    }
    SUBCASE("10000-byte segments, two fragments where one crosses a 32 KiB page: the skb holds 13") {
        // Segments 3, 6, 9 and 13 (from 0) cross a page: 13 segments are 16 fragments, the
        // 14th would make 18.
        CHECK(core::rules::page_frags_of_segment(30000, 10000) == 2);
        CHECK(core::rules::page_frags_of_segment(40000, 10000) == 1);
        const model::Scenario s = scenario(10000, 120000, 10000);
        CHECK(record(s, kernel_rules_params()).of_kind(kAck, 999 * kMs, 1100 * kMs) == Trace{
            ack(1'100'000'000, B, 200000, 130000),
        });
    }
}

// ------------------------------------------------------------------------ persist timer

TEST_CASE("persist timer: probes start at max(TCP_RTO_MIN, RTO) and double up to TCP_RTO_MAX (tcp_probe_timer, tcp_probe0_when)") {
    SUBCASE("a short round trip: 200 ms, doubling, capped at 120 s") {
        // B's window closes at 283 ms (ACK heard at 284 ms) and B reads only at 500 s.
        const Side a{100000, 100000, {{"main", {write_op(10000), read_to_end_op()}}}};
        const Side b{100000, 4000, {{"main", {sleep_op(500'000 * kMs), read_exact_op(10000)}}}};
        const model::Scenario s = linux_pair(a, b, 1460);
        CHECK(record(s, kernel_rules_params()).of_kind(kProbe) == Trace{
            probe(484'000'002, A, 4000),          // +200 ms
            probe(884'000'002, A, 4000),          // +400 ms
            probe(1'684'000'002, A, 4000),        // +800 ms
            probe(3'284'000'002, A, 4000),
            probe(6'484'000'002, A, 4000),
            probe(12'884'000'002, A, 4000),
            probe(25'684'000'002, A, 4000),
            probe(51'284'000'002, A, 4000),
            probe(102'484'000'002, A, 4000),
            probe(204'884'000'002, A, 4000),      // +102.4 s
            probe(324'884'000'002, A, 4000),      // +120 s, not 204.8
            probe(444'884'000'002, A, 4000),      // +120 s
        });
        // The textbook's bounds (1 s, 60 s) for contrast.
        core::ProfileParams textbook_bounds = kernel_rules_params();
        textbook_bounds.persist_min_ns = core::textbook_profile().persist_min_ns;
        textbook_bounds.persist_max_ns = core::textbook_profile().persist_max_ns;
        CHECK(record(s, textbook_bounds).of_kind(kProbe, 0, 200'000 * kMs) == Trace{
            probe(2'084'000'002, A, 4000),        // the zero window heard at 1084 ms, + 1 s
            probe(4'084'000'002, A, 4000),
            probe(8'084'000'002, A, 4000),
            probe(16'084'000'002, A, 4000),
            probe(32'084'000'002, A, 4000),
            probe(64'084'000'002, A, 4000),       // +32 s
            probe(124'084'000'002, A, 4000),      // +60 s, not 64
            probe(184'084'000'002, A, 4000),
        });
    }
    SUBCASE("a long round trip: twice the RTT when that is longer") {
        // 150 ms each way: a 300 ms round trip, so probes start at 600 ms.
        const model::Scenario s = linux_pair(Side{100000, 100000, {{"main", {write_op(10000), read_to_end_op()}}}},
                                             Side{100000, 4000, {{"main", {sleep_op(5000 * kMs), read_exact_op(10000)}}}},
                                             1460, 150 * kMs);
        CHECK(record(s, kernel_rules_params()).packets(0, 2000 * kMs) == Trace{
            segment(0, A, 0, 1460),
            segment(1, A, 1460, 1460),
            ack(190'000'001, B, 2920, 1080),
            segment(940'000'001, A, 2920, 1080),  // heard at 340 ms, + 600 ms
            ack(1'130'000'002, B, 4000, 0),
            probe(1'880'000'002, A, 4000),        // heard at 1280 ms, + 600 ms
        });
    }
}

TEST_CASE("zero-window probe: a window smaller than a segment takes what fits (tcp_write_wakeup)") {
    // The 1080 bytes of window left after two segments: the persist timer, armed when their
    // ACK is heard at 42 ms, sends those 1080 bytes at 242 ms instead of a bare probe, which
    // resets the backoff: the next timer (the window is then 0) is again 200 ms.
    const model::Scenario s = small_window_scenario(1460);
    CHECK(record(s, kernel_rules_params()).packets(0, 500 * kMs) == Trace{
        segment(0, A, 0, 1460),
        segment(1, A, 1460, 1460),
        ack(41'000'001, B, 2920, 1080),
        segment(242'000'001, A, 2920, 1080),
        ack(283'000'002, B, 4000, 0),
        probe(484'000'002, A, 4000),
        ack(485'000'002, B, 4000, 0),
    });
}

// ------------------------------------------------------------------------ buffer sizes

TEST_CASE("SO_SNDBUF/SO_RCVBUF: doubled, clamped to wmem_max/rmem_max, raised to SOCK_MIN_*BUF (sk_setsockopt)") {
    const core::ProfileParams p = kernel_rules_params();
    const auto caps = [&](std::optional<int64_t> sqs, std::optional<int64_t> rqs) {
        model::SocketSizes self, peer;
        self.sqs_bytes = sqs;
        self.rqs_bytes = rqs;
        peer.sqs_bytes = peer.rqs_bytes = 4000;  // SYN window 4000: size_goal is one 1460-byte segment
        return core::rules::capacities_for(p, model::Profile::linux, self, peer, 1460, 1460);
    };
    // The RecvQ is half the kernel's buffer (TCP_DEFAULT_SCALING_RATIO); SO_SNDBUF is doubled
    // and the SendQ holds whole 1460-byte skbs while their truesize (2292) is under it.
    CHECK(caps(8000, 3000).recvq_bytes == 3000);                 // 6000 / 2
    CHECK(caps(8000, 3000).sndbuf_bytes == 16000);
    CHECK(caps(300000, 300000).recvq_bytes == 212992);           // rmem_max 212992, doubled, halved
    CHECK(caps(300000, 300000).sndbuf_bytes == 2 * 212992);      // wmem_max
    CHECK(caps(500, 500).recvq_bytes == 1152);                   // SOCK_MIN_RCVBUF 2304 / 2
    CHECK(caps(1, 1).sndbuf_bytes == 4608);                      // SOCK_MIN_SNDBUF
    CHECK(caps(1, 1).sendq_bytes == 3 * 1460);                   // 2 x 2292 < 4608 <= 3 x 2292
    // Unset buffers: autotuning's ceilings, tcp_wmem[2] and tcp_rmem[2]; the SYN's window
    // comes from tcp_rmem[1] (131072 / 2, unscaled: 65535).
    CHECK(caps(std::nullopt, std::nullopt).sndbuf_bytes == 4194304);
    CHECK(caps(std::nullopt, std::nullopt).recvq_bytes == 3145728);
    CHECK(caps(std::nullopt, std::nullopt).initial_window_bytes == 65535);

    // On the wire: SO_RCVBUF 500 is a 1152-byte RecvQ, and the first flight is two segments
    // of 576 (half the window); the textbook takes the 500 bytes as they are.
    const Side a{100000, 100000, {{"main", {write_op(1152), sleep_op(100 * kMs)}}}};
    const Side b{100000, 500, {{"main", {sleep_op(50 * kMs), read_to_end_op()}}}};
    model::Scenario s = linux_pair(a, b, 1460);
    CHECK(record(s, p).packets(0, 49 * kMs) == Trace{
        segment(0, A, 0, 576),
        segment(1, A, 576, 576),
        ack(41'000'001, B, 1152, 0),
    });
    s.profile = model::Profile::textbook;
    CHECK(record(s, core::textbook_profile()).packets(0, 49 * kMs) == Trace{
        segment(0, A, 0, 500),
        ack(1'000'001, B, 500, 0),
    });
}
