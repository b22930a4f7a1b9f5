#include "core/connection.hpp"

#include "core/linux_rules.hpp"

namespace tcpsim::core {

namespace {

int64_t persist_base_of(const RunContext& run, const model::Connection& c) {
    return rules::persist_base_ns(run.params, c.links[0].delay_ns + c.links[1].delay_ns);
}

}  // namespace

Connection::Connection(RunContext& run, const model::Scenario& s, int k)
    : a_(s.connections[k].ends[0]), b_(s.connections[k].ends[1]),
      a_to_b_(run, static_cast<uint32_t>(2 * k), a_, b_, s.connections[k].links[0], s.connections[k].links[1].delay_ns,
              persist_base_of(run, s.connections[k])),
      b_to_a_(run, static_cast<uint32_t>(2 * k + 1), b_, a_, s.connections[k].links[1], s.connections[k].links[0].delay_ns,
              persist_base_of(run, s.connections[k])),
      socket_a_{a_to_b_.sender, b_to_a_.receiver}, socket_b_{b_to_a_.sender, a_to_b_.receiver} {
    // Buffers first, both ways: a receiver's first window depends on its own buffer only, but
    // the skb sizes of each side depend on the other's.
    const model::Connection& c = s.connections[k];
    const rules::Capacities caps_a =
        rules::capacities_for(run.params, s.profile, c.sizes[0], c.sizes[1], c.links[0].mss_bytes, c.links[1].mss_bytes);
    const rules::Capacities caps_b =
        rules::capacities_for(run.params, s.profile, c.sizes[1], c.sizes[0], c.links[1].mss_bytes, c.links[0].mss_bytes);
    a_to_b_.sender.set_buffers(caps_a.sendq_bytes, caps_a.sndbuf_bytes);
    b_to_a_.sender.set_buffers(caps_b.sendq_bytes, caps_b.sndbuf_bytes);
    // The handshake told each sender the receiver's initial window.
    a_to_b_.sender.hear_initial_window(a_to_b_.receiver.open(caps_b.recvq_bytes, caps_b.initial_window_bytes));
    b_to_a_.sender.hear_initial_window(b_to_a_.receiver.open(caps_a.recvq_bytes, caps_a.initial_window_bytes));
}

}  // namespace tcpsim::core
