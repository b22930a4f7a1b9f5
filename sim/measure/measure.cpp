#include "measure/measure.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include "core/wait_for.hpp"
#include "measure/channels.hpp"
#include "measure/run_control.hpp"
#include "measure/sockets.hpp"
#include "measure/worker.hpp"
#include "text/format.hpp"

namespace tcpsim::measure {

using model::Op;
using model::OpKind;

int64_t sysctl_int(const std::string& name, int64_t fallback) {
    std::string path = "/proc/sys/" + name;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    std::ifstream in(path);
    int64_t value = fallback;
    if (!(in >> value)) return fallback;
    return value;
}

KernelInfo kernel_info() {
    KernelInfo info;
    utsname u{};
    if (uname(&u) == 0) info.release = u.release;
    for (const char* name : {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.core.rmem_max", "net.core.wmem_max",
                             "net.core.rmem_default", "net.core.wmem_default", "net.ipv4.tcp_adv_win_scale",
                             "net.ipv4.tcp_moderate_rcvbuf", "net.ipv4.tcp_notsent_lowat"}) {
        std::string path = std::string("/proc/sys/") + name;
        std::replace(path.begin() + 10, path.end(), '.', '/');
        std::ifstream in(path);
        std::string value;
        std::getline(in, value);
        std::replace(value.begin(), value.end(), '\t', ' ');
        info.sysctls.emplace_back(name, value);
    }
    return info;
}

namespace {

constexpr int64_t kSampleNs = 5'000'000;  // the watchdog's sampling period

// Whether every write of a thread's program to `channel` is an echo of what it read (ratio 1).
bool only_echoes(const std::vector<Op>& ops, int channel, bool& any_write) {
    for (const Op& op : ops) {
        if (op.kind == OpKind::repeat && !only_echoes(op.body, channel, any_write)) return false;
        if (op.channel != channel) continue;
        if (op.kind == OpKind::event_loop) return false;
        if (model::is_write(op.kind)) {
            if (!op.ratio || op.ratio->num != op.ratio->den) return false;
            any_write = true;
        }
    }
    return true;
}

// Whether everything an endpoint writes to one of its channels is an upper-cased echo.
bool channel_only_echoes(const model::Endpoint& ep, int channel) {
    bool any_write = false;
    for (const model::Thread& t : ep.threads)
        if (!only_echoes(t.ops, channel, any_write)) return false;
    return any_write;
}

// ------------------------------------------------------------------ the run

// What the run's threads share: each connection's two sockets and the streams they carry,
// each pipe and in-process queue, each endpoint's channels, and one probe per scenario thread
// with the (endpoint, thread index) it belongs to.
struct Crew {
    std::vector<std::unique_ptr<Stream>> socket_streams;  // 2k + d: connection k's bytes sent by ends[d]
    std::vector<std::unique_ptr<SocketEnd>> sockets;      // 2k + side, as result.queues
    std::vector<std::unique_ptr<Pipe>> pipes;
    std::vector<std::unique_ptr<ChannelEnd>> byte_queue_ends;  // pipes' ends and in-process queues
    std::vector<const ByteQueueRun*> byte_queues;              // in the scenario's order
    std::vector<Stream*> byte_queue_streams;                   // in the scenario's order
    std::vector<std::unique_ptr<EndpointRun>> endpoints;
    std::vector<std::unique_ptr<Probe>> probes;
    std::vector<std::pair<int, int>> owners;

    Crew(const model::Scenario& s, const ConnectedSockets& net, std::vector<std::string>& warnings) {
        using Kind = model::Channel::Kind;
        const std::vector<std::string> socket_names = model::socket_keys(s);
        for (size_t k = 0; k < s.connections.size(); ++k) {
            const model::Connection& c = s.connections[k];
            for (size_t d = 0; d < 2; ++d) {
                Stream& stream = *socket_streams.emplace_back(std::make_unique<Stream>());
                stream.reader = socket_names[2 * k + 1 - d];
                stream.expect_upper = channel_only_echoes(s.endpoints[static_cast<size_t>(c.ends[d])],
                                                          model::channel_index(s, c.ends[d], Kind::socket, static_cast<int>(k)));
            }
            for (size_t side = 0; side < 2; ++side)
                sockets.push_back(std::make_unique<SocketEnd>(net.sockets[k][side].fd, socket_streams[2 * k + side].get(),
                                                              socket_streams[2 * k + 1 - side].get()));
        }
        // Per byte queue, the ends its writer and its reader act on (one object for an in-process queue).
        std::vector<std::array<ChannelEnd*, 2>> queue_ends;
        const std::vector<std::string> queue_names = model::byte_queue_keys(s);
        for (size_t q = 0; q < s.byte_queues.size(); ++q) {
            const model::ByteQueue& spec = s.byte_queues[q];
            Stream* stream = nullptr;
            if (spec.pipe) {
                std::string granted;
                Pipe& pipe = *pipes.emplace_back(std::make_unique<Pipe>(queue_names[q], spec.capacity_bytes, granted));
                if (!granted.empty()) warnings.push_back(granted);
                ChannelEnd* writer = byte_queue_ends.emplace_back(std::make_unique<PipeWriter>(pipe)).get();
                ChannelEnd* reader = byte_queue_ends.emplace_back(std::make_unique<PipeReader>(pipe)).get();
                queue_ends.push_back({writer, reader});
                byte_queues.push_back(&pipe);
                stream = &pipe.stream;
            } else {
                auto queue = std::make_unique<QueueEnd>(queue_names[q], spec.capacity_bytes);
                byte_queues.push_back(queue.get());
                stream = &queue->stream;
                queue_ends.push_back({queue.get(), queue.get()});
                byte_queue_ends.push_back(std::move(queue));
            }
            stream->expect_upper = channel_only_echoes(s.endpoints[static_cast<size_t>(spec.writer)],
                                                       model::channel_index(s, spec.writer, Kind::byte_queue, static_cast<int>(q)));
            byte_queue_streams.push_back(stream);
        }
        for (size_t e = 0; e < s.endpoints.size(); ++e) {
            const model::Endpoint& ep = s.endpoints[e];
            EndpointRun& run = *endpoints.emplace_back(std::make_unique<EndpointRun>());
            run.scenario = &s;
            run.endpoint = static_cast<int>(e);
            for (const model::Channel& c : ep.channels) {
                const auto at = static_cast<size_t>(c.index);
                if (c.kind == Kind::socket) {
                    const size_t side = s.connections[at].ends[0] == static_cast<int>(e) ? 0 : 1;
                    run.channels.push_back(sockets[2 * at + side].get());
                } else {
                    run.channels.push_back(queue_ends[at][s.byte_queues[at].writer == static_cast<int>(e) ? 0 : 1]);
                }
            }
            run.unfinished = static_cast<int>(ep.threads.size());
            for (size_t t = 0; t < ep.threads.size(); ++t) {
                probes.push_back(std::make_unique<Probe>());
                owners.emplace_back(static_cast<int>(e), static_cast<int>(t));
            }
        }
    }
    int thread_count() const { return static_cast<int>(probes.size()); }
};

// What the watchdog compares from one sample to the next: the threads' progress, and what the
// kernel moves on its own, each socket's queues (bytes in a pipe or queue move only by a thread).
struct Sample {
    int64_t bytes_moved = 0;
    int finished = 0;
    std::vector<int64_t> queues;  // SIOCOUTQ and SIOCINQ of each socket (-1: not a socket any more)
    bool operator==(const Sample&) const = default;
};

Sample sample(const RunControl& control, const Crew& crew) {
    Sample s;
    s.bytes_moved = control.bytes_moved();
    s.finished = control.threads_in(State::done) + control.threads_in(State::failed);
    for (const auto& socket : crew.sockets) {
        int value = 0;
        s.queues.push_back(ioctl(socket->fd(), SIOCOUTQ, &value) == 0 ? value : -1);
        s.queues.push_back(ioctl(socket->fd(), SIOCINQ, &value) == 0 ? value : -1);
    }
    return s;
}

// How a run ended, and when: the last thread finishing (completed), the last change before
// the stall (deadlock), or the stop (limit).
struct Ending {
    core::Outcome outcome = core::Outcome::limit;
    Clock::time_point at;
};

// Samples the run until every thread has finished, or nothing has moved for `quiet` while
// every unfinished thread waits (a thread that is ready but not yet running is no stall),
// or the deadline passes.
Ending watch(const RunControl& control, const Crew& crew, const Options& opt, Clock::time_point run_start) {
    const Clock::time_point deadline = control.deadline();
    Sample last = sample(control, crew);
    auto last_change = run_start;
    // Every turn but the last sleeps a whole period, so the deadline comes within this many.
    const int64_t max_turns = opt.timeout_ns / kSampleNs + 2;
    for (int64_t turn = 0; turn < max_turns; ++turn) {
        const auto now = Clock::now();
        if (now >= deadline) break;
        std::this_thread::sleep_for(std::min<Clock::duration>(deadline - now, std::chrono::nanoseconds(kSampleNs)));
        const auto t = Clock::now();
        Sample s = sample(control, crew);
        if (s.finished == crew.thread_count()) return {core::Outcome::completed, t};
        if (s != last || control.threads_in(State::sleeping) > 0) last_change = t;
        last = std::move(s);
        const bool all_wait = control.threads_in(State::running) == 0;
        if (all_wait && t - last_change >= std::chrono::nanoseconds(opt.quiet_ns)) return {core::Outcome::deadlock, last_change};
    }
    return {core::Outcome::limit, deadline};  // where every thread was held
}

// One thread per scenario thread, each held until the run starts. When the system cannot
// create one, or the deadline passes first, the run is stopped, those made are joined, and
// the error says so.
void start_threads(ThreadGroup& group, const model::Scenario& s, Crew& crew, RunControl& control, const Options& opt) {
    const std::string count = std::to_string(crew.probes.size());
    for (size_t i = 0; i < crew.probes.size(); ++i) {
        const auto [e, t] = crew.owners[i];
        if (Clock::now() >= control.deadline())
            throw MeasureError("the time limit of " + text::format_duration(opt.timeout_ns) + " passed while the scenario's " + count +
                               " threads were being started (" + std::to_string(i) + " so far): allow more with --timeout");
        std::string why;
        const bool started = group.start([&crew, &control, &s, e = e, t = t, i] {
            Worker(*crew.endpoints[e], *crew.probes[i], control).run(s.endpoints[e].threads[t]);
        }, why);
        if (!started)
            throw MeasureError("the system cannot create the scenario's " + count + " threads: thread " + std::to_string(i + 1) +
                               " (" + s.endpoints[e].name + "." + s.endpoints[e].threads[t].name + ") failed: " + why +
                               "; the limits are ulimit -u and -v, kernel.threads-max and the cgroup's pids.max");
    }
}

// ------------------------------------------------------------------ the record

// What the kernel says of each socket. A socket its program closed is /dev/null now: the
// kernel cannot be asked about it. A close marks it before it swaps the descriptor, so a
// socket still unmarked after the query was a socket during it (no lock: hundreds of
// writers may be queued on them).
std::vector<SocketState> socket_records(const model::Scenario& s, const Crew& crew) {
    const std::vector<std::string> keys = model::socket_keys(s);
    std::vector<SocketState> records;
    for (size_t i = 0; i < crew.sockets.size(); ++i) {
        const SocketState state = socket_state(crew.sockets[i]->fd());
        const bool closed = crew.sockets[i]->read_closed();
        SocketState& r = records.emplace_back(closed ? SocketState{} : state);
        const model::Connection& c = s.connections[i / 2];
        r.endpoint = s.endpoints[static_cast<size_t>(c.ends[i % 2])].name;
        r.peer = s.endpoints[static_cast<size_t>(c.ends[1 - i % 2])].name;
        r.key = keys[i];
        r.closed_by_program = closed;
    }
    return records;
}

core::ThreadState thread_state(State state) {
    switch (state) {
        case State::done: return core::ThreadState::done;
        case State::failed: return core::ThreadState::failed;
        case State::sleeping: return core::ThreadState::sleeping;
        case State::running:
        case State::blocked: break;
    }
    return core::ThreadState::blocked;
}

core::ThreadReport thread_report(const model::Scenario& s, std::pair<int, int> owner, Probe& p) {
    const auto [e, t] = owner;
    core::ThreadReport tr;
    tr.endpoint = s.endpoints[e].name;
    tr.name = s.endpoints[e].threads[t].name;
    tr.bytes_written = p.written;
    tr.bytes_read = p.read;
    const auto st = static_cast<State>(p.state.load());
    std::lock_guard lock(p.mu);
    tr.state = thread_state(st);
    if (st != State::done && st != State::failed) tr.blocked_in = p.blocked;
    tr.error = p.error;
    return tr;
}

// The run as a Result, taken while the threads are still where they stalled: its outcome and
// time, each thread, each socket's queues as the kernel reported them, each pipe and queue.
core::Result run_result(const model::Scenario& s, Crew& crew, const Ending& ending, Clock::time_point run_start,
                        const std::vector<SocketState>& records) {
    core::Result r;
    r.scenario = s.name;
    r.outcome = ending.outcome;
    r.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(ending.at - run_start).count();
    for (size_t i = 0; i < crew.probes.size(); ++i) r.threads.push_back(thread_report(s, crew.owners[i], *crew.probes[i]));
    for (size_t i = 0; i < records.size(); ++i) {
        const SocketState& k = records[i];
        // The window it advertised is the one its peer heard: socket i's peer is i ^ 1.
        r.queues.push_back(core::QueueReport{k.endpoint, k.peer, k.outq, k.inq, k.sndbuf, k.rcvbuf, records[i ^ 1].snd_wnd});
    }
    for (const ByteQueueRun* q : crew.byte_queues) r.byte_queues.push_back(q->report());
    if (ending.outcome == core::Outcome::limit) r.limit_reason = core::LimitReason::time;
    return r;
}

// What the wait-for cycle's words need beyond the Result, read before the threads end (an
// ending thread shuts its sockets' writing sides).
core::WaitForFacts wait_for_facts(const Crew& crew, const std::vector<SocketState>& records) {
    core::WaitForFacts facts;
    for (size_t i = 0; i < crew.sockets.size(); ++i)
        facts.sockets.push_back(core::SocketFacts{crew.sockets[i]->write_closed(), records[i ^ 1].snd_wnd == 0});
    return facts;
}

// The first byte any socket, pipe or queue delivered that its writer's program did not send.
void record_content(Measurement& m, const Crew& crew) {
    std::vector<const Stream*> streams;
    for (const auto& socket : crew.sockets) streams.push_back(socket->in());
    streams.insert(streams.end(), crew.byte_queue_streams.begin(), crew.byte_queue_streams.end());
    for (const Stream* stream : streams) {
        if (!stream->content_error.empty() && m.content_ok) {
            m.content_ok = false;
            m.content_error = stream->content_error;
        }
    }
}

}  // namespace

Measurement measure_once(const model::Scenario& s, const Options& opt) {
    Measurement m;
    const auto started = Clock::now();
    const ConnectedSockets net = connect_all(s, opt, m.warnings);
    m.network = net.description;
    m.links = net.links;

    Crew crew(s, net, m.warnings);
    RunControl control(crew.thread_count(), Clock::now() + std::chrono::nanoseconds(opt.timeout_ns));
    std::optional<ThreadGroup> threads(std::in_place, crew.probes.size(), control);
    start_threads(*threads, s, crew, control, opt);
    const auto run_start = Clock::now();
    control.start();
    const Ending ending = watch(control, crew, opt, run_start);

    m.sockets = socket_records(s, crew);
    m.result = run_result(s, crew, ending, run_start, m.sockets);
    const core::WaitForFacts facts = wait_for_facts(crew, m.sockets);
    // The relay stands in for a link that drops nothing; say so if it did, as of the record.
    if (net.netns && !net.netns->relay_trouble().empty()) m.warnings.push_back(net.netns->relay_trouble());

    // Wake every thread and join it: no thread, socket, pipe or port outlives the run.
    threads.reset();
    if (ending.outcome == core::Outcome::deadlock) {
        core::WaitFor wait_for = core::describe_cycle(s, m.result, facts);
        m.result.cycle = std::move(wait_for.cycle);
        m.result.off_cycle = std::move(wait_for.off_cycle);
    }
    record_content(m, crew);
    m.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count();
    return m;
}

}  // namespace tcpsim::measure
