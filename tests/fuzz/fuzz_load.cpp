// libFuzzer target: arbitrary bytes as a scenario file. Input that does not load must be one
// InputError; input that loads is simulated (bounded) and rendered, and the lecture page's
// engine offers its controls. Anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "bounded_run.hpp"
#include "web/lecture_engine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        tcpsim::scenario::Loaded loaded = tcpsim::scenario::load_text(text, "fuzz.json");
        tcpsim::fuzz::run_bounded(loaded);
        // A file that loads has its controls (the binder's settable values, read back by the leaves' parsers).
        const std::string request = nlohmann::json{{"scenario", text}, {"file", "fuzz.json"}}.dump();
        if (!nlohmann::json::parse(tcpsim::web::lecture_controls(request)).at("ok").get<bool>()) std::abort();
    } catch (const tcpsim::scenario::InputError&) {
        // The one way bad input may end.
    }
    return 0;
}
