// Profile files: a model profile's parameters as JSON, written by `tcpsim calibrate`
// and read by `--profile FILE` or a scenario's "profile" key.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/profile.hpp"

namespace tcpsim::scenario {

core::ProfileParams parse_profile(const nlohmann::ordered_json& params, const std::string& where);
core::ProfileParams load_profile_file(const std::string& path);
nlohmann::ordered_json profile_params_json(const core::ProfileParams& params);

// The calibrated linux profile that ships with tcpsim (sim/profiles/linux.json, built in).
const core::ProfileParams& default_linux_params();
const char* default_linux_profile_text();

// The parameters a scenario runs with: textbook's fixed rules, or the linux profile
// from `profile_path` (when not empty) or the built-in default.
core::ProfileParams params_for(model::Profile profile, const std::string& profile_path);

}  // namespace tcpsim::scenario
