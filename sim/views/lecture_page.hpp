// The lecture page: one self-contained HTML file holding the page's template, stylesheet and
// script, the engine (the simulator compiled to WebAssembly, as one JavaScript file), and the
// scenarios it offers. It opens from the file system and needs no network.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tcpsim::views {

struct LecturePageParts {
    std::string_view html;  // with the places @TITLE@, @STYLE@, @SCENARIOS@, @ENGINE@, @SCRIPT@
    std::string_view css;
    std::string_view engine_js;
    std::string_view script;
};

// A program the page offers: the first is shown first, the others are variants to switch to.
struct LectureScenario {
    std::string file;  // the name the engine's messages use
    std::string text;  // the scenario file's text
    std::string name;
    std::string description;
};

// Throws std::logic_error when a part would end its <script> or <style> early, or the template
// lacks a place: the parts are built in, so that is a build's mistake, not the user's.
std::string lecture_page(const LecturePageParts& parts, const std::vector<LectureScenario>& scenarios);

}  // namespace tcpsim::views
