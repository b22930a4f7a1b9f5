// The wait-for graph of a deadlock, told in words: each blocked thread waits on one channel (a
// socket's SendQ or RecvQ, an in-process queue or a pipe), each channel waits for a thread at its
// other end to act, and that endpoint's blocked thread that uses the channel is the next hop,
// until the walk comes back to a thread it has passed (the cycle) or reaches an end with no
// thread left. Blocked threads off the cycle, and threads that finished, are named after it.
#pragma once

#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"

namespace tcpsim::core {

// One socket when the run ended, in the order of Result::queues.
struct SocketFacts {
    bool write_shut = false;   // it has shut down its write side (FIN queued)
    bool window_zero = false;  // its RecvQ offers a zero window
};

struct WaitForFacts {
    std::vector<SocketFacts> sockets;    // connection k's ends at 2k and 2k + 1
    bool writer_wakes_at_third = false;  // a blocked writer wakes only once a third of its SendQ is free
};

struct WaitFor {
    std::vector<std::string> cycle;      // one hop a line, from a thread on the cycle back to it
    std::vector<std::string> off_cycle;  // blocked threads that wait on it, threads that finished
};

WaitFor describe_cycle(const model::Scenario& scenario, const Result& result, const WaitForFacts& facts);

}  // namespace tcpsim::core
