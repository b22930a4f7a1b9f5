// Scenario loading: units, the document -> model mapping, one-line errors, --set.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "scenario/load.hpp"
#include "scenario/profile_file.hpp"
#include "scenario/units.hpp"

using nlohmann::ordered_json;
using namespace tcpsim;
using namespace tcpsim::scenario;

namespace {

const std::string kBoth = R"({
  "name": "both-write-1500",
  "description": "Both peers write 1500 bytes, then read: the seeds' Figure 6-5.",
  "model": "textbook",
  "link": { "bandwidth": "1Gbps", "delay": "1ms", "mss": 1460,
            "A->B": { "delay": "5ms" } },
  "endpoints": {
    "A": { "sqs": 500, "rqs": 500, "threads": { "main": [ {"write": 1500}, "read_to_end" ] } },
    "B": { "sqs": 500, "rqs": 500, "threads": { "main": [ {"write": 1500}, "read_to_end" ] } }
  },
  "limits": { "time": "1h", "events": 100000000 },
  "expect": { "outcome": "deadlock", "threads": { "A.main": { "state": "blocked",
              "blocked_in": {"op": "write", "requested": 1500, "done": 1000} } } }
})";

// The message load_text throws for `text` after `sets`, or "(loaded)".
std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
    try {
        load_text(text, "both.json", sets);
    } catch (const InputError& error) {
        return error.what();
    }
    return "(loaded)";
}

// kBoth with one --set applied, as a way to state each broken document briefly.
std::string error_with(const std::string& assignment) {
    return error_of(kBoth, {assignment});
}

std::string size_error(const ordered_json& value) {
    try {
        parse_size(value, "f: /x");
    } catch (const InputError& error) {
        return error.what();
    }
    return "(parsed)";
}

int64_t size_of(const ordered_json& value) {
    return parse_size(value, "f: /x");
}

int64_t ns_of(const ordered_json& value) {
    return parse_duration_ns(value, "f: /x");
}

int64_t bps_of(const ordered_json& value) {
    return parse_bandwidth_bps(value, "f: /x");
}

void check_ratio(const ordered_json& value, int64_t num, int64_t den) {
    const model::Ratio ratio = parse_ratio(value, "f: /x");
    CHECK(ratio.num == num);
    CHECK(ratio.den == den);
}

}  // namespace

TEST_CASE("sizes: every unit, optional space, exact decimals") {
    CHECK(size_of(1500) == 1500);
    CHECK(size_of(0) == 0);
    CHECK(size_of("7B") == 7);
    CHECK(size_of("2KB") == 2000);
    CHECK(size_of("3MB") == 3000'000);
    CHECK(size_of("4GB") == 4000'000'000);
    CHECK(size_of("1TB") == 1000'000'000'000);
    CHECK(size_of("64KiB") == 65536);
    CHECK(size_of("64 KiB") == 65536);
    CHECK(size_of("2MiB") == 2 * 1024 * 1024);
    CHECK(size_of("1GiB") == int64_t{1} << 30);
    CHECK(size_of("1TiB") == int64_t{1} << 40);
    CHECK(size_of("1.5KiB") == 1536);
    CHECK(size_of("0.5KB") == 500);
    CHECK(size_of("1.250 MB") == 1250'000);
    CHECK(size_of("007B") == 7);
}

TEST_CASE("sizes: rejections name the problem") {
    CHECK(size_error("1.5B") == R"(f: /x: must be a whole number of bytes, got "1.5B")");
    CHECK(size_error("0.3KiB") == R"(f: /x: must be a whole number of bytes, got "0.3KiB")");
    CHECK(size_error(-5) == "f: /x: must be a non-negative size, got -5");
    CHECK(size_error("2TiB") == R"(f: /x: must be at most 1 TiB, got "2TiB")");
    CHECK(size_error((int64_t{1} << 40) + 1) == "f: /x: must be at most 1 TiB, got 1099511627777");
    CHECK(size_error(UINT64_MAX) == "f: /x: must be at most 1 TiB, got 18446744073709551615");
    CHECK(size_error("99999999999999999999999999TB") == R"(f: /x: must be at most 1 TiB, got "99999999999999999999999999TB")");
    const std::string syntax =
        R"(f: /x: must be a non-negative size: an integer number of bytes, or a string such as "64KiB" )"
        R"((units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), got )";
    CHECK(size_error(1.5) == syntax + "1.5");
    CHECK(size_error(true) == syntax + "true");
    CHECK(size_error("5kib") == syntax + R"("5kib")");
    CHECK(size_error("5  KiB") == syntax + R"("5  KiB")");
    CHECK(size_error(" 5KiB") == syntax + R"(" 5KiB")");
    CHECK(size_error("1.KiB") == syntax + R"("1.KiB")");
    CHECK(size_error("-5KiB") == syntax + R"("-5KiB")");
    CHECK(size_error("KiB") == syntax + R"("KiB")");
    CHECK(size_error("1500") == syntax + R"("1500")");
}

TEST_CASE("command-line values: plain digits are integers, anything else a string") {
    CHECK(argument_json("1500") == ordered_json(1500));
    CHECK(argument_json("0") == ordered_json(0));
    CHECK(argument_json("64KiB") == ordered_json("64KiB"));
    CHECK(argument_json("1.5") == ordered_json("1.5"));
    CHECK(argument_json("") == ordered_json(""));
    // 19 digits may not fit in int64: a string, which the readers refuse in one line.
    CHECK(argument_json("1000000000000000000") == ordered_json("1000000000000000000"));
    CHECK(size_of(argument_json("1500")) == 1500);
    CHECK(size_error(argument_json("1000000000000000000")).starts_with("f: /x: must be a non-negative size: "));
}

TEST_CASE("sizes: bounds given by the caller") {
    CHECK_THROWS_WITH_AS(parse_size(0, "f: /sqs", 1), "f: /sqs: must be a positive size, got 0", InputError);
    CHECK_THROWS_WITH_AS(parse_size("64KiB", "f: /mss", 1, 65535),
                         R"(f: /mss: must be at most 65535 B, got "64KiB")", InputError);
    CHECK(parse_size("63KiB", "f: /mss", 1, 65535) == 63 * 1024);
}

TEST_CASE("durations: every unit and exact decimals") {
    CHECK(ns_of(250) == 250);
    CHECK(ns_of("7ns") == 7);
    CHECK(ns_of("50us") == 50'000);
    CHECK(ns_of("1.5ms") == 1500'000);
    CHECK(ns_of("2 s") == 2000'000'000);
    CHECK(ns_of("1min") == 60'000'000'000);
    CHECK(ns_of("0.5h") == 1800'000'000'000);
    CHECK_THROWS_WITH_AS(ns_of("0.5ns"), R"(f: /x: must be a whole number of nanoseconds, got "0.5ns")", InputError);
    CHECK_THROWS_WITH_AS(ns_of(-1), "f: /x: must be a non-negative duration, got -1", InputError);
    CHECK_THROWS_WITH_AS(ns_of("1d"),
                         R"(f: /x: must be a non-negative duration: an integer number of nanoseconds, or a string )"
                         R"(such as "5ms" (units ns, us, ms, s, min, h), got "1d")",
                         InputError);
    CHECK_THROWS_WITH_AS(parse_duration_ns("2h", "f: /delay", 0, 3600'000'000'000),
                         R"(f: /delay: must be at most 1 h, got "2h")", InputError);
}

TEST_CASE("bandwidths: every unit, both spellings, bounds") {
    CHECK(bps_of(9600) == 9600);
    CHECK(bps_of("300bps") == 300);
    CHECK(bps_of("56Kbps") == 56'000);
    CHECK(bps_of("1.5 Mbps") == 1500'000);
    CHECK(bps_of("1Gbps") == 1000'000'000);
    CHECK(bps_of("10Tbps") == 10'000'000'000'000);
    CHECK(bps_of("8bit/s") == 8);
    CHECK(bps_of("2Kbit/s") == 2000);
    CHECK(bps_of("3Mbit/s") == 3000'000);
    CHECK(bps_of("4Gbit/s") == 4000'000'000);
    CHECK(bps_of("1Tbit/s") == 1000'000'000'000);
    CHECK_THROWS_WITH_AS(bps_of(0), "f: /x: must be a positive bandwidth, got 0", InputError);
    CHECK_THROWS_WITH_AS(bps_of("11Tbps"), R"(f: /x: must be at most 10 Tbps, got "11Tbps")", InputError);
    CHECK_THROWS_WITH_AS(bps_of("0.5bps"), R"(f: /x: must be a whole number of bits per second, got "0.5bps")",
                         InputError);
}

TEST_CASE("ratios are exact reduced fractions") {
    check_ratio(0.5, 1, 2);
    check_ratio(1.0, 1, 1);
    check_ratio(2, 2, 1);
    check_ratio(0.1, 1, 10);
    check_ratio(0.333333, 333333, 1000000);
    check_ratio(0.000001, 1, 1000000);
    check_ratio(1000, 1000, 1);
    const std::string expected = "f: /x: must be a number > 0 and <= 1000 with at most 6 decimal places, got ";
    CHECK_THROWS_WITH_AS(parse_ratio(0, "f: /x"), (expected + "0").c_str(), InputError);
    CHECK_THROWS_WITH_AS(parse_ratio(-0.5, "f: /x"), (expected + "-0.5").c_str(), InputError);
    CHECK_THROWS_WITH_AS(parse_ratio(1000.5, "f: /x"), (expected + "1000.5").c_str(), InputError);
    CHECK_THROWS_WITH_AS(parse_ratio(0.1234567, "f: /x"), (expected + "0.1234567").c_str(), InputError);
    CHECK_THROWS_WITH_AS(parse_ratio(1e-7, "f: /x"), (expected + "1e-07").c_str(), InputError);
    CHECK_THROWS_WITH_AS(parse_ratio("0.5", "f: /x"), (expected + "\"0.5\"").c_str(), InputError);
}

TEST_CASE("a full document maps onto the model structs") {
    const std::string text = R"({
      "name": "everything",
      "description": "Every op kind once.",
      "model": "textbook",
      "link": { "bandwidth": "100Mbps", "delay": "1ms", "mss": 1460,
                "client->server": { "delay": "5ms", "mss": "1KiB" } },
      "endpoints": {
        "server": { "sqs": "64KiB", "rqs": 1000, "threads": {
          "main": [ {"repeat": "eof", "do": [ {"read": "4KiB"}, {"write": {"ratio": 0.5}} ]}, "close" ],
          "side": [ {"sleep": "2.5ms"}, {"read_exact": 10}, {"send": {"ratio": 1.0}} ] } },
        "client": { "sqs": 500, "rqs": 600, "threads": {
          "main": [ {"send": 10}, {"repeat": 3, "do": [ {"write": "1.5KiB"} ]},
                    {"event_loop": {"write": "1MB", "write_chunk": 100, "read_chunk": 200}},
                    {"event_loop": {"write": 0, "write_chunk": 1, "read_chunk": 1, "shutdown": false}},
                    "shutdown", "read_to_end" ] } }
      },
      "expect": { "outcome": "completed", "time_ns": "2ms", "events": 12,
                  "threads": { "client.main": { "state": "done", "bytes_written": "1MiB", "blocked_in": null } },
                  "queues": { "server": { "sendq": "1KiB", "rqs": 1000 } } }
    })";
    const Loaded loaded = load_text(text, "all.json");
    const model::Scenario& s = loaded.scenario;
    CHECK(s.name == "everything");
    CHECK(s.description == "Every op kind once.");
    CHECK(s.profile == model::Profile::textbook);

    // Endpoint order is file order, not alphabetical.
    REQUIRE(s.endpoints[0].name == "server");
    REQUIRE(s.endpoints[1].name == "client");
    CHECK(s.connections[0].sizes[0].sqs_bytes == 65536);
    CHECK(s.connections[0].sizes[0].rqs_bytes == 1000);
    CHECK(s.connections[0].sizes[1].sqs_bytes == 500);

    // links[0] is server->client (shared values), links[1] client->server (overridden).
    CHECK(s.connections[0].links[0].bandwidth_bps == 100'000'000);
    CHECK(s.connections[0].links[0].delay_ns == 1000'000);
    CHECK(s.connections[0].links[0].mss_bytes == 1460);
    CHECK(s.connections[0].links[1].bandwidth_bps == 100'000'000);
    CHECK(s.connections[0].links[1].delay_ns == 5000'000);
    CHECK(s.connections[0].links[1].mss_bytes == 1024);

    CHECK(s.limits.time_ns == 3600'000'000'000);  // defaults
    CHECK(s.limits.events == 1000'000'000);

    const auto& server = s.endpoints[0].threads;
    REQUIRE(server.size() == 2);
    CHECK(server[0].name == "main");
    CHECK(server[1].name == "side");
    const model::Op& loop = server[0].ops[0];
    CHECK(loop.kind == model::OpKind::repeat);
    CHECK(loop.until_eof);
    REQUIRE(loop.body.size() == 2);
    CHECK(loop.body[0].kind == model::OpKind::read);
    CHECK(loop.body[0].bytes == 4096);
    CHECK(loop.body[1].kind == model::OpKind::write);
    CHECK(loop.body[1].bytes == 0);
    REQUIRE(loop.body[1].ratio.has_value());
    CHECK(loop.body[1].ratio->num == 1);
    CHECK(loop.body[1].ratio->den == 2);
    CHECK(server[0].ops[1].kind == model::OpKind::close);
    CHECK(server[1].ops[0].kind == model::OpKind::sleep);
    CHECK(server[1].ops[0].duration_ns == 2500'000);
    CHECK(server[1].ops[1].kind == model::OpKind::read_exact);
    CHECK(server[1].ops[1].bytes == 10);
    CHECK(server[1].ops[2].kind == model::OpKind::send);
    CHECK(server[1].ops[2].ratio->num == 1);
    CHECK(server[1].ops[2].ratio->den == 1);

    const auto& client = s.endpoints[1].threads[0].ops;
    REQUIRE(client.size() == 6);
    CHECK(client[0].kind == model::OpKind::send);
    CHECK(client[0].bytes == 10);
    CHECK_FALSE(client[0].ratio.has_value());
    CHECK(client[1].kind == model::OpKind::repeat);
    CHECK_FALSE(client[1].until_eof);
    CHECK(client[1].count == 3);
    CHECK(client[1].body[0].bytes == 1536);
    CHECK(client[2].kind == model::OpKind::event_loop);
    CHECK(client[2].write_total == 1000'000);
    CHECK(client[2].write_chunk == 100);
    CHECK(client[2].read_chunk == 200);
    CHECK(client[2].shutdown_when_done);
    CHECK_FALSE(client[3].shutdown_when_done);
    CHECK(client[4].kind == model::OpKind::shutdown);
    CHECK(client[5].kind == model::OpKind::read_to_end);

    CHECK(loaded.expect == ordered_json::parse(R"({"outcome": "completed", "time_ns": 2000000, "events": 12,
        "threads": {"client.main": {"state": "done", "bytes_written": 1048576, "blocked_in": null}},
        "queues": {"server": {"sendq": 1024, "rqs": 1000}}})"));
    CHECK(loaded.document["endpoints"].begin().key() == "server");
}

TEST_CASE("the brief's example loads, expect normalized, limits read") {
    const Loaded loaded = load_text(kBoth, "both.json");
    CHECK(loaded.scenario.limits.events == 100'000'000);
    CHECK(loaded.scenario.connections[0].links[0].delay_ns == 5000'000);  // A->B override
    CHECK(loaded.scenario.connections[0].links[1].delay_ns == 1000'000);
    CHECK(loaded.expect["threads"]["A.main"]["blocked_in"]["done"] == 1000);
}

TEST_CASE("model linux makes queue sizes optional") {
    const Loaded loaded =
        load_text(kBoth, "both.json", {"model=linux", R"(endpoints.A={"threads": {"main": ["read_to_end"]}})"});
    CHECK(loaded.scenario.profile == model::Profile::linux);
    CHECK_FALSE(loaded.scenario.connections[0].sizes[0].sqs_bytes.has_value());
    CHECK_FALSE(loaded.scenario.connections[0].sizes[0].rqs_bytes.has_value());
    CHECK(loaded.scenario.connections[0].sizes[1].sqs_bytes == 500);
    CHECK(error_with("/expect=null") == "both.json: /expect: must be an object, got null");
}

TEST_CASE("no expect block gives a null expect") {
    ordered_json doc = ordered_json::parse(kBoth);
    doc.erase("expect");
    CHECK(load_text(doc.dump(), "both.json").expect.is_null());
}

TEST_CASE("errors: one exact line per class of mistake") {
    CHECK(error_with("endpoints.A.sqs=-5") == "both.json: /endpoints/A/sqs: must be a positive size, got -5");
    CHECK(error_with("endpoints.A.sqz=5") == "both.json: /endpoints/A/sqz: unknown key (allowed: sqs, rqs, threads, queues)");
    CHECK(error_with("nam=x") ==
          "both.json: /nam: unknown key (allowed: $schema, name, description, model, link, endpoints, connections, pipes, params, limits, profile, expect, variants)");
    CHECK(error_with("description=5") == "both.json: /description: must be a string, got 5");
    CHECK(error_with("model=tcp") == R"(both.json: /model: must be "textbook" or "linux", got "tcp")");
    CHECK(error_with("name=") == R"(both.json: /name: must be a non-empty string of at most 100 characters, got "")");
    CHECK(error_with("link=[]") == "both.json: /link: must be an object, got []");
    CHECK(error_with("endpoints.A.threads.main=[]") ==
          "both.json: /endpoints/A/threads/main: must be a non-empty list of ops, got []");
    CHECK(error_with(R"(endpoints.A.threads.main.0="write")") ==
          R"(both.json: /endpoints/A/threads/main/0: must be an op: "read_to_end", "shutdown", "close", )"
          R"(or an object such as {"write": 1500}, got "write")");
    CHECK(error_with(R"(endpoints.A.threads.main.0={"write": 1, "read": 1})") ==
          R"(both.json: /endpoints/A/threads/main/0: must be an object with exactly one op key, got {"write":1,"read":1})");
    CHECK(error_with(R"(endpoints.A.threads.main.0={"writ": 1})") ==
          "both.json: /endpoints/A/threads/main/0/writ: unknown key "
          "(allowed: write, send, read, read_exact, sleep, repeat, event_loop, read_to_end, shutdown, close, to, from)");
    CHECK(error_with(R"(endpoints.A.threads.main.0={"event_loop": {"write": 5, "read_chunk": 1}})") ==
          R"(both.json: /endpoints/A/threads/main/0/event_loop: missing required key "write_chunk")");
    CHECK(error_with(R"(endpoints.A.threads.main.0={"sleep": "2h"})") ==
          R"(both.json: /endpoints/A/threads/main/0/sleep: must be at most 1 h, got "2h")");
    CHECK(error_with(R"(endpoints.A.threads.main.0={"repeat": 0, "do": ["read_to_end"]})") ==
          R"(both.json: /endpoints/A/threads/main/0/repeat: must be a positive integer (at most 2^40), "eof" or a duration such as "10s", got 0)");
    CHECK(error_with("limits.time=0") == "both.json: /limits/time: must be a positive duration, got 0");
    CHECK(error_with("limits.time=31 days") ==
          R"(both.json: /limits/time: must be a positive duration: an integer number of nanoseconds, or a string )"
          R"(such as "5ms" (units ns, us, ms, s, min, h), got "31 days")");
    CHECK(error_with("limits.time=721h") == R"(both.json: /limits/time: must be at most 720 h, got "721h")");
    CHECK(error_with("limits.events=10000000001") ==
          "both.json: /limits/events: must be a positive integer of at most 10^10, got 10000000001");
}

TEST_CASE("errors: missing keys") {
    ordered_json doc = ordered_json::parse(kBoth);
    doc.erase("link");
    CHECK(error_of(doc.dump()) == R"(both.json: missing required key "link")");
    ordered_json no_rqs = ordered_json::parse(kBoth);
    no_rqs["endpoints"]["B"].erase("rqs");
    CHECK(error_of(no_rqs.dump()) ==
          R"(both.json: /endpoints/B: missing required key "rqs" (model "textbook" needs exact queue sizes))");
    ordered_json no_mss = ordered_json::parse(kBoth);
    no_mss["link"].erase("mss");
    no_mss["link"]["A->B"]["mss"] = 1000;
    CHECK(error_of(no_mss.dump()) == R"(both.json: /link: missing required key "mss" (no value for direction B->A))");
}

TEST_CASE("errors: endpoints and names") {
    CHECK(error_with(R"(endpoints.C={"sqs": 1, "rqs": 1, "threads": {"m": ["close"]}})") ==
          "both.json: /endpoints: must hold exactly two endpoints, found 3: A, B, C (any other number needs a \"connections\" list)");
    ordered_json dotted = ordered_json::parse(kBoth);
    dotted["endpoints"]["B.x"] = dotted["endpoints"]["B"];
    dotted["endpoints"].erase("B");
    CHECK(error_of(dotted.dump()) ==
          R"(both.json: /endpoints/B.x: endpoint name must match ^[A-Za-z][A-Za-z0-9_-]{0,31}$, got "B.x")");
    CHECK(error_with(R"(endpoints.A.threads={"1st": ["close"]})") ==
          R"(both.json: /endpoints/A/threads/1st: thread name must match ^[A-Za-z][A-Za-z0-9_-]{0,31}$, got "1st")");
    CHECK(error_with("link.A->C={}") ==
          "both.json: /link/A->C: unknown key (allowed: bandwidth, delay, mss, A->B, B->A)");
    CHECK(error_with(R"(expect.threads={"A.nope": {}})") ==
          "both.json: /expect/threads/A.nope: unknown key (allowed: A.main, B.main)");
}

TEST_CASE("errors: static checks on thread scripts") {
    CHECK(error_with(R"(endpoints.A.threads.main=["shutdown", {"write": 1}])") ==
          "both.json: /endpoints/A/threads/main/1: write after shutdown at /endpoints/A/threads/main/0");
    CHECK(error_with(R"(endpoints.A.threads.main=["close", "read_to_end", {"repeat": 2, "do": [{"send": 1}]}])") ==
          "both.json: /endpoints/A/threads/main/2: repeat with a write after close at /endpoints/A/threads/main/0");
    CHECK(error_with(R"(endpoints.A.threads.main=[{"repeat": 2, "do": ["shutdown"]}, {"write": 1}])") ==
          "both.json: /endpoints/A/threads/main/1: write after shutdown at /endpoints/A/threads/main/0/do/0");
    CHECK(error_with(R"(endpoints.A.threads.main.0={"repeat": "eof", "do": [{"write": 1}]})") ==
          R"(both.json: /endpoints/A/threads/main/0: "repeat": "eof" needs a read, read_exact or read_to_end )"
          R"(in "do", else it never ends)");
    CHECK(error_with(R"(endpoints.A.threads.main.0={"repeat": "eof", "do": [{"repeat": 2, "do": [{"read": 1}]}]})") ==
          "(loaded)");
    // 2^40 * 2^40 bytes would overflow int64: reported, not undefined.
    CHECK(error_with(R"(endpoints.A.threads.main.0={"repeat": 1099511627776,
                        "do": [{"repeat": 1099511627776, "do": [{"write": "1TiB"}]}]})") ==
          "both.json: /endpoints/A/threads/main: writes more than 2^50 bytes in total (repeat counts multiplied through)");
    CHECK(error_with(R"(endpoints.A.threads.main.0={"repeat": 1024, "do": [{"write": "1TiB"}]})") == "(loaded)");
    std::string nested = R"(["read_to_end"])";
    for (int depth = 0; depth < 8; ++depth) nested = R"([{"repeat": 2, "do": )" + nested + "}]";
    CHECK(error_with("endpoints.A.threads.main=" + nested) == "(loaded)");
    CHECK(error_with("endpoints.A.threads.main=" + std::string(R"([{"repeat": 2, "do": )") + nested + "}]") ==
          "both.json: /endpoints/A/threads/main/0/do/0/do/0/do/0/do/0/do/0/do/0/do/0/do/0: "
          "repeat nested more than 8 deep");
}

TEST_CASE("errors: JSON text, duplicate keys and files") {
    CHECK(error_of("{\n  \"name\": \"x\",\n  oops: 2\n}") ==
          "both.json: line 3, column 3: invalid JSON (invalid literal; expected string literal)");
    CHECK(error_of("{\"name\": \"x\",}") == "both.json: line 1, column 14: invalid JSON (unexpected '}'; expected string literal)");
    CHECK(error_of("") == "both.json: line 1, column 1: invalid JSON (unexpected end of input; expected '[', '{', or a literal)");
    CHECK(error_of("{\"a\": [1,\n\n") == "both.json: line 3, column 1: invalid JSON (unexpected end of input; expected '[', '{', or a literal)");
    CHECK(error_of("[1]") == "both.json: must be an object, got [1]");
    CHECK(error_of(R"({"a": 1e999})") == "both.json: line 1, column 11: invalid JSON (number overflow parsing '1e999')");
    CHECK(error_of(R"({"endpoints": {"A": {"sqs": 1, "sqs": 2}}})") ==
          "both.json: /endpoints/A/sqs: duplicate key (each key may appear once)");
    CHECK_THROWS_WITH_AS(load_file("/nonexistent/nope.json"), "/nonexistent/nope.json: cannot open file", InputError);
    CHECK_THROWS_WITH_AS(load_file(std::filesystem::temp_directory_path().string()),
                         (std::filesystem::temp_directory_path().string() + ": cannot open file (it is a directory)").c_str(),
                         InputError);

    const auto path = std::filesystem::temp_directory_path() / "tcpsim_test_scenario_both.json";
    std::ofstream(path) << kBoth;
    CHECK(load_file(path.string(), {"endpoints.B.sqs=7"}).scenario.connections[0].sizes[1].sqs_bytes == 7);
    CHECK_THROWS_WITH_AS(load_file(path.string(), {"endpoints.B.sqs=0"}),
                         (path.string() + ": /endpoints/B/sqs: must be a positive size, got 0").c_str(), InputError);
    std::filesystem::remove(path);
}

TEST_CASE("found values are cut to 40 characters") {
    const std::string long_name(60, 'x');
    CHECK(error_with("model=" + long_name) ==
          R"(both.json: /model: must be "textbook" or "linux", got ")" + std::string(36, 'x') + "...");
}

TEST_CASE("--set: dotted paths, JSON pointers, values") {
    const Loaded loaded = load_text(kBoth, "both.json",
                                    {"endpoints.A.sqs=64KiB", "link.A->B.delay=2ms", "/link/B->A={\"mss\": 100}",
                                     R"(endpoints.B.threads.main.0={"read": 3})", "/expect/threads/A.main/state=done",
                                     "endpoints.A.sqs=1000", "name=renamed", "description=\"quoted\"",
                                     "limits.time=2h"});
    const model::Scenario& s = loaded.scenario;
    CHECK(s.connections[0].sizes[0].sqs_bytes == 1000);  // applied in order: the last one wins
    CHECK(s.connections[0].links[0].delay_ns == 2000'000);
    CHECK(s.connections[0].links[1].mss_bytes == 100);
    CHECK(s.endpoints[1].threads[0].ops[0].kind == model::OpKind::read);
    CHECK(s.endpoints[1].threads[0].ops[0].bytes == 3);
    CHECK(loaded.expect["threads"]["A.main"]["state"] == "done");
    CHECK(s.name == "renamed");
    CHECK(s.description == "quoted");
    CHECK(s.limits.time_ns == 2 * 3600'000'000'000);
    CHECK(loaded.document["link"]["B->A"] == ordered_json::parse(R"({"mss": 100})"));
    CHECK(loaded.document["endpoints"]["A"]["sqs"] == 1000);
}

TEST_CASE("--set: pointer escapes and new keys") {
    ordered_json doc = ordered_json::parse(R"({"a/b": {"c~d": 1}, "list": [1, 2]})");
    apply_set(doc, "/a~1b/c~0d=2", "f.json");
    apply_set(doc, "/a~1b/new=true", "f.json");
    apply_set(doc, "list.1=[3]", "f.json");
    apply_set(doc, "top=x y", "f.json");
    CHECK(doc == ordered_json::parse(R"({"a/b": {"c~d": 2, "new": true}, "list": [1, [3]], "top": "x y"})"));
}

TEST_CASE("--set creates the objects on its way, the format decides whether they may be there") {
    ordered_json doc = ordered_json::parse(kBoth);
    doc.erase("limits");
    const std::string no_limits = doc.dump();
    CHECK(load_text(no_limits, "both.json", {"limits.events=77"}).scenario.limits.events == 77);
    CHECK(error_of(no_limits, {"expect.threads.B.main.state=done"}) ==
          "both.json: /expect/threads/B: unknown key (allowed: A.main, B.main)");
    CHECK(error_with("endpoints.C.sqs=5") == "both.json: /endpoints: must hold exactly two endpoints, found 3: A, B, C (any other number needs a \"connections\" list)");
    CHECK(error_with("nope.x=5") ==
          "both.json: /nope: unknown key (allowed: $schema, name, description, model, link, endpoints, connections, pipes, params, limits, profile, expect, variants)");
}

TEST_CASE("--set: bad paths are one-line errors") {
    CHECK(error_with("endpoints.A.threads.main.5=1") ==
          "both.json: --set endpoints.A.threads.main.5=1: index 5 out of range at /endpoints/A/threads/main (2 items)");
    CHECK(error_with("/endpoints/A/threads/main/x/y=1") ==
          "both.json: --set /endpoints/A/threads/main/x/y=1: \"x\" is not an array index at /endpoints/A/threads/main");
    CHECK(error_with("name.x=1") == "both.json: --set name.x=1: /name is a string, not an object or array");
    CHECK(error_with("endpoints.A.sqs") == "both.json: --set endpoints.A.sqs: expected path=value");
    CHECK(error_with("=5") == "both.json: --set =5: expected path=value");
    CHECK(error_with("link..delay=1") == "both.json: --set link..delay=1: empty segment in path \"link..delay\"");
    CHECK(error_with("/a~2=1") == "both.json: --set /a~2=1: invalid JSON pointer \"/a~2\"");
}

TEST_CASE("every scenario in scenarios/ loads") {
    const std::filesystem::path dir = TCPSIM_SOURCE_DIR "/scenarios";
    REQUIRE(std::filesystem::is_directory(dir));
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const auto& path = entry.path();
        if (path.extension() != ".json") continue;
        CAPTURE(path.string());
        CHECK_NOTHROW(load_file(path.string()));
    }
}

TEST_CASE("deeply nested JSON is one clear error, not a crash") {
    std::string deep = R"({"name": "x", "description": )";
    for (int i = 0; i < 100000; ++i) deep += "[";
    CHECK_THROWS_WITH_AS(scenario::load_text(deep, "deep.json"), "deep.json: nesting deeper than 64 levels",
                         scenario::InputError);
}

TEST_CASE("a first file hears of every missing key of an object at once") {
    CHECK(error_of(R"({"name": "x"})") ==
          R"(both.json: missing required keys "description", "model", "link" and "endpoints")");
    CHECK(error_of(R"({"name": "x", "description": "d", "model": "textbook", "link": {}})") ==
          R"(both.json: missing required key "endpoints")");
    CHECK(error_with(R"(endpoints.A={"threads": {"main": ["close"]}})") ==
          R"(both.json: /endpoints/A: missing required keys "sqs" and "rqs" (model "textbook" needs exact queue sizes))");
    CHECK(error_of(kBoth, {"model=linux", R"(endpoints.A={"sqs": 500})"}) ==
          R"(both.json: /endpoints/A: missing required key "threads")");
}

TEST_CASE("an object with too many keys is refused before it is built") {
    std::string many = R"({"name": "x", "description": {)";
    for (int i = 0; i <= 10000; ++i) many += (i > 0 ? ", " : "") + ("\"k" + std::to_string(i) + "\": 0");
    many += "}}";
    CHECK(error_of(many) == "both.json: /description: more than 10000 keys in one object");
}

TEST_CASE("a scenario's profile file must load for the scenario to be valid") {
    CHECK(error_of(kBoth, {"model=linux", "profile=no-such-profile.json"}) ==
          "both.json: /profile: the profile file does not load: no-such-profile.json: cannot open file");
    const auto path = std::filesystem::temp_directory_path() / "tcpsim_test_bad_profile.json";
    std::ofstream(path) << R"({"params": {"colour": 1}})";
    const std::string error = error_of(kBoth, {"model=linux", "profile=" + path.string()});
    CHECK(error.starts_with("both.json: /profile: the profile file does not load: " + path.string() + ": /params/colour: unknown key"));
    std::filesystem::remove(path);
}

TEST_CASE("inputs are bounded: no device, FIFO or oversized file is read") {
    CHECK_THROWS_WITH_AS(load_file("/dev/zero"), "/dev/zero: not a regular file (a scenario, profile or session is a file)",
                         InputError);
    const auto fifo = std::filesystem::temp_directory_path() / "tcpsim_test_fifo.json";
    std::filesystem::remove(fifo);
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    // Opening a FIFO with no writer must not block: the test would hang here if it did.
    CHECK_THROWS_WITH_AS(load_file(fifo.string()),
                         (fifo.string() + ": not a regular file (a scenario, profile or session is a file)").c_str(), InputError);
    CHECK_THROWS_WITH_AS(scenario::load_profile_file(fifo.string()),
                         (fifo.string() + ": not a regular file (a scenario, profile or session is a file)").c_str(), InputError);
    std::filesystem::remove(fifo);
    const auto big = std::filesystem::temp_directory_path() / "tcpsim_test_big.json";
    std::ofstream(big) << std::string(scenario::kMaxInputBytes + 1, ' ');
    CHECK_THROWS_WITH_AS(load_file(big.string()),
                         (big.string() + ": larger than 4 MiB (the most tcpsim reads as one input)").c_str(), InputError);
    std::filesystem::resize_file(big, scenario::kMaxInputBytes);
    CHECK_THROWS_WITH_AS(load_file(big.string()),  // at the limit it is read, and is not JSON
                         (big.string() + ": line 1, column 4194305: invalid JSON (unexpected end of input; expected '[', '{', or a literal)").c_str(),
                         InputError);
    std::filesystem::remove(big);
}

TEST_CASE("variants: named beside the scenario file, in order, and the files not read by the loader") {
    const std::string dir = std::string(TCPSIM_SOURCE_DIR) + "/scenarios/";
    const Loaded compress = load_file(dir + "compress-2to1.json");
    REQUIRE(compress.variant_paths.size() == 2);
    CHECK(compress.variant_paths[0] == dir + "compress-threads.json");
    CHECK(compress.variant_paths[1] == dir + "compress-nonblocking.json");
    CHECK(load_file(dir + "both-write-1500.json").variant_paths.empty());
    // A missing variant is lecture's to report: loading the scenario does not open it.
    const Loaded missing = load_text(read_file(dir + "both-write-1500.json"), "some/dir/x.json", {R"(variants=["gone.json"])"});
    CHECK(missing.variant_paths == std::vector<std::string>{"some/dir/gone.json"});
}
