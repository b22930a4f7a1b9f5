// The files a run can write besides its report, shared by run and explain.
#include <fstream>
#include <optional>

#include "cli/common.hpp"
#include "scenario/units.hpp"
#include "views/trace.hpp"

namespace tcpsim::cli {

void add_view_options(CLI::App* command, ViewFiles& files) {
    command->add_option("--trace", files.trace, "Write every event as JSON Lines to this file");
}

core::Result run_with_views(const scenario::Loaded& loaded, const core::ProfileParams& params, const ViewFiles& files,
                            const std::string& at, core::Observer* extra) {
    model::Scenario s = loaded.scenario;
    if (!at.empty()) s.limits.time_ns = std::min(s.limits.time_ns, scenario::parse_duration_ns(nlohmann::ordered_json(at), "--at"));
    core::ObserverList observers;
    if (extra != nullptr) observers.add(extra);
    std::ofstream trace_file;
    std::optional<views::JsonlTrace> trace;
    if (!files.trace.empty()) {
        trace_file = open_output(files.trace);
        trace.emplace(trace_file, s);
        observers.add(&*trace);
    }
    return core::simulate(s, params, observers.empty() ? nullptr : &observers);
}

}  // namespace tcpsim::cli
