// Profile files: a model profile's parameters as JSON, written by `tcpsim calibrate`
// and read by `--profile FILE` or a scenario's "profile" key.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/model.hpp"
#include "core/profile.hpp"

namespace tcpsim::scenario {

// A profile's "params" object read over `base`: each key it names replaces base's value.
core::ProfileParams parse_profile(const nlohmann::ordered_json& params, const std::string& where,
                                  const core::ProfileParams& base);
// A profile that stands on no other (the built-in ones): a key left out is an error.
core::ProfileParams parse_complete_profile(const nlohmann::ordered_json& params, const std::string& where);
// A user's profile file: the keys it leaves out keep the built-in loopback profile's values.
core::ProfileParams load_profile_file(const std::string& path);
nlohmann::ordered_json profile_params_json(const core::ProfileParams& params);

// The calibrated linux profiles that ship with tcpsim, built in: one measured on loopback
// (MSS 65483, sim/profiles/linux.json), one on a veth pair with MTU 1500 (MSS 1448,
// sim/profiles/linux-veth.json). A link gets the one calibrated at the MSS nearest its own
// (by ratio): the receive share and the autotuned defaults differ between the two.
const core::ProfileParams& builtin_linux_params(int64_t mss_bytes);
// The MSS the built-in loopback profile was calibrated at (sim/profiles/linux.json).
inline constexpr int64_t kBuiltinLoopbackMssBytes = 65483;
// What a built-in profile was calibrated on, for reports: "loopback (MSS 65483)".
std::string builtin_linux_profile_name(int64_t mss_bytes);
const char* loopback_profile_text();
const char* veth_profile_text();
// The MSS that picks a built-in profile for a scenario: the larger of its two directions'.
int64_t profile_mss(const model::Scenario& scenario);

// Which linux profile params_for gives, in words ("" for a textbook scenario): the file's path, or
// the built-in profile and the MSS it was picked for.
std::string profile_in_words(const model::Scenario& scenario, const std::string& profile_path);
// The parameters a scenario runs with: textbook's fixed rules, or the linux profile
// from `profile_path` (when not empty) or the built-in one for a link of `mss_bytes`.
core::ProfileParams params_for(model::Profile profile, const std::string& profile_path, int64_t mss_bytes);

}  // namespace tcpsim::scenario
