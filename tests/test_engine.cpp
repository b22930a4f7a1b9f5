// The simulator core: ops, queues, windows, persist probing, detection, invariants.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "core/linux_rules.hpp"
#include "scenario/profile_file.hpp"
#include "support.hpp"

using namespace tcpsim;
using namespace tcpsim::test;
using core::Outcome;
using core::ThreadState;

TEST_CASE("linux skb accounting: whole skbs of size_goal while queued memory is under SO_SNDBUF") {
    const core::ProfileParams p = linux_params(65483);
    REQUIRE(p.skb_overhead_bytes > 0);
    model::SocketSizes big, small;
    big.sqs_bytes = big.rqs_bytes = 64 * 1024;     // kernel buffers 128 KiB
    small.sqs_bytes = small.rqs_bytes = 4 * 1024;  // 8 KiB
    // 128 KiB of skbs holding 2 KiB each (half the 4 KiB window an 8 KiB buffer offers):
    // 46 skbs, 94208 bytes, which is what Linux 6.18 queued in every such run.
    CHECK(core::rules::skb_size_goal(8192, 65483) == 2048);
    CHECK(core::rules::capacities_for(p, model::Profile::linux, big, small, 65483, 65483).sendq_bytes == 46 * 2048);
    // A small SO_SNDBUF still fills one skb to size_goal: the tail skb grows unchecked.
    CHECK(core::rules::skb_size_goal(131072, 65483) == 32767);
    CHECK(core::rules::capacities_for(p, model::Profile::linux, small, big, 65483, 65483).sendq_bytes == 32767);
    // With a 1448-byte MSS (veth) an skb packs whole segments up to half the window.
    CHECK(core::rules::skb_size_goal(131072, 1448) == 22 * 1448);
    // The receiver is charged each arriving skb's truesize: with the whole buffer as payload
    // share, a 128 KiB SO_RCVBUF holds 127,826 bytes in 32,767-byte skbs (the kernel held
    // 127,575..128,470 in the both-write 64 KiB-write runs), an 8 KiB one 5,825 in 2 KiB skbs.
    core::ProfileParams whole = p;
    whole.recv_payload = {1, 1};
    whole.recv_extra_bytes = 0;
    CHECK(core::rules::capacities_for(whole, model::Profile::linux, big, big, 65483, 65483).recvq_bytes == 127826);
    CHECK(core::rules::capacities_for(whole, model::Profile::linux, small, small, 65483, 65483).recvq_bytes == 5825);
    // The incoming skbs are the peer's, cut to the receiving direction's MSS.
    CHECK(core::rules::capacities_for(whole, model::Profile::linux, big, big, 65483, 1448).recvq_bytes ==
          int64_t{131072} * (22 * 1448) / (22 * 1448 + p.skb_overhead_bytes));

    std::mt19937_64 rng(7);
    for (int i = 0; i < 300; ++i) {
        model::SocketSizes self, peer;
        self.sqs_bytes = std::uniform_int_distribution<int64_t>(1, 300'000)(rng);
        peer.rqs_bytes = std::uniform_int_distribution<int64_t>(1, 300'000)(rng);
        const int64_t mss = std::uniform_int_distribution<int64_t>(88, 65483)(rng);
        const int64_t sndbuf = std::max(std::min(*self.sqs_bytes, p.wmem_max_bytes) * 2, p.sndbuf_min_bytes);
        const int64_t peer_rcvbuf = std::max(std::min(*peer.rqs_bytes, p.rmem_max_bytes) * 2, p.rcvbuf_min_bytes);
        const int64_t goal = core::rules::skb_size_goal(peer_rcvbuf, mss);
        const int64_t sendq = core::rules::capacities_for(p, model::Profile::linux, self, peer, mss, mss).sendq_bytes;
        CAPTURE(sndbuf); CAPTURE(peer_rcvbuf); CAPTURE(mss);
        CHECK(goal >= 1);
        CHECK(goal <= 65536);
        REQUIRE(sendq % goal == 0);
        const int64_t skbs = sendq / goal;
        // The last skb was started while the queue was still under the buffer, and no more.
        CHECK((skbs - 1) * (goal + p.skb_overhead_bytes) < sndbuf);
        CHECK(skbs * (goal + p.skb_overhead_bytes) >= sndbuf);
    }
}

TEST_CASE("property: the linux RecvQ holds at least half its SO_RCVBUF and never more than all of it") {
    // The fitted offset alone would put a 500-byte request (SO_RCVBUF 2304) at 2814 bytes.
    std::mt19937_64 rng(11);
    for (int i = 0; i < 300; ++i) {
        const core::ProfileParams& p = scenario::builtin_linux_params(i % 2 == 0 ? 65483 : 1448);  // both built-in ones
        model::SocketSizes self, peer;
        self.sqs_bytes = peer.sqs_bytes = 4096;
        self.rqs_bytes = std::uniform_int_distribution<int64_t>(1, 300'000)(rng);
        peer.rqs_bytes = std::uniform_int_distribution<int64_t>(1, 300'000)(rng);
        const int64_t mss = std::uniform_int_distribution<int64_t>(88, 65483)(rng);
        const int64_t rcvbuf = std::max(std::min(*self.rqs_bytes, p.rmem_max_bytes) * 2, p.rcvbuf_min_bytes);
        const int64_t recvq = core::rules::capacities_for(p, model::Profile::linux, self, peer, mss, mss).recvq_bytes;
        CAPTURE(rcvbuf); CAPTURE(mss); CAPTURE(i);
        CHECK(recvq >= rcvbuf / 2);
        CHECK(recvq <= rcvbuf);
    }
}

TEST_CASE("a linux scenario gets the built-in profile calibrated at the MSS nearest its link's") {
    const core::ProfileParams& loopback = scenario::builtin_linux_params(65483);
    const core::ProfileParams& veth = scenario::builtin_linux_params(1448);
    // The two calibrations differ where the links differ: the receive share and the defaults.
    REQUIRE(loopback.recv_payload.num * veth.recv_payload.den != veth.recv_payload.num * loopback.recv_payload.den);
    CHECK(loopback.rcvbuf_default_bytes != veth.rcvbuf_default_bytes);
    // Nearest by ratio: the boundary is the geometric mean, sqrt(1448 * 65483) = 9737.6.
    CHECK(&scenario::builtin_linux_params(9737) == &veth);
    CHECK(&scenario::builtin_linux_params(9738) == &loopback);
    CHECK(&scenario::builtin_linux_params(1460) == &veth);
    CHECK(&scenario::builtin_linux_params(16384) == &loopback);
    // A scenario is placed by the larger MSS of its two directions, and runs with that profile.
    const Side both_write{16384, 16384, {{"main", {write_op(1 << 20)}}}};
    model::Scenario s = make_scenario(both_write, both_write, model::Profile::linux, 1448, 10'000, 10'000'000'000);
    s.connections[0].links[0].mss_bytes = 536;
    CHECK(scenario::profile_mss(s) == 1448);
    model::Scenario mixed = s;
    mixed.connections[0].links[0].mss_bytes = 65483;
    CHECK(scenario::profile_mss(mixed) == 65483);
    const int64_t accepted = thread_of(core::simulate(s, scenario::params_for(s.profile, "", scenario::profile_mss(s))), "A").bytes_written;
    CHECK(accepted == thread_of(core::simulate(s, veth), "A").bytes_written);
    CHECK(accepted != thread_of(core::simulate(s, loopback), "A").bytes_written);
}

namespace {

// Checks on every event, independently of the engine's own checks: bytes are conserved,
// no queue exceeds its capacity, windows are never negative, time never goes back.
struct InvariantObserver : core::Observer {
    int64_t last_ns = 0;
    int64_t events = 0;
    std::vector<core::TraceEvent> log;
    bool keep_log = false;
    void on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs, std::span<const core::ByteQueueCounters>) override {
        REQUIRE(ev.time_ns >= last_ns);
        last_ns = ev.time_ns;
        ++events;
        for (const core::DirectionCounters& c : dirs) {
            const int64_t unsent = c.written - c.sent;
            REQUIRE(c.written == unsent + c.in_flight + c.recvq() + c.read);
            REQUIRE(c.sendq() <= c.sendq_capacity);
            REQUIRE(c.recvq() <= c.recvq_capacity);
            REQUIRE(c.peer_window >= 0);
            REQUIRE(unsent >= 0);
            REQUIRE(c.in_flight >= 0);
        }
        if (keep_log) log.push_back(ev);
    }
};

Side writer_then_reader(int64_t sqs, int64_t rqs, int64_t n) {
    return Side{sqs, rqs, {{"main", {write_op(n), shutdown_op(), read_to_end_op()}}}};
}

}  // namespace

TEST_CASE("both peers write 1500 into 500-byte queues: the seeds' Figure 6-5 deadlock") {
    const core::Result r = core::simulate_textbook(make_scenario(writer_then_reader(500, 500, 1500),
                                                        writer_then_reader(500, 500, 1500)));
    CHECK(r.outcome == Outcome::deadlock);
    for (const char* e : {"A", "B"}) {
        const core::ThreadReport& t = thread_of(r, e);
        CHECK(t.state == ThreadState::blocked);
        REQUIRE(t.blocked_in);
        CHECK(t.blocked_in->op == model::OpKind::write);
        CHECK(t.blocked_in->requested == 1500);
        CHECK(t.blocked_in->done == 1000);
    }
    for (const core::QueueReport& q : r.queues) {
        CHECK(q.sendq == 500);
        CHECK(q.recvq == 500);
        CHECK(q.window == 0);
    }
    REQUIRE(r.cycle.size() >= 4);
    CHECK(r.cycle[0].find("A.main is blocked in write(1500)") == 0);
    CHECK(r.cycle.back().find("the cycle is closed") != std::string::npos);
}

TEST_CASE("property: both peers writing n deadlock exactly when n exceeds both SQS+RQS sums") {
    std::mt19937_64 rng(20261123);
    std::uniform_int_distribution<int64_t> size(1, 4000);
    for (int i = 0; i < 300; ++i) {
        const int64_t n = size(rng), sa = size(rng), ra = size(rng), sb = size(rng), rb = size(rng);
        CAPTURE(n); CAPTURE(sa); CAPTURE(ra); CAPTURE(sb); CAPTURE(rb);
        InvariantObserver obs;
        const core::Result r = core::simulate_textbook(make_scenario(writer_then_reader(sa, ra, n),
                                                            writer_then_reader(sb, rb, n), model::Profile::textbook,
                                                            536),
                                              &obs);
        const bool rule_deadlock = n > sa + rb && n > sb + ra;
        CHECK((r.outcome == Outcome::deadlock) == rule_deadlock);
        if (rule_deadlock) {
            CHECK(thread_of(r, "A").blocked_in->done == std::min(n, sa + rb));
            CHECK(thread_of(r, "B").blocked_in->done == std::min(n, sb + ra));
        } else {
            CHECK(thread_of(r, "A").bytes_read == n);
            CHECK(thread_of(r, "B").bytes_read == n);
        }
    }
}

TEST_CASE("property: a write against a peer that never reads accepts exactly min(n, SQS+RQS)") {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int64_t> size(1, 100000);
    for (int i = 0; i < 200; ++i) {
        const int64_t n = size(rng), sqs = size(rng), rqs = size(rng);
        CAPTURE(n); CAPTURE(sqs); CAPTURE(rqs);
        // B writes one byte and exits without reading anything.
        const Side a{sqs, 1000, {{"main", {write_op(n), read_op(1)}}}};
        const Side b{1000, rqs, {{"main", {write_op(1)}}}};
        const core::Result r = core::simulate_textbook(make_scenario(a, b));
        CHECK((r.outcome == Outcome::deadlock) == (n > sqs + rqs));
        CHECK(thread_of(r, "A").bytes_written == std::min(n, sqs + rqs));
        if (n > sqs + rqs) CHECK(thread_of(r, "A").blocked_in->op == model::OpKind::write);
    }
}

TEST_CASE("the rule: write(n) returns only after the peer has read n-(SQS+RQS)") {
    const int64_t n = 2000, sqs = 500, rqs = 500;
    const Side a{sqs, 500, {{"main", {write_op(n), close_op()}}}};
    const Side b{500, rqs, {{"main", {sleep_op(1'000'000'000), repeat_eof_op({read_op(100)})}}}};
    InvariantObserver obs;
    obs.keep_log = true;
    struct Watch : core::Observer {
        InvariantObserver* inner;
        int64_t read_by_b_at_return = -1;
        int64_t max_read_by_b_while_blocked = 0;
        bool returned = false;
        void on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs, std::span<const core::ByteQueueCounters> byte_queues) override {
            inner->on_event(ev, dirs, byte_queues);
            if (ev.kind == core::TraceKind::op_return && ev.endpoint == 0 && ev.op == model::OpKind::write) {
                returned = true;
                read_by_b_at_return = dirs[0].read;
            } else if (!returned) {
                max_read_by_b_while_blocked = std::max(max_read_by_b_while_blocked, dirs[0].read);
            }
        }
    } watch;
    watch.inner = &obs;
    const core::Result r = core::simulate_textbook(make_scenario(a, b), &watch);
    CHECK(r.outcome == Outcome::completed);
    CHECK(watch.returned);
    CHECK(watch.read_by_b_at_return >= n - (sqs + rqs));
    CHECK(thread_of(r, "B").bytes_read == n);
}

TEST_CASE("both peers read first: deadlock at time zero with nothing moved") {
    const Side a{500, 500, {{"main", {read_op(1024), write_op(100)}}}};
    const core::Result r = core::simulate_textbook(make_scenario(a, a));
    CHECK(r.outcome == Outcome::deadlock);
    CHECK(r.time_ns == 0);
    CHECK(r.events == 0);
    CHECK(thread_of(r, "A").blocked_in->op == model::OpKind::read);
    CHECK(r.cycle[0].find("A.RecvQ is empty") != std::string::npos);
}

TEST_CASE("compression protocol deadlocks at the seed's figure and both fixes complete") {
    const std::vector<Op> server_ops{repeat_eof_op({read_exact_op(1000), write_ratio(1, 2)}), close_op()};
    const Side server{500, 500, {{"main", server_ops}}};
    SUBCASE("single thread client") {
        const Side client{500, 500, {{"main", {write_op(10000), shutdown_op(), read_to_end_op()}}}};
        const core::Result r = core::simulate_textbook(make_scenario(client, server));
        CHECK(r.outcome == Outcome::deadlock);
        CHECK(thread_of(r, "A").blocked_in->done == 4000);
        CHECK(thread_of(r, "B").bytes_read == 3000);
        CHECK(thread_of(r, "B").blocked_in->requested == 500);
    }
    SUBCASE("reader thread") {
        const Side client{500, 500, {{"sender", {write_op(10000), shutdown_op()}}, {"receiver", {read_to_end_op()}}}};
        const core::Result r = core::simulate_textbook(make_scenario(client, server));
        CHECK(r.outcome == Outcome::completed);
        CHECK(thread_of(r, "A", "receiver").bytes_read == 5000);
    }
    SUBCASE("event loop") {
        const Side client{500, 500, {{"main", {event_loop_op(10000, 1000)}}}};
        const core::Result r = core::simulate_textbook(make_scenario(client, server));
        CHECK(r.outcome == Outcome::completed);
        CHECK(thread_of(r, "A").bytes_read == 5000);
        CHECK(thread_of(r, "A").bytes_written == 10000);
    }
}

TEST_CASE("ops: send copies what fits, read takes up to n, read_exact waits for n") {
    SUBCASE("send returns after a partial copy") {
        const Side a{100, 500, {{"main", {send_op(1000), read_op(1)}}}};
        const Side b{500, 50, {{"main", {sleep_op(1'000'000'000), read_op(1)}}}};
        model::Scenario s = make_scenario(a, b);
        s.limits.time_ns = 500'000'000;  // look while B still sleeps
        const core::Result r = core::simulate_textbook(s);
        // send(1000) copies the 100 bytes that fit and returns; the thread then reads.
        CHECK(thread_of(r, "A").bytes_written == 100);
        CHECK(thread_of(r, "A").blocked_in->op == model::OpKind::read);
    }
    SUBCASE("read takes what is there, read_exact waits for all") {
        const Side a{500, 500, {{"main", {write_op(300), sleep_op(1'000'000'000), write_op(300), read_op(1)}}}};
        const Side b{500, 500, {{"main", {read_op(1000), read_exact_op(400), read_op(1000)}}}};
        const core::Result r = core::simulate_textbook(make_scenario(a, b));
        const core::ThreadReport& tb = thread_of(r, "B");
        CHECK(r.outcome == Outcome::deadlock);
        CHECK(tb.bytes_read == 600);            // 300 by read, then 300 of read_exact(400)
        CHECK(tb.blocked_in->op == model::OpKind::read_exact);
        CHECK(tb.blocked_in->done == 300);
        CHECK(r.time_ns >= 1'000'000'000);      // the second write came after the sleep
    }
    SUBCASE("shutdown gives the peer EOF and ends its read loop") {
        const Side a{500, 500, {{"main", {repeat_op(10, {write_op(7)}), shutdown_op(), read_to_end_op()}}}};
        const Side b{500, 500, {{"main", {repeat_eof_op({read_op(3)}), write_op(5), close_op()}}}};
        const core::Result r = core::simulate_textbook(make_scenario(a, b));
        CHECK(r.outcome == Outcome::completed);
        CHECK(thread_of(r, "B").bytes_read == 70);
        CHECK(thread_of(r, "A").bytes_read == 5);
    }
    SUBCASE("a write after the socket is shut down fails with EPIPE") {
        const Side a{500, 500, {{"closer", {shutdown_op()}}, {"writer", {sleep_op(1000), write_op(5)}}}};
        const Side b{500, 500, {{"main", {read_to_end_op()}}}};
        const core::Result r = core::simulate_textbook(make_scenario(a, b));
        CHECK(thread_of(r, "A", "writer").state == ThreadState::failed);
        CHECK(thread_of(r, "A", "writer").error.find("EPIPE") != std::string::npos);
    }
}

TEST_CASE("a sleeping thread keeps the run alive, limits end it") {
    const Side a{500, 500, {{"main", {sleep_op(5'000'000'000), write_op(10)}}}};
    const Side b{500, 500, {{"main", {read_exact_op(10)}}}};
    model::Scenario s = make_scenario(a, b);
    CHECK(core::simulate_textbook(s).outcome == Outcome::completed);
    s.limits.time_ns = 1'000'000'000;
    const core::Result limited = core::simulate_textbook(s);
    CHECK(limited.outcome == Outcome::limit);
    CHECK(limited.limit_reason == core::LimitReason::time);
    CHECK(thread_of(limited, "A").state == ThreadState::sleeping);
}

TEST_CASE("zero-window probes that cannot change anything do not keep a deadlock alive") {
    // A writes far more than fits; B never reads. The persist timer is armed at the end,
    // but the run still ends as a deadlock after a handful of events.
    const Side a{500, 500, {{"main", {write_op(1'000'000), read_op(1)}}}};
    const Side b{500, 500, {{"main", {read_op(1), write_op(1)}}}};
    for (model::Profile p : {model::Profile::textbook, model::Profile::linux}) {
        const core::Result r = run_builtin(make_scenario(a, b, p));
        CHECK(r.outcome == Outcome::deadlock);
        CHECK(r.events < 100);
    }
}

TEST_CASE("linux: bytes read from a partly read skb hold buffer space until the skb is read to the end") {
    // tcp_recvmsg_locked frees an skb, and the truesize it charges, only when all of it is
    // read. B lets A fill its RecvQ with two 8 KiB segments (half B's window), which arrive
    // in one burst and so stay apart; B reads part, then blocks writing; A blocks too.
    // Reading 8192 frees the first skb whole; reading 10000 leaves 1808 bytes of the second held.
    for (const int64_t read_bytes : {8192, 10000}) {
        CAPTURE(read_bytes);
        const Side a{16384, 16384, {{"main", {write_op(200000), read_to_end_op()}}}};
        const Side b{16384, 16384,
                     {{"main", {sleep_op(1'000'000), read_exact_op(read_bytes), write_op(200000), read_to_end_op()}}}};
        const core::Result r = core::simulate(make_scenario(a, b, model::Profile::linux, 65483, 10'000, 10'000'000'000),
                                              linux_params(65483));
        REQUIRE(r.outcome == Outcome::deadlock);
        const int64_t held = read_bytes == 8192 ? 0 : 10000 - 8192;
        CHECK(r.queues[1].recvq == r.queues[1].rqs - held);
        core::ProfileParams bytewise = linux_params(65483);
        bytewise.rcv_skbs_freed_whole = false;  // the profile flag turns the rule off
        CHECK(core::simulate(make_scenario(a, b, model::Profile::linux, 65483, 10'000, 10'000'000'000), bytewise)
                  .queues[1].recvq_held == 0);
        CHECK(r.queues[1].recvq_held == held);
        const bool cycle_names_held = std::any_of(r.cycle.begin(), r.cycle.end(), [](const std::string& line) {
            return line.find("already read from an skb") != std::string::npos;
        });
        CHECK(cycle_names_held == (held > 0));
    }
}

TEST_CASE("linux: segments join the tail skb once the sender has freed its copy of the tail's first segment") {
    // skb_try_coalesce refuses a cloned tail; on loopback the receiver's skb is a clone of
    // the sender's until the ACK frees the original, and appending to it takes page
    // references only. With 8 KiB segments into B's 32 KiB: without a pause, the first two
    // segments stay apart and reading 20000 bytes frees the first two skbs (16384 bytes).
    // A pause lets the first segment's ACK return; then the next two segments, sent in one
    // burst, both join it (the second before its own ACK), and all 20000 read bytes are held.
    for (const bool pause : {true, false}) {
        CAPTURE(pause);
        std::vector<Op> a_ops = {write_op(8192)};
        if (pause) a_ops.push_back(sleep_op(50'000'000));  // past the 40 ms delayed ACK
        for (const Op& op : {write_op(16384), write_op(200000), read_to_end_op()}) a_ops.push_back(op);
        const Side a{32768, 32768, {{"main", a_ops}}};
        const Side b{32768, 32768,
                     {{"main", {sleep_op(100'000'000), read_exact_op(20000), write_op(200000), read_to_end_op()}}}};
        const core::Result r = core::simulate(make_scenario(a, b, model::Profile::linux, 8192, 10'000, 10'000'000'000),
                                              linux_params(8192));
        REQUIRE(r.outcome == Outcome::deadlock);
        const int64_t held = pause ? 20000 : 20000 - 16384;
        CHECK(r.queues[1].recvq_held == held);
        CHECK(r.queues[1].recvq == r.queues[1].rqs - held);
    }
}

TEST_CASE("linux: a receive skb coalesces segments only up to MAX_SKB_FRAGS page fragments") {
    // A segment has one fragment per 32 KiB page of the sender's page frag that it spans.
    CHECK(core::rules::page_frags_of_segment(0, 8192) == 1);
    CHECK(core::rules::page_frags_of_segment(24576, 8192) == 1);  // ends on the page's last byte
    CHECK(core::rules::page_frags_of_segment(30000, 8192) == 2);
    CHECK(core::rules::page_frags_of_segment(32760, 16) == 2);
    CHECK(core::rules::page_frags_of_segment(0, 65483) == 2);
    CHECK(core::rules::page_frags_of_segment(65483, 65483) == 3);
    // 8 KiB segments fill pages exactly: one fragment each, so a tail skb takes 17 of them.
    // After a pause for the first segment's ACK, A's burst coalesces into B's tail until it
    // holds 17 segments (139264 bytes); the next segment starts a second skb, still cloned, so
    // the one after it starts a third. B reads 145000 and blocks writing: the first skb was read
    // to its end and freed, and what B read of the second is held.
    const Side a{262144, 262144, {{"main", {write_op(8192), sleep_op(50'000'000), write_op(1'000'000), read_to_end_op()}}}};
    const Side b{262144, 262144,
                 {{"main", {sleep_op(100'000'000), read_exact_op(145000), write_op(1'000'000), read_to_end_op()}}}};
    const core::Result r = core::simulate(make_scenario(a, b, model::Profile::linux, 8192, 10'000, 10'000'000'000),
                                          linux_params(8192));
    REQUIRE(r.outcome == Outcome::deadlock);
    CHECK(thread_of(r, "B").bytes_read == 145000);
    CHECK(r.queues[1].recvq_held == 145000 - 17 * 8192);
    CHECK(r.queues[1].recvq + r.queues[1].recvq_held == r.queues[1].rqs);
}

TEST_CASE("no false stalls: a window smaller than one segment is recovered by the persist timer") {
    // Without tcp_bound_to_half_wnd, a linux sender never sends into a window smaller than
    // a whole segment, and a receiver that updates only when its window doubles may leave
    // such a window standing: only the persist timer (tcp_write_wakeup) moves data then.
    core::ProfileParams params = linux_params(1460);  // make_scenario's MSS
    params.segment_half_window = false;
    const Side a{2048, 2048, {{"main", {write_op(200000), shutdown_op(), read_to_end_op()}}}};
    // With 300-byte reads the persist timer has to move data (counted below); 700-byte reads
    // stopped needing it once partly read skbs held their space, so they no longer test it.
    const Side b{2048, 2048, {{"main", {repeat_eof_op({sleep_op(50'000'000), read_op(300)}), close_op()}}}};
    InvariantObserver obs;
    obs.keep_log = true;
    const core::Result r = core::simulate(make_scenario(a, b, model::Profile::linux), params, &obs);
    CHECK(r.outcome == Outcome::completed);
    CHECK(thread_of(r, "B").bytes_read == 200000);
    const auto timeouts = std::count_if(obs.log.begin(), obs.log.end(), [](const core::TraceEvent& ev) {
        return ev.kind == core::TraceKind::persist_timeout;
    });
    MESSAGE("persist timeouts: " << timeouts);
    CHECK(timeouts > 0);
}

TEST_CASE("property: random programs conserve bytes on every event and never false-stall") {
    std::mt19937_64 rng(99);
    std::uniform_int_distribution<int64_t> size(1, 5000), mss(100, 3000), pick(0, 2);
    for (int i = 0; i < 150; ++i) {
        const int64_t n = size(rng);
        const model::Profile profile = i % 2 == 0 ? model::Profile::textbook : model::Profile::linux;
        // A threaded client and a transforming server always complete; a sequential
        // client may deadlock. Either way every event must conserve bytes.
        const bool threaded = pick(rng) != 0;
        Side client{size(rng), size(rng), {}};
        if (threaded)
            client.threads = {{"w", {repeat_op(n, {write_op(3)}), shutdown_op()}}, {"r", {read_to_end_op()}}};
        else
            client.threads = {{"main", {write_op(3 * n), shutdown_op(), read_to_end_op()}}};
        const Side server{size(rng), size(rng), {{"main", {repeat_eof_op({read_op(size(rng)), write_ratio(1, 1)}), close_op()}}}};
        CAPTURE(i);
        InvariantObserver obs;
        const model::Scenario s = make_scenario(client, server, profile, mss(rng));
        const core::Result r = core::simulate(s, params_of(s), &obs);
        CHECK(r.outcome != Outcome::limit);
        if (threaded) {
            CHECK(r.outcome == Outcome::completed);
            CHECK(thread_of(r, "A", "r").bytes_read == 3 * n);
        }
    }
}

TEST_CASE("a loop of identical writes into free space costs events per segment, not per call") {
    // 1 MiB in 16-byte writes through 64 KiB queues: 65536 calls, ~720 segments.
    const Side a{65536, 65536, {{"w", {repeat_op(65536, {write_op(16)}), shutdown_op()}}}};
    const Side b{65536, 65536, {{"r", {repeat_eof_op({read_op(42)})}}}};
    const core::Result r = core::simulate_textbook(make_scenario(a, b, model::Profile::textbook, 1460, 10'000, 1'000'000'000));
    CHECK(r.outcome == Outcome::completed);
    CHECK(thread_of(r, "B", "r").bytes_read == 1 << 20);
    const int64_t segments = (1 << 20) / 1460 + 1;
    CHECK(r.events < 5 * segments);
}

TEST_CASE("determinism: the same scenario gives the same result and the same event stream") {
    const Side client{700, 900, {{"main", {write_op(10000), shutdown_op(), read_to_end_op()}}}};
    const Side server{600, 800, {{"main", {repeat_eof_op({read_op(333), write_ratio(3, 4)}), close_op()}}}};
    const model::Scenario s = make_scenario(client, server, model::Profile::linux, 536);
    InvariantObserver first, second;
    first.keep_log = second.keep_log = true;
    const core::Result r1 = core::simulate(s, linux_params(s), &first);
    const core::Result r2 = core::simulate(s, linux_params(s), &second);
    CHECK(r1.time_ns == r2.time_ns);
    CHECK(r1.events == r2.events);
    CHECK(r1.cycle == r2.cycle);
    REQUIRE(first.log.size() == second.log.size());
    for (size_t i = 0; i < first.log.size(); ++i) {
        CHECK(first.log[i].time_ns == second.log[i].time_ns);
        CHECK(first.log[i].kind == second.log[i].kind);
        CHECK(first.log[i].seq == second.log[i].seq);
    }
}

TEST_CASE("linux profile maps SO_SNDBUF/SO_RCVBUF the way sock.c does (payload lines)") {
    core::ProfileParams p = linux_params(65483);
    p.skb_overhead_bytes = 0;  // the linear SendQ line instead of skb accounting
    model::SocketSizes ep;
    ep.sqs_bytes = 10000;
    ep.rqs_bytes = 2 * p.rmem_max_bytes;  // above rmem_max: clamped, then doubled
    const core::rules::Capacities caps = core::rules::capacities_for(p, model::Profile::linux, ep, ep, 65483, 65483);
    CHECK(caps.sendq_bytes == 20000 * p.send_payload.num / p.send_payload.den + p.send_extra_bytes);
    CHECK(caps.recvq_bytes == 2 * p.rmem_max_bytes * p.recv_payload.num / p.recv_payload.den + p.recv_extra_bytes);
    ep.sqs_bytes = 1;  // below the minimum
    CHECK(core::rules::capacities_for(p, model::Profile::linux, ep, ep, 65483, 65483).sendq_bytes ==
          p.sndbuf_min_bytes * p.send_payload.num / p.send_payload.den + p.send_extra_bytes);
}

namespace {

// Records every acknowledgement with the receiver's queue at that moment.
struct AckLog : core::Observer {
    struct Ack { int64_t window, free_bytes, capacity; };
    std::vector<Ack> acks;
    int64_t segments = 0;
    void on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs, std::span<const core::ByteQueueCounters>) override {
        if (ev.kind == core::TraceKind::segment_sent && ev.length > 0 && ev.endpoint == 0) ++segments;
        if (ev.kind != core::TraceKind::ack_sent || ev.endpoint != 1) return;
        const core::DirectionCounters& c = dirs[0];  // A -> B, acknowledged by B
        acks.push_back({ev.window, c.recvq_capacity - c.recvq(), c.recvq_capacity});
    }
};

model::Scenario slow_reader(model::Profile profile, int64_t mss) {
    const Side a{20000, 20000, {{"main", {write_op(300000), shutdown_op()}}}};
    const Side b{20000, 20000, {{"main", {repeat_eof_op({sleep_op(2'000'000), read_op(3000)})}}}};
    return make_scenario(a, b, profile, mss, 100'000, 1'000'000'000);
}

}  // namespace

TEST_CASE("textbook windows: every acknowledgement advertises exactly the free RecvQ space") {
    AckLog log;
    const core::Result r = core::simulate_textbook(slow_reader(model::Profile::textbook, 1460), &log);
    CHECK(r.outcome == Outcome::completed);
    REQUIRE(log.acks.size() > 10);
    bool saw_zero = false;
    for (const AckLog::Ack& ack : log.acks) {
        CHECK(ack.window == ack.free_bytes);
        saw_zero = saw_zero || ack.window == 0;
    }
    CHECK(saw_zero);  // the slow reader really closed the window
}

TEST_CASE("linux windows: no window below one MSS once the buffer is half full, delayed ACKs") {
    const int64_t mss = 1460;
    AckLog log;
    const core::Result r = core::simulate(slow_reader(model::Profile::linux, mss), linux_params(mss), &log);
    CHECK(r.outcome == Outcome::completed);
    REQUIRE(log.acks.size() > 10);
    for (const AckLog::Ack& ack : log.acks) {
        CAPTURE(ack.window); CAPTURE(ack.free_bytes);
        CHECK(ack.window <= ack.free_bytes);
        if (ack.window > 0 && ack.window < mss) CHECK(ack.free_bytes >= ack.capacity / 2);
    }
    // Delayed ACKs: fewer acknowledgements than segments (one per two full segments at most).
    CHECK(static_cast<int64_t>(log.acks.size()) < log.segments);
}

TEST_CASE("a thread's fate does not depend on the order threads are listed in") {
    // A's sibling shuts the socket down while A.w is blocked in write: A.w must fail (EPIPE)
    // whichever of the two comes first in the file.
    const std::vector<Op> w{write_op(10000)};
    const std::vector<Op> s{sleep_op(10'000'000), shutdown_op()};
    const Side b{500, 500, {{"main", {write_op(10000)}}}};
    for (bool writer_first : {true, false}) {
        CAPTURE(writer_first);
        Side a{500, 500, {}};
        a.threads = writer_first ? decltype(a.threads){{"w", w}, {"s", s}} : decltype(a.threads){{"s", s}, {"w", w}};
        const core::Result r = core::simulate_textbook(make_scenario(a, b));
        CHECK(thread_of(r, "A", "w").state == ThreadState::failed);
    }
}

TEST_CASE("loops of reads fast-forward after the thread's own shutdown too") {
    // 16 MiB read 16 bytes at a time: a million reads, within a budget of 100k operations
    // only if identical iterations advance arithmetically.
    const Side client{65536, 65536, {{"main", {write_op(1), shutdown_op(), repeat_eof_op({read_op(16)})}}}};
    const Side server{65536, 65536, {{"main", {read_op(1), write_op(16 << 20), close_op()}}}};
    model::Scenario s = make_scenario(client, server, model::Profile::textbook, 1460, 10'000, 1'000'000'000);
    s.limits.events = 100000;
    const core::Result r = core::simulate_textbook(s);
    CHECK(r.outcome == Outcome::completed);
    CHECK(thread_of(r, "A").bytes_read == 16 << 20);
}

TEST_CASE("an operations limit reports the cut-off thread as running, not blocked") {
    // A zero-time loop that nothing blocks and that cannot be batched: only the operations
    // limit ends it, while A.main could still move.
    const Side a{500, 500, {{"main", {repeat_op(1'000'000, {shutdown_op()})}}}};
    const Side b{500, 500, {{"main", {read_to_end_op()}}}};
    model::Scenario s = make_scenario(a, b);
    s.limits.events = 100;
    const core::Result r = core::simulate_textbook(s);
    CHECK(r.outcome == Outcome::limit);
    CHECK(r.limit_reason == core::LimitReason::operations);
    const core::ThreadReport& cut = thread_of(r, "A");
    CHECK(cut.state == ThreadState::running);
    CHECK_FALSE(cut.blocked_in.has_value());
}

namespace {

// Per direction: the bytes sent before the sender heard its first ACK, and the largest
// window each receiver advertised.
struct WindowLog : core::Observer {
    std::array<int64_t, 2> sent_before_first_ack{0, 0};
    std::array<bool, 2> heard_ack{false, false};
    std::array<int64_t, 2> max_window{0, 0};
    std::array<int64_t, 2> max_capacity{0, 0};
    void on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs, std::span<const core::ByteQueueCounters>) override {
        if (ev.kind == core::TraceKind::segment_sent && !heard_ack[ev.endpoint])
            sent_before_first_ack[ev.endpoint] += ev.length;
        if (ev.kind == core::TraceKind::ack_received) heard_ack[ev.endpoint] = true;
        if (ev.kind == core::TraceKind::ack_sent) {
            const int d = 1 - ev.endpoint;  // the direction this receiver acknowledges
            max_window[d] = std::max(max_window[d], ev.window);
        }
        for (int d = 0; d < 2; ++d) max_capacity[d] = std::max(max_capacity[d], dirs[d].sendq_capacity);
    }
};

int64_t kernel_rcvbuf(const core::ProfileParams& p, int64_t requested) {
    return std::max(std::min(requested, p.rmem_max_bytes) * 2, p.rcvbuf_min_bytes);
}

}  // namespace

TEST_CASE("property: linux offers the SYN's window first, then grows it towards the whole RecvQ") {
    std::mt19937_64 rng(11);
    for (int i = 0; i < 60; ++i) {
        const int64_t rqs = std::uniform_int_distribution<int64_t>(2048, 300'000)(rng);
        const int64_t mss = std::uniform_int_distribution<int64_t>(536, 65483)(rng);
        const core::ProfileParams& p = linux_params(mss);
        const Side a{64 * 1024, 64 * 1024, {{"main", {write_op(4 * 1024 * 1024), shutdown_op()}}}};
        const Side b{64 * 1024, rqs, {{"main", {sleep_op(1'000'000'000), read_to_end_op()}}}};
        WindowLog log;
        const core::Result r = core::simulate(make_scenario(a, b, model::Profile::linux, mss, 10'000, 10'000'000'000), p, &log);
        CAPTURE(rqs); CAPTURE(mss);
        REQUIRE(r.outcome == Outcome::completed);
        const int64_t syn_window = core::rules::syn_window_bytes(kernel_rcvbuf(p, rqs));
        const int64_t capacity = r.queues[1].rqs;
        CHECK(log.sent_before_first_ack[0] <= syn_window);
        CHECK(log.max_window[0] <= capacity);
        // tcp_grow_window: rcv_ssthresh grows while it is below the free space, so the
        // window passes the SYN's when the first segment leaves more room than that.
        const int64_t first_segment = std::min(mss, syn_window / 2);
        if (capacity - first_segment > syn_window) CHECK(log.max_window[0] > syn_window);
    }
}

TEST_CASE("linux: a window larger than the SYN's re-syncs size_goal, and the SendQ grows with it") {
    const int64_t mss = 65483;
    const core::ProfileParams& p = linux_params(mss);
    // A small SO_SNDBUF facing a large receiver: one skb, whose size_goal doubles once the
    // receiver's window grows past the 65535 bytes of its SYN.
    const Side a{4 * 1024, 4 * 1024, {{"main", {write_op(16 * 1024 * 1024), shutdown_op()}}}};
    const Side b{256 * 1024, 256 * 1024, {{"main", {sleep_op(1'000'000'000), read_to_end_op()}}}};
    const model::Scenario s = make_scenario(a, b, model::Profile::linux, mss, 10'000, 10'000'000'000);
    const int64_t at_handshake = core::rules::capacities_for(p, model::Profile::linux, s.connections[0].sizes[0], s.connections[0].sizes[1], mss, mss).sendq_bytes;
    CHECK(at_handshake == core::rules::skb_size_goal(kernel_rcvbuf(p, 256 * 1024), mss));
    WindowLog log;
    const core::Result r = core::simulate(s, p, &log);
    REQUIRE(r.outcome == Outcome::completed);
    const int64_t sndbuf = core::rules::capacities_for(p, model::Profile::linux, s.connections[0].sizes[0], s.connections[0].sizes[1], mss, mss).sndbuf_bytes;
    const int64_t grown = core::rules::skb_sendq_bytes(p, sndbuf, core::rules::size_goal_for_window(log.max_window[0], mss));
    CHECK(grown > at_handshake);
    CHECK(log.max_capacity[0] == grown);
}

TEST_CASE("linux writer: refills what the window took during its write, then wakes only at a third free") {
    const int64_t mss = 65483;
    const core::ProfileParams p = kernel_rules_params(mss);
    SUBCASE("both write, 64 KiB against 4 KiB buffers: A's SendQ is full at the stall") {
        const Side a{64 * 1024, 64 * 1024, {{"main", {repeat_op(64, {write_op(65536)}), shutdown_op(), read_to_end_op()}}}};
        const Side b{4 * 1024, 4 * 1024, {{"main", {repeat_op(64, {write_op(65536)}), shutdown_op(), read_to_end_op()}}}};
        const core::Result r = core::simulate(make_scenario(a, b, model::Profile::linux, mss, 10'000, 10'000'000'000), p);
        REQUIRE(r.outcome == Outcome::deadlock);
        CHECK(r.queues[1].recvq > 0);
        // The ACKs of what crossed into B's window during A's write freed A's SendQ: A refilled it.
        CHECK(r.queues[0].sendq == r.queues[0].sqs);
        CHECK(thread_of(r, "A").bytes_written == r.queues[0].sendq + r.queues[1].recvq);
    }
    SUBCASE("space that a later read frees, less than a third of the SendQ, does not wake the writer") {
        // B reads one window's worth after 100 ms: A sends one more segment, whose ACK frees
        // far less than a third of A's large SendQ, so A sleeps on until B reads everything.
        const Side a{256 * 1024, 256 * 1024, {{"main", {write_op(16 * 1024 * 1024), shutdown_op()}}}};
        const Side b{64 * 1024, 64 * 1024,
                     {{"main", {sleep_op(100'000'000), read_exact_op(60'000), sleep_op(10'000'000'000), read_to_end_op()}}}};
        struct Probe : core::Observer {
            int64_t written_at_50ms = -1, sendq_at_50ms = -1, written_at_5s = -1, sendq_at_5s = -1, capacity = 0;
            void on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs, std::span<const core::ByteQueueCounters>) override {
                if (ev.time_ns <= 50'000'000) {
                    written_at_50ms = dirs[0].written;
                    sendq_at_50ms = dirs[0].sendq();
                }
                if (ev.time_ns <= 5'000'000'000) {
                    written_at_5s = dirs[0].written;
                    sendq_at_5s = dirs[0].sendq();
                    capacity = dirs[0].sendq_capacity;
                }
            }
        } probe;
        const core::Result r = core::simulate(make_scenario(a, b, model::Profile::linux, mss, 10'000, 10'000'000'000), p, &probe);
        REQUIRE(r.outcome == Outcome::completed);
        CHECK(probe.sendq_at_50ms == probe.capacity);    // full before B's read
        CHECK(probe.sendq_at_5s < probe.sendq_at_50ms);  // the read freed space...
        CHECK(3 * (probe.capacity - probe.sendq_at_5s) < probe.capacity);
        CHECK(probe.written_at_5s == probe.written_at_50ms);  // ...which the sleeping writer left
    }
}

TEST_CASE("linux receiver: rcv_ssthresh grows only into the free space it has when data arrives") {
    // B lets its RecvQ fill, then empties it: the window it then offers is still capped by the
    // rcv_ssthresh it reached while filling, not the whole buffer (tcp_grow_window's room).
    const core::ProfileParams& p = linux_params(65483);
    const Side a{256 * 1024, 256 * 1024, {{"main", {write_op(16 * 1024 * 1024), shutdown_op()}}}};
    const Side b{256 * 1024, 256 * 1024,
                 {{"main", {sleep_op(1'000'000'000), read_op(1024 * 1024), sleep_op(1'000'000'000), read_to_end_op()}}}};
    struct Probe : core::Observer {
        int64_t max_free_at_arrival = 0, window_after_read = -1, free_after_read = -1, capacity = 0;
        bool read_done = false;
        void on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs, std::span<const core::ByteQueueCounters>) override {
            const core::DirectionCounters& c = dirs[0];
            capacity = c.recvq_capacity;
            if (!read_done && ev.kind == core::TraceKind::segment_received && ev.endpoint == 1 && ev.length > 0)
                max_free_at_arrival = std::max(max_free_at_arrival, c.recvq_capacity - c.recvq());
            if (ev.kind == core::TraceKind::op_return && ev.endpoint == 1 && ev.op == model::OpKind::read)
                read_done = true;
            if (read_done && window_after_read < 0 && ev.kind == core::TraceKind::ack_sent && ev.endpoint == 1) {
                window_after_read = ev.window;
                free_after_read = c.recvq_capacity - c.recvq();
            }
        }
    } probe;
    const core::Result r = core::simulate(make_scenario(a, b, model::Profile::linux, 65483, 10'000, 10'000'000'000), p, &probe);
    REQUIRE(r.outcome == Outcome::completed);
    REQUIRE(probe.window_after_read > 0);
    CHECK(probe.window_after_read <= std::max(core::rules::syn_window_bytes(2 * 256 * 1024), probe.max_free_at_arrival));
    CHECK(probe.window_after_read < probe.free_after_read);  // the buffer had more room than it offered
}
