// The progress line of a long simulation, shown on a terminal only.
#include <unistd.h>

#include <cstdio>

#include "cli/common.hpp"
#include "text/format.hpp"

namespace tcpsim::cli {

namespace {

// A run shorter than this shows nothing; after it, the line is redrawn at most this often.
constexpr auto kQuietStart = std::chrono::seconds(1);
constexpr auto kRedraw = std::chrono::milliseconds(250);

}  // namespace

RunProgress::RunProgress(const model::Scenario& scenario, int64_t time_limit_ns) {
    if (!isatty(STDERR_FILENO)) return;
    const auto started = Clock::now();
    model::Limits limits = scenario.limits;
    limits.time_ns = time_limit_ns;
    fn_ = [this, started, name = scenario.name, limits](const core::Progress& p) {
        const auto now = Clock::now();
        if (now - started < kQuietStart || now - last_drawn_ < kRedraw) return;
        last_drawn_ = now;
        shown_ = true;
        const std::string line = "tcpsim: " + name + ": simulated " + text::format_duration(p.now_ns) + " of at most " +
                                 text::format_duration(limits.time_ns) + ", " + text::grouped(p.events) + " events and " +
                                 text::grouped(p.operations) + " operations of at most " + text::grouped(limits.events) +
                                 " each; Ctrl-C stops it";
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
    };
}

RunProgress::~RunProgress() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace tcpsim::cli
