// What a run's threads act on, as the simulator's channels: an endpoint's socket on a
// connection, a real pipe's end, an in-process queue. Each carries a stream of bytes that its
// reader checks against what its writer sent.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "core/result.hpp"
#include "measure/fd.hpp"

namespace tcpsim::measure {

constexpr size_t kChunkBytes = 1 << 16;  // bytes per write or read call

// Stream content: byte at offset o is letter o % 26, lower case for plain writes and
// upper case for derived writes (an upper-casing echo returns the input upper-cased).
char pattern_byte(int64_t offset, bool upper);
// The pattern from `offset`, at least kChunkBytes long: writers need no buffer of their own.
const char* pattern_at(int64_t offset, bool upper);

// One direction of bytes: a connection's one way, a pipe, an in-process queue. Its writers
// send the pattern from its offset under send_mu, so offsets stay exact with several writer
// threads; its readers check what they take under recv_mu.
struct Stream {
    std::string reader;         // who reads it, for the content error: "client", "proxy.server", "pipe stdout"
    bool expect_upper = false;  // its writer only echoes, so every byte is upper case
    std::mutex send_mu;         // writes are non-blocking, so holding it never blocks a reader
    int64_t send_offset = 0;
    std::mutex recv_mu;
    int64_t recv_offset = 0;
    std::string content_error;  // the first bad byte, guarded by recv_mu

    // Checks `n` bytes read at recv_offset (under recv_mu, before the offset moves).
    void check_content(const char* data, size_t n);
};

// One of an endpoint's channels as its threads use it. Every call is non-blocking: a thread
// told EAGAIN waits on write_wait() or read_wait() (and the run's stop).
class ChannelEnd {
public:
    struct Wait {
        int fd = -1;
        short events = 0;
    };

    ChannelEnd(Stream* out, Stream* in);
    ChannelEnd(const ChannelEnd&) = delete;
    ChannelEnd& operator=(const ChannelEnd&) = delete;
    virtual ~ChannelEnd() = default;

    Stream* out() const { return out_; }  // what it writes, if it writes
    Stream* in() const { return in_; }    // what it reads, if it reads

    // Bytes taken (> 0), or -1 with errno: EAGAIN while full, another when the write failed.
    virtual ssize_t write_some(const char* data, size_t len) = 0;
    // Bytes read (> 0), 0 at EOF, or -1 with errno: EAGAIN while empty.
    virtual ssize_t read_some(char* buffer, size_t len) = 0;
    virtual Wait write_wait() const = 0;
    virtual Wait read_wait() const = 0;
    // The shutdown op: no more writes (a socket's FIN, a pipe's or queue's writing end closed).
    virtual void shut_write() = 0;
    // The close op: a socket's both sides; a pipe's reader closes its reading end, a writer its
    // writing end; an in-process queue's writing end.
    virtual void close() = 0;
    // Its process exited: whatever end it holds is closed (a socket only shut, as the simulator does).
    virtual void close_at_exit() = 0;
    virtual bool write_closed() const = 0;  // a write now fails with write_error(0)
    virtual bool read_closed() const = 0;   // a read now fails
    // Why a write failed: closed (err 0), or the errno of the failed call.
    virtual std::string write_error(int err) const = 0;
    virtual std::string read_error(int err) const = 0;

    // Readable once its own endpoint closed its writing side: a writer blocked on it wakes to fail.
    int closed_fd() const { return closed_event_.fd; }

protected:
    void signal_closed() const;

private:
    Stream* out_;
    Stream* in_;
    Fd closed_event_;
};

// An endpoint's socket on one connection: real TCP.
class SocketEnd final : public ChannelEnd {
public:
    SocketEnd(int fd, Stream* out, Stream* in) : ChannelEnd(out, in), fd_(fd) {}
    int fd() const { return fd_; }

    ssize_t write_some(const char* data, size_t len) override;
    ssize_t read_some(char* buffer, size_t len) override;
    Wait write_wait() const override { return {fd_, POLLOUT}; }
    Wait read_wait() const override { return {fd_, POLLIN}; }
    void shut_write() override;
    void close() override;
    void close_at_exit() override { shut_write(); }
    bool write_closed() const override { return write_shut_; }
    bool read_closed() const override { return read_closed_; }
    std::string write_error(int err) const override;
    std::string read_error(int err) const override;

private:
    const int fd_;
    std::atomic<bool> write_shut_{false};
    std::atomic<bool> read_closed_{false};
};

// What a run reports of a pipe or an in-process queue at its end.
class ByteQueueRun {
public:
    virtual ~ByteQueueRun() = default;
    virtual core::ByteQueueReport report() const = 0;
};

// A real pipe (pipe2) between two endpoints' threads, its capacity set with F_SETPIPE_SZ,
// with what passed through it counted.
class Pipe final : public ByteQueueRun {
public:
    // `granted` says what the kernel made of the capacity asked for (it rounds up to a power
    // of two pages, and caps at fs.pipe-max-size unless privileged).
    Pipe(const std::string& name, int64_t capacity_bytes, std::string& granted);
    core::ByteQueueReport report() const override;
    int64_t capacity_bytes() const { return capacity_bytes_; }

    Stream stream;

private:
    friend class PipeWriter;
    friend class PipeReader;
    void count_written(int64_t bytes);

    std::string name_;
    Fd read_end_;
    Fd write_end_;
    int64_t capacity_bytes_ = 0;  // as granted
    std::atomic<int64_t> written_{0};
    std::atomic<int64_t> read_{0};
    std::atomic<int64_t> peak_{0};
    std::atomic<bool> writer_closed_{false};
    std::atomic<bool> reader_closed_{false};
};

// The writing process's end of a pipe.
class PipeWriter final : public ChannelEnd {
public:
    explicit PipeWriter(Pipe& pipe) : ChannelEnd(&pipe.stream, nullptr), pipe_(pipe) {}
    ssize_t write_some(const char* data, size_t len) override;
    ssize_t read_some(char*, size_t) override;
    Wait write_wait() const override;
    Wait read_wait() const override { return {}; }
    void shut_write() override { close(); }
    void close() override;
    void close_at_exit() override { close(); }
    bool write_closed() const override { return pipe_.writer_closed_; }
    bool read_closed() const override { return true; }
    std::string write_error(int err) const override;
    std::string read_error(int err) const override;

private:
    Pipe& pipe_;
};

// The reading process's end of a pipe.
class PipeReader final : public ChannelEnd {
public:
    explicit PipeReader(Pipe& pipe) : ChannelEnd(nullptr, &pipe.stream), pipe_(pipe) {}
    ssize_t write_some(const char*, size_t) override;
    ssize_t read_some(char* buffer, size_t len) override;
    Wait write_wait() const override { return {}; }
    Wait read_wait() const override;
    void shut_write() override {}  // the loader lets no reader shut a pipe
    void close() override;
    void close_at_exit() override { close(); }
    bool write_closed() const override { return true; }
    bool read_closed() const override { return pipe_.reader_closed_; }
    std::string write_error(int err) const override;
    std::string read_error(int err) const override;

private:
    Pipe& pipe_;
};

// A bounded byte queue between threads of one endpoint, blocking as the simulator's: a writer
// waits while it is full, a reader while it is empty, and a reader sees EOF once the writing
// end is closed and it is empty. It holds the bytes themselves, so its reader checks them.
// Waits are on two event fds kept readable exactly while a write (or a read) can go on.
class QueueEnd final : public ChannelEnd, public ByteQueueRun {
public:
    QueueEnd(const std::string& name, int64_t capacity_bytes);
    ssize_t write_some(const char* data, size_t len) override;
    ssize_t read_some(char* buffer, size_t len) override;
    Wait write_wait() const override { return {can_write_.fd, POLLIN}; }
    Wait read_wait() const override { return {can_read_.fd, POLLIN}; }
    void shut_write() override { close(); }
    void close() override;
    void close_at_exit() override { close(); }
    bool write_closed() const override;
    bool read_closed() const override { return false; }
    std::string write_error(int err) const override;
    std::string read_error(int err) const override;
    core::ByteQueueReport report() const override;

    Stream stream;

private:
    int64_t level() const { return written_ - read_; }
    void update_events();  // under mu_

    const std::string name_;
    const int64_t capacity_bytes_;
    mutable std::mutex mu_;
    std::string bytes_;  // bytes_[head_..] are held
    size_t head_ = 0;
    int64_t written_ = 0;
    int64_t read_ = 0;
    int64_t peak_ = 0;
    bool writer_closed_ = false;
    Fd can_write_;  // readable while there is room, or the writing end is closed
    Fd can_read_;   // readable while there are bytes, or the writing end is closed
    bool can_write_set_ = false;
    bool can_read_set_ = false;
};

}  // namespace tcpsim::measure
