// A run's Result as text for people and as JSON for programs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/model.hpp"
#include "core/result.hpp"

namespace tcpsim::views {

nlohmann::ordered_json report_json(const core::Result& result);
// A measured Result has no events, and its queue capacities are the buffers the kernel
// reported (both 0 for a socket its program had closed).
enum class ReportSource { simulated, measured };
std::string report_text(const core::Result& result, ReportSource source = ReportSource::simulated);

}  // namespace tcpsim::views
