// What calibration keeps of its measurements: per cell of the grid, the runs made, and what
// they say together (the cell's outcome and its spread of bytes accepted).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "analysis/calibrate_grid.hpp"
#include "analysis/compare.hpp"
#include "core/result.hpp"
#include "measure/measure.hpp"

namespace tcpsim::analysis {

// What calibration keeps of one measured run.
struct RunData {
    core::Outcome outcome = core::Outcome::completed;
    int64_t accepted = 0;  // bytes the first endpoint's writer had handed to the kernel
    std::array<measure::SocketState, 2> sockets;
};
RunData run_data(const measure::Measurement& m);

struct CellData {
    Cell cell;
    std::vector<RunData> runs;
};

// A cell's measured outcome over its runs: deadlock when most of them stalled, else completed.
core::Outcome measured_outcome(const std::vector<RunData>& runs);
// A cell with bytes at a stall to predict: measured, and stalled in most runs.
bool stalled(const CellData& d);
// The lower median of some figures; 0 for none.
int64_t median_of(std::vector<int64_t> values);
// The bytes accepted over some runs (at least one): median, min and max.
Spread accepted_spread(const std::vector<RunData>& runs);

// Several measuring sessions of one grid, pooled: the runs of the same cell (same label) in
// one list, cells in order of first appearance. A cell's range over repeats is the kernel's
// spread, and one session's few runs understate it: on another day, another boot, the kernel
// can stall elsewhere in every run.
std::vector<CellData> pool_sessions(const std::vector<std::vector<CellData>>& sessions);

}  // namespace tcpsim::analysis
