// The files a run can write besides its report, shared by run and explain.
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/common.hpp"
#include "scenario/units.hpp"
#include "text/format.hpp"
#include "views/narrate.hpp"
#include "views/pcap.hpp"
#include "views/pictures.hpp"
#include "views/recorder.hpp"
#include "views/trace.hpp"

namespace tcpsim::cli {

namespace {

// figure.svg -> figure.timeline.svg
std::string timeline_path(const std::string& figure_path) {
    const std::string ext = ".svg";
    const bool has_ext = figure_path.size() > ext.size() &&
                         figure_path.compare(figure_path.size() - ext.size(), ext.size(), ext) == 0;
    return (has_ext ? figure_path.substr(0, figure_path.size() - ext.size()) : figure_path) + ".timeline.svg";
}

// Tells the user once, when it happens, that the trace file ends early; the run goes on.
views::JsonlTrace::CutNotice trace_cut_notice(const std::string& path, const std::string& limit_text) {
    return [path, limit_text](const core::TraceEvent& first_dropped, int64_t events_written) {
        std::cerr << "tcpsim: warning: --trace " << path << " reached --trace-limit " << limit_text << " after "
                  << text::count(events_written, "event", "events") << " (at " << text::format_duration(first_dropped.time_ns)
                  << "): its last line says it was cut; the run goes on\n";
    };
}

}  // namespace

void add_view_options(CLI::App* command, ViewFiles& files) {
    command->add_option("--trace", files.trace, "Write every event as JSON Lines to this file");
    command->add_option("--trace-limit", files.trace_limit,
                        "The most --trace writes (default 1GiB); past it the file ends with a trace_cut line");
    command->add_option("--svg", files.svg, "Draw the queue figure to FILE.svg and the timeline to FILE.timeline.svg");
    command->add_option("--html", files.html, "Write one self-contained page: verdict, figure, timeline, narrated steps");
    command->add_option("--pcap", files.pcap, "Write the simulated segments as a packet capture for Wireshark");
}

core::Result run_with_views(const scenario::Loaded& loaded, const core::ProfileParams& params, const ViewFiles& files,
                            const std::string& at, core::Observer* extra) {
    const model::Scenario& s = loaded.scenario;
    const int64_t at_ns = at.empty() ? 0 : scenario::parse_duration_ns(scenario::argument_json(at), "--at");
    const int64_t trace_limit_bytes = scenario::parse_size(scenario::argument_json(files.trace_limit), "--trace-limit",
                                                           views::JsonlTrace::kMinLimitBytes);
    core::ObserverList observers;
    if (extra != nullptr) observers.add(extra);
    std::ofstream trace_file;
    std::optional<views::JsonlTrace> trace;
    if (!files.trace.empty()) {
        trace_file = open_output(files.trace);
        trace.emplace(trace_file, s, trace_limit_bytes, trace_cut_notice(files.trace, files.trace_limit));
        observers.add(&*trace);
    }
    std::unique_ptr<views::PcapWriter> pcap;
    if (!files.pcap.empty()) {
        try {
            pcap = std::make_unique<views::PcapWriter>(files.pcap, s);
        } catch (const std::runtime_error& e) {
            throw UsageError(e.what());
        }
        observers.add(pcap.get());
    }
    std::optional<views::Recorder> recorder;
    std::optional<views::Narrator> narrator;
    if (!files.svg.empty() || !files.html.empty()) observers.add(&recorder.emplace(s));
    if (!files.html.empty()) observers.add(&narrator.emplace(s));
    const RunProgress progress(s, at.empty() ? s.limits.time_ns : std::min(s.limits.time_ns, at_ns));
    core::Observer* observer = observers.empty() ? nullptr : &observers;
    const core::Result result = at.empty() ? core::simulate(s, params, observer, progress.fn())
                                           : core::simulate_until(s, params, at_ns, observer, progress.fn());
    if (!recorder) return result;
    const std::string title = s.name + (at.empty() ? "" : " at " + at);
    const std::string figure = views::figure_svg(s, result, title);
    const std::string timeline = views::timeline_svg(*recorder, result, title);
    if (!files.svg.empty()) {
        open_output(files.svg) << figure;
        open_output(timeline_path(files.svg)) << timeline;
    }
    if (!files.html.empty())
        open_output(files.html) << views::html_page(result, figure, timeline, narrator->steps(), views::rule_lines(loaded.scenario, result));
    return result;
}

}  // namespace tcpsim::cli
