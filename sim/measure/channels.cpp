#include "measure/channels.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>

#include "measure/measure.hpp"
#include "measure/run_control.hpp"

namespace tcpsim::measure {

char pattern_byte(int64_t offset, bool upper) { return static_cast<char>((upper ? 'A' : 'a') + offset % 26); }

const char* pattern_at(int64_t offset, bool upper) {
    // One alphabet longer than a call, so that a call at any offset sends a slice of it.
    static const std::array<std::string, 2> texts = [] {
        std::array<std::string, 2> t;
        for (int u = 0; u < 2; ++u)
            for (size_t i = 0; i < kChunkBytes + 26; ++i) t[u].push_back(pattern_byte(static_cast<int64_t>(i), u == 1));
        return t;
    }();
    return texts[upper ? 1 : 0].data() + offset % 26;
}

void Stream::check_content(const char* data, size_t n) {
    if (!content_error.empty()) return;
    for (size_t i = 0; i < n; ++i) {
        const int64_t o = recv_offset + static_cast<int64_t>(i);
        const char c = data[i];
        const bool ok = c == pattern_byte(o, true) || (!expect_upper && c == pattern_byte(o, false));
        if (ok) continue;
        content_error = reader + " received byte " + std::to_string(o) + " = '" + std::string(1, c) + "', expected '" +
                        pattern_byte(o, true) + "'" +
                        (expect_upper ? " (the upper-cased input)" : " or '" + std::string(1, pattern_byte(o, false)) + "'");
        return;
    }
}

ChannelEnd::ChannelEnd(Stream* out, Stream* in) : out_(out), in_(in), closed_event_(make_event_fd()) {}

void ChannelEnd::signal_closed() const { signal_event(closed_event_.fd); }

// ------------------------------------------------------------------ sockets

ssize_t SocketEnd::write_some(const char* data, size_t len) { return ::send(fd_, data, len, MSG_DONTWAIT | MSG_NOSIGNAL); }

ssize_t SocketEnd::read_some(char* buffer, size_t len) { return ::recv(fd_, buffer, len, MSG_DONTWAIT); }

void SocketEnd::shut_write() {
    std::lock_guard lock(out()->send_mu);
    if (write_shut_.exchange(true)) return;
    ::shutdown(fd_, SHUT_WR);
    signal_closed();
}

// close(2) for real: with unread data the kernel resets the connection, as a real program's
// close does. A close marks the socket before it swaps the descriptor, so a socket still
// unmarked after a query of the kernel was a socket during it.
void SocketEnd::close() {
    std::scoped_lock lock(out()->send_mu, in()->recv_mu);
    write_shut_ = true;
    signal_closed();
    if (read_closed_.exchange(true)) return;
    release_to_dev_null(fd_);
}

std::string SocketEnd::write_error(int err) const {
    return err == 0 ? "write after shutdown (EPIPE)" : std::string("send: ") + std::strerror(err);
}

std::string SocketEnd::read_error(int err) const {
    return err == 0 ? "read after close (EBADF)" : std::string("recv: ") + std::strerror(err);
}

// ------------------------------------------------------------------ pipes

Pipe::Pipe(const std::string& name, int64_t capacity_bytes, std::string& granted) : name_(name) {
    std::array<int, 2> fds{};
    if (pipe2(fds.data(), O_NONBLOCK | O_CLOEXEC) != 0) throw MeasureError(errno_text("pipe " + name + ": pipe2"));
    read_end_ = Fd(fds[0]);
    write_end_ = Fd(fds[1]);
    stream.reader = "pipe " + name;
    const int asked = static_cast<int>(std::min<int64_t>(capacity_bytes, INT_MAX));
    const bool set = fcntl(write_end_.fd, F_SETPIPE_SZ, asked) >= 0;
    const std::string why_not = set ? "" : std::strerror(errno);
    capacity_bytes_ = fcntl(write_end_.fd, F_GETPIPE_SZ);
    if (capacity_bytes_ < 0) throw MeasureError(errno_text("pipe " + name + ": F_GETPIPE_SZ"));
    if (capacity_bytes_ == capacity_bytes) return;
    granted = "pipe " + name + ": capacity " + std::to_string(capacity_bytes) + " asked, the kernel granted " +
              std::to_string(capacity_bytes_) +
              (set ? " (F_SETPIPE_SZ rounds up to a power of two pages)"
                   : " (F_SETPIPE_SZ refused: " + why_not + "; fs.pipe-max-size caps it for an unprivileged process)");
}

void Pipe::count_written(int64_t bytes) {
    const int64_t level = (written_ += bytes) - read_;
    int64_t peak = peak_;
    // The counts lag the syscalls a little: a level above the capacity is one of them.
    const int64_t seen = std::min(level, capacity_bytes_);
    while (seen > peak && !peak_.compare_exchange_weak(peak, seen)) {}
}

core::ByteQueueReport Pipe::report() const {
    core::ByteQueueReport r;
    r.name = name_;
    r.pipe = true;
    r.capacity = capacity_bytes_;
    r.written = written_;
    r.read = read_;
    r.peak = peak_;
    r.writer_closed = writer_closed_;
    r.reader_closed = reader_closed_;
    // What the kernel holds, from the reading end; once the reader closed it, what was left unread.
    int level = 0;
    const bool asked = ioctl(read_end_.fd, FIONREAD, &level) == 0;
    r.level = asked && !reader_closed_ ? level : r.written - r.read;
    r.peak = std::max(r.peak, r.level);
    return r;
}

ssize_t PipeWriter::write_some(const char* data, size_t len) {
    // Under the stream's send_mu, as close() is: a closed end is /dev/null, which takes anything.
    if (pipe_.writer_closed_) {
        errno = EPIPE;
        return -1;
    }
    const ssize_t k = ::write(pipe_.write_end_.fd, data, len);
    if (k > 0) pipe_.count_written(k);
    return k;
}

ssize_t PipeWriter::read_some(char*, size_t) {
    errno = EBADF;
    return -1;
}

ChannelEnd::Wait PipeWriter::write_wait() const { return {pipe_.write_end_.fd, POLLOUT}; }

void PipeWriter::close() {
    std::lock_guard lock(pipe_.stream.send_mu);
    if (pipe_.writer_closed_.exchange(true)) return;
    release_to_dev_null(pipe_.write_end_.fd);
    signal_closed();
}

std::string PipeWriter::write_error(int err) const {
    if (err == 0 || (err == EPIPE && pipe_.writer_closed_)) return "write after close (EPIPE)";
    if (err == EPIPE) return "write to a pipe whose reader closed it (EPIPE)";
    return std::string("write: ") + std::strerror(err);
}

std::string PipeWriter::read_error(int) const { return "read from a pipe's writing end (EBADF)"; }

ssize_t PipeReader::write_some(const char*, size_t) {
    errno = EBADF;
    return -1;
}

ssize_t PipeReader::read_some(char* buffer, size_t len) {
    // Under the stream's recv_mu, as close() is: a closed end is /dev/null, which reads as EOF.
    if (pipe_.reader_closed_) {
        errno = EBADF;
        return -1;
    }
    const ssize_t k = ::read(pipe_.read_end_.fd, buffer, len);
    if (k > 0) pipe_.read_ += k;
    return k;
}

ChannelEnd::Wait PipeReader::read_wait() const { return {pipe_.read_end_.fd, POLLIN}; }

void PipeReader::close() {
    std::lock_guard lock(pipe_.stream.recv_mu);
    if (pipe_.reader_closed_.exchange(true)) return;
    release_to_dev_null(pipe_.read_end_.fd);
    signal_closed();
}

std::string PipeReader::write_error(int) const { return "write to a pipe's reading end (EBADF)"; }

std::string PipeReader::read_error(int err) const {
    if (err == 0 || (err == EBADF && pipe_.reader_closed_)) return "read after close (EBADF)";
    return std::string("read: ") + std::strerror(err);
}

// ------------------------------------------------------------------ in-process queues

QueueEnd::QueueEnd(const std::string& name, int64_t capacity_bytes)
    : ChannelEnd(&stream, &stream), name_(name), capacity_bytes_(capacity_bytes), can_write_(make_event_fd()),
      can_read_(make_event_fd()) {
    stream.reader = "queue " + name;
    std::lock_guard lock(mu_);
    update_events();
}

// Each event fd is readable exactly while its condition holds: set when it starts to, drained
// when it stops. A waiter that wakes to find another thread took the room (or the bytes) first
// finds the fd drained and waits again.
void QueueEnd::update_events() {
    const auto keep = [](const Fd& fd, bool& set, bool want) {
        if (want == set) return;
        if (want) {
            signal_event(fd.fd);
        } else {
            uint64_t value = 0;
            if (::read(fd.fd, &value, sizeof value) < 0) {}  // a set event fd always reads
        }
        set = want;
    };
    keep(can_write_, can_write_set_, level() < capacity_bytes_ || writer_closed_);
    keep(can_read_, can_read_set_, level() > 0 || writer_closed_);
}

ssize_t QueueEnd::write_some(const char* data, size_t len) {
    std::lock_guard lock(mu_);
    if (writer_closed_) {
        errno = EPIPE;
        return -1;
    }
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(len), capacity_bytes_ - level());
    if (n == 0) {
        errno = EAGAIN;
        return -1;
    }
    bytes_.append(data, static_cast<size_t>(n));
    written_ += n;
    peak_ = std::max(peak_, level());
    update_events();
    return n;
}

ssize_t QueueEnd::read_some(char* buffer, size_t len) {
    std::lock_guard lock(mu_);
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(len), level());
    if (n == 0) {
        if (writer_closed_) return 0;
        errno = EAGAIN;
        return -1;
    }
    std::memcpy(buffer, bytes_.data() + head_, static_cast<size_t>(n));
    head_ += static_cast<size_t>(n);
    read_ += n;
    // Drop what was read once it is most of the buffer: each byte is moved at most once more.
    if (head_ * 2 >= bytes_.size()) {
        bytes_.erase(0, head_);
        head_ = 0;
    }
    update_events();
    return n;
}

void QueueEnd::close() {
    std::lock_guard lock(mu_);
    writer_closed_ = true;
    update_events();
    signal_closed();
}

bool QueueEnd::write_closed() const {
    std::lock_guard lock(mu_);
    return writer_closed_;
}

std::string QueueEnd::write_error(int) const { return "write after close (EPIPE)"; }

std::string QueueEnd::read_error(int err) const { return std::string("read: ") + std::strerror(err); }

core::ByteQueueReport QueueEnd::report() const {
    std::lock_guard lock(mu_);
    core::ByteQueueReport r;
    r.name = name_;
    r.pipe = false;
    r.level = level();
    r.capacity = capacity_bytes_;
    r.peak = peak_;
    r.written = written_;
    r.read = read_;
    r.writer_closed = writer_closed_;
    return r;
}

}  // namespace tcpsim::measure
