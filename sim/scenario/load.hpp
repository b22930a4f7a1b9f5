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

}  // namespace tcpsim::scenario
