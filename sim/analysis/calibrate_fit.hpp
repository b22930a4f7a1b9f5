// Fitting the linux profile's free parameters to measured stalls.
#pragma once

#include <vector>

#include "analysis/calibrate_data.hpp"
#include "core/profile.hpp"

namespace tcpsim::analysis {

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

}  // namespace tcpsim::analysis
