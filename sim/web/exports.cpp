// The lecture engine's entry points, called through Module.lecture (engine_call.js): a request
// string in, an answer string out. Only the WebAssembly build compiles this file. Each answer
// stays valid until the next call of the same function.
#include <emscripten/emscripten.h>

#include <string>

#include "web/lecture_engine.hpp"

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* tcpsim_lecture_controls(const char* request) {
    static std::string answer;
    answer = tcpsim::web::lecture_controls(request);
    return answer.c_str();
}

EMSCRIPTEN_KEEPALIVE const char* tcpsim_lecture_run(const char* request) {
    static std::string answer;
    answer = tcpsim::web::lecture_run(request);
    return answer.c_str();
}

}  // extern "C"
