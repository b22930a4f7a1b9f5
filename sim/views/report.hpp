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

// What `tcpsim run` prints for one run (and the lecture page shows): the report, the profile in
// words when there is one, and the seeds' Figure 6-5 where the picture says something (at a
// deadlock, or at the instant asked for with `at_asked`).
std::string run_report_text(const model::Scenario& scenario, const core::Result& result, const std::string& profile_words,
                            bool at_asked);
// `tcpsim run --format json` for one run: report_json with the profile in words.
nlohmann::ordered_json run_report_json(const core::Result& result, const std::string& profile_words);

}  // namespace tcpsim::views
