// `tcpsim calibrate`: measure a grid of buffer and write sizes on this machine, fit the
// linux profile's free parameters by least squares, and evaluate the fitted profile.
// Its parts, for the commands and views that show them:
#pragma once

#include "analysis/calibrate_agreement.hpp"  // the kernel against itself across sessions
#include "analysis/calibrate_data.hpp"       // runs per cell, pooled sessions
#include "analysis/calibrate_fit.hpp"        // fit_profile: the queue lines, then the refinement
#include "analysis/calibrate_grid.hpp"       // the cells measured and the scenario each runs
#include "analysis/calibrate_io.hpp"         // the data files
#include "analysis/calibrate_score.hpp"      // predictions against the measured ranges
#include "analysis/calibrate_sessions.hpp"   // which saved sessions may be pooled
