#include "views/lecture_page.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "views/svg.hpp"

namespace tcpsim::views {

namespace {

bool contains_closing_tag(std::string_view text, std::string_view tag) {
    const std::string closing = "</" + std::string(tag);
    const auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
    return std::search(text.begin(), text.end(), closing.begin(), closing.end(),
                       [&](char a, char b) { return lower(a) == lower(b); }) != text.end();
}

// JSON inside <script type="application/json">: every '<' (only ever inside a string) written
// \u003c, the same string to a JSON parser, so no scenario text can end the element or send the
// HTML parser into a comment or script state ("</script>", "<!--<script>").
std::string script_safe_json(const nlohmann::ordered_json& value) {
    const std::string text = value.dump();
    std::string out;
    for (char c : text) {
        if (c == '<') out += "\\u003c";
        else out += c;
    }
    return out;
}

}  // namespace

std::string lecture_page(const LecturePageParts& parts, const std::vector<LectureScenario>& scenarios) {
    if (scenarios.empty()) throw std::logic_error("lecture page: no scenario");
    if (contains_closing_tag(parts.engine_js, "script") || contains_closing_tag(parts.script, "script") ||
        contains_closing_tag(parts.css, "style"))
        throw std::logic_error("lecture page: a built-in part would close its element early");
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const LectureScenario& s : scenarios)
        list.push_back({{"file", s.file}, {"text", s.text}, {"name", s.name}, {"description", s.description}});
    const std::string title = svg::esc(scenarios.front().name);
    const std::string json = script_safe_json(list);
    // One pass over the template: what is put in is never searched for places again.
    std::string out;
    std::string_view rest = parts.html;
    std::set<std::string_view> filled;
    for (size_t at = rest.find('@'); at != std::string_view::npos; at = rest.find('@')) {
        const size_t end = rest.find('@', at + 1);
        if (end == std::string_view::npos) break;
        const std::string_view place = rest.substr(at + 1, end - at - 1);
        std::string_view value;
        if (place == "TITLE") value = title;
        else if (place == "STYLE") value = parts.css;
        else if (place == "SCENARIOS") value = json;
        else if (place == "ENGINE") value = parts.engine_js;
        else if (place == "SCRIPT") value = parts.script;
        else {
            out += rest.substr(0, at + 1);
            rest.remove_prefix(at + 1);
            continue;
        }
        out += rest.substr(0, at);
        out += value;
        filled.insert(place);
        rest.remove_prefix(end + 1);
    }
    out += rest;
    if (filled.size() != 5) throw std::logic_error("lecture page: the template lacks some of its 5 places");
    return out;
}

}  // namespace tcpsim::views
