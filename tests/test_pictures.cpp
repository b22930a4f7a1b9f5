// Teaching pictures: the Figure 6-5 SVG, the timeline SVG and the HTML page.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine.hpp"
#include "scenario/load.hpp"
#include "scenario/profile_file.hpp"
#include "support.hpp"
#include "text/format.hpp"
#include "text/units.hpp"
#include "views/narrate.hpp"
#include "views/pictures.hpp"
#include "views/recorder.hpp"
#include "views/svg.hpp"
#include "views/sweep_out.hpp"

using namespace tcpsim;

namespace {

struct Run {
    scenario::Loaded loaded;
    views::Recorder recorder;
    core::Result result;

    // The views' own scenarios (views-*.json) are in tests/scenarios, the library's in scenarios.
    explicit Run(const std::string& name)
        : loaded(scenario::load_file(std::string(TCPSIM_SOURCE_DIR) + (name.starts_with("views-") ? "/tests" : "") +
                                     "/scenarios/" + name)),
          recorder(loaded.scenario),
          result(core::simulate(loaded.scenario, scenario::params_for(loaded.scenario.profile, "", scenario::profile_mss(loaded.scenario)), &recorder)) {}
};

size_t count_of(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
    return n;
}

constexpr std::array<std::string_view, 5> kEntities = {"&lt;", "&gt;", "&amp;", "&quot;", "&#39;"};

// Well-formedness as far as these views need it: every element closed in order, one root,
// and '&' only in the entities the views write. Tags named in `void_tags` (HTML's <meta>)
// need no end tag. Returns "" when fine, else what is wrong.
std::string markup_problem(const std::string& text, const std::vector<std::string>& void_tags = {}) {
    std::vector<std::string> open;
    size_t roots = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '&') {
            const bool entity = std::any_of(kEntities.begin(), kEntities.end(),
                                            [&](std::string_view e) { return text.compare(i, e.size(), e) == 0; });
            if (!entity) return "bare & at " + std::to_string(i);
            continue;
        }
        if (text[i] != '<') continue;
        const size_t end = text.find('>', i);
        if (end == std::string::npos) return "unterminated tag at " + std::to_string(i);
        const std::string tag = text.substr(i + 1, end - i - 1);
        i = end;
        if (tag.starts_with("!") || tag.starts_with("?")) continue;  // doctype, comment, declaration
        const bool closing = tag.starts_with("/");
        const std::string body = closing ? tag.substr(1) : tag;
        const std::string name = body.substr(0, body.find_first_of(" \n/"));
        if (closing) {
            if (open.empty()) return "</" + name + "> closes nothing";
            if (open.back() != name) return "</" + name + "> closes <" + open.back() + ">";
            open.pop_back();
            continue;
        }
        if (open.empty()) ++roots;
        const bool is_void = std::find(void_tags.begin(), void_tags.end(), name) != void_tags.end();
        if (!tag.ends_with("/") && !is_void) open.push_back(name);
    }
    if (!open.empty()) return "<" + open.back() + "> never closed";
    return roots == 1 ? "" : std::to_string(roots) + " root elements";
}

// The value of attribute `name` in the element text starting at `at`.
std::string attribute(const std::string& svg, size_t at, const std::string& name) {
    const std::string key = " " + name + "=\"";
    const size_t start = svg.find(key, at);
    REQUIRE(start < svg.find('>', at));
    const size_t value = start + key.size();
    return svg.substr(value, svg.find('"', value) - value);
}

struct Tick {
    double x_px;
    int64_t t_ns;
    int stretch;        // the busy stretch between gaps it is in
    std::string label;  // as a reader sees it
};

// The time axis: each tick label's position, the time it stands for and its text.
std::vector<Tick> time_ticks(const std::string& svg) {
    std::vector<Tick> ticks;
    const std::string open = "<text class=\"xtick\"";
    for (size_t at = svg.find(open); at != std::string::npos; at = svg.find(open, at + 1)) {
        const size_t label = svg.find('>', at) + 1;
        ticks.push_back({std::stod(attribute(svg, at, "x")), std::stoll(attribute(svg, at, "data-t-ns")),
                         std::stoi(attribute(svg, at, "data-stretch")), svg.substr(label, svg.find('<', label) - label)});
    }
    return ticks;
}

// The timeline's data-time-map as the page reads it: [[t_ns, x], ...], linear in between.
struct TimeMap {
    std::vector<std::pair<int64_t, double>> points;
    double x_of(int64_t t_ns) const {
        REQUIRE(points.size() >= 2);
        if (t_ns <= points.front().first) return points.front().second;
        for (size_t i = 1; i < points.size(); ++i)
            if (t_ns <= points[i].first) {
                const auto& [t0, x0] = points[i - 1];
                const auto& [t1, x1] = points[i];
                return x0 + (x1 - x0) * static_cast<double>(t_ns - t0) / static_cast<double>(t1 - t0);
            }
        return points.back().second;
    }
};

TimeMap time_map(const std::string& svg) {
    const std::string key = "data-time-map='";
    const size_t start = svg.find(key);
    REQUIRE(start < svg.find('>'));  // on the root element
    const size_t from = start + key.size();
    const nlohmann::json j = nlohmann::json::parse(svg.substr(from, svg.find('\'', from) - from));
    TimeMap map;
    for (const nlohmann::json& point : j) {
        REQUIRE(point.size() == 2);
        REQUIRE(point[0].is_number_integer());
        map.points.emplace_back(point[0].get<int64_t>(), point[1].get<double>());
    }
    return map;
}

std::vector<std::string> path_data(const std::string& svg) {
    std::vector<std::string> out;
    for (size_t at = svg.find("<path "); at != std::string::npos; at = svg.find("<path ", at + 1))
        out.push_back(attribute(svg, at, "d"));
    return out;
}

// Path commands each draw to one point: M, H, V, L.
size_t point_count(const std::string& d) {
    constexpr std::string_view kCommands = "MHVL";
    return static_cast<size_t>(std::count_if(d.begin(), d.end(), [&](char c) { return kCommands.find(c) != kCommands.npos; }));
}

}  // namespace

TEST_CASE("figure 6-5: both writes blocked at 1000 of 1500, every queue full, zero windows") {
    const Run run("both-write-1500.json");
    REQUIRE(run.result.outcome == core::Outcome::deadlock);
    const std::string svg = views::figure_svg(run.loaded.scenario, run.result, "Figure 6-5");
    CHECK(markup_problem(svg) == "");
    CHECK(count_of(svg, ">write(1500)<title>write(1,500 bytes): 1,000 done</title>") == 2);
    CHECK(count_of(svg, ">1,000 B of 1,500 B in, 500 B left<title>") == 2);
    CHECK(count_of(svg, ">500/500 B<title>500 of 500 bytes</title>") == 4);
    CHECK(count_of(svg, ">FULL<") == 4);
    CHECK(count_of(svg, ">window 0<") == 2);
    CHECK(svg.find(">Host A<") != std::string::npos);
    CHECK(svg.find(">Host B<") != std::string::npos);
    CHECK(svg.find("DEADLOCK since " + text::format_duration(run.result.time_ns)) != std::string::npos);
}

TEST_CASE("figure: bytes a partly read skb still holds are drawn grey and explained") {
    Run run("both-write-1500.json");
    CHECK(views::figure_svg(run.loaded.scenario, run.result, "t").find("Grey:") == std::string::npos);
    run.result.queues[1].recvq = 300;
    run.result.queues[1].recvq_held = 100;
    const std::string svg = views::figure_svg(run.loaded.scenario, run.result, "t");
    CHECK(markup_problem(svg).empty());
    CHECK(svg.find(">300 B + 100 B held / 500 B<title>300 + 100 held of 500 bytes</title>") != std::string::npos);
    CHECK(svg.find("fill=\"#9e9e9e\"") != std::string::npos);
    CHECK(svg.find("Grey: bytes already read") != std::string::npos);
    CHECK(count_of(svg, ">FULL<") == 3);  // B's RecvQ has 100 bytes free
    run.result.queues[1].recvq = 400;   // unread plus held fill it: full, as its zero window says
    CHECK(count_of(views::figure_svg(run.loaded.scenario, run.result, "t"), ">FULL<") == 4);
}

TEST_CASE("figure: sizes in short binary units, the exact bytes in each <title>") {
    const Run run("erle-uppercase-1gib.json");
    REQUIRE(run.result.outcome == core::Outcome::deadlock);
    const std::string svg = views::figure_svg(run.loaded.scenario, run.result, "1 GiB");
    CHECK(markup_problem(svg) == "");
    CHECK(count_of(svg, ">256/256 KiB<title>262,144 of 262,144 bytes</title>") == 4);
    CHECK(svg.find(">wrote 1.001 MiB, read 0 B<title>wrote 1,049,176 bytes, read 0 bytes</title>") != std::string::npos);
    CHECK(svg.find(">write(16)<title>write(16 bytes): 8 done</title>") != std::string::npos);
    CHECK(svg.find(">8 B of 16 B in, 8 B left<title>write(16 bytes): 8 done</title>") != std::string::npos);
    CHECK(svg.find("1049176") == std::string::npos);  // no long ungrouped numbers
    core::Result open = run.result;
    open.queues[0].window = 300000;  // a window that is not a whole unit
    CHECK(views::figure_svg(run.loaded.scenario, open, "t").find(">window 293 KiB<title>window 300,000 bytes</title>") != std::string::npos);
}

TEST_CASE("figure and page: a stop asked for is told as such, not as a limit") {
    Run run("rule-demo.json");
    run.result.outcome = core::Outcome::stopped;
    run.result.time_ns = 500'000'000;
    const std::string svg = views::figure_svg(run.loaded.scenario, run.result, "at 500 ms");
    CHECK(svg.find("STOPPED where asked, at 500 ms") != std::string::npos);
    CHECK(svg.find("LIMIT") == std::string::npos);
    CHECK(views::html_page(run.result, svg, "", {}, {}).find("STOPPED where asked, at 500 ms") != std::string::npos);
}

TEST_CASE("figure: a completed run shows no full queue and no blocked op") {
    const Run run("both-write-1500.json");
    core::Result done = run.result;
    done.outcome = core::Outcome::completed;
    for (core::ThreadReport& t : done.threads) {
        t.state = core::ThreadState::done;
        t.blocked_in.reset();
    }
    for (core::QueueReport& q : done.queues) {
        q.sendq = q.recvq = 0;
        q.window = q.rqs;
    }
    const std::string svg = views::figure_svg(run.loaded.scenario, done, "done & dusted <ok>");
    CHECK(markup_problem(svg) == "");
    CHECK(svg.find("FULL") == std::string::npos);
    CHECK(svg.find(" left") == std::string::npos);
    CHECK(svg.find("done &amp; dusted &lt;ok&gt;") != std::string::npos);
}

TEST_CASE("timeline: the onset marker and every tick stand where the time map puts their time") {
    const Run run("both-write-1500.json");
    const std::string svg = views::timeline_svg(run.recorder, run.result, "both-write-1500");
    CHECK(markup_problem(svg) == "");
    for (const char* label : {"A.SendQ", "A.RecvQ", "B.SendQ", "B.RecvQ", "A.main", "B.main", "deadlock onset"})
        CHECK(svg.find(label) != std::string::npos);
    const TimeMap map = time_map(svg);
    const std::vector<Tick> ticks = time_ticks(svg);
    REQUIRE(ticks.size() >= 2);
    CHECK(ticks.size() <= 9);
    for (const Tick& t : ticks) CHECK(std::abs(t.x_px - map.x_of(t.t_ns)) <= 0.1);
    const size_t at = svg.find("<line class=\"onset\"");
    REQUIRE(at != std::string::npos);
    CHECK(std::abs(std::stod(attribute(svg, at, "x1")) - map.x_of(run.result.time_ns)) <= 0.1);  // one decimal
    CHECK(attribute(svg, at, "x2") == attribute(svg, at, "x1"));
}

TEST_CASE("timeline: 20,000 samples draw as at most ~1,500 points a line, steps kept") {
    const Run run("both-write-1500.json");
    views::Recorder recorder(run.loaded.scenario);
    constexpr int kEvents = 19990;  // just under Recorder::kMaxSamples, so none is thinned out
    std::array<core::DirectionCounters, 2> directions{};
    for (int i = 0; i < kEvents; ++i) {
        core::TraceEvent event;
        event.time_ns = int64_t{1000} * (i + 1);
        directions[0].written = (i / 7) % 2 == 0 ? 500 : 0;  // A.SendQ: a square wave of 7-event runs
        recorder.on_event(event, directions, {});
    }
    REQUIRE(recorder.samples().size() > 19000);
    const std::string svg = views::timeline_svg(recorder, run.result, "many samples");
    CHECK(markup_problem(svg) == "");
    const std::vector<std::string> paths = path_data(svg);
    REQUIRE(paths.size() == 4 + 2 * recorder.thread_labels().size());
    for (const std::string& d : paths) CHECK(point_count(d) <= 1502);
    // Every pixel column of the square wave still spans 0..500: one vertical stroke or more each.
    CHECK(count_of(paths[0], " V") >= 300);
    CHECK(svg.size() < 200'000);
}

TEST_CASE("timeline: a zero-length run draws without dividing by zero") {
    const Run run("both-write-1500.json");
    const views::Recorder recorder(run.loaded.scenario);  // the one sample at t = 0
    core::Result result = run.result;
    result.time_ns = 0;
    const std::string svg = views::timeline_svg(recorder, result, "nothing happened");
    CHECK(markup_problem(svg) == "");
    CHECK(svg.find("nan") == std::string::npos);
    CHECK(svg.find("inf") == std::string::npos);
    CHECK(time_ticks(svg).size() == 1);
}

TEST_CASE("html page: self-contained, with verdict, both pictures, the cycle and escaped text") {
    const Run run("both-write-1500.json");
    const std::string figure = views::figure_svg(run.loaded.scenario, run.result, "Figure 6-5");
    const std::string timeline = views::timeline_svg(run.recorder, run.result, "Over time");
    const std::vector<views::NarratedStep> narration = {{0, "A.main calls write(1500)", "[A: SendQ 0/500]", false},
                                                        {2'432'000, "check: 1500 < 500 + 500 is false", "", false}};
    const std::string html = views::html_page(run.result, figure, timeline, narration, {"n > SQS+RQS deadlocks"});
    CHECK(html.starts_with("<!DOCTYPE html>"));
    CHECK(markup_problem(html, {"meta"}) == "");
    CHECK(html.find("DEADLOCK since " + text::format_duration(run.result.time_ns)) != std::string::npos);
    CHECK(html.find(figure) != std::string::npos);
    CHECK(html.find(timeline) != std::string::npos);
    REQUIRE(!run.result.cycle.empty());
    for (const std::string& hop : run.result.cycle) CHECK(html.find("<li>" + hop + "</li>") != std::string::npos);
    CHECK(html.find("1500 &lt; 500 + 500") != std::string::npos);
    CHECK(html.find("1500 < 500") == std::string::npos);
    CHECK(html.find("n &gt; SQS+RQS") != std::string::npos);
    for (const char* external : {"src=", "href=", "<script", "<link", "@import"}) CHECK(html.find(external) == std::string::npos);
}

// ------------------------------------------------------------------ several hosts

namespace {

// Every attribute `name="..."` of every element `<tag ` in the text, in order.
std::vector<std::string> attributes(const std::string& text, const std::string& tag, const std::string& name) {
    std::vector<std::string> out;
    for (size_t at = text.find("<" + tag + " "); at != std::string::npos; at = text.find("<" + tag + " ", at + 1)) {
        const size_t end = text.find('>', at);
        const size_t a = text.find(" " + name + "=\"", at);
        if (a == std::string::npos || a > end) continue;
        const size_t from = a + name.size() + 3;
        out.push_back(text.substr(from, text.find('"', from) - from));
    }
    return out;
}

}  // namespace

TEST_CASE("figure, several hosts: every host, every socket by its peer, and straight arrows between them") {
    const Run run("views-proxy.json");
    const std::string svg = views::figure_svg(run.loaded.scenario, run.result, "proxy");
    CHECK(markup_problem(svg) == "");
    CHECK(svg.find("<title id=\"figure-title\">proxy: the hosts when the run ended. DEADLOCK since ") != std::string::npos);
    for (const char* text : {"Host client", "Host proxy", "Host server", "socket to client", "socket to server", "socket to proxy",
                             "write(5000) to server", "client \u2192 proxy", "server \u2192 proxy"})
        CHECK_MESSAGE(svg.find(text) != std::string::npos, text);
    // The deadlock's four full queues are proxy's and server's on their connection.
    CHECK(count_of(svg, ">FULL<") == 4);
    // Two arrows per connection, each horizontal and inside the picture.
    const std::vector<std::string> y1 = attributes(svg, "line", "y1"), y2 = attributes(svg, "line", "y2");
    CHECK(count_of(svg, "marker-end") == 4);
    REQUIRE(y1.size() == y2.size());
    for (size_t i = 0; i < y1.size(); ++i) CHECK(y1[i] == y2[i]);
    const double width = std::stod(attributes(svg, "svg", "width").at(0));
    for (const std::string& x : attributes(svg, "line", "x2")) CHECK(std::stod(x) < width);
    // The hosts side by side, none on another: their boxes (rx=8) start one box and a gap apart.
    std::vector<double> host_x;
    for (size_t at = svg.find("rx=\"8\""); at != std::string::npos; at = svg.find("rx=\"8\"", at + 1)) {
        const size_t x = svg.rfind("<rect x=\"", at) + 9;
        host_x.push_back(std::stod(svg.substr(x, svg.find('"', x) - x)));
    }
    REQUIRE(host_x.size() == 3);
    CHECK(host_x[1] - host_x[0] == doctest::Approx(host_x[2] - host_x[1]));
    CHECK(host_x[1] - host_x[0] > 300);
    // Each arrow runs from a SendQ to the RecvQ level with it: every SendQ's label has its
    // peer's RecvQ label at the same height, in another host.
    const auto label_ys = [&](const std::string& name) {
        std::vector<std::string> ys;
        const std::string tail = " font-weight=\"bold\">" + name + "<";
        for (size_t at = svg.find(tail); at != std::string::npos; at = svg.find(tail, at + 1)) {
            const size_t y = svg.rfind(" y=\"", at) + 4;
            ys.push_back(svg.substr(y, svg.find('"', y) - y));
        }
        std::sort(ys.begin(), ys.end());
        return ys;
    };
    REQUIRE(label_ys("SendQ").size() == 4);
    CHECK(label_ys("SendQ") == label_ys("RecvQ"));
}

TEST_CASE("figure, several hosts: queues and pipes with their levels, a pipe's arrow from writer to reader") {
    const Run pipes("views-pipes.json");
    const std::string svg = views::figure_svg(pipes.loaded.scenario, pipes.result, "pipes");
    CHECK(markup_problem(svg) == "");
    CHECK(svg.find("pipe stdin to child") != std::string::npos);
    CHECK(svg.find("pipe stdout to parent") != std::string::npos);
    CHECK(svg.find("64/64 KiB") != std::string::npos);
    CHECK(count_of(svg, ">FULL<") == 2);
    CHECK(count_of(svg, "marker-end") == 2);
    const Run queue("views-queue.json");
    const std::string q = views::figure_svg(queue.loaded.scenario, queue.result, "queue");
    CHECK(q.find("queue jobs") != std::string::npos);
    CHECK(q.find("write(1000) to queue jobs") != std::string::npos);
    CHECK(count_of(q, ">FULL<") == 5);  // both sockets' SendQ and RecvQ, and the queue
}

TEST_CASE("timeline, several hosts: one series per socket queue and byte queue, named, each drawn apart") {
    for (const char* name : {"views-proxy.json", "views-queue.json", "views-pipes.json"}) {
        CAPTURE(name);
        const Run run(name);
        const std::vector<std::string>& labels = run.recorder.queue_labels();
        CHECK(labels.size() == 2 * run.result.queues.size() + run.result.byte_queues.size());
        const std::string svg = views::timeline_svg(run.recorder, run.result, name);
        CHECK(markup_problem(svg) == "");
        for (const std::string& label : labels) CHECK_MESSAGE(svg.find(">" + label + "<") != std::string::npos, label);
        // The last sample is the state the report gives.
        const views::Sample& last = run.recorder.samples().back();
        REQUIRE(last.queues.size() == labels.size());
        for (size_t i = 0; i < run.result.queues.size(); ++i) {
            CHECK(last.queues[2 * i] == run.result.queues[i].sendq);
            CHECK(last.queues[2 * i + 1] == run.result.queues[i].recvq);
        }
        for (size_t q = 0; q < run.result.byte_queues.size(); ++q)
            CHECK(last.queues[2 * run.result.queues.size() + q] == run.result.byte_queues[q].level);
    }
    // Stopped while B's RecvQ holds what A sent and A's is empty: each socket's RecvQ is the one
    // its peer's SendQ drains into.
    scenario::Loaded demo = scenario::load_file(std::string(TCPSIM_SOURCE_DIR) + "/scenarios/rule-demo.json");
    demo.scenario.limits.time_ns = 5'000'000;
    views::Recorder recorder(demo.scenario);
    const core::Result stopped = core::simulate(demo.scenario, scenario::params_for(demo.scenario.profile, "", 1460), &recorder);
    REQUIRE(stopped.queues[1].recvq > 0);
    REQUIRE(stopped.queues[0].recvq == 0);
    CHECK(recorder.samples().back().queues == std::vector<int64_t>{stopped.queues[0].sendq, 0, stopped.queues[1].sendq,
                                                                    stopped.queues[1].recvq});
    const Run proxy("views-proxy.json");
    const std::string svg = views::timeline_svg(proxy.recorder, proxy.result, "proxy");
    for (const char* label : {"client.proxy.SendQ", "proxy.server.RecvQ", "server.proxy.SendQ"}) CHECK(svg.find(label) != std::string::npos);
    // No two queue series share a colour and a dash: each path's style is its own.
    const std::vector<std::string> strokes = attributes(svg, "path", "stroke");
    const std::vector<std::string> queue_strokes(strokes.begin(), strokes.begin() + 8);
    CHECK(std::set<std::string>(queue_strokes.begin(), queue_strokes.end()).size() == 8);
}

TEST_CASE("timeline: a legend of many series stays inside its panel") {
    // Twelve connections to one hub: 24 sockets, 48 queue series.
    std::string endpoints = R"("hub": {"sqs": 500, "rqs": 500, "threads": {"main": [{"sleep": "1ms"}]}})", connections;
    for (int i = 0; i < 12; ++i) {
        const std::string c = "c" + std::to_string(i);
        endpoints += ", \"" + c + "\": {\"sqs\": 500, \"rqs\": 500, \"threads\": {\"main\": [{\"write\": 100}]}}";
        connections += std::string(i == 0 ? "" : ", ") + "{\"between\": [\"hub\", \"" + c + "\"]}";
    }
    const scenario::Loaded loaded = scenario::load_text(
        R"({"name": "many", "description": "a hub and twelve clients", "model": "textbook", "link": {"bandwidth": "10Mbps", "delay": "1ms", "mss": 1460},
            "endpoints": {)" + endpoints + R"(}, "connections": [)" + connections + "]}",
        "many.json");
    views::Recorder recorder(loaded.scenario);
    const core::Result result = core::simulate(loaded.scenario, scenario::params_for(loaded.scenario.profile, "", 1460), &recorder);
    const std::string svg = views::timeline_svg(recorder, result, "many");
    CHECK(markup_problem(svg) == "");
    // Each of the 48 queue series has a colour and dash of its own.
    std::set<std::string> styles;
    for (size_t at = svg.find("<path "), n = 0; at != std::string::npos && n < 48; at = svg.find("<path ", at + 1), ++n) {
        const std::string path = svg.substr(at, svg.find("/>", at) - at);
        const size_t stroke = path.find(" stroke=\""), dash = path.find("stroke-dasharray=\"");
        styles.insert(path.substr(stroke, path.find('"', stroke + 10) - stroke) +
                      (dash == std::string::npos ? "" : path.substr(dash, path.find('"', dash + 18) - dash)));
    }
    CHECK(styles.size() == 48);
    const double height = std::stod(attributes(svg, "svg", "height").at(0));
    for (const std::string& y : attributes(svg, "text", "y")) CHECK(std::stod(y) < height);
    // The last queue legend entry sits above the bytes panel's title.
    const size_t last = svg.find(">hub.c11.RecvQ<");
    const size_t title = svg.find(">Bytes each thread");
    REQUIRE(last != std::string::npos);
    REQUIRE(title != std::string::npos);
    const auto y_before = [&](size_t at) {
        const size_t y = svg.rfind(" y=\"", at) + 4;
        return std::stod(svg.substr(y, svg.find('"', y) - y));
    };
    CHECK(y_before(last) + 20 < y_before(title));
}

TEST_CASE("html page: the threads off the cycle are listed with it") {
    const Run run("views-proxy.json");
    REQUIRE(!run.result.off_cycle.empty());
    const std::string html = views::html_page(run.result, "", "", {}, {});
    CHECK(markup_problem(html, {"meta"}) == "");
    CHECK(html.find("The hosts when the run ended") != std::string::npos);
    for (const std::string& line : run.result.off_cycle) CHECK(html.find("<li>" + line + "</li>") != std::string::npos);
}

// ------------------------------------------------------------------ for a projector (issue 17)

namespace {

// A <text> element as a reader meets it: its attributes, the words it shows, its tooltip.
struct TextEl {
    std::string attrs;
    std::string shown;
    std::string title;  // "" when it has none
};

std::vector<TextEl> texts_of(const std::string& svg) {
    std::vector<TextEl> out;
    for (size_t at = svg.find("<text "); at != std::string::npos; at = svg.find("<text ", at + 1)) {
        const size_t open_end = svg.find('>', at);
        const size_t close = svg.find("</text>", open_end);
        std::string body = svg.substr(open_end + 1, close - open_end - 1);
        TextEl el{svg.substr(at + 6, open_end - at - 6), "", ""};
        if (const size_t t = body.find("<title>"); t != std::string::npos) {
            el.title = body.substr(t + 7, body.find("</title>") - t - 7);
            body.resize(t);
        }
        for (size_t i = 0; i < body.size(); ++i) {  // drop <tspan ...> tags, keep their words
            if (body[i] == '<') i = body.find('>', i);
            else el.shown += body[i];
        }
        out.push_back(el);
    }
    return out;
}

// The root element must be an image with a name and a description: role="img", its first child
// a <title> that `title_has`, then a <desc>, both named by aria-labelledby.
void check_accessible(const std::string& svg, const std::string& title_has) {
    const std::string root = svg.substr(0, svg.find('>') + 1);
    REQUIRE(root.starts_with("<svg "));
    CHECK(root.find(" role=\"img\"") != std::string::npos);
    const std::string ids = attribute(svg, 0, "aria-labelledby");
    const std::string title_id = ids.substr(0, ids.find(' ')), desc_id = ids.substr(ids.find(' ') + 1);
    const std::string rest = svg.substr(root.size());
    const std::string title_open = "\n<title id=\"" + title_id + "\">";
    REQUIRE(rest.starts_with(title_open));
    const std::string title = rest.substr(title_open.size(), rest.find("</title>") - title_open.size());
    CHECK_MESSAGE(title.find(title_has) != std::string::npos, title);
    const std::string after = rest.substr(rest.find("</title>") + 8);
    const std::string desc_open = "\n<desc id=\"" + desc_id + "\">";
    REQUIRE(after.starts_with(desc_open));
    CHECK(after.find("</desc>") > desc_open.size() + 20);  // says something
}

// The instants a test needs of a run: the counters after every event, and the op events.
struct Bytes {
    struct At {
        core::TraceEvent event;
        std::vector<core::DirectionCounters> directions;
    };
    std::vector<At> events;
};
class BytesRecorder : public core::Observer {
public:
    Bytes bytes;
    void on_event(const core::TraceEvent& event, std::span<const core::DirectionCounters> directions,
                  std::span<const core::ByteQueueCounters>) override {
        bytes.events.push_back({event, std::vector<core::DirectionCounters>(directions.begin(), directions.end())});
    }
};

// Every observer of one run.
struct Watched {
    model::Scenario scenario;
    views::Recorder recorder;
    BytesRecorder bytes;
    core::Result result;
    explicit Watched(model::Scenario s) : scenario(std::move(s)), recorder(scenario) {
        core::ObserverList both;
        both.add(&recorder);
        both.add(&bytes);
        result = test::run_builtin(scenario, &both);
    }
};

// Both hosts of both-write-1500 in linux with 64 KiB buffers and 1 MB writes: each writer blocks
// with its SendQ's payload below the capacity (skb overhead fills the rest).
model::Scenario linux_both_write() {
    using namespace test;
    const std::vector<model::Op> program = {write_op(1'000'000), shutdown_op(), read_to_end_op()};
    return make_scenario({65536, 65536, {{"main", program}}}, {65536, 65536, {{"main", program}}}, model::Profile::linux);
}

// Where the <g class="queue"> of `key` starts in a figure.
size_t queue_group(const std::string& svg, const std::string& key) {
    return svg.find("<g class=\"queue\" data-queue=\"" + key + "\"");
}

std::string element_with(const std::string& svg, const std::string& tag, const std::string& attr_value) {
    const size_t at = svg.find(attr_value);
    REQUIRE(at != std::string::npos);
    const size_t start = svg.rfind("<" + tag + " ", at);
    return svg.substr(start, svg.find('>', at) - start);
}

}  // namespace

// Round ticks where the time map puts them: within a busy stretch a constant 1-2-5 step, each
// tick a multiple of it; a stretch's lone tick a round number; no two labels alike or touching.
void check_round_ticks(const std::string& svg) {
    const TimeMap map = time_map(svg);
    const std::vector<Tick> ticks = time_ticks(svg);
    REQUIRE(ticks.size() >= 2);
    const auto one_two_five = [](int64_t step) {
        while (step % 10 == 0) step /= 10;
        return step == 1 || step == 2 || step == 5;
    };
    std::set<std::string> labels;
    for (size_t i = 0; i < ticks.size(); ++i) {
        CAPTURE(ticks[i].label);
        labels.insert(ticks[i].label);
        CHECK(std::abs(ticks[i].x_px - map.x_of(ticks[i].t_ns)) <= 0.1);
        if (i > 0) CHECK(ticks[i].x_px - ticks[i - 1].x_px > 30);
        const bool alone = (i == 0 || ticks[i].stretch != ticks[i - 1].stretch) &&
                           (i + 1 == ticks.size() || ticks[i].stretch != ticks[i + 1].stretch);
        if (alone) {  // two significant digits at most: 340 ms, not 292.4 ms
            int64_t t = ticks[i].t_ns;
            while (t != 0 && t % 10 == 0) t /= 10;
            CHECK(t < 100);
        }
        if (i == 0 || ticks[i].stretch != ticks[i - 1].stretch) continue;
        const int64_t step = ticks[i].t_ns - ticks[i - 1].t_ns;
        CHECK_MESSAGE(one_two_five(step), ("step " + std::to_string(step)));
        CHECK(ticks[i].t_ns % step == 0);
    }
    CHECK(labels.size() == ticks.size());
}

TEST_CASE("every SVG is an accessible image: role img, a <title> with the verdict first, a <desc>") {
    const Run two("both-write-1500.json"), proxy("views-proxy.json");
    check_accessible(views::figure_svg(two.loaded.scenario, two.result, "both"), "both: the two hosts when the run ended. DEADLOCK since");
    check_accessible(views::figure_svg(proxy.loaded.scenario, proxy.result, "proxy"), "proxy: the hosts when the run ended. DEADLOCK");
    check_accessible(views::timeline_svg(two.recorder, two.result, "both"), "both: queues and bytes over time. DEADLOCK since");
    // The figure's and the timeline's ids differ, so one page can hold both.
    CHECK(attribute(views::figure_svg(two.loaded.scenario, two.result, "t"), 0, "aria-labelledby") !=
          attribute(views::timeline_svg(two.recorder, two.result, "t"), 0, "aria-labelledby"));
    views::SweepMeta meta{"f", "grid", 4, 1, 1, {{"endpoints.A.sqs", analysis::FieldKind::size, 2, false},
                                                  {"endpoints.B.rqs", analysis::FieldKind::size, 2, false}}};
    views::Heatmap map(meta);
    for (int64_t p = 0; p < 4; ++p)
        map.add({p, p < 2 ? "500" : "1000", p % 2 == 0 ? "500" : "1000", p == 0 ? core::Outcome::deadlock : core::Outcome::completed,
                 p == 0 ? 1000 : 1500, "A.main", -1, true});
    std::ostringstream heat;
    map.write_svg(heat);
    CHECK(markup_problem(heat.str()) == "");
    check_accessible(heat.str(), "grid: the outcome at each of 4 points of a sweep over endpoints.A.sqs and endpoints.B.rqs");
    CHECK(heat.str().find("3 points complete, 1 point deadlocks (A.main had written 1,000 bytes to 1,000 bytes") != std::string::npos);
}

TEST_CASE("figure: every host's text is one size, however long its numbers, and long lines wrap") {
    const Run erle("erle-uppercase-1gib.json"), proxy("views-proxy.json"), pipes("views-pipes.json");
    const Watched linux_run(linux_both_write());
    core::Result failed = erle.result;  // a line far too long for its box: wrapped, not shrunk
    failed.threads[1].state = core::ThreadState::failed;
    failed.threads[1].error = "send: Connection reset by peer, after the client had closed its socket with unread bytes in it";
    const std::vector<std::string> figures = {views::figure_svg(erle.loaded.scenario, erle.result, "erle-uppercase-1gib"),
                                              views::figure_svg(erle.loaded.scenario, failed, "failed"),
                                              views::figure_svg(proxy.loaded.scenario, proxy.result, "proxy"),
                                              views::figure_svg(pipes.loaded.scenario, pipes.result, "pipes"),
                                              views::figure_svg(linux_run.scenario, linux_run.result, "linux")};
    // The sizes the figure is designed in: title, host, verdict, bold labels, lines, captions.
    const std::set<std::string> designed = {"17", "16", "14", "13", "12", "11"};
    for (const std::string& svg : figures) {
        CHECK(markup_problem(svg) == "");
        for (const TextEl& t : texts_of(svg)) {
            const size_t at = t.attrs.find("font-size=\"");
            REQUIRE(at != std::string::npos);
            const std::string size = t.attrs.substr(at + 11, t.attrs.find('"', at + 11) - at - 11);
            CHECK_MESSAGE(designed.count(size) == 1, (t.shown + " drawn at " + size + " px"));
        }
    }
    // The server's longer numbers are on lines of their own, at the client's size.
    CHECK(figures[0].find(">wrote 512 KiB, read 512.6 KiB<title>") != std::string::npos);
    CHECK(figures[0].find(">424 B of 1,024 B in, 600 B left<title>") != std::string::npos);
    std::vector<std::string> pieces;
    for (const TextEl& t : texts_of(figures[1]))
        if (!t.shown.empty() && failed.threads[1].error.find(t.shown) != std::string::npos) pieces.push_back(t.shown);
    CHECK(pieces.size() >= 2);
    std::string joined;
    for (const std::string& piece : pieces) joined += (joined.empty() ? "" : " ") + piece;
    CHECK(joined == failed.threads[1].error);
}

TEST_CASE("figure and timeline: sizes in binary units, every rounded one with its exact bytes on hover") {
    const Run erle("erle-uppercase-1gib.json"), pipes("views-pipes.json");
    const Watched linux_run(linux_both_write());
    const std::vector<std::string> svgs = {views::figure_svg(erle.loaded.scenario, erle.result, "erle"),
                                           views::timeline_svg(erle.recorder, erle.result, "erle"),
                                           views::figure_svg(pipes.loaded.scenario, pipes.result, "pipes"),
                                           views::timeline_svg(pipes.recorder, pipes.result, "pipes"),
                                           views::figure_svg(linux_run.scenario, linux_run.result, "linux"),
                                           views::timeline_svg(linux_run.recorder, linux_run.result, "linux")};
    size_t sizes_seen = 0;
    for (const std::string& svg : svgs)
        for (const TextEl& t : texts_of(svg)) {
            // A call keeps its argument as code writes it: write(200000).
            std::string words = t.shown;
            for (size_t open = words.find('('); open != std::string::npos; open = words.find('(', open + 1))
                words.erase(open, words.find(')', open) - open);
            size_t digits = 0, longest = 0;
            for (char c : words) longest = std::max(longest, digits = std::isdigit(static_cast<unsigned char>(c)) ? digits + 1 : 0);
            CHECK_MESSAGE(longest <= 4, (std::string("a long raw number: ") + t.shown));
            if (words.find("KiB") == std::string::npos && words.find("MiB") == std::string::npos) continue;
            ++sizes_seen;
            CHECK_MESSAGE(t.title.find("bytes") != std::string::npos, (std::string("no exact bytes behind: ") + t.shown));
        }
    CHECK(sizes_seen > 30);
}

TEST_CASE("figure: each bar names its queue and level as the Recorder does") {
    for (const char* name : {"both-write-1500.json", "views-proxy.json", "views-queue.json", "views-pipes.json"}) {
        CAPTURE(name);
        const Run run(name);
        const std::string svg = views::figure_svg(run.loaded.scenario, run.result, name);
        const std::vector<std::string> keys = attributes(svg, "g", "data-queue"), levels = attributes(svg, "g", "data-bytes");
        REQUIRE(keys.size() == levels.size());
        const std::vector<std::string>& labels = run.recorder.queue_labels();
        CHECK(std::set<std::string>(keys.begin(), keys.end()) == std::set<std::string>(labels.begin(), labels.end()));
        CHECK(keys.size() == labels.size());
        for (size_t i = 0; i < keys.size(); ++i) {
            const size_t k = static_cast<size_t>(std::find(labels.begin(), labels.end(), keys[i]) - labels.begin());
            REQUIRE(k < labels.size());
            CHECK_MESSAGE(std::stoll(levels[i]) == run.recorder.samples().back().queues[k], keys[i]);
        }
    }
}

TEST_CASE("figure, linux: a SendQ a writer is blocked on is drawn full, its payload bytes still stated") {
    const Watched run(linux_both_write());
    REQUIRE(run.result.outcome == core::Outcome::deadlock);
    const core::QueueReport& a = run.result.queues[0];
    REQUIRE(a.sendq < a.sqs);  // the payload alone is below capacity
    const std::string svg = views::figure_svg(run.scenario, run.result, "linux");
    const size_t group = queue_group(svg, "A.SendQ");
    REQUIRE(group != std::string::npos);
    const std::string bar = svg.substr(group, svg.find("</g>", group) - group);
    CHECK(bar.find("fill=\"#c62828\"") != std::string::npos);
    CHECK(bar.find(">full: writer blocked<") != std::string::npos);
    CHECK(bar.find(">" + text::level_short(a.sendq, a.sqs) + "<title>" + text::grouped(a.sendq) + " of " + text::bytes(a.sqs) +
                   "; its writer is blocked") != std::string::npos);
    CHECK(count_of(svg, ">full: writer blocked<") == 2);
    CHECK(svg.find(">Full, writer blocked: the kernel counts each skb&#39;s overhead") != std::string::npos);  // the caption says why
    // With no writer blocked on it, a SendQ below capacity is not full.
    core::Result freed = run.result;
    for (core::ThreadReport& t : freed.threads) t.state = core::ThreadState::done;
    const std::string after = views::figure_svg(run.scenario, freed, "linux");
    CHECK(after.find("full: writer blocked") == std::string::npos);
    CHECK(after.find("Full, writer blocked") == std::string::npos);
    const size_t g = queue_group(after, "A.SendQ");
    CHECK(after.substr(g, after.find("</g>", g) - g).find("fill=\"#64b5f6\"") != std::string::npos);
}

TEST_CASE("timeline: every queue series has a colour and a dash of its own, as its legend shows") {
    const Run run("both-write-1500.json");
    const std::string svg = views::timeline_svg(run.recorder, run.result, "both");
    std::set<std::string> colours, dashes;
    for (const std::string& label : run.recorder.queue_labels()) {
        const std::string path = element_with(svg, "path", "data-series=\"" + label + "\"");
        const std::string colour = attribute(path, 0, "stroke");
        const std::string dash = path.find("stroke-dasharray") == std::string::npos ? "solid" : attribute(path, 0, "stroke-dasharray");
        colours.insert(colour);
        dashes.insert(dash);
        // The legend's sample line, just before the label, is drawn the same way.
        const size_t label_at = svg.find(">" + label + "<");
        const size_t line = svg.rfind("<line ", label_at);
        const std::string legend = svg.substr(line, svg.find("/>", line) - line);
        CHECK(attribute(legend, 0, "stroke") == colour);
        CHECK(attribute(legend, 0, "stroke-width") == attribute(path, 0, "stroke-width"));
        CHECK((legend.find("stroke-dasharray") == std::string::npos ? "solid" : attribute(legend, 0, "stroke-dasharray")) == dash);
    }
    // Two series at one level both show: four colours and four dash patterns.
    CHECK(colours.size() == 4);
    CHECK(dashes.size() == 4);
}

TEST_CASE("timeline: rule-demo's idle second is a narrow marked gap, the busy moments get the width") {
    const Run run("rule-demo.json");
    const std::string svg = views::timeline_svg(run.recorder, run.result, "rule-demo");
    CHECK(markup_problem(svg) == "");
    const TimeMap map = time_map(svg);
    // The contract with the page: integers in increasing order, from the plot's start to its end.
    CHECK(map.points.front().first == 0);
    CHECK(map.points.back().first >= run.result.time_ns);
    for (size_t i = 1; i < map.points.size(); ++i) {
        CHECK(map.points[i].first > map.points[i - 1].first);
        CHECK(map.points[i].second > map.points[i - 1].second);
    }
    const double plot_left = map.points.front().second, plot_right = map.points.back().second;
    CHECK(std::stod(attribute(svg, 0, "data-plot-top")) + 300 < std::stod(attribute(svg, 0, "data-plot-bottom")));
    // One gap, from A's last move before B wakes to B's wake-up at 1 s.
    REQUIRE(count_of(svg, "<g class=\"gap-label\"") == 1);
    const size_t gap = svg.find("<g class=\"gap-label\"");
    const int64_t from = std::stoll(attribute(svg, gap, "data-from-ns")), to = std::stoll(attribute(svg, gap, "data-to-ns"));
    CHECK(to == 1'000'000'000);
    CHECK(svg.find(">" + text::format_duration(to - from) + ", no byte moves<") != std::string::npos);
    CHECK(map.x_of(to) - map.x_of(from) == doctest::Approx(36).epsilon(0.01));
    // Nothing moves inside it ...
    const std::vector<views::Sample>& samples = run.recorder.samples();
    const auto at_from = std::find_if(samples.rbegin(), samples.rend(), [&](const views::Sample& s) { return s.time_ns <= from; });
    CHECK(at_from->in_transit == 0);
    for (const views::Sample& s : samples)
        if (s.time_ns > from && s.time_ns < to)
            CHECK((s.queues == at_from->queues && s.written == at_from->written && s.read == at_from->read && s.in_transit == 0));
    // ... and the 7 ms where everything happens after it take most of the plot, not a sliver.
    CHECK(map.x_of(run.result.time_ns) - map.x_of(to) > 0.6 * (plot_right - plot_left));
    check_round_ticks(svg);
    CHECK(std::set<int>{time_ticks(svg).front().stretch, time_ticks(svg).back().stretch}.size() == 2);  // both sides of the gap
}

TEST_CASE("timeline: gaps that end at odd instants still get round ticks, and the ticks keep apart") {
    const Watched run(linux_both_write());  // zero-window probes: idle stretches ending at 292.4 ms and 333.4 ms
    const std::string svg = views::timeline_svg(run.recorder, run.result, "linux");
    CHECK(count_of(svg, "<g class=\"gap-label\"") >= 1);
    check_round_ticks(svg);
    const Run erle("erle-uppercase-1gib.json");
    check_round_ticks(views::timeline_svg(erle.recorder, erle.result, "erle"));
}

TEST_CASE("timeline: a run that never pauses keeps a plain linear axis, and a segment in flight is no pause") {
    // both-write-1500: nothing changes while the first segments cross the 1 ms link (1.432 ms,
    // 59% of the run) and their ACKs come back, but bytes are on their way.
    for (const char* name : {"erle-uppercase-1gib.json", "both-write-1500.json"}) {
        CAPTURE(name);
        const Run run(name);
        const std::string svg = views::timeline_svg(run.recorder, run.result, name);
        CHECK(svg.find("class=\"gap\"") == std::string::npos);
        CHECK(time_map(svg).points.size() == 2);
    }
}

TEST_CASE("timeline: where rule-demo's write blocks, where B has read n-(SQS+RQS), where the write returns") {
    const scenario::Loaded demo = scenario::load_file(std::string(TCPSIM_SOURCE_DIR) + "/scenarios/rule-demo.json");
    const Watched run(demo.scenario);
    const std::string svg = views::timeline_svg(run.recorder, run.result, "rule-demo");
    // The instants, read off the event stream: A's write(2000) first blocks, returns; B's reads
    // on A->B reach 2000 - (500 + 500).
    int64_t blocks = -1, returns = -1, rule = -1;
    for (const Bytes::At& at : run.bytes.bytes.events) {
        const core::TraceEvent& e = at.event;
        const bool a_write = e.endpoint == 0 && e.op == model::OpKind::write && e.thread == 0;
        if (a_write && e.kind == core::TraceKind::op_block && blocks < 0) blocks = e.time_ns;
        if (a_write && e.kind == core::TraceKind::op_return) returns = e.time_ns;
        if (rule < 0 && at.directions[0].read >= 1000) rule = e.time_ns;
    }
    REQUIRE(blocks == 0);
    REQUIRE(rule > 0);
    REQUIRE(returns > rule);
    const TimeMap map = time_map(svg);
    const auto marker = [&](const std::string& kind, int64_t t_ns, const std::string& label) {
        CAPTURE(kind);
        const std::string line = element_with(svg, "line", "class=\"marker " + kind + "\"");
        CHECK(std::stoll(attribute(line, 0, "data-t-ns")) == t_ns);
        CHECK(std::stod(attribute(line, 0, "x1")) == doctest::Approx(map.x_of(t_ns)).epsilon(0.001));
        CHECK(svg.find(">" + label + "<title>") != std::string::npos);
    };
    marker("blocks", blocks, "A.main: write(2000) blocks");
    marker("returns", returns, "A.main: write(2000) returns");
    marker("rule", rule, "B has read n-(SQS+RQS) = 1,000 B");
    CHECK(svg.find("A.main: write(2000) blocks at 0 ns.") != std::string::npos);  // the <desc>
    // The rule holds in textbook only: a linux run marks the write, not the rule.
    model::Scenario linux = demo.scenario;
    linux.profile = model::Profile::linux;
    const Watched linux_run(linux);
    const std::string linux_svg = views::timeline_svg(linux_run.recorder, linux_run.result, "rule-demo, linux");
    CHECK(linux_svg.find("class=\"marker rule\"") == std::string::npos);
}

TEST_CASE("property: the rule's marker stands where the peer's reads reach what was written before plus n-(SQS+RQS)") {
    using namespace test;
    std::mt19937_64 rng(1717);
    int marked = 0;
    for (int round = 0; round < 60; ++round) {
        const int64_t sqs = std::uniform_int_distribution<int64_t>(50, 3000)(rng);
        const int64_t rqs = std::uniform_int_distribution<int64_t>(50, 3000)(rng);
        const int64_t before = std::uniform_int_distribution<int64_t>(0, sqs + rqs)(rng);  // a write that cannot be the rule's
        const int64_t n = sqs + rqs + std::uniform_int_distribution<int64_t>(1, 3 * (sqs + rqs))(rng);
        const int64_t chunk = std::uniform_int_distribution<int64_t>(1, 2 * (sqs + rqs))(rng);
        const int64_t sleep_ns = std::uniform_int_distribution<int64_t>(0, 50'000'000)(rng);
        CAPTURE(sqs);
        CAPTURE(rqs);
        CAPTURE(before);
        CAPTURE(n);
        CAPTURE(chunk);
        std::vector<model::Op> a = {write_op(n), close_op()};
        if (before > 0) a.insert(a.begin(), write_op(before));
        const Watched run(make_scenario({sqs, 500, {{"main", a}}},
                                        {500, rqs, {{"main", {sleep_op(sleep_ns), repeat_eof_op({read_op(chunk)})}}}}));
        REQUIRE(run.result.outcome == core::Outcome::completed);
        const auto write = std::find_if(run.recorder.blocked_writes().begin(), run.recorder.blocked_writes().end(),
                                        [&](const views::BlockedWrite& w) { return w.requested == n; });
        REQUIRE(write != run.recorder.blocked_writes().end());
        CHECK(write->rule_bytes == n - (sqs + rqs));
        CHECK(write->rule_read_bytes == before + n - (sqs + rqs));
        // The first event after which B's reads on A->B reach that figure.
        int64_t crossed = -1;
        for (const Bytes::At& at : run.bytes.bytes.events)
            if (at.directions[0].read >= before + n - (sqs + rqs)) {
                crossed = at.event.time_ns;
                break;
            }
        CHECK(write->rule_read_ns == crossed);
        // The rule itself: the write returns only once the peer has read that much.
        CHECK(write->returned_ns >= write->rule_read_ns);
        const std::string svg = views::timeline_svg(run.recorder, run.result, "random");
        const std::string line = element_with(svg, "line", "class=\"marker rule\"");
        CHECK(std::stoll(attribute(line, 0, "data-t-ns")) == crossed);
        CHECK(std::stod(attribute(line, 0, "x1")) == doctest::Approx(time_map(svg).x_of(crossed)).epsilon(0.001));
        ++marked;
    }
    CHECK(marked == 60);
}

TEST_CASE("heatmap: round ticks at their true positions, sizes in binary units") {
    // 32 values of A.sqs, 50 .. 1600 by 50: the old ticks read 50, 200, 350, ... at every 3rd cell.
    std::vector<std::string> sqs;
    for (int64_t v = 50; v <= 1600; v += 50) sqs.push_back(std::to_string(v));
    const std::vector<std::string> delay = {"1000000", "3000000"};
    views::SweepMeta meta{"f", "grid", 64, 1, 1, {{"endpoints.A.sqs", analysis::FieldKind::size, 32, false},
                                                   {"link.delay", analysis::FieldKind::duration, 2, false}}};
    views::Heatmap map(meta);
    for (int64_t p = 0; p < 64; ++p)
        map.add({p, sqs[static_cast<size_t>(p / 2)], delay[static_cast<size_t>(p % 2)], core::Outcome::completed, 0, "A.main", -1, true});
    std::ostringstream out;
    map.write_svg(out);
    const std::string svg = out.str();
    CHECK(markup_problem(svg) == "");
    // The plot: 32 cells from x = 90; cell i holds 50 + 50 i bytes at its centre.
    const double cell = (std::stod(attributes(svg, "rect", "width").at(1)) - 0) / 1;  // the first cell's width
    std::vector<int64_t> values;
    for (size_t at = svg.find("<text class=\"xtick\""); at != std::string::npos; at = svg.find("<text class=\"xtick\"", at + 1)) {
        const size_t label = svg.find('>', at) + 1;
        const text::QuantityReading v = text::read_quantity(svg.substr(label, svg.find('<', label) - label), text::kSize);
        REQUIRE(v.problem == text::QuantityProblem::none);
        values.push_back(v.value);
        const double expected_x = 90 + cell * (0.5 + static_cast<double>(v.value - 50) / 50);
        CHECK(std::stod(attribute(svg, at, "x")) == doctest::Approx(expected_x).epsilon(0.001));
    }
    REQUIRE(values.size() >= 4);
    const int64_t step = values[1] - values[0];
    int64_t mantissa = step;
    while (mantissa % 10 == 0) mantissa /= 10;
    CHECK((mantissa == 1 || mantissa == 2 || mantissa == 5));
    for (size_t i = 0; i < values.size(); ++i) {
        CHECK(values[i] % step == 0);
        if (i > 0) CHECK(values[i] - values[i - 1] == step);
    }
    // An axis of two values names each at its own cell, a duration in its unit.
    CHECK(svg.find(">1 ms<title>1,000,000 ns</title>") != std::string::npos);
    CHECK(svg.find(">3 ms<title>3,000,000 ns</title>") != std::string::npos);
    CHECK(svg.find(">link.delay<") != std::string::npos);
    CHECK(svg.find(">endpoints.A.sqs (bytes)<") != std::string::npos);
}

TEST_CASE("html page: the steps with their time in a column and the queues apart, a title, a print stylesheet") {
    const scenario::Loaded demo = scenario::load_file(std::string(TCPSIM_SOURCE_DIR) + "/scenarios/rule-demo.json");
    views::Narrator narrator(demo.scenario);
    const core::Result result = test::run_builtin(demo.scenario, &narrator);
    const std::vector<views::NarratedStep> steps = narrator.steps();
    REQUIRE(std::any_of(steps.begin(), steps.end(), [](const views::NarratedStep& s) { return s.summary; }));
    const std::string html = views::html_page(result, "", "", steps, {});
    CHECK(markup_problem(html, {"meta"}) == "");
    CHECK(html.find("<title>rule-demo: COMPLETED at 1.007 s: every thread finished (tcpsim)</title>") != std::string::npos);
    size_t at = html.find("<ol class=\"steps\">");
    REQUIRE(at != std::string::npos);
    for (const views::NarratedStep& s : steps) {
        const std::string what = views::svg::esc(s.what);
        const std::string item = s.summary ? "<li class=\"summary\"><span class=\"t\"></span><span class=\"what\">" + what + "</span></li>"
                                           : "<li><span class=\"t\">" + text::format_duration(s.time_ns) +
                                                 "</span><span class=\"what\">" + what + "</span><span class=\"q\">" + s.queues +
                                                 "</span></li>";
        const size_t next = html.find(item, at);
        CHECK_MESSAGE(next != std::string::npos, item);
        if (next != std::string::npos) at = next;  // in order
    }
    const std::string print = html.substr(html.find("@media print"));
    for (const char* rule : {"background: none", "max-width: 100%", "break-inside: avoid"}) CHECK_MESSAGE(print.find(rule) != std::string::npos, rule);
}
