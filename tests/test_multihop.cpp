// Scenarios of many endpoints, in random configurations: a chain of single-threaded hops
// deadlocks exactly when the chain rule says (analysis::predict, derived in docs/model.md);
// bytes are conserved on every connection and byte queue at every event; runs repeat exactly.
#include <doctest/doctest.h>

#include <random>

#include "analysis/rule.hpp"
#include "analysis/sweep.hpp"
#include "core/engine.hpp"
#include "scenario/load.hpp"
#include "support.hpp"
#include "views/report.hpp"

using namespace tcpsim;
using namespace tcpsim::test;
using core::Outcome;

namespace {

int64_t uniform(std::mt19937_64& rng, int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

// Checks the byte accounting of every direction and byte queue at every event (the first broken
// invariant is kept, to be checked once: doctest's per-assertion cost would dominate the run),
// and keeps the whole event stream with its counters, every field as a number (the trace two
// runs compare).
struct ConservationObserver : core::Observer {
    std::vector<core::DirectionCounters> directions;   // at the last event
    std::vector<core::ByteQueueCounters> byte_queues;  // at the last event
    bool keep_log = false;
    std::vector<int64_t> log;  // when keep_log
    std::string broken;  // the first invariant that failed, at which event

    void expect(bool holds, const char* what, size_t index) {
        if (!holds && broken.empty())
            broken = std::string(what) + " (index " + std::to_string(index) + ", event " + std::to_string(events) + ")";
    }
    void on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs,
                  std::span<const core::ByteQueueCounters> queues) override {
        ++events;
        for (int64_t v : {ev.time_ns, int64_t(ev.kind), int64_t(ev.endpoint), int64_t(ev.thread), ev.seq, ev.length,
                          ev.window, ev.requested, int64_t(ev.fin), int64_t(ev.op), ev.thread_written, ev.thread_read,
                          int64_t(ev.channel), int64_t(ev.direction)})
            if (keep_log) log.push_back(v);
        const bool first = events == 1;
        expect(first || directions.size() == dirs.size(), "the number of directions changed", 0);
        expect(first || byte_queues.size() == queues.size(), "the number of byte queues changed", 0);
        for (size_t i = 0; i < dirs.size(); ++i) {
            const core::DirectionCounters& c = dirs[i];
            for (int64_t v : {c.written, c.sent, c.acked, c.in_flight, c.arrived, c.read, c.peer_window, c.advertised})
                if (keep_log) log.push_back(v);
            expect(c.written >= c.sent, "written >= sent", i);
            expect(c.sent >= c.acked, "sent >= acked", i);
            expect(c.acked >= 0 && c.in_flight >= 0, "acked, in_flight >= 0", i);
            expect(c.sent == c.arrived + c.in_flight, "sent == arrived + in_flight", i);
            expect(c.arrived >= c.read, "arrived >= read", i);
            expect(c.sendq() <= c.sendq_capacity, "SendQ <= SQS", i);
            expect(c.recvq() <= c.recvq_capacity, "RecvQ <= RQS", i);
            if (!first && i < directions.size())
                expect(c.written >= directions[i].written && c.read >= directions[i].read, "counters only grow", i);
        }
        for (size_t i = 0; i < queues.size(); ++i) {
            const core::ByteQueueCounters& q = queues[i];
            for (int64_t v : {q.written, q.read, q.peak, int64_t(q.writer_closed), int64_t(q.reader_closed)})
                if (keep_log) log.push_back(v);
            expect(q.read >= 0 && q.level() >= 0, "queue read >= 0, level >= 0", i);
            expect(q.level() <= q.capacity, "queue level <= capacity", i);
            expect(q.level() <= q.peak && q.peak <= q.capacity, "level <= peak <= capacity", i);
            if (!first && i < byte_queues.size())
                expect(q.written >= byte_queues[i].written && q.read >= byte_queues[i].read, "queue counters only grow", i);
        }
        directions.assign(dirs.begin(), dirs.end());
        byte_queues.assign(queues.begin(), queues.end());
    }
    int64_t events = 0;
};

// A completed run moved every byte written to a reader: on every direction and every queue.
void check_all_delivered(const ConservationObserver& obs, const core::Result& r) {
    for (size_t i = 0; i < obs.directions.size(); ++i) {
        CAPTURE(i);
        CHECK(obs.directions[i].read == obs.directions[i].written);
    }
    for (const core::ByteQueueReport& q : r.byte_queues) {
        CAPTURE(q.name);
        CHECK(q.read == q.written);
        CHECK(q.level == 0);
    }
}

// A run's JSON report and its every event with every counter.
struct Seen {
    std::string report;
    std::vector<int64_t> trace;
};
Seen run_seen(const model::Scenario& s) {
    ConservationObserver obs;
    obs.keep_log = true;
    const core::Result r = core::simulate_textbook(s, &obs);
    CHECK(obs.broken == "");
    return {views::report_json(r).dump(), std::move(obs.log)};
}

void check_deterministic(const model::Scenario& s) {
    const Seen first = run_seen(s), second = run_seen(s);
    CHECK(first.report == second.report);
    CHECK(first.trace.size() > 20);
    CHECK(first.trace == second.trace);
}

// ------------------------------------------------------------------ chains

// The server of the compression example: read_exact(block), answer it with ratio * block.
std::vector<Op> block_server(int64_t block, model::Ratio ratio, bool closes) {
    Op answer = write_ratio(ratio.num, ratio.den);
    std::vector<Op> ops{repeat_eof_op({read_exact_op(block), answer})};
    if (closes) ops.push_back(close_op());
    return ops;
}

Op on(Op op, int channel) {
    op.channel = channel;
    return op;
}

// One direction of a forwarding hop (channel 0 up, 1 down): stored whole, or chunk by chunk
// (`stores` says which).
std::vector<Op> forward(std::mt19937_64& rng, int from, int to, int64_t total, bool& stores) {
    const uint64_t shape = rng() % 4;
    stores = shape != 3;
    switch (shape) {
        case 0: return {on(read_to_end_op(), from), on(write_ratio(1, 1), to)};
        case 1: return {on(read_exact_op(total + static_cast<int64_t>(rng() % 3)), from), on(write_ratio(1, 1), to)};
        case 2: return {on(read_to_end_op(), from), on(write_op(total), to)};
        default: {
            const int64_t chunk = uniform(rng, 1, 4000);
            return {repeat_eof_op({on(rng() % 2 ? read_op(chunk) : read_exact_op(chunk), from), on(write_ratio(1, 1), to)})};
        }
    }
}

// A single-threaded hop: the whole request down, shutdown, the whole reply up, then maybe closes.
// `stores` says whether it stores the whole request before it writes any.
std::vector<Op> forwarding_hop(std::mt19937_64& rng, int64_t request, int64_t reply, bool& stores) {
    std::vector<Op> ops = forward(rng, 0, 1, request, stores);
    ops.push_back(on(shutdown_op(), 1));
    bool reply_stored = false;
    for (Op& op : forward(rng, 1, 0, reply, reply_stored)) ops.push_back(op);
    if (rng() % 2) ops.push_back(on(close_op(), 0));
    return ops;
}

struct ChainCase {
    int hops = 1;
    int64_t request = 0, block = 0;
    model::Ratio ratio;
    std::vector<std::array<model::SocketSizes, 2>> sizes;  // per connection, upstream socket first
    analysis::TransformRule rule;  // the closed form, from the numbers above
    bool reversed = false;
    bool hops_store_request = true;  // every hop reads the whole request before it writes any
    model::Scenario scenario;
};

model::Endpoint endpoint(std::string name, std::vector<Op> ops) {
    return model::Endpoint{std::move(name), {model::Thread{"main", std::move(ops)}}, {}};
}

// Random hops, sizes and server; then the request: anywhere, or one byte either side of the
// threshold, where an error of a byte in the closed form shows.
ChainCase random_ends(std::mt19937_64& rng, int64_t max_size, int64_t max_block) {
    ChainCase c;
    c.hops = static_cast<int>(uniform(rng, 1, 4));
    c.reversed = rng() % 2;
    for (int i = 0; i <= c.hops; ++i) {
        const auto size = [&] { return model::SocketSizes{uniform(rng, 1, max_size), uniform(rng, 1, max_size)}; };
        c.sizes.push_back({size(), size()});
    }
    c.block = uniform(rng, 1, max_block);
    c.ratio = {uniform(rng, 1, 4), uniform(rng, 1, 4)};
    return c;
}
void pick_request(std::mt19937_64& rng, ChainCase& c, int64_t max_request) {
    switch (rng() % 3) {
        case 0: c.request = uniform(rng, 1, max_request); break;
        case 1: c.request = std::max<int64_t>(1, c.rule.threshold - 1); break;
        default: c.request = c.rule.threshold; break;
    }
}

ChainCase random_chain(std::mt19937_64& rng) {
    ChainCase c = random_ends(rng, 3000, 3000);
    const auto& [hop, server] = c.sizes.back();  // the last link alone decides
    c.rule = analysis::transform_rule(c.block, c.ratio, *hop.sqs_bytes, *hop.rqs_bytes, *server.sqs_bytes, *server.rqs_bytes);
    pick_request(rng, c, 30000);
    const int64_t reply = analysis::transform_reply_bytes(c.request, c.block, c.ratio);
    std::vector<model::Endpoint> chain{endpoint("client", {write_op(c.request), shutdown_op(), read_to_end_op()})};
    for (int h = 1; h <= c.hops; ++h) {
        bool stores = false;
        chain.push_back(endpoint("hop" + std::to_string(h), forwarding_hop(rng, c.request, reply, stores)));
        c.hops_store_request = c.hops_store_request && stores;
    }
    chain.push_back(endpoint("server", block_server(c.block, c.ratio, rng() % 2)));
    const model::Link link{10'000'000'000, uniform(rng, 1, 100) * 1000, uniform(rng, 100, 1460)};
    c.scenario = make_chain(chain, c.sizes, link, c.reversed);
    return c;
}

// A chain whose hops relay byte by byte, one thread each way (channel 0 up, 1 down).
ChainCase random_relay_chain(std::mt19937_64& rng) {
    ChainCase c = random_ends(rng, 1000, 2000);
    c.hops_store_request = false;
    // Every link's SQS+RQS each way, and the byte each relay thread holds.
    int64_t in = c.hops, out = c.hops;
    for (const auto& [up, down] : c.sizes) {
        in += *up.sqs_bytes + *down.rqs_bytes;
        out += *down.sqs_bytes + *up.rqs_bytes;
    }
    // Now and then a reply that fits `out` once only with the relays' bytes counted.
    if (rng() % 3 == 0) {
        c.ratio = {1, 1};
        c.block = out - uniform(rng, 0, c.hops - 1);
    }
    c.rule = analysis::transform_through(c.block, c.ratio, in, out);
    pick_request(rng, c, 12000);
    std::vector<model::Endpoint> chain{endpoint("client", {write_op(c.request), shutdown_op(), read_to_end_op()})};
    for (int h = 1; h <= c.hops; ++h) {
        const auto one_byte = [&](int from) { return on(rng() % 2 ? read_op(1) : read_exact_op(1), from); };
        model::Thread up{"up", {repeat_eof_op({one_byte(0), on(write_ratio(1, 1), 1)}), on(shutdown_op(), 1)}};
        model::Thread down{"down", {repeat_eof_op({one_byte(1), on(write_ratio(1, 1), 0)}), rng() % 2 ? close_op() : shutdown_op()}};
        model::Endpoint hop{"hop" + std::to_string(h), {up, down}, {}};
        if (rng() % 2) std::swap(hop.threads[0], hop.threads[1]);
        chain.push_back(hop);
    }
    chain.push_back(endpoint("server", block_server(c.block, c.ratio, rng() % 2)));
    c.scenario = make_chain(chain, c.sizes, model::Link{10'000'000'000, uniform(rng, 1, 100) * 1000, uniform(rng, 100, 1460)},
                            c.reversed);
    return c;
}

}  // namespace

TEST_CASE("property: a chain of 1-4 forwarding hops deadlocks exactly when the transform rule on its last link says") {
    std::mt19937_64 rng(1616);
    int deadlocks = 0, completions = 0;
    for (int i = 0; i < 500; ++i) {
        const ChainCase c = random_chain(rng);
        CAPTURE(i); CAPTURE(c.hops); CAPTURE(c.request); CAPTURE(c.block); CAPTURE(c.ratio.num); CAPTURE(c.ratio.den);
        CAPTURE(c.reversed);
        const analysis::TransformRule& rule = c.rule;
        const bool deadlock = c.request >= rule.threshold;
        const int64_t reply = analysis::transform_reply_bytes(c.request, c.block, c.ratio);
        const auto p = analysis::predict(c.scenario);
        REQUIRE(p.has_value());
        CHECK(p->shape == "chain");
        CHECK(p->deadlock == deadlock);
        const std::string last = "hop" + std::to_string(c.hops);
        CHECK(p->endpoint == last);

        ConservationObserver obs;
        const core::Result r = core::simulate_textbook(c.scenario, &obs);
        CHECK(obs.broken == "");
        REQUIRE(r.outcome == (deadlock ? Outcome::deadlock : Outcome::completed));
        // Hops that store the request take all of it, even when the last link deadlocks.
        if (c.hops_store_request) CHECK(thread_of(r, "client").bytes_written == c.request);
        if (deadlock) {
            ++deadlocks;
            CHECK(thread_of(r, last).bytes_written == rule.threshold - 1);
            CHECK(p->accepted == rule.threshold - 1);
            CHECK(thread_of(r, "server").bytes_read == rule.server_reads_before_block);
        } else {
            ++completions;
            CHECK(p->accepted == c.request);
            CHECK(thread_of(r, "client").bytes_read == reply);
            CHECK(thread_of(r, "server").bytes_read == c.request);
            CHECK(thread_of(r, "server").bytes_written == reply);
            for (int h = 1; h <= c.hops; ++h) {
                CHECK(thread_of(r, "hop" + std::to_string(h)).bytes_read == c.request + reply);
                CHECK(thread_of(r, "hop" + std::to_string(h)).bytes_written == c.request + reply);
            }
            check_all_delivered(obs, r);
        }
    }
    // Both sides of the rule came up often enough to mean something.
    CHECK(deadlocks > 80);
    CHECK(completions > 80);
}

TEST_CASE("property: a chain of 1-4 byte relays deadlocks exactly when the transform rule through the whole path says") {
    std::mt19937_64 rng(1515);
    int deadlocks = 0, completions = 0;
    for (int i = 0; i < 120; ++i) {
        const ChainCase c = random_relay_chain(rng);
        CAPTURE(i); CAPTURE(c.hops); CAPTURE(c.request); CAPTURE(c.block); CAPTURE(c.ratio.num); CAPTURE(c.ratio.den);
        CAPTURE(c.reversed);
        const analysis::TransformRule& rule = c.rule;
        const bool deadlock = c.request >= rule.threshold;
        const auto p = analysis::predict(c.scenario);
        REQUIRE(p.has_value());
        CHECK(p->shape == "relay-chain");
        CHECK(p->endpoint == "client");
        CHECK(p->deadlock == deadlock);

        ConservationObserver obs;
        const core::Result r = core::simulate_textbook(c.scenario, &obs);
        CHECK(obs.broken == "");
        REQUIRE(r.outcome == (deadlock ? Outcome::deadlock : Outcome::completed));
        if (deadlock) {
            ++deadlocks;
            CHECK(thread_of(r, "client").bytes_written == rule.threshold - 1);
            CHECK(p->accepted == rule.threshold - 1);
            CHECK(thread_of(r, "server").bytes_read == rule.server_reads_before_block);
        } else {
            ++completions;
            CHECK(thread_of(r, "client").bytes_read == analysis::transform_reply_bytes(c.request, c.block, c.ratio));
            check_all_delivered(obs, r);
        }
        if (i % 20 == 0) check_deterministic(c.scenario);
    }
    CHECK(deadlocks > 25);
    CHECK(completions > 25);
}

TEST_CASE("property: random chains run the same twice (report, every event and counter)") {
    std::mt19937_64 rng(1717);
    for (int i = 0; i < 30; ++i) {
        const ChainCase c = random_chain(rng);
        CAPTURE(i);
        check_deterministic(c.scenario);
    }
}

TEST_CASE("chain rule: near its threshold, one byte decides, and only the last link's sizes matter") {
    std::mt19937_64 rng(99);
    const model::Ratio ratio{1, 2};
    const auto build = [&](int64_t request, int64_t first_link_sqs) {
        std::vector<model::Endpoint> chain{endpoint("client", {write_op(request), shutdown_op(), read_to_end_op()})};
        const int64_t reply = analysis::transform_reply_bytes(request, 1000, ratio);
        bool stores = false;
        for (int h = 1; h <= 3; ++h) chain.push_back(endpoint("hop" + std::to_string(h), forwarding_hop(rng, request, reply, stores)));
        chain.push_back(endpoint("server", block_server(1000, ratio, true)));
        std::vector<std::array<model::SocketSizes, 2>> sizes(4, {model::SocketSizes{500, 500}, model::SocketSizes{500, 500}});
        sizes[0][0].sqs_bytes = first_link_sqs;
        return make_chain(chain, sizes, model::Link{10'000'000, 1'000'000, 1460});
    };
    // The seeds' compression example on the last link: the server reads 3,000, hop3 then fills 1,000 more.
    for (const int64_t first_sqs : {int64_t{1}, int64_t{500}, int64_t{100000}}) {
        CAPTURE(first_sqs);
        for (const int64_t request : {int64_t{4000}, int64_t{4001}}) {
            CAPTURE(request);
            const model::Scenario s = build(request, first_sqs);
            const auto p = analysis::predict(s);
            REQUIRE(p.has_value());
            CHECK(p->deadlock == (request == 4001));
            CHECK(core::simulate_textbook(s).outcome == (request == 4001 ? Outcome::deadlock : Outcome::completed));
        }
    }
    const auto p = analysis::predict(build(4001, 500));
    REQUIRE(p.has_value());
    CHECK(p->explanation ==
          "client -> hop1 -> hop2 -> hop3 -> server: every hop reads the whole request to EOF before it reads the reply, "
          "so only the last link can deadlock, as the transform rule with hop3 as its client. server reads 3,000 bytes "
          "before its replies fill SQS_server+RQS_hop3 = 1,000; hop3 then fills SQS_hop3+RQS_server = 1,000: a request "
          "deadlocks iff it exceeds 4,000 bytes");
}

TEST_CASE("relay-chain rule: one byte relay between 500-byte queues deadlocks from 7,002 bytes, where read(700) relays do not") {
    const auto build = [](int64_t request, int64_t relay_read) {
        model::Endpoint relay{"edge",
                              {{"up", {repeat_eof_op({read_op(relay_read), on(write_ratio(1, 1), 1)}), on(shutdown_op(), 1)}},
                               {"down", {repeat_eof_op({on(read_op(relay_read), 1), write_ratio(1, 1)}), shutdown_op()}}},
                              {}};
        const std::vector<std::array<model::SocketSizes, 2>> sizes(2, {model::SocketSizes{500, 500}, model::SocketSizes{500, 500}});
        return make_chain({endpoint("client", {write_op(request), shutdown_op(), read_to_end_op()}), relay,
                           endpoint("server", block_server(1000, {1, 2}, true))},
                          sizes, model::Link{10'000'000, 1'000'000, 1460});
    };
    // OUT = 2 x 1,000 + 1 = 2,001 holds 4 replies of 500: the server reads 5,000; IN = 2,001.
    for (const int64_t request : {int64_t{7001}, int64_t{7002}}) {
        CAPTURE(request);
        const auto p = analysis::predict(build(request, 1));
        REQUIRE(p.has_value());
        CHECK(p->deadlock == (request == 7002));
        CHECK(core::simulate_textbook(build(request, 1)).outcome == (request == 7002 ? Outcome::deadlock : Outcome::completed));
    }
    CHECK(analysis::predict(build(7002, 1))->explanation ==
          "client -> edge -> server: every hop relays byte by byte in two threads, so the path is one pipe; server reads "
          "5,000 bytes before its replies fill 2,001 (every SQS+RQS towards client, and a byte held by each relay thread); "
          "client then fills 2,001 (every SQS+RQS towards server, and a byte in each relay): a request deadlocks iff it "
          "exceeds 7,001 bytes");
    // Relays of 700 bytes hold what the timing gives them: here the run goes on past 7,002 (docs/model.md).
    CHECK_FALSE(analysis::predict(build(7002, 700)).has_value());
    CHECK(core::simulate_textbook(build(8500, 700)).outcome == Outcome::completed);
    CHECK(core::simulate_textbook(build(8501, 700)).outcome == Outcome::deadlock);
}

TEST_CASE("chain rule: a chain in a scenario file is recognised, and agrees with the run") {
    const std::string text = R"({
      "name": "two-proxies", "description": "t", "model": "textbook",
      "params": { "request": 4001 },
      "link": { "bandwidth": "10Mbps", "delay": "1ms", "mss": 1460 },
      "endpoints": {
        "server": { "sqs": 500, "rqs": 500, "threads": { "main": [
          { "repeat": "eof", "do": [ { "read_exact": 1000 }, { "write": { "ratio": 0.5 } } ] }, "close" ] } },
        "edge": { "sqs": 500, "rqs": 500, "threads": { "main": [
          { "read_to_end": "client" }, { "write": { "ratio": 1 }, "to": "inner" }, { "shutdown": "inner" },
          { "read_to_end": "inner" }, { "write": { "ratio": 1 }, "to": "client" }, { "close": "client" } ] } },
        "client": { "sqs": 500, "rqs": 500, "threads": { "main": [ { "write": "$request" }, "shutdown", "read_to_end" ] } },
        "inner": { "sqs": 500, "rqs": 500, "threads": { "main": [
          { "repeat": "eof", "do": [ { "read": 700, "from": "edge" }, { "write": { "ratio": 1 }, "to": "server" } ] },
          { "shutdown": "server" },
          { "read_exact": 5000, "from": "server" }, { "write": { "ratio": 1 }, "to": "edge" } ] } }
      },
      "connections": [ { "between": ["server", "inner"] }, { "between": ["client", "edge"] }, { "between": ["inner", "edge"] } ]
    })";
    for (const int64_t request : {int64_t{4000}, int64_t{4001}}) {
        CAPTURE(request);
        const model::Scenario s = scenario::load_text(text, "two-proxies.json", {"request=" + std::to_string(request)}).scenario;
        const auto p = analysis::predict(s);
        REQUIRE(p.has_value());
        CHECK(p->shape == "chain");
        CHECK(p->endpoint == "inner");
        CHECK(p->explanation.find("client -> edge -> inner -> server") == 0);
        CHECK(p->deadlock == (request == 4001));
        const core::Result r = core::simulate_textbook(s);
        CHECK(r.outcome == (request == 4001 ? Outcome::deadlock : Outcome::completed));
        if (p->deadlock) CHECK(thread_of(r, "inner").bytes_written == p->accepted);
        // sweep and threshold's verdict: the rule's writer is found by name, wherever it is listed.
        CHECK(analysis::SweepRow{0, {}, r, p}.rule_agrees());
    }
}

TEST_CASE("chain rule: silent where it was not derived") {
    const auto hop = [](std::vector<Op> ops) { return endpoint("hop", std::move(ops)); };
    const model::Endpoint client = endpoint("client", {write_op(5000), shutdown_op(), read_to_end_op()});
    const model::Endpoint server = endpoint("server", block_server(1000, {1, 2}, true));
    const std::vector<std::array<model::SocketSizes, 2>> sizes(2, {model::SocketSizes{500, 500}, model::SocketSizes{500, 500}});
    const model::Link link{10'000'000, 1'000'000, 1460};
    const std::vector<Op> store = {read_to_end_op(), on(write_ratio(1, 1), 1), on(shutdown_op(), 1),
                                   on(read_to_end_op(), 1), write_ratio(1, 1), close_op()};
    REQUIRE(analysis::predict(make_chain({client, hop(store), server}, sizes, link)).has_value());

    SUBCASE("a hop that reads only part of the request") {
        std::vector<Op> ops = store;
        ops[0] = read_exact_op(4999);
        CHECK_FALSE(analysis::predict(make_chain({client, hop(ops), server}, sizes, link)).has_value());
    }
    SUBCASE("a hop that writes another size than it read") {
        std::vector<Op> ops = store;
        ops[1] = on(write_ratio(1, 2), 1);
        CHECK_FALSE(analysis::predict(make_chain({client, hop(ops), server}, sizes, link)).has_value());
    }
    SUBCASE("a hop that never shuts down its side towards the server") {
        std::vector<Op> ops = store;
        ops.erase(ops.begin() + 2);
        CHECK_FALSE(analysis::predict(make_chain({client, hop(ops), server}, sizes, link)).has_value());
    }
    SUBCASE("a hop that closes the server's socket instead of shutting it down") {
        std::vector<Op> ops = store;
        ops[2] = on(close_op(), 1);
        CHECK_FALSE(analysis::predict(make_chain({client, hop(ops), server}, sizes, link)).has_value());
    }
    SUBCASE("a threaded relay of more than a byte at a time (it holds what the timing gives it)") {
        model::Endpoint relay = hop({repeat_eof_op({read_op(100), on(write_ratio(1, 1), 1)}), on(shutdown_op(), 1)});
        relay.threads.push_back({"back", {repeat_eof_op({on(read_op(100), 1), write_ratio(1, 1)}), close_op()}});
        CHECK_FALSE(analysis::predict(make_chain({client, relay, server}, sizes, link)).has_value());
        relay.threads[0].ops[0].body[0].bytes = relay.threads[1].ops[0].body[0].bytes = 1;
        REQUIRE(analysis::predict(make_chain({client, relay, server}, sizes, link)).has_value());
    }
    SUBCASE("a byte relay that closes its socket to the server while its other thread reads it") {
        model::Endpoint relay = hop({repeat_eof_op({read_op(1), on(write_ratio(1, 1), 1)}), on(close_op(), 1)});
        relay.threads.push_back({"back", {repeat_eof_op({on(read_op(1), 1), write_ratio(1, 1)}), close_op()}});
        CHECK_FALSE(analysis::predict(make_chain({client, relay, server}, sizes, link)).has_value());
    }
    SUBCASE("a byte relay next to a forwarding hop") {
        model::Endpoint relay = hop({repeat_eof_op({read_op(1), on(write_ratio(1, 1), 1)}), on(shutdown_op(), 1)});
        relay.threads.push_back({"back", {repeat_eof_op({on(read_op(1), 1), write_ratio(1, 1)}), close_op()}});
        relay.name = "relay";
        const std::vector<std::array<model::SocketSizes, 2>> three(3, sizes[0]);
        CHECK_FALSE(analysis::predict(make_chain({client, relay, hop(store), server}, three, link)).has_value());
    }
    SUBCASE("the linux model") {
        model::Scenario s = make_chain({client, hop(store), server}, sizes, link);
        s.profile = model::Profile::linux;
        CHECK_FALSE(analysis::predict(s).has_value());
    }
    SUBCASE("a hop with a second server") {
        model::Scenario s = make_chain({client, hop(store), server}, sizes, link);
        s.endpoints.push_back(endpoint("server2", block_server(1000, {1, 2}, true)));
        s.connections.push_back({{1, 3}, {link, link}, {model::SocketSizes{500, 500}, model::SocketSizes{500, 500}}});
        s.endpoints[1].channels.push_back({model::Channel::Kind::socket, 2, "server2"});
        s.endpoints[3].channels.push_back({model::Channel::Kind::socket, 2, "hop"});
        CHECK_FALSE(analysis::predict(s).has_value());
    }
    SUBCASE("a server that answers each read at once, not blocks") {
        const model::Endpoint echo = endpoint("server", {repeat_eof_op({read_op(1000), write_ratio(1, 2)}), close_op()});
        CHECK_FALSE(analysis::predict(make_chain({client, hop(store), echo}, sizes, link)).has_value());
    }
}

// ------------------------------------------------------------------ byte queues and pipes

TEST_CASE("property: a server's reader thread -> bounded queue -> writer thread conserves bytes and repeats exactly") {
    std::mt19937_64 rng(1818);
    int completions = 0;
    for (int i = 0; i < 150; ++i) {
        const int64_t request = uniform(rng, 1, 20000), capacity = uniform(rng, 1, 5000);
        const int64_t in_chunk = uniform(rng, 1, 3000), out_chunk = uniform(rng, 1, 3000);
        const model::Ratio ratio{uniform(rng, 1, 3), uniform(rng, 1, 3)};
        CAPTURE(i); CAPTURE(request); CAPTURE(capacity); CAPTURE(in_chunk); CAPTURE(out_chunk);
        model::Scenario s = make_scenario(
            Side{uniform(rng, 1, 3000), uniform(rng, 1, 3000), {{"main", {write_op(request), shutdown_op(), read_to_end_op()}}}},
            Side{uniform(rng, 1, 3000), uniform(rng, 1, 3000),
                 {{"reader", {repeat_eof_op({read_exact_op(in_chunk), on(write_ratio(1, 1), 1)}), on(close_op(), 1)}},
                  {"writer", {repeat_eof_op({on(read_exact_op(out_chunk), 1), write_ratio(ratio.num, ratio.den)}), shutdown_op()}}}},
            model::Profile::textbook, 1460, 100'000, 1'000'000'000);
        s.byte_queues.push_back({"jobs", false, 1, 1, capacity});
        s.endpoints[1].channels.push_back({model::Channel::Kind::byte_queue, 0, "jobs"});

        ConservationObserver obs;
        const core::Result r = core::simulate_textbook(s, &obs);
        CHECK(obs.broken == "");
        REQUIRE((r.outcome == Outcome::completed || r.outcome == Outcome::deadlock));
        REQUIRE(r.byte_queues.size() == 1);
        CHECK(r.byte_queues[0].written == obs.byte_queues[0].written);
        CHECK(r.byte_queues[0].read == obs.byte_queues[0].read);
        CHECK(r.byte_queues[0].peak <= capacity);
        CHECK(thread_of(r, "B", "reader").bytes_written == r.byte_queues[0].written);
        CHECK(thread_of(r, "B", "writer").bytes_read == r.byte_queues[0].read);
        if (r.outcome == Outcome::completed) {
            ++completions;
            CHECK(r.byte_queues[0].written == request);
            CHECK(thread_of(r, "A").bytes_read ==
                  analysis::transform_reply_bytes(request, out_chunk, ratio));
            check_all_delivered(obs, r);
        }
        if (i % 10 == 0) check_deterministic(s);
    }
    CHECK(completions > 20);
}

TEST_CASE("property: a parent and a child joined by two pipes conserve bytes and repeat exactly") {
    std::mt19937_64 rng(1919);
    int completions = 0;
    for (int i = 0; i < 150; ++i) {
        const int64_t request = uniform(rng, 1, 50000), in_capacity = uniform(rng, 1, 20000),
                      out_capacity = uniform(rng, 1, 20000), chunk = uniform(rng, 1, 5000);
        const model::Ratio ratio{uniform(rng, 1, 3), uniform(rng, 1, 3)};
        CAPTURE(i); CAPTURE(request); CAPTURE(in_capacity); CAPTURE(out_capacity); CAPTURE(chunk);
        model::Scenario s;
        s.name = "pipes";
        s.profile = model::Profile::textbook;
        s.endpoints = {endpoint("parent", {write_op(request), close_op(), on(read_to_end_op(), 1)}),
                       endpoint("child", {repeat_eof_op({read_exact_op(chunk), on(write_ratio(ratio.num, ratio.den), 1)}),
                                          on(close_op(), 1)})};
        s.byte_queues = {{"stdin", true, 0, 1, in_capacity}, {"stdout", true, 1, 0, out_capacity}};
        s.endpoints[0].channels = {{model::Channel::Kind::byte_queue, 0, "stdin"}, {model::Channel::Kind::byte_queue, 1, "stdout"}};
        s.endpoints[1].channels = {{model::Channel::Kind::byte_queue, 0, "stdin"}, {model::Channel::Kind::byte_queue, 1, "stdout"}};

        ConservationObserver obs;
        const core::Result r = core::simulate_textbook(s, &obs);
        CHECK(obs.broken == "");
        REQUIRE((r.outcome == Outcome::completed || r.outcome == Outcome::deadlock));
        CHECK(analysis::predict(s) == std::nullopt);
        CHECK(thread_of(r, "parent").bytes_written == r.byte_queues[0].written);
        CHECK(thread_of(r, "child").bytes_read == r.byte_queues[0].read);
        CHECK(thread_of(r, "child").bytes_written == r.byte_queues[1].written);
        CHECK(thread_of(r, "parent").bytes_read == r.byte_queues[1].read);
        if (r.outcome == Outcome::completed) {
            ++completions;
            CHECK(thread_of(r, "parent").bytes_read == analysis::transform_reply_bytes(request, chunk, ratio));
            check_all_delivered(obs, r);
        }
        if (i % 10 == 0) check_deterministic(s);
    }
    CHECK(completions > 20);
}
