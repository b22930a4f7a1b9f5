// The applications: every thread's program run against its endpoint's socket, op by op, with
// blocking as the socket dictates and loops of plain reads and writes fast-forwarded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/byte_queue.hpp"
#include "core/connection.hpp"
#include "core/model.hpp"
#include "core/program.hpp"
#include "core/result.hpp"
#include "core/run_context.hpp"

namespace tcpsim::core {

// One of an endpoint's channels as its threads use it: a socket or a byte queue, with the same
// questions asked of both (is there room, is there data, is it closed).
struct ChannelRun {
    Socket* socket = nullptr;
    ByteQueueState* queue = nullptr;
    bool writer_end = false;  // byte queue: this endpoint writes into it
    bool reader_end = false;  // byte queue: this endpoint reads from it

    int64_t space() const { return socket ? socket->tx.space() : queue->space(); }
    // A blocked writer may go on: there is room, or the write will fail.
    bool write_wakes() const {
        return socket ? socket->tx.writable() || socket->tx.write_shut() : queue->space() > 0 || write_closed();
    }
    bool write_closed() const { return socket ? socket->tx.write_shut() : queue->writer_closed() || queue->reader_closed(); }
    int64_t readable() const { return socket ? socket->rx.readable() : queue->level(); }
    bool at_eof() const { return socket ? socket->rx.at_eof() : queue->at_eof(); }
    bool read_closed() const { return socket ? socket->read_closed : queue->reader_closed(); }
    void write(int64_t bytes) {
        if (socket) socket->tx.write(bytes);
        else queue->write(bytes);
    }
    void consume(int64_t bytes) {
        if (socket) socket->rx.consume(bytes);
        else queue->consume(bytes);
    }
    // shutdown: no more writes (a socket's FIN, a queue's or pipe's writing end closed).
    void shut_write() {
        if (socket) socket->tx.shut_write();
        else queue->close_writer();
    }
    // close: a socket's both sides; a pipe's reading process closes its reading end, any
    // other closes the writing end.
    void close() {
        if (socket) {
            socket->tx.shut_write();
            socket->read_closed = true;
        } else if (reader_end && !writer_end) {
            queue->close_reader();
        } else {
            queue->close_writer();
        }
    }
    // The process exited: every end it holds is closed.
    void close_at_exit() {
        if (socket) {
            socket->tx.shut_write();
            return;
        }
        if (writer_end) queue->close_writer();
        if (reader_end && !writer_end) queue->close_reader();
    }
    const char* write_error() const {
        if (socket) return "write after shutdown (EPIPE)";
        return queue->reader_closed() ? "write to a pipe whose reader closed it (EPIPE)" : "write after close (EPIPE)";
    }
};

class Interpreter {
public:
    // `channels[e]` are endpoint e's channels, in the order of its model::Endpoint::channels.
    Interpreter(RunContext& run, const model::Scenario& scenario, std::vector<std::vector<ChannelRun>> channels);

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
        int channel = 0;  // the channel of the op it is in
        std::string error;
    };

    struct EndpointRun {
        std::vector<ChannelRun> channels;
        std::vector<ThreadRun> threads;
        int unfinished = 0;
    };

    bool runnable(const EndpointRun& ep, const ThreadRun& t) const;
    void run_thread(int e, int ti);
    bool end_of_frame(int e, int ti);
    void finish_thread(int e, ThreadRun& t, Wait final_state);
    void fast_forward(int e, int ti);
    void start_op(int e, int ti, const model::Op& op);
    Step execute(int e, int ti, const model::Op& op);
    Step exec_write(ChannelRun& c, ThreadRun& t, bool partial_ok);
    Step exec_read(ChannelRun& c, ThreadRun& t, model::OpKind kind);
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
