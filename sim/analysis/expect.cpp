#include "analysis/expect.hpp"

namespace tcpsim::analysis {

using nlohmann::ordered_json;

namespace {

// The report lists threads; expect blocks name them "endpoint.thread".
ordered_json threads_by_label(const ordered_json& report) {
    ordered_json keyed = ordered_json::object();
    for (const ordered_json& t : report.at("threads"))
        keyed[t.at("endpoint").get<std::string>() + "." + t.at("name").get<std::string>()] = t;
    return keyed;
}

std::string escape_pointer_token(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

void compare_into(const ordered_json& expected, const ordered_json& actual, const std::string& path,
                  std::vector<std::string>& mismatches) {
    if (expected.is_object() && actual.is_object()) {
        for (const auto& [key, value] : expected.items()) {
            const std::string sub = path + "/" + escape_pointer_token(key);
            if (!actual.contains(key)) {
                mismatches.push_back(sub + ": expected " + value.dump() + ", got nothing");
                continue;
            }
            compare_into(value, actual.at(key), sub, mismatches);
        }
        return;
    }
    if (expected != actual) mismatches.push_back(path + ": expected " + expected.dump() + ", got " + actual.dump());
}

}  // namespace

std::vector<std::string> compare_expect(const ordered_json& expect, const ordered_json& report) {
    ordered_json actual = report;
    actual["threads"] = threads_by_label(report);
    std::vector<std::string> mismatches;
    compare_into(expect, actual, "", mismatches);
    return mismatches;
}

}  // namespace tcpsim::analysis
