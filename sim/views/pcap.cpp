#include "views/pcap.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <stdexcept>

namespace tcpsim::views {

namespace {

constexpr int kSnapLenBytes = 262144;  // a 65535-byte IP packet plus its Ethernet header fits whole
// The first 16 MiB of payload are captured in full, so the capture of a short run is
// complete; after that only the headers are (caplen = header bytes, len = the frame's
// bytes), so a 1 GiB run does not write a 1 GiB file. The payload is all zero bytes,
// which add nothing to a checksum: checksums are right for truncated packets too.
constexpr int64_t kFullPayloadBudgetBytes = int64_t{16} << 20;

constexpr size_t kEthernetBytes = 14;
constexpr size_t kIpv4Bytes = 20;
constexpr size_t kTcpBytes = 20;
constexpr int64_t kMaxIpv4TotalBytes = 65535;  // the 16-bit total length field
constexpr int64_t kMaxPayloadBytes = kMaxIpv4TotalBytes - int64_t{kIpv4Bytes + kTcpBytes};
constexpr int64_t kMaxUnscaledWindowBytes = 65535;
constexpr int kMaxWindowShift = 14;  // RFC 7323 2.3

// Private addresses: the capture is written to a file, nothing is sent. Endpoint e is host
// 10.0.x.y with MAC 02:00:00:00:x:y, x.y = e + 1 (so 10.0.0.1 and 10.0.0.2 for two endpoints).
uint32_t ipv4_of(int endpoint) { return 0x0a000000u + static_cast<uint32_t>(endpoint + 1); }
std::array<uint8_t, 6> mac_of(int endpoint) {
    const uint32_t host = static_cast<uint32_t>(endpoint + 1);
    return {2, 0, 0, 0, static_cast<uint8_t>(host >> 8), static_cast<uint8_t>(host)};
}
// Connection k's first end uses port 40000 + k, its second 50000 + k. Not 5000: Wireshark decodes
// it as GSM-over-IP (RSL) and calls the zero payload malformed; 40000 and up are in the dynamic
// range, which no dissector claims.
constexpr std::array<uint16_t, 2> kPort{40000, 50000};
constexpr std::array<uint32_t, 2> kIsn{1000, 5000};
// Ports stay below 60000, the start of the range Wireshark guesses as other protocols.
constexpr size_t kMaxConnections = 10000;

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10;

void put16(uint8_t* at, uint32_t value) {
    at[0] = static_cast<uint8_t>(value >> 8);
    at[1] = static_cast<uint8_t>(value);
}

void put32(uint8_t* at, uint32_t value) {
    put16(at, value >> 16);
    put16(at + 2, value & 0xffff);
}

// The one's-complement sum of big-endian 16-bit words (RFC 1071), not yet folded.
uint32_t word_sum(const uint8_t* data, size_t bytes, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < bytes; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
    if (bytes % 2 == 1) sum += static_cast<uint32_t>(data[bytes - 1] << 8);
    return sum;
}

uint16_t checksum_of(uint32_t sum) {
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

// The smallest shift that lets the largest window this endpoint may offer fit 16 bits.
int window_shift_for(int64_t max_window_bytes) {
    int shift = 0;
    while (shift < kMaxWindowShift && (max_window_bytes >> shift) > kMaxUnscaledWindowBytes) ++shift;
    return shift;
}

// MSS, then NOP + window scale: 8 bytes keep the TCP header a multiple of 4.
std::vector<uint8_t> syn_options(int64_t mss_bytes, int window_shift) {
    std::vector<uint8_t> options{2, 4, 0, 0, 1, 3, 3, static_cast<uint8_t>(window_shift)};
    put16(&options[2], static_cast<uint32_t>(mss_bytes));
    return options;
}

void put_ethernet(uint8_t* at, int from_host, int to_host) {
    const std::array<uint8_t, 6> to = mac_of(to_host), from = mac_of(from_host);
    std::copy(to.begin(), to.end(), at);
    std::copy(from.begin(), from.end(), at + 6);
    put16(at + 12, 0x0800);  // IPv4
}

void put_ipv4(uint8_t* at, int from_host, int to_host, int64_t total_bytes, uint16_t id) {
    at[0] = 0x45;  // version 4, 5 words of header
    put16(at + 2, static_cast<uint32_t>(total_bytes));
    put16(at + 4, id);
    put16(at + 6, 0x4000);  // don't fragment
    at[8] = 64;             // TTL
    at[9] = 6;              // TCP
    put32(at + 12, ipv4_of(from_host));
    put32(at + 16, ipv4_of(to_host));
    put16(at + 10, checksum_of(word_sum(at, kIpv4Bytes)));
}

// The pseudo-header's sum (RFC 9293 3.1) for a segment of `tcp_bytes` between two hosts.
uint32_t pseudo_header_sum(int from_host, int to_host, int64_t tcp_bytes) {
    std::array<uint8_t, 12> pseudo{};
    put32(&pseudo[0], ipv4_of(from_host));
    put32(&pseudo[4], ipv4_of(to_host));
    pseudo[9] = 6;
    put16(&pseudo[10], static_cast<uint32_t>(tcp_bytes));
    return word_sum(pseudo.data(), pseudo.size());
}

}  // namespace

void PcapWriter::PcapCloser::operator()(pcap* handle) const { pcap_close(handle); }
void PcapWriter::DumperCloser::operator()(pcap_dumper* dumper) const { pcap_dump_close(dumper); }

PcapWriter::PcapWriter(const std::string& path, const model::Scenario& scenario) {
    if (scenario.connections.empty())
        throw std::runtime_error(path + ": this scenario has no TCP connection, so there is nothing to capture "
                                        "(queues and pipes are not in captures)");
    if (scenario.connections.size() > kMaxConnections)
        throw std::runtime_error(path + ": a capture gives each connection its own ports, at most " +
                                 std::to_string(kMaxConnections) + " connections (this scenario has " +
                                 std::to_string(scenario.connections.size()) + ")");
    for (const model::Connection& c : scenario.connections) {
        for (int side = 0; side < 2; ++side) {
            const int e = c.ends[static_cast<size_t>(side)];
            host_of_.push_back(e);
            // An endpoint announces the largest segment it receives: the peer's link MSS.
            receive_mss_bytes_.push_back(c.links[static_cast<size_t>(1 - side)].mss_bytes);
            if (c.links[static_cast<size_t>(side)].mss_bytes > kMaxPayloadBytes)
                throw std::runtime_error(path + ": the MSS from " + scenario.endpoints[static_cast<size_t>(e)].name +
                                         " (" + std::to_string(c.links[static_cast<size_t>(side)].mss_bytes) +
                                         " bytes) does not fit in an IPv4 packet (at most " +
                                         std::to_string(kMaxPayloadBytes) + ")");
        }
    }
    window_shift_.assign(host_of_.size(), 0);
    ip_id_.assign(scenario.endpoints.size(), 0);
    fin_sent_.assign(host_of_.size(), false);
    fin_arrived_.assign(host_of_.size(), false);
    handle_.reset(pcap_open_dead_with_tstamp_precision(DLT_EN10MB, kSnapLenBytes, PCAP_TSTAMP_PRECISION_NANO));
    if (handle_) dumper_.reset(pcap_dump_open(handle_.get(), path.c_str()));
    if (!dumper_) throw std::runtime_error(path + ": cannot open for writing");
}

PcapWriter::~PcapWriter() = default;

void PcapWriter::on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters> dirs, std::span<const core::ByteQueueCounters>) {
    if (!handshake_written_) write_handshake(dirs);
    if (ev.direction < 0) return;  // timers and application calls put nothing on the wire
    // Socket s sends direction s and receives direction s^1. A sender's events are on the
    // direction it sends; a receiver's (segment_received, ack_sent) on the one it receives.
    const int d = ev.direction;
    switch (ev.kind) {
        case core::TraceKind::segment_sent: {
            Segment segment = segment_from(d, ev.seq, dirs[d ^ 1].arrived, dirs[d ^ 1].advertised,
                                           ev.fin ? kAck | kFin : kAck | kPsh);
            segment.payload_bytes = ev.length;
            write(ev.time_ns, segment);
            if (ev.fin) fin_sent_[d] = true;
            break;
        }
        case core::TraceKind::segment_received:
            if (ev.fin) fin_arrived_[d] = true;
            break;
        case core::TraceKind::ack_sent: {
            const int from = d ^ 1;
            write(ev.time_ns, segment_from(from, dirs[from].sent + (fin_sent_[from] ? 1 : 0), ev.seq, ev.window, kAck));
            break;
        }
        case core::TraceKind::probe_sent:
            // Linux's tcp_xmit_probe_skb: no payload, one byte below snd_nxt, so the receiver
            // must answer with an ACK that carries its current window.
            write(ev.time_ns, segment_from(d, ev.seq - 1, dirs[d ^ 1].arrived, dirs[d ^ 1].advertised, kAck));
            break;
        default:
            break;  // timers and application calls put nothing on the wire
    }
}

// At t=0, before the first event, each connection's SYN, SYN-ACK, ACK. The windows of the
// first event are the initial ones; a window is at most the RecvQ capacity, which sets the scale.
void PcapWriter::write_handshake(std::span<const core::DirectionCounters> dirs) {
    handshake_written_ = true;
    for (size_t s = 0; s < window_shift_.size(); ++s) window_shift_[s] = window_shift_for(dirs[s ^ 1].recvq_capacity);
    for (int first = 0; first < static_cast<int>(window_shift_.size()); first += 2) {
        for (int side = 0; side < 2; ++side) {
            const int s = first + side;
            Segment syn;
            syn.from = s;
            syn.seq = kIsn[static_cast<size_t>(side)];
            syn.ack = side == 0 ? 0 : kIsn[0] + 1;
            syn.flags = side == 0 ? kSyn : kSyn | kAck;
            // RFC 7323 2.2: the window of a SYN is never scaled.
            syn.window = static_cast<uint16_t>(std::min(dirs[static_cast<size_t>(s ^ 1)].advertised, kMaxUnscaledWindowBytes));
            syn.options = syn_options(receive_mss_bytes_[static_cast<size_t>(s)], window_shift_[static_cast<size_t>(s)]);
            write(0, syn);
        }
        write(0, segment_from(first, 0, 0, dirs[static_cast<size_t>(first + 1)].advertised, kAck));
    }
}

PcapWriter::Segment PcapWriter::segment_from(int from, int64_t seq_offset, int64_t arrived_bytes,
                                             int64_t window_bytes, uint8_t flags) const {
    const int to = from ^ 1;
    Segment segment;
    segment.from = from;
    // Sequence numbers wrap modulo 2^32, as on the wire.
    segment.seq = kIsn[static_cast<size_t>(from % 2)] + 1 + static_cast<uint32_t>(seq_offset);
    segment.ack = kIsn[static_cast<size_t>(to % 2)] + 1 + static_cast<uint32_t>(arrived_bytes) +
                  (fin_arrived_[static_cast<size_t>(to)] ? 1 : 0);
    segment.flags = flags;
    segment.window = static_cast<uint16_t>(window_bytes >> window_shift_[static_cast<size_t>(from)]);
    return segment;
}

void PcapWriter::write(int64_t time_ns, const Segment& segment) {
    const size_t tcp_header_bytes = kTcpBytes + segment.options.size();
    const size_t header_bytes = kEthernetBytes + kIpv4Bytes + tcp_header_bytes;
    const int64_t tcp_bytes = static_cast<int64_t>(tcp_header_bytes) + segment.payload_bytes;
    const int64_t frame_bytes = static_cast<int64_t>(header_bytes) + segment.payload_bytes;
    payload_seen_bytes_ += segment.payload_bytes;
    const int64_t captured_bytes = payload_seen_bytes_ <= kFullPayloadBudgetBytes
                                       ? std::min<int64_t>(frame_bytes, kSnapLenBytes)
                                       : static_cast<int64_t>(header_bytes);
    frame_.assign(static_cast<size_t>(captured_bytes), 0);

    uint8_t* ip = frame_.data() + kEthernetBytes;
    uint8_t* tcp = ip + kIpv4Bytes;
    const int from_host = host_of_[static_cast<size_t>(segment.from)];
    const int to_host = host_of_[static_cast<size_t>(segment.from ^ 1)];
    const uint32_t connection = static_cast<uint32_t>(segment.from / 2);
    put_ethernet(frame_.data(), from_host, to_host);
    put_ipv4(ip, from_host, to_host, static_cast<int64_t>(kIpv4Bytes) + tcp_bytes, ip_id_[static_cast<size_t>(from_host)]++);
    put16(tcp, kPort[static_cast<size_t>(segment.from % 2)] + connection);
    put16(tcp + 2, kPort[static_cast<size_t>(1 - segment.from % 2)] + connection);
    put32(tcp + 4, segment.seq);
    put32(tcp + 8, segment.ack);
    tcp[12] = static_cast<uint8_t>(tcp_header_bytes / 4 << 4);  // data offset in 32-bit words
    tcp[13] = segment.flags;
    put16(tcp + 14, segment.window);
    std::copy(segment.options.begin(), segment.options.end(), tcp + kTcpBytes);
    // The zero payload adds nothing to the sum; its length counts in the pseudo-header.
    const uint32_t sum = word_sum(tcp, tcp_header_bytes, pseudo_header_sum(from_host, to_host, tcp_bytes));
    put16(tcp + 16, checksum_of(sum));

    pcap_pkthdr header{};
    header.ts.tv_sec = time_ns / 1'000'000'000;
    header.ts.tv_usec = time_ns % 1'000'000'000;  // nanoseconds: the handle's precision is nano
    header.caplen = static_cast<bpf_u_int32>(captured_bytes);
    header.len = static_cast<bpf_u_int32>(frame_bytes);
    pcap_dump(reinterpret_cast<u_char*>(dumper_.get()), &header, frame_.data());
}

}  // namespace tcpsim::views
