// --pcap: the simulated segments as a packet capture (pcap, nanosecond timestamps)
// that Wireshark's TCP analysis can read: zero windows, full windows, probes. One TCP stream per
// connection, each host with its own address; queues and pipes put nothing on a wire, so they
// are not in it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "core/model.hpp"

// libpcap's handle types, declared here so users of this header do not see <pcap.h>.
struct pcap;
struct pcap_dumper;

namespace tcpsim::views {

class PcapWriter : public core::Observer {
public:
    // Creates (truncates) the file at `path`; throws std::runtime_error "PATH: cannot open
    // for writing" when it cannot, or a one-line message naming a link whose MSS does not
    // fit in an IPv4 packet, or saying that the scenario has no connection to capture.
    PcapWriter(const std::string& path, const model::Scenario& scenario);
    ~PcapWriter() override;  // flushes and closes the file
    PcapWriter(const PcapWriter&) = delete;
    PcapWriter& operator=(const PcapWriter&) = delete;

    void on_event(const core::TraceEvent& event, std::span<const core::DirectionCounters> directions, std::span<const core::ByteQueueCounters> byte_queues) override;

private:
    struct PcapCloser {
        void operator()(pcap* handle) const;
    };
    struct DumperCloser {
        void operator()(pcap_dumper* dumper) const;
    };

    // One TCP segment from socket `from` (see core::Result::queues: connection from/2, its end
    // from%2; its peer is socket from^1); the sequence numbers are absolute.
    struct Segment {
        int from = 0;
        uint32_t seq = 0;
        uint32_t ack = 0;
        uint8_t flags = 0;
        uint16_t window = 0;  // already shifted by the sender's window scale
        int64_t payload_bytes = 0;
        std::vector<uint8_t> options;
    };

    void write_handshake(std::span<const core::DirectionCounters> directions);
    // A segment from socket `from` acknowledging `arrived_bytes` of the peer's stream and
    // offering `window_bytes` (before scaling).
    Segment segment_from(int from, int64_t seq_offset, int64_t arrived_bytes, int64_t window_bytes, uint8_t flags) const;
    void write(int64_t time_ns, const Segment& segment);

    // Members are destroyed in reverse order: the dumper (the file) closes before its handle.
    std::unique_ptr<pcap, PcapCloser> handle_;
    std::unique_ptr<pcap_dumper, DumperCloser> dumper_;
    std::vector<int> host_of_;                // per socket: its endpoint, which sets its address
    std::vector<int64_t> receive_mss_bytes_;  // per socket: the MSS it announces in its SYN
    std::vector<int> window_shift_;           // per socket: its window-scale shift
    std::vector<uint16_t> ip_id_;             // per endpoint: the next IP id of that host
    std::vector<bool> fin_sent_;              // per direction: the sender's FIN went out
    std::vector<bool> fin_arrived_;           // per direction: the FIN reached the receiver
    bool handshake_written_ = false;
    int64_t payload_seen_bytes_ = 0;  // all payload so far, captured in full or not
    std::vector<uint8_t> frame_;      // reused for every packet
};

}  // namespace tcpsim::views
