// The scenario format of many endpoints: connections, queues, pipes, op targets, params, size
// lists and timed loops, as loaded into the model, and their one-line errors.
#include <doctest/doctest.h>

#include "scenario/load.hpp"

using namespace tcpsim;
using namespace tcpsim::scenario;

namespace {

// Three endpoints in a chain, a queue in the middle one, a pipe from the last to the first.
const std::string kChain = R"({
  "name": "chain",
  "description": "t",
  "model": "textbook",
  "params": { "n": 3000, "buf": "1KiB", "sizes": [100, 200, 300] },
  "link": { "bandwidth": "10Mbps", "delay": "1ms", "mss": 1460, "b->c": { "delay": "7ms" } },
  "endpoints": {
    "a": { "sqs": 500, "rqs": "$buf", "threads": { "main": [ { "write": "$n" }, "shutdown", "read_to_end" ] } },
    "b": { "sqs": 500, "rqs": 500, "queues": { "jobs": { "capacity": "$buf" } }, "threads": {
      "in": [ { "repeat": "eof", "do": [ { "read": 100, "from": "a" }, { "write": { "ratio": 1 }, "to": "jobs" } ] },
              { "close": "jobs" } ],
      "out": [ { "repeat": "eof", "do": [ { "read": "$sizes", "from": "jobs" }, { "write": { "ratio": 1 }, "to": "c" } ] },
               { "shutdown": "c" }, { "read_to_end": "c" }, { "shutdown": "a" } ] } },
    "c": { "sqs": 700, "rqs": 800, "threads": { "main": [ { "read_to_end": "b" },
            { "repeat": "2s", "do": [ { "write": [1, 2], "to": "log" }, { "sleep": "1s" } ] }, { "close": "log" } ] } }
  },
  "connections": [
    { "between": ["a", "b"] },
    { "between": ["b", "c"], "link": { "mss": 536 }, "c": { "rqs": 900 } }
  ],
  "pipes": { "log": { "from": "c", "to": "a" } }
})";

std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
    try {
        load_text(text, "chain.json", sets);
    } catch (const InputError& error) {
        return error.what();
    }
    return "(loaded)";
}

}  // namespace

TEST_CASE("format: connections, queues and pipes become the model's channels") {
    const model::Scenario s = load_text(kChain, "chain.json").scenario;
    REQUIRE(s.endpoints.size() == 3);
    REQUIRE(s.connections.size() == 2);
    CHECK(s.connections[1].ends == std::array<int, 2>{1, 2});
    // Endpoint sizes are defaults; a connection's end block overrides them; params resolve.
    CHECK(s.connections[0].sizes[0].rqs_bytes == 1024);
    CHECK(s.connections[1].sizes[1].sqs_bytes == 700);
    CHECK(s.connections[1].sizes[1].rqs_bytes == 900);
    // The top-level link is every connection's default, its "b->c" key and the connection's own
    // link override it.
    CHECK(s.connections[0].links[0].mss_bytes == 1460);
    CHECK(s.connections[1].links[0].mss_bytes == 536);
    CHECK(s.connections[1].links[0].delay_ns == 7'000'000);
    CHECK(s.connections[1].links[1].delay_ns == 1'000'000);
    REQUIRE(s.byte_queues.size() == 2);
    CHECK(s.byte_queues[0].name == "jobs");
    CHECK_FALSE(s.byte_queues[0].pipe);
    CHECK(s.byte_queues[0].capacity_bytes == 1024);
    CHECK(s.byte_queues[1].pipe);
    CHECK(s.byte_queues[1].writer == 2);
    CHECK(s.byte_queues[1].reader == 0);
    CHECK(s.byte_queues[1].capacity_bytes == 65536);  // Linux's default pipe
    // b's channels: its sockets in connection order, then its queue.
    const auto& b = s.endpoints[1].channels;
    REQUIRE(b.size() == 3);
    CHECK(b[0].name == "a");
    CHECK(b[1].name == "c");
    CHECK(b[2].name == "jobs");
    CHECK(b[2].kind == model::Channel::Kind::byte_queue);
    CHECK(s.endpoints[0].channels.size() == 2);  // its socket and the pipe's reading end
    // Ops point at their channel.
    const model::Op& put = s.endpoints[1].threads[0].ops[0].body[1];
    CHECK(put.channel == 2);
    const model::Op& take = s.endpoints[1].threads[1].ops[0].body[0];
    CHECK(take.sizes == std::vector<int64_t>{100, 200, 300});
    CHECK(model::op_bytes(take, 4) == 200);
    CHECK(s.endpoints[1].threads[1].ops[1].channel == 1);  // shutdown c
    const model::Op& timed = s.endpoints[2].threads[0].ops[1];
    CHECK(timed.duration_ns == 2'000'000'000);
    CHECK(timed.count == 0);
    CHECK(model::socket_keys(s) == std::vector<std::string>{"a.b", "b.a", "b.c", "c.b"});
    CHECK(model::byte_queue_keys(s) == std::vector<std::string>{"b.jobs", "log"});
}

TEST_CASE("format: --set sets a parameter by its name, and every use of it moves") {
    CHECK(error_of(kChain, {"m=5"}) ==
          "chain.json: --set m=5: no parameter \"m\" (params: n, buf, sizes) and no top-level key of that name");
    CHECK(error_of(kChain, {"n=lots"}) ==
          "chain.json: /endpoints/a/threads/main/0/write ($n, /params/n): must be a positive size: an integer number of "
          "bytes, or a string such as \"64KiB\" (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), got \"lots\"");
    const model::Scenario s = load_text(kChain, "chain.json", {"n=5000", "buf=2048"}).scenario;
    CHECK(s.endpoints[0].threads[0].ops[0].bytes == 5000);
    CHECK(s.connections[0].sizes[0].rqs_bytes == 2048);
    CHECK(s.byte_queues[0].capacity_bytes == 2048);
}

TEST_CASE("format: the two-endpoint form is one connection with each endpoint's only channel its socket") {
    const std::string two = R"({"name": "t", "description": "t", "model": "textbook",
      "link": {"bandwidth": "1Gbps", "delay": "1ms", "mss": 1460},
      "endpoints": {"A": {"sqs": 1, "rqs": 2, "threads": {"m": [{"write": 5}]}},
                    "B": {"sqs": 3, "rqs": 4, "threads": {"m": ["read_to_end"]}}}})";
    const model::Scenario s = load_text(two, "two.json").scenario;
    REQUIRE(s.connections.size() == 1);
    CHECK(s.connections[0].sizes[1].sqs_bytes == 3);
    REQUIRE(s.endpoints[0].channels.size() == 1);
    CHECK(s.endpoints[0].channels[0].name == "B");
    CHECK(model::socket_keys(s) == std::vector<std::string>{"A", "B"});
}

TEST_CASE("format errors: one line naming the place, what was expected and what was found") {
    CHECK(error_of(kChain, {"endpoints.b.threads.in.0.do.1.to=nowhere"}) ==
          R"(chain.json: /endpoints/b/threads/in/0/do/1/to: must be one of this endpoint's sockets, queues or pipes: "a", "c" or "jobs", got "nowhere")");
    CHECK(error_of(kChain, {R"(endpoints.b.threads.out.0.do.0={"read": 5})"}) ==
          R"(chain.json: /endpoints/b/threads/out/0/do/0: must say what it acts on: add "from": one of "a", "c" or "jobs")");
    CHECK(error_of(kChain, {R"(endpoints.b.threads.out.0.do.0={"read": 5, "to": "jobs"})"}) ==
          R"(chain.json: /endpoints/b/threads/out/0/do/0/to: "to" does not go with "read" (use "from"))");
    CHECK(error_of(kChain, {R"(endpoints.a.threads.main.0={"write": 5, "to": "log"})"}) ==
          R"(chain.json: /endpoints/a/threads/main/0/to: pipe "log" is written by c; this endpoint reads it)");
    CHECK(error_of(kChain, {"endpoints.a.threads.main.0.write=$m"}) ==
          R"(chain.json: /endpoints/a/threads/main/0/write: unknown parameter "$m" (params: n, buf, sizes))");
    CHECK(error_of(kChain, {"params.limits=5"}) ==
          "chain.json: /params/limits: a parameter may not share its name with a top-level key");
    CHECK(error_of(kChain, {R"(link={"bandwidth": "10Mbps", "delay": "1ms", "mss": 1460})", "connections.1.between.1=a"}) ==
          "chain.json: /connections/1/between: these endpoints are already joined by connections/0 (ops name a socket by "
          "its peer, so one connection per pair)");
    CHECK(error_of(kChain, {"connections.0.between.1=zz"}) ==
          R"(chain.json: /connections/0/between/1: must be one of the endpoints: "a", "b" or "c", got "zz")");
    CHECK(error_of(kChain, {"pipes.log.to=c"}) ==
          "chain.json: /pipes/log: a pipe joins two endpoints (processes); threads of one endpoint share a queue");
    CHECK(error_of(kChain, {"endpoints.b.queues.jobs.capacity=0"}) ==
          "chain.json: /endpoints/b/queues/jobs/capacity: must be a positive size, got 0");
    CHECK(error_of(kChain, {"endpoints.b.queues.c={\"capacity\": 5}"}) ==
          R"(chain.json: /endpoints/b: "c" names both its socket to c and its queue /endpoints/b/queues/c (ops name what they act on, so one name for one thing))");
    CHECK(error_of(kChain, {"endpoints.b.threads.out.0.do.0.read=[]"}) ==
          "chain.json: /endpoints/b/threads/out/0/do/0/read: must be a size or a list of 1 to 1000 sizes, got []");
    CHECK(error_of(kChain, {"endpoints.c.threads.main.1.repeat=soon"}).starts_with(
          "chain.json: /endpoints/c/threads/main/1/repeat: "));
    CHECK(error_of(kChain, {R"(endpoints.b.threads.in.0.do.1={"event_loop": {"write": 1, "write_chunk": 1, "read_chunk": 1, "on": "jobs"}})"}) ==
          "chain.json: /endpoints/b/threads/in/0/do/1/event_loop/on: an event loop acts on a socket, not on a queue or pipe");
    // textbook needs every socket's sizes, from the connection's end block or the endpoint
    CHECK(error_of(kChain, {R"(endpoints.c={"threads": {"m": ["close"]}})"}) ==
          R"(chain.json: /connections/1: missing "sqs" for c (model "textbook" needs exact queue sizes: give it here under "c" or in endpoints.c))");
    // a write to a channel after this thread shut it down; another channel is fine
    CHECK(error_of(kChain, {R"(endpoints.b.threads.out.3={"write": 5, "to": "c"})"}) ==
          "chain.json: /endpoints/b/threads/out/3: write after shutdown at /endpoints/b/threads/out/1");
    CHECK(error_of(kChain, {R"(endpoints.b.threads.out.3={"write": 5, "to": "a"})"}) == "(loaded)");
}

TEST_CASE("format: a scenario of pipes needs no link and no connection") {
    const std::string pipes = R"({"name": "p", "description": "t", "model": "textbook", "connections": [],
      "endpoints": {"p": {"threads": {"m": [{"write": 5, "to": "x"}]}}, "q": {"threads": {"m": [{"read_to_end": "x"}]}}},
      "pipes": {"x": {"from": "p", "to": "q", "capacity": 4}}})";
    const model::Scenario s = load_text(pipes, "p.json").scenario;
    CHECK(s.connections.empty());
    CHECK(s.byte_queues.at(0).capacity_bytes == 4);
    CHECK(s.endpoints[0].threads[0].ops[0].channel == 0);
}
