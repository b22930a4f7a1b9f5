// The grid `tcpsim calibrate` measures: protocols, buffer pairs and write sizes, and the
// scenario each cell runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "measure/measure.hpp"

namespace tcpsim::analysis {

enum class Protocol { both_write, compress, uppercase };
const char* to_string(Protocol protocol);

struct Cell {
    Protocol protocol = Protocol::both_write;
    std::optional<int64_t> buffer_a;  // SO_SNDBUF = SO_RCVBUF requested on the first endpoint; none: defaults
    std::optional<int64_t> buffer_b;
    int64_t write_bytes = 0;          // bytes per write call of the client (A)
    int64_t mss_bytes = measure::kLoopbackMssBytes;  // 1448 on a veth with MTU 1500
    std::string label() const;
};

// Every cell of the target grid for one MSS.
std::vector<Cell> calibration_grid(int64_t mss_bytes);
// The scenario a cell runs (linux model); its first endpoint's thread "main" is the writer measured.
model::Scenario cell_scenario(const Cell& cell);

}  // namespace tcpsim::analysis
