// An exclusive lock on a run directory: flock(2) on DIR/run.lock, held for the life of the
// process's run, so that two writers (two `train --out D --force`, two `--resume`, a sweep and a
// GNU parallel recipe on one run) never interleave their files. The file records its holder.
#pragma once

#include <filesystem>
#include <string>

namespace nnlab {

inline constexpr const char* kRunLockFile = "run.lock";

class RunLock {
 public:
  RunLock() = default;
  // Takes the lock of `dir` (an existing directory), creating run.lock, and writes the holder's
  // pid, host and start time into it. Throws IoError naming the holder when another process
  // holds it.
  // `file` names another lock file (a sweep's sweep.lock).
  explicit RunLock(const std::filesystem::path& dir, const char* file = kRunLockFile);
  ~RunLock();
  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace nnlab
