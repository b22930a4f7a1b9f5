// One TCP connection between two endpoints: two directions, each a sender's SendQ, a link and
// a receiver's RecvQ sharing one set of byte counters. Each endpoint reaches the connection
// through its socket: what it sends goes one way, what it reads comes the other.
#pragma once

#include <cstdint>

#include "core/model.hpp"
#include "core/run_context.hpp"
#include "core/tcp_receiver.hpp"
#include "core/tcp_sender.hpp"

namespace tcpsim::core {

struct Direction {
    // Directions are numbered across the run (connection k: 2k and 2k+1); events and the
    // observer stream name them by that index.
    Direction(RunContext& run, uint32_t index, int sender_endpoint, int receiver_endpoint, const model::Link& link,
              int64_t ack_delay_ns, int64_t persist_base_ns)
        : sender(run, counters, link, index, sender_endpoint, persist_base_ns),
          receiver(run, counters, link.mss_bytes, index, receiver_endpoint, ack_delay_ns) {}
    Direction(const Direction&) = delete;
    Direction& operator=(const Direction&) = delete;

    // The counters as observers see them: with the window last sent and the bytes held.
    DirectionCounters observed() const {
        DirectionCounters c = counters;
        c.advertised = receiver.last_window();
        c.held = receiver.held();
        return c;
    }
    // Checked after every event: a simulator that breaks its own rules stops loudly.
    void check_invariants() const {
        const DirectionCounters& c = counters;
        TCPSIM_CHECK(c.written >= c.sent && c.sent >= c.acked && c.acked >= 0);
        TCPSIM_CHECK(c.sent == c.arrived + c.in_flight);  // bytes are conserved
        TCPSIM_CHECK(c.in_flight >= 0 && c.arrived >= c.read && c.acked <= c.arrived);
        TCPSIM_CHECK(c.sendq() <= c.sendq_capacity);
        TCPSIM_CHECK(c.recvq() <= c.recvq_capacity);
        // Read bytes still held by a partly read skb count against the buffer too.
        TCPSIM_CHECK(receiver.held() >= 0 && c.recvq() + receiver.held() <= c.recvq_capacity);
        TCPSIM_CHECK(c.peer_window >= 0 && receiver.adv_right() >= c.arrived);
    }

    DirectionCounters counters;
    TcpSender sender;
    TcpReceiver receiver;
};

// What one endpoint's applications use: its side of a connection.
struct Socket {
    TcpSender& tx;
    TcpReceiver& rx;
    bool read_closed = false;  // the program closed the socket: no more reads
};

class Connection {
public:
    // The scenario's connection k between its ends a and b, joined by links[0] (a to b) and
    // links[1] (b to a); its directions are numbered 2k (a sending) and 2k + 1.
    Connection(RunContext& run, const model::Scenario& scenario, int k);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // side 0: from endpoint a to b; side 1: from b to a.
    Direction& direction(int side) { return side == 0 ? a_to_b_ : b_to_a_; }
    const Direction& direction(int side) const { return side == 0 ? a_to_b_ : b_to_a_; }
    int endpoint(int side) const { return side == 0 ? a_ : b_; }
    // The socket of endpoint a (side 0) or b (side 1).
    Socket& socket(int side) { return side == 0 ? socket_a_ : socket_b_; }
    const Socket& socket(int side) const { return side == 0 ? socket_a_ : socket_b_; }

private:
    int a_;
    int b_;
    Direction a_to_b_;
    Direction b_to_a_;
    Socket socket_a_;
    Socket socket_b_;
};

}  // namespace tcpsim::core
