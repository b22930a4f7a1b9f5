// tcpsim command line. Each family of commands lives in its own file (cmd_*.cpp).
// Exit codes: 0 ran (whatever the outcome), 2 bad usage or bad input, 3 expectation failed.
#include <algorithm>
#include <cctype>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/calibrate_io.hpp"
#include "cli/common.hpp"
#include "cli/version.hpp"
#include "measure/measure.hpp"

namespace {

using namespace tcpsim;

// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`, ignoring case.
size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    const auto same = [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y)); };
    for (size_t i = 1; i <= a.size(); ++i) {
        for (size_t j = 1; j <= b.size(); ++j) {
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
            if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]))
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

// `"run"`, `"rule" or "run"`: the commands nearest `word`, when it is a near miss of any.
std::string nearest_commands(const std::string& word, const std::vector<std::string>& commands) {
    constexpr size_t kMaxWordChars = 64;  // a longer word is no typo of a command
    if (word.size() > kMaxWordChars) return "";
    size_t best = SIZE_MAX;
    std::string text;
    for (const std::string& command : commands) {
        const size_t distance = edit_distance(word, command);
        const size_t allowed = command.size() >= 6 ? 2 : 1;  // a third of a short name is too much
        if (distance > allowed || distance > best) continue;
        if (distance < best) text.clear();
        best = distance;
        text += (text.empty() ? "\"" : " or \"") + command + "\"";
    }
    return text;
}

// The one line for a first word that is not a command, or "" when it is one (or an option).
std::string unknown_command_message(CLI::App& app, int argc, char** argv) {
    if (argc < 2 || argv[1][0] == '-') return "";
    const std::string word = argv[1];
    std::vector<std::string> commands;
    for (const CLI::App* command : app.get_subcommands({})) commands.push_back(command->get_name());
    if (std::find(commands.begin(), commands.end(), word) != commands.end()) return "";
    const std::string nearest = nearest_commands(word, commands);
    if (!nearest.empty()) return "unknown command \"" + word + "\": did you mean " + nearest + "?";
    std::string list;
    for (const std::string& command : commands) list += (list.empty() ? "" : ", ") + command;
    return "unknown command \"" + word + "\": the commands are " + list;
}

int run_cli(int argc, char** argv) {
    // Named here, so usage lines and the man page say "tcpsim" whatever path ran it.
    CLI::App app{"tcpsim: will my two-way TCP program freeze, and where?", "tcpsim"};
    app.require_subcommand(1);
    // Wide enough that every option's name and type stand apart from its description
    // (the man page is made from this help, and help2man needs the gap).
    app.get_formatter()->column_width(40);
    app.set_help_all_flag("--help-all", "Help for every command");
    app.set_version_flag("--version", std::string("tcpsim ") + version_text(), "Print the version and git revision, and exit");
    cli::Commands commands;
    cli::add_simulation_commands(app, commands);
    cli::add_sweep_commands(app, commands);
    cli::add_teaching_commands(app, commands);
    cli::add_measurement_commands(app, commands);
    if (const std::string message = unknown_command_message(app, argc, argv); !message.empty()) {
        std::cerr << "tcpsim: " << message << "\n";
        return cli::kExitBadInput;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {  // --help, --help-all, --version
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
    } catch (const analysis::SessionError& e) {
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
