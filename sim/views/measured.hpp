// Measurements on real sockets, and their comparison with predictions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "analysis/calibrate.hpp"
#include "analysis/compare.hpp"
#include "core/result.hpp"
#include "measure/measure.hpp"

namespace tcpsim::views {

nlohmann::ordered_json kernel_json(const measure::KernelInfo& info);
nlohmann::ordered_json measurement_json(const measure::Measurement& m);
// Several runs: each run, and per figure the median, min and max.
nlohmann::ordered_json repeated_json(const std::vector<measure::Measurement>& runs, const measure::KernelInfo& info);
std::string repeated_text(const std::vector<measure::Measurement>& runs, const measure::KernelInfo& info);

nlohmann::ordered_json comparison_json(const analysis::Comparison& c, const measure::KernelInfo& info);
std::string comparison_text(const analysis::Comparison& c, const measure::KernelInfo& info);

std::string calibration_text(const analysis::FitReport& fit, const std::vector<analysis::CellScore>& scores);
// `calibrate --agreement`: the sessions (named by `paths`) against each other.
std::string agreement_text(const analysis::SessionAgreement& agreement, const std::vector<std::string>& paths);
nlohmann::ordered_json calibration_json(const analysis::FitReport& fit, const std::vector<analysis::CellScore>& scores,
                                        const measure::KernelInfo& info);

}  // namespace tcpsim::views
