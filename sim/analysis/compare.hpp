// Predicted vs measured: the scenario's own profile and the linux profile against
// runs on real sockets, figure by figure.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/profile.hpp"
#include "core/result.hpp"
#include "measure/measure.hpp"

namespace tcpsim::analysis {

// The figures a prediction and a measurement share, by name ("client.main bytes_written",
// "client sendq"), in a stable order.
std::vector<std::pair<std::string, int64_t>> figures_of(const core::Result& result);

struct Spread {
    int64_t median = 0;
    int64_t min = 0;
    int64_t max = 0;
};

// Per figure over runs; the median of an even count is the lower middle value (a real run).
std::vector<std::pair<std::string, Spread>> measured_spreads(const std::vector<measure::Measurement>& runs);

struct FigureRow {
    std::string name;
    int64_t own = 0;    // the scenario's own profile
    int64_t linux = 0;  // the linux profile
    Spread measured;
    // The prediction lies in the kernel's own range over the runs, widened by 5%.
    static bool within(int64_t predicted, const Spread& s);
    // That widened range, [low, high].
    static std::pair<int64_t, int64_t> widened(const Spread& s);
};

struct Comparison {
    std::string own_profile;  // "textbook" or "linux"
    std::string own_column;   // its column's name: "textbook", or "linux(own)" beside the linux column
    core::Result own;
    core::Result linux;
    std::vector<measure::Measurement> runs;
    std::vector<FigureRow> rows;
    std::vector<std::string> notes;  // why predictions and kernel differ, in words
};

Comparison compare(const model::Scenario& scenario, const core::ProfileParams& own_params,
                   const core::ProfileParams& linux_params, std::vector<measure::Measurement> runs);

}  // namespace tcpsim::analysis
