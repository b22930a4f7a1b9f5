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

#include "analysis/expect.hpp"
#include "core/engine.hpp"
#include "scenario/load.hpp"
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
    } catch (const scenario::InputError& e) {
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
