#include "analysis/calibrate_agreement.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <string>

namespace tcpsim::analysis {

int write_size_blind_ceiling(const std::vector<CellData>& data) {
    // The widened ranges of each protocol and buffer pair, one per write size.
    std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> ranges;
    for (const CellData& d : data) {
        if (!stalled(d)) continue;
        Cell pair = d.cell;
        pair.write_bytes = 0;
        ranges[pair.label()].push_back(FigureRow::widened(accepted_spread(d.runs)));
    }
    // The most intervals one figure lies in is reached at the low end of one of them.
    int ceiling = 0;
    for (const auto& [pair, intervals] : ranges) {
        std::ptrdiff_t best = 0;
        for (const auto& [figure, unused_high] : intervals)
            best = std::max(best, std::count_if(intervals.begin(), intervals.end(), [figure = figure](const auto& r) {
                                return r.first <= figure && figure <= r.second;
                            }));
        ceiling += static_cast<int>(best);
    }
    return ceiling;
}

namespace {

// One cell's runs in each session, in session order; fewer than the sessions when it did not
// stall in every one of them.
std::vector<const std::vector<RunData>*> stalled_in_each(const std::vector<std::vector<CellData>>& sessions,
                                                          const std::string& label) {
    std::vector<const std::vector<RunData>*> runs;
    for (const std::vector<CellData>& session : sessions) {
        const auto found =
            std::find_if(session.begin(), session.end(), [&label](const CellData& d) { return d.cell.label() == label; });
        if (found == session.end() || !stalled(*found)) break;
        runs.push_back(&found->runs);
    }
    return runs;
}

// Session i's measured range of a cell scored against the other sessions' pooled median.
CellScore others_score(const std::string& label, const std::vector<const std::vector<RunData>*>& runs, size_t i) {
    CellScore score;
    score.label = label;
    score.measured = accepted_spread(*runs[i]);
    score.measured_end = score.predicted_end = core::Outcome::deadlock;
    std::vector<RunData> others;
    for (size_t j = 0; j < runs.size(); ++j)
        if (j != i) others.insert(others.end(), runs[j]->begin(), runs[j]->end());
    score.predicted = accepted_spread(others).median;
    judge(score);
    return score;
}

}  // namespace

SessionAgreement session_agreement(const std::vector<std::vector<CellData>>& sessions) {
    SessionAgreement agreement;
    std::vector<std::vector<CellScore>> others_predict(sessions.size());
    std::vector<std::vector<CellData>> common(sessions.size());  // each session's cells that stalled in all
    for (const CellData& cell : sessions.empty() ? std::vector<CellData>{} : sessions.front()) {
        const std::string label = cell.cell.label();
        const std::vector<const std::vector<RunData>*> runs = stalled_in_each(sessions, label);
        if (runs.size() != sessions.size()) continue;  // not a stall in every session
        ++agreement.cells;
        int64_t low = std::numeric_limits<int64_t>::min(), high = std::numeric_limits<int64_t>::max();
        for (size_t i = 0; i < runs.size(); ++i) {
            common[i].push_back(CellData{cell.cell, *runs[i]});
            others_predict[i].push_back(others_score(label, runs, i));
            const auto [lo, hi] = FigureRow::widened(others_predict[i].back().measured);
            low = std::max(low, lo);
            high = std::min(high, hi);
        }
        agreement.no_common_figure += low > high ? 1 : 0;
    }
    for (const std::vector<CellScore>& scores : others_predict) agreement.others_predict.push_back(summarize(scores));
    for (const std::vector<CellData>& session : common) agreement.write_size_blind.push_back(write_size_blind_ceiling(session));
    agreement.pooled_write_size_blind = write_size_blind_ceiling(pool_sessions(common));
    return agreement;
}

}  // namespace tcpsim::analysis
