// The lecture page's engine (web/lecture_engine), natively: the controls it offers, the runs it
// answers, and its errors. tests/web/agreement.js checks the WebAssembly build against the CLI.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/rule.hpp"
#include "scenario/load.hpp"
#include "web/lecture_engine.hpp"

namespace {

using nlohmann::json;
using tcpsim::web::lecture_controls;
using tcpsim::web::lecture_run;

std::string library_file(const std::string& name) {
    return tcpsim::scenario::read_file(std::string(TCPSIM_SOURCE_DIR) + "/scenarios/" + name);
}

json controls_of(const std::string& name) {
    return json::parse(lecture_controls(json{{"scenario", library_file(name)}, {"file", name}}.dump()));
}

json run(const std::string& text, const std::vector<std::string>& sets, const json& at_ns = nullptr) {
    json request = {{"scenario", text}, {"file", "test.json"}, {"sets", sets}};
    if (!at_ns.is_null()) request["at_ns"] = at_ns;
    return json::parse(lecture_run(request.dump()));
}

std::set<std::string> sets_offered(const json& controls) {
    std::set<std::string> out;
    for (const json& c : controls["controls"]) out.insert(c["set"].get<std::string>());
    return out;
}

}  // namespace

TEST_CASE("lecture controls: every socket size and write of both-write-1500, at the file's values, in reach of 1000") {
    const json c = controls_of("both-write-1500.json");
    REQUIRE(c["ok"] == true);
    CHECK(c["model"] == "textbook");
    const std::set<std::string> sets = sets_offered(c);
    for (const char* want : {"/endpoints/A/sqs", "/endpoints/A/rqs", "/endpoints/B/sqs", "/endpoints/B/rqs",
                             "/endpoints/A/threads/main/0/write", "/endpoints/B/threads/main/0/write", "/link/delay"})
        CHECK_MESSAGE(sets.count(want) == 1, want);
    for (const json& control : c["controls"]) {
        CHECK(control["min"].get<int64_t>() <= control["value"].get<int64_t>());
        CHECK(control["value"].get<int64_t>() <= control["max"].get<int64_t>());
        if (control["set"] == "/endpoints/A/sqs") {
            CHECK(control["value"] == 500);
            CHECK(control["label"] == "A: SendQ size (sqs)");
            CHECK(control["max"].get<int64_t>() > 1000);  // the slider can cross the rule's threshold
        }
    }
}

TEST_CASE("property: every control of every library scenario, and of a 5 bit/s link, holds its value in its range") {
    std::vector<std::string> texts;
    for (const auto& entry : std::filesystem::directory_iterator(std::string(TCPSIM_SOURCE_DIR) + "/scenarios"))
        if (entry.path().extension() == ".json") texts.push_back(tcpsim::scenario::read_file(entry.path().string()));
    std::string slow = library_file("both-write-1500.json");
    slow.replace(slow.find("\"10Mbps\""), 8, "5");
    texts.push_back(slow);
    for (const std::string& text : texts) {
        const json c = json::parse(lecture_controls(json{{"scenario", text}, {"file", "x.json"}}.dump()));
        REQUIRE(c["ok"] == true);
        for (const json& control : c["controls"]) {
            CAPTURE(control.dump());
            CHECK(control["min"].get<int64_t>() <= control["value"].get<int64_t>());
            CHECK(control["value"].get<int64_t>() <= control["max"].get<int64_t>());
            CHECK(control["min"].get<int64_t>() < control["max"].get<int64_t>());
        }
    }
}

TEST_CASE("lecture run: max_events lowers the run's events limit, and no further") {
    const std::string text = library_file("compress-2to1.json");
    const json bounded = json::parse(lecture_run(json{{"scenario", text}, {"max_events", 5}}.dump()));
    REQUIRE(bounded["ok"] == true);
    CHECK(bounded["outcome"] == "limit");
    const json roomy = json::parse(lecture_run(json{{"scenario", text}, {"max_events", 1'000'000}}.dump()));
    CHECK(roomy["outcome"] == "deadlock");
}

TEST_CASE("lecture controls: a parameter is one control, and the places that use it are not offered again") {
    const json c = controls_of("both-write-param.json");
    REQUIRE(c["ok"] == true);
    const std::set<std::string> sets = sets_offered(c);
    CHECK(sets.count("/params/message") == 1);
    CHECK(sets.count("/endpoints/A/threads/main/0/write") == 0);
    CHECK(sets.count("/endpoints/B/threads/main/0/write") == 0);
}

TEST_CASE("lecture controls: a queue's capacity (here through its parameter), and no slider for an unbounded queue") {
    CHECK(sets_offered(controls_of("server-queue-bounded.json")).count("/params/capacity") == 1);
    for (const std::string& set : sets_offered(controls_of("server-queue-unbounded.json")))
        CHECK(set.find("capacity") == std::string::npos);
}

TEST_CASE("property: a lecture run at any sizes deadlocks exactly when the rule says both writes do") {
    const std::string text = library_file("both-write-1500.json");
    std::mt19937_64 rng(17);
    for (int i = 0; i < 60; ++i) {
        std::uniform_int_distribution<int64_t> size(1, 3000);
        const int64_t n = size(rng), sqs_a = size(rng), rqs_a = size(rng), sqs_b = size(rng), rqs_b = size(rng);
        const json r = run(text, {"/endpoints/A/sqs=" + std::to_string(sqs_a), "/endpoints/A/rqs=" + std::to_string(rqs_a),
                                  "/endpoints/B/sqs=" + std::to_string(sqs_b), "/endpoints/B/rqs=" + std::to_string(rqs_b),
                                  "/endpoints/A/threads/main/0/write=" + std::to_string(n),
                                  "/endpoints/B/threads/main/0/write=" + std::to_string(n)});
        REQUIRE(r["ok"] == true);
        const bool deadlocks = tcpsim::analysis::both_write_deadlocks(n, n, sqs_a, rqs_a, sqs_b, rqs_b);
        CAPTURE(n); CAPTURE(sqs_a); CAPTURE(rqs_a); CAPTURE(sqs_b); CAPTURE(rqs_b);
        CHECK(r["outcome"] == (deadlocks ? "deadlock" : "completed"));
    }
}

TEST_CASE("lecture run: the whole run has its timeline and steps, and a run at an instant the state then") {
    const std::string text = library_file("rule-demo.json");
    const json whole = run(text, {});
    REQUIRE(whole["ok"] == true);
    CHECK(whole["outcome"] == "completed");
    CHECK(whole["timeline_svg"].get<std::string>().starts_with("<svg"));
    REQUIRE(whole["narration"].size() > 5);
    int64_t previous = 0;
    for (const json& step : whole["narration"]) {  // the steps in time order, as the scrubber walks them
        CHECK(step["t_ns"].get<int64_t>() >= previous);
        previous = step["t_ns"].get<int64_t>();
    }
    // Completed, so the end's rule has no blocked write: the rule when A's write(2000) blocked.
    REQUIRE(whole.contains("rule_while_blocked"));
    CHECK(whole["rule_while_blocked"]["thread"] == "A.main");
    CHECK(whole["rule_while_blocked"]["rule"][0].get<std::string>().find("n-(SQS+RQS) = 1,000 bytes") != std::string::npos);
    const json at = run(text, {}, 500'000'000);  // halfway through B's sleep: A's write is stuck
    REQUIRE(at["ok"] == true);
    CHECK(at["outcome"] == "stopped");
    CHECK(at["time_ns"].get<int64_t>() <= 500'000'000);
    CHECK(at["report_text"].get<std::string>().find("blocked in write(2000)") != std::string::npos);
    CHECK(!at.contains("timeline_svg"));
    CHECK(at["rule"][0].get<std::string>().find("write(2000)") != std::string::npos);
}

TEST_CASE("lecture run: a bad value, a bad request: ok false and one line") {
    const json bad = run(library_file("both-write-1500.json"), {"/endpoints/A/sqs=0"});
    CHECK(bad["ok"] == false);
    const std::string error = bad["error"];
    CHECK(error.find("test.json") == 0);
    CHECK(error.find("/endpoints/A/sqs") != std::string::npos);
    CHECK(error.find('\n') == std::string::npos);
    for (const std::string& request : {std::string("not json"), std::string("{}"), std::string(R"({"scenario": 5})"),
                                       json{{"scenario", "{}"}, {"sets", "x"}}.dump(),
                                       json{{"scenario", library_file("rule-demo.json")}, {"at_ns", -1}}.dump()}) {
        const json answer = json::parse(lecture_run(request));
        CAPTURE(request);
        CHECK(answer["ok"] == false);
        CHECK(answer["error"].get<std::string>().find('\n') == std::string::npos);
    }
}
