// A run as a packet trace, for tests that assert the exact segments and ACKs around a rule
// (as smoltcp's TCP tests assert the exact segment that comes out). A failing comparison
// prints both traces in the builders' own syntax, so the actual one reads like the expected.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <ostream>
#include <vector>

#include "core/engine.hpp"

namespace tcpsim::test {

// The endpoint an event happens at: a segment or probe at its sender, an ACK at the receiver
// that sends it, an op event at the thread's endpoint.
inline constexpr int A = 0;
inline constexpr int B = 1;

// One event of the trace. Segments and probes: seq is the first byte, length the payload.
// ACKs: seq is the ACK number, window the advertised window. Op events: length is the bytes
// the op moved so far.
struct TraceLine {
    int64_t time_ns = 0;
    core::TraceKind kind = core::TraceKind::segment_sent;
    int endpoint = A;
    int64_t seq = 0;
    int64_t length = 0;
    int64_t window = 0;
    bool fin = false;
    bool operator==(const TraceLine&) const = default;
};
using Trace = std::vector<TraceLine>;

inline TraceLine segment(int64_t time_ns, int endpoint, int64_t seq, int64_t length) {
    return {time_ns, core::TraceKind::segment_sent, endpoint, seq, length, 0, false};
}
inline TraceLine fin_segment(int64_t time_ns, int endpoint, int64_t seq, int64_t length) {
    return {time_ns, core::TraceKind::segment_sent, endpoint, seq, length, 0, true};
}
inline TraceLine ack(int64_t time_ns, int endpoint, int64_t ack_seq, int64_t window) {
    return {time_ns, core::TraceKind::ack_sent, endpoint, ack_seq, 0, window, false};
}
inline TraceLine probe(int64_t time_ns, int endpoint, int64_t seq) {
    return {time_ns, core::TraceKind::probe_sent, endpoint, seq, 0, 0, false};
}
inline TraceLine op_start(int64_t time_ns, int endpoint, int64_t done_bytes) {
    return {time_ns, core::TraceKind::op_start, endpoint, 0, done_bytes, 0, false};
}
inline TraceLine op_block(int64_t time_ns, int endpoint, int64_t done_bytes) {
    return {time_ns, core::TraceKind::op_block, endpoint, 0, done_bytes, 0, false};
}
inline TraceLine op_return(int64_t time_ns, int endpoint, int64_t done_bytes) {
    return {time_ns, core::TraceKind::op_return, endpoint, 0, done_bytes, 0, false};
}

// A number as a C++ literal with digit separators (41'001'040), so times read in groups.
inline void print_grouped(std::ostream& os, int64_t value) {
    if (value < 0) {
        os << '-';
        value = -value;
    }
    if (value >= 1000) {
        print_grouped(os, value / 1000);
        const int64_t rest = value % 1000;
        os << '\'' << (rest < 100 ? "0" : "") << (rest < 10 ? "0" : "") << rest;
        return;
    }
    os << value;
}

inline std::ostream& operator<<(std::ostream& os, const TraceLine& line) {
    const char* endpoint = line.endpoint == A ? "A" : "B";
    const auto time = [&] { print_grouped(os, line.time_ns); };
    switch (line.kind) {
        case core::TraceKind::segment_sent:
            os << (line.fin ? "fin_segment(" : "segment(");
            time();
            return os << ", " << endpoint << ", " << line.seq << ", " << line.length << ")";
        case core::TraceKind::ack_sent:
            os << "ack(";
            time();
            return os << ", " << endpoint << ", " << line.seq << ", " << line.window << ")";
        case core::TraceKind::probe_sent:
            os << "probe(";
            time();
            return os << ", " << endpoint << ", " << line.seq << ")";
        case core::TraceKind::op_start:
        case core::TraceKind::op_block:
        case core::TraceKind::op_return:
            os << to_string(line.kind) << "(";
            time();
            return os << ", " << endpoint << ", " << line.length << ")";
        default:
            os << to_string(line.kind) << "(";
            time();
            return os << ", " << endpoint << ", seq " << line.seq << ", length " << line.length << ")";
    }
}

inline std::ostream& operator<<(std::ostream& os, const Trace& trace) {
    os << "{\n";
    for (const TraceLine& line : trace) os << "    " << line << ",\n";
    return os << "}";
}

// Keeps the segments, probes and ACKs sent, and the start, block and return of each op.
class TraceRecorder : public core::Observer {
public:
    static constexpr int64_t kEnd = std::numeric_limits<int64_t>::max();

    void on_event(const core::TraceEvent& ev, std::span<const core::DirectionCounters>, std::span<const core::ByteQueueCounters>) override {
        switch (ev.kind) {
            case core::TraceKind::segment_sent:
            case core::TraceKind::ack_sent:
            case core::TraceKind::probe_sent:
                lines_.push_back({ev.time_ns, ev.kind, ev.endpoint, ev.seq, ev.length, ev.window, ev.fin});
                break;
            case core::TraceKind::op_start:
            case core::TraceKind::op_block:
            case core::TraceKind::op_return:
                lines_.push_back({ev.time_ns, ev.kind, ev.endpoint, 0, ev.length, 0, false});
                break;
            default: break;
        }
    }

    // The segments, probes and ACKs sent in [from_ns, to_ns].
    Trace packets(int64_t from_ns = 0, int64_t to_ns = kEnd) const {
        return select(from_ns, to_ns, [](const TraceLine& l) { return is_packet(l.kind); });
    }
    // The events of one kind in [from_ns, to_ns].
    Trace of_kind(core::TraceKind kind, int64_t from_ns = 0, int64_t to_ns = kEnd) const {
        return select(from_ns, to_ns, [kind](const TraceLine& l) { return l.kind == kind; });
    }
    // The op events of one endpoint's threads in [from_ns, to_ns].
    Trace ops(int endpoint, int64_t from_ns = 0, int64_t to_ns = kEnd) const {
        return select(from_ns, to_ns, [endpoint](const TraceLine& l) { return !is_packet(l.kind) && l.endpoint == endpoint; });
    }

private:
    static bool is_packet(core::TraceKind kind) {
        return kind == core::TraceKind::segment_sent || kind == core::TraceKind::ack_sent ||
               kind == core::TraceKind::probe_sent;
    }

    template <typename Keep>
    Trace select(int64_t from_ns, int64_t to_ns, Keep keep) const {
        Trace out;
        for (const TraceLine& l : lines_)
            if (l.time_ns >= from_ns && l.time_ns <= to_ns && keep(l)) out.push_back(l);
        return out;
    }

    Trace lines_;
};

}  // namespace tcpsim::test
