#include "core/result.hpp"

namespace tcpsim::core {

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

const char* to_string(LimitReason reason) {
    switch (reason) {
        case LimitReason::none: return "";
        case LimitReason::time: return "time";
        case LimitReason::events: return "events";
        case LimitReason::operations: return "operations";
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

std::string socket_key(const Result& result, size_t i) {
    const QueueReport& q = result.queues[i];
    return result.queues.size() == 2 ? q.endpoint : q.endpoint + "." + q.peer;
}

}  // namespace tcpsim::core
