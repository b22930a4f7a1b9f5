// Sweeps, thresholds, merges and the closed-form rule.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "analysis/rule.hpp"
#include "analysis/sweep.hpp"
#include "analysis/threshold.hpp"
#include "scenario/bind.hpp"
#include "scenario/load.hpp"
#include "support.hpp"
#include "views/sweep_out.hpp"

using namespace tcpsim;
using namespace tcpsim::test;
using analysis::Axis;
using analysis::FieldKind;

namespace {

std::string scenario_path(const std::string& name) { return std::string(TCPSIM_SOURCE_DIR) + "/scenarios/" + name; }

analysis::Sweep sweep_of(const std::string& name, const std::vector<std::string>& vary,
                         const std::vector<std::string>& sets = {}) {
    const scenario::Loaded base = scenario::load_file(scenario_path(name), sets);
    std::vector<Axis> axes;
    for (const std::string& v : vary) axes.push_back(Axis::parse(v, &base.document));
    return analysis::Sweep(base.document, name, axes, "");
}

std::vector<int64_t> integers_of(const Axis& axis) {
    std::vector<int64_t> values;
    for (int64_t i = 0; i < axis.size(); ++i) values.push_back(axis.at(i).get<int64_t>());
    return values;
}

// Every row of points [begin, end), in order.
std::vector<analysis::SweepRow> rows_of(const analysis::Sweep& sweep, int64_t begin, int64_t end, int jobs) {
    std::vector<analysis::SweepRow> rows;
    analysis::run_points(sweep, begin, end, jobs, [&](analysis::SweepRow&& r) { rows.push_back(std::move(r)); }, {});
    return rows;
}

// The file `tcpsim sweep --shard I/N` writes.
std::string output_of(const analysis::Sweep& sweep, views::SweepFormat format, int shard = 1, int shards = 1, int jobs = 1) {
    std::ostringstream out;
    views::SweepWriter writer(out, sweep, format, shard, shards);
    const auto [begin, end] = analysis::shard_range(sweep.size(), shard, shards);
    analysis::run_points(sweep, begin, end, jobs, [&](analysis::SweepRow&& r) { writer.add(r); }, {});
    return out.str();
}

// A folder of its own per test and process, removed at the end.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "tcpsim_test_sweep_XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        const std::string file = (path / name).string();
        std::ofstream(file) << text;
        return file;
    }
};

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// What `tcpsim merge` writes: the whole sweep's record, the header, every row.
std::string merged(const std::vector<std::string>& paths) {
    const std::vector<views::ShardFile> shards = views::check_shards(paths);
    std::string out = views::meta_line(views::whole(shards.front().meta), shards.front().format);
    if (shards.front().format == views::SweepFormat::csv) out += shards.front().header + "\n";
    views::for_each_row(shards, false, [&](const std::string& line, const views::HeatmapPoint*) { out += line + "\n"; });
    return out;
}

}  // namespace

TEST_CASE("axis specs: lists, linear and geometric ranges, in the unit of the field") {
    CHECK(integers_of(Axis::parse("endpoints.A.sqs=500,1000,2KiB")) == std::vector<int64_t>{500, 1000, 2048});
    CHECK(integers_of(Axis::parse("endpoints.A.sqs=500:2000:500")) == std::vector<int64_t>{500, 1000, 1500, 2000});
    CHECK(integers_of(Axis::parse("endpoints.A.sqs=512:4KiB:x2")) == std::vector<int64_t>{512, 1024, 2048, 4096});
    // Durations in ns, bandwidths in bits/s, counts as integers.
    CHECK(integers_of(Axis::parse("link.delay=1ms:10ms:x2")) == std::vector<int64_t>{1'000'000, 2'000'000, 4'000'000, 8'000'000});
    CHECK(integers_of(Axis::parse("link.delay=0:1us:250ns")) == std::vector<int64_t>{0, 250, 500, 750, 1000});
    CHECK(integers_of(Axis::parse("endpoints.A.threads.main.1.sleep=5ms,1s")) == std::vector<int64_t>{5'000'000, 1'000'000'000});
    CHECK(integers_of(Axis::parse("limits.time=1s,2min")) == std::vector<int64_t>{1'000'000'000, 120'000'000'000});
    CHECK(integers_of(Axis::parse("link.bandwidth=1Mbps:3Mbps:1Mbps")) == std::vector<int64_t>{1'000'000, 2'000'000, 3'000'000});
    CHECK(integers_of(Axis::parse("limits.events=10:30:10")) == std::vector<int64_t>{10, 20, 30});
    CHECK(Axis::parse("link.delay=1ms").kind() == FieldKind::duration);
    // Other fields take what --set takes: JSON, else text.
    const Axis model = Axis::parse("model=textbook,linux");
    CHECK(model.kind() == FieldKind::other);
    CHECK(model.at(1) == "linux");
    CHECK(Axis::parse("endpoints.B.threads.main.0.do.1.write.ratio=0.5,2").at(0) == 0.5);
    CHECK(Axis::parse("endpoints.A.threads.main.0={\"write\":5}").at(0) == nlohmann::ordered_json{{"write", 5}});

    CHECK_THROWS_AS(Axis::parse("x.sqs=5:1:1"), scenario::InputError);
    CHECK_THROWS_AS(Axis::parse("x.sqs=1:5:0"), scenario::InputError);
    CHECK_THROWS_AS(Axis::parse("x.sqs=1:5:x1"), scenario::InputError);
    CHECK_THROWS_AS(Axis::parse("x.sqs=1:5"), scenario::InputError);
    CHECK_THROWS_AS(Axis::parse("no-equals"), scenario::InputError);
    CHECK_THROWS_AS(Axis::parse("x.sqs=1,,2"), scenario::InputError);
    // A bad value is named as the kind the field holds.
    CHECK_THROWS_WITH_AS(Axis::parse("link.delay=1ms:10ms:2KiB"), doctest::Contains("(step): must be a non-negative duration"),
                         scenario::InputError);
    CHECK_THROWS_WITH_AS(Axis::parse("link.delay=1ms,2kB"), doctest::Contains("must be a non-negative duration"), scenario::InputError);
    CHECK_THROWS_WITH_AS(Axis::parse("link.bandwidth=1ms,2"), doctest::Contains("must be a positive bandwidth"), scenario::InputError);
    CHECK_THROWS_WITH_AS(Axis::parse("endpoints.A.sqs=1ms"), doctest::Contains("must be a non-negative size"), scenario::InputError);
    CHECK_THROWS_WITH_AS(Axis::parse("limits.events=1KiB"), doctest::Contains("must be a count"), scenario::InputError);
}

TEST_CASE("ranges are counted, not expanded: a value is computed from its index") {
    const Axis huge = Axis::parse("endpoints.A.sqs=0:1TiB:1");
    CHECK(huge.size() == (int64_t{1} << 40) + 1);
    CHECK(huge.at(huge.size() - 1) == int64_t{1} << 40);
    const Axis doubling = Axis::parse("endpoints.A.sqs=1:1TiB:x2");
    CHECK(doubling.size() == 41);
    CHECK(doubling.at(40) == int64_t{1} << 40);
}

TEST_CASE("a field's kind comes from its key, and both path spellings name one field") {
    using Segments = analysis::PathSegments;
    CHECK(analysis::path_segments("endpoints.A.sqs", "") == Segments{"endpoints", "A", "sqs"});
    CHECK(analysis::path_segments("/endpoints/A/sqs", "") == Segments{"endpoints", "A", "sqs"});
    CHECK(analysis::path_segments("link.A->B.delay", "") == analysis::path_segments("/link/A->B/delay", ""));
    CHECK(analysis::path_segments("/a~1b/c", "") == Segments{"a/b", "c"});
    CHECK_THROWS_AS(analysis::path_segments("a..b", "--vary"), scenario::InputError);
    CHECK_THROWS_AS(analysis::path_segments("/a/~2", "--vary"), scenario::InputError);
    const auto kind = [](const std::string& path) { return analysis::field_kind(analysis::path_segments(path, "")); };
    CHECK(kind("/link/A->B/delay") == FieldKind::duration);
    CHECK(kind("/endpoints/A/threads/main/2/sleep") == FieldKind::duration);
    CHECK(kind("/limits/time") == FieldKind::duration);
    CHECK(kind("/link/bandwidth") == FieldKind::bandwidth);
    CHECK(kind("/limits/events") == FieldKind::count);
    CHECK(kind("/endpoints/A/threads/main/0/repeat") == FieldKind::count);
    CHECK(kind("/endpoints/A/threads/main/0/event_loop/write_chunk") == FieldKind::size);
    CHECK(kind("/link/mss") == FieldKind::size);
    CHECK(kind("/model") == FieldKind::other);
}

TEST_CASE("a sweep refuses a field varied twice, in either spelling, or inside another, and too many points") {
    const auto refused = [](const std::vector<std::string>& vary) {
        CHECK_THROWS_AS(sweep_of("compress-2to1.json", vary), scenario::InputError);
    };
    refused({"endpoints.client.sqs=1,2", "endpoints.client.sqs=3"});
    refused({"endpoints.client.sqs=1,2", "/endpoints/client/sqs=3"});
    refused({"endpoints.client.threads.main.0={\"write\":5}", "endpoints.client.threads.main.0.write=3"});
    // Counted from the specs before anything is expanded or run.
    refused({"endpoints.client.sqs=1:1000000000:1"});
    refused({"endpoints.client.sqs=1:10001:1", "endpoints.server.rqs=1:1000:1"});
    CHECK(sweep_of("compress-2to1.json", {"endpoints.client.sqs=1:10000:1", "endpoints.server.rqs=1:1000:1"}).size() ==
          analysis::kMaxSweepPoints);
}

TEST_CASE("the threshold of compress-2to1 is the hand-derived 4001 bytes, run whole or sampled") {
    // The seed's walk-through: the server reads 3 blocks (3000) before its replies fill
    // SQS_server+RQS_client = 1000; the client then fills SQS_client+RQS_server = 1000.
    // A request of 4000 just fits; 4001 deadlocks.
    const analysis::Sweep sweep = sweep_of("compress-2to1.json", {"endpoints.client.threads.main.0.write=1"});
    for (const int64_t hi : {int64_t{20000}, int64_t{1} << 20}) {
        CAPTURE(hi);
        const analysis::ThresholdReport r = analysis::find_threshold(sweep, 1, hi, 33, 2);
        CHECK(r.exhaustive == (hi == 20000));
        CHECK(r.runs >= (r.exhaustive ? hi : 33));
        CHECK(r.monotone);
        REQUIRE(r.threshold);
        CHECK(*r.threshold == 4001);
        REQUIRE(r.below);
        CHECK(r.below->result.outcome == core::Outcome::completed);
        CHECK(r.above->result.outcome == core::Outcome::deadlock);
        CHECK(r.rule_runs == r.runs);
        CHECK(r.rule_disagreements == 0);
        CHECK(r.rule_threshold == r.threshold);
    }
}

TEST_CASE("a threshold over an interval small enough to run whole finds every change, and compares the rule at each value") {
    // With a 4000-byte request, the server's block size decides how much it reads before its
    // replies fill the path back: a sawtooth, with a two-value window at 1000-1001 that 33
    // samples step over.
    const analysis::Sweep sweep = sweep_of("compress-2to1.json", {"endpoints.server.threads.main.0.do.0.read_exact=900"},
                                           {"endpoints.client.threads.main.0.write=4000"});
    const analysis::ThresholdReport r = analysis::find_threshold(sweep, 900, 2200, 33, 2);
    CHECK(r.exhaustive);
    CHECK(r.runs == 1301);
    CHECK_FALSE(r.monotone);
    CHECK_FALSE(r.threshold);
    const std::vector<std::tuple<int64_t, int64_t, bool>> expected = {
        {900, 999, true}, {1000, 1001, false}, {1002, 1499, true}, {1500, 2001, false}, {2002, 2200, true}};
    REQUIRE(r.intervals.size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(i);
        CHECK(r.intervals[i].from == std::get<0>(expected[i]));
        CHECK(r.intervals[i].to == std::get<1>(expected[i]));
        CHECK(r.intervals[i].deadlock == std::get<2>(expected[i]));
    }
    // The rule follows the same sawtooth: it agrees at every value, with no single threshold.
    CHECK(r.rule_runs == 1301);
    CHECK(r.rule_disagreements == 0);
    CHECK(r.disagreements().empty());
    CHECK(r.rule_intervals.size() == expected.size());
    CHECK_FALSE(r.rule_threshold);
}

TEST_CASE("property: every change a sampled threshold reports is a real change, exactly located") {
    // 200,001 values: too many to run whole, so 33 samples and bisection between them.
    const analysis::Sweep sweep = sweep_of("compress-2to1.json", {"endpoints.server.threads.main.0.do.0.read_exact=900"},
                                           {"endpoints.client.threads.main.0.write=4000"});
    std::mt19937_64 rng(14);
    for (int trial = 0; trial < 4; ++trial) {
        const int64_t lo = std::uniform_int_distribution<int64_t>(100, 1500)(rng);
        const int64_t samples = std::uniform_int_distribution<int64_t>(2, 60)(rng);
        CAPTURE(lo);
        CAPTURE(samples);
        const analysis::ThresholdReport r = analysis::find_threshold(sweep, lo, lo + 200'000, samples, 2);
        CHECK_FALSE(r.exhaustive);
        CHECK(r.samples == samples);
        REQUIRE(!r.intervals.empty());
        CHECK(r.intervals.front().from == lo);
        CHECK(r.intervals.back().to == lo + 200'000);
        for (size_t i = 1; i < r.intervals.size(); ++i) {
            const int64_t change = r.intervals[i].from;
            CHECK(change == r.intervals[i - 1].to + 1);
            const auto deadlocks = [&](int64_t v) {
                return sweep.run_values({analysis::AxisValue(v)}).result.outcome == core::Outcome::deadlock;
            };
            CHECK(deadlocks(change - 1) == r.intervals[i - 1].deadlock);
            CHECK(deadlocks(change) == r.intervals[i].deadlock);
        }
    }
}

TEST_CASE("a 64x64 sweep of both-write over SQS and RQS agrees with the rule at every point") {
    const analysis::Sweep sweep =
        sweep_of("both-write-1500.json", {"endpoints.A.sqs=25:1600:25", "endpoints.B.rqs=25:1600:25"});
    REQUIRE(sweep.size() == 64 * 64);
    int64_t deadlocks = 0;
    for (const analysis::SweepRow& row : rows_of(sweep, 0, sweep.size(), 2)) {
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

TEST_CASE("sweep output is byte-identical whatever the job count, and shards partition the points") {
    const analysis::Sweep sweep =
        sweep_of("compress-2to1.json", {"endpoints.client.sqs=200:1200:100", "endpoints.server.rqs=200:1200:100"});
    for (const views::SweepFormat format : {views::SweepFormat::csv, views::SweepFormat::jsonl})
        CHECK(output_of(sweep, format, 1, 1, 1) == output_of(sweep, format, 1, 1, 3));
    int64_t covered = 0, expected_begin = 0;
    for (int shard = 1; shard <= 7; ++shard) {
        const auto [begin, end] = analysis::shard_range(sweep.size(), shard, 7);
        CHECK(begin == expected_begin);
        covered += end - begin;
        expected_begin = end;
    }
    CHECK(covered == sweep.size());
}

TEST_CASE("run_in_order hands rows on in order, holds a bounded window, and reports 100% once") {
    constexpr int64_t kRows = 100'000;
    std::atomic<int64_t> made{0}, held_most{0};
    int64_t handed = 0;
    std::atomic<int64_t> sunk{0};
    std::vector<std::pair<int64_t, int64_t>> calls;
    analysis::run_in_order(
        kRows, 2,
        [&](int64_t i) {
            // A few slow rows, so that progress ticks while rows remain.
            if (i % 20'000 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(60));
            const int64_t held = ++made - sunk;
            for (int64_t most = held_most; held > most && !held_most.compare_exchange_weak(most, held);) {}
            analysis::SweepRow row;
            row.point = i;
            return row;
        },
        [&](analysis::SweepRow&& row) {
            CHECK(row.point == handed++);
            // A slow consumer: workers must wait for it rather than pile rows up.
            if (row.point == 1000) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            ++sunk;
        },
        [&](int64_t done, int64_t total) { calls.emplace_back(done, total); });
    CHECK(handed == kRows);
    // However many rows, only a window of them is ever held (128 a job).
    CHECK(held_most <= 2 * 128 + 2);
    REQUIRE(calls.size() >= 2);
    CHECK(calls.back() == std::pair<int64_t, int64_t>{kRows, kRows});
    CHECK(std::count(calls.begin(), calls.end(), calls.back()) == 1);
}

TEST_CASE("run_in_order rethrows the first failure in index order, whatever the job count") {
    for (int jobs : {1, 4}) {
        const auto make = [](int64_t i) -> analysis::SweepRow {
            if (i == 700) throw scenario::InputError("point 700");
            if (i == 300) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the later failure comes first in time
                throw scenario::InputError("point 300");
            }
            return {};
        };
        CHECK_THROWS_WITH_AS(analysis::run_in_order(1000, jobs, make, [](analysis::SweepRow&&) {}, {}), "point 300",
                             scenario::InputError);
    }
}

TEST_CASE("JSON Lines rows name their axes and carry numbers in base units, CSV rows the same numbers") {
    const analysis::Sweep sweep =
        sweep_of("compress-2to1.json", {"link.delay=1ms:4ms:x2", "link.bandwidth=10Mbps", "model=textbook"});
    std::istringstream jsonl(output_of(sweep, views::SweepFormat::jsonl));
    std::string line;
    std::getline(jsonl, line);
    const nlohmann::json meta = nlohmann::json::parse(line);
    CHECK(meta["points"] == 3);
    CHECK(meta["axes"][0]["kind"] == "duration");
    std::getline(jsonl, line);
    std::getline(jsonl, line);
    const nlohmann::ordered_json row = nlohmann::ordered_json::parse(line);
    CHECK(row["point"] == 1);
    CHECK(row["values"] == nlohmann::ordered_json{{"link.delay", 2'000'000}, {"link.bandwidth", 10'000'000}, {"model", "textbook"}});
    CHECK(row["values"]["link.delay"].is_number_integer());
    const std::string csv = output_of(sweep, views::SweepFormat::csv);
    CHECK(csv.find("\n1,2000000,10000000,textbook,") != std::string::npos);
}

TEST_CASE("merge joins shards in any order into the single run's bytes, empty shards included") {
    const TempDir dir;
    for (const views::SweepFormat format : {views::SweepFormat::csv, views::SweepFormat::jsonl}) {
        for (const std::string& vary : {std::string("endpoints.A.sqs=100:1000:100"), std::string("endpoints.A.sqs=100,200")}) {
            CAPTURE(vary);
            const analysis::Sweep sweep = sweep_of("both-write-1500.json", {vary});
            std::vector<std::string> paths;
            for (int s = 3; s >= 1; --s)  // order of the files does not matter
                paths.push_back(dir.write("s" + std::to_string(s), output_of(sweep, format, s, 3)));
            CHECK(merged(paths) == output_of(sweep, format));
            // A merged file is itself a whole sweep.
            CHECK(merged({dir.write("whole", merged(paths))}) == output_of(sweep, format));
        }
    }
}

TEST_CASE("merge refuses any missing, repeated, foreign, empty or cut-short shard with one line") {
    const TempDir dir;
    const analysis::Sweep sweep = sweep_of("both-write-1500.json", {"endpoints.A.sqs=100:1000:100"});
    const analysis::Sweep other = sweep_of("both-write-1500.json", {"endpoints.A.sqs=100:1000:50"});
    std::vector<std::string> s = {""};
    for (int i = 1; i <= 3; ++i) s.push_back(dir.write("s" + std::to_string(i) + ".csv", output_of(sweep, views::SweepFormat::csv, i, 3)));
    const auto refused = [](const std::vector<std::string>& paths, const std::string& why) {
        CAPTURE(why);
        try {
            views::for_each_row(views::check_shards(paths), false, [](const std::string&, const views::HeatmapPoint*) {});
            FAIL_CHECK("accepted");
        } catch (const std::invalid_argument& e) {
            const std::string what = e.what();
            CHECK(what.find(why) != std::string::npos);
            CHECK(what.find('\n') == std::string::npos);
        }
    };
    refused({s[2], s[3]}, "shard 1 of 3 is missing");
    refused({s[1], s[3]}, "shard 2 of 3 is missing");
    refused({s[1], s[2]}, "shard 3 of 3 is missing");
    refused({s[1]}, "2 of 3 shards are missing (2, 3)");
    refused({s[1], s[2], s[3], s[2]}, "given twice");
    refused({s[1], s[2], dir.write("copy.csv", read_all(s[2])), s[3]}, "shard 2/3 again");
    refused({s[1], dir.write("o2.csv", output_of(other, views::SweepFormat::csv, 2, 3)), s[3]}, "from another sweep");
    refused({s[1], dir.write("j2.jsonl", output_of(sweep, views::SweepFormat::jsonl, 2, 3)), s[3]}, "JSON Lines, but");
    refused({s[1], dir.write("four.csv", output_of(sweep, views::SweepFormat::csv, 2, 4)), s[3]}, "split two ways");
    refused({dir.write("empty.csv", ""), s[2], s[3]}, "empty, not a sweep output");
    refused({s[1], dir.write("cut.csv", read_all(s[2]).substr(0, read_all(s[2]).rfind('\n', read_all(s[2]).size() - 2) + 1)), s[3]},
            "ends after 2 of its 3 points");
    refused({dir.write("old.csv", "point,endpoints.A.sqs\n0,100\n")}, "not a tcpsim sweep record");
}

TEST_CASE("a heatmap drawn from a saved or merged result is the one the run draws") {
    const TempDir dir;
    const analysis::Sweep sweep = sweep_of("compress-2to1.json", {"endpoints.client.sqs=200:1400:200", "link.delay=1ms,3ms"});
    std::ostringstream out;
    views::SweepWriter writer(out, sweep, views::SweepFormat::csv, 1, 1);
    views::Heatmap from_run(writer.meta());
    analysis::run_points(sweep, 0, sweep.size(), 2, [&](analysis::SweepRow&& r) { from_run.add(views::heatmap_point(r)); }, {});
    std::ostringstream run_svg;
    from_run.write_svg(run_svg);
    CHECK(run_svg.str().find(">link.delay<") != std::string::npos);
    CHECK(run_svg.str().find(">3 ms<title>3,000,000 ns</title>") != std::string::npos);
    for (const views::SweepFormat format : {views::SweepFormat::csv, views::SweepFormat::jsonl}) {
        std::vector<std::string> paths;
        for (int s = 1; s <= 2; ++s) paths.push_back(dir.write("h" + std::to_string(s), output_of(sweep, format, s, 2)));
        const std::vector<views::ShardFile> shards = views::check_shards(paths);
        views::Heatmap from_file(views::whole(shards.front().meta));
        views::for_each_row(shards, true, [&](const std::string&, const views::HeatmapPoint* p) { from_file.add(*p); });
        std::ostringstream file_svg;
        from_file.write_svg(file_svg);
        CHECK(file_svg.str() == run_svg.str());
    }
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
            const core::Result r = core::simulate_textbook(s);
            CHECK((r.outcome == core::Outcome::deadlock) == (n == rule.threshold));
            const auto prediction = analysis::predict(s);
            REQUIRE(prediction);
            CHECK(prediction->deadlock == (n == rule.threshold));
            if (n == rule.threshold) CHECK(thread_of(r, "A").bytes_written == rule.threshold - 1);
        }
    }
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

// ------------------------------------------------------------------ bindings, parameters, zipped axes

namespace {

// Every field of a model, one line: two models are the same when their lines are.
std::string describe(const std::vector<model::Op>& ops);
std::string describe(const model::Op& op) {
    std::ostringstream o;
    o << model::op_name(op.kind) << " bytes=" << op.bytes << " sizes=" << nlohmann::ordered_json(op.sizes).dump()
      << " ratio=" << (op.ratio ? std::to_string(op.ratio->num) + "/" + std::to_string(op.ratio->den) : "-")
      << " channel=" << op.channel << " duration=" << op.duration_ns << " count=" << op.count << " eof=" << op.until_eof
      << " loop=" << op.write_total << "/" << op.write_chunk << "/" << op.read_chunk << "/" << op.shutdown_when_done
      << " body=[" << describe(op.body) << "]";
    return o.str();
}
std::string describe(const std::vector<model::Op>& ops) {
    std::string text;
    for (const model::Op& op : ops) text += describe(op) + "; ";
    return text;
}
std::string describe(const model::Scenario& s) {
    std::ostringstream o;
    o << s.name << "|" << s.description << "|" << static_cast<int>(s.profile) << "|limits " << s.limits.time_ns << " "
      << s.limits.events << "\n";
    for (const model::Endpoint& e : s.endpoints) {
        o << "endpoint " << e.name << "\n";
        for (const model::Channel& c : e.channels) o << "  channel " << static_cast<int>(c.kind) << " " << c.index << " " << c.name << "\n";
        for (const model::Thread& t : e.threads) o << "  thread " << t.name << ": " << describe(t.ops) << "\n";
    }
    const auto size = [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : std::string("-"); };
    for (const model::Connection& c : s.connections)
        for (size_t side = 0; side < 2; ++side)
            o << "end " << c.ends[side] << " link " << c.links[side].bandwidth_bps << " " << c.links[side].delay_ns << " "
              << c.links[side].mss_bytes << " sizes " << size(c.sizes[side].sqs_bytes) << " " << size(c.sizes[side].rqs_bytes) << "\n";
    for (const model::ByteQueue& q : s.byte_queues)
        o << "queue " << q.name << " " << q.pipe << " " << q.writer << " " << q.reader << " " << q.capacity_bytes << "\n";
    return o.str();
}

// Every kind of numeric leaf the format has, parameters among them, in the many-endpoint form.
const char* const kAllLeaves = R"({
  "name": "bind-all", "description": "every kind of numeric leaf", "model": "textbook",
  "params": {"request": 5000, "chunk": "1KiB", "pause": "2ms", "rounds": 3, "unused": 7, "who": "proxy"},
  "link": {"bandwidth": "10Mbps", "delay": "1ms", "mss": 1460, "proxy->server": {"mss": 1000}},
  "endpoints": {
    "client": {"sqs": 500, "rqs": "$chunk", "threads": {"main": [
      {"write": "$request"}, {"sleep": "$pause"}, {"send": [100, "$chunk", 300]}, "shutdown", "read_to_end"]}},
    "proxy": {"sqs": 800, "rqs": 900, "queues": {"jobs": {"capacity": 2000}}, "threads": {
      "front": [{"repeat": "eof", "do": [{"read": [100, 200], "from": "client"}, {"write": {"ratio": 1}, "to": "jobs"}]},
                {"close": "jobs"}],
      "back": [{"repeat": "$rounds", "do": [{"read_exact": "$chunk", "from": "jobs"}, {"write": 10, "to": "server"},
                                            {"write": [5], "to": "logs"}]},
               {"repeat": "50ms", "do": [{"sleep": "1ms"}]}, {"repeat": 1, "do": [{"write": 1, "to": "server"}]},
               {"shutdown": "server"}, {"close": "logs"}, {"write": 1, "to": "client"}]}},
    "server": {"sqs": 700, "threads": {
      "main": [{"event_loop": {"write": 4000, "write_chunk": 100, "read_chunk": "$chunk", "on": "$who"}}],
      "logger": [{"read_to_end": "logs"}]}}
  },
  "connections": [
    {"between": ["client", "proxy"], "link": {"delay": "2ms", "client->proxy": {"bandwidth": "1Mbps"}}, "proxy": {"rqs": 1200}},
    {"between": ["proxy", "server"], "server": {"rqs": 600}}
  ],
  "pipes": {"logs": {"from": "proxy", "to": "server", "capacity": 4096}},
  "limits": {"time": "10s", "events": 100000}
})";

using Segments = scenario::PathSegments;

void leaves_of(const nlohmann::ordered_json& value, Segments& at, std::vector<Segments>& out) {
    if (value.is_object() || value.is_array()) {
        size_t i = 0;
        for (const auto& item : value.items()) {
            at.push_back(value.is_object() ? item.key() : std::to_string(i++));
            leaves_of(item.value(), at, out);
            at.pop_back();
        }
        return;
    }
    out.push_back(at);
}

std::string pointer(const Segments& path) {
    nlohmann::ordered_json::json_pointer p;
    for (const std::string& s : path) p /= s;
    return p.to_string();
}

// The model load_document makes after `--set path=value` for each, or nothing when it refuses.
std::optional<model::Scenario> loaded_with(const nlohmann::ordered_json& document,
                                           const std::vector<std::pair<Segments, nlohmann::ordered_json>>& values) {
    std::vector<std::string> sets;
    for (const auto& [path, value] : values) sets.push_back(pointer(path) + "=" + value.dump());
    try {
        return scenario::load_document(document, "t", sets).scenario;
    } catch (const scenario::InputError&) {
        return std::nullopt;
    }
}

std::optional<model::Scenario> bound_with(const scenario::ScenarioBinder& binder,
                                          const std::vector<std::pair<Segments, nlohmann::ordered_json>>& values) {
    std::vector<scenario::ScenarioBinder::Assignment> assignments;
    for (const auto& [path, value] : values) {
        const std::optional<size_t> id = binder.find(path);
        if (!id) return std::nullopt;
        assignments.emplace_back(*id, &value);
    }
    return binder.apply(assignments);
}

}  // namespace

TEST_CASE("the binder binds every numeric leaf the issue names, and a parameter wherever it is used") {
    const scenario::Loaded loaded = scenario::load_text(kAllLeaves, "t");
    const scenario::ScenarioBinder binder(loaded);
    const std::vector<std::pair<std::string, nlohmann::ordered_json>> bound = {
        {"/endpoints/client/sqs", 555}, {"/endpoints/proxy/rqs", "2KiB"}, {"/connections/0/proxy/rqs", 77},
        {"/connections/1/server/rqs", 78}, {"/link/bandwidth", "5Mbps"}, {"/link/delay", "7ms"}, {"/link/mss", 536},
        {"/link/proxy->server/mss", 900}, {"/connections/0/link/delay", 5}, {"/connections/0/link/client->proxy/bandwidth", 9000},
        {"/endpoints/client/threads/main/0/write", 123}, {"/endpoints/client/threads/main/2/send/1", 50},
        {"/endpoints/client/threads/main/2/send", 60}, {"/endpoints/proxy/threads/front/0/do/0/read/0", 70},
        {"/endpoints/proxy/threads/back/0/do/0/read_exact", 80}, {"/endpoints/proxy/threads/back/0/do/2/write/0", 90},
        {"/endpoints/client/threads/main/1/sleep", "3ms"}, {"/endpoints/proxy/threads/back/1/do/0/sleep", 0},
        {"/endpoints/proxy/threads/back/0/repeat", 9}, {"/endpoints/proxy/threads/back/1/repeat", "2s"},
        {"/endpoints/proxy/threads/front/0/repeat", 3}, {"/endpoints/server/threads/main/0/event_loop/write", 10},
        {"/endpoints/server/threads/main/0/event_loop/write_chunk", 10}, {"/endpoints/proxy/queues/jobs/capacity", "unbounded"},
        {"/pipes/logs/capacity", 10}, {"/limits/time", "1s"}, {"/limits/events", 1000},
        {"/params/request", 4000}, {"/params/pause", "0ms"}, {"/params/rounds", 2}, {"/params/chunk", 2000},
    };
    for (const auto& [path, value] : bound) {
        CAPTURE(path);
        const Segments segments = analysis::path_segments(path, "");
        const std::optional<model::Scenario> set = bound_with(binder, {{segments, value}});
        REQUIRE(set.has_value());
        const std::optional<model::Scenario> expected = loaded_with(loaded.document, {{segments, value}});
        REQUIRE(expected.has_value());
        CHECK(describe(*set) == describe(*expected));
        CHECK(describe(*set) != describe(loaded.scenario));  // the value did change something
    }
    // A parameter nothing uses changes nothing, but is still a parameter's value.
    CHECK(describe(*bound_with(binder, {{{"params", "unused"}, "anything"}})) == describe(loaded.scenario));
    // Left to the loader: a field no binding covers, a value that changes the program's shape
    // or a check on the whole program, a parameter used where no number goes.
    const std::vector<std::pair<std::string, nlohmann::ordered_json>> declined = {
        {"/model", "linux"}, {"/endpoints/server/rqs", 100},
        {"/endpoints/proxy/threads/back/2/repeat", 2}, {"/endpoints/proxy/threads/back/0/repeat", 1},
        {"/endpoints/proxy/threads/back/0/repeat", "eof"}, {"/endpoints/client/threads/main/0/write", nlohmann::ordered_json{1, 2}},
        {"/endpoints/server/threads/main/0/event_loop/write", 0}, {"/endpoints/client/sqs", 0},
        {"/params/unused", nlohmann::ordered_json{1, 2}}, {"/params/who", "client"},
        {"/params/chunk", "$request"}, {"/endpoints/proxy/threads/front/0/do/1/write", 5}, {"/name", "x"},
    };
    for (const auto& [path, value] : declined) {
        CAPTURE(path);
        CHECK_FALSE(bound_with(binder, {{analysis::path_segments(path, ""), value}}).has_value());
    }
    // The loader's limit on one thread's writes, repeat counts multiplied through (2^40 x 2 KiB).
    const std::vector<std::pair<Segments, nlohmann::ordered_json>> too_much = {
        {analysis::path_segments("/endpoints/proxy/threads/back/0/repeat", ""), int64_t{1} << 40},
        {analysis::path_segments("/endpoints/proxy/threads/back/0/do/1/write", ""), 2048}};
    CHECK_FALSE(loaded_with(loaded.document, too_much).has_value());
    CHECK_FALSE(bound_with(binder, too_much).has_value());
    CHECK(bound_with(binder, {too_much[0]}).has_value());
}

TEST_CASE("property: a model set through the bindings is the one the loader makes, for any leaves and values") {
    // Every leaf of each scenario, one to three at a time, at values valid and not (bounds,
    // units, other kinds, references): whenever the binder gives a model, the loader accepts
    // the same --set values and makes the same model; where the loader refuses, the binder declines.
    std::vector<std::string> texts = {kAllLeaves};
    for (const auto& entry : std::filesystem::directory_iterator(std::string(TCPSIM_SOURCE_DIR) + "/scenarios"))
        if (entry.path().extension() == ".json") texts.push_back(scenario::read_file(entry.path().string()));
    const std::vector<nlohmann::ordered_json> pool = {
        0, 1, 2, 3, 100, 1460, 65535, 65536, int64_t{1} << 40, (int64_t{1} << 40) + 1, int64_t{1} << 49, -1,
        "64KiB", "1.5KiB", "0.3KiB", "1ms", "0ms", "2h", "31d", "10Mbps", "eof", "unbounded", "abc", "$chunk", "$rounds",
        "$nope", true, nullptr, nlohmann::ordered_json{1, 2}, nlohmann::ordered_json{100}, nlohmann::ordered_json{{"ratio", 1}}};
    std::mt19937_64 rng(16);
    int64_t bound = 0, trials = 0;
    for (const std::string& text : texts) {
        const scenario::Loaded loaded = scenario::load_text(text, "t");
        const scenario::ScenarioBinder binder(loaded);
        std::vector<Segments> leaves;
        Segments at;
        leaves_of(loaded.document, at, leaves);
        if (loaded.document.contains("params"))
            for (const auto& item : loaded.document["params"].items()) leaves.push_back({"params", item.key()});
        for (int trial = 0; trial < 3000; ++trial) {
            std::vector<std::pair<Segments, nlohmann::ordered_json>> values;
            const size_t count = 1 + rng() % 3;
            for (size_t k = 0; k < count; ++k) {
                const Segments& path = leaves[rng() % leaves.size()];
                if (std::any_of(values.begin(), values.end(), [&](const auto& v) { return v.first == path; })) continue;
                values.emplace_back(path, pool[rng() % pool.size()]);
            }
            ++trials;
            const std::optional<model::Scenario> set = bound_with(binder, values);
            if (!set) continue;
            ++bound;
            const std::optional<model::Scenario> expected = loaded_with(loaded.document, values);
            std::string sets;
            for (const auto& [path, value] : values) sets += " --set " + pointer(path) + "=" + value.dump();
            CAPTURE(sets);
            REQUIRE(expected.has_value());
            REQUIRE(describe(*set) == describe(*expected));
        }
    }
    // Not vacuous: many of the random points (most are unbound leaves or bad values) took the fast path.
    CHECK(bound * 30 > trials);
}

TEST_CASE("sweeps and thresholds over a parameter: its kind is the kind of the fields that use it") {
    const TempDir dir;
    const std::string file = dir.write("p.json", R"({
      "name": "param", "description": "d", "model": "textbook", "params": {"n": 5000, "gap": "1ms", "mixed": 500},
      "link": {"bandwidth": "10Mbps", "delay": "$gap", "mss": 1460},
      "endpoints": {
        "client": {"sqs": 500, "rqs": 500, "threads": {"main": [{"write": "$n"}, "shutdown", "read_to_end"]}},
        "server": {"sqs": "$mixed", "rqs": 500, "threads": {"main": [
          {"repeat": "eof", "do": [{"read_exact": 1000}, {"write": {"ratio": 0.5}}]}, {"sleep": "$mixed"}, "close"]}}}})");
    const scenario::Loaded base = scenario::load_file(file);
    const auto kind = [&](const std::string& path) {
        return analysis::field_kind(analysis::path_segments(path, "", base.document), base.document);
    };
    CHECK(kind("n") == FieldKind::size);
    CHECK(kind("params.n") == FieldKind::size);
    CHECK(kind("gap") == FieldKind::duration);
    CHECK(kind("mixed") == FieldKind::other);  // a size here, a duration there
    CHECK(analysis::path_segments("n", "", base.document) == analysis::path_segments("/params/n", "", base.document));

    // --vary n=... is the compress-2to1 sweep over the client's write, point by point.
    const auto axes = [&](const std::string& vary) { return std::vector<Axis>{Axis::parse(vary, &base.document)}; };
    const analysis::Sweep by_param(base.document, "p", axes("n=3000:5000:500"), "");
    const analysis::Sweep by_path(base.document, "p", axes("endpoints.client.threads.main.0.write=3000:5000:500"), "");
    REQUIRE(by_param.size() == 5);
    for (int64_t i = 0; i < by_param.size(); ++i) {
        REQUIRE(by_param.bound_model(by_param.values_at(i)).has_value());
        const analysis::SweepRow a = by_param.run(i), b = by_path.run(i);
        CHECK(a.result.outcome == b.result.outcome);
        CHECK(a.result.threads[0].bytes_written == b.result.threads[0].bytes_written);
    }
    CHECK(by_param.run(2).result.outcome == core::Outcome::completed);  // 4000
    CHECK(by_param.run(3).result.outcome == core::Outcome::deadlock);   // 4500
    // The hand-derived threshold, searched over the parameter.
    const analysis::Sweep search(base.document, "p", {Axis::integers("n", 1, 1, &base.document)}, "");
    const analysis::ThresholdReport r = analysis::find_threshold(search, 1, 20000, 33, 2);
    REQUIRE(r.threshold.has_value());
    CHECK(*r.threshold == 4001);
    // Both fields of a parameter used twice move with it.
    const analysis::Sweep both(base.document, "p", axes("mixed=1000,2000"), "");
    const model::Scenario at_2000 = *both.bound_model(both.values_at(1));
    CHECK(at_2000.connections[0].sizes[1].sqs_bytes == 2000);
    CHECK(at_2000.endpoints[1].threads[0].ops[1].duration_ns == 2000);
}

TEST_CASE("zipped axes take their values together: point i has value i of each") {
    const analysis::Sweep crossed = sweep_of("compress-2to1.json", {"endpoints.client.sqs=300,600,900", "endpoints.server.rqs=300,600,900"});
    const scenario::Loaded base = scenario::load_file(scenario_path("compress-2to1.json"));
    std::vector<Axis> axes = {Axis::parse("link.delay=1ms,2ms", &base.document),
                              Axis::parse("endpoints.client.sqs=300,600,900", &base.document, "--zip"),
                              Axis::parse("endpoints.server.rqs=300,600,900", &base.document, "--zip")};
    axes[2].zip_with_previous();
    const analysis::Sweep zipped(base.document, "compress-2to1.json", axes, "");
    CHECK(crossed.size() == 9);
    REQUIRE(zipped.size() == 6);
    CHECK(zipped.values_at(0) == std::vector<analysis::AxisValue>{1'000'000, 300, 300});
    CHECK(zipped.values_at(2) == std::vector<analysis::AxisValue>{1'000'000, 900, 900});
    CHECK(zipped.values_at(4) == std::vector<analysis::AxisValue>{2'000'000, 600, 600});
    CHECK(zipped.fingerprint() != sweep_of("compress-2to1.json", {"link.delay=1ms,2ms", "endpoints.client.sqs=300,600,900",
                                                                   "endpoints.server.rqs=300,600,900"}).fingerprint());
    // The sweep record marks the zipped axis; shards of it merge back into the one run.
    const std::string whole = output_of(zipped, views::SweepFormat::csv);
    CHECK(whole.find(R"({"path":"endpoints.server.rqs","kind":"size","values":3,"zip":true})") != std::string::npos);
    CHECK(whole.find("\n4,2000000,600,600,") != std::string::npos);
    const TempDir dir;
    std::vector<std::string> shards;
    for (int i = 1; i <= 3; ++i) shards.push_back(dir.write("z" + std::to_string(i) + ".csv", output_of(zipped, views::SweepFormat::csv, i, 3)));
    CHECK(merged(shards) == whole);
    // Unequal lengths are refused before any work, naming both.
    std::vector<Axis> unequal = {Axis::parse("endpoints.client.sqs=300,600", &base.document, "--zip"),
                                 Axis::parse("endpoints.server.rqs=300,600,900", &base.document, "--zip")};
    unequal[1].zip_with_previous();
    CHECK_THROWS_WITH_AS(analysis::Sweep(base.document, "c", unequal, ""),
                         "--zip endpoints.server.rqs: 3 values, but --zip endpoints.client.sqs has 2 (zipped paths take their "
                         "values together, so their lists must be as long)",
                         scenario::InputError);
}
