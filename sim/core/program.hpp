// A cursor over a thread's program: where it stands in its op list and in the loops around it.
// The simulator and `measure` both walk programs with it, so loops, EOF exits and positions
// ("ops[1].do[0]") mean the same in both.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/check.hpp"
#include "core/model.hpp"

namespace tcpsim::core {

class ProgramCursor {
public:
    // A loop being run: its body, the iterations it has left (count loops), whether it runs to
    // EOF, when it stops starting iterations (duration loops; -1: never) and which one it is in.
    struct Frame {
        const std::vector<model::Op>* ops;
        size_t pc;
        int64_t iterations_left;
        bool until_eof;
        int64_t deadline_ns = -1;
        int64_t iteration = 0;
    };

    explicit ProgramCursor(const std::vector<model::Op>& program) {
        stack_.reserve(kMaxFrames);
        stack_.push_back(Frame{&program, 0, 1, false});
    }

    // Past the last op of the current frame: a loop's iteration or the whole program ends.
    bool at_frame_end() const { return stack_.back().pc == stack_.back().ops->size(); }
    bool in_loop() const { return stack_.size() > 1; }
    const model::Op& op() const { return (*stack_.back().ops)[stack_.back().pc]; }
    Frame& frame() { return stack_.back(); }

    // The op returned: go on with the next one.
    void advance() { ++stack_.back().pc; }

    // Starts the repeat op under the cursor at its body's first op (at time now_ns).
    void enter_loop(const model::Op& repeat, int64_t now_ns) {
        TCPSIM_CHECK(repeat.kind == model::OpKind::repeat && stack_.size() < kMaxFrames);
        const bool timed = repeat.duration_ns > 0;
        stack_.push_back(Frame{&repeat.body, 0, timed ? 0 : repeat.count, repeat.until_eof,
                               timed ? now_ns + repeat.duration_ns : -1, 0});
    }

    // At the end of a loop's body (at time now_ns): starts the next iteration (true) or leaves
    // the loop, moving past it (false).
    bool next_iteration(int64_t now_ns) {
        Frame& f = stack_.back();
        TCPSIM_CHECK(in_loop() && at_frame_end());
        const bool over = f.deadline_ns >= 0 ? now_ns >= f.deadline_ns : !f.until_eof && --f.iterations_left == 0;
        if (over) {
            stack_.pop_back();
            advance();
            return false;
        }
        f.pc = 0;
        ++f.iteration;
        return true;
    }

    // The iteration the innermost loop is in (0 outside loops): it picks cycling sizes.
    int64_t iteration() const { return stack_.back().iteration; }

    // A read returned 0 at end of file: leave the innermost repeat-until-EOF loop and move past
    // it. False when no such loop is running (the program simply goes on).
    bool leave_eof_loop() {
        for (size_t i = stack_.size(); i-- > 1;) {
            if (!stack_[i].until_eof) continue;
            stack_.resize(i);
            advance();
            return true;
        }
        return false;
    }

    // The index of the top-level op the cursor is in.
    int top_index() const { return static_cast<int>(stack_.front().pc); }
    // The full position, e.g. "ops[1].do[0]".
    std::string position() const {
        std::string at;
        for (size_t i = 0; i < stack_.size(); ++i)
            at += (i == 0 ? "ops[" : ".do[") + std::to_string(stack_[i].pc) + "]";
        return at;
    }
    // The op at the cursor, or the frame's last op when it stands past the end.
    const model::Op& op_or_last() const {
        const Frame& f = stack_.back();
        return (*f.ops)[std::min(f.pc, f.ops->size() - 1)];
    }

private:
    static constexpr size_t kMaxFrames = 9;  // nesting depth 8 (validated) plus the program itself
    std::vector<Frame> stack_;
};

}  // namespace tcpsim::core
