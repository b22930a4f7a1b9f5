// tcpsim command line. Each family of commands lives in its own file (cmd_*.cpp).
// Exit codes: 0 ran (whatever the outcome), 2 bad usage or bad input, 3 expectation failed.
#include <iostream>

#include "cli/common.hpp"
#include "measure/measure.hpp"

namespace {

using namespace tcpsim;

int run_cli(int argc, char** argv) {
    CLI::App app{"tcpsim: will my two-way TCP program freeze, and where?"};
    app.require_subcommand(1);
    app.set_help_all_flag("--help-all", "Help for every command");
    cli::Commands commands;
    cli::add_simulation_commands(app, commands);
    cli::add_sweep_commands(app, commands);
    cli::add_teaching_commands(app, commands);
    cli::add_measurement_commands(app, commands);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "tcpsim: " << e.what() << " (see tcpsim --help)\n";
        return cli::kExitBadInput;
    }
    try {
        for (const auto& [command, action] : commands)
            if (command->parsed()) return action();
    } catch (const scenario::InputError& e) {
        std::cerr << e.what() << "\n";
        return cli::kExitBadInput;
    } catch (const measure::MeasureError& e) {
        std::cerr << "tcpsim: " << e.what() << "\n";
        return cli::kExitBadInput;
    } catch (const cli::UsageError& e) {
        std::cerr << "tcpsim: " << e.what() << "\n";
        return cli::kExitBadInput;
    }
    return cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run_cli(argc, argv);
    } catch (const std::exception& e) {
        // A broken invariant or an exhausted resource: say so in one line, never a trace.
        std::cerr << "tcpsim: internal error: " << e.what() << "\n";
        return cli::kExitInternal;
    }
}
