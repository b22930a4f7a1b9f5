// Runs a scenario's programs on real Linux TCP sockets and measures where they stall: each
// connection a real TCP connection, each pipe a real pipe, each in-process queue a bounded byte
// queue, between real threads (an endpoint's threads are threads of this process).
// The only part of tcpsim that touches the operating system's network.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"

namespace tcpsim::measure {

enum class Network { loopback, veth };

// Linux's MSS on loopback (MTU 65536); a veth's is the scenario's, its MTU being MSS + 52.
constexpr int64_t kLoopbackMssBytes = 65483;
// How the simulator sees a link that adds no delay of its own: fast, with a short hop.
constexpr int64_t kLocalBandwidthBps = 10'000'000'000;
constexpr int64_t kLocalDelayNs = 10'000;

struct Options {
    int64_t quiet_ns = 2'000'000'000;    // no progress for this long, with every thread waiting, = a stall
    // Counted from the making of the first thread: a run that neither stalls nor completes by
    // then ends as `limit`, and its threads are stopped and joined (about 0.1 ms a thread).
    int64_t timeout_ns = 60'000'000'000;
    int port = 0;                        // the first connection's; 0: any free port (the others always)
    Network network = Network::loopback;
};

// What the kernel said about one socket at the end of a run.
struct SocketState {
    std::string endpoint;
    std::string peer;           // the endpoint at the other end of its connection
    std::string key;            // how reports name it (model::socket_keys): "client", or "proxy.server"
    // Its program closed it before the record, so the kernel could not be asked: every
    // figure below is not known (and left 0).
    bool closed_by_program = false;
    int64_t outq = 0;           // SIOCOUTQ: unsent + unacknowledged bytes
    int64_t inq = 0;            // SIOCINQ: received, unread bytes
    int64_t sndbuf = 0;         // getsockopt(SO_SNDBUF)
    int64_t rcvbuf = 0;         // getsockopt(SO_RCVBUF)
    int64_t snd_wnd = 0;        // tcpi_snd_wnd: the peer's last advertised window
    int64_t rcv_space = 0;      // tcpi_rcv_space
    int64_t rcv_ssthresh = 0;   // tcpi_rcv_ssthresh
    int64_t snd_mss = 0;
    int64_t rcv_mss = 0;
    int64_t probes = 0;         // tcpi_probes: zero-window probes sent unanswered
    // SO_MEMINFO: the kernel's own accounting, which is why the queues differ from the buffers.
    int64_t wmem_queued = 0;    // sk_wmem_queued: unsent + unacked skbs, payload plus per-skb overhead
    int64_t rmem_alloc = 0;     // sk_rmem_alloc: truesize of the skbs in the receive queue
    int64_t drops = 0;          // sk_drops: segments the receiver discarded (no room in rcvbuf)
};

struct Measurement {
    core::Result result;                 // same shape as a simulation's; queues from SIOCOUTQ/SIOCINQ
    std::vector<SocketState> sockets;    // in the order of result.queues: connection by connection, ends[0] then ends[1]
    std::vector<std::string> warnings;   // clamped buffers, pipe capacities as granted, missing netem, ...
    std::string network;                 // where it ran, in words
    std::array<model::Link, 2> links;    // that link as the simulator should see it, per direction (every connection's)
    bool content_ok = true;
    std::string content_error;
    int64_t wall_ns = 0;
};

// Thrown for a problem that stops a measurement (port in use, no permission, more threads
// than the system can create, a scenario --net veth cannot hold, ...): one line.
struct MeasureError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

Measurement measure_once(const model::Scenario& scenario, const Options& options);

// The kernel and the sysctls that decide buffer sizes, for the record.
struct KernelInfo {
    std::string release;
    std::vector<std::pair<std::string, std::string>> sysctls;  // name -> value as the kernel prints it
};
KernelInfo kernel_info();
int64_t sysctl_int(const std::string& name, int64_t fallback);

}  // namespace tcpsim::measure
