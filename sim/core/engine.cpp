#include "core/engine.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <queue>
#include <string>
#include <vector>

#include "core/check.hpp"
#include "core/cycle.hpp"

namespace tcpsim::core {

using model::Op;
using model::OpKind;
using model::op_name;

const char* to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::deadlock: return "deadlock";
        case Outcome::completed: return "completed";
        case Outcome::limit: return "limit";
        case Outcome::stopped: return "stopped";
    }
    return "?";
}

const char* to_string(ThreadState state) {
    switch (state) {
        case ThreadState::blocked: return "blocked";
        case ThreadState::sleeping: return "sleeping";
        case ThreadState::running: return "running";
        case ThreadState::done: return "done";
        case ThreadState::failed: return "failed";
    }
    return "?";
}

std::string failures_in_words(const Result& result) {
    std::string names;
    int failed = 0;
    for (const ThreadReport& t : result.threads) {
        if (t.state != ThreadState::failed) continue;
        names += (failed++ > 0 ? ", " : "") + t.endpoint + "." + t.name + " (" + t.error + ")";
    }
    if (failed == 0) return "";
    return "; " + std::to_string(failed) + (failed == 1 ? " thread" : " threads") + " failed: " + names;
}

const char* to_string(TraceKind kind) {
    switch (kind) {
        case TraceKind::segment_sent: return "segment_sent";
        case TraceKind::segment_received: return "segment_received";
        case TraceKind::ack_sent: return "ack_sent";
        case TraceKind::ack_received: return "ack_received";
        case TraceKind::probe_sent: return "probe_sent";
        case TraceKind::op_start: return "op_start";
        case TraceKind::op_block: return "op_block";
        case TraceKind::op_return: return "op_return";
        case TraceKind::op_batch: return "op_batch";
        case TraceKind::persist_timeout: return "persist_timeout";
        case TraceKind::delack_timeout: return "delack_timeout";
        case TraceKind::sleep_done: return "sleep_done";
    }
    return "?";
}

void invariant_failed(const char* expr, const char* file, int line) {
    throw InvariantError(std::string("internal invariant broken: ") + expr + " (" + file + ":" +
                         std::to_string(line) + ")");
}

namespace {

constexpr int kMaxFrames = 9;  // nesting depth 8 (validated) plus the program itself

enum class EventType : uint8_t {
    link_free, segment_arrival, ack_arrival, probe_arrival, persist_timeout, delack_timeout, sleep_done,
};

struct Event {
    int64_t time_ns;
    uint64_t order;  // insertion order: ties at one time run first-in first-out
    EventType type;
    uint8_t dir;     // direction, or endpoint for sleep_done
    bool fin;
    uint32_t gen;    // timer generation (stale timers are skipped) or thread index
    int64_t a;       // segment: seq; ack: ack number
    int64_t b;       // segment: length; ack: window
};

struct Later {
    bool operator()(const Event& x, const Event& y) const {
        return x.time_ns != y.time_ns ? x.time_ns > y.time_ns : x.order > y.order;
    }
};

enum class Wait : uint8_t { none, send_space, recv_data, send_or_recv, sleep, done, failed };

enum class Step : uint8_t { completed, blocked, eof_zero, failed };

struct Frame {
    const std::vector<Op>* ops;
    size_t pc;
    int64_t iterations_left;  // count loops; unused for until_eof
    bool until_eof;
};

struct ThreadRt {
    const model::Thread* spec = nullptr;
    std::vector<Frame> stack;
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

struct EndpointRt {
    std::vector<ThreadRt> threads;
    int unfinished = 0;
    bool read_closed = false;
};

// One direction of the connection: the sender's SendQ and transmit state, the link,
// and the receiver's RecvQ and acknowledgement state.
struct DirectionRt {
    DirectionCounters c;
    model::Link link;
    // sender
    bool fin_requested = false;
    bool fin_sent = false;
    int64_t small_segment_end = 0;  // Nagle/Minshall: end of the last sub-MSS segment sent
    int64_t link_busy_until_ns = 0;
    bool link_free_pending = false;
    int64_t max_peer_window = 0;    // the largest window the receiver ever offered
    int64_t sndbuf_bytes = 0;       // with skb accounting: SO_SNDBUF as the kernel holds it
    bool persist_armed = false;
    uint32_t persist_gen = 0;
    int persist_backoff = 0;
    // A writer that blocks on a full SendQ: `acked` then, and `sent` once that step's
    // transmission is done.
    int64_t acked_at_writer_block = 0;
    int64_t sent_before_writer_sleep = 0;
    bool writer_block_pending = false;
    // receiver
    bool fin_arrived = false;
    int64_t rcv_mss = 0;       // the largest segment received (icsk_ack.rcv_mss)
    int64_t rcv_ssthresh = 0;  // the most the receiver offers yet: the SYN's window, grown by arrivals
    int64_t adv_right = 0;     // arrived + window at the last advertisement; never moves left
    int64_t ack_wup = 0;       // `arrived` at the last acknowledgement (rcv_wup)
    int64_t last_window = 0;   // the window sent in the last acknowledgement
    bool ack_now = false;      // an acknowledgement goes out at the end of this step
    bool read_since_ack = false;
    bool delack_armed = false;
    uint32_t delack_gen = 0;
    // The receive queue's skbs by their end sequence numbers (profile: rcv_skbs_freed_whole).
    // tcp_recvmsg_locked frees an skb, and the buffer space it holds, only once the reader
    // has consumed all of it: the bytes already read from the head skb still take space.
    std::deque<int64_t> rcv_skb_ends;
    int64_t rcv_head_skb_start = 0;
    int64_t rcv_tail_first_end = 0;  // the end of the segment the tail skb started as
    int64_t rcv_tail_frags = 0;      // the page fragments the tail skb holds
    int64_t read_but_held() const { return c.read - rcv_head_skb_start; }
    int64_t unsent() const { return c.written - c.sent; }
};

class Engine {
public:
    Engine(const model::Scenario& scenario, const ProfileParams& params, Observer* observer, const ProgressFn& progress)
        : scenario_(scenario), params_(params), observer_(observer), progress_(progress) {
        for (int e = 0; e < 2; ++e) init_endpoint(e);
        for (int d = 0; d < 2; ++d) init_direction(d);
        const int64_t rtt_ns = scenario.links[0].delay_ns + scenario.links[1].delay_ns;
        persist_base_ns_ = std::max(params_.persist_min_ns, 2 * rtt_ns);
    }

    Result run() {
        settle();
        while (!finished_) {
            if (ops_exhausted_) return finish_limit("operations");
            if (events_ >= scenario_.limits.events) return finish_limit("events");
            // detect_end() ends every run whose pending events cannot change anything.
            TCPSIM_CHECK(!heap_.empty());
            const Event ev = heap_.top();
            if (ev.time_ns > scenario_.limits.time_ns) {
                now_ = scenario_.limits.time_ns;
                return finish_limit("time");
            }
            heap_.pop();
            if (!dispatch(ev)) continue;
            if (++events_ % kProgressSteps == 0) report_progress();
            settle();
        }
        return std::move(result_);
    }

private:
    // ---------------------------------------------------------------- set-up
    void init_endpoint(int e) {
        const model::Endpoint& spec = scenario_.endpoints[e];
        EndpointRt& ep = endpoints_[e];
        ep.threads.resize(spec.threads.size());
        for (size_t i = 0; i < spec.threads.size(); ++i) {
            ThreadRt& t = ep.threads[i];
            t.spec = &spec.threads[i];
            t.stack.reserve(kMaxFrames);
            t.stack.push_back(Frame{&t.spec->ops, 0, 1, false});
        }
        ep.unfinished = static_cast<int>(spec.threads.size());
        const Capacities caps = capacities_for(params_, scenario_.profile, spec, scenario_.endpoints[1 - e],
                                               scenario_.links[e].mss_bytes, scenario_.links[1 - e].mss_bytes);
        dirs_[e].c.sendq_capacity = caps.sendq_bytes;
        dirs_[e].sndbuf_bytes = caps.sndbuf_bytes;
        dirs_[1 - e].c.recvq_capacity = caps.recvq_bytes;
        dirs_[1 - e].rcv_ssthresh = caps.initial_window_bytes > 0 ? std::min(caps.initial_window_bytes, caps.recvq_bytes)
                                                                 : caps.recvq_bytes;
    }

    void init_direction(int d) {
        DirectionRt& D = dirs_[d];
        D.link = scenario_.links[d];
        // tcp_initialize_rcv_mss: a guess no larger than TCP_MSS_DEFAULT until segments arrive.
        D.rcv_mss = std::min<int64_t>(D.link.mss_bytes, 536);
        // The handshake told each sender the receiver's initial window.
        const int64_t window = fresh_window(d);
        D.c.peer_window = window;
        D.max_peer_window = window;
        D.adv_right = window;
        D.last_window = window;
    }

    // ---------------------------------------------------------------- events
    void schedule(int64_t at_ns, EventType type, int dir, int64_t a = 0, int64_t b = 0, bool fin = false,
                  uint32_t gen = 0) {
        TCPSIM_CHECK(at_ns >= now_);
        heap_.push(Event{at_ns, next_order_++, type, static_cast<uint8_t>(dir), fin, gen, a, b});
        if (type != EventType::persist_timeout) ++active_pending_;
    }

    // Returns false for a stale timer, which is not an event of the run.
    bool dispatch(const Event& ev) {
        if (ev.type == EventType::persist_timeout) {
            if (ev.gen != dirs_[ev.dir].persist_gen || !dirs_[ev.dir].persist_armed) return false;
        } else if (ev.type == EventType::delack_timeout &&
                   (ev.gen != dirs_[ev.dir].delack_gen || !dirs_[ev.dir].delack_armed)) {
            return false;  // already taken off active_pending_ when cancelled
        } else {
            --active_pending_;
        }
        TCPSIM_CHECK(ev.time_ns >= now_);
        now_ = ev.time_ns;
        switch (ev.type) {
            case EventType::link_free: dirs_[ev.dir].link_free_pending = false; break;
            case EventType::segment_arrival: on_segment(ev.dir, ev.a, ev.b, ev.fin); break;
            case EventType::ack_arrival: on_ack(ev.dir, ev.a, ev.b); break;
            case EventType::probe_arrival: dirs_[ev.dir].ack_now = true; break;
            case EventType::persist_timeout: on_persist_timeout(ev.dir); break;
            case EventType::delack_timeout: on_delack_timeout(ev.dir); break;
            case EventType::sleep_done: on_sleep_done(ev.dir, static_cast<int>(ev.gen)); break;
        }
        check_invariants();
        return true;
    }

    void on_segment(int d, int64_t seq, int64_t len, bool fin) {
        DirectionRt& D = dirs_[d];
        TCPSIM_CHECK(seq == D.c.arrived);
        D.c.in_flight -= len;
        if (len > 0 && params_.rcv_skbs_freed_whole) queue_rcv_skb(D, len);
        D.c.arrived += len;
        D.rcv_mss = std::max(D.rcv_mss, len);  // tcp_measure_rcv_mss
        // tcp_grow_window: a segment with data raises rcv_ssthresh by twice the advertised MSS
        // (its truesize is small), but never past the free space left then (room = min(clamp,
        // tcp_space) - rcv_ssthresh): a receiver that fills up keeps offering small windows.
        const int64_t free_bytes = free_recv_bytes(D);
        if (len > 0 && D.rcv_ssthresh < free_bytes)
            D.rcv_ssthresh = std::min(free_bytes, D.rcv_ssthresh + 2 * D.link.mss_bytes);
        if (fin) D.fin_arrived = true;
        touch();
        emit({now_, TraceKind::segment_received, 1 - d, -1, seq, len, 0, 0, fin});
        if (!params_.delayed_ack || fin || quick_ack_due(d)) {
            D.ack_now = true;
        } else if (!D.delack_armed) {
            D.delack_armed = true;
            schedule(now_ + params_.delack_ns, EventType::delack_timeout, d, 0, 0, false, ++D.delack_gen);
        }
    }

    // tcp_input.c __tcp_ack_snd_check: more than one full segment unacknowledged and a
    // window that does not shrink get an immediate ACK; otherwise the delayed-ACK timer.
    bool quick_ack_due(int d) const {
        const DirectionRt& D = dirs_[d];
        return D.c.arrived - D.ack_wup > D.rcv_mss && fresh_window(d) >= D.last_window;
    }

    void on_ack(int d, int64_t ack, int64_t window) {
        DirectionRt& D = dirs_[d];
        TCPSIM_CHECK(ack >= D.c.acked && ack <= D.c.sent);
        if (ack != D.c.acked || window != D.c.peer_window) touch();
        D.c.acked = ack;
        D.c.peer_window = window;
        if (window > D.max_peer_window) grow_peer_window(d, window);
        emit({now_, TraceKind::ack_received, d, -1, ack, 0, window});
    }

    // tcp_ack_update_window: a larger window than ever re-syncs the MSS (tcp_sync_mss), and
    // with it the size_goal that write-queue skbs fill up to, so the SendQ holds more.
    void grow_peer_window(int d, int64_t window) {
        DirectionRt& D = dirs_[d];
        D.max_peer_window = window;
        if (D.sndbuf_bytes == 0) return;
        const int64_t goal = size_goal_for_window(window, D.link.mss_bytes);
        D.c.sendq_capacity = std::max(D.c.sendq_capacity, skb_sendq_bytes(params_, D.sndbuf_bytes, goal));
    }

    void on_persist_timeout(int d) {
        DirectionRt& D = dirs_[d];
        D.persist_armed = false;
        ++D.persist_backoff;
        emit({now_, TraceKind::persist_timeout, d, -1, D.c.sent, 0, D.c.peer_window});
        const int64_t usable = D.c.acked + D.c.peer_window - D.c.sent;
        if (usable > 0 && D.unsent() > 0) {
            // tcp_write_wakeup: a window smaller than a segment still takes what fits.
            send_segment(d, std::min({usable, D.unsent(), segment_bytes(d)}), false);
            return;
        }
        schedule(now_ + D.link.delay_ns, EventType::probe_arrival, d);
        emit({now_, TraceKind::probe_sent, d, -1, D.c.sent, 0, 0});
    }

    void on_delack_timeout(int d) {
        DirectionRt& D = dirs_[d];
        D.delack_armed = false;
        emit({now_, TraceKind::delack_timeout, 1 - d, -1, D.c.arrived, 0, 0});
        if (D.c.arrived != D.ack_wup) D.ack_now = true;
    }

    void on_sleep_done(int e, int ti) {
        ThreadRt& t = endpoints_[e].threads[ti];
        TCPSIM_CHECK(t.wait == Wait::sleep);
        t.wait = Wait::none;
        t.sleep_elapsed = true;
        TraceEvent ev{now_, TraceKind::sleep_done, e, ti};
        ev.duration_ns = t.op_duration_ns;
        emit(ev);
    }

    // ---------------------------------------------------------------- TCP sender
    int64_t serialization_ns(const model::Link& link, int64_t payload_bytes) const {
        const int128 bits = static_cast<int128>(payload_bytes + params_.header_bytes) * 8;
        const int128 ns = (bits * 1'000'000'000 + link.bandwidth_bps - 1) / link.bandwidth_bps;
        return static_cast<int64_t>(ns);
    }

    void transmit(int d) {
        DirectionRt& D = dirs_[d];
        // Bounded: each pass sends a segment or returns; segments are bounded by the window.
        for (int64_t guard = 0; guard <= D.c.recvq_capacity + 1; ++guard) {
            if (D.link_busy_until_ns > now_) {
                if (!D.link_free_pending && (D.unsent() > 0 || (D.fin_requested && !D.fin_sent))) {
                    D.link_free_pending = true;
                    schedule(D.link_busy_until_ns, EventType::link_free, d);
                }
                return;
            }
            const int64_t len = sendable_bytes(d);
            if (len > 0) {
                send_segment(d, len, false);
            } else if (D.unsent() == 0 && D.fin_requested && !D.fin_sent) {
                send_segment(d, 0, true);
            } else {
                if (D.unsent() > 0 && D.c.sent == D.c.acked) arm_persist(d);
                return;
            }
        }
        TCPSIM_CHECK(!"transmit loop bound exceeded");
    }

    // The sender's segment size: the MSS, or in linux at most half the largest window the
    // receiver offered (tcp_bound_to_half_wnd), so a small receiver still gets whole segments.
    int64_t segment_bytes(int d) const {
        const DirectionRt& D = dirs_[d];
        return params_.segment_half_window ? mss_for_window(D.max_peer_window, D.link.mss_bytes) : D.link.mss_bytes;
    }

    // How many bytes the next segment may carry now (0: hold).
    int64_t sendable_bytes(int d) const {
        const DirectionRt& D = dirs_[d];
        const int64_t mss = segment_bytes(d);
        const int64_t want = std::min(mss, D.unsent());
        if (want == 0) return 0;
        const int64_t usable = D.c.acked + D.c.peer_window - D.c.sent;
        if (params_.whole_segment_in_window ? want > usable : usable <= 0) return 0;
        const int64_t len = std::min(want, usable);
        const bool last_before_fin = D.fin_requested && len == D.unsent();
        if (params_.nagle && len < mss && !last_before_fin && D.small_segment_end > D.c.acked)
            return 0;  // the ACK of the outstanding small segment calls transmit again
        return len;
    }

    void send_segment(int d, int64_t len, bool fin) {
        DirectionRt& D = dirs_[d];
        const int64_t start_ns = std::max(now_, D.link_busy_until_ns);
        D.link_busy_until_ns = start_ns + serialization_ns(D.link, len);
        schedule(D.link_busy_until_ns + D.link.delay_ns, EventType::segment_arrival, d, D.c.sent, len, fin);
        emit({now_, TraceKind::segment_sent, d, -1, D.c.sent, len, 0, 0, fin});
        D.c.sent += len;
        D.c.in_flight += len;
        if (fin) D.fin_sent = true;
        if (len > 0 && len < segment_bytes(d)) D.small_segment_end = D.c.sent;
        if (len > 0) D.persist_backoff = 0;
        D.persist_armed = false;
        ++D.persist_gen;
    }

    void arm_persist(int d) {
        DirectionRt& D = dirs_[d];
        if (D.persist_armed) return;
        D.persist_armed = true;
        const int shift = std::min(D.persist_backoff, 40);
        const int128 interval = static_cast<int128>(persist_base_ns_) << shift;
        const int64_t interval_ns = static_cast<int64_t>(std::min<int128>(interval, params_.persist_max_ns));
        schedule(now_ + interval_ns, EventType::persist_timeout, d, 0, 0, false, ++D.persist_gen);
    }

    // ---------------------------------------------------------------- TCP receiver
    // tcp_queue_rcv: an arriving segment is appended to the tail skb (tcp_try_coalesce) unless
    // the tail is still cloned (skb_try_coalesce). On loopback and veth the receiver holds a
    // clone of the sender's skb until the sender frees its copy on the ACK; appending takes
    // page references only and leaves the tail uncloned. So the tail grows once the segment
    // it started as is acknowledged, until it holds MAX_SKB_FRAGS page fragments. (The limit
    // changes no cell of the loopback or the veth calibration grid, but it keeps a buffer larger
    // than the grid's from holding everything its reader read in one skb.)
    static void queue_rcv_skb(DirectionRt& D, int64_t len) {
        const int64_t end = D.c.arrived + len;
        const int64_t frags = page_frags_of_segment(D.c.arrived, len);
        if (!D.rcv_skb_ends.empty() && D.rcv_tail_first_end <= D.c.acked && D.rcv_tail_frags + frags <= kMaxSkbFrags) {
            D.rcv_skb_ends.back() = end;
            D.rcv_tail_frags += frags;
        } else {
            D.rcv_skb_ends.push_back(end);
            D.rcv_tail_first_end = end;
            D.rcv_tail_frags = frags;
        }
    }

    static int64_t free_recv_bytes(const DirectionRt& D) {
        return D.c.recvq_capacity - D.c.recvq() - D.read_but_held();
    }

    // The window the receiver of direction d would offer now, before the no-shrink rule.
    int64_t fresh_window(int d) const {
        const DirectionRt& D = dirs_[d];
        const int64_t full = D.c.recvq_capacity;
        const int64_t free_bytes = free_recv_bytes(D);
        // tcp_output.c __tcp_select_window: below half the buffer, no window under one
        // received segment (rcv_mss) or a sixteenth of the buffer (receiver-side SWS avoidance).
        if (params_.receiver_sws && free_bytes < full / 2 &&
            (free_bytes < std::min(D.rcv_mss, full) || free_bytes < full / 16))
            return 0;
        return std::min(free_bytes, D.rcv_ssthresh);
    }

    // A window never moves its right edge to the left (RFC 9293 3.8.6.2.2).
    int64_t window_to_advertise(int d) const {
        const DirectionRt& D = dirs_[d];
        return std::max(fresh_window(d), D.adv_right - D.c.arrived);
    }

    // tcp.c __tcp_cleanup_rbuf: after a read, linux sends a window update only when the
    // window at least doubles; the textbook receiver announces any growth.
    bool window_update_due(int d) const {
        const DirectionRt& D = dirs_[d];
        const int64_t current = D.adv_right - D.c.arrived;
        const int64_t fresh = fresh_window(d);
        if (!params_.update_when_doubled) return fresh > current;
        return 2 * current <= D.c.recvq_capacity && fresh > 0 && fresh >= 2 * current;
    }

    void send_ack(int d) {
        DirectionRt& D = dirs_[d];
        const int64_t window = window_to_advertise(d);
        D.adv_right = D.c.arrived + window;
        D.ack_wup = D.c.arrived;
        D.last_window = window;
        D.ack_now = false;
        D.read_since_ack = false;
        if (D.delack_armed) {
            D.delack_armed = false;
            --active_pending_;  // the pending timer event is now stale
        }
        const int64_t back_delay_ns = dirs_[1 - d].link.delay_ns;
        schedule(now_ + back_delay_ns, EventType::ack_arrival, d, D.c.arrived, window);
        emit({now_, TraceKind::ack_sent, 1 - d, -1, D.c.arrived, 0, window});
    }

    // ---------------------------------------------------------------- one step
    // After an event: run every thread that can move, then let TCP send and acknowledge.
    void settle() {
        // A thread can make a sibling runnable (a shutdown wakes a blocked writer to fail),
        // so passes repeat until none is; each pass finishes or blocks every thread it runs.
        const size_t max_passes = endpoints_[0].threads.size() + endpoints_[1].threads.size() + 1;
        for (size_t pass = 0; pass < max_passes && run_runnable_threads(); ++pass) {}
        for (int d = 0; d < 2; ++d) {
            transmit(d);
            if (dirs_[d].writer_block_pending) {
                dirs_[d].sent_before_writer_sleep = dirs_[d].c.sent;
                dirs_[d].writer_block_pending = false;
            }
        }
        for (int d = 0; d < 2; ++d) {
            DirectionRt& D = dirs_[d];
            if (!D.ack_now && D.read_since_ack && window_update_due(d)) D.ack_now = true;
            D.read_since_ack = false;
            if (D.ack_now) send_ack(d);
        }
        detect_end();
    }

    bool run_runnable_threads() {
        bool ran = false;
        for (int e = 0; e < 2; ++e) {
            EndpointRt& ep = endpoints_[e];
            for (size_t i = 0; i < ep.threads.size() && !ops_exhausted_; ++i) {
                if (!runnable(e, ep.threads[i])) continue;
                run_thread(e, static_cast<int>(i));
                ran = true;
            }
        }
        return ran && !ops_exhausted_;
    }

    void detect_end() {
        if (finished_ || ops_exhausted_) return;
        if (endpoints_[0].unfinished + endpoints_[1].unfinished == 0) {
            finish(Outcome::completed, now_);
            return;
        }
        if (active_pending_ > 0) return;
        // Only persist timers remain: a probe changes something only if the receiver
        // would now offer a window; otherwise every unfinished thread waits forever.
        for (int d = 0; d < 2; ++d)
            if (dirs_[d].persist_armed && window_to_advertise(d) > 0) return;
        finish(Outcome::deadlock, progress_ns_);
    }

    void touch() { progress_ns_ = now_; }

    void report_progress() const {
        if (progress_) progress_(Progress{now_, events_, ops_executed_});
    }

    // ---------------------------------------------------------------- applications
    int64_t send_space(int e) const {
        const DirectionCounters& c = dirs_[e].c;
        return c.sendq_capacity - c.sendq();
    }
    int64_t readable(int e) const { return dirs_[1 - e].c.recvq(); }
    bool at_eof(int e) const { return dirs_[1 - e].fin_arrived && readable(e) == 0; }
    bool write_shut(int e) const { return dirs_[e].fin_requested; }

    // A blocked writer wakes on any free byte (textbook), or once a third of the
    // buffer is free (sock.h: sk_stream_is_writeable). But ACKs that arrive while the writer
    // holds the socket inside write() wait in its backlog, and sk_stream_wait_memory
    // re-checks for any free space after release_sock has processed them. Application steps
    // take no simulated time here, while on loopback a write takes longer than a round trip:
    // so the ACKs of everything outstanding when the writer blocked, up to what that step
    // sent, stand for that backlog, and the writer refills what they free. They count
    // whenever they come, delayed ACKs included: this is a fitted stand-in, not the kernel's
    // exact rule (counting only ACKs within a round trip of the block puts 50 of the 81
    // calibration cells in range instead of 62).
    bool writable(int e) const {
        const int64_t space = send_space(e);
        if (!params_.writer_wakes_at_third) return space > 0;
        const DirectionRt& D = dirs_[e];
        const bool acked_from_backlog = std::min(D.c.acked, D.sent_before_writer_sleep) > D.acked_at_writer_block;
        return space > 0 && (3 * space >= D.c.sendq_capacity || acked_from_backlog);
    }

    Step block_writer(int e, ThreadRt& t) {
        DirectionRt& D = dirs_[e];
        D.acked_at_writer_block = D.c.acked;
        D.sent_before_writer_sleep = D.c.sent;
        D.writer_block_pending = true;
        return block(t, Wait::send_space);
    }

    bool runnable(int e, const ThreadRt& t) const {
        switch (t.wait) {
            case Wait::none: return true;
            case Wait::send_space: return writable(e) || write_shut(e);
            case Wait::recv_data: return readable(e) > 0 || at_eof(e);
            case Wait::send_or_recv:
                return (t.op_done < t.op_requested && (writable(e) || write_shut(e))) || readable(e) > 0 || at_eof(e);
            case Wait::sleep:
            case Wait::done:
            case Wait::failed: return false;
        }
        return false;
    }

    void run_thread(int e, int ti) {
        ThreadRt& t = endpoints_[e].threads[ti];
        t.wait = Wait::none;
        while (true) {
            if (++ops_executed_ > scenario_.limits.events) {
                ops_exhausted_ = true;  // the run ends on the operations limit
                return;
            }
            if (ops_executed_ % kProgressSteps == 0) report_progress();
            Frame& f = t.stack.back();
            if (f.pc == f.ops->size()) {
                if (!end_of_frame(e, ti)) return;
                continue;
            }
            const Op& op = (*f.ops)[f.pc];
            if (op.kind == OpKind::repeat) {
                TCPSIM_CHECK(t.stack.size() < kMaxFrames);
                t.stack.push_back(Frame{&op.body, 0, op.count, op.until_eof});
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
            if (step == Step::eof_zero && break_eof_loop(t)) continue;
            ++t.stack.back().pc;
        }
    }

    // End of a loop body or of the program. Returns false when the thread finished.
    bool end_of_frame(int e, int ti) {
        ThreadRt& t = endpoints_[e].threads[ti];
        if (t.stack.size() == 1) {
            finish_thread(e, t, Wait::done);
            return false;
        }
        Frame& f = t.stack.back();
        if (!f.until_eof && --f.iterations_left == 0) {
            t.stack.pop_back();
            ++t.stack.back().pc;
            return true;
        }
        f.pc = 0;
        fast_forward(e, ti);
        return true;
    }

    // A read returned 0 at end of file: leave the innermost repeat-until-EOF loop.
    static bool break_eof_loop(ThreadRt& t) {
        for (size_t i = t.stack.size(); i-- > 1;) {
            if (!t.stack[i].until_eof) continue;
            t.stack.resize(i);
            ++t.stack.back().pc;
            return true;
        }
        return false;
    }

    void finish_thread(int e, ThreadRt& t, Wait final_state) {
        t.wait = final_state;
        touch();
        EndpointRt& ep = endpoints_[e];
        TCPSIM_CHECK(ep.unfinished > 0);
        if (--ep.unfinished == 0) dirs_[e].fin_requested = true;  // process exit closes the socket
    }

    // A loop body of plain reads and writes that nothing blocks advances arithmetically:
    // m identical iterations in one step, so cost grows with blocking points, not calls.
    void fast_forward(int e, int ti) {
        ThreadRt& t = endpoints_[e].threads[ti];
        Frame& f = t.stack.back();
        if (f.pc != 0) return;
        int64_t read_bytes = 0, write_bytes = 0, last_read = -1;
        for (const Op& op : *f.ops) {
            switch (op.kind) {
                case OpKind::read:
                case OpKind::read_exact: read_bytes += op.bytes; last_read = op.bytes; break;
                case OpKind::write:
                case OpKind::send:
                    if (op.ratio) {
                        if (last_read < 0) return;  // would depend on the previous iteration
                        write_bytes += model::apply_ratio(last_read, *op.ratio);
                    } else {
                        write_bytes += op.bytes;
                    }
                    break;
                default: return;
            }
        }
        if (read_bytes == 0 && write_bytes == 0) return;
        if (write_bytes > 0 && write_shut(e)) return;  // the writes fail: run them one by one
        int64_t m = f.until_eof ? std::numeric_limits<int64_t>::max() : f.iterations_left;
        if (read_bytes > 0) m = std::min(m, readable(e) / read_bytes);
        if (write_bytes > 0) m = std::min(m, send_space(e) / write_bytes);
        if (!f.until_eof) m = std::min(m, f.iterations_left - 1);  // the last one runs normally
        if (m < 1) return;
        consume(dirs_[1 - e], m * read_bytes);
        dirs_[e].c.written += m * write_bytes;
        t.bytes_read += m * read_bytes;
        t.bytes_written += m * write_bytes;
        if (last_read >= 0) t.last_read = last_read;
        if (!f.until_eof) f.iterations_left -= m;
        ++ops_executed_;  // the operations limit bounds work: a batch is one step
        touch();
        TraceEvent ev{now_, TraceKind::op_batch, e, ti, 0, m * (read_bytes + write_bytes), 0, m};
        ev.op = "repeat";
        ev.thread_written = t.bytes_written;
        ev.thread_read = t.bytes_read;
        emit(ev);
    }

    void start_op(int e, int ti, ThreadRt& t, const Op& op) {
        t.op_active = true;
        t.op_done = 0;
        t.sleep_elapsed = false;
        t.op_duration_ns = op.kind == OpKind::sleep ? op.duration_ns : 0;
        switch (op.kind) {
            case OpKind::write:
            case OpKind::send: t.op_requested = op.ratio ? model::apply_ratio(t.last_read, *op.ratio) : op.bytes; break;
            case OpKind::event_loop: t.op_requested = op.write_total; break;
            default: t.op_requested = op.bytes; break;
        }
        emit_op(TraceKind::op_start, e, ti, op.kind);
    }

    void copy_in(int e, ThreadRt& t, int64_t bytes) {
        if (bytes <= 0) return;
        dirs_[e].c.written += bytes;
        t.bytes_written += bytes;
        t.op_done += bytes;
        touch();
    }

    void take_out(int e, ThreadRt& t, int64_t bytes) {
        if (bytes <= 0) return;
        consume(dirs_[1 - e], bytes);
        t.bytes_read += bytes;
        t.op_done += bytes;
        touch();
    }

    // The reader takes bytes out of the receive queue; skbs it has read to the end are freed.
    static void consume(DirectionRt& rx, int64_t bytes) {
        if (bytes <= 0) return;
        rx.c.read += bytes;
        rx.read_since_ack = true;
        while (!rx.rcv_skb_ends.empty() && rx.rcv_skb_ends.front() <= rx.c.read) {
            rx.rcv_head_skb_start = rx.rcv_skb_ends.front();
            rx.rcv_skb_ends.pop_front();
        }
        if (rx.rcv_skb_ends.empty()) rx.rcv_head_skb_start = rx.c.read;  // nothing held (textbook: always)
    }

    Step block(ThreadRt& t, Wait wait) {
        if (t.wait != wait) touch();
        t.wait = wait;
        return Step::blocked;
    }

    static Step fail(ThreadRt& t, const char* why) {
        t.error = why;
        return Step::failed;
    }

    Step execute(int e, int ti, const Op& op) {
        ThreadRt& t = endpoints_[e].threads[ti];
        if (!t.op_active) start_op(e, ti, t, op);
        switch (op.kind) {
            case OpKind::write:
            case OpKind::send: return exec_write(e, t, op.kind == OpKind::send);
            case OpKind::read:
            case OpKind::read_exact:
            case OpKind::read_to_end: return exec_read(e, t, op.kind);
            case OpKind::shutdown:
                dirs_[e].fin_requested = true;
                return Step::completed;
            case OpKind::close:
                dirs_[e].fin_requested = true;
                endpoints_[e].read_closed = true;
                return Step::completed;
            case OpKind::sleep:
                if (t.sleep_elapsed) return Step::completed;
                schedule(now_ + op.duration_ns, EventType::sleep_done, e, 0, 0, false, static_cast<uint32_t>(ti));
                t.wait = Wait::sleep;
                return Step::blocked;
            case OpKind::event_loop: return exec_event_loop(e, t, op);
            case OpKind::repeat: break;
        }
        TCPSIM_CHECK(!"unreachable op kind");
        return Step::failed;
    }

    Step exec_write(int e, ThreadRt& t, bool partial_ok) {
        if (t.op_requested == t.op_done) return Step::completed;
        if (write_shut(e)) return fail(t, "write after shutdown (EPIPE)");
        copy_in(e, t, std::min(send_space(e), t.op_requested - t.op_done));
        if (t.op_done == t.op_requested || (partial_ok && t.op_done > 0)) return Step::completed;
        return block_writer(e, t);
    }

    Step exec_read(int e, ThreadRt& t, OpKind kind) {
        if (endpoints_[e].read_closed) return fail(t, "read after close (EBADF)");
        const int64_t want = kind == OpKind::read_to_end ? readable(e) : t.op_requested - t.op_done;
        take_out(e, t, std::min(want, readable(e)));
        const bool satisfied = kind == OpKind::read ? t.op_done > 0
                             : kind == OpKind::read_exact ? t.op_done == t.op_requested
                             : false;
        if (satisfied || at_eof(e)) {
            t.last_read = t.op_done;
            return t.op_done == 0 ? Step::eof_zero : Step::completed;
        }
        return block(t, Wait::recv_data);
    }

    // The selector fix: write while writable, read while readable, in one thread.
    Step exec_event_loop(int e, ThreadRt& t, const Op& op) {
        if (t.op_done < op.write_total) {
            if (write_shut(e)) return fail(t, "write after shutdown (EPIPE)");
            copy_in(e, t, std::min(send_space(e), op.write_total - t.op_done));
        }
        if (t.op_done == op.write_total && op.shutdown_when_done) dirs_[e].fin_requested = true;
        const int64_t avail = readable(e);
        if (avail > 0) {
            consume(dirs_[1 - e], avail);
            t.bytes_read += avail;
            touch();
        }
        if (t.op_done == op.write_total && at_eof(e)) return Step::completed;
        return block(t, Wait::send_or_recv);  // a non-blocking writer polls: POLLOUT needs a third free
    }

    // ---------------------------------------------------------------- invariants
    void check_invariants() const {
        for (const DirectionRt& D : dirs_) {
            const DirectionCounters& c = D.c;
            TCPSIM_CHECK(c.written >= c.sent && c.sent >= c.acked && c.acked >= 0);
            TCPSIM_CHECK(c.sent == c.arrived + c.in_flight);  // bytes are conserved
            TCPSIM_CHECK(c.in_flight >= 0 && c.arrived >= c.read && c.acked <= c.arrived);
            TCPSIM_CHECK(c.sendq() <= c.sendq_capacity);
            TCPSIM_CHECK(c.recvq() <= c.recvq_capacity);
            // Read bytes still held by a partly read skb count against the buffer too.
            TCPSIM_CHECK(D.read_but_held() >= 0 && c.recvq() + D.read_but_held() <= c.recvq_capacity);
            TCPSIM_CHECK(c.peer_window >= 0 && D.adv_right >= D.c.arrived);
        }
    }

    // ---------------------------------------------------------------- observer
    void emit(const TraceEvent& ev) const {
        if (observer_ == nullptr) return;
        std::array<DirectionCounters, 2> counters{dirs_[0].c, dirs_[1].c};
        for (int d = 0; d < 2; ++d) {
            counters[d].advertised = dirs_[d].last_window;
            counters[d].held = dirs_[d].read_but_held();
        }
        observer_->on_event(ev, counters);
    }

    void emit_op(TraceKind kind, int e, int ti, OpKind op) const {
        if (observer_ == nullptr) return;
        const ThreadRt& t = endpoints_[e].threads[ti];
        TraceEvent ev{now_, kind, e, ti, 0, t.op_done, 0, t.op_requested};
        ev.op = op_name(op);
        ev.thread_written = t.bytes_written;
        ev.thread_read = t.bytes_read;
        ev.duration_ns = t.op_duration_ns;
        emit(ev);
    }

    // ---------------------------------------------------------------- result
    Result finish_limit(const char* reason) {
        finish(Outcome::limit, now_);
        result_.limit_reason = reason;
        return std::move(result_);
    }

    void finish(Outcome outcome, int64_t time_ns) {
        finished_ = true;
        result_.scenario = scenario_.name;
        result_.outcome = outcome;
        result_.time_ns = time_ns;
        result_.events = events_;
        for (int e = 0; e < 2; ++e) {
            for (const ThreadRt& t : endpoints_[e].threads) result_.threads.push_back(report_thread(e, t));
            const DirectionRt& tx = dirs_[e];
            const DirectionRt& rx = dirs_[1 - e];
            result_.queues[e] = QueueReport{scenario_.endpoints[e].name, tx.c.sendq(), rx.c.recvq(),
                                            tx.c.sendq_capacity, rx.c.recvq_capacity, rx.last_window,
                                            rx.read_but_held()};
        }
        if (outcome == Outcome::deadlock) result_.cycle = describe_cycle(scenario_, result_, cycle_facts());
    }

    CycleFacts cycle_facts() const {
        CycleFacts facts;
        for (int e = 0; e < 2; ++e) {
            facts.write_shut[e] = dirs_[e].fin_requested;
            facts.window_zero[e] = window_to_advertise(1 - e) == 0;
        }
        facts.writer_wakes_at_third = params_.writer_wakes_at_third;
        return facts;
    }

    ThreadReport report_thread(int e, const ThreadRt& t) const {
        ThreadReport r;
        r.endpoint = scenario_.endpoints[e].name;
        r.name = t.spec->name;
        r.bytes_written = t.bytes_written;
        r.bytes_read = t.bytes_read;
        r.error = t.error;
        switch (t.wait) {
            case Wait::done: r.state = ThreadState::done; return r;
            case Wait::failed: r.state = ThreadState::failed; return r;
            case Wait::none: r.state = ThreadState::running; return r;  // cut off by a limit
            case Wait::sleep: r.state = ThreadState::sleeping; break;
            default: r.state = ThreadState::blocked; break;
        }
        BlockedIn b;
        const Frame& top = t.stack.back();
        const Op& op = (*top.ops)[std::min(top.pc, top.ops->size() - 1)];
        b.op = op_name(op.kind);
        b.index = static_cast<int>(t.stack.front().pc);
        for (size_t i = 0; i < t.stack.size(); ++i)
            b.at += (i == 0 ? "ops[" : ".do[") + std::to_string(t.stack[i].pc) + "]";
        b.requested = t.op_requested;
        b.done = t.op_done;
        b.duration_ns = t.op_duration_ns;
        r.blocked_in = b;
        return r;
    }

    const model::Scenario& scenario_;
    const ProfileParams params_;
    Observer* observer_;
    const ProgressFn& progress_;
    std::array<EndpointRt, 2> endpoints_;
    std::array<DirectionRt, 2> dirs_;
    std::priority_queue<Event, std::vector<Event>, Later> heap_;
    uint64_t next_order_ = 0;
    int64_t active_pending_ = 0;  // pending events other than persist timers and stale timers
    int64_t now_ = 0;
    int64_t progress_ns_ = 0;     // the last time a queue level or a thread state changed
    int64_t events_ = 0;
    int64_t ops_executed_ = 0;
    int64_t persist_base_ns_ = 0;
    bool ops_exhausted_ = false;
    bool finished_ = false;
    Result result_;
};

}  // namespace

Result simulate(const model::Scenario& scenario, const ProfileParams& params, Observer* observer,
                const ProgressFn& progress) {
    Engine engine(scenario, params, observer, progress);
    return engine.run();
}

Result simulate(const model::Scenario& scenario, Observer* observer) {
    return simulate(scenario, profile_for(scenario.profile), observer);
}

}  // namespace tcpsim::core
