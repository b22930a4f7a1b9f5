// rule, explain: the n-(SQS+RQS) rule for teaching.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "analysis/rule.hpp"
#include "cli/common.hpp"
#include "core/engine.hpp"
#include "scenario/units.hpp"
#include "views/ascii_figure.hpp"
#include "views/narrate.hpp"
#include "views/report.hpp"

namespace tcpsim::cli {

namespace {

// ------------------------------------------------------------------ rule

struct RuleArgs {
    int64_t n = 0;
    int64_t sqs = 0;
    int64_t rqs = 0;
    int64_t peer_sqs = -1;  // -1: the same as --sqs
    int64_t peer_rqs = -1;  // -1: the same as --rqs
};

int cmd_rule(RuleArgs a) {
    if (a.peer_sqs < 0) a.peer_sqs = a.sqs;
    if (a.peer_rqs < 0) a.peer_rqs = a.rqs;
    const analysis::WriteRule w = analysis::write_rule(a.n, a.sqs, a.rqs);
    const int64_t path = a.sqs + a.rqs, back = a.peer_sqs + a.peer_rqs;
    std::cout << "The rule, for write(" << a.n << ") from A to B with A's SendQ = " << a.sqs << " and B's RecvQ = " << a.rqs
              << " bytes (SQS+RQS = " << path << "):\n";
    std::cout << "  - write() hands TCP min(n, SQS+RQS) = " << w.accepted << " bytes while B reads nothing: "
              << std::min(a.n, a.rqs) << " can cross into B's RecvQ and " << w.accepted - std::min(a.n, a.rqs)
              << " wait in A's SendQ.\n";
    if (w.peer_must_read > 0)
        std::cout << "  - n > SQS+RQS, so write() cannot return until B has read n-(SQS+RQS) = " << a.n << "-" << path
                  << " = " << w.peer_must_read << " bytes.\n";
    else
        std::cout << "  - n <= SQS+RQS, so write() returns without B reading a byte.\n";
    const bool both = analysis::both_write_deadlocks(a.n, a.n, a.sqs, a.peer_rqs, a.peer_sqs, a.rqs);
    std::cout << "  - If B writes " << a.n << " at the same time (B's SendQ " << a.peer_sqs << ", A's RecvQ " << a.peer_rqs
              << ") and each reads only after its write returns, they deadlock iff n > " << path << " and n > " << back
              << ": " << (both ? "they DEADLOCK" : "they do not deadlock") << ".\n\n";

    // The same numbers, simulated.
    const analysis::RuleRun run = analysis::simulate_rule(a.n, a.sqs, a.rqs, a.peer_sqs, a.peer_rqs);
    const bool agree1 = run.accepted_before_reads == w.accepted && run.read_at_return >= w.peer_must_read &&
                        run.alone.outcome == core::Outcome::completed;
    std::cout << "Simulated (textbook), B asleep for 1 s before it reads: A handed over " << run.accepted_before_reads
              << " bytes before B read any; write() returned when B had read " << run.read_at_return << " bytes"
              << (agree1 ? ": the simulation agrees with the rule.\n" : ": MISMATCH with the rule.\n");
    const core::Result& r2 = run.together;
    const bool deadlocked = r2.outcome == core::Outcome::deadlock;
    std::cout << "Simulated, both write at once: " << core::to_string(r2.outcome);
    if (deadlocked)
        std::cout << ", A stuck at " << r2.threads[0].bytes_written << " of " << a.n << " and B at " << r2.threads[1].bytes_written
                  << " of " << a.n;
    std::cout << (deadlocked == both ? ": the simulation agrees with the rule.\n" : ": MISMATCH with the rule.\n");
    return agree1 && deadlocked == both ? kExitOk : kExitExpectation;
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
    std::cout << "\n" << views::report_text(result) << "\n" << views::ascii_figure(result) << "\nThe rule with these numbers:\n";
    for (const std::string& line : views::rule_lines(s, result)) std::cout << "  - " << line << "\n";
    return kExitOk;
}

}  // namespace

void add_teaching_commands(CLI::App& app, Commands& commands) {
    auto ra = std::make_shared<RuleArgs>();
    CLI::App* rule = app.add_subcommand("rule", "Work out the n-(SQS+RQS) rule for given sizes, and simulate it");
    rule->add_option("--n", ra->n, "Bytes written at once")->required()->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
    rule->add_option("--sqs", ra->sqs, "The writer's SendQ capacity")->required()->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
    rule->add_option("--rqs", ra->rqs, "The reader's RecvQ capacity")->required()->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
    rule->add_option("--peer-sqs", ra->peer_sqs, "The reader's SendQ, if different")->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
    rule->add_option("--peer-rqs", ra->peer_rqs, "The writer's RecvQ, if different")->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
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
}

}  // namespace tcpsim::cli
