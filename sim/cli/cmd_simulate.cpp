// run, check, validate: the simulator on scenario files.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "analysis/expect.hpp"
#include "cli/common.hpp"
#include "core/engine.hpp"
#include "scenario/profile_file.hpp"
#include "views/report.hpp"

namespace tcpsim::cli {

namespace {

namespace fs = std::filesystem;

struct RunOptions {
    std::vector<std::string> files;
    std::string format = "text";
    std::vector<std::string> sets;
    std::string profile_path;
    std::string at;
    ViewFiles views;
};

int cmd_run(const RunOptions& opt) {
    std::vector<scenario::Loaded> loaded;
    for (const std::string& file : opt.files) loaded.push_back(scenario::load_file(file, opt.sets));
    if (opt.views.any() && loaded.size() != 1)
        throw UsageError("--trace, --svg, --html and --pcap take exactly one scenario file");
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (size_t i = 0; i < loaded.size(); ++i) {
        const core::Result result = run_with_views(loaded[i], params_of(loaded[i], opt.profile_path), opt.views, opt.at);
        const std::string profile = profile_in_words(loaded[i], opt.profile_path);
        if (opt.format == "json") {
            all.push_back(views::run_report_json(result, profile));
            continue;
        }
        if (i > 0) std::cout << "\n";
        std::cout << views::run_report_text(loaded[i].scenario, result, profile, !opt.at.empty());
    }
    if (opt.format == "json") std::cout << (all.size() == 1 ? all[0] : all).dump(2) << "\n";
    return kExitOk;
}

// Scenario files named on the command line, with directories expanded to their
// *.json files (schemas excluded) in name order. A directory with none is bad input: a check
// that finds nothing to check must not pass.
std::vector<std::string> expand_scenario_paths(const std::vector<std::string>& paths) {
    std::vector<std::string> files;
    for (const std::string& path : paths) {
        std::error_code error;
        if (!fs::is_directory(path, error)) {
            files.push_back(path);
            continue;
        }
        std::vector<std::string> found;
        for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) {
            const std::string name = entry.path().filename().string();
            if (entry.is_regular_file() && entry.path().extension() == ".json" &&
                name.find(".schema.") == std::string::npos)
                found.push_back(entry.path().string());
        }
        if (error) throw UsageError(path + ": cannot list the directory (" + error.message() + ")");
        if (found.empty()) throw UsageError(path + ": no scenario files (*.json) in this directory");
        std::sort(found.begin(), found.end());
        files.insert(files.end(), found.begin(), found.end());
    }
    return files;
}

int cmd_check(const std::vector<std::string>& paths, const std::vector<std::string>& sets,
              const std::string& profile_path) {
    int passed = 0, failed = 0, bad = 0;
    for (const std::string& file : expand_scenario_paths(paths)) {
        try {
            const scenario::Loaded loaded = scenario::load_file(file, sets);
            if (loaded.expect.is_null()) {
                std::cout << "FAIL " << file << ": no expect block to check\n";
                ++failed;
                continue;
            }
            const RunProgress progress(loaded.scenario, loaded.scenario.limits.time_ns);
            const core::Result result =
                core::simulate(loaded.scenario, params_of(loaded, profile_path), nullptr, progress.fn());
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

int cmd_validate(const std::vector<std::string>& paths, const std::vector<std::string>& sets) {
    int bad = 0;
    for (const std::string& file : expand_scenario_paths(paths)) {
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

}  // namespace

std::ofstream open_output(const std::string& path) {
    std::ofstream out(path);
    if (!out) throw UsageError(path + ": cannot open for writing");
    return out;
}

core::ProfileParams params_of(const scenario::Loaded& loaded, const std::string& cli_profile) {
    if (!cli_profile.empty() && loaded.scenario.profile == model::Profile::textbook) {
        scenario::load_profile_file(cli_profile);  // a bad file is still an error
        std::cerr << "warning: --profile " << cli_profile << " is for the linux model; " << loaded.scenario.name
                  << " uses the textbook model, which takes SQS/RQS as they are\n";
    }
    return scenario::params_for(loaded.scenario.profile, cli_profile.empty() ? loaded.profile_path : cli_profile,
                                scenario::profile_mss(loaded.scenario));
}

std::string profile_in_words(const scenario::Loaded& loaded, const std::string& cli_profile) {
    return scenario::profile_in_words(loaded.scenario, cli_profile.empty() ? loaded.profile_path : cli_profile);
}

void add_simulation_commands(CLI::App& app, Commands& commands) {
    auto run_opt = std::make_shared<RunOptions>();
    CLI::App* run = app.add_subcommand("run", "Run scenarios and report whether, when and where they deadlock");
    run->add_option("files", run_opt->files, "Scenario files (- reads standard input)")->required();
    run->add_option("--format", run_opt->format, "Output format")->check(CLI::IsMember({"text", "json"}));
    run->add_option("--set", run_opt->sets, "Override a field: path=value (e.g. endpoints.A.sqs=1KiB)");
    run->add_option("--profile", run_opt->profile_path, "linux profile file (default: the built-in one calibrated nearest the link's MSS)");
    run->add_option("--at", run_opt->at, "Stop at this simulated time and show the state then (e.g. 1ms)");
    add_view_options(run, run_opt->views);
    commands.emplace_back(run, [run_opt] { return cmd_run(*run_opt); });

    struct CheckOptions {
        std::vector<std::string> paths{"scenarios"};
        std::vector<std::string> sets;
        std::string profile;
    };
    auto check_opt = std::make_shared<CheckOptions>();
    CLI::App* check = app.add_subcommand("check", "Run scenarios and compare them with their expect blocks");
    check->add_option("paths", check_opt->paths, "Scenario files or directories (default: scenarios)");
    check->add_option("--set", check_opt->sets, "Override a field in every scenario: path=value");
    check->add_option("--profile", check_opt->profile, "linux profile file (default: the built-in one calibrated nearest the link's MSS)");
    commands.emplace_back(check, [check_opt] { return cmd_check(check_opt->paths, check_opt->sets, check_opt->profile); });

    auto validate_files = std::make_shared<std::vector<std::string>>();
    auto validate_sets = std::make_shared<std::vector<std::string>>();
    CLI::App* validate = app.add_subcommand("validate", "Check scenario files without running them");
    validate->add_option("files", *validate_files, "Scenario files or directories (- reads standard input)")->required();
    validate->add_option("--set", *validate_sets, "Override a field: path=value");
    commands.emplace_back(validate, [validate_files, validate_sets] { return cmd_validate(*validate_files, *validate_sets); });
}

}  // namespace tcpsim::cli
