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
    // write/send/read/read_exact: sizes taken in turn, one per iteration of the innermost loop
    // around the op (its iteration i uses sizes[i % size]); empty: `bytes` every time.
    std::vector<int64_t> sizes;
    std::optional<Ratio> ratio;       // write/send only: size derived from the last read
    // What the op acts on: an index into its endpoint's channels (0 when it has just one socket).
    int channel = 0;
    int64_t duration_ns = 0;          // sleep; repeat: run iterations while less than this has passed
    int64_t count = 0;                // repeat: iterations; 0 when until_eof or bounded by duration_ns
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

// One socket's buffer sizes. textbook: exact capacities in bytes. linux: the values passed to
// setsockopt(SO_SNDBUF/SO_RCVBUF); absent means the kernel's defaults.
struct SocketSizes {
    std::optional<int64_t> sqs_bytes;
    std::optional<int64_t> rqs_bytes;
};

// What a thread's op can act on: its endpoint's socket on a connection, or a byte queue
// (an in-process queue or a pipe) that the endpoint writes or reads.
struct Channel {
    enum class Kind : uint8_t { socket, byte_queue };
    Kind kind = Kind::socket;
    int index = 0;     // into Scenario::connections or Scenario::byte_queues
    std::string name;  // what ops call it: the peer endpoint's name, or the queue's or pipe's
};

struct Endpoint {
    std::string name;
    std::vector<Thread> threads;
    std::vector<Channel> channels;  // Op::channel indexes this
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

// A TCP connection between two endpoints, each with its own socket.
struct Connection {
    std::array<int, 2> ends = {0, 1};  // indices into Scenario::endpoints
    // links[0] carries ends[0] -> ends[1], links[1] the reverse.
    std::array<Link, 2> links;
    std::array<SocketSizes, 2> sizes;  // sizes[i]: the socket of ends[i]
};

// A bounded byte queue with no window and no link: bytes move at once, the capacity is exact.
// An in-process queue joins threads of one endpoint (writer == reader); a pipe joins two.
// The capacity of an "unbounded" in-process queue: no program comes near it, and sums of it stay
// far from overflow.
inline constexpr int64_t kUnboundedQueueBytes = int64_t{1} << 62;

struct ByteQueue {
    std::string name;
    bool pipe = false;
    int writer = 0;  // the endpoint that writes into it
    int reader = 0;  // the endpoint that reads from it
    int64_t capacity_bytes = 0;
};

struct Scenario {
    std::string name;
    std::string description;
    Profile profile = Profile::textbook;
    std::vector<Endpoint> endpoints;
    std::vector<Connection> connections;
    std::vector<ByteQueue> byte_queues;
    Limits limits;
};

// Joins a scenario's two endpoints by one connection, each with a socket as its one channel:
// the shape of every scenario built in code (calibration cells, tests).
void connect_two(Scenario& scenario, const std::array<Link, 2>& links, const std::array<SocketSizes, 2>& sizes);

// The index among endpoint e's channels of connection or byte queue `index` (-1: it has none).
int channel_index(const Scenario& scenario, int e, Channel::Kind kind, int index);

// How reports name what an op of `kind` on `channel` of endpoint `e` acts on ("to server",
// "from pipe stdout", "to queue jobs"); "" when the endpoint has one channel or the op sleeps.
std::string target_words(const Scenario& scenario, int e, OpKind kind, int channel);

// How reports and expect blocks name each socket, in connection order (each connection's first
// end, then its second): the endpoint's name when the scenario has one connection, else
// "endpoint.peer" (proxy.server: the proxy's socket to the server).
std::vector<std::string> socket_keys(const Scenario& scenario);
// How they name each byte queue: a pipe by its name, an in-process queue as "endpoint.queue".
std::vector<std::string> byte_queue_keys(const Scenario& scenario);

// The op's size where the innermost loop around it is in iteration `iteration` (0-based).
inline int64_t op_bytes(const Op& op, int64_t iteration) {
    return op.sizes.empty() ? op.bytes : op.sizes[static_cast<size_t>(iteration % static_cast<int64_t>(op.sizes.size()))];
}

}  // namespace tcpsim::model
