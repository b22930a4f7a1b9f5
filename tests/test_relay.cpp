// The packet relay that stands in for tc netem, driven over socket pairs instead of tun devices:
// it only reads, writes and waits, so no namespaces or root are needed here.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "measure/relay.hpp"

using namespace tcpsim;

namespace {

using Clock = std::chrono::steady_clock;

// Two packet "devices": the relay holds one end of each, the test the other.
struct Devices {
    std::array<int, 2> relay_ends{-1, -1};
    std::array<int, 2> host_ends{-1, -1};
    Devices() {
        for (int h = 0; h < 2; ++h) {
            int fds[2];
            REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, fds) == 0);
            relay_ends[h] = fds[0];
            host_ends[h] = fds[1];
        }
    }
    ~Devices() {  // the relay closes its own ends
        for (const int fd : host_ends)
            if (fd >= 0) close(fd);
    }
};

// Reads one packet from `fd`, waiting at most 5 s; returns its bytes (empty on time-out).
std::vector<char> receive(int fd) {
    std::vector<char> packet(2048);
    for (int i = 0; i < 5000; ++i) {
        const ssize_t n = read(fd, packet.data(), packet.size());
        if (n > 0) {
            packet.resize(static_cast<size_t>(n));
            return packet;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return {};
}

int64_t ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

}  // namespace

TEST_CASE("packet relay: each direction is delayed by its own link") {
    // The 50 ms direction is the first in one relay and the second in the other, so a relay
    // that swapped them, or gave both the same delay, fails one of the two.
    for (const int slow : {0, 1}) {
        CAPTURE(slow);
        Devices d;
        std::array<int64_t, 2> delay_ns{10'000'000, 10'000'000};
        delay_ns[slow] = 50'000'000;
        measure::PacketRelay relay(d.relay_ends, delay_ns, {0, 0});
        const char byte = 'x';
        const auto start = Clock::now();
        REQUIRE(write(d.host_ends[slow], &byte, 1) == 1);  // host `slow` sends
        const std::vector<char> got = receive(d.host_ends[1 - slow]);
        CHECK(got == std::vector<char>{'x'});
        CHECK(ms_since(start) >= 50);
        CHECK(relay.dropped() == 0);
        CHECK(relay.error().empty());
    }
}

TEST_CASE("packet relay: packets are serialized at the rate, in order") {
    // 20 packets of 1000 bytes at 1 Mbit/s need 8 ms each on the wire: 160 ms for the last.
    Devices d;
    measure::PacketRelay relay(d.relay_ends, {0, 0}, {1'000'000, 0});
    const auto start = Clock::now();
    for (char i = 0; i < 20; ++i) {
        const std::vector<char> packet(1000, i);
        REQUIRE(write(d.host_ends[0], packet.data(), packet.size()) == 1000);
    }
    for (char i = 0; i < 20; ++i) {
        const std::vector<char> got = receive(d.host_ends[1]);
        REQUIRE(got.size() == 1000);
        CHECK(got.front() == i);
    }
    CHECK(ms_since(start) >= 160);
}

TEST_CASE("packet relay: a device that goes away stops it, and it says why") {
    Devices d;
    measure::PacketRelay relay(d.relay_ends, {1'000'000, 1'000'000}, {0, 0});
    close(d.host_ends[1]);
    d.host_ends[1] = -1;
    for (int i = 0; i < 2000 && relay.error().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    CHECK(relay.error() == "tun device 1 is gone");
}
