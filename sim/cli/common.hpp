// Shared by the command files: exit codes, errors, outputs, and profile choice.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/engine.hpp"
#include "core/profile.hpp"
#include "scenario/load.hpp"

namespace tcpsim::cli {

constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitExpectation = 3;

// Bad usage found after parsing (an output that cannot be written, a wrong combination).
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::ofstream open_output(const std::string& path);

// The parameters a loaded scenario runs with: --profile wins over the file's "profile".
core::ProfileParams params_of(const scenario::Loaded& loaded, const std::string& cli_profile);
// Which linux profile params_of gives, in words ("" for a textbook scenario).
std::string profile_in_words(const scenario::Loaded& loaded, const std::string& cli_profile);

// The progress line of a long run on stderr, when stderr is a terminal: nothing for the first
// second, then a line redrawn in place, erased when the object goes. Pass fn() to simulate.
class RunProgress {
public:
    // `time_limit_ns` is how far this run goes: the scenario's limit, or an earlier --at.
    RunProgress(const model::Scenario& scenario, int64_t time_limit_ns);
    ~RunProgress();
    RunProgress(const RunProgress&) = delete;
    RunProgress& operator=(const RunProgress&) = delete;
    const core::ProgressFn& fn() const { return fn_; }

private:
    using Clock = std::chrono::steady_clock;
    core::ProgressFn fn_;
    Clock::time_point last_drawn_{};
    bool shown_ = false;
};

// Files a run can write besides its report (--trace, ...).
struct ViewFiles {
    std::string trace;
    std::string trace_limit = "1GiB";  // the most --trace writes
    std::string svg;   // the figure; the timeline goes beside it as NAME.timeline.svg
    std::string html;
    std::string pcap;
    bool any() const { return !trace.empty() || !svg.empty() || !html.empty() || !pcap.empty(); }
};
void add_view_options(CLI::App* command, ViewFiles& files);

// Simulates with the observers the files ask for and `extra`, stopping at the simulated
// time `at` when it is not empty ("1ms"), then writes the files.
core::Result run_with_views(const scenario::Loaded& loaded, const core::ProfileParams& params, const ViewFiles& files,
                            const std::string& at, core::Observer* extra = nullptr);

// A subcommand and what to do when it was chosen.
using Commands = std::vector<std::pair<CLI::App*, std::function<int()>>>;

void add_simulation_commands(CLI::App& app, Commands& commands);   // run, check, validate
void add_measurement_commands(CLI::App& app, Commands& commands);  // measure, compare, calibrate
void add_sweep_commands(CLI::App& app, Commands& commands);        // sweep, threshold, merge
void add_teaching_commands(CLI::App& app, Commands& commands);     // rule, explain, lecture

}  // namespace tcpsim::cli
