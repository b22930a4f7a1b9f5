// Teaching pictures: the Figure 6-5 SVG, the timeline SVG and the HTML page.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine.hpp"
#include "scenario/load.hpp"
#include "scenario/profile_file.hpp"
#include "text/format.hpp"
#include "views/pictures.hpp"
#include "views/recorder.hpp"

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
};

// The time axis as a reader sees it: each tick label's position and the time it names.
std::vector<Tick> time_ticks(const std::string& svg) {
    std::vector<Tick> ticks;
    const std::string open = "<text class=\"xtick\"";
    for (size_t at = svg.find(open); at != std::string::npos; at = svg.find(open, at + 1)) {
        const size_t label = svg.find('>', at) + 1;
        const std::string text = svg.substr(label, svg.find('<', label) - label);
        ticks.push_back({std::stod(attribute(svg, at, "x")), scenario::parse_duration_ns(text, "tick")});
    }
    return ticks;
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
    CHECK(count_of(svg, "write(1500): 1,000 B of 1,500 B in, 500 B left") == 2);
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
    CHECK(svg.find(">wrote 1.001 MiB, read 0 B</tspan><title>wrote 1,049,176 bytes, read 0 bytes</title>") != std::string::npos);
    CHECK(svg.find(">write(16): 8 B of 16 B in, 8 B left<title>write(16 bytes): 8 done</title>") != std::string::npos);
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

TEST_CASE("timeline: the onset marker stands at result.time_ns on the drawn time axis") {
    const Run run("both-write-1500.json");
    const std::string svg = views::timeline_svg(run.recorder, run.result, "both-write-1500");
    CHECK(markup_problem(svg) == "");
    for (const char* label : {"A.SendQ", "A.RecvQ", "B.SendQ", "B.RecvQ", "A.main", "B.main", "deadlock onset"})
        CHECK(svg.find(label) != std::string::npos);
    const std::vector<Tick> ticks = time_ticks(svg);
    REQUIRE(ticks.size() >= 2);
    CHECK(ticks.size() <= 9);
    const Tick& first = ticks.front();
    const Tick& last = ticks.back();
    const double expected_px = first.x_px + (last.x_px - first.x_px) * static_cast<double>(run.result.time_ns - first.t_ns) /
                                                static_cast<double>(last.t_ns - first.t_ns);
    const size_t at = svg.find("<line class=\"onset\"");
    REQUIRE(at != std::string::npos);
    const double error_px = std::abs(std::stod(attribute(svg, at, "x1")) - expected_px);
    CHECK(error_px <= 0.2);  // coordinates carry one decimal
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
    const std::vector<std::string> narration = {"0 ns: A.main calls write(1500)", "check: 1500 < 500 + 500 is false"};
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
    CHECK(svg.find("<title>proxy</title>") != std::string::npos);
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
