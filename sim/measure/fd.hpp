// A file descriptor owned by one object, closed when it goes; and errno in words.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace tcpsim::measure {

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

inline std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// Makes `fd` refer to /dev/null: what it referred to is released (a pipe's reader sees EOF, a
// socket is closed), while the number stays taken, so it is not reused under threads and the
// watchdog that still hold it.
void release_to_dev_null(int fd);

}  // namespace tcpsim::measure
