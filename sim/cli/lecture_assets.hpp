// The lecture page's parts, built into tcpsim: the engine compiled to WebAssembly (one
// JavaScript file embedding its module), and the page's HTML template, stylesheet and script.
#pragma once

#include <optional>
#include <string_view>

namespace tcpsim::cli {

struct LectureAssets {
    std::string_view engine_js;
    std::string_view html;  // the template, with the places views::lecture_page fills
    std::string_view css;
    std::string_view script;
};

// Nothing when this tcpsim was built without the engine (TCPSIM_LECTURE=OFF).
std::optional<LectureAssets> lecture_assets();

}  // namespace tcpsim::cli
