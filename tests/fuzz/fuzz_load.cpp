// libFuzzer target: arbitrary bytes as a scenario file. Input that does not load must be one
// InputError; input that loads is simulated (bounded) and rendered. Anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "bounded_run.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        tcpsim::scenario::Loaded loaded = tcpsim::scenario::load_text(text, "fuzz.json");
        tcpsim::fuzz::run_bounded(loaded);
    } catch (const tcpsim::scenario::InputError&) {
        // The one way bad input may end.
    }
    return 0;
}
