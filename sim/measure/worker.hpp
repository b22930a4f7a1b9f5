// One scenario thread on a real thread: its program op by op, with the simulator's cursor,
// against its endpoint's channels (sockets, pipe ends, in-process queues).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "measure/channels.hpp"
#include "measure/run_control.hpp"

namespace tcpsim::measure {

// What an endpoint's threads share, as one process's.
struct EndpointRun {
    std::vector<ChannelEnd*> channels;  // in the order of model::Endpoint::channels
    const model::Scenario* scenario = nullptr;
    int endpoint = 0;  // its index in the scenario
    std::atomic<int> unfinished{0};  // the last thread to finish closes its channels: the process exits
};

class Worker {
public:
    Worker(EndpointRun& endpoint, Probe& probe, RunControl& control)
        : endpoint_(endpoint), probe_(probe), control_(control) {}

    void run(const model::Thread& spec);

private:
    enum class Flow { next, eof, stop, failed };
    enum class Content { pattern, upper_pattern, upper_echo };

    // Where a thread is, for blocked_in: the op, its top-level index and full position.
    struct Where {
        model::OpKind op;
        int index;
        std::string at;
        int64_t iteration;  // of the innermost loop around the op: it picks cycling sizes
        int channel;
    };

    int64_t elapsed_ns() const;
    Flow run_program(const std::vector<model::Op>& program);
    Flow run_op(const model::Op& op, const Where& where);
    ChannelEnd& channel(const Where& where) const { return *endpoint_.channels[static_cast<size_t>(where.channel)]; }

    Flow write_op(const model::Op& op, const Where& where, bool partial_ok);
    Flow write_bytes(int64_t n, Content content, bool partial_ok, const Where& where);
    ssize_t send_now(ChannelEnd& ch, size_t len, Content content, int64_t done);
    ssize_t recv_now(ChannelEnd& ch, size_t max);
    int64_t receive(int64_t max, const Where& where, int64_t requested, int64_t done);
    void keep_read(int64_t n);
    Flow read_op(int64_t n, const Where& where, bool exact);
    Flow read_to_end(const Where& where);
    Flow sleep_for(int64_t duration_ns, const Where& where);
    Flow event_loop(const model::Op& op, const Where& where);

    bool wait_for(const ChannelEnd::Wait& a, const ChannelEnd::Wait& b = {});
    bool wait_ready(const ChannelEnd::Wait& a, const ChannelEnd::Wait& b, std::optional<Clock::duration> timeout) const;
    void block(const Where& where, int64_t requested, int64_t done);
    void set_blocked_in(const Where& where, int64_t requested, int64_t done, int64_t duration_ns);
    void set_state(State s);
    Flow fail(const std::string& why);

    EndpointRun& endpoint_;
    Probe& probe_;
    RunControl& control_;
    const Clock::time_point created_ = Clock::now();
    std::string echo_buf_;          // an upper-casing echo's next call
    std::string recv_buf_;
    std::string last_read_;        // the bytes of the last read op (up to kMaxKeptReadBytes)
    int64_t last_read_bytes_ = 0;  // how many it returned
    bool failed_ = false;
};

}  // namespace tcpsim::measure
