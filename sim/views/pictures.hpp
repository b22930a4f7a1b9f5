// Teaching views of one run: the seeds' Figure 6-5 drawn from a Result, a timeline of the
// queues and of every thread's bytes, and one printable HTML page holding both.
// Plain SVG and HTML text, no library, no script, no external resources.
#pragma once

#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"
#include "views/recorder.hpp"

namespace tcpsim::views {

// Two hosts side by side: each application's threads (state, and the op a blocked thread is
// in), a SendQ and a RecvQ bar filled to its level, and the arrows A.SendQ -> B.RecvQ and
// B.SendQ -> A.RecvQ labelled with the advertised window. The verdict is on top. With more
// connections, or queues and pipes: every host in a row, one row of bars per connection and per
// queue or pipe across them, each arrow straight from a SendQ (or a pipe) to where it drains.
std::string figure_svg(const model::Scenario& scenario, const core::Result& result, const std::string& title);

// Two panels over simulated time: the four queues' occupancy, and each thread's cumulative
// bytes written (solid) and read (dashed); a dashed line marks a deadlock's onset.
std::string timeline_svg(const Recorder& recorder, const core::Result& result, const std::string& title);

// One self-contained HTML5 page: verdict, figure, timeline, wait-for cycle, narrated steps
// and the rule's lines. `figure` and `timeline` are SVG text inlined as is; every other
// string is escaped.
std::string html_page(const core::Result& result, const std::string& figure, const std::string& timeline,
                      const std::vector<std::string>& narration, const std::vector<std::string>& rule_lines);

}  // namespace tcpsim::views
