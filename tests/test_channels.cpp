// In-process queues and pipes in the engine: blocking, EOF, EPIPE, process exit, size lists,
// timed loops, the wait-for walk across them, and fast-forward over several channels.
#include <doctest/doctest.h>

#include <random>

#include "core/engine.hpp"
#include "scenario/load.hpp"
#include "support.hpp"

using namespace tcpsim;

namespace {

core::Result run_text(const std::string& text, const std::vector<std::string>& sets = {}) {
    return core::simulate_textbook(scenario::load_text(text, "t.json", sets).scenario);
}

const core::ThreadReport& thread(const core::Result& r, const std::string& label) {
    for (const core::ThreadReport& t : r.threads)
        if (t.endpoint + "." + t.name == label) return t;
    FAIL("no thread " << label);
    return r.threads.front();
}

// One process: a producer puts `total` bytes into a queue in writes of `chunk`, a consumer takes
// them in reads of `take`.
std::string queue_doc(int64_t capacity, int64_t total, int64_t chunk, int64_t take, bool producer_closes = true) {
    return R"({"name": "q", "description": "t", "model": "textbook", "connections": [],
      "endpoints": {"p": {"queues": {"q": {"capacity": )" + std::to_string(capacity) + R"(}}, "threads": {
        "producer": [{"repeat": )" + std::to_string(total / chunk) + R"(, "do": [{"write": )" + std::to_string(chunk) +
           R"(, "to": "q"}]})" + (producer_closes ? R"(, {"close": "q"})" : "") + R"(],
        "consumer": [{"repeat": "eof", "do": [{"read": )" + std::to_string(take) + R"(, "from": "q"}]}]}}}})";
}

}  // namespace

TEST_CASE("queue: every byte put in is taken out, the level never passes the capacity, EOF after close") {
    std::mt19937_64 rng(16);
    for (int i = 0; i < 200; ++i) {
        const int64_t capacity = std::uniform_int_distribution<int64_t>(1, 5000)(rng);
        const int64_t chunk = std::uniform_int_distribution<int64_t>(1, 3000)(rng);
        const int64_t total = chunk * std::uniform_int_distribution<int64_t>(1, 50)(rng);
        const int64_t take = std::uniform_int_distribution<int64_t>(1, 4000)(rng);
        CAPTURE(capacity); CAPTURE(chunk); CAPTURE(total); CAPTURE(take);
        const core::Result r = run_text(queue_doc(capacity, total, chunk, take));
        REQUIRE(r.outcome == core::Outcome::completed);
        CHECK(thread(r, "p.consumer").bytes_read == total);
        REQUIRE(r.byte_queues.size() == 1);
        CHECK(r.byte_queues[0].written == total);
        CHECK(r.byte_queues[0].read == total);
        CHECK(r.byte_queues[0].peak <= capacity);
        CHECK(r.byte_queues[0].peak == std::min(capacity, total));  // the producer runs first and fills it
        CHECK(r.byte_queues[0].writer_closed);
    }
}

TEST_CASE("queue: a reader whose writer never closes waits for good, and the cycle says on what") {
    // The producer finishes without closing: its process lives on (the consumer), so no EOF.
    const core::Result r = run_text(queue_doc(100, 300, 100, 100, false));
    REQUIRE(r.outcome == core::Outcome::deadlock);
    CHECK(thread(r, "p.consumer").state == core::ThreadState::blocked);
    CHECK(thread(r, "p.consumer").bytes_read == 300);
    REQUIRE_FALSE(r.cycle.empty());
    CHECK(r.cycle[0] == "p.consumer is blocked in read(100) from queue p.q with 0 bytes read: queue p.q is empty and its "
                        "writing end is open");
    CHECK(r.cycle.back() == "p has no thread left to write to queue p.q: all of them finished");
    CHECK(r.off_cycle == std::vector<std::string>{"p.producer finished; the threads above are blocked for good"});
}

TEST_CASE("pipe: the writing process's exit is EOF, the reading end closed makes writes fail (EPIPE)") {
    const std::string doc = R"({"name": "p", "description": "t", "model": "textbook", "connections": [],
      "endpoints": {"w": {"threads": {"m": [{"write": 1000, "to": "x"}, {"sleep": "1s"}, {"write": 10, "to": "x"}]}},
                    "r": {"threads": {"m": [{"read_exact": 1000, "from": "x"}, {"close": "x"}]}}},
      "pipes": {"x": {"from": "w", "to": "r", "capacity": 500}}})";
    const core::Result r = run_text(doc);
    CHECK(thread(r, "r.m").state == core::ThreadState::done);
    CHECK(thread(r, "w.m").state == core::ThreadState::failed);
    CHECK(thread(r, "w.m").error == "write to a pipe whose reader closed it (EPIPE)");
    CHECK(r.time_ns == 1'000'000'000);
    // Without the reader's close its process exit closes the reading end just the same.
    const core::Result exited = run_text(doc, {R"(endpoints.r.threads.m=[{"read_exact": 1000, "from": "x"}])"});
    CHECK(thread(exited, "w.m").error == "write to a pipe whose reader closed it (EPIPE)");
    // A writer that exits without closing still ends the reader's read_to_end.
    const core::Result eof = run_text(doc, {R"(endpoints.w.threads.m=[{"write": 1000, "to": "x"}])",
                                            R"(endpoints.r.threads.m=[{"read_to_end": "x"}])"});
    REQUIRE(eof.outcome == core::Outcome::completed);
    CHECK(thread(eof, "r.m").bytes_read == 1000);
}

TEST_CASE("size lists: iteration i of the loop around the op takes size i modulo the list") {
    const core::Result r = run_text(queue_doc(100000, 0, 1, 1), {
        R"(endpoints.p.threads.producer=[{"repeat": 5, "do": [{"write": [100, 200, 300], "to": "q"}]}, {"close": "q"}])"});
    CHECK(thread(r, "p.producer").bytes_written == 100 + 200 + 300 + 100 + 200);
    CHECK(thread(r, "p.consumer").bytes_read == 900);
}

TEST_CASE("timed loops: iterations start while less than the duration has passed") {
    const core::Result r = run_text(queue_doc(100000, 0, 1, 1), {
        R"(endpoints.p.threads.producer=[{"repeat": "2s", "do": [{"write": 7, "to": "q"}, {"sleep": "500ms"}]}, {"close": "q"}])"});
    REQUIRE(r.outcome == core::Outcome::completed);
    CHECK(thread(r, "p.producer").bytes_written == 4 * 7);  // started at 0, 0.5, 1 and 1.5 s
    CHECK(r.time_ns == 2'000'000'000);
}

TEST_CASE("fast-forward over two channels gives the same run as op by op") {
    // A relay loop (read from one socket, write to the other) fast-forwards; with a size list of
    // equal sizes the same loop runs op by op. Every report must agree.
    std::mt19937_64 rng(160);
    for (int i = 0; i < 40; ++i) {
        const int64_t chunk = std::uniform_int_distribution<int64_t>(1, 700)(rng);
        const int64_t request = std::uniform_int_distribution<int64_t>(1, 20000)(rng);
        const int64_t buf = std::uniform_int_distribution<int64_t>(100, 3000)(rng);
        CAPTURE(chunk); CAPTURE(request); CAPTURE(buf);
        const std::string loop_fast = std::to_string(chunk);
        const std::string loop_slow = "[" + std::to_string(chunk) + ", " + std::to_string(chunk) + "]";
        const auto doc = [&](const std::string& size) {
            return R"({"name": "r", "description": "t", "model": "textbook",
              "link": {"bandwidth": "10Mbps", "delay": "1ms", "mss": 1460},
              "endpoints": {
                "c": {"sqs": )" + std::to_string(buf) + R"(, "rqs": 500, "threads": {"s": [{"write": )" + std::to_string(request) + R"(}, "shutdown"], "r": ["read_to_end"]}},
                "p": {"sqs": 500, "rqs": )" + std::to_string(buf) + R"(, "threads": {
                  "up": [{"repeat": "eof", "do": [{"read": )" + size + R"(, "from": "c"}, {"write": {"ratio": 1}, "to": "s"}]}, {"shutdown": "s"}],
                  "down": [{"repeat": "eof", "do": [{"read": )" + size + R"(, "from": "s"}, {"write": {"ratio": 1}, "to": "c"}]}, {"shutdown": "c"}]}},
                "s": {"sqs": 500, "rqs": 500, "threads": {"m": [{"repeat": "eof", "do": [{"read": 100}, {"write": {"ratio": 1}}]}, "close"]}}},
              "connections": [{"between": ["c", "p"]}, {"between": ["p", "s"]}]})";
        };
        const core::Result fast = run_text(doc(loop_fast));
        const core::Result slow = run_text(doc(loop_slow));
        REQUIRE(fast.outcome == core::Outcome::completed);
        CHECK(slow.outcome == fast.outcome);
        CHECK(slow.time_ns == fast.time_ns);
        CHECK(slow.events == fast.events);
        for (size_t t = 0; t < fast.threads.size(); ++t) {
            CHECK(slow.threads[t].bytes_read == fast.threads[t].bytes_read);
            CHECK(slow.threads[t].bytes_written == fast.threads[t].bytes_written);
        }
        CHECK(thread(fast, "c.r").bytes_read == request);
    }
}

TEST_CASE("the wait-for walk starts on the cycle and names the threads off it") {
    const scenario::Loaded loaded = scenario::load_file(std::string(TCPSIM_SOURCE_DIR) + "/scenarios/proxy-store-forward.json");
    const core::Result r = core::simulate_textbook(loaded.scenario);
    REQUIRE(r.outcome == core::Outcome::deadlock);
    REQUIRE(r.cycle.size() == 5);
    CHECK(r.cycle[0].starts_with("proxy.main is blocked in write(5000) to server with 2,100 of 5,000 bytes accepted"));
    CHECK(r.cycle[3].starts_with("server.SendQ drains only into proxy.RecvQ from server"));
    CHECK(r.cycle[4] == "but proxy.main is the thread above: the cycle is closed");
    CHECK(r.off_cycle == std::vector<std::string>{
        "client.receiver is blocked too, in read_to_end() from proxy, waiting on the cycle",
        "client.sender finished; the threads above are blocked for good"});
}
