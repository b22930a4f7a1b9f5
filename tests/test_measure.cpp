// Real sockets on loopback: short, bounded runs of the scenario library's protocols.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "analysis/compare.hpp"
#include "measure/measure.hpp"
#include "measure/netns.hpp"
#include "scenario/load.hpp"
#include "scenario/profile_file.hpp"
#include "views/measured.hpp"
#include "views/report.hpp"
#include "core/engine.hpp"
#include "support.hpp"

using namespace tcpsim;

namespace {

std::string scenario_path(const std::string& name) { return std::string(TCPSIM_SOURCE_DIR) + "/scenarios/" + name; }

measure::Options quick() {
    measure::Options opt;
    opt.quiet_ns = 1'000'000'000;
    opt.timeout_ns = 30'000'000'000;
    return opt;
}

model::Scenario load(const std::string& name, const std::vector<std::string>& sets = {}) {
    return scenario::load_file(scenario_path(name), sets).scenario;
}

// Threads of this process now.
size_t threads_alive() {
    size_t n = 0;
    for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task")) ++n;
    return n;
}

// `writers` threads on A, each writing `each` bytes, and one reader on B reading to the end.
model::Scenario many_writers(int writers, int64_t each) {
    test::Side a{4096, 4096, {}};
    for (int i = 0; i < writers; ++i) a.threads.push_back({"w" + std::to_string(i), {test::write_op(each)}});
    const test::Side b{4096, 4096, {{"main", {test::read_to_end_op()}}}};
    return test::make_scenario(a, b, model::Profile::linux, measure::kLoopbackMssBytes, 0, measure::kLocalBandwidthBps);
}

const core::ThreadReport& thread_named(const core::Result& r, const std::string& endpoint, const std::string& name) {
    for (const core::ThreadReport& t : r.threads)
        if (t.endpoint == endpoint && t.name == name) return t;
    FAIL("no thread " << endpoint << "." << name);
    return r.threads.front();
}

}  // namespace

TEST_CASE("measure: both peers writing more than fits deadlock for real, and every byte is accounted for") {
    // 4 KiB requests become 8 KiB kernel buffers; 1 MiB cannot fit.
    const model::Scenario s = load("both-write-1500.json", {"endpoints.A.sqs=4096", "endpoints.A.rqs=4096",
                                                           "endpoints.B.sqs=4096", "endpoints.B.rqs=4096",
                                                           "endpoints.A.threads.main.0.write=1MiB",
                                                           "endpoints.B.threads.main.0.write=1MiB"});
    const measure::Measurement m = measure::measure_once(s, quick());
    CHECK(m.result.outcome == core::Outcome::deadlock);
    for (int e = 0; e < 2; ++e) {
        const core::ThreadReport& t = m.result.threads[e];
        CHECK(t.state == core::ThreadState::blocked);
        REQUIRE(t.blocked_in);
        CHECK(t.blocked_in->op == model::OpKind::write);
        CHECK(t.blocked_in->done == t.bytes_written);
        CHECK(t.bytes_written < (1 << 20));
        // Counted at the API: what a writer handed over sits in its SendQ or the peer's RecvQ.
        CHECK(t.bytes_written == m.sockets[e].outq + m.sockets[1 - e].inq);
        CHECK(m.sockets[e].sndbuf == 8192);
        // SO_MEMINFO: queued skbs cost their payload plus per-skb overhead, on both sides.
        CHECK(m.sockets[e].wmem_queued > m.sockets[e].outq);
        CHECK(m.sockets[e].rmem_alloc > m.sockets[e].inq);
        CHECK(m.sockets[e].rmem_alloc <= m.sockets[e].rcvbuf);
    }
    CHECK(m.content_ok);
    CHECK(!m.result.cycle.empty());
}

TEST_CASE("measure: the compression client deadlocks for real, both fixes complete with content verified") {
    const std::vector<std::string> big = {"endpoints.client.threads.main.0.write=4MiB"};
    const measure::Measurement stuck = measure::measure_once(load("compress-2to1.json", big), quick());
    CHECK(stuck.result.outcome == core::Outcome::deadlock);
    CHECK(thread_named(stuck.result, "client", "main").blocked_in->op == model::OpKind::write);
    CHECK(thread_named(stuck.result, "server", "main").blocked_in->op == model::OpKind::write);

    const measure::Measurement threads = measure::measure_once(
        load("compress-threads.json", {"endpoints.client.threads.sender.0.write=4MiB"}), quick());
    CHECK(threads.result.outcome == core::Outcome::completed);
    CHECK(thread_named(threads.result, "client", "receiver").bytes_read == 2 << 20);
    CHECK(threads.content_ok);

    const measure::Measurement loop = measure::measure_once(
        load("compress-nonblocking.json", {"endpoints.client.threads.main.0.event_loop.write=4MiB"}), quick());
    CHECK(loop.result.outcome == core::Outcome::completed);
    CHECK(thread_named(loop.result, "client", "main").bytes_read == 2 << 20);
    CHECK(loop.content_ok);
}

TEST_CASE("measure: the uppercase server's 32-byte reply really is the upper-cased input") {
    const measure::Measurement m = measure::measure_once(load("erle-uppercase-32.json"), quick());
    CHECK(m.result.outcome == core::Outcome::completed);
    CHECK(thread_named(m.result, "client", "main").bytes_read == 32);
    CHECK(m.content_ok);
    CHECK(m.content_error.empty());
}

TEST_CASE("compare on a textbook scenario explains the gap instead of pretending they match") {
    const model::Scenario s = load("both-write-1500.json");
    std::vector<measure::Measurement> runs{measure::measure_once(s, quick())};
    const analysis::Comparison c =
        analysis::compare(s, core::textbook_profile(), scenario::builtin_linux_params(measure::kLoopbackMssBytes),
                          std::move(runs));
    CHECK(c.own.outcome == core::Outcome::deadlock);
    CHECK(c.runs[0].result.outcome == core::Outcome::completed);  // the kernel's buffers are far larger
    REQUIRE(c.notes.size() >= 2);
    CHECK(c.notes[0].find("exact capacities") != std::string::npos);
    CHECK(c.notes[0].find("SO_SNDBUF 4608") != std::string::npos);
    CHECK(c.linux.outcome == core::Outcome::completed);
    // The kernel also raised the 500-byte requests to its minimum, and measure says so.
    bool minimum_named = false;
    for (const std::string& w : c.runs[0].warnings) minimum_named |= w.find("SOCK_MIN_SNDBUF") != std::string::npos;
    CHECK(minimum_named);
}

TEST_CASE("compare: the linux column simulates the link the measurement ran on, and says so") {
    // The scenario's link (MSS 1460, 10 Mbps) is not loopback's (MSS 65483, memory speed).
    const model::Scenario s = load("both-write-1500.json", {"endpoints.A.sqs=4KiB", "endpoints.A.rqs=4KiB",
                                                           "endpoints.B.sqs=4KiB", "endpoints.B.rqs=4KiB",
                                                           "endpoints.A.threads.main.0.write=1MiB",
                                                           "endpoints.B.threads.main.0.write=1MiB"});
    std::vector<measure::Measurement> runs{measure::measure_once(s, quick())};
    CHECK(runs[0].links[0].mss_bytes == measure::kLoopbackMssBytes);
    CHECK(runs[0].network.find("loopback") == 0);
    const core::ProfileParams linux_params = scenario::builtin_linux_params(measure::kLoopbackMssBytes);
    const analysis::Comparison c = analysis::compare(s, core::textbook_profile(), linux_params, runs);
    model::Scenario on_loopback = s;
    on_loopback.profile = model::Profile::linux;
    on_loopback.connections[0].links = runs[0].links;
    model::Scenario on_scenario_link = s;
    on_scenario_link.profile = model::Profile::linux;
    const core::Result expected = core::simulate(on_loopback, linux_params);
    REQUIRE(c.linux.threads.size() == expected.threads.size());
    CHECK(c.linux.threads[0].bytes_written == expected.threads[0].bytes_written);
    CHECK(c.linux.threads[0].bytes_written != core::simulate(on_scenario_link, linux_params).threads[0].bytes_written);
    bool link_named = false;
    for (const std::string& n : c.notes) link_named |= n.find("the linux column simulates that link") != std::string::npos;
    CHECK(link_named);
}

TEST_CASE("measure: a buffer the kernel clamps gets a warning naming the clamp") {
    const int64_t wmem_max = measure::sysctl_int("net.core.wmem_max", 212992);
    const model::Scenario s = load("erle-uppercase-32.json", {"endpoints.client.sqs=" + std::to_string(2 * wmem_max)});
    const measure::Measurement m = measure::measure_once(s, quick());
    REQUIRE(!m.warnings.empty());
    CHECK(m.warnings[0].find("clamped by net.core.wmem_max") != std::string::npos);
    CHECK(m.sockets[0].sndbuf == 2 * wmem_max);
}

TEST_CASE("measure: a port in use is a clear error") {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd, 1) == 0);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    measure::Options opt = quick();
    opt.port = ntohs(addr.sin_port);
    CHECK_THROWS_WITH_AS(measure::measure_once(load("erle-uppercase-32.json"), opt),
                         doctest::Contains("is in use"), measure::MeasureError);
    close(fd);
}

TEST_CASE("measure: a peer that dies is reported, and the run ends cleanly") {
    // B reads a little and closes with data unread: the kernel resets the connection.
    const model::Scenario s = load("both-write-1500.json", {"endpoints.A.threads.main.0.write=4MiB",
                                                           "/endpoints/B/threads/main=[{\"read\": 100}, \"close\"]"});
    const measure::Measurement m = measure::measure_once(s, quick());
    const core::ThreadReport& a = thread_named(m.result, "A", "main");
    CHECK(a.state == core::ThreadState::failed);
    CHECK((a.error.find("reset") != std::string::npos || a.error.find("pipe") != std::string::npos));
    // The headline says so: a run that ended with an error never reads as a clean finish.
    const std::string text = views::report_text(m.result, views::ReportSource::measured);
    CHECK(text.find("1 thread failed: A.main (") != std::string::npos);
    CHECK(text.find("events") == std::string::npos);
}

TEST_CASE("measure: a socket its program closed before the record is not known, never 0") {
    // B reads a little and closes its socket: nothing can be read back from it at the record.
    const model::Scenario s = load("both-write-1500.json", {"endpoints.A.threads.main.0.write=4MiB",
                                                           "/endpoints/B/threads/main=[{\"read\": 100}, \"close\"]"});
    const std::vector<measure::Measurement> runs{measure::measure_once(s, quick()), measure::measure_once(s, quick())};
    const measure::Measurement& m = runs[0];
    CHECK(!m.sockets[0].closed_by_program);
    CHECK(m.sockets[1].closed_by_program);
    CHECK(m.sockets[0].sndbuf == 4608);  // the open socket is still read

    const std::string text = views::repeated_text(runs, measure::kernel_info());
    CAPTURE(text);
    CHECK(text.find("\n  B: not known (closed by its program)\n") != std::string::npos);
    CHECK(text.find("\n  A: SIOCOUTQ ") != std::string::npos);
    CHECK(text.find("SO_SNDBUF 0") == std::string::npos);
    CHECK(text.find("\n  B sendq: not known (closed by its program in 2 of 2 runs)\n") != std::string::npos);

    const nlohmann::ordered_json j = views::repeated_json(runs, measure::kernel_info());
    const nlohmann::ordered_json& run = j["runs"][0];
    CHECK(run["sockets"]["B"]["closed_by_program"] == true);
    for (const char* key : {"siocoutq", "siocinq", "so_sndbuf", "so_rcvbuf", "snd_wnd", "rcv_space", "probes", "drops"}) {
        CAPTURE(key);
        CHECK(run["sockets"]["B"][key].is_null());
        CHECK(run["sockets"]["A"][key].is_number());
    }
    CHECK(run["sockets"]["A"]["closed_by_program"] == false);
    for (const char* key : {"sendq", "recvq", "sqs", "rqs"}) CHECK(run["queues"]["B"][key].is_null());
    CHECK(run["queues"]["A"]["window"].is_null());  // what A advertised, as B would have seen it
    CHECK(run["queues"]["A"]["sqs"] == 4608);
    CHECK(j["figures"]["B sendq"].is_null());
    CHECK(j["figures"]["A sendq"]["median"].is_number());
}

namespace {

// What the --net veth cases need from the system, found without measure's code: a case
// skips (doctest::skip, so the summary says so) where the system lacks it, and runs, and
// fails, where it is there and measure is what is broken.

bool has_capability(int bit) {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("CapEff:", 0) == 0) return ((std::stoull(line.substr(7), nullptr, 16) >> bit) & 1) != 0;
    return false;
}

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');)
        if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    return false;
}

// Namespaces joined by a veth pair: CAP_SYS_ADMIN, CAP_NET_ADMIN and `ip`.
bool can_make_hosts() {
    static const bool can = has_capability(CAP_SYS_ADMIN) && has_capability(CAP_NET_ADMIN) && on_path("ip");
    return can;
}

// Whether `tc` can give a device this qdisc: tried on the loopback device of a child's own
// network namespace, so nothing outside it changes.
bool qdisc_works(std::vector<const char*> qdisc) {
    const pid_t child = fork();
    if (child < 0) return false;
    if (child == 0) {
        const int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, STDOUT_FILENO);
        dup2(null_fd, STDERR_FILENO);
        if (unshare(CLONE_NEWNET) != 0) _exit(126);
        std::vector<const char*> argv = {"tc", "qdisc", "add", "dev", "lo", "root"};
        argv.insert(argv.end(), qdisc.begin(), qdisc.end());
        argv.push_back(nullptr);
        execvp(argv[0], const_cast<char* const*>(argv.data()));
        _exit(127);
    }
    int status = 0;
    return waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// A delay: tc netem, or tun devices for measure's own packet relay.
bool can_delay() {
    static const bool can =
        can_make_hosts() && (access("/dev/net/tun", R_OK | W_OK) == 0 || qdisc_works({"netem", "delay", "1ms"}));
    return can;
}

// A rate alone: tc netem, or tc tbf.
bool can_rate() {
    static const bool can = can_make_hosts() && (qdisc_works({"tbf", "rate", "1mbit", "burst", "10kb", "limit", "100kb"}) ||
                                                 qdisc_works({"netem", "rate", "1mbit"}));
    return can;
}

// Where the hosts can be made, measure must have made them: never a silent loopback run.
bool between_namespaces(const measure::Measurement& m) {
    return m.network.find("between namespaces") != std::string::npos;
}

}  // namespace

TEST_CASE("measure --net veth: a rate alone holds on the veth link (tc netem, or tc tbf without it)" *
          doctest::skip(!can_rate())) {
    // 300000 bytes cannot cross a 10 Mbit/s link in less than 240 ms; an unshaped veth takes a few.
    // The delay is the local link's, so only the rate is to be applied.
    measure::Options opt = quick();
    opt.network = measure::Network::veth;
    const model::Scenario s =
        load("compress-threads.json", {"endpoints.client.threads.sender.0.write=300000", "link.delay=10us"});
    REQUIRE(s.connections[0].links[0].bandwidth_bps == 10'000'000);
    const measure::Measurement m = measure::measure_once(s, opt);
    CAPTURE(m.network);
    REQUIRE(between_namespaces(m));
    CHECK(m.network.rfind("a veth pair", 0) == 0);
    CHECK(m.result.outcome == core::Outcome::completed);
    CHECK(m.content_ok);
    CHECK(m.links[0].bandwidth_bps == 10'000'000);  // what compare's linux column simulates
    CHECK(m.result.time_ns >= 300000LL * 8 * 1'000'000'000 / 10'000'000 * 95 / 100);
    const bool netem = m.network.find("by tc netem") != std::string::npos;
    CHECK((netem || m.network.find("the scenario's rate by tc tbf)") != std::string::npos));
    CHECK(m.links[0].delay_ns == measure::kLocalDelayNs);
}

TEST_CASE("measure --net veth: the scenario's delay holds (tc netem, or tcpsim's own relay between tun devices)" *
          doctest::skip(!can_delay())) {
    // With a 20 ms one-way delay, the compressed reply cannot come back before 40 ms; unshaped,
    // the whole exchange takes a few milliseconds.
    measure::Options opt = quick();
    opt.network = measure::Network::veth;
    const model::Scenario s = load("compress-threads.json", {"link.delay=20ms"});
    const measure::Measurement m = measure::measure_once(s, opt);
    CAPTURE(m.network);
    REQUIRE(between_namespaces(m));
    CHECK(m.result.outcome == core::Outcome::completed);
    CHECK(m.content_ok);
    CHECK(thread_named(m.result, "client", "receiver").bytes_read == 5000);
    CHECK(m.result.time_ns >= 2 * 20'000'000);
    for (const model::Link& link : m.links) {  // what compare's linux column simulates
        CHECK(link.delay_ns == 20'000'000);
        CHECK(link.bandwidth_bps == 10'000'000);
    }
    const bool netem = m.network.find("by tc netem") != std::string::npos;
    CHECK((netem || m.network.find("a tun pair relayed by tcpsim") == 0));
    CHECK((netem || m.network.find("the scenario's delay and rate by tcpsim's packet relay") != std::string::npos));
}

TEST_CASE("measure --net veth: a link no slower than the local one is not shaped" * doctest::skip(!can_make_hosts())) {
    measure::Options opt = quick();
    opt.network = measure::Network::veth;
    const model::Scenario s = load("compress-threads.json", {"link.bandwidth=10Gbps", "link.delay=10us"});
    const measure::Measurement m = measure::measure_once(s, opt);
    CAPTURE(m.network);
    REQUIRE(between_namespaces(m));
    CHECK(m.result.outcome == core::Outcome::completed);
    CHECK(m.network.rfind("a veth pair", 0) == 0);
    CHECK(m.network.find("unshaped: the scenario's link is no slower than the local one") != std::string::npos);
    for (const model::Link& link : m.links)
        CHECK(link == model::Link{measure::kLocalBandwidthBps, measure::kLocalDelayNs, 1460});
    for (const std::string& w : m.warnings) CHECK(w.find("netem") == std::string::npos);
}

TEST_CASE("measure --net veth: each direction gets its own link's delay" * doctest::skip(!can_delay())) {
    // One byte one way, over links of 60 ms and 5 ms: sent on the 60 ms link it cannot arrive
    // before 60 ms. Both senders are tried, so swapped directions, or one delay both ways, fail.
    for (const int sender : {0, 1}) {
        CAPTURE(sender);
        const test::Side writes{4096, 4096, {{"main", {test::write_op(1)}}}};
        const test::Side reads{4096, 4096, {{"main", {test::read_exact_op(1)}}}};
        model::Scenario s = sender == 0 ? test::make_scenario(writes, reads, model::Profile::textbook, 1460, 0,
                                                              measure::kLocalBandwidthBps)
                                        : test::make_scenario(reads, writes, model::Profile::textbook, 1460, 0,
                                                              measure::kLocalBandwidthBps);
        s.connections[0].links[sender].delay_ns = 60'000'000;
        s.connections[0].links[1 - sender].delay_ns = 5'000'000;
        measure::Options opt = quick();
        opt.network = measure::Network::veth;
        const measure::Measurement m = measure::measure_once(s, opt);
        CAPTURE(m.network);
        REQUIRE(between_namespaces(m));
        REQUIRE(m.result.outcome == core::Outcome::completed);
        CHECK(m.links[sender].delay_ns == 60'000'000);
        CHECK(m.links[1 - sender].delay_ns == 5'000'000);
        CHECK(m.links[0].bandwidth_bps == measure::kLocalBandwidthBps);  // not shaped: as fast as the local link
        CHECK(m.result.time_ns >= 60'000'000);
    }
}

TEST_CASE("measure --net veth: the packet relay applies the rate with the delay" * doctest::skip(!can_delay())) {
    // As the tbf case, but a 2 ms delay sends it through the relay where netem is missing.
    measure::Options opt = quick();
    opt.network = measure::Network::veth;
    const model::Scenario s =
        load("compress-threads.json", {"endpoints.client.threads.sender.0.write=300000", "link.delay=2ms"});
    const measure::Measurement m = measure::measure_once(s, opt);
    CAPTURE(m.network);
    REQUIRE(between_namespaces(m));
    CHECK(m.result.outcome == core::Outcome::completed);
    CHECK(m.content_ok);
    CHECK(m.result.time_ns >= 300000LL * 8 * 1'000'000'000 / 10'000'000 * 95 / 100);
    for (const std::string& w : m.warnings) CHECK(w.find("packet relay lost") == std::string::npos);
}

TEST_CASE("network namespaces: without permission or tools, measure says so and falls back to loopback") {
    const char* saved = std::getenv("PATH");
    const std::string path = saved != nullptr ? saved : "";
    setenv("PATH", "/nonexistent", 1);  // no `ip` to make the namespaces with
    measure::Options opt = quick();
    opt.network = measure::Network::veth;
    const measure::Measurement m = measure::measure_once(load("erle-uppercase-32.json"), opt);
    setenv("PATH", path.c_str(), 1);
    CHECK(m.result.outcome == core::Outcome::completed);
    REQUIRE(!m.warnings.empty());
    CHECK(m.warnings[0].find("network namespaces are not available") != std::string::npos);
}

// What a run may take beyond its limit to stop and join 800 threads: about 0.1 s here, but
// the machine may be busy, and AddressSanitizer makes and ends a thread ten times slower.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::chrono::milliseconds kJoinAllowance{1500};
#else
constexpr std::chrono::milliseconds kJoinAllowance{750};
#endif

TEST_CASE("measure: 800 threads that cannot finish stop at the time limit, within a fixed bound, and all are joined") {
    // 800 writers of 1 GiB each and one reader: the run can only end by the limit. Before,
    // the limit counted 5 ms samples, which 800 threads waking every 20 ms stretched, and
    // threads were made and joined outside it: a 1 s limit took 2.1 to 2.7 s.
    measure::Options opt = quick();
    opt.timeout_ns = 2'000'000'000;
    const size_t threads_before = threads_alive();
    const auto start = std::chrono::steady_clock::now();
    const measure::Measurement m = measure::measure_once(many_writers(800, int64_t{1} << 30), opt);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(m.result.outcome == core::Outcome::limit);
    CHECK(m.result.time_ns < opt.timeout_ns);  // counted from when all 800 exist, inside the limit
    CHECK(took < std::chrono::nanoseconds(opt.timeout_ns) + kJoinAllowance);
    CHECK(threads_alive() == threads_before);
    CHECK(m.result.threads.size() == 801);
    CHECK(thread_named(m.result, "B", "main").bytes_read > 0);
}

TEST_CASE("measure: threads the system will not create are one clear error, and none is left behind") {
    // A child process with a limit of 8 processes for its user (nobody's, when run as root,
    // since root ignores the limit) asks for 200 threads.
    int out[2];
    REQUIRE(pipe(out) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        close(out[0]);
        const rlimit few{8, 8};
        if ((geteuid() == 0 && setuid(65534) != 0) || setrlimit(RLIMIT_NPROC, &few) != 0) _exit(3);
        std::string said = "no error";
        int status = 1;
        try {
            measure::measure_once(many_writers(200, 100), quick());
        } catch (const measure::MeasureError& e) {
            said = e.what();
            status = threads_alive() == 1 ? 0 : 4;
        }
        if (write(out[1], said.data(), said.size()) < 0) status = 5;
        _exit(status);
    }
    close(out[1]);
    std::string said;
    char buf[512];
    for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) said.append(buf, static_cast<size_t>(n));
    close(out[0]);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CAPTURE(said);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);  // 4: threads were left behind
    CHECK(said.rfind("the system cannot create the scenario's 201 threads: thread ", 0) == 0);
    CHECK(said.find("Resource temporarily unavailable") != std::string::npos);
    CHECK(said.find('\n') == std::string::npos);
}

TEST_CASE("measure: a time limit that passes while the threads are being started is one clear error") {
    measure::Options opt = quick();
    opt.timeout_ns = 1'000'000;  // 800 threads take far longer than 1 ms to make
    const size_t threads_before = threads_alive();
    CHECK_THROWS_WITH_AS(measure::measure_once(many_writers(800, 100), opt),
                         doctest::Contains("the time limit of 1 ms passed while the scenario's 801 threads were being started"),
                         measure::MeasureError);
    CHECK(threads_alive() == threads_before);
}

// ------------------------------------------------------------------ many endpoints, pipes, queues

namespace {

// The scenarios below are the tests' own copies (tests/measure-*.json), so the library's may change.
model::Scenario load_own(const std::string& name, const std::vector<std::string>& sets = {}) {
    return scenario::load_file(std::string(TCPSIM_SOURCE_DIR) + "/tests/" + name, sets).scenario;
}

bool cycle_says(const core::Result& r, const std::string& words) {
    for (const std::string& line : r.cycle)
        if (line.find(words) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("measure: a proxy's two connections are two real ones: it deadlocks where predicted, a small request completes") {
    const model::Scenario big = load_own("measure-proxy.json", {"request=100000"});
    REQUIRE(core::simulate(big, core::textbook_profile()).outcome == core::Outcome::deadlock);
    const measure::Measurement m = measure::measure_once(big, quick());
    CAPTURE(views::report_text(m.result, views::ReportSource::simulated));
    CHECK(m.result.outcome == core::Outcome::deadlock);
    REQUIRE(m.result.queues.size() == 4);
    REQUIRE(m.sockets.size() == 4);
    CHECK(m.sockets[2].key == "proxy.server");
    CHECK(m.result.queues[2].endpoint == "proxy");
    CHECK(m.result.queues[2].peer == "server");
    const core::ThreadReport& proxy = thread_named(m.result, "proxy", "main");
    const core::ThreadReport& server = thread_named(m.result, "server", "main");
    REQUIRE(proxy.blocked_in);
    CHECK(proxy.blocked_in->op == model::OpKind::write);
    CHECK(proxy.blocked_in->channel == 1);
    CHECK(proxy.blocked_in->on == "to server");
    CHECK(proxy.bytes_read == 100000);  // the whole request, from the client
    REQUIRE(server.blocked_in);
    CHECK(server.blocked_in->op == model::OpKind::write);
    // The queues between proxy and server are full: each advertises a zero window, and every
    // byte either wrote to the other sits in them or was read.
    CHECK(m.result.queues[2].window == 0);
    CHECK(m.result.queues[3].window == 0);
    CHECK(proxy.bytes_written == m.result.queues[2].sendq + m.result.queues[3].recvq + server.bytes_read);
    CHECK(server.bytes_written == m.result.queues[3].sendq + m.result.queues[2].recvq);
    CHECK(m.result.cycle.at(0).rfind("proxy.main is blocked in write(100000) to server", 0) == 0);
    CHECK(cycle_says(m.result, "proxy.RecvQ from server"));
    CHECK(m.content_ok);

    const measure::Measurement small = measure::measure_once(load_own("measure-proxy.json", {"request=1000"}), quick());
    CHECK(small.result.outcome == core::Outcome::completed);
    CHECK(thread_named(small.result, "client", "main").bytes_read == 1000);
    CHECK(thread_named(small.result, "proxy", "main").bytes_written == 2000);
    CHECK(thread_named(small.result, "server", "main").bytes_written == 1000);
    CHECK(small.content_ok);
}

TEST_CASE("measure: a child's pipes are real pipes: 200,000 bytes through 64 KiB pipes deadlock, both fixes complete checked") {
    const measure::Measurement m = measure::measure_once(load_own("measure-pipes.json"), quick());
    CAPTURE(views::report_text(m.result, views::ReportSource::simulated));
    CHECK(m.result.outcome == core::Outcome::deadlock);
    CHECK(m.sockets.empty());
    const core::ThreadReport& parent = thread_named(m.result, "parent", "main");
    const core::ThreadReport& child = thread_named(m.result, "child", "main");
    REQUIRE(parent.blocked_in);
    REQUIRE(child.blocked_in);
    CHECK(parent.blocked_in->on == "to pipe stdin");
    CHECK(child.blocked_in->on == "to pipe stdout");
    REQUIRE(m.result.byte_queues.size() == 2);
    const core::ByteQueueReport& in = m.result.byte_queues[0];
    const core::ByteQueueReport& out = m.result.byte_queues[1];
    CHECK(in.name == "stdin");
    CHECK(in.pipe);
    for (const core::ByteQueueReport* q : {&in, &out}) {
        CHECK(q->capacity == 65536);
        CHECK(q->level == 65536);  // FIONREAD: full
        CHECK(q->level == q->written - q->read);
    }
    CHECK(in.written == parent.bytes_written);
    CHECK(in.read == child.bytes_read);
    CHECK(out.written == child.bytes_written);
    CHECK(out.read == 0);
    CHECK(cycle_says(m.result, "pipe stdin holds 65,536 of 65,536 bytes"));
    CHECK(cycle_says(m.result, "pipe stdout drains only by a read by parent"));
    CHECK(m.content_ok);

    // A second parent thread reads stdout while the first writes stdin.
    const measure::Measurement threads = measure::measure_once(
        load_own("measure-pipes.json", {R"(/endpoints/parent/threads={"writer": [{"write": 200000, "to": "stdin"}, {"close": "stdin"}], "reader": [{"read_to_end": "stdout"}]})"}),
        quick());
    CHECK(threads.result.outcome == core::Outcome::completed);
    CHECK(thread_named(threads.result, "parent", "reader").bytes_read == 200000);
    REQUIRE(threads.result.byte_queues.size() == 2);
    CHECK(threads.result.byte_queues[1].written == 200000);
    CHECK(threads.result.byte_queues[1].writer_closed);  // the child closed stdout: the reader's EOF
    CHECK(threads.content_ok);

    // A stdin pipe that holds the whole request.
    const measure::Measurement big_pipe = measure::measure_once(load_own("measure-pipes.json", {"pipes.stdin.capacity=262144"}), quick());
    CHECK(big_pipe.result.outcome == core::Outcome::completed);
    CHECK(big_pipe.result.byte_queues.at(0).capacity == 262144);
    CHECK(thread_named(big_pipe.result, "parent", "main").bytes_read == 200000);
    CHECK(big_pipe.content_ok);
}

TEST_CASE("measure: a pipe's capacity is what the kernel granted, and a warning says so") {
    const model::Scenario s = load_own("measure-pipes.json", {"pipes.stdin.capacity=100000", "pipes.stdout.capacity=65536"});
    const measure::Measurement m = measure::measure_once(s, quick());
    REQUIRE(m.result.byte_queues.size() == 2);
    CHECK(m.result.byte_queues[0].capacity == 131072);  // a power of two pages
    CHECK(m.result.byte_queues[1].capacity == 65536);
    REQUIRE(m.warnings.size() == 1);
    CHECK(m.warnings[0] == "pipe stdin: capacity 100000 asked, the kernel granted 131072 (F_SETPIPE_SZ rounds up to a power of two pages)");
}

TEST_CASE("measure: an in-process queue blocks as the simulator's: the echo server deadlocks, a client reader thread fixes it") {
    const measure::Measurement m = measure::measure_once(load_own("measure-queue.json"), quick());
    CAPTURE(views::report_text(m.result, views::ReportSource::simulated));
    CHECK(m.result.outcome == core::Outcome::deadlock);
    const core::ThreadReport& reader = thread_named(m.result, "server", "reader");
    const core::ThreadReport& writer = thread_named(m.result, "server", "writer");
    REQUIRE(reader.blocked_in);
    CHECK(reader.blocked_in->on == "to queue jobs");
    REQUIRE(m.result.byte_queues.size() == 1);
    const core::ByteQueueReport& jobs = m.result.byte_queues[0];
    CHECK(jobs.name == "server.jobs");
    CHECK(!jobs.pipe);
    CHECK(jobs.capacity == 2000);
    CHECK(jobs.level == 2000);
    CHECK(jobs.peak == 2000);
    CHECK(jobs.written == reader.bytes_written);
    CHECK(jobs.read == writer.bytes_read);
    CHECK(cycle_says(m.result, "queue server.jobs holds 2,000 of 2,000 bytes"));
    CHECK(m.content_ok);

    const measure::Measurement fixed = measure::measure_once(
        load_own("measure-queue.json", {R"(/endpoints/client/threads={"sender": [{"repeat": "$requests", "do": [{"write": 1000}]}, "shutdown"], "receiver": ["read_to_end"]})"}),
        quick());
    CHECK(fixed.result.outcome == core::Outcome::completed);
    CHECK(thread_named(fixed.result, "client", "receiver").bytes_read == 1'000'000);
    REQUIRE(fixed.result.byte_queues.size() == 1);
    CHECK(fixed.result.byte_queues[0].read == 1'000'000);
    CHECK(fixed.result.byte_queues[0].writer_closed);  // the reader's close: the writer's EOF
    CHECK(fixed.result.byte_queues[0].peak <= 2000);
    CHECK(fixed.content_ok);
}

TEST_CASE("compare: byte queue levels and every socket are figures of a stall") {
    const model::Scenario s = load_own("measure-pipes.json");
    std::vector<measure::Measurement> runs{measure::measure_once(s, quick())};
    const analysis::Comparison c = analysis::compare(s, core::textbook_profile(), scenario::builtin_linux_params(measure::kLoopbackMssBytes),
                                                     std::move(runs));
    bool stdin_row = false;
    for (const analysis::FigureRow& r : c.rows) {
        if (r.name != "stdin level") continue;
        stdin_row = true;
        CHECK(r.own == 65536);
        CHECK(r.measured.median == 65536);
    }
    CHECK(stdin_row);

    const model::Scenario proxy = load_own("measure-proxy.json", {"request=100000"});
    std::vector<measure::Measurement> proxy_runs{measure::measure_once(proxy, quick())};
    const analysis::Comparison p = analysis::compare(proxy, core::textbook_profile(),
                                                     scenario::builtin_linux_params(measure::kLoopbackMssBytes), std::move(proxy_runs));
    bool proxy_server_row = false;
    for (const analysis::FigureRow& r : p.rows) proxy_server_row |= r.name == "proxy.server sendq";
    CHECK(proxy_server_row);
    CHECK(p.notes.at(0).rfind("textbook takes client.proxy's SQS=500", 0) == 0);
}

TEST_CASE("measure --net veth: a scenario of two connections is one clear error, before anything is made") {
    measure::Options opt = quick();
    opt.network = measure::Network::veth;
    CHECK_THROWS_WITH_AS(measure::measure_once(load_own("measure-proxy.json"), opt),
                         "--net veth: measures one connection between two namespaces; this scenario has 2 connections: measure it with --net loopback",
                         measure::MeasureError);
}
