// --pcap: the capture read back with libpcap, checked without Wireshark.
#include <doctest/doctest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "support.hpp"
#include "scenario/load.hpp"
#include "views/pcap.hpp"

using namespace tcpsim;
using test::run_builtin;

namespace {

constexpr size_t kEthernetBytes = 14;

std::string scenario_path(const std::string& name) { return std::string(TCPSIM_SOURCE_DIR) + "/scenarios/" + name; }

// A file of its own per test and process: doctest cases may run in parallel under CTest.
std::filesystem::path temp_pcap(const std::string& label) {
    return std::filesystem::temp_directory_path() /
           ("tcpsim_test_pcap_" + label + "_" + std::to_string(getpid()) + ".pcap");
}

struct Packet {
    int64_t time_ns = 0;
    uint32_t frame_bytes = 0;  // on the wire
    std::vector<uint8_t> bytes;  // as captured
    const uint8_t* ip() const { return bytes.data() + kEthernetBytes; }
    size_t ip_header_bytes() const { return static_cast<size_t>(ip()[0] & 0x0f) * 4; }
    const uint8_t* tcp() const { return ip() + ip_header_bytes(); }
    size_t tcp_header_bytes() const { return static_cast<size_t>(tcp()[12] >> 4) * 4; }
    uint16_t window() const { return static_cast<uint16_t>(tcp()[14] << 8 | tcp()[15]); }
    bool syn() const { return (tcp()[13] & 0x02) != 0; }
};

std::vector<Packet> read_capture(const std::filesystem::path& path) {
    char error[PCAP_ERRBUF_SIZE];
    pcap_t* handle = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, error);
    if (handle == nullptr) throw std::runtime_error(error);
    std::vector<Packet> packets;
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    while (pcap_next_ex(handle, &header, &data) == 1) {
        Packet p;
        p.time_ns = int64_t{header->ts.tv_sec} * 1'000'000'000 + header->ts.tv_usec;
        p.frame_bytes = header->len;
        p.bytes.assign(data, data + header->caplen);
        packets.push_back(std::move(p));
    }
    pcap_close(handle);
    return packets;
}

std::vector<char> file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// RFC 1071, written apart from the writer's: a block with its checksum in sums to 0xffff.
uint32_t sum_words(const uint8_t* data, size_t bytes, uint32_t sum) {
    for (size_t i = 0; i < bytes; ++i) sum += i % 2 == 0 ? uint32_t{data[i]} << 8 : data[i];
    return sum;
}

bool verifies(uint32_t sum) {
    while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

bool ip_checksum_ok(const Packet& p) { return verifies(sum_words(p.ip(), p.ip_header_bytes(), 0)); }

// The payload missing from a headers-only packet is zeros, which add nothing.
bool tcp_checksum_ok(const Packet& p) {
    const uint32_t ip_total = uint32_t{p.ip()[2]} << 8 | p.ip()[3];
    const uint32_t tcp_bytes = ip_total - static_cast<uint32_t>(p.ip_header_bytes());
    uint32_t sum = sum_words(p.ip() + 12, 8, 0) + 6 + tcp_bytes;  // pseudo-header
    const size_t captured = p.bytes.size() - kEthernetBytes - p.ip_header_bytes();
    return verifies(sum_words(p.tcp(), captured, sum));
}

// What the capture should hold, counted from the events.
struct PacketCounter : core::Observer {
    int segments = 0, acks = 0, probes = 0;
    std::vector<int64_t> windows_bytes;  // the window each packet offers, in event order
    void on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs, std::span<const core::ByteQueueCounters>) override {
        const int64_t own_window_bytes = dirs[1 - ev.endpoint].advertised;
        switch (ev.kind) {
            case core::TraceKind::segment_sent: ++segments; windows_bytes.push_back(own_window_bytes); break;
            case core::TraceKind::probe_sent: ++probes; windows_bytes.push_back(own_window_bytes); break;
            case core::TraceKind::ack_sent: ++acks; windows_bytes.push_back(ev.window); break;
            default: break;
        }
    }
};

PacketCounter write_capture(const std::string& scenario_file, const std::filesystem::path& out) {
    const scenario::Loaded loaded = scenario::load_file(scenario_path(scenario_file));
    PacketCounter counter;
    views::PcapWriter writer(out.string(), loaded.scenario);
    core::ObserverList both;
    both.add(&writer);
    both.add(&counter);
    run_builtin(loaded.scenario, &both);
    return counter;
}

}  // namespace

TEST_CASE("pcap of both-write-1500: one packet per segment, ACK and probe, checksums right, deterministic") {
    const auto path = temp_pcap("both"), again = temp_pcap("both_again");
    const PacketCounter counter = write_capture("both-write-1500.json", path);
    write_capture("both-write-1500.json", again);
    const std::vector<Packet> packets = read_capture(path);
    constexpr int kHandshakePackets = 3;
    CHECK(packets.size() == static_cast<size_t>(kHandshakePackets + counter.segments + counter.acks + counter.probes));
    CHECK(counter.segments > 0);
    CHECK(counter.acks > 0);
    for (size_t i = 0; i < packets.size(); ++i) {
        CAPTURE(i);
        CHECK(packets[i].bytes.size() == packets[i].frame_bytes);
        CHECK(ip_checksum_ok(packets[i]));
        CHECK(tcp_checksum_ok(packets[i]));
    }
    CHECK(file_bytes(path) == file_bytes(again));
    std::filesystem::remove(path);
    std::filesystem::remove(again);
}

TEST_CASE("pcap windows: the SYN's scale makes every window fit 16 bits, rounded down to the scale") {
    const auto path = temp_pcap("scale");
    const model::Scenario s = scenario::load_file(scenario_path("erle-uppercase-1gib.json")).scenario;
    const PacketCounter counter = write_capture("erle-uppercase-1gib.json", path);  // 256 KiB RecvQs
    const std::vector<Packet> packets = read_capture(path);
    constexpr size_t kHandshakePackets = 3;
    REQUIRE(packets.size() == kHandshakePackets + counter.windows_bytes.size());
    std::array<int, 2> shift{};
    for (int e = 0; e < 2; ++e) {
        const uint8_t* options = packets[e].tcp() + 20;  // MSS (4 bytes), NOP, window scale (3)
        REQUIRE((options[0] == 2 && options[4] == 1 && options[5] == 3));
        CHECK((options[2] << 8 | options[3]) == s.connections[0].links[1 - e].mss_bytes);  // the largest segment e receives
        shift[e] = options[7];
    }
    CHECK(shift[0] > 0);
    for (size_t i = kHandshakePackets; i < packets.size(); ++i) {
        CAPTURE(i);
        const int from = packets[i].ip()[15] == 1 ? 0 : 1;  // the last byte of 10.0.0.1 / 10.0.0.2
        const int64_t scaled_bytes = int64_t{packets[i].window()} << shift[from];
        const int64_t rounded_bytes = counter.windows_bytes[i - kHandshakePackets] >> shift[from] << shift[from];
        CHECK(scaled_bytes == rounded_bytes);
    }
    std::filesystem::remove(path);
}

TEST_CASE("pcap of a 1 GiB run: payload in full for the first 16 MiB, then headers only") {
    const auto path = temp_pcap("big");
    write_capture("erle-uppercase-1gib-threads.json", path);
    int64_t captured_payload_bytes = 0, wire_payload_bytes = 0;
    int bad_checksums = 0;
    for (const Packet& p : read_capture(path)) {
        const size_t header_bytes = kEthernetBytes + p.ip_header_bytes() + p.tcp_header_bytes();
        captured_payload_bytes += static_cast<int64_t>(p.bytes.size() - header_bytes);
        wire_payload_bytes += p.frame_bytes - static_cast<int64_t>(header_bytes);
        if (!tcp_checksum_ok(p)) ++bad_checksums;
    }
    CHECK(bad_checksums == 0);
    CHECK(captured_payload_bytes <= int64_t{16} << 20);
    CHECK(wire_payload_bytes >= int64_t{2} << 30);  // 1 GiB each way
    CHECK(std::filesystem::file_size(path) < uintmax_t{32} << 20);
    std::filesystem::remove(path);
}

TEST_CASE("pcap: a path that cannot be written, or an MSS too large for IPv4, is one clear error") {
    const scenario::Loaded loaded = scenario::load_file(scenario_path("both-write-1500.json"));
    const std::string path = "/nonexistent-dir/x.pcap";
    CHECK_THROWS_WITH_AS(views::PcapWriter(path, loaded.scenario), (path + ": cannot open for writing").c_str(),
                         std::runtime_error);
    const scenario::Loaded jumbo = scenario::load_file(scenario_path("both-write-1500.json"), {"link.mss=65535"});
    const auto unwritten = temp_pcap("jumbo");
    CHECK_THROWS_WITH_AS(views::PcapWriter(unwritten.string(), jumbo.scenario),
                         (unwritten.string() + ": the MSS from A (65535 bytes) does not fit in an IPv4 packet "
                                               "(at most 65495)").c_str(),
                         std::runtime_error);
    CHECK(!std::filesystem::exists(unwritten));
}
