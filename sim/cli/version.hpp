// What `tcpsim --version` says.
#pragma once

namespace tcpsim {

// "0.9.0 (git 1a2b3c4)", "0.9.0 (git 1a2b3c4-dirty)" when tracked files had changes, or
// "0.9.0" when built outside a git checkout. Generated at build time by cmake/git_revision.cmake.
const char* version_text();

}  // namespace tcpsim
