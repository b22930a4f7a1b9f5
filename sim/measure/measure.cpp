#include "measure/measure.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/sock_diag.h>  // SK_MEMINFO_*
#include <linux/tcp.h>  // tcp_info with tcpi_snd_wnd (glibc's copy is older)
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/cycle.hpp"
#include "measure/netns.hpp"

namespace tcpsim::measure {

using model::Op;
using model::OpKind;
using Clock = std::chrono::steady_clock;

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

constexpr size_t kChunkBytes = 1 << 16;         // bytes per send/recv call
constexpr size_t kMaxKeptReadBytes = 8 << 20;   // a read's bytes kept for an upper-casing echo
constexpr int kPollSliceMs = 20;                // blocked threads look at the stop flag this often
constexpr int64_t kSampleNs = 5'000'000;        // the watchdog's sampling period

enum class State : int { running, blocked, sleeping, done, failed };

// One thread's progress, read by the watchdog while the thread runs.
struct Probe {
    std::atomic<int64_t> written{0};
    std::atomic<int64_t> read{0};
    std::atomic<int> state{static_cast<int>(State::running)};
    std::mutex mu;              // guards the two fields below
    core::BlockedIn blocked;
    std::string error;
};

// Stream content: byte at offset o is letter o % 26, lower case for plain writes and
// upper case for derived writes (an upper-casing echo returns the input upper-cased).
char pattern_byte(int64_t offset, bool upper) { return static_cast<char>((upper ? 'A' : 'a') + offset % 26); }

// One endpoint's socket, shared by its threads.
struct Socket {
    int fd = -1;
    std::string name;
    std::mutex send_mu;          // sends are non-blocking, so holding it never blocks a peer
    int64_t send_offset = 0;
    std::mutex recv_mu;
    int64_t recv_offset = 0;
    bool expect_upper = false;   // the peer only echoes upper-cased data
    std::string content_error;   // the first bad byte, guarded by recv_mu
    std::atomic<bool> write_shut{false};
    std::atomic<bool> read_closed{false};
    std::atomic<int> unfinished{0};

    void check_content(const char* data, size_t n) {
        if (!content_error.empty()) return;
        for (size_t i = 0; i < n; ++i) {
            const int64_t o = recv_offset + static_cast<int64_t>(i);
            const char c = data[i];
            const bool ok = c == pattern_byte(o, true) || (!expect_upper && c == pattern_byte(o, false));
            if (ok) continue;
            content_error = name + " received byte " + std::to_string(o) + " = '" + std::string(1, c) +
                            "', expected '" + pattern_byte(o, true) + "'" +
                            (expect_upper ? " (the upper-cased input)" : " or '" + std::string(1, pattern_byte(o, false)) + "'");
            return;
        }
    }
};

enum class Flow { next, eof, stop, failed };

// Where a thread is, for blocked_in: the op, its top-level index and full position.
struct Where {
    const char* op;
    int index;
    std::string at;
};

class Worker {
public:
    Worker(Socket& socket, Probe& probe, const std::atomic<bool>& stop) : sock_(socket), probe_(probe), stop_(stop) {}

    void run(const model::Thread& spec) {
        const Flow flow = run_ops(spec.ops, "", 0);
        set_state(flow == Flow::failed ? State::failed : State::done);
        if (--sock_.unfinished == 0) shut_write();  // process exit: the socket is closed
    }

private:
    Flow run_ops(const std::vector<Op>& ops, const std::string& at_prefix, int top_index) {
        for (size_t i = 0; i < ops.size(); ++i) {
            const std::string at = at_prefix.empty() ? "ops[" + std::to_string(i) + "]"
                                                     : at_prefix + ".do[" + std::to_string(i) + "]";
            const int index = at_prefix.empty() ? static_cast<int>(i) : top_index;
            const Flow flow = run_op(ops[i], at, index);
            // A read at EOF leaves the innermost repeat-until-EOF loop, as in the simulator;
            // outside such a loop the program simply goes on.
            if (flow == Flow::eof && eof_loops_ == 0) continue;
            if (flow != Flow::next) return flow;
        }
        return Flow::next;
    }

    Flow run_op(const Op& op, const std::string& at, int index) {
        if (stop_) return Flow::stop;
        const Where where{model::op_name(op.kind), index, at};
        switch (op.kind) {
            case OpKind::write: return write_op(op, where, false);
            case OpKind::send: return write_op(op, where, true);
            case OpKind::read: return read_op(op.bytes, where, false);
            case OpKind::read_exact: return read_op(op.bytes, where, true);
            case OpKind::read_to_end: return read_to_end(where);
            case OpKind::shutdown: shut_write(); return Flow::next;
            case OpKind::close: close_socket(); return Flow::next;
            case OpKind::sleep: return sleep_for(op.duration_ns, where);
            case OpKind::repeat: return repeat(op, at, index);
            case OpKind::event_loop: return event_loop(op, where);
        }
        return fail("unknown op");
    }

    // Loops run call by call, so the kernel sees the program's real write and read sizes.
    Flow repeat(const Op& op, const std::string& at, int index) {
        eof_loops_ += op.until_eof ? 1 : 0;
        Flow result = Flow::next;
        for (int64_t i = 0; op.until_eof || i < op.count; ++i) {
            const Flow flow = run_ops(op.body, at, index);
            if (flow == Flow::next) continue;
            result = flow == Flow::eof && op.until_eof ? Flow::next : flow;
            break;
        }
        eof_loops_ -= op.until_eof ? 1 : 0;
        return result;
    }

    enum class Content { pattern, upper_pattern, upper_echo };

    Flow write_op(const Op& op, const Where& where, bool partial_ok) {
        if (!op.ratio) return write_bytes(op.bytes, Content::pattern, partial_ok, where);
        const int64_t n = model::apply_ratio(last_read_bytes_, *op.ratio);
        const bool echo = op.ratio->num == op.ratio->den && static_cast<int64_t>(last_read_.size()) == n;
        return write_bytes(n, echo ? Content::upper_echo : Content::upper_pattern, partial_ok, where);
    }

    Flow write_bytes(int64_t n, Content content, bool partial_ok, const Where& where) {
        int64_t done = 0;
        while (done < n) {
            if (stop_) return Flow::stop;
            if (sock_.write_shut) return fail("write after shutdown (EPIPE)");
            const ssize_t k = send_now(static_cast<size_t>(std::min<int64_t>(n - done, kChunkBytes)), content, done);
            if (k > 0) {
                done += k;
                if (partial_ok) return Flow::next;
                continue;
            }
            if (k < 0 && errno == EINTR) continue;
            if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                block(where, n, done);
                if (!wait_for(POLLOUT)) return Flow::stop;
                continue;
            }
            return stop_ ? Flow::stop : fail(std::string("send: ") + std::strerror(errno));
        }
        return Flow::next;
    }

    // One non-blocking send under the socket's lock, so stream offsets stay exact with
    // several writer threads; counts what the kernel took.
    ssize_t send_now(size_t len, Content content, int64_t done) {
        ssize_t k;
        {
            std::lock_guard lock(sock_.send_mu);
            fill(send_buf_, len, content, done);
            k = ::send(sock_.fd, send_buf_.data(), len, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (k > 0) sock_.send_offset += k;
        }
        if (k > 0) probe_.written += k;
        return k;
    }

    // One non-blocking recv under the socket's lock; checks and counts what arrived.
    ssize_t recv_now(size_t max) {
        ssize_t k;
        {
            std::lock_guard lock(sock_.recv_mu);
            recv_buf_.resize(max);
            k = ::recv(sock_.fd, recv_buf_.data(), recv_buf_.size(), MSG_DONTWAIT);
            if (k > 0) {
                sock_.check_content(recv_buf_.data(), static_cast<size_t>(k));
                sock_.recv_offset += k;
            }
        }
        if (k > 0) probe_.read += k;
        return k;
    }

    void fill(std::string& buf, size_t len, Content content, int64_t done) const {
        buf.resize(len);
        if (content == Content::upper_echo) {
            for (size_t i = 0; i < len; ++i)
                buf[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(last_read_[done + i])));
            return;
        }
        for (size_t i = 0; i < len; ++i)
            buf[i] = pattern_byte(sock_.send_offset + static_cast<int64_t>(i), content == Content::upper_pattern);
    }

    // Receives up to max bytes; returns the count, 0 at EOF, -1 when stopped or failed.
    int64_t receive(int64_t max, const Where& where, int64_t requested, int64_t done) {
        if (sock_.read_closed) {
            fail("read after close (EBADF)");
            return -1;
        }
        while (true) {
            if (stop_) return -1;
            const ssize_t k = recv_now(std::min<size_t>(static_cast<size_t>(max), kChunkBytes));
            if (k > 0) return k;
            if (k == 0) return 0;
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                block(where, requested, done);
                if (!wait_for(POLLIN)) return -1;
                continue;
            }
            if (stop_) return -1;
            fail(std::string("recv: ") + std::strerror(errno));
            return -1;
        }
    }

    void keep_read(int64_t n) {
        if (last_read_.size() + static_cast<size_t>(n) <= kMaxKeptReadBytes)
            last_read_.append(recv_buf_.data(), static_cast<size_t>(n));
        last_read_bytes_ += n;
    }

    Flow read_op(int64_t n, const Where& where, bool exact) {
        last_read_.clear();
        last_read_bytes_ = 0;
        while (last_read_bytes_ < n) {
            const int64_t k = receive(n - last_read_bytes_, where, n, last_read_bytes_);
            if (k < 0) return failed_ ? Flow::failed : Flow::stop;
            if (k == 0) return last_read_bytes_ == 0 ? Flow::eof : Flow::next;
            keep_read(k);
            if (!exact) break;
        }
        return Flow::next;
    }

    Flow read_to_end(const Where& where) {
        int64_t total = 0;
        last_read_.clear();
        last_read_bytes_ = 0;
        while (true) {
            const int64_t k = receive(kChunkBytes, where, 0, total);
            if (k < 0) return failed_ ? Flow::failed : Flow::stop;
            if (k == 0) return total == 0 ? Flow::eof : Flow::next;
            total += k;
            keep_read(k);
        }
    }

    Flow sleep_for(int64_t duration_ns, const Where& where) {
        set_blocked_in(where, 0, 0);
        set_state(State::sleeping);
        const auto until = Clock::now() + std::chrono::nanoseconds(duration_ns);
        while (Clock::now() < until) {
            if (stop_) return Flow::stop;
            std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(10)));
        }
        set_state(State::running);
        return Flow::next;
    }

    Flow event_loop(const Op& op, const Where& where) {
        int64_t written = 0;
        bool eof = false;
        while (!(written == op.write_total && eof)) {
            if (stop_) return Flow::stop;
            bool progressed = false;
            if (written < op.write_total) {
                const size_t len = static_cast<size_t>(std::min<int64_t>(op.write_total - written, op.write_chunk));
                const ssize_t k = send_now(len, Content::pattern, 0);
                if (k > 0) {
                    written += k;
                    progressed = true;
                } else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    return stop_ ? Flow::stop : fail(std::string("send: ") + std::strerror(errno));
                }
            }
            if (written == op.write_total && op.shutdown_when_done) shut_write();
            if (!eof) {
                const ssize_t k = recv_now(static_cast<size_t>(op.read_chunk));
                if (k > 0) {
                    progressed = true;
                } else if (k == 0) {
                    eof = true;
                    progressed = true;
                } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    return stop_ ? Flow::stop : fail(std::string("recv: ") + std::strerror(errno));
                }
            }
            if (progressed) continue;
            block(where, op.write_total, written);
            const short events = static_cast<short>((written < op.write_total ? POLLOUT : 0) | (eof ? 0 : POLLIN));
            if (!wait_for(events)) return Flow::stop;
        }
        return Flow::next;
    }

    // Waits until the socket is ready or the run is stopped; false when stopped.
    bool wait_for(short events) {
        while (!stop_) {
            pollfd p{sock_.fd, events, 0};
            const int r = poll(&p, 1, kPollSliceMs);
            if (r > 0) {
                set_state(State::running);
                return true;
            }
        }
        return false;
    }

    void block(const Where& where, int64_t requested, int64_t done) {
        set_blocked_in(where, requested, done);
        set_state(State::blocked);
    }

    void set_blocked_in(const Where& where, int64_t requested, int64_t done) {
        std::lock_guard lock(probe_.mu);
        probe_.blocked = core::BlockedIn{where.op, where.index, where.at, requested, done};
    }

    void set_state(State s) { probe_.state = static_cast<int>(s); }

    Flow fail(const std::string& why) {
        failed_ = true;
        std::lock_guard lock(probe_.mu);
        probe_.error = why;
        return Flow::failed;
    }

    // close(2) for real: with unread data the kernel resets the connection, as a real
    // program's close does. /dev/null takes the descriptor's place so its number is not
    // reused while other threads and the watchdog still hold it.
    void close_socket() {
        std::scoped_lock lock(sock_.send_mu, sock_.recv_mu);
        sock_.write_shut = true;
        if (sock_.read_closed.exchange(true)) return;
        const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd >= 0) {
            dup2(null_fd, sock_.fd);
            ::close(null_fd);
        }
    }

    void shut_write() {
        std::lock_guard lock(sock_.send_mu);
        if (sock_.write_shut.exchange(true)) return;
        ::shutdown(sock_.fd, SHUT_WR);
    }

    Socket& sock_;
    Probe& probe_;
    const std::atomic<bool>& stop_;
    std::string send_buf_;
    std::string recv_buf_;
    std::string last_read_;        // the bytes of the last read op (up to kMaxKeptReadBytes)
    int64_t last_read_bytes_ = 0;  // how many it returned
    bool failed_ = false;
    int eof_loops_ = 0;            // repeat-until-EOF loops the thread is inside
};

// ------------------------------------------------------------------ connection set-up

struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
    Fd& operator=(Fd&& o) noexcept {
        std::swap(fd, o.fd);
        return *this;
    }
    Fd(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

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

SocketState socket_state(int fd, const std::string& endpoint) {
    SocketState s;
    s.endpoint = endpoint;
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

struct Connection {
    std::optional<NetnsPair> netns;
    std::string network;  // in words
    std::array<model::Link, 2> links;  // as the simulator should see them, per direction
    Fd listener;
    std::array<Fd, 2> fds;  // endpoints[0] connects, endpoints[1] listens and accepts
};

sockaddr_in address_of(const std::string& ip, int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
    return addr;
}

Fd make_socket(const Connection& c, int host) {
    std::string error;
    const int fd = socket_in_namespace(c.netns ? c.netns->name(host) : "", error);
    if (fd < 0) throw MeasureError(error);
    return Fd(fd);
}

Connection connect_endpoints(const model::Scenario& s, const Options& opt, std::vector<std::string>& warnings) {
    Connection c;
    if (opt.network == Network::veth) {
        std::string why_not;
        // Linux's MSS is the MTU less 40 header bytes and 12 of timestamps.
        const int mtu = static_cast<int>(std::clamp<int64_t>(s.links[0].mss_bytes + 52, 576, 65535));
        // Host h's link shapes what it sends, direction h. A link no slower than the local one
        // is not shaped: calibration's cells ask for that.
        std::array<NetnsPair::Shape, 2> shapes;
        for (int d = 0; d < 2; ++d)
            shapes[d] = {s.links[d].delay_ns > kLocalDelayNs ? s.links[d].delay_ns : 0,
                         s.links[d].bandwidth_bps < kLocalBandwidthBps ? s.links[d].bandwidth_bps : 0};
        c.netns = NetnsPair::create(mtu, shapes, warnings, why_not);
        if (!c.netns) warnings.push_back("network namespaces are not available (" + why_not + "): measuring on loopback");
    }
    c.links.fill(model::Link{kLocalBandwidthBps, kLocalDelayNs, kLoopbackMssBytes});
    c.network = "loopback (127.0.0.1, MSS " + std::to_string(kLoopbackMssBytes) +
                ", no delay or rate limit: the scenario's link is not applied; --net veth applies it)";
    if (c.netns) {
        // One MTU for the pair, from the first direction's MSS.
        for (int d = 0; d < 2; ++d) {
            model::Link& link = c.links[d];
            link.mss_bytes = s.links[0].mss_bytes;
            if (c.netns->applied(d).delayed()) link.delay_ns = c.netns->applied(d).delay_ns;
            if (c.netns->applied(d).rate_bps > 0) link.bandwidth_bps = c.netns->applied(d).rate_bps;
        }
        c.network = "a " + c.netns->kind() + " between namespaces " + c.netns->name(0) + " and " + c.netns->name(1) + " (MSS " +
                    std::to_string(s.links[0].mss_bytes);
        c.network += ", " + c.netns->shaping() + ")";
    }
    const std::string server_ip = c.netns ? c.netns->address(1) : "127.0.0.1";
    c.listener = make_socket(c, 1);
    const int one = 1;
    setsockopt(c.listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Buffers are set before listen/connect so that window scaling is negotiated with them.
    set_buffer(c.listener.fd, SO_SNDBUF, s.endpoints[1].sqs_bytes, s.endpoints[1].name, warnings);
    set_buffer(c.listener.fd, SO_RCVBUF, s.endpoints[1].rqs_bytes, s.endpoints[1].name, warnings);
    sockaddr_in addr = address_of(server_ip, opt.port);
    if (bind(c.listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno == EADDRINUSE)
            throw MeasureError("port " + std::to_string(opt.port) + " is in use on " + server_ip +
                               ": choose another with --port, or --port 0 for any free port");
        throw MeasureError(errno_text("bind " + server_ip));
    }
    if (listen(c.listener.fd, 1) != 0) throw MeasureError(errno_text("listen"));
    socklen_t len = sizeof addr;
    getsockname(c.listener.fd, reinterpret_cast<sockaddr*>(&addr), &len);

    c.fds[0] = make_socket(c, 0);
    set_buffer(c.fds[0].fd, SO_SNDBUF, s.endpoints[0].sqs_bytes, s.endpoints[0].name, warnings);
    set_buffer(c.fds[0].fd, SO_RCVBUF, s.endpoints[0].rqs_bytes, s.endpoints[0].name, warnings);
    if (connect(c.fds[0].fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw MeasureError(errno_text("connect to " + server_ip));
    pollfd p{c.listener.fd, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) throw MeasureError("accept: no connection within 5 s");
    c.fds[1] = Fd(accept4(c.listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (c.fds[1].fd < 0) throw MeasureError(errno_text("accept"));
    return c;
}

// Whether every write of an endpoint is an echo of what it read (ratio 1).
bool only_echoes(const std::vector<Op>& ops, bool& any_write) {
    for (const Op& op : ops) {
        if (op.kind == OpKind::repeat && !only_echoes(op.body, any_write)) return false;
        if (op.kind == OpKind::event_loop) return false;
        if (op.kind == OpKind::write || op.kind == OpKind::send) {
            if (!op.ratio || op.ratio->num != op.ratio->den) return false;
            any_write = true;
        }
    }
    return true;
}

bool endpoint_only_echoes(const model::Endpoint& ep) {
    bool any_write = false;
    for (const model::Thread& t : ep.threads)
        if (!only_echoes(t.ops, any_write)) return false;
    return any_write;
}

// ------------------------------------------------------------------ the watchdog

struct Sample {
    std::vector<int64_t> values;
    bool all_done = true;
    bool any_sleeping = false;
    bool operator!=(const Sample& o) const { return values != o.values; }
};

}  // namespace

Measurement measure_once(const model::Scenario& s, const Options& opt) {
    Measurement m;
    const auto started = Clock::now();
    Connection conn = connect_endpoints(s, opt, m.warnings);
    m.network = conn.network;
    m.links = conn.links;

    std::array<Socket, 2> sockets;
    std::vector<std::unique_ptr<Probe>> probes;
    std::vector<std::pair<int, int>> owners;  // (endpoint, thread index) of each probe
    for (int e = 0; e < 2; ++e) {
        sockets[e].fd = conn.fds[e].fd;
        sockets[e].name = s.endpoints[e].name;
        sockets[e].expect_upper = endpoint_only_echoes(s.endpoints[1 - e]);
        sockets[e].unfinished = static_cast<int>(s.endpoints[e].threads.size());
        for (size_t t = 0; t < s.endpoints[e].threads.size(); ++t) {
            probes.push_back(std::make_unique<Probe>());
            owners.emplace_back(e, static_cast<int>(t));
        }
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (size_t i = 0; i < probes.size(); ++i) {
        const auto [e, t] = owners[i];
        threads.emplace_back([&, e = e, t = t, i] {
            Worker(sockets[e], *probes[i], stop).run(s.endpoints[e].threads[t]);
        });
    }

    const auto sample = [&] {
        Sample smp;
        for (const auto& p : probes) {
            const auto st = static_cast<State>(p->state.load());
            smp.values.push_back(p->written);
            smp.values.push_back(p->read);
            smp.values.push_back(static_cast<int64_t>(st));
            smp.all_done = smp.all_done && (st == State::done || st == State::failed);
            smp.any_sleeping = smp.any_sleeping || st == State::sleeping;
        }
        for (const Socket& sk : sockets) {
            int value = 0;
            smp.values.push_back(ioctl(sk.fd, SIOCOUTQ, &value) == 0 ? value : -1);
            smp.values.push_back(ioctl(sk.fd, SIOCINQ, &value) == 0 ? value : -1);
        }
        return smp;
    };

    const auto run_start = Clock::now();
    auto last_change = run_start;
    Sample last = sample();
    core::Outcome outcome = core::Outcome::limit;
    const int64_t max_samples = opt.timeout_ns / kSampleNs + 1;
    for (int64_t i = 0; i < max_samples; ++i) {
        std::this_thread::sleep_for(std::chrono::nanoseconds(kSampleNs));
        const Sample now = sample();
        const auto t = Clock::now();
        if (now.all_done) {
            outcome = core::Outcome::completed;
            last_change = t;
            break;
        }
        if (now != last || now.any_sleeping) last_change = t;
        last = now;
        if (t - last_change >= std::chrono::nanoseconds(opt.quiet_ns)) {
            outcome = core::Outcome::deadlock;
            break;
        }
    }

    // The record, taken while the threads are still where they stalled.
    core::Result& r = m.result;
    r.scenario = s.name;
    r.outcome = outcome;
    r.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(last_change - run_start).count();
    for (int e = 0; e < 2; ++e) m.sockets[e] = socket_state(sockets[e].fd, s.endpoints[e].name);
    for (size_t i = 0; i < probes.size(); ++i) {
        const auto [e, t] = owners[i];
        Probe& p = *probes[i];
        core::ThreadReport tr;
        tr.endpoint = s.endpoints[e].name;
        tr.name = s.endpoints[e].threads[t].name;
        tr.bytes_written = p.written;
        tr.bytes_read = p.read;
        const auto st = static_cast<State>(p.state.load());
        std::lock_guard lock(p.mu);
        tr.state = st == State::done ? core::ThreadState::done
                 : st == State::failed ? core::ThreadState::failed
                 : st == State::sleeping ? core::ThreadState::sleeping
                 : core::ThreadState::blocked;
        if (st != State::done && st != State::failed) tr.blocked_in = p.blocked;
        tr.error = p.error;
        r.threads.push_back(tr);
    }
    for (int e = 0; e < 2; ++e) {
        const SocketState& k = m.sockets[e];
        r.queues[e] = core::QueueReport{k.endpoint, k.outq, k.inq, k.sndbuf, k.rcvbuf, m.sockets[1 - e].snd_wnd};
    }
    if (outcome == core::Outcome::deadlock) {
        core::CycleFacts facts;
        for (int e = 0; e < 2; ++e) {
            facts.write_shut[e] = sockets[e].write_shut;
            facts.window_zero[e] = m.sockets[1 - e].snd_wnd == 0;
        }
        r.cycle = core::describe_cycle(s, r, facts);
    } else if (outcome == core::Outcome::limit) {
        r.limit_reason = "time";
    }

    // The relay stands in for a link that drops nothing; say so if it did, as of the record.
    if (conn.netns && !conn.netns->relay_trouble().empty()) m.warnings.push_back(conn.netns->relay_trouble());

    // Unblock every thread and clean up: no thread, socket or port outlives the run.
    stop = true;
    for (const Socket& sk : sockets) ::shutdown(sk.fd, SHUT_RDWR);
    for (std::thread& t : threads) t.join();
    for (const Socket& sk : sockets) {
        if (!sk.content_error.empty() && m.content_ok) {
            m.content_ok = false;
            m.content_error = sk.content_error;
        }
    }
    m.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count();
    return m;
}

}  // namespace tcpsim::measure
