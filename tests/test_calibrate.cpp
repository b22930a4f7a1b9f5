// Calibration's data handling, without sockets: sessions pooled into one range per cell.
#include <doctest/doctest.h>

#include <vector>

#include "analysis/calibrate.hpp"
#include "core/profile.hpp"

using namespace tcpsim;

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
    const std::vector<analysis::CellScore> scores = analysis::evaluate({pooled[1]}, core::linux_profile());
    REQUIRE(scores.size() == 1);
    CHECK(scores[0].measured.min == 40000);
    CHECK(scores[0].measured.max == 42000);
}
