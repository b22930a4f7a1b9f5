// Calibration data on disk: the cells of runs `calibrate` saves, and a saved session read back
// with the kernel that measured it.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/calibrate_data.hpp"
#include "measure/measure.hpp"

namespace tcpsim::analysis {

// Calibration data that cannot be fitted (a file that is not calibration data, sessions that
// measured different things, a recorded clamp that is not a number): one line.
struct SessionError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

nlohmann::ordered_json data_json(const std::vector<CellData>& data);
// Throws std::invalid_argument naming the JSON path of what is wrong.
std::vector<CellData> data_from_json(const nlohmann::ordered_json& j);

// One saved session: its cells and the kernel that measured them (not this one). A file that
// cannot be read or parsed is a scenario::InputError; one that is not calibration data a SessionError.
std::pair<std::vector<CellData>, measure::KernelInfo> load_session(const std::string& path);

}  // namespace tcpsim::analysis
