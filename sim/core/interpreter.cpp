#include "core/interpreter.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace tcpsim::core {

using model::Op;
using model::OpKind;

Interpreter::Interpreter(RunContext& run, const model::Scenario& scenario, std::vector<std::vector<ChannelRun>> channels)
    : run_(run) {
    TCPSIM_CHECK(channels.size() == scenario.endpoints.size());
    endpoints_.reserve(channels.size());
    for (size_t e = 0; e < channels.size(); ++e) {
        TCPSIM_CHECK(channels[e].size() == scenario.endpoints[e].channels.size());
        EndpointRun& ep = endpoints_.emplace_back(EndpointRun{std::move(channels[e]), {}, 0});
        const std::vector<model::Thread>& threads = scenario.endpoints[e].threads;
        ep.threads.reserve(threads.size());
        for (const model::Thread& spec : threads) ep.threads.emplace_back(spec);
        ep.unfinished = static_cast<int>(threads.size());
        thread_count_ += threads.size();
        unfinished_ += ep.unfinished;
    }
}

// The private steps below are defined `inline`: they run for every op of every thread, and
// inlined into the loop they cost what they did when the engine was one class.
bool Interpreter::run_runnable_threads() {
    bool ran = false;
    for (size_t e = 0; e < endpoints_.size(); ++e) {
        EndpointRun& ep = endpoints_[e];
        for (size_t i = 0; i < ep.threads.size() && !run_.operations_exhausted; ++i) {
            if (!runnable(ep, ep.threads[i])) continue;
            run_thread(static_cast<int>(e), static_cast<int>(i));
            ran = true;
        }
    }
    return ran && !run_.operations_exhausted;
}

inline bool Interpreter::runnable(const EndpointRun& ep, const ThreadRun& t) const {
    switch (t.wait) {
        case Wait::none: return true;
        case Wait::send_space: return ep.channels[t.channel].write_wakes();
        case Wait::recv_data: {
            const ChannelRun& c = ep.channels[t.channel];
            return c.readable() > 0 || c.at_eof();
        }
        case Wait::send_or_recv: {
            const Socket& s = *ep.channels[t.channel].socket;
            return (t.op_done < t.op_requested && (s.tx.writable() || s.tx.write_shut())) || s.rx.readable() > 0 ||
                   s.rx.at_eof();
        }
        case Wait::sleep:
        case Wait::done:
        case Wait::failed: return false;
    }
    return false;
}

inline void Interpreter::run_thread(int e, int ti) {
    ThreadRun& t = endpoints_[e].threads[ti];
    t.wait = Wait::none;
    while (run_.count_operation()) {
        if (t.cursor.at_frame_end()) {
            if (!end_of_frame(e, ti)) return;
            continue;
        }
        const Op& op = t.cursor.op();
        if (op.kind == OpKind::repeat) {
            t.cursor.enter_loop(op, run_.now_ns());
            fast_forward(e, ti);
            continue;
        }
        const Step step = execute(e, ti, op);
        if (step == Step::blocked) {
            emit_op(TraceKind::op_block, e, ti, op.kind);
            return;
        }
        if (step == Step::failed) {
            finish_thread(e, t, Wait::failed);
            return;
        }
        t.op_active = false;
        emit_op(TraceKind::op_return, e, ti, op.kind);
        if (step == Step::eof_zero && t.cursor.leave_eof_loop()) continue;
        t.cursor.advance();
    }
}

// End of a loop body or of the program. Returns false when the thread finished.
inline bool Interpreter::end_of_frame(int e, int ti) {
    ThreadRun& t = endpoints_[e].threads[ti];
    if (!t.cursor.in_loop()) {
        finish_thread(e, t, Wait::done);
        return false;
    }
    if (t.cursor.next_iteration(run_.now_ns())) fast_forward(e, ti);
    return true;
}

void Interpreter::finish_thread(int e, ThreadRun& t, Wait final_state) {
    t.wait = final_state;
    run_.touch();
    EndpointRun& ep = endpoints_[e];
    TCPSIM_CHECK(ep.unfinished > 0);
    --unfinished_;
    if (--ep.unfinished > 0) return;
    for (ChannelRun& c : ep.channels) c.close_at_exit();  // process exit closes its sockets and pipes
}

namespace {

// What a loop body moves through one channel per iteration.
struct ChannelUse {
    int channel;
    int64_t read_bytes;
    int64_t write_bytes;
};
constexpr size_t kMaxBatchChannels = 4;

}  // namespace

// A loop body of plain reads and writes that nothing blocks advances arithmetically:
// m identical iterations in one step, so cost grows with blocking points, not calls.
// Within a batch every channel's RecvQ (or queue) only drains and every SendQ only fills, so
// the bounds taken before it hold throughout; a byte queue both read and written in the body
// would not be monotone, and such a body runs op by op.
inline void Interpreter::fast_forward(int e, int ti) {
    ThreadRun& t = endpoints_[e].threads[ti];
    EndpointRun& ep = endpoints_[e];
    ProgramCursor::Frame& f = t.cursor.frame();
    if (f.pc != 0) return;
    std::array<ChannelUse, kMaxBatchChannels> uses;
    size_t used = 0;
    int64_t last_read = -1;
    for (const Op& op : *f.ops) {
        if (!op.sizes.empty()) return;  // sizes change from one iteration to the next
        int64_t read_bytes = 0, write_bytes = 0;
        switch (op.kind) {
            case OpKind::read:
            case OpKind::read_exact: read_bytes = op.bytes; last_read = op.bytes; break;
            case OpKind::write:
            case OpKind::send:
                if (op.ratio) {
                    if (last_read < 0) return;  // would depend on the previous iteration
                    write_bytes = model::apply_ratio(last_read, *op.ratio);
                } else {
                    write_bytes = op.bytes;
                }
                break;
            default: return;
        }
        // Bodies mostly act on one channel: the first entry is checked first.
        size_t u = 0;
        while (u < used && uses[u].channel != op.channel) ++u;
        if (u == used) {
            if (used == kMaxBatchChannels) return;
            uses[used++] = ChannelUse{op.channel, 0, 0};
        }
        uses[u].read_bytes += read_bytes;
        uses[u].write_bytes += write_bytes;
    }
    const bool counted = !f.until_eof && f.deadline_ns < 0;
    int64_t m = counted ? f.iterations_left - 1 : std::numeric_limits<int64_t>::max();  // the last one runs normally
    int64_t read_total = 0, write_total = 0;
    for (size_t u = 0; u < used; ++u) {
        const ChannelRun& c = ep.channels[uses[u].channel];
        const ChannelUse& use = uses[u];
        if (use.write_bytes > 0 && c.write_closed()) return;  // the writes fail: run them one by one
        if (c.queue && use.read_bytes > 0 && use.write_bytes > 0) return;
        if (use.read_bytes > 0) m = std::min(m, c.readable() / use.read_bytes);
        if (use.write_bytes > 0) m = std::min(m, c.space() / use.write_bytes);
        read_total += use.read_bytes;
        write_total += use.write_bytes;
    }
    if (read_total + write_total == 0 || m < 1) return;
    for (size_t u = 0; u < used; ++u) {
        ChannelRun& c = ep.channels[uses[u].channel];
        if (uses[u].read_bytes > 0) c.consume(m * uses[u].read_bytes);
        if (uses[u].write_bytes > 0) c.write(m * uses[u].write_bytes);
    }
    t.bytes_read += m * read_total;
    t.bytes_written += m * write_total;
    if (last_read >= 0) t.last_read = last_read;
    if (counted) f.iterations_left -= m;
    f.iteration += m;
    ++run_.operations;  // the operations limit bounds work: a batch is one step
    run_.touch();
    if (!run_.trace.listening()) return;
    TraceEvent ev{run_.now_ns(), TraceKind::op_batch, e, ti, 0, m * (read_total + write_total), 0, m};
    ev.op = OpKind::repeat;
    ev.thread_written = t.bytes_written;
    ev.thread_read = t.bytes_read;
    run_.trace.emit(ev);
}

inline void Interpreter::start_op(int e, int ti, const Op& op) {
    ThreadRun& t = endpoints_[e].threads[ti];
    t.op_active = true;
    t.op_done = 0;
    t.sleep_elapsed = false;
    t.op_duration_ns = op.kind == OpKind::sleep ? op.duration_ns : 0;
    t.channel = op.channel;
    switch (op.kind) {
        case OpKind::write:
        case OpKind::send:
            t.op_requested = op.ratio ? model::apply_ratio(t.last_read, *op.ratio) : model::op_bytes(op, t.cursor.iteration());
            break;
        case OpKind::event_loop: t.op_requested = op.write_total; break;
        default: t.op_requested = model::op_bytes(op, t.cursor.iteration()); break;
    }
    emit_op(TraceKind::op_start, e, ti, op.kind);
}

inline Interpreter::Step Interpreter::block(ThreadRun& t, Wait wait) {
    if (t.wait != wait) run_.touch();
    t.wait = wait;
    return Step::blocked;
}

namespace {

// The application copies bytes into the SendQ (or queue) / takes them out of the RecvQ.
void copy_in(RunContext& run, ChannelRun& c, int64_t& op_done, int64_t& thread_written, int64_t bytes) {
    if (bytes <= 0) return;
    c.write(bytes);
    thread_written += bytes;
    op_done += bytes;
    run.touch();
}

void take_out(RunContext& run, ChannelRun& c, int64_t& op_done, int64_t& thread_read, int64_t bytes) {
    if (bytes <= 0) return;
    c.consume(bytes);
    thread_read += bytes;
    op_done += bytes;
    run.touch();
}

}  // namespace

inline Interpreter::Step Interpreter::execute(int e, int ti, const Op& op) {
    ThreadRun& t = endpoints_[e].threads[ti];
    ChannelRun& c = endpoints_[e].channels[op.channel];
    if (!t.op_active) start_op(e, ti, op);
    switch (op.kind) {
        case OpKind::write:
        case OpKind::send: return exec_write(c, t, op.kind == OpKind::send);
        case OpKind::read:
        case OpKind::read_exact:
        case OpKind::read_to_end: return exec_read(c, t, op.kind);
        case OpKind::shutdown:
            c.shut_write();
            return Step::completed;
        case OpKind::close:
            c.close();
            return Step::completed;
        case OpKind::sleep:
            if (t.sleep_elapsed) return Step::completed;
            run_.events.schedule(run_.now_ns() + op.duration_ns,
                                 Event{.type = EventType::sleep_done, .target = static_cast<uint32_t>(e), .a = ti});
            t.wait = Wait::sleep;
            return Step::blocked;
        case OpKind::event_loop: return exec_event_loop(*c.socket, t, op);
        case OpKind::repeat: break;
    }
    TCPSIM_CHECK(!"unreachable op kind");
    return Step::failed;
}

inline Interpreter::Step Interpreter::exec_write(ChannelRun& c, ThreadRun& t, bool partial_ok) {
    if (t.op_requested == t.op_done) return Step::completed;
    if (c.write_closed()) {
        t.error = c.write_error();
        return Step::failed;
    }
    copy_in(run_, c, t.op_done, t.bytes_written, std::min(c.space(), t.op_requested - t.op_done));
    if (t.op_done == t.op_requested || (partial_ok && t.op_done > 0)) return Step::completed;
    if (c.socket) c.socket->tx.writer_blocks();
    return block(t, Wait::send_space);
}

inline Interpreter::Step Interpreter::exec_read(ChannelRun& c, ThreadRun& t, OpKind kind) {
    if (c.read_closed()) {
        t.error = "read after close (EBADF)";
        return Step::failed;
    }
    const int64_t want = kind == OpKind::read_to_end ? c.readable() : t.op_requested - t.op_done;
    take_out(run_, c, t.op_done, t.bytes_read, std::min(want, c.readable()));
    const bool satisfied = kind == OpKind::read ? t.op_done > 0
                         : kind == OpKind::read_exact ? t.op_done == t.op_requested
                         : false;
    if (satisfied || c.at_eof()) {
        t.last_read = t.op_done;
        return t.op_done == 0 ? Step::eof_zero : Step::completed;
    }
    return block(t, Wait::recv_data);
}

// The selector fix: write while writable, read while readable, in one thread.
inline Interpreter::Step Interpreter::exec_event_loop(Socket& s, ThreadRun& t, const Op& op) {
    if (t.op_done < op.write_total) {
        if (s.tx.write_shut()) {
            t.error = "write after shutdown (EPIPE)";
            return Step::failed;
        }
        const int64_t bytes = std::min(s.tx.space(), op.write_total - t.op_done);
        if (bytes > 0) {
            s.tx.write(bytes);
            t.bytes_written += bytes;
            t.op_done += bytes;
            run_.touch();
        }
    }
    if (t.op_done == op.write_total && op.shutdown_when_done) s.tx.shut_write();
    const int64_t available = s.rx.readable();
    if (available > 0) {
        s.rx.consume(available);
        t.bytes_read += available;
        run_.touch();
    }
    if (t.op_done == op.write_total && s.rx.at_eof()) return Step::completed;
    return block(t, Wait::send_or_recv);  // a non-blocking writer polls: POLLOUT needs a third free
}

void Interpreter::on_sleep_done(int e, int ti) {
    ThreadRun& t = endpoints_[e].threads[ti];
    TCPSIM_CHECK(t.wait == Wait::sleep);
    t.wait = Wait::none;
    t.sleep_elapsed = true;
    TraceEvent ev{run_.now_ns(), TraceKind::sleep_done, e, ti};
    ev.duration_ns = t.op_duration_ns;
    run_.trace.emit(ev);
}

void Interpreter::emit_op_event(TraceKind kind, int e, int ti, OpKind op) {
    const ThreadRun& t = endpoints_[e].threads[ti];
    TraceEvent ev{run_.now_ns(), kind, e, ti, 0, t.op_done, 0, t.op_requested};
    ev.op = op;
    ev.channel = t.channel;
    ev.thread_written = t.bytes_written;
    ev.thread_read = t.bytes_read;
    ev.duration_ns = t.op_duration_ns;
    run_.trace.emit(ev);
}

std::vector<ThreadReport> Interpreter::reports(const model::Scenario& scenario) const {
    std::vector<ThreadReport> out;
    out.reserve(thread_count_);
    for (size_t e = 0; e < endpoints_.size(); ++e) {
        for (const ThreadRun& t : endpoints_[e].threads) {
            ThreadReport& r = out.emplace_back();
            r.endpoint = scenario.endpoints[e].name;
            r.name = t.spec->name;
            r.bytes_written = t.bytes_written;
            r.bytes_read = t.bytes_read;
            r.error = t.error;
            switch (t.wait) {
                case Wait::done: r.state = ThreadState::done; continue;
                case Wait::failed: r.state = ThreadState::failed; continue;
                case Wait::none: r.state = ThreadState::running; continue;  // cut off by a limit
                case Wait::sleep: r.state = ThreadState::sleeping; break;
                default: r.state = ThreadState::blocked; break;
            }
            const OpKind kind = t.cursor.op_or_last().kind;
            r.blocked_in = BlockedIn{kind, t.cursor.top_index(), t.cursor.position(), t.op_requested, t.op_done,
                                     t.op_duration_ns, t.channel, ""};
            r.blocked_in->on = model::target_words(scenario, static_cast<int>(e), kind, t.channel);
        }
    }
    return out;
}

}  // namespace tcpsim::core
