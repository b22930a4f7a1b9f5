#include "measure/measure.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/sock_diag.h>  // SK_MEMINFO_*
#include <linux/tcp.h>  // tcp_info with tcpi_snd_wnd (glibc's copy is older)
#include <poll.h>
#include <sys/eventfd.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/program.hpp"
#include "core/wait_for.hpp"
#include "measure/netns.hpp"
#include "text/format.hpp"

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
constexpr int64_t kSampleNs = 5'000'000;        // the watchdog's sampling period

enum class State : int { running, blocked, sleeping, done, failed };
constexpr size_t kStates = 5;

// One thread's progress, read when the record is taken.
struct Probe {
    std::atomic<int64_t> written{0};
    std::atomic<int64_t> read{0};
    std::atomic<int> state{static_cast<int>(State::running)};
    std::mutex mu;              // guards the two fields below
    core::BlockedIn blocked;
    std::string error;
};

int make_event_fd() {
    const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) throw MeasureError(std::string("eventfd: ") + std::strerror(errno));
    return fd;
}

// Makes an event fd readable for good, so every wait on it ends, now and later.
void signal_event(int fd) {
    const uint64_t one = 1;
    if (write(fd, &one, sizeof one) < 0) {}  // only fails after 2^64 - 2 writes
}

// What every thread of a run shares with the watchdog. Threads count their progress here as
// they go, so a sample costs the same for ten threads or ten thousand; and they wait on the
// stop event next to their socket, so no thread wakes until its socket or the stop calls it
// (thousands of threads waking on a timer would starve the watchdog and the run itself).
class RunControl {
public:
    RunControl(int threads, Clock::time_point deadline)
        : start_fd_(make_event_fd()), stop_fd_(make_event_fd()), deadline_(deadline) {
        in_state_[static_cast<size_t>(State::running)] = threads;
    }
    RunControl(const RunControl&) = delete;
    RunControl& operator=(const RunControl&) = delete;
    ~RunControl() {
        close(start_fd_);
        close(stop_fd_);
    }

    // Threads wait here until every thread of the run exists, so they all start together.
    void wait_for_start() const {
        pollfd p{start_fd_, POLLIN, 0};
        while (poll(&p, 1, -1) < 0 && errno == EINTR) {}  // once per signal
    }
    void start() { signal_event(start_fd_); }

    bool stopped() const { return stopped_; }
    // Whether a thread must end its program: the run is stopped, or its time limit has passed,
    // and then the thread is first held, as it is, until the stop. So no thread goes on past
    // the limit even when the watchdog, one thread among thousands, wakes late to it.
    bool over() const {
        if (!stopped_ && Clock::now() >= deadline_) {
            pollfd p{stop_fd_, POLLIN, 0};
            while (poll(&p, 1, -1) < 0 && errno == EINTR) {}  // once per signal
        }
        return stopped_ || Clock::now() >= deadline_;
    }
    Clock::time_point deadline() const { return deadline_; }
    // Wakes every waiting thread at once, and any still held at the start.
    void stop() {
        stopped_ = true;
        signal_event(stop_fd_);
        start();
    }
    int stop_fd() const { return stop_fd_; }

    void moved(int64_t bytes) { bytes_moved_ += bytes; }
    void changed_state(State from, State to) {
        --in_state_[static_cast<size_t>(from)];
        ++in_state_[static_cast<size_t>(to)];
    }
    int64_t bytes_moved() const { return bytes_moved_; }
    int threads_in(State s) const { return in_state_[static_cast<size_t>(s)]; }

private:
    const int start_fd_;
    const int stop_fd_;
    const Clock::time_point deadline_;
    std::atomic<bool> stopped_{false};
    std::atomic<int64_t> bytes_moved_{0};  // written plus read, over every thread
    std::array<std::atomic<int>, kStates> in_state_{};
};

// The run's threads, on stacks cut from one mapping made up front. With a mapping of its
// own, each thread takes the address-space lock to be made and again to exit, and thousands
// of exits at the stop queue on it: joining 10,000 threads took 3 s that way, 0.25 s this way.
class ThreadGroup {
public:
    static constexpr size_t kStackBytes = 256 << 10;  // a worker needs a few KiB; sanitizers more

    // Stops the run before joining, however the group is left.
    ThreadGroup(size_t capacity, RunControl& control) : capacity_(capacity), control_(control) {
        threads_.reserve(capacity);
        bodies_.reserve(capacity);
        void* region = mmap(nullptr, capacity * slot_bytes(), PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (region == MAP_FAILED) region_error_ = std::strerror(errno);
        else region_ = static_cast<char*>(region);
    }
    ThreadGroup(const ThreadGroup&) = delete;
    ThreadGroup& operator=(const ThreadGroup&) = delete;
    ~ThreadGroup() {
        control_.stop();
        for (const pthread_t& t : threads_) pthread_join(t, nullptr);
        if (region_ != nullptr) munmap(region_, capacity_ * slot_bytes());
    }

    // Runs `body` on a thread of its own; false, with the system's reason, when refused.
    bool start(std::function<void()> body, std::string& why) {
        if (region_ == nullptr) {
            why = "no room for their stacks, " + std::to_string(capacity_) + " x " + std::to_string(kStackBytes >> 10) +
                  " KiB (" + region_error_ + ")";
            return false;
        }
        assert(threads_.size() < capacity_);
        // A guard page below each stack: an overflow faults instead of writing into the next.
        char* slot = region_ + threads_.size() * slot_bytes();
        if (mprotect(slot, guard_bytes(), PROT_NONE) != 0) {
            why = std::string("mprotect: ") + std::strerror(errno);
            return false;
        }
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstack(&attr, slot + guard_bytes(), kStackBytes);
        bodies_.push_back(std::make_unique<std::function<void()>>(std::move(body)));
        pthread_t id;
        const int error = pthread_create(&id, &attr, run_body, bodies_.back().get());
        pthread_attr_destroy(&attr);
        if (error != 0) {
            bodies_.pop_back();
            why = std::strerror(error);
            return false;
        }
        threads_.push_back(id);
        return true;
    }

private:
    static void* run_body(void* body) {
        (*static_cast<std::function<void()>*>(body))();
        return nullptr;
    }
    static size_t guard_bytes() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }
    static size_t slot_bytes() { return guard_bytes() + kStackBytes; }

    const size_t capacity_;
    RunControl& control_;
    char* region_ = nullptr;
    std::string region_error_;
    std::vector<pthread_t> threads_;
    std::vector<std::unique_ptr<std::function<void()>>> bodies_;
};

// Stream content: byte at offset o is letter o % 26, lower case for plain writes and
// upper case for derived writes (an upper-casing echo returns the input upper-cased).
char pattern_byte(int64_t offset, bool upper) { return static_cast<char>((upper ? 'A' : 'a') + offset % 26); }

// The pattern from offset 0, one alphabet longer than a call, so that a call at any offset
// sends a slice of it: writer threads, thousands of them, need no buffer of their own.
const char* pattern_at(int64_t offset, bool upper) {
    static const std::array<std::string, 2> texts = [] {
        std::array<std::string, 2> t;
        for (int u = 0; u < 2; ++u)
            for (size_t i = 0; i < kChunkBytes + 26; ++i) t[u].push_back(pattern_byte(static_cast<int64_t>(i), u == 1));
        return t;
    }();
    return texts[upper ? 1 : 0].data() + offset % 26;
}

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
    model::OpKind op;
    int index;
    std::string at;
    int64_t iteration;  // of the innermost loop around the op: it picks cycling sizes
};

class Worker {
public:
    Worker(Socket& socket, Probe& probe, RunControl& control) : sock_(socket), probe_(probe), control_(control) {}

    void run(const model::Thread& spec) {
        control_.wait_for_start();
        const Flow flow = run_program(spec.ops);
        set_state(flow == Flow::failed ? State::failed : State::done);
        if (--sock_.unfinished == 0) shut_write();  // process exit: the socket is closed
    }

private:
    // Real time since the worker was made: timed loops count it as the simulator counts its clock.
    int64_t elapsed_ns() const {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - created_).count();
    }

    // The program op by op with the simulator's cursor, so loops, EOF exits and positions mean
    // the same here. Loops run call by call, so the kernel sees the program's real write and
    // read sizes. Bounded: each step runs an op or moves the cursor through a finite program,
    // and every op ends when the run is over.
    Flow run_program(const std::vector<Op>& program) {
        core::ProgramCursor cursor(program);
        while (true) {
            if (cursor.at_frame_end()) {
                if (!cursor.in_loop()) return Flow::next;
                cursor.next_iteration(elapsed_ns());
                continue;
            }
            const Op& op = cursor.op();
            if (op.kind == OpKind::repeat) {
                cursor.enter_loop(op, elapsed_ns());
                continue;
            }
            const Flow flow = run_op(op, Where{op.kind, cursor.top_index(), cursor.position(), cursor.iteration()});
            // A read at EOF leaves the innermost repeat-until-EOF loop; outside such a loop the
            // program simply goes on.
            if (flow == Flow::eof) {
                if (!cursor.leave_eof_loop()) cursor.advance();
                continue;
            }
            if (flow != Flow::next) return flow;
            cursor.advance();
        }
    }

    Flow run_op(const Op& op, const Where& where) {
        if (control_.over()) return Flow::stop;
        switch (op.kind) {
            case OpKind::write: return write_op(op, where, false);
            case OpKind::send: return write_op(op, where, true);
            case OpKind::read: return read_op(model::op_bytes(op, where.iteration), where, false);
            case OpKind::read_exact: return read_op(model::op_bytes(op, where.iteration), where, true);
            case OpKind::read_to_end: return read_to_end(where);
            case OpKind::shutdown: shut_write(); return Flow::next;
            case OpKind::close: close_socket(); return Flow::next;
            case OpKind::sleep: return sleep_for(op.duration_ns, where);
            case OpKind::event_loop: return event_loop(op, where);
            case OpKind::repeat: break;  // the cursor enters loops
        }
        return fail("unknown op");
    }

    enum class Content { pattern, upper_pattern, upper_echo };

    Flow write_op(const Op& op, const Where& where, bool partial_ok) {
        if (!op.ratio) return write_bytes(model::op_bytes(op, where.iteration), Content::pattern, partial_ok, where);
        const int64_t n = model::apply_ratio(last_read_bytes_, *op.ratio);
        const bool echo = op.ratio->num == op.ratio->den && static_cast<int64_t>(last_read_.size()) == n;
        return write_bytes(n, echo ? Content::upper_echo : Content::upper_pattern, partial_ok, where);
    }

    Flow write_bytes(int64_t n, Content content, bool partial_ok, const Where& where) {
        int64_t done = 0;
        while (done < n) {
            if (control_.over()) return Flow::stop;
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
            return control_.stopped() ? Flow::stop : fail(std::string("send: ") + std::strerror(errno));
        }
        return Flow::next;
    }

    // One non-blocking send under the socket's lock, so stream offsets stay exact with
    // several writer threads; counts what the kernel took.
    ssize_t send_now(size_t len, Content content, int64_t done) {
        assert(len <= kChunkBytes);
        if (content == Content::upper_echo) {
            echo_buf_.resize(len);
            for (size_t i = 0; i < len; ++i)
                echo_buf_[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(last_read_[done + i])));
        }
        ssize_t k;
        {
            std::lock_guard lock(sock_.send_mu);
            const char* data = content == Content::upper_echo ? echo_buf_.data()
                                                               : pattern_at(sock_.send_offset, content == Content::upper_pattern);
            k = ::send(sock_.fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (k > 0) sock_.send_offset += k;
        }
        if (k > 0) {
            probe_.written += k;
            control_.moved(k);
        }
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
        if (k > 0) {
            probe_.read += k;
            control_.moved(k);
        }
        return k;
    }

    // Receives up to max bytes; returns the count, 0 at EOF, -1 when stopped or failed.
    int64_t receive(int64_t max, const Where& where, int64_t requested, int64_t done) {
        if (sock_.read_closed) {
            fail("read after close (EBADF)");
            return -1;
        }
        while (true) {
            if (control_.over()) return -1;
            const ssize_t k = recv_now(std::min<size_t>(static_cast<size_t>(max), kChunkBytes));
            if (k > 0) return k;
            if (k == 0) return 0;
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                block(where, requested, done);
                if (!wait_for(POLLIN)) return -1;
                continue;
            }
            if (control_.stopped()) return -1;
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
        // Each wait lasts until `until`, the limit or the stop; only a signal makes another.
        for (auto now = Clock::now(); now < until; now = Clock::now()) {
            if (control_.over()) return Flow::stop;
            wait_ready(-1, 0, until - now);
        }
        set_state(State::running);
        return Flow::next;
    }

    Flow event_loop(const Op& op, const Where& where) {
        int64_t written = 0;
        bool eof = false;
        while (!(written == op.write_total && eof)) {
            if (control_.over()) return Flow::stop;
            bool progressed = false;
            if (written < op.write_total) {
                // Chunks above 64 KiB go in 64 KiB calls, as a write's do.
                const size_t len = static_cast<size_t>(std::min<int64_t>({op.write_total - written, op.write_chunk,
                                                                          static_cast<int64_t>(kChunkBytes)}));
                const ssize_t k = send_now(len, Content::pattern, 0);
                if (k > 0) {
                    written += k;
                    progressed = true;
                } else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    return control_.stopped() ? Flow::stop : fail(std::string("send: ") + std::strerror(errno));
                }
            }
            if (written == op.write_total && op.shutdown_when_done) shut_write();
            if (!eof) {
                const ssize_t k = recv_now(static_cast<size_t>(std::min<int64_t>(op.read_chunk, kChunkBytes)));
                if (k > 0) {
                    progressed = true;
                } else if (k == 0) {
                    eof = true;
                    progressed = true;
                } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    return control_.stopped() ? Flow::stop : fail(std::string("recv: ") + std::strerror(errno));
                }
            }
            if (progressed) continue;
            block(where, op.write_total, written);
            const short events = static_cast<short>((written < op.write_total ? POLLOUT : 0) | (eof ? 0 : POLLIN));
            if (!wait_for(events)) return Flow::stop;
        }
        return Flow::next;
    }

    // Waits until the socket is ready or the run is over; false when it is over. Only a
    // signal ends a wait early, so the loop turns once per signal (and once at the limit).
    bool wait_for(short events) {
        while (!control_.over()) {
            if (wait_ready(sock_.fd, events, std::nullopt)) {
                set_state(State::running);
                return true;
            }
        }
        return false;
    }

    // One wait for `fd` (none: -1) to be ready for `events`, the stop, the time limit, or the
    // timeout (none: no end but the limit); true when the fd is ready.
    bool wait_ready(int fd, short events, std::optional<Clock::duration> timeout) const {
        std::array<pollfd, 2> fds{{{control_.stop_fd(), POLLIN, 0}, {fd, events, 0}}};
        const auto to_limit = std::max<Clock::duration>(control_.deadline() - Clock::now(), Clock::duration::zero());
        const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::min(timeout.value_or(to_limit), to_limit)).count();
        const timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
        const int r = ppoll(fds.data(), fd < 0 ? 1 : 2, &ts, nullptr);
        return r > 0 && fd >= 0 && fds[1].revents != 0;
    }

    void block(const Where& where, int64_t requested, int64_t done) {
        set_blocked_in(where, requested, done);
        set_state(State::blocked);
    }

    void set_blocked_in(const Where& where, int64_t requested, int64_t done) {
        std::lock_guard lock(probe_.mu);
        probe_.blocked = core::BlockedIn{where.op, where.index, where.at, requested, done, 0, 0, ""};
    }

    void set_state(State s) {
        const auto from = static_cast<State>(probe_.state.exchange(static_cast<int>(s)));
        if (from != s) control_.changed_state(from, s);
    }

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
    RunControl& control_;
    const Clock::time_point created_ = Clock::now();
    std::string echo_buf_;          // an upper-casing echo's next call
    std::string recv_buf_;
    std::string last_read_;        // the bytes of the last read op (up to kMaxKeptReadBytes)
    int64_t last_read_bytes_ = 0;  // how many it returned
    bool failed_ = false;
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

// Where the run goes: on loopback, or (--net veth) over a veth pair between two network
// namespaces shaped as the scenario's links; with the link as the simulator should see it.
void choose_network(Connection& c, const model::Scenario& s, const Options& opt, std::vector<std::string>& warnings) {
    if (opt.network == Network::veth) {
        std::string why_not;
        // Linux's MSS is the MTU less 40 header bytes and 12 of timestamps.
        const int mtu = static_cast<int>(std::clamp<int64_t>(s.connections[0].links[0].mss_bytes + 52, 576, 65535));
        // Host h's link shapes what it sends, direction h. A link no slower than the local one
        // is not shaped: calibration's cells ask for that.
        std::array<NetnsPair::Shape, 2> shapes;
        for (int d = 0; d < 2; ++d)
            shapes[d] = {s.connections[0].links[d].delay_ns > kLocalDelayNs ? s.connections[0].links[d].delay_ns : 0,
                         s.connections[0].links[d].bandwidth_bps < kLocalBandwidthBps ? s.connections[0].links[d].bandwidth_bps : 0};
        c.netns = NetnsPair::create(mtu, shapes, warnings, why_not);
        if (!c.netns) warnings.push_back("network namespaces are not available (" + why_not + "): measuring on loopback");
    }
    c.links.fill(model::Link{kLocalBandwidthBps, kLocalDelayNs, kLoopbackMssBytes});
    c.network = "loopback (127.0.0.1, MSS " + std::to_string(kLoopbackMssBytes) +
                ", no delay or rate limit: the scenario's link is not applied; --net veth applies it)";
    if (!c.netns) return;
    // One MTU for the pair, from the first direction's MSS.
    for (int d = 0; d < 2; ++d) {
        model::Link& link = c.links[d];
        link.mss_bytes = s.connections[0].links[0].mss_bytes;
        if (c.netns->applied(d).delayed()) link.delay_ns = c.netns->applied(d).delay_ns;
        if (c.netns->applied(d).rate_bps > 0) link.bandwidth_bps = c.netns->applied(d).rate_bps;
    }
    c.network = "a " + c.netns->kind() + " between namespaces " + c.netns->name(0) + " and " + c.netns->name(1) + " (MSS " +
                std::to_string(s.connections[0].links[0].mss_bytes);
    c.network += ", " + c.netns->shaping() + ")";
}

// An endpoint's buffers as its scenario asks. They are set before listen/connect so that
// window scaling is negotiated with them.
void set_buffers(int fd, const model::Scenario& s, int side, std::vector<std::string>& warnings) {
    const model::SocketSizes& sizes = s.connections[0].sizes[static_cast<size_t>(side)];
    const std::string& name = s.endpoints[static_cast<size_t>(s.connections[0].ends[static_cast<size_t>(side)])].name;
    set_buffer(fd, SO_SNDBUF, sizes.sqs_bytes, name, warnings);
    set_buffer(fd, SO_RCVBUF, sizes.rqs_bytes, name, warnings);
}

std::string server_ip(const Connection& c) { return c.netns ? c.netns->address(1) : "127.0.0.1"; }

// The second endpoint's listening socket, bound to --port; returns the address it listens on.
sockaddr_in listen_for_peer(Connection& c, const model::Scenario& s, const Options& opt, std::vector<std::string>& warnings) {
    const std::string ip = server_ip(c);
    c.listener = make_socket(c, 1);
    const int one = 1;
    setsockopt(c.listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    set_buffers(c.listener.fd, s, 1, warnings);
    sockaddr_in addr = address_of(ip, opt.port);
    if (bind(c.listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno == EADDRINUSE)
            throw MeasureError("port " + std::to_string(opt.port) + " is in use on " + ip +
                               ": choose another with --port, or --port 0 for any free port");
        throw MeasureError(errno_text("bind " + ip));
    }
    if (listen(c.listener.fd, 1) != 0) throw MeasureError(errno_text("listen"));
    socklen_t len = sizeof addr;
    getsockname(c.listener.fd, reinterpret_cast<sockaddr*>(&addr), &len);
    return addr;
}

// The first endpoint connects; the second accepts, within 5 s.
void connect_to(Connection& c, const model::Scenario& s, sockaddr_in addr, std::vector<std::string>& warnings) {
    c.fds[0] = make_socket(c, 0);
    set_buffers(c.fds[0].fd, s, 0, warnings);
    if (connect(c.fds[0].fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw MeasureError(errno_text("connect to " + server_ip(c)));
    pollfd p{c.listener.fd, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) throw MeasureError("accept: no connection within 5 s");
    c.fds[1] = Fd(accept4(c.listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (c.fds[1].fd < 0) throw MeasureError(errno_text("accept"));
}

Connection connect_endpoints(const model::Scenario& s, const Options& opt, std::vector<std::string>& warnings) {
    Connection c;
    choose_network(c, s, opt, warnings);
    const sockaddr_in addr = listen_for_peer(c, s, opt, warnings);
    connect_to(c, s, addr, warnings);
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

// ------------------------------------------------------------------ the run

// What the watchdog compares from one sample to the next.
struct Sample {
    int64_t bytes_moved = 0;
    int finished = 0;
    std::array<int64_t, 4> queues{};  // SIOCOUTQ and SIOCINQ of each socket (-1: not a socket any more)
    bool operator==(const Sample&) const = default;
};

Sample sample(const RunControl& control, const std::array<Socket, 2>& sockets) {
    Sample s;
    s.bytes_moved = control.bytes_moved();
    s.finished = control.threads_in(State::done) + control.threads_in(State::failed);
    for (size_t e = 0; e < 2; ++e) {
        int value = 0;
        s.queues[2 * e] = ioctl(sockets[e].fd, SIOCOUTQ, &value) == 0 ? value : -1;
        s.queues[2 * e + 1] = ioctl(sockets[e].fd, SIOCINQ, &value) == 0 ? value : -1;
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
Ending watch(const RunControl& control, const std::array<Socket, 2>& sockets, int threads, const Options& opt,
             Clock::time_point run_start) {
    const Clock::time_point deadline = control.deadline();
    Sample last = sample(control, sockets);
    auto last_change = run_start;
    // Every turn but the last sleeps a whole period, so the deadline comes within this many.
    const int64_t max_turns = opt.timeout_ns / kSampleNs + 2;
    for (int64_t turn = 0; turn < max_turns; ++turn) {
        const auto now = Clock::now();
        if (now >= deadline) break;
        std::this_thread::sleep_for(std::min<Clock::duration>(deadline - now, std::chrono::nanoseconds(kSampleNs)));
        const auto t = Clock::now();
        const Sample s = sample(control, sockets);
        if (s.finished == threads) return {core::Outcome::completed, t};
        if (s != last || control.threads_in(State::sleeping) > 0) last_change = t;
        last = s;
        const bool all_wait = control.threads_in(State::running) == 0;
        if (all_wait && t - last_change >= std::chrono::nanoseconds(opt.quiet_ns)) return {core::Outcome::deadlock, last_change};
    }
    return {core::Outcome::limit, deadline};  // where every thread was held
}

// What the run's threads share: each endpoint's socket, and one probe per scenario thread
// with the (endpoint, thread index) it belongs to.
struct Crew {
    std::array<Socket, 2> sockets;
    std::vector<std::unique_ptr<Probe>> probes;
    std::vector<std::pair<int, int>> owners;

    Crew(const model::Scenario& s, const Connection& conn) {
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
    }
    int thread_count() const { return static_cast<int>(probes.size()); }
};

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
            Worker(crew.sockets[e], *crew.probes[i], control).run(s.endpoints[e].threads[t]);
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
std::array<SocketState, 2> socket_records(const model::Scenario& s, const std::array<Socket, 2>& sockets) {
    std::array<SocketState, 2> records;
    for (int e = 0; e < 2; ++e) {
        const SocketState state = socket_state(sockets[e].fd);
        const bool closed = sockets[e].read_closed;
        records[e] = closed ? SocketState{} : state;
        records[e].endpoint = s.endpoints[e].name;
        records[e].closed_by_program = closed;
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
// time, each thread, and each endpoint's queues as the kernel reported them.
core::Result run_result(const model::Scenario& s, Crew& crew, const Ending& ending, Clock::time_point run_start,
                        const std::array<SocketState, 2>& records) {
    core::Result r;
    r.scenario = s.name;
    r.outcome = ending.outcome;
    r.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(ending.at - run_start).count();
    for (size_t i = 0; i < crew.probes.size(); ++i) r.threads.push_back(thread_report(s, crew.owners[i], *crew.probes[i]));
    for (int e = 0; e < 2; ++e) {
        const SocketState& k = records[e];
        r.queues.push_back(core::QueueReport{k.endpoint, records[1 - e].endpoint, k.outq, k.inq, k.sndbuf, k.rcvbuf,
                                             records[1 - e].snd_wnd});
    }
    if (ending.outcome == core::Outcome::limit) r.limit_reason = core::LimitReason::time;
    return r;
}

// What the wait-for cycle's words need beyond the Result, read before the threads end (an
// ending thread shuts its socket's writing side).
core::WaitForFacts wait_for_facts(const std::array<Socket, 2>& sockets, const std::array<SocketState, 2>& records) {
    core::WaitForFacts facts;
    for (int e = 0; e < 2; ++e)
        facts.sockets.push_back(core::SocketFacts{sockets[e].write_shut, records[1 - e].snd_wnd == 0});
    return facts;
}

// The first byte either endpoint received that its peer's program did not send.
void record_content(Measurement& m, const std::array<Socket, 2>& sockets) {
    for (const Socket& sk : sockets) {
        if (!sk.content_error.empty() && m.content_ok) {
            m.content_ok = false;
            m.content_error = sk.content_error;
        }
    }
}

}  // namespace

Measurement measure_once(const model::Scenario& s, const Options& opt) {
    Measurement m;
    const auto started = Clock::now();
    Connection conn = connect_endpoints(s, opt, m.warnings);
    m.network = conn.network;
    m.links = conn.links;

    Crew crew(s, conn);
    RunControl control(crew.thread_count(), Clock::now() + std::chrono::nanoseconds(opt.timeout_ns));
    std::optional<ThreadGroup> threads(std::in_place, crew.probes.size(), control);
    start_threads(*threads, s, crew, control, opt);
    const auto run_start = Clock::now();
    control.start();
    const Ending ending = watch(control, crew.sockets, crew.thread_count(), opt, run_start);

    m.sockets = socket_records(s, crew.sockets);
    m.result = run_result(s, crew, ending, run_start, m.sockets);
    const core::WaitForFacts facts = wait_for_facts(crew.sockets, m.sockets);
    // The relay stands in for a link that drops nothing; say so if it did, as of the record.
    if (conn.netns && !conn.netns->relay_trouble().empty()) m.warnings.push_back(conn.netns->relay_trouble());

    // Wake every thread and join it: no thread, socket or port outlives the run.
    threads.reset();
    if (ending.outcome == core::Outcome::deadlock) {
        core::WaitFor wait_for = core::describe_cycle(s, m.result, facts);
        m.result.cycle = std::move(wait_for.cycle);
        m.result.off_cycle = std::move(wait_for.off_cycle);
    }
    record_content(m, crew.sockets);
    m.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count();
    return m;
}

}  // namespace tcpsim::measure
