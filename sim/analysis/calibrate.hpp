// `tcpsim calibrate`: measure a grid of buffer and write sizes on this machine, fit the
// linux profile's free parameters by least squares, and evaluate the fitted profile.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/compare.hpp"
#include "core/profile.hpp"
#include "measure/measure.hpp"

namespace tcpsim::analysis {

enum class Protocol { both_write, compress, uppercase };
const char* to_string(Protocol protocol);

struct Cell {
    Protocol protocol = Protocol::both_write;
    std::optional<int64_t> buffer_a;  // SO_SNDBUF = SO_RCVBUF requested on the first endpoint; none: defaults
    std::optional<int64_t> buffer_b;
    int64_t write_bytes = 0;          // bytes per write call of the client (A)
    int64_t mss_bytes = measure::kLoopbackMssBytes;  // 1448 on a veth with MTU 1500
    std::string label() const;
};

// Every cell of the target grid for one MSS.
std::vector<Cell> calibration_grid(int64_t mss_bytes);
// The scenario a cell runs (linux model); its first endpoint's thread "main" is the writer measured.
model::Scenario cell_scenario(const Cell& cell);

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

struct FitReport {
    core::ProfileParams params;
    double send_rms_bytes = 0;  // root-mean-square residual of the SendQ fit
    double recv_rms_bytes = 0;
    int samples = 0;
    bool overhead_measured = false;  // skb overhead read off SO_MEMINFO in this data
    double rms_before_refine = 0;    // rms of the cell residuals that step 2 minimises
    double rms_after_grid = 0;       // after the coarse grid that seeds Levenberg-Marquardt
    double rms_after_refine = 0;
    int refine_iterations = 0;
};

// Fits the linux profile to measured stalls in two least-squares steps:
//  1. queues: SendQ and RecvQ at both-write stalls against the buffers (payload = ratio *
//     buffer + extra), the per-skb overhead from SO_MEMINFO and the autotuned defaults;
//  2. predictions: Levenberg-Marquardt on the receive line and the default receive buffer,
//     minimising, over every stalled cell, how far the simulated bytes accepted fall outside
//     the measured range widened by 5% (relative to the median), plus a pull to the median.
FitReport fit_profile(const std::vector<CellData>& data, const core::ProfileParams& base);

struct CellScore {
    std::string label;
    int64_t predicted = 0;  // bytes the writer had handed over at the stall (simulated)
    Spread measured;
    bool within = false;
    double relative_error = 0;  // against the measured median
    std::string predicted_outcome;
    std::string measured_outcome;
};

std::vector<CellScore> evaluate(const std::vector<CellData>& data, const core::ProfileParams& params);

// The target over the stalled cells: how many predictions lie in the measured range
// (widened by 5%), and the median |relative error| against the measured medians.
struct ScoreSummary {
    int within = 0;
    int cells = 0;
    double median_abs_error = 0;
    // More cells in range, then a smaller median error.
    bool better_than(const ScoreSummary& o) const {
        return within != o.within ? within > o.within : median_abs_error < o.median_abs_error;
    }
};
ScoreSummary summarize(const std::vector<CellScore>& scores);

// Several measuring sessions of one grid, pooled: the runs of the same cell (same label) in
// one list, cells in order of first appearance. A cell's range over repeats is the kernel's
// spread, and one session's few runs understate it: on another day, another boot, the kernel
// can stall elsewhere in every run.
std::vector<CellData> pool_sessions(const std::vector<std::vector<CellData>>& sessions);

// How far the kernel agrees with itself across sessions: the ceiling for any prediction
// scored against one session's range. Over the cells that stalled in every session:
struct SessionAgreement {
    int cells = 0;
    int no_common_figure = 0;  // cells where no figure lies in every session's widened range
    // Per session: the other sessions' pooled median as the prediction, scored as `summarize` does.
    std::vector<ScoreSummary> others_predict;
    // Per session, then over the range pooled across all of them: `write_size_blind_ceiling`.
    std::vector<int> write_size_blind;
    int pooled_write_size_blind = 0;
};
SessionAgreement session_agreement(const std::vector<std::vector<CellData>>& sessions);

// The most stalled cells that any prediction blind to the program's write size (one figure for
// every write size of a protocol and buffer pair, as the simulator gives, since its application
// steps take no time) can put inside the measured ranges widened by 5%.
int write_size_blind_ceiling(const std::vector<CellData>& data);

nlohmann::ordered_json data_json(const std::vector<CellData>& data);
std::vector<CellData> data_from_json(const nlohmann::ordered_json& j);

}  // namespace tcpsim::analysis
