// A link of tcpsim's own between two tun devices, for kernels without tc netem: IP packets
// read from one device are written to the other after the link's one-way delay, serialized
// at its rate. It only ever forwards between the two test hosts' devices.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace tcpsim::measure {

class PacketRelay {
public:
    // Takes the two tun devices' file descriptors (non-blocking; closed by the destructor), and
    // per direction (what device h's host sends) the one-way delay and the rate (0: no limit).
    PacketRelay(std::array<int, 2> tun_fds, std::array<int64_t, 2> delay_ns, std::array<int64_t, 2> rate_bps);
    ~PacketRelay();  // stops the relay thread and joins it
    PacketRelay(const PacketRelay&) = delete;
    PacketRelay& operator=(const PacketRelay&) = delete;

    // Packets lost: over the link's limit (never, for a TCP flow within it), or refused by a device.
    int64_t dropped() const { return dropped_.load(); }
    // Empty while it runs; why it stopped early (a device gone, a failed wait).
    std::string error() const;

private:
    void run();

    std::array<int, 2> fds_;
    int wake_fd_ = -1;  // an eventfd that ends the thread's wait when it must stop
    std::array<int64_t, 2> delay_ns_;
    std::array<int64_t, 2> rate_bps_;
    std::atomic<bool> stop_{false};
    std::atomic<int64_t> dropped_{0};
    mutable std::mutex error_mu_;
    std::string error_;
    std::thread thread_;
};

}  // namespace tcpsim::measure
