// Reports and traces: what users and other tools read.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "core/engine.hpp"
#include "support.hpp"
#include "scenario/load.hpp"
#include "text/format.hpp"
#include "views/ascii_figure.hpp"
#include "views/narrate.hpp"
#include "views/report.hpp"
#include "views/trace.hpp"

using namespace tcpsim;
using test::run_builtin;
using nlohmann::json;

namespace {

std::string scenario_path(const std::string& name) { return std::string(TCPSIM_SOURCE_DIR) + "/scenarios/" + name; }
// The views' own scenarios with several connections, queues and pipes.
std::string own_scenario(const std::string& name) { return std::string(TCPSIM_SOURCE_DIR) + "/tests/scenarios/" + name; }

std::vector<json> trace_lines(const model::Scenario& s, core::Result& result) {
    std::ostringstream out;
    views::JsonlTrace trace(out, s);
    result = run_builtin(s, &trace);
    std::vector<json> lines;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
    return lines;
}

}  // namespace

TEST_CASE("rule-demo trace: write(n) returns only after the peer read n-(SQS+RQS)") {
    const scenario::Loaded loaded = scenario::load_file(scenario_path("rule-demo.json"));
    const model::Scenario& s = loaded.scenario;
    const int64_t n = s.endpoints[0].threads[0].ops[0].bytes;
    const int64_t sqs = *s.connections[0].sizes[0].sqs_bytes, rqs = *s.connections[0].sizes[1].rqs_bytes;
    core::Result result;
    const std::vector<json> lines = trace_lines(s, result);
    bool returned = false;
    for (const json& line : lines) {
        const int64_t read_by_b = line["bytes"]["A->B"]["read"];
        if (line["kind"] == "op_return" && line["endpoint"] == "A" && line["op"] == "write") {
            CHECK(read_by_b >= n - (sqs + rqs));
            returned = true;
            break;
        }
        // While B has read less than n-(SQS+RQS), A has at most SQS+RQS+read bytes accepted.
        CHECK(line["bytes"]["A->B"]["written"].get<int64_t>() <= sqs + rqs + read_by_b);
    }
    CHECK(returned);
}

TEST_CASE("the trace replays to the report's final queue levels") {
    for (const char* name : {"both-write-1500.json", "compress-2to1.json", "compress-threads.json"}) {
        CAPTURE(name);
        const scenario::Loaded loaded = scenario::load_file(scenario_path(name));
        core::Result result;
        const std::vector<json> lines = trace_lines(loaded.scenario, result);
        REQUIRE(!lines.empty());
        const json& last = lines.back()["queues"];
        for (const core::QueueReport& q : result.queues) {
            CHECK(last[q.endpoint]["sendq"] == q.sendq);
            CHECK(last[q.endpoint]["recvq"] == q.recvq);
        }
        // The last line's held bytes are the report's (the forward direction's receiver is the second).
        const std::string forward = result.queues[0].endpoint + "->" + result.queues[1].endpoint;
        CHECK(lines.back()["bytes"][forward]["held"] == result.queues[1].recvq_held);
        int64_t t = 0;
        for (const json& line : lines) {
            CHECK(line["t_ns"].get<int64_t>() >= t);
            t = line["t_ns"];
        }
    }
}

TEST_CASE("report JSON carries the fields other tools rely on") {
    const scenario::Loaded loaded = scenario::load_file(scenario_path("both-write-1500.json"));
    const json report = json::parse(views::report_json(run_builtin(loaded.scenario)).dump());
    CHECK(report["scenario"] == "both-write-1500");
    CHECK(report["outcome"] == "deadlock");
    CHECK(report["time_ns"].is_number_integer());
    CHECK(report["events"].is_number_integer());
    REQUIRE(report["threads"].size() == 2);
    CHECK(report["threads"][0]["blocked_in"]["requested"] == 1500);
    CHECK(report["threads"][0]["blocked_in"]["done"] == 1000);
    CHECK(report["queues"]["A"]["sendq"] == 500);
    CHECK(report["queues"]["B"]["rqs"] == 500);
    CHECK(report["cycle"].size() == 5);
    const std::string text = views::report_text(run_builtin(loaded.scenario));
    CHECK(text.rfind("both-write-1500: DEADLOCK", 0) == 0);
    CHECK(text.find("-> but A.main is the thread above: the cycle is closed") != std::string::npos);
    // Only a linux RecvQ holding read bytes of a partly read skb reports them.
    CHECK_FALSE(report["queues"]["B"].contains("recvq_held"));
    CHECK(text.find("held") == std::string::npos);
}

TEST_CASE("the trace carries a linux RecvQ's held bytes to the end of the run") {
    model::Scenario s = scenario::load_file(scenario_path("erle-uppercase-1gib.json")).scenario;
    s.profile = model::Profile::linux;
    core::Result result;
    const std::vector<json> lines = trace_lines(s, result);
    REQUIRE(!lines.empty());
    REQUIRE(result.queues[1].recvq_held > 0);
    CHECK(lines.back()["bytes"]["client->server"]["held"] == result.queues[1].recvq_held);
}

TEST_CASE("reports name the bytes a partly read skb still holds") {
    const scenario::Loaded loaded = scenario::load_file(scenario_path("both-write-1500.json"));
    core::Result result = run_builtin(loaded.scenario);
    result.queues[1].recvq_held = 123;
    CHECK(views::report_json(result)["queues"]["B"]["recvq_held"] == 123);
    CHECK(views::report_text(result).find("B: SendQ 500/500, RecvQ 500/500 + 123 read but held, advertised window 0") !=
          std::string::npos);
}

// ------------------------------------------------------------------ the teaching texts

namespace {

struct Told {
    model::Scenario scenario;
    core::Result result;
    std::vector<std::string> lines;
};

Told narrate(model::Scenario s) {
    Told t{std::move(s), {}, {}};
    views::Narrator narrator(t.scenario);
    t.result = run_builtin(t.scenario, &narrator);
    t.lines = narrator.lines();
    return t;
}

Told narrate(const std::string& name) { return narrate(scenario::load_file(scenario_path(name)).scenario); }

bool has_line_with(const std::vector<std::string>& lines, const std::string& text) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& lines) {
    std::string all;
    for (const std::string& l : lines) all += l + "\n";
    return all;
}

}  // namespace

TEST_CASE("narration: a blocked read says what it has so far") {
    const Told compress = narrate("compress-2to1.json");
    CHECK(has_line_with(compress.lines, "1.432 ms  server.main blocks in read_exact(1000) with 500 of 1,000 bytes read, 500 to go: "
                                        "its RecvQ is empty"));
    const Told demo = narrate("rule-demo.json");
    CHECK(has_line_with(demo.lines, "1 s  B.main blocks in read_to_end() with 500 bytes read so far: its RecvQ is empty"));
    CHECK(has_line_with(demo.lines, "B.main blocks in read_to_end() with 1,500 bytes read so far"));
    CHECK_FALSE(has_line_with(demo.lines, "read_to_end(): nothing to read yet"));
}

TEST_CASE("narration: a sleep has its duration") {
    const Told demo = narrate("rule-demo.json");
    CHECK(has_line_with(demo.lines, "0 ns  B.main calls sleep(1s)"));
    CHECK(has_line_with(demo.lines, "0 ns  B.main sleeps for 1 s"));
    CHECK(has_line_with(demo.lines, "1 s  B.main wakes up after 1 s"));
    CHECK(has_line_with(demo.lines, "1 s  B.main's sleep(1s) returns"));
    CHECK_FALSE(has_line_with(demo.lines, "sleep()"));
}

TEST_CASE("narration: summaries in words, with plurals that fit") {
    const Told gib = narrate("erle-uppercase-1gib.json");
    int summaries = 0;
    for (const std::string& line : gib.lines) {
        if (line.find(" more step") == std::string::npos) continue;
        ++summaries;
        CAPTURE(line);
        CHECK(line.find('_') == std::string::npos);  // no op_block, segment_sent ...
        CHECK(line.find(" x ") == std::string::npos);
        CHECK(line.find("1 more steps") == std::string::npos);
        CHECK(line.find("(1 calls") == std::string::npos);
        CHECK(line.find(", 1 calls") == std::string::npos);
    }
    CHECK(summaries >= 5);
    const Told compress = narrate("compress-2to1.json");
    CHECK(has_line_with(compress.lines, "... 1 more step of the same pattern (1 wait in read_exact by server.main) ..."));
    CHECK(has_line_with(compress.lines, "... 12 more steps of the same pattern (2 segments sent by client, 2 segments received by server, "
                                        "2 ACKs sent by server, 2 ACKs received by client, 2 waits in write by client.main, "
                                        "2 waits in read_exact by server.main) ..."));
}

TEST_CASE("narration: the ACKs that empty a SendQ or free room for a waiting writer are told") {
    const Told both = narrate("both-write-1500.json");
    CHECK(has_line_with(both.lines, "2.432 ms  A receives the ACK for 500 bytes: 500 bytes leave its SendQ, now empty, where A.main "
                                    "waits to write; B's window is zero: A must stop sending and probe  [A: SendQ 0/500"));
    CHECK(has_line_with(both.lines, "2.432 ms  B receives the ACK for 500 bytes: 500 bytes leave its SendQ, now empty"));
    // An ACK that frees nothing and changes no window is bookkeeping.
    const Told demo = narrate("rule-demo.json");
    for (const std::string& line : demo.lines) {
        if (line.find(" receives the ACK") == std::string::npos) continue;
        CAPTURE(line);
        CHECK(line.find(" leave its SendQ") != std::string::npos);
    }
    CHECK(has_line_with(demo.lines, "A learns that B's window reopened (500 bytes): A may send again"));
    // With the window open, the ACK that frees the room A.main's write waits for is told all the same.
    CHECK(has_line_with(demo.lines, "1.003 s  A receives the ACK for 1,000 bytes: 500 bytes leave its SendQ, now empty, where A.main "
                                    "waits to write  [A: SendQ 0/500"));
}

TEST_CASE("narration: numbers in groups of three digits, calls as code") {
    const Told gib = narrate("erle-uppercase-1gib.json");
    const std::string all = joined(gib.lines);
    CHECK(all.find("client.main runs 16,384 identical loop iterations at once (262,144 bytes moved)") != std::string::npos);
    CHECK(all.find("[client: SendQ 262,144/262,144 RecvQ") != std::string::npos);
    CHECK(all.find("write(16)") != std::string::npos);
    CHECK(all.find("read(1024)") != std::string::npos);  // not read(1,024)
    CHECK(all.find("(1,024)") == std::string::npos);
}

TEST_CASE("the rule's lines: textbook counts what was written before, linux says what the run shows") {
    const Told textbook = narrate("erle-uppercase-1gib.json");
    const std::vector<std::string> rule = views::rule_lines(textbook.scenario, textbook.result);
    CHECK(has_line_with(rule, "client.main: write(16) after client had written 1,049,168 bytes, with SQS+RQS = 262,144+262,144 = "
                              "524,288: it returns only after server has read (1,049,168+16)-(SQS+RQS) = 524,896 bytes in all; "
                              "server has read 524,888, so 8 more. Here it has 8 of 16 in."));
    CHECK_FALSE(has_line_with(rule, "can return without a read"));
    model::Scenario linux = textbook.scenario;
    linux.profile = model::Profile::linux;
    const Told lx = narrate(linux);
    REQUIRE(lx.result.outcome == core::Outcome::deadlock);
    const std::vector<std::string> lines = views::rule_lines(lx.scenario, lx.result);
    CHECK_FALSE(has_line_with(lines, "can return without a read"));
    CHECK_FALSE(has_line_with(lines, "the write returns only after"));
    CHECK_FALSE(has_line_with(lines, "it returns only after"));
    CHECK(has_line_with(lines, "so the rule does not hold here: the wait-for cycle above says where the run stops"));
    // What the run shows: the bytes in the path, against SQS+RQS.
    const core::ThreadReport& client = lx.result.threads[0];
    const core::ThreadReport& server = lx.result.threads[1];
    const int64_t in_path = client.bytes_written - server.bytes_read;
    CHECK(has_line_with(lines, "so " + text::bytes(in_path) + " sit in client.SendQ, on the wire or in server.RecvQ"));
    CHECK(in_path < lx.result.queues[0].sqs + lx.result.queues[1].rqs);
}

TEST_CASE("the text report: digit groups, sleeps with their duration, a stop that is no limit") {
    const scenario::Loaded demo = scenario::load_file(scenario_path("rule-demo.json"));
    model::Scenario s = demo.scenario;
    s.limits.time_ns = 500'000'000;
    core::Result r = run_builtin(s);
    REQUIRE(r.outcome == core::Outcome::limit);
    const json limit = json::parse(views::report_json(r).dump());
    CHECK(limit["outcome"] == "limit");
    CHECK(limit["limit"] == "time");
    CHECK(limit["threads"][1]["blocked_in"]["duration_ns"] == 1'000'000'000);
    CHECK_FALSE(limit["threads"][1]["blocked_in"].contains("requested"));
    r.outcome = core::Outcome::stopped;
    r.limit_reason = core::LimitReason::none;
    const std::string text = views::report_text(r);
    CHECK(text.rfind("rule-demo: STOPPED where asked, at 500 ms (2 events): the state then; the run had not ended\n", 0) == 0);
    CHECK(text.find("LIMIT") == std::string::npos);
    CHECK(text.find("  B.main: sleeping in sleep(1s) at ops[0]; wrote 0, read 0\n") != std::string::npos);
    CHECK(text.find("  A.main: blocked in write(2000) at ops[0], 1,000 of 2,000 bytes done; wrote 1,000, read 0\n") != std::string::npos);
    const json stopped = json::parse(views::report_json(r).dump());
    CHECK(stopped["outcome"] == "stopped");
    CHECK_FALSE(stopped.contains("limit"));
}

TEST_CASE("measured report: a window nobody can read back is 'not known', not 0") {
    const scenario::Loaded loaded = scenario::load_file(scenario_path("both-write-1500.json"));
    core::Result r = run_builtin(loaded.scenario);
    r.queues[0] = core::QueueReport{"A", "B", 0, 0, 524288, 524288, 0, 0};  // open, its peer's record gone
    r.queues[1] = core::QueueReport{"B", "A", 0, 0, 0, 0, 0, 0};            // closed by its program
    std::string text = views::report_text(r, views::ReportSource::measured);
    CHECK(text.find("  A: SendQ 0 (SO_SNDBUF 524,288), RecvQ 0 (SO_RCVBUF 524,288), advertised window not known "
                    "(B's socket, which heard it, was closed by its program)\n") != std::string::npos);
    CHECK(text.find("  B: socket closed by its program before the record\n") != std::string::npos);
    CHECK(text.find("advertised window 0") == std::string::npos);
    r.queues[1] = core::QueueReport{"B", "A", 10, 20, 4608, 2304, 0, 0};  // both open: the window is known, even 0
    text = views::report_text(r, views::ReportSource::measured);
    CHECK(text.find("A: SendQ 0 (SO_SNDBUF 524,288), RecvQ 0 (SO_RCVBUF 524,288), advertised window 0\n") != std::string::npos);
}

TEST_CASE("trace: sleeps carry their duration") {
    const scenario::Loaded loaded = scenario::load_file(scenario_path("rule-demo.json"));
    core::Result result;
    int sleep_lines = 0;
    for (const json& line : trace_lines(loaded.scenario, result)) {
        if (line.value("op", "") != "sleep" && line["kind"] != "sleep_done") continue;
        ++sleep_lines;
        CHECK(line["duration_ns"] == 1'000'000'000);
        CHECK_FALSE(line.contains("requested"));
    }
    CHECK(sleep_lines == 4);  // start, block, wake-up, return
}

TEST_CASE("trace: a limit ends the file with a trace_cut line, and the run goes on") {
    const scenario::Loaded loaded = scenario::load_file(scenario_path("erle-uppercase-1gib.json"));
    constexpr int64_t kLimit = 16 * 1024;
    std::ostringstream out;
    int notices = 0;
    int64_t events_at_cut = -1;
    views::JsonlTrace trace(out, loaded.scenario, kLimit, [&](const core::TraceEvent&, int64_t written) {
        ++notices;
        events_at_cut = written;
    });
    const core::Result result = run_builtin(loaded.scenario, &trace);
    CHECK(result.outcome == run_builtin(loaded.scenario).outcome);
    CHECK(result.events == run_builtin(loaded.scenario).events);
    CHECK(trace.cut());
    CHECK(notices == 1);
    const std::string text = out.str();
    CHECK(static_cast<int64_t>(text.size()) <= kLimit);
    CHECK(static_cast<int64_t>(text.size()) > kLimit - 2 * views::JsonlTrace::kCutLineBytes);  // not cut early
    std::vector<json> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
    REQUIRE(lines.size() >= 2);
    CHECK(lines.back()["kind"] == "trace_cut");
    CHECK(lines.back()["events_written"] == events_at_cut);
    CHECK(lines.back()["limit_bytes"] == kLimit);
    CHECK(static_cast<int64_t>(lines.size()) == events_at_cut + 1);
}

// ------------------------------------------------------------------ several channels

TEST_CASE("trace, several connections: each line names its connection or socket and lists every direction") {
    const scenario::Loaded loaded = scenario::load_file(own_scenario("views-proxy.json"));
    core::Result result;
    const std::vector<json> lines = trace_lines(loaded.scenario, result);
    REQUIRE(!lines.empty());
    const std::vector<std::string> directions = {"client->proxy", "proxy->client", "proxy->server", "server->proxy"};
    bool saw_proxy_server = false, saw_socket_to_server = false;
    for (const json& line : lines) {
        CAPTURE(line.dump());
        for (const std::string& d : directions) CHECK(line["bytes"].contains(d));
        CHECK(line["queues"].size() == 4);
        const std::string kind = line["kind"];
        if (kind.starts_with("segment") || kind.starts_with("ack") || kind == "probe_sent") {
            REQUIRE(line.contains("connection"));
            const std::string c = line["connection"];
            CHECK(std::find(directions.begin(), directions.end(), c) != directions.end());
            // A stream's events happen at its two ends.
            const std::string endpoint = line["endpoint"];
            CHECK((c.starts_with(endpoint + "->") || c.ends_with("->" + endpoint)));
            saw_proxy_server = saw_proxy_server || c == "proxy->server";
        }
        if (kind.starts_with("op_") && line["op"] != "repeat") {
            REQUIRE(line.contains("socket"));
            const std::string socket = line["socket"];
            CHECK(socket.starts_with(line["endpoint"].get<std::string>() + "."));
            saw_socket_to_server = saw_socket_to_server || (line["endpoint"] == "proxy" && socket == "proxy.server");
        }
    }
    CHECK(saw_proxy_server);
    CHECK(saw_socket_to_server);
    // The last line replays to the report's levels, socket by socket.
    for (size_t i = 0; i < result.queues.size(); ++i) {
        const json& q = lines.back()["queues"][core::socket_key(result, i)];
        CHECK(q["sendq"] == result.queues[i].sendq);
        CHECK(q["recvq"] == result.queues[i].recvq);
    }
}

TEST_CASE("trace, queues and pipes: op lines name the queue, and every line counts each queue's bytes") {
    for (const char* name : {"views-queue.json", "views-pipes.json"}) {
        CAPTURE(name);
        const scenario::Loaded loaded = scenario::load_file(own_scenario(name));
        core::Result result;
        const std::vector<json> lines = trace_lines(loaded.scenario, result);
        REQUIRE(!lines.empty());
        const std::vector<std::string> keys = model::byte_queue_keys(loaded.scenario);
        bool named_queue = false;
        for (const json& line : lines) {
            for (const std::string& key : keys) {
                const json& b = line["bytes"][key];
                CHECK(b["level"] == b["written"].get<int64_t>() - b["read"].get<int64_t>());
                CHECK(b["level"].get<int64_t>() <= b["capacity"].get<int64_t>());
                CHECK(line["queues"][key]["level"] == b["level"]);
            }
            if (line.contains("queue")) {
                CHECK(std::find(keys.begin(), keys.end(), line["queue"].get<std::string>()) != keys.end());
                named_queue = true;
            }
        }
        CHECK(named_queue);
        for (size_t q = 0; q < keys.size(); ++q) {
            CHECK(lines.back()["bytes"][keys[q]]["level"] == result.byte_queues[q].level);
            CHECK(lines.back()["bytes"][keys[q]]["written"] == result.byte_queues[q].written);
        }
    }
}

TEST_CASE("trace, one connection and no queue: no key is added to the lines") {
    for (const char* name : {"both-write-1500.json", "compress-threads.json", "rule-demo.json"}) {
        CAPTURE(name);
        const scenario::Loaded loaded = scenario::load_file(scenario_path(name));
        core::Result result;
        for (const json& line : trace_lines(loaded.scenario, result)) {
            CHECK(!line.contains("connection"));
            CHECK(!line.contains("socket"));
            CHECK(!line.contains("queue"));
            CHECK(line["bytes"].size() == 2);
            CHECK(line["queues"].size() == 2);
        }
    }
}

TEST_CASE("narration, several channels: steps name the socket or queue an op acts on, and the connection") {
    const Told proxy = narrate(scenario::load_file(own_scenario("views-proxy.json")).scenario);
    const std::string all = joined(proxy.lines);
    CAPTURE(all);
    CHECK(has_line_with(proxy.lines, "proxy.main calls read_exact(5000) from client"));
    CHECK(has_line_with(proxy.lines, "proxy.main calls write(5000) to server"));
    CHECK(has_line_with(proxy.lines, "server receives 500 bytes from proxy into its RecvQ"));
    CHECK(has_line_with(proxy.lines, "proxy acknowledges and advertises a ZERO window to server"));
    // The ACK that frees room where a writer waits is found on the writer's own connection.
    CHECK(has_line_with(proxy.lines, "leave its SendQ to server, now empty, where proxy.main waits to write"));
    // client has one socket: its calls need no target.
    CHECK(has_line_with(proxy.lines, "client.main calls write(5000)  ["));
    CHECK(has_line_with(proxy.lines, "on client->proxy"));
    // Every step shows every socket's levels.
    for (const std::string& line : proxy.lines)
        if (!line.starts_with(" ")) CHECK(line.find("| server.proxy: SendQ ") != std::string::npos);

    const Told queue = narrate(scenario::load_file(own_scenario("views-queue.json")).scenario);
    CHECK(has_line_with(queue.lines, "server.reader calls write(1000) to queue jobs"));
    CHECK(has_line_with(queue.lines, "server.writer calls read_exact(1000) from queue jobs"));
    CHECK(has_line_with(queue.lines, "put in, 1,000 left, and queue jobs has no room"));
    CHECK(has_line_with(queue.lines, "| server.jobs 2,000/2,000]"));
    const Told pipes = narrate(scenario::load_file(own_scenario("views-pipes.json")).scenario);
    CHECK(has_line_with(pipes.lines, "parent.main calls write(200000) to pipe stdin  [stdin 0/65,536 | stdout 0/65,536]"));
    CHECK(has_line_with(pipes.lines, "pipe stdout has no room"));
}

TEST_CASE("the rule's lines: a scenario with several connections or queues is not given the two-endpoint rule") {
    const Told proxy = narrate(scenario::load_file(own_scenario("views-proxy.json")).scenario);
    const std::vector<std::string> lines = views::rule_lines(proxy.scenario, proxy.result);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("one connection; this scenario has 2 connections and 0 queues or pipes") != std::string::npos);
}

TEST_CASE("ascii figure, several hosts: each host with its sockets by peer, queues, pipes, and the joins") {
    const Told proxy = narrate(scenario::load_file(own_scenario("views-proxy.json")).scenario);
    const std::string figure = views::ascii_figure(proxy.scenario, proxy.result);
    CAPTURE(figure);
    // A chain: client, proxy, server, one below the other.
    const size_t client = figure.find("  client\n"), p = figure.find("  proxy\n"), server = figure.find("  server\n");
    REQUIRE(client != std::string::npos);
    REQUIRE(p != std::string::npos);
    REQUIRE(server != std::string::npos);
    CHECK(client < p);
    CHECK(p < server);
    CHECK(figure.find("|   to server: 2,100 B in, 2,900 B left") != std::string::npos);
    CHECK(figure.find("| socket to server, offers window 0 ") != std::string::npos);
    CHECK(figure.find("|  SendQ [##########] 500/500 B ") != std::string::npos);
    const size_t join = figure.find("proxy->server, window 0");
    CHECK(join > p);
    CHECK(join < server);
    // Every line of a box is as wide as its border.
    size_t border = 0;
    for (size_t at = 0, end; (end = figure.find('\n', at)) != std::string::npos; at = end + 1) {
        const std::string line = figure.substr(at, end - at);
        if (line.starts_with("+-")) border = line.size();
        if (line.starts_with("| ")) CHECK(line.size() == border);
    }

    const Told pipes = narrate(scenario::load_file(own_scenario("views-pipes.json")).scenario);
    const std::string drawn = views::ascii_figure(pipes.scenario, pipes.result);
    CHECK(drawn.find("| pipe stdin to child [##########] 64/64 KiB") != std::string::npos);
    CHECK(drawn.find("      |  pipe stdin\n      v\n      ^  pipe stdout\n      |\n") != std::string::npos);
    const Told queue = narrate(scenario::load_file(own_scenario("views-queue.json")).scenario);
    CHECK(views::ascii_figure(queue.scenario, queue.result).find("| queue jobs [##########] 2,000/2,000 B") != std::string::npos);
}

TEST_CASE("ascii figure, a star: the hub's peers that are not drawn beside it are joined in words") {
    model::Scenario star = scenario::load_file(own_scenario("views-star.json")).scenario;
    const Told told = narrate(star);
    const std::string figure = views::ascii_figure(told.scenario, told.result);
    CAPTURE(figure);
    for (const char* host : {"  hub\n", "  c1\n", "  c2\n", "  c3\n"}) CHECK(figure.find(host) != std::string::npos);
    CHECK(figure.find("  hub->c3: hub.c3.SendQ drains into c3.hub.RecvQ, window ") != std::string::npos);
    CHECK(figure.find("  c3->hub: c3.hub.SendQ drains into hub.c3.RecvQ, window ") != std::string::npos);
}
