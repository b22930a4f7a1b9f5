// The progress line of a long simulation, shown on a terminal only.
#include <unistd.h>

#include <cstdio>

#include "cli/common.hpp"
#include "scenario/units.hpp"

namespace tcpsim::cli {

namespace {

// A run shorter than this shows nothing; after it, the line is redrawn at most this often.
constexpr auto kQuietStart = std::chrono::seconds(1);
constexpr auto kRedraw = std::chrono::milliseconds(250);

}  // namespace

RunProgress::RunProgress(const model::Scenario& scenario) {
    if (!isatty(STDERR_FILENO)) return;
    const auto started = Clock::now();
    fn_ = [this, started, name = scenario.name, limits = scenario.limits](const core::Progress& p) {
        const auto now = Clock::now();
        if (now - started < kQuietStart || now - last_drawn_ < kRedraw) return;
        last_drawn_ = now;
        shown_ = true;
        std::fprintf(stderr, "\r\033[Ktcpsim: %s: simulated %s of at most %s, %lld events and %lld operations of at most %lld each; Ctrl-C stops it",
                     name.c_str(), scenario::format_duration(p.now_ns).c_str(),
                     scenario::format_duration(limits.time_ns).c_str(), static_cast<long long>(p.events),
                     static_cast<long long>(p.operations), static_cast<long long>(limits.events));
    };
}

RunProgress::~RunProgress() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace tcpsim::cli
