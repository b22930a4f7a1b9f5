// A run's Result as text for people and as JSON for programs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/model.hpp"
#include "core/result.hpp"

namespace tcpsim::views {

nlohmann::ordered_json report_json(const core::Result& result);
std::string report_text(const core::Result& result);

}  // namespace tcpsim::views
