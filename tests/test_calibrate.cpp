// Calibration's data handling, without sockets: sessions pooled into one range per cell.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "analysis/calibrate.hpp"
#include "core/profile.hpp"
#include "support.hpp"

using namespace tcpsim;
using test::linux_params;

TEST_CASE("calibrate: sessions pool their runs per cell, so a cell's range spans every session") {
    const auto cell = [](analysis::Protocol p, int64_t write_bytes) {
        analysis::Cell c;
        c.protocol = p;
        c.buffer_a = c.buffer_b = 4096;
        c.write_bytes = write_bytes;
        return c;
    };
    const auto run = [](int64_t accepted) {
        analysis::RunData r;
        r.outcome = core::Outcome::deadlock;
        r.accepted = accepted;
        return r;
    };
    const analysis::Cell x = cell(analysis::Protocol::both_write, 1024);
    const analysis::Cell y = cell(analysis::Protocol::compress, 16);
    const analysis::Cell z = cell(analysis::Protocol::uppercase, 65536);
    const std::vector<analysis::CellData> first{{x, {run(12288), run(12288)}}, {y, {run(40000)}}};
    const std::vector<analysis::CellData> second{{y, {run(42000)}}, {z, {run(26624)}}};
    const std::vector<analysis::CellData> pooled = analysis::pool_sessions({first, second});
    REQUIRE(pooled.size() == 3);
    CHECK(pooled[0].cell.label() == x.label());
    CHECK(pooled[1].cell.label() == y.label());
    CHECK(pooled[2].cell.label() == z.label());
    CHECK(pooled[0].runs.size() == 2);
    REQUIRE(pooled[1].runs.size() == 2);
    CHECK(pooled[1].runs[0].accepted == 40000);
    CHECK(pooled[1].runs[1].accepted == 42000);
    CHECK(pooled[2].runs.size() == 1);
    // The same cell at another MSS is another cell.
    analysis::Cell x_veth = x;
    x_veth.mss_bytes = 1448;
    CHECK(analysis::pool_sessions({first, {{x_veth, {run(1)}}}}).size() == 3);
    // The pooled range is what evaluation scores against: 40000..42000 for y, from two sessions.
    const std::vector<analysis::CellScore> scores = analysis::evaluate({pooled[1]}, linux_params(pooled[1].cell.mss_bytes));
    REQUIRE(scores.size() == 1);
    CHECK(scores[0].measured.min == 40000);
    CHECK(scores[0].measured.max == 42000);
}

TEST_CASE("calibrate --agreement: each session scored against the others' median, and cells no figure can meet") {
    const auto cell = [](int64_t write_bytes) {
        analysis::Cell c;
        c.buffer_a = c.buffer_b = 4096;
        c.write_bytes = write_bytes;
        return c;
    };
    const auto runs = [](std::vector<int64_t> accepted) {
        std::vector<analysis::RunData> out;
        for (int64_t a : accepted) out.push_back(analysis::RunData{core::Outcome::deadlock, a, {}});
        return out;
    };
    const analysis::Cell steady = cell(16), jumpy = cell(1024), finishes = cell(65536);
    // `steady` repeats to the byte; `jumpy` stalls at 12288 in one session and 10240 in the other,
    // ranges that stay apart even widened by 5%; `finishes` completes in the second session, so
    // it is left out of every session's score, even of the first's, where it meets `steady`'s figure.
    std::vector<analysis::RunData> completed = runs({1000});
    completed[0].outcome = core::Outcome::completed;
    const std::vector<std::vector<analysis::CellData>> sessions{
        {{steady, runs({5000, 5000})}, {jumpy, runs({12288, 12288})}, {finishes, runs({5000})}},
        {{steady, runs({5000, 5100})}, {jumpy, runs({10240, 10240})}, {finishes, completed}}};
    const analysis::SessionAgreement a = analysis::session_agreement(sessions);
    CHECK(a.cells == 2);  // only cells that stalled in every session
    CHECK(a.no_common_figure == 1);
    REQUIRE(a.others_predict.size() == 2);
    for (const analysis::ScoreSummary& s : a.others_predict) {
        CHECK(s.cells == 2);
        CHECK(s.within == 1);  // steady, not jumpy
    }
    // Session 1 is predicted by session 2's medians: 5000 (the lower middle of 5000, 5100), exact,
    // and 10240 for jumpy, 17% off; the median of two errors is the lower one, as in `summarize`.
    CHECK(a.others_predict[0].median_abs_error == doctest::Approx(0.0));
    // steady's and jumpy's ranges are apart in each session and pooled: one figure meets one of them.
    CHECK(a.write_size_blind == std::vector<int>{1, 1});
    CHECK(a.pooled_write_size_blind == 1);
}

TEST_CASE("calibrate: a prediction blind to the write size meets at most the write sizes one figure covers") {
    const auto cell = [](int64_t buffer, int64_t write_bytes) {
        analysis::Cell c;
        c.buffer_a = c.buffer_b = buffer;
        c.write_bytes = write_bytes;
        return c;
    };
    const auto runs = [](int64_t low, int64_t high, core::Outcome outcome = core::Outcome::deadlock) {
        return std::vector<analysis::RunData>{{outcome, low, {}}, {outcome, high, {}}};
    };
    // 4 KiB: 16 B and 1 KiB overlap once widened by 5% (10000..10500 and 10900..11000), 64 KiB is
    // far above: one figure meets two of the three. 8 KiB: all three overlap at 20000.
    // 16 KiB: the 16 B cell completed, so it is no stall to meet (counted, its figure would make
    // two with the 1 KiB cell); the other two are apart.
    const std::vector<analysis::CellData> data{
        {cell(4096, 16), runs(10000, 10500)},   {cell(4096, 1024), runs(10900, 11000)},
        {cell(4096, 65536), runs(16000, 16000)}, {cell(8192, 16), runs(19000, 20000)},
        {cell(8192, 1024), runs(20000, 21000)},  {cell(8192, 65536), runs(20000, 20000)},
        {cell(16384, 16), runs(40000, 40000, core::Outcome::completed)},
        {cell(16384, 1024), runs(40000, 40000)}, {cell(16384, 65536), runs(50000, 50000)}};
    CHECK(analysis::write_size_blind_ceiling(data) == 2 + 3 + 1);
    // Another protocol with the same buffers is another pair, not one more write size of these.
    analysis::Cell compress = cell(4096, 65536);
    compress.protocol = analysis::Protocol::compress;
    std::vector<analysis::CellData> more = data;
    more.push_back({compress, runs(10000, 10000)});
    CHECK(analysis::write_size_blind_ceiling(more) == 2 + 3 + 1 + 1);
}

TEST_CASE("calibrate: a cell's measured outcome is a deadlock only when most of its runs stalled") {
    const auto runs = [](int stalls, int completions) {
        std::vector<analysis::RunData> out(static_cast<size_t>(stalls), analysis::RunData{core::Outcome::deadlock, 100, {}});
        out.insert(out.end(), static_cast<size_t>(completions), analysis::RunData{core::Outcome::completed, 200, {}});
        return out;
    };
    CHECK(analysis::measured_outcome(runs(2, 1)) == core::Outcome::deadlock);
    CHECK(analysis::measured_outcome(runs(1, 1)) == core::Outcome::completed);
    CHECK(analysis::measured_outcome(runs(0, 3)) == core::Outcome::completed);
    // Only cells that stalled count towards the target; the score keeps both outcomes as enums.
    analysis::Cell cell;
    cell.buffer_a = cell.buffer_b = 4096;
    cell.write_bytes = 1024;
    const std::vector<analysis::CellScore> scores =
        analysis::evaluate({{cell, runs(2, 1)}, {cell, runs(1, 2)}}, linux_params(cell.mss_bytes));
    REQUIRE(scores.size() == 2);
    CHECK(scores[0].measured_end == core::Outcome::deadlock);
    CHECK(scores[1].measured_end == core::Outcome::completed);
    CHECK(analysis::summarize(scores).cells == 1);
}

namespace {

// A session file of its own per test and process: doctest cases may run in parallel under CTest.
std::string write_session(const std::string& label, const std::string& sysctls, int64_t mss_bytes) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("tcpsim_test_session_" + label + "_" + std::to_string(getpid()) + ".data.json");
    std::ofstream(path) << R"({"kernel": {"release": ")" << label << R"(", "sysctls": {)" << sysctls << R"(}},
        "cells": [{"protocol": "both-write", "buffer_a": 4096, "buffer_b": 4096, "write_bytes": 16,
                   "mss_bytes": )" << mss_bytes << R"(, "runs": [{"outcome": "deadlock", "accepted": 12000,
                   "sockets": [{"siocoutq": 1, "siocinq": 2, "so_sndbuf": 3, "so_rcvbuf": 4},
                               {"siocoutq": 5, "siocinq": 6, "so_sndbuf": 7, "so_rcvbuf": 8}]}]}]})";
    return path.string();
}

}  // namespace

TEST_CASE("calibrate: sessions pool only when they share the kernel's settings and the MSS, each file once") {
    const std::string rmem = R"("net.core.rmem_max": "212992")";
    const std::string b = write_session("b", rmem, 1448), a = write_session("a", rmem, 1448);
    const std::string other_kernel = write_session("other", R"("net.core.rmem_max": "4194304")", 1448);
    const std::string other_mss = write_session("mss", rmem, 65483);
    // Read in sorted order, whatever the order given; the kernel lists each release.
    const analysis::Sessions sessions = analysis::load_sessions({b, a});
    CHECK(sessions.paths == std::vector<std::string>{a, b});
    CHECK(sessions.data.size() == 2);
    CHECK(sessions.kernel.release == "a, b");
    const std::string a_again = (std::filesystem::path(a).parent_path() / "." / std::filesystem::path(a).filename()).string();
    CHECK_THROWS_WITH_AS(analysis::load_sessions({a, a_again}), doctest::Contains("given to --from twice"), analysis::SessionError);
    CHECK_THROWS_WITH_AS(analysis::load_sessions({a, other_kernel}),
                         doctest::Contains((other_kernel + ": /kernel/sysctls/net.core.rmem_max: expected \"212992\" as in " + a +
                                            " (sessions pooled must share the kernel's settings), found \"4194304\"")
                                               .c_str()),
                         analysis::SessionError);
    CHECK_THROWS_WITH_AS(analysis::load_sessions({a, other_mss}),
                         doctest::Contains((other_mss + ": /cells/0/mss_bytes: expected 1448 as in " + a).c_str()),
                         analysis::SessionError);
    for (const std::string& path : {a, b, other_kernel, other_mss}) std::filesystem::remove(path);
}

TEST_CASE("calibrate: a refit takes the buffer clamps recorded with the data, not this machine's") {
    const core::ProfileParams base = linux_params(measure::kLoopbackMssBytes);
    const measure::KernelInfo recorded{"x", {{"net.core.rmem_max", "1048576"}}};
    REQUIRE(base.rmem_max_bytes != 1048576);
    const core::ProfileParams p = analysis::with_recorded_clamps(base, recorded);
    CHECK(p.rmem_max_bytes == 1048576);
    CHECK(p.wmem_max_bytes == base.wmem_max_bytes);  // not recorded: the base's
    CHECK_THROWS_WITH_AS(analysis::with_recorded_clamps(base, {"x", {{"net.core.wmem_max", "lots"}}}),
                         "net.core.wmem_max in the recorded kernel is not a number: lots", analysis::SessionError);
}
