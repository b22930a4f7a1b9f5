#include "web/lecture_engine.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <exception>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine.hpp"
#include "scenario/bind.hpp"
#include "scenario/load.hpp"
#include "scenario/profile_file.hpp"
#include "scenario/units.hpp"
#include "text/format.hpp"
#include "views/narrate.hpp"
#include "views/pictures.hpp"
#include "views/recorder.hpp"
#include "views/report.hpp"

namespace tcpsim::web {

namespace {

using nlohmann::ordered_json;
using scenario::Leaf;

// The request's own mistakes are the page's bugs, not the user's: said as plainly.
struct RequestError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

ordered_json parse_request(const std::string& request) {
    ordered_json parsed = ordered_json::parse(request, nullptr, false);
    if (!parsed.is_object() || !parsed.contains("scenario") || !parsed["scenario"].is_string())
        throw RequestError("lecture engine: a request is a JSON object with the scenario's text in \"scenario\"");
    return parsed;
}

std::string file_of(const ordered_json& request) {
    const auto it = request.find("file");
    return it != request.end() && it->is_string() ? it->get<std::string>() : std::string("scenario.json");
}

std::vector<std::string> sets_of(const ordered_json& request) {
    std::vector<std::string> sets;
    const auto it = request.find("sets");
    if (it == request.end()) return sets;
    if (!it->is_array()) throw RequestError("lecture engine: \"sets\" must be a list of \"path=value\" strings");
    for (const ordered_json& set : *it) {
        if (!set.is_string()) throw RequestError("lecture engine: \"sets\" must be a list of \"path=value\" strings");
        sets.push_back(set.get<std::string>());
    }
    return sets;
}

// Runs `answer` and turns any error into {"ok": false, "error": the one line}.
template <typename Answer>
std::string answered(Answer answer) {
    try {
        return answer().dump();
    } catch (const std::exception& e) {
        ordered_json failed = {{"ok", false}, {"error", e.what()}};
        return failed.dump();
    }
}

// ------------------------------------------------------------------ controls

std::string pointer_of(const scenario::PathSegments& path) {
    ordered_json::json_pointer pointer;
    for (const std::string& segment : path) pointer /= segment;
    return pointer.to_string();
}

// A key as the page names it: the queues by their names in the seeds.
std::string key_words(const std::string& key) {
    if (key == "sqs") return "SendQ size (sqs)";
    if (key == "rqs") return "RecvQ size (rqs)";
    if (key == "mss") return "MSS";
    return key;
}

// "A: SendQ size (sqs)", "A.main ops[0]: write", "pipe stdin: capacity", "link: delay", "parameter message".
std::string label_of(const scenario::SettableValue& value) {
    const scenario::PathSegments& p = value.path;
    if (value.parameter) return "parameter " + p.back();
    std::string out;
    size_t i = 0;
    if (p.size() >= 2 && p[0] == "endpoints") {
        out = p[1];
        i = 2;
        if (p.size() >= 5 && p[2] == "threads") {
            out += "." + p[3] + " ops[" + p[4] + "]";
            for (i = 5; i + 1 < p.size() && std::all_of(p[i + 1].begin(), p[i + 1].end(), ::isdigit) && p[i] == "do"; i += 2)
                out += ".do[" + p[i + 1] + "]";
        } else if (p.size() >= 4 && p[2] == "queues") {
            out += " queue " + p[3];
            i = 4;
        }
    } else if (p.size() >= 2 && p[0] == "pipes") {
        out = "pipe " + p[1];
        i = 2;
    } else if (p.size() >= 2 && p[0] == "connections") {
        out = "connection " + p[1];
        i = 2;
    } else {
        out = p[0];
        i = 1;
    }
    std::string rest;
    for (; i < p.size(); ++i) rest += (rest.empty() ? "" : " ") + key_words(p[i]);
    return rest.empty() ? out : out + ": " + rest;
}

const char* kind_of(Leaf leaf) {
    switch (leaf) {
        case Leaf::sleep:
        case Leaf::link_delay:
        case Leaf::repeat_duration: return "duration";
        case Leaf::repeat_count: return "count";
        case Leaf::link_bandwidth: return "rate";
        default: return "size";
    }
}

// A range a slider can move over: wide enough to cross the rule's thresholds from the value
// the file gives (up to 4x it). Sizes and counts start at 1 and are linear unless they span more
// than six decades (a gigabyte); durations and rates span three decades around the value and
// are logarithmic, so each decade gets the same travel.
void add_range(ordered_json& control, const std::string& kind, int64_t value) {
    int64_t lo = 1, hi = std::max<int64_t>(value * 4, 2048);
    if (kind == "count") hi = std::max<int64_t>(value * 4, 16);
    if (kind == "size") hi = std::min(hi, scenario::kMaxSizeBytes);
    if (kind == "duration") lo = value / 1000, hi = std::max<int64_t>(value * 4, 10'000'000);
    if (kind == "rate") lo = std::max<int64_t>(1, value / 1000), hi = std::min(std::max<int64_t>(value * 100, 1000), scenario::kMaxBandwidthBps);
    control["min"] = lo;
    control["max"] = hi;
    control["log"] = kind == "duration" || kind == "rate" || hi > 1'000'000 * lo;
}

ordered_json controls_answer(const ordered_json& request) {
    const scenario::Loaded loaded = scenario::load_text(request["scenario"].get<std::string>(), file_of(request));
    const scenario::ScenarioBinder binder(loaded);
    ordered_json controls = ordered_json::array();
    for (const scenario::SettableValue& settable : binder.settable()) {
        if (settable.leaf == Leaf::limit_time || settable.leaf == Leaf::limit_events) continue;
        const std::string pointer = pointer_of(settable.path);
        const ordered_json& at = loaded.document.at(ordered_json::json_pointer(pointer));
        Leaf leaf = settable.leaf;
        if (leaf == Leaf::repeat_count && at.is_string()) leaf = Leaf::repeat_duration;  // "10s"; "eof" has no size
        if (at.is_string() && (at == "eof" || at == "unbounded")) continue;
        int64_t value = 0;
        try {
            value = scenario::parse_leaf(leaf, at, pointer);
        } catch (const scenario::InputError&) {
            continue;  // a value this leaf cannot take as a number (a size list, a boolean parameter)
        }
        const std::string kind = kind_of(leaf);
        ordered_json control = {{"set", pointer}, {"label", label_of(settable)}, {"kind", kind}, {"value", value}};
        add_range(control, kind, value);
        controls.push_back(std::move(control));
    }
    const model::Scenario& s = loaded.scenario;
    return {{"ok", true},
            {"name", s.name},
            {"description", s.description},
            {"model", s.profile == model::Profile::linux ? "linux" : "textbook"},
            {"controls", std::move(controls)}};
}

// ------------------------------------------------------------------ run

ordered_json run_answer(const ordered_json& request) {
    scenario::Loaded loaded = scenario::load_text(request["scenario"].get<std::string>(), file_of(request), sets_of(request));
    // The page runs on the browser's main thread: it asks for a bound on a run's events.
    if (const auto max_events = request.find("max_events"); max_events != request.end()) {
        if (!max_events->is_number_integer() || max_events->get<int64_t>() < 1)
            throw RequestError("lecture engine: \"max_events\" must be a count of 1 or more");
        loaded.scenario.limits.events = std::min(loaded.scenario.limits.events, max_events->get<int64_t>());
    }
    const model::Scenario& s = loaded.scenario;
    const core::ProfileParams params = scenario::params_for(s.profile, loaded.profile_path, scenario::profile_mss(s));
    const std::string profile = scenario::profile_in_words(s, loaded.profile_path);
    const auto at = request.find("at_ns");
    const bool at_asked = at != request.end() && !at->is_null();
    ordered_json out = {{"ok", true}, {"name", s.name}};
    if (at_asked) {
        if (!at->is_number_integer() || at->get<int64_t>() < 0)
            throw RequestError("lecture engine: \"at_ns\" must be a time in nanoseconds, 0 or more");
        const int64_t at_ns = at->get<int64_t>();
        const core::Result result = core::simulate_until(s, params, at_ns);
        out["outcome"] = core::to_string(result.outcome);
        out["time_ns"] = result.time_ns;
        out["report_text"] = views::run_report_text(s, result, profile, true);
        out["figure_svg"] = views::figure_svg(s, result, s.name + " at " + text::format_duration(at_ns));
        out["rule"] = views::rule_lines(s, result);
        return out;
    }
    views::Recorder recorder(s);
    views::Narrator narrator(s);
    core::ObserverList observers;
    observers.add(&recorder);
    observers.add(&narrator);
    const core::Result result = core::simulate(s, params, &observers);
    out["outcome"] = core::to_string(result.outcome);
    out["time_ns"] = result.time_ns;
    out["report_text"] = views::run_report_text(s, result, profile, false);
    out["report_json"] = views::run_report_json(result, profile).dump(2) + "\n";
    out["figure_svg"] = views::figure_svg(s, result, s.name);
    out["timeline_svg"] = views::timeline_svg(recorder, result, s.name);
    ordered_json narration = ordered_json::array();
    for (const views::NarratedStep& step : narrator.steps())
        narration.push_back({{"t_ns", step.time_ns}, {"what", step.what}, {"queues", step.queues}, {"summary", step.summary}});
    out["narration"] = std::move(narration);
    out["rule"] = views::rule_lines(s, result);
    // A run that ends with every write returned shows the rule at the end only vacuously: the
    // rule as it stood when a write first blocked (the rule's own case, where there is one).
    const std::vector<views::BlockedWrite>& blocked = recorder.blocked_writes();
    const auto ruled = std::find_if(blocked.begin(), blocked.end(), [](const views::BlockedWrite& w) { return w.rule_bytes > 0; });
    if (result.outcome == core::Outcome::completed && !blocked.empty()) {
        const views::BlockedWrite& w = ruled != blocked.end() ? *ruled : blocked.front();
        out["rule_while_blocked"] = {{"t_ns", w.blocked_ns},
                                     {"thread", recorder.thread_labels()[w.thread]},
                                     {"rule", views::rule_lines(s, core::simulate_until(s, params, w.blocked_ns))}};
    }
    return out;
}

}  // namespace

std::string lecture_controls(const std::string& request) {
    return answered([&] { return controls_answer(parse_request(request)); });
}

std::string lecture_run(const std::string& request) {
    return answered([&] { return run_answer(parse_request(request)); });
}

}  // namespace tcpsim::web
