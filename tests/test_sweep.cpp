// Sweeps, thresholds and the closed-form rule.
#include <doctest/doctest.h>

#include <random>

#include "analysis/rule.hpp"
#include "analysis/sweep.hpp"
#include "analysis/threshold.hpp"
#include "scenario/load.hpp"
#include "support.hpp"
#include "views/sweep_out.hpp"

using namespace tcpsim;
using namespace tcpsim::test;

namespace {

std::string scenario_path(const std::string& name) { return std::string(TCPSIM_SOURCE_DIR) + "/scenarios/" + name; }

analysis::Sweep sweep_of(const std::string& name, const std::vector<std::string>& vary,
                         const std::vector<std::string>& sets = {}) {
    const scenario::Loaded base = scenario::load_file(scenario_path(name), sets);
    std::vector<analysis::Axis> axes;
    for (const std::string& v : vary) axes.push_back(analysis::parse_axis(v));
    return analysis::Sweep(base.document, name, {}, axes, "");
}

std::string render(const analysis::Sweep& sweep, const std::vector<analysis::SweepRow>& rows) {
    std::string out = views::sweep_header(sweep, sweep.run(0), views::SweepFormat::csv);
    for (const analysis::SweepRow& r : rows) out += views::sweep_line(r, views::SweepFormat::csv);
    return out;
}

}  // namespace

TEST_CASE("axis specs: lists, linear and geometric ranges, and their errors") {
    CHECK(analysis::parse_axis("endpoints.A.sqs=500,1000,2KiB").values == std::vector<std::string>{"500", "1000", "2KiB"});
    CHECK(analysis::parse_axis("x=500:2000:500").values == std::vector<std::string>{"500", "1000", "1500", "2000"});
    CHECK(analysis::parse_axis("x=512:4KiB:x2").values == std::vector<std::string>{"512", "1024", "2048", "4096"});
    CHECK_THROWS_AS(analysis::parse_axis("x=5:1:1"), scenario::InputError);
    CHECK_THROWS_AS(analysis::parse_axis("x=1:5:0"), scenario::InputError);
    CHECK_THROWS_AS(analysis::parse_axis("x=1:5:x1"), scenario::InputError);
    CHECK_THROWS_AS(analysis::parse_axis("no-equals"), scenario::InputError);
    CHECK_THROWS_AS(analysis::parse_axis("x=1,,2"), scenario::InputError);
}

TEST_CASE("the threshold of compress-2to1 is the hand-derived 4001 bytes") {
    // The seed's walk-through: the server reads 3 blocks (3000) before its replies fill
    // SQS_server+RQS_client = 1000; the client then fills SQS_client+RQS_server = 1000.
    // A request of 4000 just fits; 4001 deadlocks.
    const analysis::Sweep sweep = sweep_of("compress-2to1.json", {"endpoints.client.threads.main.0.write=1"});
    const analysis::ThresholdReport r = analysis::find_threshold(sweep, 1, 20000, 33);
    CHECK(r.monotone);
    REQUIRE(r.threshold);
    CHECK(*r.threshold == 4001);
    REQUIRE(r.below);
    CHECK(r.below->result.outcome == core::Outcome::completed);
    CHECK(r.above->result.outcome == core::Outcome::deadlock);
    CHECK(r.rule_applies);
    CHECK(r.rule_threshold == r.threshold);
}

TEST_CASE("a 64x64 sweep of both-write over SQS and RQS agrees with the rule at every point") {
    const analysis::Sweep sweep =
        sweep_of("both-write-1500.json", {"endpoints.A.sqs=25:1600:25", "endpoints.B.rqs=25:1600:25"});
    REQUIRE(sweep.size() == 64 * 64);
    const std::vector<analysis::SweepRow> rows = analysis::run_points(sweep, 0, sweep.size(), 2, {});
    int64_t deadlocks = 0;
    for (const analysis::SweepRow& row : rows) {
        REQUIRE(row.rule);
        CAPTURE(row.values[0]);
        CAPTURE(row.values[1]);
        CHECK(row.rule_agrees());
        deadlocks += row.result.outcome == core::Outcome::deadlock;
    }
    // Both outcomes occur, so the agreement is not vacuous.
    CHECK(deadlocks > 0);
    CHECK(deadlocks < sweep.size());
}

TEST_CASE("a non-monotone outcome is detected and listed as intervals, not one wrong number") {
    // With a 4000-byte request, the server's block size decides how much it reads before
    // its replies fill the path back: a sawtooth in the block size.
    const analysis::Sweep sweep = sweep_of("compress-2to1.json", {"endpoints.server.threads.main.0.do.0.read_exact=900"},
                                           {"endpoints.client.threads.main.0.write=4000"});
    const analysis::ThresholdReport r = analysis::find_threshold(sweep, 900, 2200, 33);
    CHECK_FALSE(r.monotone);
    CHECK_FALSE(r.threshold);
    REQUIRE(r.intervals.size() >= 3);
    for (size_t i = 1; i < r.intervals.size(); ++i) {
        CHECK(r.intervals[i].from == r.intervals[i - 1].to + 1);
        CHECK(r.intervals[i].deadlock != r.intervals[i - 1].deadlock);
    }
}

TEST_CASE("sweep output is byte-identical whatever the job count, and shards partition the points") {
    const analysis::Sweep sweep =
        sweep_of("compress-2to1.json", {"endpoints.client.sqs=200:1200:100", "endpoints.server.rqs=200:1200:100"});
    const std::string one = render(sweep, analysis::run_points(sweep, 0, sweep.size(), 1, {}));
    const std::string two = render(sweep, analysis::run_points(sweep, 0, sweep.size(), 2, {}));
    CHECK(one == two);
    int64_t covered = 0, expected_begin = 0;
    for (int shard = 1; shard <= 7; ++shard) {
        const auto [begin, end] = analysis::shard_range(sweep.size(), shard, 7);
        CHECK(begin == expected_begin);
        covered += end - begin;
        expected_begin = end;
    }
    CHECK(covered == sweep.size());
}

TEST_CASE("property: the transform rule's threshold matches the simulation") {
    std::mt19937_64 rng(4);
    std::uniform_int_distribution<int64_t> buf(100, 3000), block(50, 1500), num(1, 4), den(1, 4);
    for (int i = 0; i < 60; ++i) {
        const int64_t b = block(rng), sc = buf(rng), rc = buf(rng), ss = buf(rng), rs = buf(rng);
        const model::Ratio ratio{num(rng), den(rng)};
        CAPTURE(b); CAPTURE(sc); CAPTURE(rc); CAPTURE(ss); CAPTURE(rs); CAPTURE(ratio.num); CAPTURE(ratio.den);
        const analysis::TransformRule rule = analysis::transform_rule(b, ratio, sc, rc, ss, rs);
        for (int64_t n : {rule.threshold - 1, rule.threshold}) {
            const Side client{sc, rc, {{"main", {write_op(n), shutdown_op(), read_to_end_op()}}}};
            const Side server{ss, rs, {{"main", {repeat_eof_op({read_exact_op(b), write_ratio(ratio.num, ratio.den)}), close_op()}}}};
            const model::Scenario s = make_scenario(client, server);
            const core::Result r = core::simulate(s);
            CHECK((r.outcome == core::Outcome::deadlock) == (n == rule.threshold));
            const auto prediction = analysis::predict(s);
            REQUIRE(prediction);
            CHECK(prediction->deadlock == (n == rule.threshold));
            if (n == rule.threshold) CHECK(thread_of(r, "A").bytes_written == rule.threshold - 1);
        }
    }
}

TEST_CASE("merge joins shard outputs into the single run's file and refuses gaps") {
    const analysis::Sweep sweep = sweep_of("both-write-1500.json", {"endpoints.A.sqs=100:1000:100"});
    const std::vector<analysis::SweepRow> rows = analysis::run_points(sweep, 0, sweep.size(), 1, {});
    const std::string whole = render(sweep, rows);
    std::vector<std::string> shards, names;
    for (int s = 1; s <= 3; ++s) {
        const auto [begin, end] = analysis::shard_range(sweep.size(), s, 3);
        shards.push_back(render(sweep, analysis::run_points(sweep, begin, end, 1, {})));
        names.push_back("shard" + std::to_string(s));
    }
    std::reverse(shards.begin(), shards.end());  // order of the files does not matter
    CHECK(views::merge_shards(shards, names) == whole);
    shards.pop_back();
    CHECK_THROWS_AS(views::merge_shards(shards, {"a", "b"}), std::invalid_argument);
}

TEST_CASE("property: `tcpsim rule`'s closed forms agree with the simulation over random inputs") {
    std::mt19937_64 rng(5);
    std::uniform_int_distribution<int64_t> size(1, 5000);
    for (int i = 0; i < 150; ++i) {
        const int64_t n = size(rng), sqs = size(rng), rqs = size(rng), peer_sqs = size(rng), peer_rqs = size(rng);
        CAPTURE(n); CAPTURE(sqs); CAPTURE(rqs); CAPTURE(peer_sqs); CAPTURE(peer_rqs);
        const analysis::WriteRule w = analysis::write_rule(n, sqs, rqs);
        const analysis::RuleRun run = analysis::simulate_rule(n, sqs, rqs, peer_sqs, peer_rqs);
        CHECK(run.accepted_before_reads == w.accepted);
        CHECK(run.read_at_return >= w.peer_must_read);
        CHECK(run.alone.outcome == core::Outcome::completed);
        const bool both = analysis::both_write_deadlocks(n, n, sqs, peer_rqs, peer_sqs, rqs);
        CHECK((run.together.outcome == core::Outcome::deadlock) == both);
    }
}
