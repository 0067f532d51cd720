// The build's version and git commit, as summary.json and --version report them. They are
// defined in version.cpp, which CMake writes from version.cpp.in: the one file a new commit
// recompiles (a compile definition would recompile every file).
#pragma once

namespace nnlab {

extern const char* const kVersion;  // "0.2.0"
extern const char* const kCommit;   // 12 hex digits, or "unknown" outside a git checkout

}  // namespace nnlab
