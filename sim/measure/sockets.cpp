#include "measure/sockets.hpp"

#include <arpa/inet.h>
#include <linux/sock_diag.h>  // SK_MEMINFO_*
#include <linux/sockios.h>
#include <linux/tcp.h>  // tcp_info with tcpi_snd_wnd (glibc's copy is older)
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace tcpsim::measure {

namespace {

int64_t get_int_option(int fd, int level, int option) {
    int value = 0;
    socklen_t len = sizeof value;
    getsockopt(fd, level, option, &value, &len);
    return value;
}

// sk_setsockopt clamps the request to *mem_max, doubles it and raises it to SOCK_MIN_*BUF:
// say so when the clamp or the minimum bites.
void set_buffer(int fd, int option, const std::optional<int64_t>& requested, const std::string& who,
                std::vector<std::string>& warnings) {
    if (!requested) return;
    const bool send = option == SO_SNDBUF;
    const std::string name = send ? "SO_SNDBUF " : "SO_RCVBUF ";
    const char* sysctl = send ? "net.core.wmem_max" : "net.core.rmem_max";
    const int64_t max_bytes = sysctl_int(sysctl, 212992);
    if (*requested > max_bytes)
        warnings.push_back(who + ": " + name + std::to_string(*requested) + " is clamped by " + sysctl + " to " +
                           std::to_string(max_bytes) + " (the kernel then doubles it)");
    const int value = static_cast<int>(std::min<int64_t>(*requested, INT32_MAX));
    if (setsockopt(fd, SOL_SOCKET, option, &value, sizeof value) != 0)
        throw MeasureError(errno_text(who + ": setsockopt(" + (send ? "SO_SNDBUF" : "SO_RCVBUF") + ")"));
    const int64_t doubled = 2 * std::min(*requested, max_bytes);
    const int64_t effective = get_int_option(fd, SOL_SOCKET, option);
    if (effective > doubled)
        warnings.push_back(who + ": " + name + std::to_string(*requested) + " is raised to the kernel's minimum, " +
                           (send ? "SOCK_MIN_SNDBUF" : "SOCK_MIN_RCVBUF") + ": it holds " +
                           std::to_string(effective) + ", not " + std::to_string(doubled));
}

}  // namespace

SocketState socket_state(int fd) {
    SocketState s;
    int value = 0;
    if (ioctl(fd, SIOCOUTQ, &value) == 0) s.outq = value;
    if (ioctl(fd, SIOCINQ, &value) == 0) s.inq = value;
    s.sndbuf = get_int_option(fd, SOL_SOCKET, SO_SNDBUF);
    s.rcvbuf = get_int_option(fd, SOL_SOCKET, SO_RCVBUF);
    tcp_info info{};
    socklen_t len = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0) {
        s.snd_wnd = info.tcpi_snd_wnd;
        s.rcv_space = info.tcpi_rcv_space;
        s.rcv_ssthresh = info.tcpi_rcv_ssthresh;
        s.snd_mss = info.tcpi_snd_mss;
        s.rcv_mss = info.tcpi_rcv_mss;
        s.probes = info.tcpi_probes;
    }
    std::array<uint32_t, SK_MEMINFO_VARS> meminfo{};
    len = sizeof meminfo;
    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo.data(), &len) == 0) {
        s.wmem_queued = meminfo[SK_MEMINFO_WMEM_QUEUED];
        s.rmem_alloc = meminfo[SK_MEMINFO_RMEM_ALLOC];
        s.drops = meminfo[SK_MEMINFO_DROPS];
    }
    return s;
}

namespace {

sockaddr_in address_of(const std::string& ip, int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
    return addr;
}

Fd make_socket(const ConnectedSockets& n, int host) {
    std::string error;
    const int fd = socket_in_namespace(n.netns ? n.netns->name(host) : "", error);
    if (fd < 0) throw MeasureError(error);
    return Fd(fd);
}

// Where the run goes: on loopback, or (--net veth) over a veth pair between two network
// namespaces shaped as the scenario's one connection's links; with the link as the simulator
// should see it. Namespaces hold two hosts, so a scenario of more connections is refused there.
void choose_network(ConnectedSockets& n, const model::Scenario& s, const Options& opt, std::vector<std::string>& warnings) {
    n.links.fill(model::Link{kLocalBandwidthBps, kLocalDelayNs, kLoopbackMssBytes});
    n.description = "loopback (127.0.0.1, MSS " + std::to_string(kLoopbackMssBytes) +
                    ", no delay or rate limit: the scenario's link is not applied; --net veth applies it)";
    if (s.connections.empty()) {
        n.description = "no network: the scenario has no connection";
        return;
    }
    if (opt.network != Network::veth) return;
    if (s.connections.size() > 1)
        throw MeasureError("--net veth: measures one connection between two namespaces; this scenario has " +
                           std::to_string(s.connections.size()) + " connections: measure it with --net loopback");
    const model::Connection& c = s.connections[0];
    std::string why_not;
    // Linux's MSS is the MTU less 40 header bytes and 12 of timestamps.
    const int mtu = static_cast<int>(std::clamp<int64_t>(c.links[0].mss_bytes + 52, 576, 65535));
    // Host h's link shapes what it sends, direction h. A link no slower than the local one
    // is not shaped: calibration's cells ask for that.
    std::array<NetnsPair::Shape, 2> shapes;
    for (int d = 0; d < 2; ++d)
        shapes[d] = {c.links[d].delay_ns > kLocalDelayNs ? c.links[d].delay_ns : 0,
                     c.links[d].bandwidth_bps < kLocalBandwidthBps ? c.links[d].bandwidth_bps : 0};
    n.netns = NetnsPair::create(mtu, shapes, warnings, why_not);
    if (!n.netns) {
        warnings.push_back("network namespaces are not available (" + why_not + "): measuring on loopback");
        return;
    }
    // One MTU for the pair, from the first direction's MSS.
    for (int d = 0; d < 2; ++d) {
        model::Link& link = n.links[d];
        link.mss_bytes = c.links[0].mss_bytes;
        if (n.netns->applied(d).delayed()) link.delay_ns = n.netns->applied(d).delay_ns;
        if (n.netns->applied(d).rate_bps > 0) link.bandwidth_bps = n.netns->applied(d).rate_bps;
    }
    n.description = "a " + n.netns->kind() + " between namespaces " + n.netns->name(0) + " and " + n.netns->name(1) +
                    " (MSS " + std::to_string(c.links[0].mss_bytes) + ", " + n.netns->shaping() + ")";
}

void set_buffers(int fd, const model::Scenario& s, size_t k, int side, std::vector<std::string>& warnings) {
    const model::Connection& c = s.connections[k];
    const model::SocketSizes& sizes = c.sizes[static_cast<size_t>(side)];
    const std::string& name = s.endpoints[static_cast<size_t>(c.ends[static_cast<size_t>(side)])].name;
    set_buffer(fd, SO_SNDBUF, sizes.sqs_bytes, name, warnings);
    set_buffer(fd, SO_RCVBUF, sizes.rqs_bytes, name, warnings);
}

std::string server_ip(const ConnectedSockets& n) { return n.netns ? n.netns->address(1) : "127.0.0.1"; }

// Connection k: ends[1] listens (on `port`), ends[0] connects, ends[1] accepts within 5 s.
std::array<Fd, 2> connect_one(const ConnectedSockets& n, const model::Scenario& s, size_t k, int port,
                              std::vector<std::string>& warnings) {
    const std::string ip = server_ip(n);
    const Fd listener = make_socket(n, 1);
    const int one = 1;
    setsockopt(listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    set_buffers(listener.fd, s, k, 1, warnings);
    sockaddr_in addr = address_of(ip, port);
    if (bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno == EADDRINUSE)
            throw MeasureError("port " + std::to_string(port) + " is in use on " + ip +
                               ": choose another with --port, or --port 0 for any free port");
        throw MeasureError(errno_text("bind " + ip));
    }
    if (listen(listener.fd, 1) != 0) throw MeasureError(errno_text("listen"));
    socklen_t len = sizeof addr;
    getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len);
    std::array<Fd, 2> fds;
    fds[0] = make_socket(n, 0);
    set_buffers(fds[0].fd, s, k, 0, warnings);
    if (connect(fds[0].fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw MeasureError(errno_text("connect to " + ip));
    pollfd p{listener.fd, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) throw MeasureError("accept: no connection within 5 s");
    fds[1] = Fd(accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (fds[1].fd < 0) throw MeasureError(errno_text("accept"));
    return fds;
}

}  // namespace

ConnectedSockets connect_all(const model::Scenario& s, const Options& opt, std::vector<std::string>& warnings) {
    ConnectedSockets n;
    choose_network(n, s, opt, warnings);
    for (size_t k = 0; k < s.connections.size(); ++k) n.sockets.push_back(connect_one(n, s, k, k == 0 ? opt.port : 0, warnings));
    return n;
}

}  // namespace tcpsim::measure
