#include "analysis/calibrate_data.hpp"

#include <algorithm>
#include <map>
#include <string>

namespace tcpsim::analysis {

RunData run_data(const measure::Measurement& m) {
    return RunData{m.result.outcome, m.result.threads.at(0).bytes_written, {m.sockets.at(0), m.sockets.at(1)}};
}

core::Outcome measured_outcome(const std::vector<RunData>& runs) {
    const auto stalls = std::count_if(runs.begin(), runs.end(), [](const RunData& r) { return r.outcome == core::Outcome::deadlock; });
    return stalls * 2 > static_cast<std::ptrdiff_t>(runs.size()) ? core::Outcome::deadlock : core::Outcome::completed;
}

bool stalled(const CellData& d) { return !d.runs.empty() && measured_outcome(d.runs) == core::Outcome::deadlock; }

int64_t median_of(std::vector<int64_t> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[(v.size() - 1) / 2];
}

Spread accepted_spread(const std::vector<RunData>& runs) {
    std::vector<int64_t> accepted;
    accepted.reserve(runs.size());
    for (const RunData& r : runs) accepted.push_back(r.accepted);
    const auto [min, max] = std::minmax_element(accepted.begin(), accepted.end());
    return Spread{median_of(accepted), *min, *max};
}

std::vector<CellData> pool_sessions(const std::vector<std::vector<CellData>>& sessions) {
    std::vector<CellData> pooled;
    std::map<std::string, size_t> index_of;  // cell label -> its place in `pooled`
    for (const std::vector<CellData>& session : sessions)
        for (const CellData& d : session) {
            const auto [it, fresh] = index_of.emplace(d.cell.label(), pooled.size());
            if (fresh) pooled.push_back(CellData{d.cell, {}});
            std::vector<RunData>& runs = pooled[it->second].runs;
            runs.insert(runs.end(), d.runs.begin(), d.runs.end());
        }
    return pooled;
}

}  // namespace tcpsim::analysis
