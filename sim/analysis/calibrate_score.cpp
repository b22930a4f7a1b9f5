#include "analysis/calibrate_score.hpp"

#include <algorithm>
#include <cmath>

#include "core/engine.hpp"

namespace tcpsim::analysis {

void judge(CellScore& score) {
    score.within = FigureRow::within(score.predicted, score.measured);
    score.relative_error = static_cast<double>(score.predicted - score.measured.median) /
                           static_cast<double>(std::max<int64_t>(1, score.measured.median));
}

std::vector<CellScore> evaluate(const std::vector<CellData>& data, const core::ProfileParams& params) {
    std::vector<CellScore> scores;
    for (const CellData& d : data) {
        if (d.runs.empty()) continue;
        CellScore score;
        score.label = d.cell.label();
        const core::Result predicted = core::simulate(cell_scenario(d.cell), params);
        score.predicted = predicted.threads.at(0).bytes_written;
        score.predicted_end = predicted.outcome;
        score.measured = accepted_spread(d.runs);
        score.measured_end = measured_outcome(d.runs);
        judge(score);
        scores.push_back(score);
    }
    return scores;
}

ScoreSummary summarize(const std::vector<CellScore>& scores) {
    ScoreSummary s;
    std::vector<double> errors;
    for (const CellScore& c : scores) {
        if (c.measured_end != core::Outcome::deadlock) continue;  // bytes at a stall exist only where it stalls
        ++s.cells;
        s.within += c.within ? 1 : 0;
        errors.push_back(std::fabs(c.relative_error));
    }
    std::sort(errors.begin(), errors.end());
    if (!errors.empty()) s.median_abs_error = errors[(errors.size() - 1) / 2];
    return s;
}

}  // namespace tcpsim::analysis
