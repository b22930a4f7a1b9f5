// How far the kernel agrees with itself: the ceiling for any prediction scored against the
// measured ranges.
#pragma once

#include <vector>

#include "analysis/calibrate_data.hpp"
#include "analysis/calibrate_score.hpp"

namespace tcpsim::analysis {

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

}  // namespace tcpsim::analysis
