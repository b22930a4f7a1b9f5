// Step 2 of the fit: the receive line and the default receive buffer moved to where the
// simulated bytes accepted at each stall meet the measured ranges best.
#pragma once

#include <vector>

#include "analysis/calibrate_data.hpp"
#include "core/model.hpp"
#include "core/profile.hpp"

namespace tcpsim::analysis {

// A fitted share as a profile's ratio, in 1/65536ths (fine enough for byte counts up to megabytes).
model::Ratio as_ratio(double value);

struct Refinement {
    core::ProfileParams params;
    double rms_before = 0;      // rms of the cell residuals minimised
    double rms_after_grid = 0;  // after the coarse grid that seeds Levenberg-Marquardt
    double rms_after = 0;
    int iterations = 0;
};

// A coarse grid over the receive line, then Levenberg-Marquardt on it and the default receive
// buffer, minimising over every stalled cell how far the simulated bytes accepted fall outside
// the measured range widened by 5% (relative to the median), plus a pull to the median.
Refinement refine_on_predictions(const std::vector<CellData>& data, const core::ProfileParams& params);

}  // namespace tcpsim::analysis
