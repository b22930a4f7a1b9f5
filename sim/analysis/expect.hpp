// `tcpsim check`: compares a report with a scenario's expect block, field by field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tcpsim::analysis {

// One line per mismatch ("/threads/A.main/bytes_written: expected 1000, got 999");
// empty when every field the expect block names matches the report.
std::vector<std::string> compare_expect(const nlohmann::ordered_json& expect, const nlohmann::ordered_json& report);

}  // namespace tcpsim::analysis
