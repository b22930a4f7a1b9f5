// The validated scenario as plain structs: what the simulator runs.
// No JSON here; sim/scenario builds these from files and checks every field.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tcpsim::model {

enum class Profile { textbook, linux };

// A derived size: bytes = last_read * num / den, rounded down (integers only,
// so no floating point decides a byte count).
struct Ratio {
    int64_t num = 1;
    int64_t den = 1;
};

// floor(bytes * ratio), computed without overflow.
int64_t apply_ratio(int64_t bytes, Ratio ratio);

enum class OpKind {
    write,        // blocks until all bytes are in the SendQ (sendall / Java write)
    send,         // blocks until at least one byte is copied, copies what fits
    read,         // blocks until >= 1 byte or EOF, takes up to `bytes`
    read_exact,   // blocks until `bytes` bytes or EOF
    read_to_end,  // reads until EOF
    shutdown,     // shuts the write side: FIN once the SendQ drains
    close,        // shutdown + no more reads by this endpoint
    sleep,        // waits duration_ns of simulated time
    repeat,       // body `count` times, or until a read in it returns EOF
    event_loop,   // non-blocking selector: writes write_total, reads to EOF
};

// write and send: the ops that copy bytes into the SendQ and block while it is full.
inline bool is_write(OpKind kind) { return kind == OpKind::write || kind == OpKind::send; }

// The name an op has in scenario files and reports ("write", "read_exact", ...).
const char* op_name(OpKind kind);
// The op with that name, if any.
std::optional<OpKind> op_kind_named(std::string_view name);

struct Op {
    OpKind kind = OpKind::write;
    int64_t bytes = 0;                // write/send/read/read_exact; 0 for a derived write
    std::optional<Ratio> ratio;       // write/send only: size derived from the last read
    int64_t duration_ns = 0;          // sleep
    int64_t count = 0;                // repeat: iterations; ignored when until_eof
    bool until_eof = false;           // repeat
    std::vector<Op> body;             // repeat
    // event_loop: write `write_total` in chunks of `write_chunk`, read in chunks of
    // `read_chunk`, shut down the write side when the total is written if `shutdown_when_done`.
    int64_t write_total = 0;
    int64_t write_chunk = 0;
    int64_t read_chunk = 0;
    bool shutdown_when_done = true;
};

struct Thread {
    std::string name;
    std::vector<Op> ops;
};

struct Endpoint {
    std::string name;
    // textbook: exact capacities in bytes. linux: the values passed to
    // setsockopt(SO_SNDBUF/SO_RCVBUF); absent means the kernel's defaults.
    std::optional<int64_t> sqs_bytes;
    std::optional<int64_t> rqs_bytes;
    std::vector<Thread> threads;
};

struct Link {
    int64_t bandwidth_bps = 0;  // bits per second
    int64_t delay_ns = 0;       // one-way propagation delay
    int64_t mss_bytes = 0;      // payload bytes per segment
    bool operator==(const Link&) const = default;
};

// Where a run stops if it has not ended by itself. These defaults are the one source for a
// scenario without a "limits" block and for every scenario built in code.
struct Limits {
    int64_t time_ns = int64_t{3600} * 1'000'000'000;  // one hour of simulated time
    int64_t events = 1'000'000'000;
};

struct Scenario {
    std::string name;
    std::string description;
    Profile profile = Profile::textbook;
    std::array<Endpoint, 2> endpoints;
    // links[0] carries endpoints[0] -> endpoints[1], links[1] the reverse.
    std::array<Link, 2> links;
    Limits limits;
};

}  // namespace tcpsim::model
