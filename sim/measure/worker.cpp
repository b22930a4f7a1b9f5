#include "measure/worker.hpp"

#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "core/program.hpp"

namespace tcpsim::measure {

using model::Op;
using model::OpKind;

namespace {

constexpr size_t kMaxKeptReadBytes = 8 << 20;  // a read's bytes kept for an upper-casing echo

}  // namespace

void Worker::run(const model::Thread& spec) {
    // SIGPIPE goes to the thread that wrote: blocked here, a write to a pipe whose reader has
    // gone fails with EPIPE, as the simulator's does, instead of ending the process.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    control_.wait_for_start();
    const Flow flow = run_program(spec.ops);
    set_state(flow == Flow::failed ? State::failed : State::done);
    if (--endpoint_.unfinished == 0)  // the process exits: every end it holds is closed
        for (ChannelEnd* c : endpoint_.channels) c->close_at_exit();
}

// Real time since the worker was made: timed loops count it as the simulator counts its clock.
int64_t Worker::elapsed_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - created_).count();
}

// The program op by op with the simulator's cursor, so loops, EOF exits and positions mean
// the same here. Loops run call by call, so the kernel sees the program's real write and
// read sizes. Bounded: each step runs an op or moves the cursor through a finite program,
// and every op ends when the run is over.
Worker::Flow Worker::run_program(const std::vector<Op>& program) {
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
        const Flow flow = run_op(op, Where{op.kind, cursor.top_index(), cursor.position(), cursor.iteration(), op.channel});
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

Worker::Flow Worker::run_op(const Op& op, const Where& where) {
    if (control_.over()) return Flow::stop;
    switch (op.kind) {
        case OpKind::write: return write_op(op, where, false);
        case OpKind::send: return write_op(op, where, true);
        case OpKind::read: return read_op(model::op_bytes(op, where.iteration), where, false);
        case OpKind::read_exact: return read_op(model::op_bytes(op, where.iteration), where, true);
        case OpKind::read_to_end: return read_to_end(where);
        case OpKind::shutdown: channel(where).shut_write(); return Flow::next;
        case OpKind::close: channel(where).close(); return Flow::next;
        case OpKind::sleep: return sleep_for(op.duration_ns, where);
        case OpKind::event_loop: return event_loop(op, where);
        case OpKind::repeat: break;  // the cursor enters loops
    }
    return fail("unknown op");
}

Worker::Flow Worker::write_op(const Op& op, const Where& where, bool partial_ok) {
    if (!op.ratio) return write_bytes(model::op_bytes(op, where.iteration), Content::pattern, partial_ok, where);
    const int64_t n = model::apply_ratio(last_read_bytes_, *op.ratio);
    const bool echo = op.ratio->num == op.ratio->den && static_cast<int64_t>(last_read_.size()) == n;
    return write_bytes(n, echo ? Content::upper_echo : Content::upper_pattern, partial_ok, where);
}

Worker::Flow Worker::write_bytes(int64_t n, Content content, bool partial_ok, const Where& where) {
    ChannelEnd& ch = channel(where);
    int64_t done = 0;
    while (done < n) {
        if (control_.over()) return Flow::stop;
        if (ch.write_closed()) return fail(ch.write_error(0));
        const ssize_t k = send_now(ch, static_cast<size_t>(std::min<int64_t>(n - done, kChunkBytes)), content, done);
        if (k > 0) {
            done += k;
            if (partial_ok) return Flow::next;
            continue;
        }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            block(where, n, done);
            // Its own endpoint closing the writing side wakes it too, to fail as the simulator's.
            if (!wait_for(ch.write_wait(), {ch.closed_fd(), POLLIN})) return Flow::stop;
            continue;
        }
        return control_.stopped() ? Flow::stop : fail(ch.write_error(errno));
    }
    return Flow::next;
}

// One non-blocking write under the stream's lock, so stream offsets stay exact with several
// writer threads; counts what the channel took.
ssize_t Worker::send_now(ChannelEnd& ch, size_t len, Content content, int64_t done) {
    assert(len <= kChunkBytes);
    if (content == Content::upper_echo) {
        echo_buf_.resize(len);
        for (size_t i = 0; i < len; ++i)
            echo_buf_[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(last_read_[done + i])));
    }
    Stream& out = *ch.out();
    ssize_t k;
    {
        std::lock_guard lock(out.send_mu);
        const char* data = content == Content::upper_echo ? echo_buf_.data()
                                                           : pattern_at(out.send_offset, content == Content::upper_pattern);
        k = ch.write_some(data, len);
        if (k > 0) out.send_offset += k;
    }
    if (k > 0) {
        probe_.written += k;
        control_.moved(k);
    }
    return k;
}

// One non-blocking read under the stream's lock; checks and counts what arrived.
ssize_t Worker::recv_now(ChannelEnd& ch, size_t max) {
    Stream& in = *ch.in();
    ssize_t k;
    {
        std::lock_guard lock(in.recv_mu);
        recv_buf_.resize(max);
        k = ch.read_some(recv_buf_.data(), recv_buf_.size());
        if (k > 0) {
            in.check_content(recv_buf_.data(), static_cast<size_t>(k));
            in.recv_offset += k;
        }
    }
    if (k > 0) {
        probe_.read += k;
        control_.moved(k);
    }
    return k;
}

// Receives up to max bytes; returns the count, 0 at EOF, -1 when stopped or failed.
int64_t Worker::receive(int64_t max, const Where& where, int64_t requested, int64_t done) {
    ChannelEnd& ch = channel(where);
    if (ch.read_closed()) {
        fail(ch.read_error(0));
        return -1;
    }
    while (true) {
        if (control_.over()) return -1;
        const ssize_t k = recv_now(ch, std::min<size_t>(static_cast<size_t>(max), kChunkBytes));
        if (k > 0) return k;
        if (k == 0) return 0;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            block(where, requested, done);
            if (!wait_for(ch.read_wait())) return -1;
            continue;
        }
        if (control_.stopped()) return -1;
        fail(ch.read_error(errno));
        return -1;
    }
}

void Worker::keep_read(int64_t n) {
    if (last_read_.size() + static_cast<size_t>(n) <= kMaxKeptReadBytes) last_read_.append(recv_buf_.data(), static_cast<size_t>(n));
    last_read_bytes_ += n;
}

Worker::Flow Worker::read_op(int64_t n, const Where& where, bool exact) {
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

Worker::Flow Worker::read_to_end(const Where& where) {
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

Worker::Flow Worker::sleep_for(int64_t duration_ns, const Where& where) {
    set_blocked_in(where, 0, 0, duration_ns);
    set_state(State::sleeping);
    const auto until = Clock::now() + std::chrono::nanoseconds(duration_ns);
    // Each wait lasts until `until`, the limit or the stop; only a signal makes another.
    for (auto now = Clock::now(); now < until; now = Clock::now()) {
        if (control_.over()) return Flow::stop;
        wait_ready({}, {}, until - now);
    }
    set_state(State::running);
    return Flow::next;
}

// The selector fix, on a socket: write while writable, read while readable, in one thread.
Worker::Flow Worker::event_loop(const Op& op, const Where& where) {
    ChannelEnd& ch = channel(where);
    int64_t written = 0;
    bool eof = false;
    while (!(written == op.write_total && eof)) {
        if (control_.over()) return Flow::stop;
        bool progressed = false;
        if (written < op.write_total) {
            // Chunks above 64 KiB go in 64 KiB calls, as a write's do.
            const size_t len = static_cast<size_t>(std::min<int64_t>({op.write_total - written, op.write_chunk,
                                                                      static_cast<int64_t>(kChunkBytes)}));
            const ssize_t k = send_now(ch, len, Content::pattern, 0);
            if (k > 0) {
                written += k;
                progressed = true;
            } else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return control_.stopped() ? Flow::stop : fail(ch.write_error(errno));
            }
        }
        if (written == op.write_total && op.shutdown_when_done) ch.shut_write();
        if (!eof) {
            const ssize_t k = recv_now(ch, static_cast<size_t>(std::min<int64_t>(op.read_chunk, kChunkBytes)));
            if (k > 0) {
                progressed = true;
            } else if (k == 0) {
                eof = true;
                progressed = true;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return control_.stopped() ? Flow::stop : fail(ch.read_error(errno));
            }
        }
        if (progressed) continue;
        block(where, op.write_total, written);
        if (!wait_for(written < op.write_total ? ch.write_wait() : ChannelEnd::Wait{}, eof ? ChannelEnd::Wait{} : ch.read_wait()))
            return Flow::stop;
    }
    return Flow::next;
}

// Waits until a channel is ready or the run is over; false when it is over. Only a signal
// ends a wait early, so the loop turns once per signal (and once at the limit).
bool Worker::wait_for(const ChannelEnd::Wait& a, const ChannelEnd::Wait& b) {
    while (!control_.over()) {
        if (wait_ready(a, b, std::nullopt)) {
            set_state(State::running);
            return true;
        }
    }
    return false;
}

// One wait for either fd to be ready for its events (an fd of -1: none), the stop, the time
// limit, or the timeout (none: no end but the limit); true when one of the fds is ready.
bool Worker::wait_ready(const ChannelEnd::Wait& a, const ChannelEnd::Wait& b, std::optional<Clock::duration> timeout) const {
    std::array<pollfd, 3> fds{{{control_.stop_fd(), POLLIN, 0}, {a.fd, a.events, 0}, {b.fd, b.events, 0}}};
    const auto to_limit = std::max<Clock::duration>(control_.deadline() - Clock::now(), Clock::duration::zero());
    const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::min(timeout.value_or(to_limit), to_limit)).count();
    const timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    const int r = ppoll(fds.data(), fds.size(), &ts, nullptr);  // poll skips an fd of -1
    return r > 0 && (fds[1].revents != 0 || fds[2].revents != 0);
}

void Worker::block(const Where& where, int64_t requested, int64_t done) {
    set_blocked_in(where, requested, done, 0);
    set_state(State::blocked);
}

void Worker::set_blocked_in(const Where& where, int64_t requested, int64_t done, int64_t duration_ns) {
    const std::string on = model::target_words(*endpoint_.scenario, endpoint_.endpoint, where.op, where.channel);
    std::lock_guard lock(probe_.mu);
    probe_.blocked = core::BlockedIn{where.op, where.index, where.at, requested, done, duration_ns, where.channel, on};
}

void Worker::set_state(State s) {
    const auto from = static_cast<State>(probe_.state.exchange(static_cast<int>(s)));
    if (from != s) control_.changed_state(from, s);
}

Worker::Flow Worker::fail(const std::string& why) {
    failed_ = true;
    std::lock_guard lock(probe_.mu);
    probe_.error = why;
    return Flow::failed;
}

}  // namespace tcpsim::measure
