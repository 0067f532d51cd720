// Run directories: refusing links, preparing and locking (run_dir.h).
#include "run/run_dir.h"

#include <string>
#include <vector>

#include "base/errors.h"

namespace nnlab {

namespace fs = std::filesystem;

void check_no_symlinks(const fs::path& dir) {
  std::error_code ec;
  auto check = [&](const char* name) {
    if (fs::is_symlink(fs::symlink_status(dir / name, ec)))
      throw IoError((dir / name).string() +
                    " is a symbolic link; a run directory's files must be its own (not resuming)");
  };
  for (const char* name : kRunFiles) check(name);
  check(kRunLockFile);
}

namespace {
// A run file's temporary copy (write_file_atomic: NAME.tmp.HOST.PID) that a killed process left
// behind: only a writer holding the run's lock makes one.
bool is_left_temporary(const fs::path& file) {
  const std::string name = file.filename().string();
  for (const char* run_file : kRunFiles)
    if (name.rfind(std::string(run_file) + ".tmp.", 0) == 0) return true;
  return false;
}

// Refuses `dir` for a new run unless it is absent, empty (but for run.lock and temporary files
// a killed run left) or force.
void check_out_dir(const fs::path& dir, bool force) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir, ec))
    throw ConfigError("--out", dir.string() + " exists and is not a directory");
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().filename() != kRunLockFile && !is_left_temporary(entry.path())) {
      if (force) return;
      throw ConfigError("--out",
                        dir.string() + " is not empty (pass --force to overwrite its run files)");
    }
}
}  // namespace

RunLock prepare_run_dir(const fs::path& dir, bool force) {
  check_out_dir(dir, force);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError("cannot create " + dir.string() + ": " + ec.message());
  RunLock lock(dir);
  check_out_dir(dir, force);
  if (force)
    for (const char* name : kRunFiles) fs::remove(dir / name, ec);
  remove_left_temporaries(dir);
  return lock;
}

void remove_left_temporaries(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> left;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (is_left_temporary(entry.path()) && !fs::is_symlink(entry.symlink_status(ec)))
      left.push_back(entry.path());
  for (const auto& file : left) fs::remove(file, ec);
}

}  // namespace nnlab
