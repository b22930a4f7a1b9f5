// measure, compare, calibrate: real sockets, and the linux profile fitted to them.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "analysis/calibrate.hpp"
#include "analysis/compare.hpp"
#include "cli/common.hpp"
#include "measure/measure.hpp"
#include "scenario/load.hpp"
#include "scenario/profile_file.hpp"
#include "scenario/units.hpp"
#include "text/format.hpp"
#include "views/measured.hpp"

namespace tcpsim::cli {

namespace {

// The bounds of the options: one clear line when a value is outside them.
constexpr int64_t kMinQuietNs = 1'000'000;
constexpr int64_t kMaxQuietNs = 600'000'000'000;
constexpr int64_t kMinTimeoutNs = 1'000'000;
constexpr int64_t kMaxTimeoutNs = 3600'000'000'000;
// calibrate's runs have measure's default time limit (60 s): a stall must show well within it.
constexpr int64_t kMaxCalibrateQuietNs = 30'000'000'000;

// A duration option, which takes its unit: in scenario files a bare number is nanoseconds,
// but on the command line "--quiet 2" is far likelier to mean seconds, so it is refused.
int64_t duration_option(const std::string& option, const std::string& text, int64_t min_ns, int64_t max_ns) {
    const auto refuse = [&] {
        return UsageError(option + ": expected a duration with its unit (ns, us, ms, s, min, h) from " +
                          text::format_duration(min_ns) + " to " + text::format_duration(max_ns) +
                          ", such as 2s or 500ms, found \"" + text + "\"");
    };
    if (text.find_first_not_of("0123456789") == std::string::npos) throw refuse();
    int64_t ns = 0;
    try {
        ns = scenario::parse_duration_ns(nlohmann::ordered_json(text), option);
    } catch (const scenario::InputError&) {
        throw refuse();
    }
    if (ns < min_ns || ns > max_ns) throw refuse();
    return ns;
}

// An integer option's bounds, checked before CLI11 converts it, so that "1.5" or "abc" is
// not said to be "not in range".
CLI::Validator integer_in(int64_t lo, int64_t hi) {
    const std::string range = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    return CLI::Validator(
        [lo, hi, range](std::string& text) -> std::string {
            int64_t value = 0;
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (error == std::errc() && end == text.data() + text.size() && value >= lo && value <= hi) return "";
            return "expected " + range + ", found \"" + text + "\"";
        },
        "INT in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

// An output file must open for writing before minutes of measuring, not after. Opened to
// append, it is left as it was (and removed again if it did not exist).
void require_writable(const std::string& option, const std::string& path) {
    const bool existed = access(path.c_str(), F_OK) == 0;
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw UsageError(option + " " + path + ": cannot open for writing (" + std::strerror(errno) + ")");
    close(fd);
    if (!existed) unlink(path.c_str());
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
    std::string profile_path;
};

measure::Options measure_options(const MeasureArgs& a) {
    measure::Options opt;
    opt.quiet_ns = duration_option("--quiet", a.quiet, kMinQuietNs, kMaxQuietNs);
    opt.timeout_ns = duration_option("--timeout", a.timeout, kMinTimeoutNs, kMaxTimeoutNs);
    opt.port = a.port;
    opt.network = a.network == "veth" ? measure::Network::veth : measure::Network::loopback;
    return opt;
}

std::vector<measure::Measurement> measure_runs(const model::Scenario& s, const MeasureArgs& a) {
    const measure::Options opt = measure_options(a);
    std::vector<measure::Measurement> runs;
    runs.reserve(static_cast<size_t>(a.repeat));
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
    if (!a.profile_path.empty()) scenario::load_profile_file(a.profile_path);  // a bad file, before measuring
    std::vector<measure::Measurement> runs = measure_runs(s, a);
    // The linux column simulates the link measured on, with the profile calibrated nearest it.
    const std::string profile_path = a.profile_path.empty() ? loaded.profile_path : a.profile_path;
    const int64_t measured_mss = runs.at(0).links[0].mss_bytes;
    const core::ProfileParams linux_params = scenario::params_for(model::Profile::linux, profile_path, measured_mss);
    analysis::Comparison c = analysis::compare(s, params_of(loaded, a.profile_path), linux_params, std::move(runs));
    if (profile_path.empty()) {
        std::string note = "the linux column runs with the built-in profile calibrated on " +
                           scenario::builtin_linux_profile_name(measured_mss);
        const std::string own = scenario::builtin_linux_profile_name(scenario::profile_mss(s));
        if (s.profile == model::Profile::linux && own != scenario::builtin_linux_profile_name(measured_mss))
            note += ", the " + c.own_column + " column with the one calibrated on " + own + ", nearest the scenario's MSS";
        c.notes.push_back(note);
    }
    const measure::KernelInfo info = measure::kernel_info();
    if (a.format == "json") std::cout << views::comparison_json(c, info).dump(2) << "\n";
    else std::cout << views::comparison_text(c, info);
    return kExitOk;
}

struct CalibrateArgs {
    std::string out;  // default linux-profile.json, and no file when evaluating a --profile
    std::string data_out;
    std::vector<std::string> from;  // saved sessions to pool; none: measure
    int repeat = 3;
    std::string quiet = "1500ms";
    std::string network = "loopback";
    int cells = 0;
    std::string profile;  // evaluate this profile instead of fitting one
    bool agreement = false;  // compare the --from sessions with each other instead
    std::vector<std::string> measuring_options;  // those given that say how to measure (--repeat, ...)
};

std::vector<analysis::CellData> measure_grid(const CalibrateArgs& a) {
    measure::Options opt;
    opt.quiet_ns = duration_option("--quiet", a.quiet, kMinQuietNs, kMaxCalibrateQuietNs);
    opt.network = a.network == "veth" ? measure::Network::veth : measure::Network::loopback;
    // Linux's MSS on a veth with MTU 1500 and timestamps is 1448; loopback's is 65483.
    std::vector<analysis::Cell> grid = analysis::calibration_grid(a.network == "veth" ? 1448 : measure::kLoopbackMssBytes);
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

// `--agreement`: the kernel against itself, session by session, in place of a fit.
int print_agreement(const analysis::Sessions& sessions) {
    if (sessions.data.size() < 2) throw UsageError("--agreement: expected two or more sessions in --from, found one");
    std::cout << views::agreement_text(analysis::session_agreement(sessions.data), sessions.paths);
    return kExitOk;
}

int cmd_calibrate(const CalibrateArgs& args) {
    CalibrateArgs a = args;
    if (!a.from.empty() && !a.measuring_options.empty())
        throw UsageError(a.measuring_options.front() + ": only when calibrate measures; with --from it fits saved sessions");
    if (a.agreement && a.from.empty()) throw UsageError("--agreement: expected the sessions to compare in --from, found none");
    if (a.out.empty() && (a.profile.empty() || a.from.empty())) a.out = "linux-profile.json";
    measure::KernelInfo info = measure::kernel_info();
    std::vector<analysis::CellData> data;
    if (!a.from.empty()) {
        const analysis::Sessions sessions = analysis::load_sessions(a.from);
        if (a.agreement) return print_agreement(sessions);
        data = analysis::pool_sessions(sessions.data);
        info = sessions.kernel;
    } else {
        const std::string data_path = a.data_out.empty() ? a.out + ".data.json" : a.data_out;
        require_writable("--out", a.out);
        require_writable("--data", data_path);
        data = measure_grid(a);
        open_output(data_path) << nlohmann::ordered_json{{"kernel", views::kernel_json(info)},
                                                         {"cells", analysis::data_json(data)}}.dump(1) << "\n";
        std::cerr << "calibrate: raw measurements saved to " << data_path << "\n";
    }
    // The refit starts from the built-in profile calibrated at the cells' MSS (one MSS per fit).
    const int64_t mss_bytes = data.empty() ? measure::kLoopbackMssBytes : data.front().cell.mss_bytes;
    const core::ProfileParams base = analysis::with_recorded_clamps(scenario::builtin_linux_params(mss_bytes), info);
    analysis::FitReport fit = analysis::fit_profile(data, base);
    if (!a.profile.empty()) fit.params = scenario::load_profile_file(a.profile);
    const std::vector<analysis::CellScore> scores = analysis::evaluate(data, fit.params);
    std::cout << views::calibration_text(fit, scores);
    if (a.out.empty()) return kExitOk;  // an evaluation of a given profile on saved data
    open_output(a.out) << views::calibration_json(fit, scores, info).dump(2) << "\n";
    std::cout << "profile written to " << a.out << "\n";
    return kExitOk;
}

}  // namespace

void add_measurement_commands(CLI::App& app, Commands& commands) {
    auto measure_args = std::make_shared<MeasureArgs>();
    CLI::App* measure_cmd = app.add_subcommand("measure", "Run a scenario on real Linux sockets and measure where it stalls");
    const auto add_measure_options = [](CLI::App* cmd, MeasureArgs& a) {
        cmd->add_option("file", a.file, "Scenario file")->required();
        cmd->add_option("--repeat", a.repeat, "Runs to make (the median is reported)")->check(integer_in(1, 100));
        cmd->add_option("--format", a.format, "Output format")->check(CLI::IsMember({"text", "json"}));
        cmd->add_option("--set", a.sets, "Override a field: path=value");
        cmd->add_option("--quiet", a.quiet, "No progress for this long is a stall (default 2s; 1ms to 10min)");
        cmd->add_option("--timeout", a.timeout, "A run neither stalled nor done by then ends as `limit` (default 60s; 1ms to 1h)");
        cmd->add_option("--port", a.port, "Listening port (default 0: any free port)")->check(integer_in(0, 65535));
        cmd->add_option("--net", a.network, "loopback, or veth: two network namespaces with MTU = mss + 52")
            ->check(CLI::IsMember({"loopback", "veth"}));
    };
    add_measure_options(measure_cmd, *measure_args);
    commands.emplace_back(measure_cmd, [measure_args] { return cmd_measure(*measure_args); });
    auto compare_args = std::make_shared<MeasureArgs>();
    CLI::App* compare_cmd = app.add_subcommand("compare", "Predict (own profile and linux) and measure; one table");
    add_measure_options(compare_cmd, *compare_args);
    compare_cmd->add_option("--profile", compare_args->profile_path,
                            "linux profile file (default: the built-in one calibrated nearest the link's MSS)");
    commands.emplace_back(compare_cmd, [compare_args] { return cmd_compare(*compare_args); });

    auto calibrate_args = std::make_shared<CalibrateArgs>();
    CLI::App* calibrate_cmd = app.add_subcommand("calibrate", "Measure a grid on this machine and fit the linux profile");
    calibrate_cmd->add_option("--out", calibrate_args->out, "Profile file to write (default linux-profile.json; none when --from and --profile evaluate a profile)");
    // These say how to measure, so they have no place beside --from.
    CLI::Option* data_opt =
        calibrate_cmd->add_option("--data", calibrate_args->data_out, "Where to save the raw measurements (default OUT.data.json)");
    CLI::Option* repeat_opt =
        calibrate_cmd->add_option("--repeat", calibrate_args->repeat, "Runs per cell (default 3)")->check(integer_in(1, 20));
    CLI::Option* quiet_opt = calibrate_cmd->add_option("--quiet", calibrate_args->quiet, "Stall detection quiet period (default 1500ms; 1ms to 30s)");
    CLI::Option* net_opt = calibrate_cmd->add_option("--net", calibrate_args->network, "loopback (MSS 65483) or veth (MTU 1500, MSS 1448)")
        ->check(CLI::IsMember({"loopback", "veth"}));
    const auto grid_cells = static_cast<int64_t>(analysis::calibration_grid(measure::kLoopbackMssBytes).size());
    CLI::Option* cells_opt = calibrate_cmd->add_option("--cells", calibrate_args->cells, "Measure only the first N cells of the grid")
        ->check(integer_in(1, grid_cells));
    calibrate_cmd->add_option("--from", calibrate_args->from,
                              "Fit saved measurements instead of measuring; several files (sessions) pool their runs per cell");
    calibrate_cmd->add_option("--profile", calibrate_args->profile, "Evaluate this profile on the data instead of fitting one");
    calibrate_cmd->add_flag("--agreement", calibrate_args->agreement,
                            "How far the --from sessions agree with each other (the ceiling for any prediction); no fit");
    const std::vector<CLI::Option*> measuring = {data_opt, repeat_opt, quiet_opt, net_opt, cells_opt};
    commands.emplace_back(calibrate_cmd, [calibrate_args, measuring] {
        for (const CLI::Option* option : measuring)
            if (option->count() > 0) calibrate_args->measuring_options.push_back(option->get_name());
        return cmd_calibrate(*calibrate_args);
    });

}

}  // namespace tcpsim::cli
