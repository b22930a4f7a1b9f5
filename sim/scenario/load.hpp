// Scenario files: JSON text -> validated model::Scenario, with --set overrides.
// Every problem is reported as one InputError line naming the file and the
// JSON pointer of the offending value.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model.hpp"
#include "scenario/units.hpp"

namespace tcpsim::scenario {

struct Loaded {
    model::Scenario scenario;
    nlohmann::ordered_json expect;    // normalized expect block, or null when the file has none
    nlohmann::ordered_json document;  // the whole document after --set overrides (kept for tools that re-emit it)
    std::string profile_path;         // the "profile" file (linux model), relative paths resolved; empty: built-in
    std::vector<std::string> variant_paths;  // the "variants" files (for tcpsim lecture), relative paths resolved
};

// Reads, overrides (in order) and validates one scenario file.
Loaded load_file(const std::string& path, const std::vector<std::string>& sets = {});

// As load_file, for text already in memory; file_label names it in messages.
Loaded load_text(const std::string& text, const std::string& file_label,
                 const std::vector<std::string>& sets = {});

// As load_text, for a document already parsed (sweeps apply their values to one parse).
Loaded load_document(nlohmann::ordered_json document, const std::string& file_label,
                     const std::vector<std::string>& sets = {});

// The path that names standard input.
inline const std::string kStdinPath = "-";
// The most tcpsim reads as one input file: scenarios, profiles and calibration sessions are
// kilobytes; anything larger is a mistake (a device, a wrong file) and is refused at once.
inline constexpr size_t kMaxInputBytes = size_t{4} << 20;

// The whole file (or standard input for "-"), at most kMaxInputBytes. InputError names the path
// when it cannot be opened, is not a regular file (a directory, a FIFO, a device), or is too large.
std::string read_file(const std::string& path);

// Parses JSON text; a syntax error or a duplicate key is one InputError line with the position.
nlohmann::ordered_json parse_json(const std::string& text, const std::string& file);

// nlohmann's exception text without its "[json.exception...]" tag and parser detail.
std::string short_reason(std::string message);

// Applies one "path=value" override to a parsed document; throws InputError naming
// file_label and the --set text. The path is dotted ("endpoints.A.sqs") or a JSON
// pointer ("/endpoints/A/sqs"); the value is JSON if it parses, else a string.
void apply_set(nlohmann::ordered_json& doc, const std::string& assignment, const std::string& file_label);

// ---- single leaves, for tools that set values on a loaded model (scenario/bind.hpp) ----

// The numeric leaves of the format, each read as the loader reads it at its place.
enum class Leaf {
    socket_size,      // an endpoint's or a connection end's "sqs"/"rqs"
    link_bandwidth,   // "bandwidth" of a link block or direction
    link_delay,       // "delay"
    link_mss,         // "mss"
    op_size,          // write/send/read/read_exact, or one item of their size list
    sleep,            // "sleep"
    repeat_count,     // "repeat": a count
    repeat_duration,  // "repeat": a duration string
    loop_write,       // an event loop's "write"
    loop_chunk,       // an event loop's "write_chunk" or "read_chunk"
    queue_capacity,   // an endpoint queue's "capacity" (a size or "unbounded")
    pipe_capacity,    // a pipe's "capacity"
    limit_time,       // "limits.time"
    limit_events,     // "limits.events"
};

// The value of one leaf, with the loader's parser, bounds and message (InputError at `where`).
int64_t parse_leaf(Leaf leaf, const nlohmann::ordered_json& value, const std::string& where);

// Whether a thread's ops write at most the bytes the loader allows one thread (repeat counts
// multiplied through), as the loader checks it.
bool within_write_limit(const std::vector<model::Op>& ops);

}  // namespace tcpsim::scenario
