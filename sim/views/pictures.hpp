// Teaching views of one run: the seeds' Figure 6-5 drawn from a Result, a timeline of the
// queues and of every thread's bytes, and one printable HTML page holding both.
// Plain SVG and HTML text, no library, no script, no external resources. Every SVG is an
// accessible image (role="img", a <title> with the verdict and a <desc> in words), and every
// short size it shows carries the exact bytes as a <title> tooltip.
#pragma once

#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"
#include "views/narrate.hpp"
#include "views/recorder.hpp"

namespace tcpsim::views {

// The verdict in one line: "DEADLOCK since 2.432 ms: every unfinished thread is blocked for good".
std::string verdict_text(const core::Result& result);
// Its colour: red for a deadlock, green for a completed run.
const char* outcome_colour(core::Outcome outcome);

// Two hosts side by side: each application's threads (state, and the op a blocked thread is
// in), a SendQ and a RecvQ bar filled to its level, and the arrows A.SendQ -> B.RecvQ and
// B.SendQ -> A.RecvQ labelled with the advertised window. The verdict is on top. With more
// connections, or queues and pipes: every host in a row, one row of bars per connection and per
// queue or pipe across them, each arrow straight from a SendQ (or a pipe) to where it drains.
// Every host's text has one size: long lines wrap. Each bar is a <g class="queue"
// data-queue="A.SendQ" data-bytes="500" data-capacity="500"> (the Recorder's queue names). A
// SendQ a writer is blocked on is drawn full ("full: writer blocked") even below its payload
// capacity, as linux's skb overhead leaves it.
std::string figure_svg(const model::Scenario& scenario, const core::Result& result, const std::string& title);

// Two panels over simulated time: every queue's occupancy (each series its own colour and
// dash), and each thread's cumulative bytes written (solid) and read (dashed). Long stretches
// where nothing moves are collapsed into narrow marked gaps, so the busy moments get the width;
// the axis ticks are round. Marked: where each kept blocked write blocks and returns, the
// textbook rule's instant (the peer has read n-(SQS+RQS)), and a deadlock's onset.
// The root carries the time axis for a page's script: data-time-map='[[t_ns,x],...]' (time
// maps linearly to x between consecutive breakpoints, first = plot start, last = plot end),
// and data-plot-top / data-plot-bottom (the y range a cursor line spans).
std::string timeline_svg(const Recorder& recorder, const core::Result& result, const std::string& title);

// One self-contained HTML5 page: verdict, figure, timeline, wait-for cycle, narrated steps
// (the time in a column of its own, the queue levels set apart) and the rule's lines, in type
// large enough for a projector, with a print stylesheet. `figure` and `timeline` are SVG text
// inlined as is; every other string is escaped.
std::string html_page(const core::Result& result, const std::string& figure, const std::string& timeline,
                      const std::vector<NarratedStep>& steps, const std::vector<std::string>& rule_lines);

}  // namespace tcpsim::views
