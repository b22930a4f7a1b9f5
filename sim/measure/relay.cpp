#include "measure/relay.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <vector>

namespace tcpsim::measure {

namespace {

constexpr size_t kMaxPacketBytes = 65536;        // a tun device's largest packet
constexpr int64_t kLinkLimitBytes = 64 << 20;    // what one direction may hold in flight
constexpr int kReadsPerWake = 64;                // packets taken from a device before delivering again
constexpr int64_t kIdleWaitNs = 100'000'000;     // an idle relay still looks at its stop flag this often

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

struct Packet {
    int64_t due_ns;
    std::vector<char> bytes;
};

}  // namespace

PacketRelay::PacketRelay(std::array<int, 2> tun_fds, std::array<int64_t, 2> delay_ns, std::array<int64_t, 2> rate_bps)
    : fds_(tun_fds), wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), delay_ns_(delay_ns), rate_bps_(rate_bps) {
    thread_ = std::thread([this] { run(); });
}

PacketRelay::~PacketRelay() {
    stop_ = true;
    const uint64_t one = 1;
    if (wake_fd_ >= 0 && write(wake_fd_, &one, sizeof one) < 0) {}  // the idle wait ends the thread anyway
    thread_.join();
    for (const int fd : fds_) close(fd);
    if (wake_fd_ >= 0) close(wake_fd_);
}

std::string PacketRelay::error() const {
    std::lock_guard lock(error_mu_);
    return error_;
}

void PacketRelay::run() {
    const auto fail = [this](const std::string& why) {
        std::lock_guard lock(error_mu_);
        error_ = why;
    };
    // Direction h carries what host h sends: packets read from fds_[h], written to fds_[1 - h].
    // Each direction's packets leave in the order they came, so a FIFO per direction suffices.
    std::array<std::deque<Packet>, 2> in_flight;
    std::array<int64_t, 2> in_flight_bytes{0, 0};
    std::array<int64_t, 2> link_free_ns{0, 0};
    std::vector<char> buffer(kMaxPacketBytes);
    while (!stop_) {
        const int64_t now = now_ns();
        int64_t next_due_ns = now + kIdleWaitNs;
        for (int h = 0; h < 2; ++h) {
            std::deque<Packet>& q = in_flight[h];
            while (!q.empty() && q.front().due_ns <= now) {
                // A failed write loses the packet, as a link may; TCP retransmits it.
                if (write(fds_[1 - h], q.front().bytes.data(), q.front().bytes.size()) < 0) ++dropped_;
                in_flight_bytes[h] -= static_cast<int64_t>(q.front().bytes.size());
                q.pop_front();
            }
            if (!q.empty()) next_due_ns = std::min(next_due_ns, q.front().due_ns);
        }
        const int64_t wait_ns = std::max<int64_t>(0, next_due_ns - now);
        const timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000), static_cast<long>(wait_ns % 1'000'000'000)};
        pollfd polled[3] = {{fds_[0], POLLIN, 0}, {fds_[1], POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        if (ppoll(polled, 3, &timeout, nullptr) < 0) {
            if (errno == EINTR) continue;
            return fail(std::string("ppoll: ") + std::strerror(errno));
        }
        if (polled[2].revents != 0) return;
        for (int h = 0; h < 2; ++h) {
            if ((polled[h].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0)
                return fail("tun device " + std::to_string(h) + " is gone");  // else every wait would end at once
            if ((polled[h].revents & POLLIN) == 0) continue;
            for (int k = 0; k < kReadsPerWake; ++k) {
                const ssize_t n = read(fds_[h], buffer.data(), buffer.size());
                if (n <= 0) break;
                if (in_flight_bytes[h] + n > kLinkLimitBytes) {
                    ++dropped_;
                    continue;
                }
                // Serialized behind what the link is still sending, then delayed.
                const int64_t serialization_ns = rate_bps_[h] > 0 ? n * 8 * 1'000'000'000 / rate_bps_[h] : 0;
                link_free_ns[h] = std::max(now_ns(), link_free_ns[h]) + serialization_ns;
                in_flight[h].push_back(Packet{link_free_ns[h] + delay_ns_[h], std::vector<char>(buffer.begin(), buffer.begin() + n)});
                in_flight_bytes[h] += n;
            }
        }
    }
}

}  // namespace tcpsim::measure
