// What a run's threads share with its watchdog: their states and progress, the start and the
// stop, the time limit; and the threads themselves, on stacks cut from one mapping.
#pragma once

#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace tcpsim::measure {

using Clock = std::chrono::steady_clock;

enum class State : int { running, blocked, sleeping, done, failed };
constexpr size_t kStates = 5;

// One thread's progress, read when the record is taken.
struct Probe {
    std::atomic<int64_t> written{0};
    std::atomic<int64_t> read{0};
    std::atomic<int> state{static_cast<int>(State::running)};
    std::mutex mu;              // guards the two fields below
    core::BlockedIn blocked;
    std::string error;
};

// A new non-blocking event fd; MeasureError when the system has none to give.
int make_event_fd();
// Makes an event fd readable for good, so every wait on it ends, now and later.
void signal_event(int fd);

// What every thread of a run shares with the watchdog. Threads count their progress here as
// they go, so a sample costs the same for ten threads or ten thousand; and they wait on the
// stop event next to their socket, so no thread wakes until its socket or the stop calls it
// (thousands of threads waking on a timer would starve the watchdog and the run itself).
class RunControl {
public:
    RunControl(int threads, Clock::time_point deadline)
        : start_fd_(make_event_fd()), stop_fd_(make_event_fd()), deadline_(deadline) {
        in_state_[static_cast<size_t>(State::running)] = threads;
    }
    RunControl(const RunControl&) = delete;
    RunControl& operator=(const RunControl&) = delete;
    ~RunControl() {
        close(start_fd_);
        close(stop_fd_);
    }

    // Threads wait here until every thread of the run exists, so they all start together.
    void wait_for_start() const {
        pollfd p{start_fd_, POLLIN, 0};
        while (poll(&p, 1, -1) < 0 && errno == EINTR) {}  // once per signal
    }
    void start() { signal_event(start_fd_); }

    bool stopped() const { return stopped_; }
    // Whether a thread must end its program: the run is stopped, or its time limit has passed,
    // and then the thread is first held, as it is, until the stop. So no thread goes on past
    // the limit even when the watchdog, one thread among thousands, wakes late to it.
    bool over() const {
        if (!stopped_ && Clock::now() >= deadline_) {
            pollfd p{stop_fd_, POLLIN, 0};
            while (poll(&p, 1, -1) < 0 && errno == EINTR) {}  // once per signal
        }
        return stopped_ || Clock::now() >= deadline_;
    }
    Clock::time_point deadline() const { return deadline_; }
    // Wakes every waiting thread at once, and any still held at the start.
    void stop() {
        stopped_ = true;
        signal_event(stop_fd_);
        start();
    }
    int stop_fd() const { return stop_fd_; }

    void moved(int64_t bytes) { bytes_moved_ += bytes; }
    void changed_state(State from, State to) {
        --in_state_[static_cast<size_t>(from)];
        ++in_state_[static_cast<size_t>(to)];
    }
    int64_t bytes_moved() const { return bytes_moved_; }
    int threads_in(State s) const { return in_state_[static_cast<size_t>(s)]; }

private:
    const int start_fd_;
    const int stop_fd_;
    const Clock::time_point deadline_;
    std::atomic<bool> stopped_{false};
    std::atomic<int64_t> bytes_moved_{0};  // written plus read, over every thread
    std::array<std::atomic<int>, kStates> in_state_{};
};

// The run's threads, on stacks cut from one mapping made up front. With a mapping of its
// own, each thread takes the address-space lock to be made and again to exit, and thousands
// of exits at the stop queue on it: joining 10,000 threads took 3 s that way, 0.25 s this way.
class ThreadGroup {
public:
    static constexpr size_t kStackBytes = 256 << 10;  // a worker needs a few KiB; sanitizers more

    // Stops the run before joining, however the group is left.
    ThreadGroup(size_t capacity, RunControl& control) : capacity_(capacity), control_(control) {
        threads_.reserve(capacity);
        bodies_.reserve(capacity);
        void* region = mmap(nullptr, capacity * slot_bytes(), PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (region == MAP_FAILED) region_error_ = std::strerror(errno);
        else region_ = static_cast<char*>(region);
    }
    ThreadGroup(const ThreadGroup&) = delete;
    ThreadGroup& operator=(const ThreadGroup&) = delete;
    ~ThreadGroup() {
        control_.stop();
        for (const pthread_t& t : threads_) pthread_join(t, nullptr);
        if (region_ != nullptr) munmap(region_, capacity_ * slot_bytes());
    }

    // Runs `body` on a thread of its own; false, with the system's reason, when refused.
    bool start(std::function<void()> body, std::string& why) {
        if (region_ == nullptr) {
            why = "no room for their stacks, " + std::to_string(capacity_) + " x " + std::to_string(kStackBytes >> 10) +
                  " KiB (" + region_error_ + ")";
            return false;
        }
        assert(threads_.size() < capacity_);
        // A guard page below each stack: an overflow faults instead of writing into the next.
        char* slot = region_ + threads_.size() * slot_bytes();
        if (mprotect(slot, guard_bytes(), PROT_NONE) != 0) {
            why = std::string("mprotect: ") + std::strerror(errno);
            return false;
        }
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstack(&attr, slot + guard_bytes(), kStackBytes);
        bodies_.push_back(std::make_unique<std::function<void()>>(std::move(body)));
        pthread_t id;
        const int error = pthread_create(&id, &attr, run_body, bodies_.back().get());
        pthread_attr_destroy(&attr);
        if (error != 0) {
            bodies_.pop_back();
            why = std::strerror(error);
            return false;
        }
        threads_.push_back(id);
        return true;
    }

private:
    static void* run_body(void* body) {
        (*static_cast<std::function<void()>*>(body))();
        return nullptr;
    }
    static size_t guard_bytes() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }
    static size_t slot_bytes() { return guard_bytes() + kStackBytes; }

    const size_t capacity_;
    RunControl& control_;
    char* region_ = nullptr;
    std::string region_error_;
    std::vector<pthread_t> threads_;
    std::vector<std::unique_ptr<std::function<void()>>> bodies_;
};

}  // namespace tcpsim::measure
