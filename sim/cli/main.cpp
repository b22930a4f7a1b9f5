// tcpsim command line: run, check, validate.
// Exit codes: 0 ran (whatever the outcome), 2 bad usage or bad input, 3 expectation failed.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <iostream>
#include <string>
#include <vector>

#include "analysis/calibrate.hpp"
#include "analysis/compare.hpp"
#include "analysis/expect.hpp"
#include "core/engine.hpp"
#include "scenario/load.hpp"
#include "measure/measure.hpp"
#include "scenario/profile_file.hpp"
#include "scenario/units.hpp"
#include "views/measured.hpp"
#include "views/report.hpp"
#include "views/trace.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tcpsim;

constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitExpectation = 3;

struct RunOptions {
    std::vector<std::string> files;
    std::string format = "text";
    std::vector<std::string> sets;
    std::string trace_path;
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::ofstream open_output(const std::string& path) {
    std::ofstream out(path);
    if (!out) throw UsageError(path + ": cannot open for writing");
    return out;
}

int cmd_run(const RunOptions& opt) {
    std::vector<scenario::Loaded> loaded;
    for (const std::string& file : opt.files) loaded.push_back(scenario::load_file(file, opt.sets));
    if (!opt.trace_path.empty() && loaded.size() != 1) throw UsageError("--trace takes exactly one scenario file");
    std::ofstream trace_file;
    std::optional<views::JsonlTrace> trace;
    if (!opt.trace_path.empty()) {
        trace_file = open_output(opt.trace_path);
        trace.emplace(trace_file, loaded[0].scenario);
    }
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (size_t i = 0; i < loaded.size(); ++i) {
        const core::Result result = core::simulate(loaded[i].scenario, trace ? &*trace : nullptr);
        if (opt.format == "json") {
            all.push_back(views::report_json(result));
        } else {
            if (i > 0) std::cout << "\n";
            std::cout << views::report_text(result);
        }
    }
    if (opt.format == "json") std::cout << (all.size() == 1 ? all[0] : all).dump(2) << "\n";
    return kExitOk;
}

// Scenario files named on the command line, with directories expanded to their
// *.json files (schemas excluded) in name order.
std::vector<std::string> expand_scenario_paths(const std::vector<std::string>& paths) {
    std::vector<std::string> files;
    for (const std::string& path : paths) {
        if (!fs::is_directory(path)) {
            files.push_back(path);
            continue;
        }
        std::vector<std::string> found;
        for (const fs::directory_entry& entry : fs::directory_iterator(path)) {
            const std::string name = entry.path().filename().string();
            if (entry.is_regular_file() && entry.path().extension() == ".json" &&
                name.find(".schema.") == std::string::npos)
                found.push_back(entry.path().string());
        }
        std::sort(found.begin(), found.end());
        files.insert(files.end(), found.begin(), found.end());
    }
    return files;
}

int cmd_check(const std::vector<std::string>& paths, const std::vector<std::string>& sets) {
    int passed = 0, failed = 0, bad = 0;
    for (const std::string& file : expand_scenario_paths(paths)) {
        try {
            const scenario::Loaded loaded = scenario::load_file(file, sets);
            if (loaded.expect.is_null()) {
                std::cout << "FAIL " << file << ": no expect block to check\n";
                ++failed;
                continue;
            }
            const core::Result result = core::simulate(loaded.scenario);
            const auto mismatches = analysis::compare_expect(loaded.expect, views::report_json(result));
            if (mismatches.empty()) {
                std::cout << "PASS " << file << ": " << core::to_string(result.outcome) << "\n";
                ++passed;
                continue;
            }
            std::cout << "FAIL " << file << "\n";
            for (const std::string& m : mismatches) std::cout << "  " << m << "\n";
            ++failed;
        } catch (const scenario::InputError& e) {
            std::cerr << e.what() << "\n";
            ++bad;
        }
    }
    std::cout << "check: " << passed << " passed, " << (failed + bad) << " failed\n";
    if (bad > 0) return kExitBadInput;
    return failed > 0 ? kExitExpectation : kExitOk;
}

struct MeasureArgs {
    std::string file;
    int repeat = 1;
    std::string format = "text";
    std::vector<std::string> sets;
    std::string quiet = "2s";
    std::string timeout = "60s";
    int port = 0;
    std::string network = "loopback";
};

measure::Options measure_options(const MeasureArgs& a) {
    measure::Options opt;
    opt.quiet_ns = scenario::parse_duration_ns(a.quiet, "--quiet", 1'000'000, 600'000'000'000);
    opt.timeout_ns = scenario::parse_duration_ns(a.timeout, "--timeout", 1'000'000, 3600'000'000'000);
    opt.port = a.port;
    opt.network = a.network == "veth" ? measure::Network::veth : measure::Network::loopback;
    return opt;
}

std::vector<measure::Measurement> measure_runs(const model::Scenario& s, const MeasureArgs& a) {
    const measure::Options opt = measure_options(a);
    std::vector<measure::Measurement> runs;
    for (int i = 0; i < a.repeat; ++i) runs.push_back(measure::measure_once(s, opt));
    return runs;
}

int cmd_measure(const MeasureArgs& a) {
    const scenario::Loaded loaded = scenario::load_file(a.file, a.sets);
    const std::vector<measure::Measurement> runs = measure_runs(loaded.scenario, a);
    const measure::KernelInfo info = measure::kernel_info();
    if (a.format == "json") std::cout << views::repeated_json(runs, info).dump(2) << "\n";
    else std::cout << views::repeated_text(runs, info);
    return kExitOk;
}

int cmd_compare(const MeasureArgs& a) {
    const scenario::Loaded loaded = scenario::load_file(a.file, a.sets);
    const model::Scenario& s = loaded.scenario;
    const analysis::Comparison c = analysis::compare(s, core::profile_for(s.profile), core::linux_profile(),
                                                     measure_runs(s, a));
    const measure::KernelInfo info = measure::kernel_info();
    if (a.format == "json") std::cout << views::comparison_json(c, info).dump(2) << "\n";
    else std::cout << views::comparison_text(c, info);
    return kExitOk;
}

struct CalibrateArgs {
    std::string out = "linux-profile.json";
    std::string data_out;
    std::string from;
    int repeat = 3;
    std::string quiet = "1500ms";
    std::string network = "loopback";
    int cells = 0;
};

std::vector<analysis::CellData> measure_grid(const CalibrateArgs& a) {
    measure::Options opt;
    opt.quiet_ns = scenario::parse_duration_ns(a.quiet, "--quiet", 1'000'000, 600'000'000'000);
    opt.network = a.network == "veth" ? measure::Network::veth : measure::Network::loopback;
    // Linux's MSS on a veth with MTU 1500 and timestamps is 1448; loopback's is 65483.
    std::vector<analysis::Cell> grid = analysis::calibration_grid(a.network == "veth" ? 1448 : 65483);
    if (a.cells > 0 && static_cast<size_t>(a.cells) < grid.size()) grid.resize(static_cast<size_t>(a.cells));
    std::vector<analysis::CellData> data;
    for (size_t i = 0; i < grid.size(); ++i) {
        std::cerr << "calibrate: [" << i + 1 << "/" << grid.size() << "] " << grid[i].label() << "\n";
        analysis::CellData d{grid[i], {}};
        const model::Scenario s = analysis::cell_scenario(grid[i]);
        for (int r = 0; r < a.repeat; ++r) d.runs.push_back(analysis::run_data(measure::measure_once(s, opt)));
        data.push_back(std::move(d));
    }
    return data;
}

int cmd_calibrate(const CalibrateArgs& a) {
    const measure::KernelInfo info = measure::kernel_info();
    std::vector<analysis::CellData> data;
    if (!a.from.empty()) {
        std::ifstream in(a.from);
        if (!in) throw UsageError(a.from + ": cannot open file");
        try {
            data = analysis::data_from_json(nlohmann::ordered_json::parse(in), a.from);
        } catch (const std::exception& e) {
            throw UsageError(a.from + ": " + e.what());
        }
    } else {
        data = measure_grid(a);
        const std::string data_path = a.data_out.empty() ? a.out + ".data.json" : a.data_out;
        open_output(data_path) << nlohmann::ordered_json{{"kernel", views::kernel_json(info)},
                                                         {"cells", analysis::data_json(data)}}.dump(1) << "\n";
        std::cerr << "calibrate: raw measurements saved to " << data_path << "\n";
    }
    core::ProfileParams base = core::linux_profile();
    base.wmem_max_bytes = measure::sysctl_int("net.core.wmem_max", base.wmem_max_bytes);
    base.rmem_max_bytes = measure::sysctl_int("net.core.rmem_max", base.rmem_max_bytes);
    const analysis::FitReport fit = analysis::fit_profile(data, base);
    const std::vector<analysis::CellScore> scores = analysis::evaluate(data, fit.params);
    std::cout << views::calibration_text(fit, scores);
    open_output(a.out) << views::calibration_json(fit, scores, info).dump(2) << "\n";
    std::cout << "profile written to " << a.out << "\n";
    return kExitOk;
}

int cmd_validate(const std::vector<std::string>& files, const std::vector<std::string>& sets) {
    int bad = 0;
    for (const std::string& file : files) {
        try {
            scenario::load_file(file, sets);
            std::cout << file << ": valid\n";
        } catch (const scenario::InputError& e) {
            std::cerr << e.what() << "\n";
            ++bad;
        }
    }
    return bad > 0 ? kExitBadInput : kExitOk;
}

int run_cli(int argc, char** argv) {
    CLI::App app{"tcpsim: will my two-way TCP program freeze, and where?"};
    app.require_subcommand(1);
    app.set_help_all_flag("--help-all", "Help for every command");

    RunOptions run_opt;
    CLI::App* run = app.add_subcommand("run", "Run scenarios and report whether, when and where they deadlock");
    run->add_option("files", run_opt.files, "Scenario files")->required();
    run->add_option("--format", run_opt.format, "Output format")->check(CLI::IsMember({"text", "json"}));
    run->add_option("--set", run_opt.sets, "Override a field: path=value (e.g. endpoints.A.sqs=1KiB)");
    run->add_option("--trace", run_opt.trace_path, "Write every event as JSON Lines to this file");

    std::vector<std::string> check_paths{"scenarios"};
    std::vector<std::string> check_sets;
    CLI::App* check = app.add_subcommand("check", "Run scenarios and compare them with their expect blocks");
    check->add_option("paths", check_paths, "Scenario files or directories (default: scenarios)");
    check->add_option("--set", check_sets, "Override a field in every scenario: path=value");

    std::vector<std::string> validate_files;
    std::vector<std::string> validate_sets;
    CLI::App* validate = app.add_subcommand("validate", "Check scenario files without running them");
    validate->add_option("files", validate_files, "Scenario files")->required();
    validate->add_option("--set", validate_sets, "Override a field: path=value");

    MeasureArgs measure_args;
    CLI::App* measure_cmd = app.add_subcommand("measure", "Run a scenario on real Linux sockets and measure where it stalls");
    const auto add_measure_options = [](CLI::App* cmd, MeasureArgs& a) {
        cmd->add_option("file", a.file, "Scenario file")->required();
        cmd->add_option("--repeat", a.repeat, "Runs to make (the median is reported)")->check(CLI::Range(1, 100));
        cmd->add_option("--format", a.format, "Output format")->check(CLI::IsMember({"text", "json"}));
        cmd->add_option("--set", a.sets, "Override a field: path=value");
        cmd->add_option("--quiet", a.quiet, "No progress for this long is a stall (default 2s)");
        cmd->add_option("--timeout", a.timeout, "A run neither stalled nor done by then ends as `limit` (default 60s)");
        cmd->add_option("--port", a.port, "Listening port (default 0: any free port)")->check(CLI::Range(0, 65535));
        cmd->add_option("--net", a.network, "loopback, or veth: two network namespaces with MTU = mss + 52")
            ->check(CLI::IsMember({"loopback", "veth"}));
    };
    add_measure_options(measure_cmd, measure_args);
    MeasureArgs compare_args;
    CLI::App* compare_cmd = app.add_subcommand("compare", "Predict (own profile and linux) and measure; one table");
    add_measure_options(compare_cmd, compare_args);

    CalibrateArgs calibrate_args;
    CLI::App* calibrate_cmd = app.add_subcommand("calibrate", "Measure a grid on this machine and fit the linux profile");
    calibrate_cmd->add_option("--out", calibrate_args.out, "Profile file to write (default linux-profile.json)");
    calibrate_cmd->add_option("--data", calibrate_args.data_out, "Where to save the raw measurements (default OUT.data.json)");
    calibrate_cmd->add_option("--from", calibrate_args.from, "Fit saved measurements instead of measuring");
    calibrate_cmd->add_option("--repeat", calibrate_args.repeat, "Runs per cell (default 3)")->check(CLI::Range(1, 20));
    calibrate_cmd->add_option("--quiet", calibrate_args.quiet, "Stall detection quiet period (default 1500ms)");
    calibrate_cmd->add_option("--net", calibrate_args.network, "loopback (MSS 65483) or veth (MTU 1500, MSS 1448)")
        ->check(CLI::IsMember({"loopback", "veth"}));
    calibrate_cmd->add_option("--cells", calibrate_args.cells, "Measure only the first N cells of the grid");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "tcpsim: " << e.what() << " (see tcpsim --help)\n";
        return kExitBadInput;
    }

    try {
        if (*run) return cmd_run(run_opt);
        if (*check) return cmd_check(check_paths, check_sets);
        if (*validate) return cmd_validate(validate_files, validate_sets);
        if (*measure_cmd) return cmd_measure(measure_args);
        if (*compare_cmd) return cmd_compare(compare_args);
        if (*calibrate_cmd) return cmd_calibrate(calibrate_args);
    } catch (const scenario::InputError& e) {
        std::cerr << e.what() << "\n";
        return kExitBadInput;
    } catch (const measure::MeasureError& e) {
        std::cerr << e.what() << "\n";
        return kExitBadInput;
    } catch (const UsageError& e) {
        std::cerr << "tcpsim: " << e.what() << "\n";
        return kExitBadInput;
    }
    return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run_cli(argc, argv);
    } catch (const std::exception& e) {
        // A broken invariant or an exhausted resource: say so in one line, never a trace.
        std::cerr << "tcpsim: internal error: " << e.what() << "\n";
        return kExitInternal;
    }
}
