// Saved measuring sessions pooled for one fit, and the rules for which may be pooled.
#pragma once

#include <string>
#include <vector>

#include "analysis/calibrate_data.hpp"
#include "analysis/calibrate_io.hpp"
#include "core/profile.hpp"
#include "measure/measure.hpp"

namespace tcpsim::analysis {

// Sessions pool their runs only where they measured the same thing: a kernel with the same
// settings, and the same MSS (a profile is fitted for one). Files are read in sorted order,
// so the order they are given in changes nothing, and a file given twice is refused: its
// runs would count twice. The kernel info lists every release.
struct Sessions {
    std::vector<std::string> paths;  // sorted
    std::vector<std::vector<CellData>> data;
    measure::KernelInfo kernel;
};

// Reads and checks the sessions at `paths`; a SessionError (or scenario::InputError for a file
// that cannot be read or parsed) names the file and what differs.
Sessions load_sessions(std::vector<std::string> paths);

// `base` with the clamps of the kernel that made the data (recorded with it), so a refit
// gives the same profile on any machine. SessionError when a recorded clamp is not a number.
core::ProfileParams with_recorded_clamps(core::ProfileParams base, const measure::KernelInfo& recorded);

}  // namespace tcpsim::analysis
