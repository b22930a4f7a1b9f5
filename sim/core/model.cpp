#include "core/model.hpp"

#include "core/check.hpp"

#include <algorithm>
#include <utility>

namespace tcpsim::model {

namespace {

constexpr std::array<std::pair<OpKind, const char*>, 10> kOpNames = {{
    {OpKind::write, "write"},
    {OpKind::send, "send"},
    {OpKind::read, "read"},
    {OpKind::read_exact, "read_exact"},
    {OpKind::read_to_end, "read_to_end"},
    {OpKind::shutdown, "shutdown"},
    {OpKind::close, "close"},
    {OpKind::sleep, "sleep"},
    {OpKind::repeat, "repeat"},
    {OpKind::event_loop, "event_loop"},
}};

}  // namespace

int64_t apply_ratio(int64_t bytes, Ratio ratio) {
    TCPSIM_CHECK(ratio.den > 0 && ratio.num >= 0 && bytes >= 0);
    return static_cast<int64_t>(static_cast<core::int128>(bytes) * ratio.num / ratio.den);
}

const char* op_name(OpKind kind) {
    const auto* entry = std::find_if(kOpNames.begin(), kOpNames.end(), [&](const auto& e) { return e.first == kind; });
    return entry == kOpNames.end() ? "?" : entry->second;
}

std::optional<OpKind> op_kind_named(std::string_view name) {
    const auto* entry = std::find_if(kOpNames.begin(), kOpNames.end(), [&](const auto& e) { return e.second == name; });
    if (entry == kOpNames.end()) return std::nullopt;
    return entry->first;
}

}  // namespace tcpsim::model
