// rule, explain: the n-(SQS+RQS) rule for teaching.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include "analysis/rule.hpp"
#include "cli/common.hpp"
#include "cli/lecture_assets.hpp"
#include "core/engine.hpp"
#include "scenario/units.hpp"
#include "text/format.hpp"
#include "views/ascii_figure.hpp"
#include "views/lecture_page.hpp"
#include "views/narrate.hpp"
#include "views/report.hpp"

namespace tcpsim::cli {

namespace {

// ------------------------------------------------------------------ rule

struct RuleArgs {
    std::string n, sqs, rqs;
    std::string peer_sqs, peer_rqs;  // empty: the same as --sqs, --rqs
};

int64_t rule_size(const std::string& text, const std::string& option) {
    return scenario::parse_size(scenario::argument_json(text), option, 1);
}

std::string verdict_of(bool agrees) {
    return agrees ? ": the simulation agrees with the rule.\n" : ": MISMATCH with the rule.\n";
}

// A run that hit its limit checked nothing: say so, never a figure it did not reach.
std::string hit_limit(const core::Result& r) {
    return "the simulation hit its " + std::string(core::to_string(r.limit_reason)) + " limit (" + text::count(r.events, "event", "events") + ", " +
           text::format_duration(r.time_ns) + ") first, so the rule is not checked at these sizes.\n";
}

// The rule in sentences, with the sizes asked for.
void print_rule(const analysis::RuleSizes& a) {
    using text::bytes;
    using text::grouped;
    const analysis::WriteRule w = analysis::write_rule(a.n, a.sqs, a.rqs);
    const int64_t path = a.sqs + a.rqs, back = a.peer_sqs + a.peer_rqs;
    const int64_t crossing = std::min(a.n, a.rqs), waiting = w.accepted - crossing;
    std::cout << "The rule, for " << text::call_text("write", a.n) << " from A to B with A's SendQ = " << grouped(a.sqs)
              << " and B's RecvQ = " << bytes(a.rqs) << " (SQS+RQS = " << grouped(path) << "):\n";
    std::cout << "  - write() hands TCP min(n, SQS+RQS) = " << bytes(w.accepted) << " while B reads nothing: "
              << grouped(crossing) << " can cross into B's RecvQ and " << grouped(waiting) << (waiting == 1 ? " waits" : " wait")
              << " in A's SendQ.\n";
    if (w.peer_must_read > 0)
        std::cout << "  - n > SQS+RQS, so write() cannot return until B has read n-(SQS+RQS) = " << grouped(a.n) << "-"
                  << grouped(path) << " = " << bytes(w.peer_must_read) << ".\n";
    else
        std::cout << "  - n <= SQS+RQS, so write() returns without B reading a byte.\n";
    const bool both = analysis::both_write_deadlocks(a.n, a.n, a.sqs, a.peer_rqs, a.peer_sqs, a.rqs);
    std::cout << "  - If B writes " << grouped(a.n) << " at the same time (B's SendQ " << grouped(a.peer_sqs) << ", A's RecvQ "
              << grouped(a.peer_rqs) << ") and each reads only after its write returns, they deadlock iff n > "
              << grouped(path) << " and n > " << grouped(back) << ": " << (both ? "they DEADLOCK" : "they do not deadlock")
              << ".\n\n";
}

// A's write while B sleeps; false when the run that ended disagrees with the rule.
bool print_alone(const analysis::RuleRun& run) {
    const analysis::RuleSizes& s = run.simulated;
    const analysis::WriteRule w = analysis::write_rule(s.n, s.sqs, s.rqs);
    std::cout << "Simulated (textbook), " << text::call_text("write", s.n) << " with B asleep for "
              << text::format_duration(run.sleep_ns) << " before it reads: A handed over "
              << text::bytes(run.accepted_before_reads) << " before B read any; ";
    if (run.read_at_return) {
        const bool agrees = run.accepted_before_reads == w.accepted && *run.read_at_return >= w.peer_must_read &&
                            run.alone.outcome == core::Outcome::completed;
        std::cout << "write() returned when B had read " << text::bytes(*run.read_at_return) << verdict_of(agrees);
        return agrees;
    }
    if (run.alone.outcome == core::Outcome::limit) {
        std::cout << "write() had not returned when " << hit_limit(run.alone);
        return true;
    }
    std::cout << "write() never returned (the run ended: " << core::to_string(run.alone.outcome) << ")" << verdict_of(false);
    return false;
}

// Both writing at once; false when the run that ended disagrees with the rule.
bool print_together(const analysis::RuleRun& run) {
    const analysis::RuleSizes& s = run.simulated;
    const core::Result& r = run.together;
    std::cout << "Simulated, both write " << text::grouped(s.n) << " at once: ";
    if (r.outcome == core::Outcome::limit) {
        std::cout << hit_limit(r);
        return true;
    }
    const bool deadlocked = r.outcome == core::Outcome::deadlock;
    const bool agrees = deadlocked == analysis::both_write_deadlocks(s.n, s.n, s.sqs, s.peer_rqs, s.peer_sqs, s.rqs);
    std::cout << core::to_string(r.outcome);
    if (deadlocked)
        std::cout << ", A stuck at " << text::grouped(r.threads[0].bytes_written) << " of " << text::grouped(s.n) << " and B at "
                  << text::grouped(r.threads[1].bytes_written) << " of " << text::grouped(s.n);
    std::cout << verdict_of(agrees);
    return agrees;
}

int cmd_rule(const RuleArgs& args) {
    const int64_t n = rule_size(args.n, "--n"), sqs = rule_size(args.sqs, "--sqs"), rqs = rule_size(args.rqs, "--rqs");
    const int64_t peer_sqs = args.peer_sqs.empty() ? sqs : rule_size(args.peer_sqs, "--peer-sqs");
    const int64_t peer_rqs = args.peer_rqs.empty() ? rqs : rule_size(args.peer_rqs, "--peer-rqs");
    const analysis::RuleSizes asked{n, sqs, rqs, peer_sqs, peer_rqs};
    print_rule(asked);
    // The same rule, simulated: at these sizes, or at sizes that fit the event budget.
    const analysis::RuleRun run = analysis::simulate_rule(n, sqs, rqs, peer_sqs, peer_rqs);
    const analysis::RuleSizes& s = run.simulated;
    if (!(s == asked)) {
        using text::grouped;
        std::cout << "Simulating these sizes would take up to " << grouped(analysis::rule_events_needed(asked))
                  << " events, more than the " << grouped(analysis::kRuleMaxEvents)
                  << " this command spends, so the simulation checks the same rule at smaller sizes, with n on the same "
                     "side of SQS+RQS and of B's SQS+RQS: n = "
                  << grouped(s.n) << ", A's SendQ " << grouped(s.sqs) << ", B's RecvQ " << grouped(s.rqs) << ", B's SendQ "
                  << grouped(s.peer_sqs) << ", A's RecvQ " << grouped(s.peer_rqs) << ".\n";
    }
    const bool alone_agrees = print_alone(run);
    const bool together_agrees = print_together(run);
    return alone_agrees && together_agrees ? kExitOk : kExitExpectation;
}

// ------------------------------------------------------------------ explain

struct ExplainArgs {
    std::string file;
    std::vector<std::string> sets;
    std::string profile;
    std::string at;
    bool step = false;
    ViewFiles views;
};

int cmd_explain(const ExplainArgs& a) {
    const scenario::Loaded loaded = scenario::load_file(a.file, a.sets);
    views::Narrator narrator(loaded.scenario);
    const core::Result result = run_with_views(loaded, params_of(loaded, a.profile), a.views, a.at, &narrator);
    const model::Scenario& s = loaded.scenario;
    std::cout << s.name << ": " << s.description << "\n\nStep by step (time, what happens, then every queue's level):\n";
    const bool interactive = a.step && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    const std::vector<std::string> lines = narrator.lines();
    for (const std::string& line : lines) {
        std::cout << "  " << line << "\n";
        if (!interactive) continue;
        std::cout << "  (Enter for the next step) " << std::flush;
        std::string ignored;
        if (!std::getline(std::cin, ignored)) break;
    }
    std::cout << "\n" << views::report_text(result) << "\n" << views::ascii_figure(s, result) << "\nThe rule with these numbers:\n";
    for (const std::string& line : views::rule_lines(s, result)) std::cout << "  - " << line << "\n";
    return kExitOk;
}

// ------------------------------------------------------------------ lecture

struct LectureArgs {
    std::vector<std::string> files;
    std::vector<std::string> sets;
    std::string out;
};

// --out FILE.html, --out DIR (the page named after the scenario), or NAME.html here. A name's
// characters other than letters, digits, '.', '_' and '-' become '-', so a name never leaves DIR.
std::string lecture_path(const std::string& out, const std::string& scenario_name) {
    namespace fs = std::filesystem;
    std::string page = scenario_name;
    for (char& c : page)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '-';
    if (page.empty() || page.front() == '.') page.insert(0, "page");
    page += ".html";
    if (out.empty()) return page;
    if (fs::path(out).extension() == ".html") return out;
    std::error_code error;
    fs::create_directories(out, error);
    if (error) throw UsageError("--out " + out + ": cannot make the directory (" + error.message() + ")");
    return (fs::path(out) / page).string();
}

int cmd_lecture(const LectureArgs& a) {
    // The files named, then the variants the first one names that are not among them.
    std::vector<std::string> files = a.files;
    std::vector<views::LectureScenario> scenarios;
    std::set<std::filesystem::path> seen;
    for (size_t i = 0; i < files.size(); ++i) {
        const std::string file = files[i];  // a copy: the variants are appended to `files` below
        std::error_code error;
        const std::filesystem::path canonical = std::filesystem::weakly_canonical(file, error);
        if (file != scenario::kStdinPath && !seen.insert(error ? std::filesystem::path(file) : canonical).second) continue;
        // Checked here, so a mistake is one line now rather than a page that shows only an error.
        // --set is for the files named; a variant the first file names keeps its own values.
        const bool named = i < a.files.size();
        const scenario::Loaded loaded = scenario::load_file(file, named ? a.sets : std::vector<std::string>{});
        // The page has no file system: a profile file could never be read there.
        if (!loaded.profile_path.empty())
            throw UsageError(file + ": /profile: a lecture page runs the built-in linux profiles only; remove \"profile\" "
                             "(or run the scenario with tcpsim run)");
        if (i == 0) files.insert(files.end(), loaded.variant_paths.begin(), loaded.variant_paths.end());
        const std::string label = std::filesystem::path(file).filename().string();
        // The file as written, or (after --set, or from standard input, which is read once) the document loaded.
        const bool as_written = (a.sets.empty() || !named) && file != scenario::kStdinPath;
        const std::string text = as_written ? scenario::read_file(file) : loaded.document.dump(2) + "\n";
        scenarios.push_back({label, text, loaded.scenario.name, loaded.scenario.description});
    }
    const std::optional<LectureAssets> assets = lecture_assets();
    if (!assets)
        throw UsageError("this tcpsim was built without the lecture page's engine: build it with Debian's emscripten "
                         "installed (tools/setup.sh installs it; CMake option TCPSIM_LECTURE=ON)");
    const std::string path = lecture_path(a.out, scenarios.front().name);
    open_output(path) << views::lecture_page({assets->html, assets->css, assets->engine_js, assets->script}, scenarios);
    std::cout << "wrote " << path << ": open it in a browser (it works offline, from the file)\n";
    return kExitOk;
}

}  // namespace

void add_teaching_commands(CLI::App& app, Commands& commands) {
    auto ra = std::make_shared<RuleArgs>();
    CLI::App* rule = app.add_subcommand("rule", "Work out the n-(SQS+RQS) rule for given sizes, and simulate it");
    // Sizes as everywhere else: 1500, 64KiB, 1MB (1 byte to 1 TiB).
    rule->add_option("--n", ra->n, "Bytes written at once (e.g. 1500, 64KiB)")->required();
    rule->add_option("--sqs", ra->sqs, "The writer's SendQ capacity")->required();
    rule->add_option("--rqs", ra->rqs, "The reader's RecvQ capacity")->required();
    rule->add_option("--peer-sqs", ra->peer_sqs, "The reader's SendQ, if different");
    rule->add_option("--peer-rqs", ra->peer_rqs, "The writer's RecvQ, if different");
    commands.emplace_back(rule, [ra] { return cmd_rule(*ra); });

    auto ea = std::make_shared<ExplainArgs>();
    CLI::App* explain = app.add_subcommand("explain", "Tell a run step by step, with the queue figure and the rule");
    explain->add_option("file", ea->file, "Scenario file")->required();
    explain->add_option("--set", ea->sets, "Override a field: path=value");
    explain->add_option("--profile", ea->profile, "linux profile file");
    explain->add_option("--at", ea->at, "Stop at this simulated time and show the state then (e.g. 1ms)");
    explain->add_flag("--step", ea->step, "Wait for Enter between steps (in a terminal)");
    add_view_options(explain, ea->views);
    commands.emplace_back(explain, [ea] { return cmd_explain(*ea); });

    auto la = std::make_shared<LectureArgs>();
    CLI::App* lecture = app.add_subcommand(
        "lecture", "Write a page for a lecture: the simulator runs in the browser, with sliders for every size");
    lecture->add_option("files", la->files,
                        "Scenario file; more files (and the first file's \"variants\") are versions of the same "
                        "programs the page can switch to")
        ->required();
    lecture->add_option("--set", la->sets, "Start from these values: path=value (applies to every file)");
    lecture->add_option("--out", la->out, "FILE.html, or a directory for NAME.html (default: NAME.html here)");
    commands.emplace_back(lecture, [la] { return cmd_lecture(*la); });
}

}  // namespace tcpsim::cli
