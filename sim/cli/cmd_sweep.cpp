// sweep, threshold, merge, heatmap: parameter studies over many runs.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
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

std::string plural(int64_t n, const std::string& noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); }

int jobs_or_cores(int jobs) {
    return jobs > 0 ? jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// A written file that could not be written in full is an error, not a short file.
void finish_output(std::ostream& out, const std::string& path) {
    out.flush();
    if (!out) throw UsageError(path + ": cannot write (disk full?)");
}

views::SweepFormat format_of_output(const std::string& path, const std::string& option) {
    const std::optional<views::SweepFormat> format = views::sweep_format_for(path);
    if (!format) throw UsageError(option + " " + path + ": expected a file name ending in .csv or .jsonl");
    return *format;
}

struct SweepArgs {
    std::string file;
    std::vector<std::string> vary;
    std::vector<std::string> zip;  // one axis: these paths take their values together
    std::vector<std::string> sets;
    int jobs = 0;  // 0: all cores
    std::string out;
    std::string heatmap;
    std::string shard;
    std::string profile;
};

// The --vary axes, then the --zip group; parameters are named by the scenario's document.
std::vector<analysis::Axis> parse_axes(const SweepArgs& a, const nlohmann::ordered_json& document) {
    if (a.vary.empty() && a.zip.empty()) throw UsageError("sweep needs at least one --vary or --zip");
    std::vector<analysis::Axis> axes;
    for (const std::string& v : a.vary) axes.push_back(analysis::Axis::parse(v, &document));
    for (const std::string& z : a.zip) {
        axes.push_back(analysis::Axis::parse(z, &document, "--zip"));
        if (&z != &a.zip.front()) axes.back().zip_with_previous();
    }
    return axes;
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
analysis::Progress progress_bar() {
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

// Counts kept while rows stream past, for the line on stderr at the end.
struct SweepSummary {
    int64_t points = 0, deadlocks = 0, completed = 0, limits = 0, ruled = 0, disagree = 0;
    std::optional<analysis::SweepRow> first_mismatch;

    void add(const analysis::SweepRow& r) {
        ++points;
        deadlocks += r.result.outcome == core::Outcome::deadlock;
        completed += r.result.outcome == core::Outcome::completed;
        limits += r.result.outcome == core::Outcome::limit;
        if (!r.rule) return;
        ++ruled;
        if (r.rule_agrees()) return;
        ++disagree;
        if (!first_mismatch) first_mismatch = r;
    }

    void print(const std::string& what) const {
        std::cerr << what << ": " << plural(points, "point") << ": " << deadlocks << " deadlock, " << completed
                  << " completed, " << limits << " limit";
        if (ruled > 0) std::cerr << "; the rule applies at " << ruled << " and the simulation agrees at " << ruled - disagree;
        std::cerr << "\n";
        if (first_mismatch)
            std::cerr << what << ": MISMATCH with the rule at point " << first_mismatch->point << " ("
                      << first_mismatch->rule->explanation << "; simulated "
                      << core::to_string(first_mismatch->result.outcome) << ")\n";
    }
};

int cmd_sweep(const SweepArgs& a) {
    // Every argument is checked before the first run.
    const views::SweepFormat format = a.out.empty() ? views::SweepFormat::csv : format_of_output(a.out, "--out");
    const auto [shard, shards] = a.shard.empty() ? std::pair{1, 1} : parse_shard(a.shard);
    if (!a.heatmap.empty() && shards > 1)
        throw UsageError("--heatmap needs the whole sweep: draw it from the shards with tcpsim merge OUT SHARD... --heatmap " +
                         a.heatmap);
    // Loading once checks the file and the base --set values, and gives the document.
    const scenario::Loaded base = scenario::load_file(a.file, a.sets);
    std::vector<analysis::Axis> axes = parse_axes(a, base.document);
    if (!a.heatmap.empty() && (a.vary.size() != 2 || !a.zip.empty()))
        throw UsageError("--heatmap needs exactly two --vary axes (and no --zip)");
    const analysis::Sweep sweep(base.document, a.file, std::move(axes), a.profile);
    const auto [begin, end] = analysis::shard_range(sweep.size(), shard, shards);

    std::ofstream file, svg;
    if (!a.out.empty()) file = open_output(a.out);
    if (!a.heatmap.empty()) svg = open_output(a.heatmap);
    std::ostream& out = a.out.empty() ? std::cout : file;
    views::SweepWriter writer(out, sweep, format, shard, shards);
    std::optional<views::Heatmap> heatmap;
    if (!a.heatmap.empty()) heatmap.emplace(writer.meta());
    SweepSummary summary;
    analysis::run_points(sweep, begin, end, jobs_or_cores(a.jobs), [&](analysis::SweepRow&& row) {
        writer.add(row);
        if (heatmap) heatmap->add(views::heatmap_point(row));
        summary.add(row);
    }, progress_bar());
    finish_output(out, a.out.empty() ? "stdout" : a.out);
    if (heatmap) {
        heatmap->write_svg(svg);
        finish_output(svg, a.heatmap);
    }
    summary.print(shards > 1 ? "sweep, shard " + a.shard : "sweep");
    return kExitOk;
}

struct ThresholdArgs {
    std::string file;
    std::string vary;
    std::vector<std::string> sets;
    std::string lo = "1";
    std::string hi;  // by the field's kind when empty
    int64_t samples = 33;
    int jobs = 0;
    std::string profile;
};

// --hi when none is given: a generous top for each kind of field.
std::string default_hi(analysis::FieldKind kind) {
    switch (kind) {
        case analysis::FieldKind::duration: return "1s";
        case analysis::FieldKind::bandwidth: return "10Gbps";
        case analysis::FieldKind::count: return "1000000";
        default: return "1MiB";
    }
}

std::string row_summary(const analysis::SweepRow& row) {
    const core::Result& r = row.result;
    std::string s = std::string(core::to_string(r.outcome)) + " at " + text::format_duration(r.time_ns);
    for (const core::ThreadReport& t : r.threads) {
        s += "; " + t.endpoint + "." + t.name + " wrote " + std::to_string(t.bytes_written);
        if (t.blocked_in) s += ", blocked in " + std::string(model::op_name(t.blocked_in->op)) + "(" + std::to_string(t.blocked_in->requested) + ")";
    }
    return s;
}

constexpr size_t kMaxListedIntervals = 20;

std::string span_text(int64_t from, int64_t to) {
    return "[" + std::to_string(from) + ", " + std::to_string(to) + "]";
}

const char* outcome_word(bool deadlock) { return deadlock ? "deadlock" : "completed"; }

void print_intervals(const std::vector<analysis::Interval>& intervals) {
    for (size_t i = 0; i < intervals.size() && i < kMaxListedIntervals; ++i)
        std::cout << "    " << span_text(intervals[i].from, intervals[i].to) << ": " << outcome_word(intervals[i].deadlock) << "\n";
    if (intervals.size() > kMaxListedIntervals)
        std::cout << "    ... and " << intervals.size() - kMaxListedIntervals << " more\n";
}

void print_rule_comparison(const analysis::ThresholdReport& r) {
    if (r.rule_runs == 0) {
        std::cout << "  the closed-form rule does not cover this scenario's shape\n";
        return;
    }
    if (r.rule_at) std::cout << "  rule (" << r.rule_at->shape << "): " << r.rule_at->explanation << "\n";
    const std::string values = plural(r.runs, "value") + " run";
    if (r.rule_runs < r.runs)
        std::cout << "  the rule covers " << r.rule_runs << " of the " << values << " (elsewhere the shape is not one it covers)\n";
    if (r.rule_threshold) std::cout << "  rule's threshold: " << *r.rule_threshold << "\n";
    if (r.rule_disagreements == 0) {
        std::cout << "  the rule and the simulation agree at " << (r.rule_runs == r.runs ? "all " : "each of the ")
                  << plural(r.rule_runs, "value") << (r.rule_runs == r.runs ? " run" : " it covers") << "\n";
        return;
    }
    std::cout << "  MISMATCH: the rule and the simulation disagree at " << r.rule_disagreements << " of the "
              << plural(r.rule_runs, "value") << " run where the rule applies:\n";
    const std::vector<analysis::Stretch> where = r.disagreements();
    for (size_t i = 0; i < where.size() && i < kMaxListedIntervals; ++i) {
        const analysis::Verdicts& v = where[i].verdicts;
        std::cout << "    " << span_text(where[i].from, where[i].to) << ": ";
        if ((v.rule == 1) != v.deadlock) std::cout << "rule " << outcome_word(v.rule == 1) << ", simulated " << outcome_word(v.deadlock) << "\n";
        else std::cout << "both deadlock, but the writer's bytes at the stall differ from the rule's\n";
    }
    if (where.size() > kMaxListedIntervals) std::cout << "    ... and " << where.size() - kMaxListedIntervals << " more\n";
}

int cmd_threshold(const ThresholdArgs& a) {
    const scenario::Loaded base = scenario::load_file(a.file, a.sets);
    const analysis::PathSegments path = analysis::path_segments(a.vary, "--vary " + a.vary, base.document);
    const analysis::FieldKind kind = analysis::field_kind(path, base.document);
    if (kind == analysis::FieldKind::other) {
        const bool parameter = path.size() == 2 && path[0] == "params";
        throw UsageError("--vary " + a.vary + ": threshold needs a size, duration, bandwidth or count field" +
                         (parameter ? " (a parameter has the kind of the fields that use it, if they all have one)" : ""));
    }
    const int64_t lo = analysis::parse_quantity(kind, a.lo, "--lo");
    const int64_t hi = analysis::parse_quantity(kind, a.hi.empty() ? default_hi(kind) : a.hi, "--hi");
    if (hi <= lo) throw UsageError("--hi must be above --lo");
    // One axis with the low value, which checks the path; the search supplies the rest.
    const analysis::Sweep sweep(base.document, a.file, {analysis::Axis::integers(a.vary, lo, lo, &base.document)}, a.profile);
    const analysis::ThresholdReport r = analysis::find_threshold(sweep, lo, hi, a.samples, jobs_or_cores(a.jobs));
    const std::string unit = analysis::unit_of(kind);
    std::cout << "threshold of " << a.vary << (unit.empty() ? "" : " (" + unit + ")") << " in " << span_text(lo, hi) << ": ";
    if (r.exhaustive) {
        std::cout << "all " << plural(r.samples, "value") << " run, so every change is exact\n";
    } else {
        std::cout << r.samples << " samples about " << (hi - lo) / (r.samples - 1) << (unit.empty() ? "" : " " + unit)
                  << " apart, each change between neighbours located by bisection (" << plural(r.runs, "run")
                  << "); a change and back between two samples would be missed (--samples raises the density)\n";
    }
    if (!r.monotone) {
        std::cout << "  NOT monotone: the outcome changes " << plural(static_cast<int64_t>(r.intervals.size()) - 1, "time")
                  << ", so there is no single threshold:\n";
        print_intervals(r.intervals);
    } else if (!r.threshold) {
        std::cout << "  no deadlock anywhere in the interval\n";
    } else {
        std::cout << "  deadlocks from " << *r.threshold << " on" << (r.below ? "" : " (already at --lo)") << "\n";
        if (r.below) std::cout << "  just below, " << *r.threshold - 1 << ": " << row_summary(*r.below) << "\n";
        std::cout << "  at the threshold, " << *r.threshold << ": " << row_summary(*r.above) << "\n";
    }
    print_rule_comparison(r);
    return kExitOk;
}

// The shards (or one saved result), checked to be one whole sweep.
std::vector<views::ShardFile> read_shards(const std::vector<std::string>& inputs, const std::string& command) {
    try {
        return views::check_shards(inputs);
    } catch (const std::invalid_argument& e) {
        throw UsageError(command + ": " + e.what());
    }
}

void draw_heatmap(const std::vector<views::ShardFile>& shards, const std::string& svg_path, const std::string& command) {
    const views::SweepMeta meta = views::whole(shards.front().meta);
    if (meta.axes.size() != 2)
        throw UsageError(command + ": a heatmap needs a sweep of exactly two axes; this one has " +
                         std::to_string(meta.axes.size()));
    if (meta.axes[1].zipped) throw UsageError(command + ": a heatmap needs two crossed axes; these two are zipped");
    views::Heatmap heatmap(meta);
    try {
        views::for_each_row(shards, true, [&](const std::string&, const views::HeatmapPoint* p) { heatmap.add(*p); });
    } catch (const std::invalid_argument& e) {
        throw UsageError(command + ": " + e.what());
    }
    std::ofstream svg = open_output(svg_path);
    heatmap.write_svg(svg);
    finish_output(svg, svg_path);
}

bool same_file(const std::string& a, const std::string& b) {
    std::error_code error;
    return std::filesystem::equivalent(a, b, error);
}

int cmd_merge(const std::string& out_path, const std::vector<std::string>& inputs, const std::string& heatmap) {
    for (const std::string& in : inputs)
        if (same_file(in, out_path)) throw UsageError("merge: the output " + out_path + " is also an input");
    const std::vector<views::ShardFile> shards = read_shards(inputs, "merge");
    const views::SweepFormat format = format_of_output(out_path, "merge:");
    if (format != shards.front().format)
        throw UsageError("merge: " + out_path + ": the shards are " + (format == views::SweepFormat::csv ? "JSON Lines" : "CSV") +
                         "; name the output ." + (format == views::SweepFormat::csv ? "jsonl" : "csv"));
    // A first pass checks every row, so a broken shard leaves no half-merged file behind.
    try {
        views::for_each_row(shards, false, [](const std::string&, const views::HeatmapPoint*) {});
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("merge: ") + e.what());
    }
    std::ofstream out = open_output(out_path);
    out << views::meta_line(views::whole(shards.front().meta), format);
    if (format == views::SweepFormat::csv) out << shards.front().header << "\n";
    try {
        views::for_each_row(shards, false, [&](const std::string& line, const views::HeatmapPoint*) { out << line << "\n"; });
    } catch (const std::invalid_argument& e) {  // a shard changed since the first pass
        throw UsageError(std::string("merge: ") + e.what());
    }
    finish_output(out, out_path);
    if (!heatmap.empty()) draw_heatmap(shards, heatmap, "merge");
    return kExitOk;
}

}  // namespace

void add_sweep_commands(CLI::App& app, Commands& commands) {
    auto sa = std::make_shared<SweepArgs>();
    CLI::App* sweep = app.add_subcommand("sweep", "Run a scenario over the cross product of parameter ranges");
    sweep->add_option("file", sa->file, "Scenario file")->required();
    sweep->add_option("--vary", sa->vary,
                      "PATH=SPEC: a list a,b,c, a range lo:hi:step or lo:hi:xFACTOR, in the field's unit; PATH may be a parameter's name");
    sweep->add_option("--zip", sa->zip,
                      "PATH=SPEC varied together with every other --zip (point i takes value i of each; equal lengths), as one more axis after the --vary axes");
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
    threshold->add_option("--vary", ta->vary, "The field's path, e.g. endpoints.client.threads.main.0.write, or a parameter's name")->required();
    threshold->add_option("--lo", ta->lo, "Lower end, in the field's unit (default 1)");
    threshold->add_option("--hi", ta->hi, "Upper end (default 1MiB, 1s, 10Gbps or 1000000 by the field's kind)");
    threshold->add_option("--samples", ta->samples,
                          "Evenly spaced values to run where the interval holds more than 100,000 and more than N values (default 33); a smaller interval runs whole")
        ->check(CLI::Range(int64_t{2}, analysis::kMaxSweepPoints));
    threshold->add_option("--jobs", ta->jobs, "Parallel runs (default: all cores)")->check(CLI::Range(1, 256));
    threshold->add_option("--set", ta->sets, "Override a field: path=value");
    threshold->add_option("--profile", ta->profile, "linux profile file");
    commands.emplace_back(threshold, [ta] { return cmd_threshold(*ta); });

    auto merge_out = std::make_shared<std::string>();
    auto merge_in = std::make_shared<std::vector<std::string>>();
    auto merge_heatmap = std::make_shared<std::string>();
    CLI::App* merge = app.add_subcommand("merge", "Join sweep shard outputs into the file one run would write");
    merge->add_option("out", *merge_out, "Output file (.csv or .jsonl, as the shards)")->required();
    merge->add_option("shards", *merge_in, "Shard output files, in any order")->required();
    merge->add_option("--heatmap", *merge_heatmap, "Also draw the two-axis heatmap as SVG");
    commands.emplace_back(merge, [merge_out, merge_in, merge_heatmap] { return cmd_merge(*merge_out, *merge_in, *merge_heatmap); });

    auto map_out = std::make_shared<std::string>();
    auto map_in = std::make_shared<std::vector<std::string>>();
    CLI::App* heatmap = app.add_subcommand("heatmap", "Draw a saved two-axis sweep (one file, or all its shards) as SVG");
    heatmap->add_option("svg", *map_out, "Output SVG file")->required();
    heatmap->add_option("results", *map_in, "The sweep's output file, or all of its shard files")->required();
    commands.emplace_back(heatmap, [map_out, map_in] {
        draw_heatmap(read_shards(*map_in, "heatmap"), *map_out, "heatmap");
        return kExitOk;
    });
}

}  // namespace tcpsim::cli
