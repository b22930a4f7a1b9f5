// A profile's predictions against the measured cells, and the target over them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/calibrate_data.hpp"
#include "analysis/compare.hpp"
#include "core/profile.hpp"
#include "core/result.hpp"

namespace tcpsim::analysis {

struct CellScore {
    std::string label;
    int64_t predicted = 0;  // bytes the writer had handed over at the stall (simulated)
    Spread measured;
    bool within = false;
    double relative_error = 0;  // against the measured median
    core::Outcome predicted_end = core::Outcome::completed;  // how the simulation ended
    core::Outcome measured_end = core::Outcome::completed;   // `measured_outcome` of the runs
};

// A score's verdict on its prediction: inside the widened range, and the error against the median.
void judge(CellScore& score);

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

}  // namespace tcpsim::analysis
