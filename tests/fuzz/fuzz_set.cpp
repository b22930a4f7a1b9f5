// libFuzzer target: `--set` overrides on a shipped scenario, and the unit parsers.
// Input: the first line names a scenario of scenarios/ (any other first line picks one by its
// length); each further line is one "path=value" assignment, as `--set` takes it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "bounded_run.hpp"
#include "scenario/units.hpp"
#include "text/format.hpp"

namespace {

using nlohmann::ordered_json;
using namespace tcpsim;

constexpr size_t kMaxAssignments = 8;

struct Shipped {
    std::string name;  // the file name without .json
    ordered_json document;
};

std::vector<Shipped> load_shipped() {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    for (const fs::directory_entry& entry : fs::directory_iterator(fs::path(TCPSIM_SOURCE_DIR) / "scenarios"))
        if (entry.path().extension() == ".json" && entry.path().string().find(".schema.") == std::string::npos)
            files.push_back(entry.path());
    std::sort(files.begin(), files.end());  // the same input picks the same scenario everywhere
    std::vector<Shipped> shipped;
    for (const fs::path& file : files)
        shipped.push_back({file.stem().string(), scenario::parse_json(scenario::read_file(file.string()), file.string())});
    if (shipped.empty()) __builtin_trap();  // a fuzzer with nothing to override finds nothing
    return shipped;
}

const std::vector<Shipped>& shipped() {
    static const std::vector<Shipped> all = load_shipped();
    return all;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start <= text.size() && lines.size() <= kMaxAssignments) {
        const size_t end = std::min(text.find('\n', start), text.size());
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

// The value of "path=value" read as apply_set reads it: JSON if it parses, else a string.
ordered_json value_of(const std::string& assignment) {
    const size_t equals = assignment.find('=');
    const std::string value = equals == std::string::npos ? assignment : assignment.substr(equals + 1);
    ordered_json parsed = ordered_json::parse(value, nullptr, /*allow_exceptions=*/false);
    return parsed.is_discarded() ? ordered_json(value) : parsed;
}

template <typename Parse>
void expect_value_or_input_error(Parse parse) {
    try {
        parse();
    } catch (const scenario::InputError&) {
    }
}

// Each parser either gives a value or one InputError; sizes and bandwidths print back exactly,
// so what they print parses to the same value.
void parse_units(const ordered_json& value) {
    const std::string where = "fuzz: --set";
    expect_value_or_input_error([&] {
        const int64_t bytes = scenario::parse_size(value, where);
        if (scenario::parse_size(text::format_size(bytes), where) != bytes) __builtin_trap();
    });
    expect_value_or_input_error([&] { text::format_duration(scenario::parse_duration_ns(value, where)); });
    expect_value_or_input_error([&] {
        const int64_t bps = scenario::parse_bandwidth_bps(value, where);
        if (scenario::parse_bandwidth_bps(text::format_bandwidth(bps), where) != bps) __builtin_trap();
    });
    expect_value_or_input_error([&] { scenario::parse_ratio(value, where); });
}

const Shipped& pick(const std::string& first_line) {
    for (const Shipped& s : shipped())
        if (s.name == first_line) return s;
    return shipped()[first_line.size() % shipped().size()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::vector<std::string> lines = split_lines(std::string(reinterpret_cast<const char*>(data), size));
    const Shipped& base = pick(lines[0]);
    const std::vector<std::string> sets(lines.begin() + 1, lines.end());
    for (const std::string& assignment : sets) parse_units(value_of(assignment));
    try {
        scenario::Loaded loaded = scenario::load_document(base.document, base.name + ".json", sets);
        fuzz::run_bounded(loaded);
    } catch (const scenario::InputError&) {
    }
    return 0;
}
