// The engine behind the lecture page: the simulator, the loader and the teaching views, answering
// JSON requests with JSON. Compiled to WebAssembly for the page (web/exports.cpp) and natively for
// the tests, so both run this same code.
#pragma once

#include <string>

namespace tcpsim::web {

// {"scenario": TEXT, "file": NAME} -> {"ok": true, "name", "description", "model", "controls": [
//   {"set": POINTER, "label", "kind": "size"|"duration"|"count"|"rate", "value", "min", "max",
//    "log": bool}, ...]}: every size, count, duration and rate the scenario file writes, and its
// named parameters; "set" is the JSON pointer `--set` takes ("/endpoints/A/sqs", "/params/message").
std::string lecture_controls(const std::string& request);

// {"scenario": TEXT, "file": NAME, "sets": ["/endpoints/A/sqs=800", ...], "at_ns": T (optional),
//  "max_events": N (optional: the run's events limit lowered to N)}
// -> {"ok": true, "name", "outcome", "time_ns", "report_text", "report_json", "figure_svg",
//     "timeline_svg", "narration": [{"t_ns", "what", "queues", "summary"}], "rule": [...],
//     "rule_while_blocked": {"t_ns", "thread", "rule": [...]} (a completed run in which a write
//     blocked: the rule at the instant it first did)}.
// report_text and report_json are byte for byte what `tcpsim run FILE --set ...` and
// `... --format json` print. With "at_ns", the run stops there (`--at`): the report and figure
// and the rule are that instant's, and there is no timeline or narration.
// Any error: {"ok": false, "error": ONE_LINE}, the line the CLI would print.
std::string lecture_run(const std::string& request);

}  // namespace tcpsim::web
