// The applications: every thread's program run against its endpoint's socket, op by op, with
// blocking as the socket dictates and loops of plain reads and writes fast-forwarded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/connection.hpp"
#include "core/model.hpp"
#include "core/program.hpp"
#include "core/result.hpp"
#include "core/run_context.hpp"

namespace tcpsim::core {

class Interpreter {
public:
    // `sockets[e]` is endpoint e's socket.
    Interpreter(RunContext& run, const model::Scenario& scenario, std::vector<Socket*> sockets);

    // Runs every thread that can move until it blocks or finishes, once each; true if any ran.
    bool run_runnable_threads();
    // The upper bound on passes of run_runnable_threads in one step: a thread can make a
    // sibling runnable (a shutdown wakes a blocked writer to fail), each pass settles one.
    size_t max_passes() const { return thread_count_ + 1; }
    bool all_finished() const { return unfinished_ == 0; }
    void on_sleep_done(int endpoint, int thread);
    // Every thread as the result reports it, endpoint by endpoint.
    std::vector<ThreadReport> reports(const model::Scenario& scenario) const;

private:
    enum class Wait : uint8_t { none, send_space, recv_data, send_or_recv, sleep, done, failed };
    enum class Step : uint8_t { completed, blocked, eof_zero, failed };

    struct ThreadRun {
        explicit ThreadRun(const model::Thread& program) : spec(&program), cursor(program.ops) {}
        const model::Thread* spec;
        ProgramCursor cursor;
        Wait wait = Wait::none;
        bool op_active = false;
        bool sleep_elapsed = false;
        int64_t op_requested = 0;
        int64_t op_done = 0;
        int64_t op_duration_ns = 0;  // a sleep's duration
        int64_t bytes_written = 0;
        int64_t bytes_read = 0;
        int64_t last_read = 0;
        std::string error;
    };

    struct EndpointRun {
        Socket* socket;
        std::vector<ThreadRun> threads;
        int unfinished = 0;
    };

    bool runnable(const Socket& s, const ThreadRun& t) const;
    void run_thread(int e, int ti);
    bool end_of_frame(int e, int ti);
    void finish_thread(int e, ThreadRun& t, Wait final_state);
    void fast_forward(int e, int ti);
    void start_op(int e, int ti, const model::Op& op);
    Step execute(int e, int ti, const model::Op& op);
    Step exec_write(Socket& s, ThreadRun& t, bool partial_ok);
    Step exec_read(Socket& s, ThreadRun& t, model::OpKind kind);
    Step exec_event_loop(Socket& s, ThreadRun& t, const model::Op& op);
    Step block(ThreadRun& t, Wait wait);
    // Called for every op, so the check whether anyone listens stays inline.
    void emit_op(TraceKind kind, int e, int ti, model::OpKind op) {
        if (run_.trace.listening()) emit_op_event(kind, e, ti, op);
    }
    void emit_op_event(TraceKind kind, int e, int ti, model::OpKind op);

    RunContext& run_;
    std::vector<EndpointRun> endpoints_;
    size_t thread_count_ = 0;
    int unfinished_ = 0;
};

}  // namespace tcpsim::core
