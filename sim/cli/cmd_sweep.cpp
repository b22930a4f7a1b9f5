// sweep, threshold, merge: parameter studies over many runs.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "analysis/sweep.hpp"
#include "analysis/threshold.hpp"
#include "cli/common.hpp"
#include "text/format.hpp"
#include "views/sweep_out.hpp"

namespace tcpsim::cli {

namespace {

struct SweepArgs {
    std::string file;
    std::vector<std::string> vary;
    std::vector<std::string> sets;
    int jobs = 0;  // 0: all cores
    std::string out;
    std::string heatmap;
    std::string shard;
    std::string profile;
};

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UsageError(path + ": cannot open file");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

analysis::Sweep make_sweep(const std::string& file, const std::vector<std::string>& vary,
                           const std::vector<std::string>& sets, const std::string& profile) {
    // Loading once checks the file and the base --set values, and gives the document.
    const scenario::Loaded base = scenario::load_file(file, sets);
    std::vector<analysis::Axis> axes;
    for (const std::string& v : vary) axes.push_back(analysis::parse_axis(v));
    return analysis::Sweep(base.document, file, {}, std::move(axes), profile);
}

// "I/N" with 1 <= I <= N.
std::pair<int, int> parse_shard(const std::string& text) {
    int i = 0, n = 0;
    char slash = 0;
    std::istringstream in(text);
    if (!(in >> i >> slash >> n) || slash != '/' || n < 1 || i < 1 || i > n || !in.eof())
        throw UsageError("--shard " + text + ": expected I/N with 1 <= I <= N, e.g. 2/8");
    return {i, n};
}

// A progress bar with rate and time left, only when stderr is a terminal.
std::function<void(int64_t, int64_t)> progress_bar() {
    if (!isatty(STDERR_FILENO)) return {};
    const auto start = std::chrono::steady_clock::now();
    return [start](int64_t done, int64_t total) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
        const double left = rate > 0 ? static_cast<double>(total - done) / rate : 0;
        const int filled = total > 0 ? static_cast<int>(30 * done / total) : 30;
        std::fprintf(stderr, "\r[%s%s] %lld/%lld points, %.0f/s, %.0f s left ", std::string(filled, '#').c_str(),
                     std::string(30 - filled, '.').c_str(), static_cast<long long>(done),
                     static_cast<long long>(total), rate, left);
        if (done == total) std::fprintf(stderr, "\n");
    };
}

void print_summary(const std::vector<analysis::SweepRow>& rows) {
    int64_t deadlocks = 0, completed = 0, limits = 0, ruled = 0, disagree = 0;
    const analysis::SweepRow* first_mismatch = nullptr;
    for (const analysis::SweepRow& r : rows) {
        deadlocks += r.result.outcome == core::Outcome::deadlock;
        completed += r.result.outcome == core::Outcome::completed;
        limits += r.result.outcome == core::Outcome::limit;
        if (!r.rule) continue;
        ++ruled;
        if (r.rule_agrees()) continue;
        ++disagree;
        if (!first_mismatch) first_mismatch = &r;
    }
    std::cerr << "sweep: " << rows.size() << " points: " << deadlocks << " deadlock, " << completed << " completed, "
              << limits << " limit";
    if (ruled > 0) std::cerr << "; the rule applies at " << ruled << " and the simulation agrees at " << ruled - disagree;
    std::cerr << "\n";
    if (first_mismatch)
        std::cerr << "sweep: MISMATCH with the rule at point " << first_mismatch->point << " (" << first_mismatch->rule->explanation
                  << "; simulated " << core::to_string(first_mismatch->result.outcome) << ")\n";
}

int cmd_sweep(const SweepArgs& a) {
    const analysis::Sweep sweep = make_sweep(a.file, a.vary, a.sets, a.profile);
    int64_t begin = 0, end = sweep.size();
    if (!a.shard.empty()) {
        if (!a.heatmap.empty()) throw UsageError("--heatmap needs the whole sweep: draw it from a merged run");
        const auto [i, n] = parse_shard(a.shard);
        std::tie(begin, end) = analysis::shard_range(sweep.size(), i, n);
    }
    if (!a.heatmap.empty() && sweep.axes().size() != 2) throw UsageError("--heatmap needs exactly two --vary axes");
    const int jobs = a.jobs > 0 ? a.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const std::vector<analysis::SweepRow> rows = analysis::run_points(sweep, begin, end, jobs, progress_bar());
    const views::SweepFormat format = views::sweep_format_for(a.out);
    std::ofstream file;
    if (!a.out.empty()) file = open_output(a.out);
    std::ostream& out = a.out.empty() ? std::cout : file;
    // The header comes from the sweep's first point, so every shard writes the same one.
    out << views::sweep_header(sweep, sweep.run(0), format);
    for (const analysis::SweepRow& row : rows) out << views::sweep_line(row, format);
    if (!a.heatmap.empty())
        open_output(a.heatmap) << views::heatmap_svg(sweep, rows, rows.empty() ? "" : rows[0].result.scenario);
    print_summary(rows);
    return kExitOk;
}

struct ThresholdArgs {
    std::string file;
    std::string vary;
    std::vector<std::string> sets;
    std::string lo = "1";
    std::string hi = "1MiB";
    int samples = 33;
    std::string profile;
};

std::string row_summary(const analysis::SweepRow& row) {
    const core::Result& r = row.result;
    std::string s = std::string(core::to_string(r.outcome)) + " at " + text::format_duration(r.time_ns);
    for (const core::ThreadReport& t : r.threads) {
        s += "; " + t.endpoint + "." + t.name + " wrote " + std::to_string(t.bytes_written);
        if (t.blocked_in) s += ", blocked in " + t.blocked_in->op + "(" + std::to_string(t.blocked_in->requested) + ")";
    }
    return s;
}

int cmd_threshold(const ThresholdArgs& a) {
    const int64_t lo = analysis::parse_size_argument(a.lo, "--lo");
    const int64_t hi = analysis::parse_size_argument(a.hi, "--hi");
    if (hi <= lo) throw UsageError("--hi must be above --lo");
    // One axis with the low value; the search supplies the rest.
    const analysis::Sweep sweep = make_sweep(a.file, {a.vary + "=" + std::to_string(lo)}, a.sets, a.profile);
    const analysis::ThresholdReport r = analysis::find_threshold(sweep, lo, hi, a.samples);
    std::cout << "threshold of " << a.vary << " in [" << lo << ", " << hi << "] (" << r.samples
              << " samples, every change located by bisection):\n";
    if (!r.monotone) {
        std::cout << "  NOT monotone: the outcome changes more than once, so there is no single threshold.\n";
        for (const analysis::Interval& iv : r.intervals)
            std::cout << "    [" << iv.from << ", " << iv.to << "]: " << (iv.deadlock ? "deadlock" : "completed") << "\n";
    } else if (!r.threshold) {
        std::cout << "  no deadlock anywhere in the interval\n";
    } else {
        std::cout << "  deadlocks from " << *r.threshold << " on" << (r.below ? "" : " (already at --lo)") << "\n";
        if (r.below) std::cout << "  just below, " << *r.threshold - 1 << ": " << row_summary(*r.below) << "\n";
        std::cout << "  at the threshold, " << *r.threshold << ": " << row_summary(*r.above) << "\n";
    }
    if (r.rule_applies) {
        const analysis::SweepRow at = sweep.run_values({std::to_string(r.threshold.value_or(lo))});
        std::cout << "  rule (" << at.rule->shape << "): " << at.rule->explanation << "\n";
        std::cout << "  rule's threshold: " << (r.rule_threshold ? std::to_string(*r.rule_threshold) : "none in the interval")
                  << (r.rule_threshold == r.threshold ? ": the simulation agrees" : ": MISMATCH with the simulation") << "\n";
    } else {
        std::cout << "  the closed-form rule does not cover this scenario's shape\n";
    }
    return kExitOk;
}

int cmd_merge(const std::string& out_path, const std::vector<std::string>& inputs) {
    std::vector<std::string> texts;
    for (const std::string& in : inputs) texts.push_back(read_text(in));
    std::string merged;
    try {
        merged = views::merge_shards(texts, inputs);
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("merge: ") + e.what());
    }
    open_output(out_path) << merged;
    return kExitOk;
}

}  // namespace

void add_sweep_commands(CLI::App& app, Commands& commands) {
    auto sa = std::make_shared<SweepArgs>();
    CLI::App* sweep = app.add_subcommand("sweep", "Run a scenario over the cross product of parameter ranges");
    sweep->add_option("file", sa->file, "Scenario file")->required();
    sweep->add_option("--vary", sa->vary, "PATH=SPEC: a list a,b,c, a range lo:hi:step or lo:hi:xFACTOR")->required();
    sweep->add_option("--set", sa->sets, "Override a field at every point: path=value");
    sweep->add_option("--jobs", sa->jobs, "Parallel runs (default: all cores)")->check(CLI::Range(1, 256));
    sweep->add_option("--out", sa->out, "Write rows to FILE.csv or FILE.jsonl (default: CSV on stdout)");
    sweep->add_option("--heatmap", sa->heatmap, "Draw the outcome grid of two axes as SVG");
    sweep->add_option("--shard", sa->shard, "Run only slice I of N (1-based), for spreading over hosts");
    sweep->add_option("--profile", sa->profile, "linux profile file");
    commands.emplace_back(sweep, [sa] { return cmd_sweep(*sa); });

    auto ta = std::make_shared<ThresholdArgs>();
    CLI::App* threshold = app.add_subcommand("threshold", "Find the smallest value of a parameter that deadlocks");
    threshold->add_option("file", ta->file, "Scenario file")->required();
    threshold->add_option("--vary", ta->vary, "The parameter's path, e.g. endpoints.client.threads.main.0.write")->required();
    threshold->add_option("--lo", ta->lo, "Lower end (default 1)");
    threshold->add_option("--hi", ta->hi, "Upper end (default 1MiB)");
    threshold->add_option("--samples", ta->samples, "Values sampled to check monotonicity (default 33)")
        ->check(CLI::Range(2, 100000));
    threshold->add_option("--set", ta->sets, "Override a field: path=value");
    threshold->add_option("--profile", ta->profile, "linux profile file");
    commands.emplace_back(threshold, [ta] { return cmd_threshold(*ta); });

    auto merge_out = std::make_shared<std::string>();
    auto merge_in = std::make_shared<std::vector<std::string>>();
    CLI::App* merge = app.add_subcommand("merge", "Join sweep shard outputs into the file one run would write");
    merge->add_option("out", *merge_out, "Output file")->required();
    merge->add_option("shards", *merge_in, "Shard output files")->required();
    commands.emplace_back(merge, [merge_out, merge_in] { return cmd_merge(*merge_out, *merge_in); });
}

}  // namespace tcpsim::cli
