// Reports and traces: what users and other tools read.
#include <doctest/doctest.h>

#include <sstream>

#include "core/engine.hpp"
#include "scenario/load.hpp"
#include "views/report.hpp"
#include "views/trace.hpp"

using namespace tcpsim;
using nlohmann::json;

namespace {

std::string scenario_path(const std::string& name) { return std::string(TCPSIM_SOURCE_DIR) + "/scenarios/" + name; }

std::vector<json> trace_lines(const model::Scenario& s, core::Result& result) {
    std::ostringstream out;
    views::JsonlTrace trace(out, s);
    result = core::simulate(s, &trace);
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
    const int64_t sqs = *s.endpoints[0].sqs_bytes, rqs = *s.endpoints[1].rqs_bytes;
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
    const json report = json::parse(views::report_json(core::simulate(loaded.scenario)).dump());
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
    const std::string text = views::report_text(core::simulate(loaded.scenario));
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
    core::Result result = core::simulate(loaded.scenario);
    result.queues[1].recvq_held = 123;
    CHECK(views::report_json(result)["queues"]["B"]["recvq_held"] == 123);
    CHECK(views::report_text(result).find("B: SendQ 500/500, RecvQ 500/500 + 123 read but held, advertised window 0") !=
          std::string::npos);
}
