// `tcpsim rule`'s simulation: sizes that fit its budget, and a check that never reports a
// limit as a mismatch; the closed forms' explanations, with no sentinel in them.
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <random>

#include "analysis/rule.hpp"
#include "core/engine.hpp"
#include "scenario/load.hpp"

using namespace tcpsim;
using analysis::RuleSizes;

namespace {

int compare(int64_t a, int64_t b) { return (a > b) - (a < b); }

// Log-uniform over [1, 2^max_bits]: tiny, middling and huge sizes all come up.
int64_t any_size(std::mt19937_64& rng, int max_bits) {
    const int bits = static_cast<int>(rng() % static_cast<uint64_t>(max_bits + 1));
    return 1 + static_cast<int64_t>(rng() % (uint64_t{1} << bits));
}

void check_agrees(const analysis::RuleRun& run) {
    const RuleSizes& s = run.simulated;
    const analysis::WriteRule w = analysis::write_rule(s.n, s.sqs, s.rqs);
    CHECK(run.alone.outcome == core::Outcome::completed);
    CHECK(run.accepted_before_reads == w.accepted);
    REQUIRE(run.read_at_return.has_value());
    CHECK(*run.read_at_return >= w.peer_must_read);
    const bool both = analysis::both_write_deadlocks(s.n, s.n, s.sqs, s.peer_rqs, s.peer_sqs, s.rqs);
    CHECK(run.together.outcome == (both ? core::Outcome::deadlock : core::Outcome::completed));
}

}  // namespace

TEST_CASE("property: sizes_that_fit fits the budget and keeps n where it was against both paths") {
    std::mt19937_64 rng(1414);
    for (int i = 0; i < 3000; ++i) {
        const RuleSizes asked{any_size(rng, 40), any_size(rng, 40), any_size(rng, 40), any_size(rng, 40), any_size(rng, 40)};
        const int64_t budget = int64_t{1000} << (rng() % 12);
        CAPTURE(asked.n); CAPTURE(asked.sqs); CAPTURE(asked.rqs); CAPTURE(asked.peer_sqs); CAPTURE(asked.peer_rqs);
        CAPTURE(budget);
        const RuleSizes s = analysis::sizes_that_fit(asked, budget);
        CHECK(analysis::rule_events_needed(s) <= budget);
        if (analysis::rule_events_needed(asked) <= budget) CHECK(s == asked);
        CHECK((s.n >= 1 && s.sqs >= 1 && s.rqs >= 1 && s.peer_sqs >= 1 && s.peer_rqs >= 1));
        CHECK(s.n <= asked.n);
        CHECK(compare(s.n, s.sqs + s.rqs) == compare(asked.n, asked.sqs + asked.rqs));
        CHECK(compare(s.n, s.peer_sqs + s.peer_rqs) == compare(asked.n, asked.peer_sqs + asked.peer_rqs));
    }
}

TEST_CASE("property: the rule's simulation agrees with it over sizes from 1 byte to 1 MiB, queues of any ratio") {
    std::mt19937_64 rng(2718);
    constexpr int64_t kBudget = 100'000;  // keeps the test short; sizes past it are checked smaller
    for (int i = 0; i < 120; ++i) {
        const int64_t n = any_size(rng, 20), sqs = any_size(rng, 17), rqs = any_size(rng, 17);
        const int64_t peer_sqs = any_size(rng, 17), peer_rqs = any_size(rng, 17);
        CAPTURE(n); CAPTURE(sqs); CAPTURE(rqs); CAPTURE(peer_sqs); CAPTURE(peer_rqs);
        check_agrees(analysis::simulate_rule(n, sqs, rqs, peer_sqs, peer_rqs, kBudget));
    }
}

TEST_CASE("rule: a write that would take 10^8 one-byte round trips is checked at a size that fits") {
    const analysis::RuleRun run = analysis::simulate_rule(100'000'000, 1, 1, 1, 1);
    CHECK(run.simulated.n < 100'000'000);
    CHECK(run.simulated.n > 2);  // still past SQS+RQS
    CHECK(run.simulated.sqs == 1);
    CHECK(run.simulated.rqs == 1);
    check_agrees(run);
}

TEST_CASE("rule: the peer sleeps until a one-byte SendQ has filled a large RecvQ") {
    // 100,001 round trips of 20 us each: two seconds before the write can take no more.
    const analysis::RuleRun run = analysis::simulate_rule(100'002, 1, 100'000, 1, 100'000);
    CHECK(run.simulated == RuleSizes{100'002, 1, 100'000, 1, 100'000});
    CHECK(run.sleep_ns > 2'000'000'000);
    check_agrees(run);
}

TEST_CASE("rule: capacities too large to fill are scaled down with n") {
    const RuleSizes asked{int64_t{1} << 40, int64_t{1} << 39, int64_t{1} << 39, 3, 5};
    const analysis::RuleRun run = analysis::simulate_rule(asked.n, asked.sqs, asked.rqs, asked.peer_sqs, asked.peer_rqs);
    const RuleSizes& s = run.simulated;
    CHECK(s.n == s.sqs + s.rqs);  // n = SQS+RQS stays the boundary case
    CHECK(s.n > s.peer_sqs + s.peer_rqs);
    check_agrees(run);
}

TEST_CASE("rule: a server whose replies round down to nothing never deadlocks, and no sentinel says otherwise") {
    model::Scenario s = scenario::load_file(std::string(TCPSIM_SOURCE_DIR) + "/scenarios/compress-2to1.json").scenario;
    s.endpoints[1].threads[0].ops[0].body[0].bytes = 1;  // read_exact(1), answered with floor(1/2) = 0 bytes
    const auto p = analysis::predict(s);
    REQUIRE(p.has_value());
    CHECK_FALSE(p->deadlock);
    CHECK(p->accepted == 10000);
    CHECK(p->explanation.find("no request deadlocks") != std::string::npos);
    CHECK(p->explanation.find("9223372036854775") == std::string::npos);
    CHECK(p->explanation.find("9,223,372,036,854,775") == std::string::npos);
    CHECK(core::simulate_textbook(s).outcome == core::Outcome::completed);
}

TEST_CASE("property: transform_reply_bytes is what the block server writes for a whole request") {
    std::mt19937_64 rng(3141);
    for (int i = 0; i < 300; ++i) {
        const int64_t request = any_size(rng, 16), block = any_size(rng, 12);
        const model::Ratio ratio{any_size(rng, 3), any_size(rng, 3)};
        CAPTURE(request); CAPTURE(block); CAPTURE(ratio.num); CAPTURE(ratio.den);
        int64_t reply = 0;  // block by block, as the server's loop answers them
        for (int64_t left = request; left > 0; left -= std::min(left, block))
            reply += model::apply_ratio(std::min(left, block), ratio);
        CHECK(analysis::transform_reply_bytes(request, block, ratio) == reply);
        // transform_rule is transform_through on the one link's two paths.
        const int64_t sc = any_size(rng, 12), rc = any_size(rng, 12), ss = any_size(rng, 12), rs = any_size(rng, 12);
        const analysis::TransformRule one = analysis::transform_rule(block, ratio, sc, rc, ss, rs);
        const analysis::TransformRule through = analysis::transform_through(block, ratio, sc + rs, ss + rc);
        CHECK(one.threshold == through.threshold);
        CHECK(one.server_reads_before_block == through.server_reads_before_block);
    }
    // A reply too large for 64 bits saturates instead of wrapping.
    CHECK(analysis::transform_reply_bytes(int64_t{1} << 62, 1, {1 << 20, 1}) == std::numeric_limits<int64_t>::max());
}

TEST_CASE("rule: the compression client against its server, run through the transform rule, names the client") {
    const model::Scenario s = scenario::load_file(std::string(TCPSIM_SOURCE_DIR) + "/scenarios/compress-2to1.json").scenario;
    const auto p = analysis::predict(s);
    REQUIRE(p.has_value());
    CHECK(p->shape == "transform");
    CHECK(p->endpoint == "client");
    CHECK(p->deadlock);
    CHECK(p->accepted == 4000);  // the seeds' walk-through: 2000 + 1000 + 1000
}
