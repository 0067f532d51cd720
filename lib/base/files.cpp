// Atomic writes, path components and unique directories.
#include "base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/errors.h"

namespace nnlab {

namespace fs = std::filesystem;

bool has_control(std::string_view text) {
  for (const char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

std::optional<std::string> path_component_problem(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name == "." || name == "..") return "must not be \".\" or \"..\" (it names a directory)";
  if (name.size() > 200) return "must be at most 200 bytes long (it names a directory)";
  if (name.find('/') != std::string_view::npos)
    return "must not contain '/' (it names one directory, not a path)";
  if (has_control(name)) return "must not contain control characters (it names a directory)";
  return std::nullopt;
}

void write_file_atomic(const fs::path& path, std::string_view content) {
  // Unique per host and process: array tasks on several nodes may share a file system.
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  const fs::path tmp = path.string() + ".tmp." + host + "." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  // Errors name the file the caller asked for; the temporary copy is an implementation detail.
  if (fd < 0) throw IoError("cannot write " + path.string() + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw IoError("cannot write " + path.string() + ": " + reason);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw IoError("cannot write " + path.string() + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw IoError("cannot write " + path.string() + " (renaming " + tmp.filename().string() +
                  " to it): " + reason);
  }
}

fs::path create_unique_dir(const fs::path& parent, const std::string& stem) {
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw IoError("cannot create " + parent.string() + ": " + ec.message());
  for (int n = 1; n < 100000; ++n) {
    const fs::path dir = parent / (n == 1 ? stem : stem + "-" + std::to_string(n));
    if (::mkdir(dir.c_str(), 0755) == 0) return dir;
    if (errno != EEXIST) throw IoError("cannot create " + dir.string() + ": " + std::strerror(errno));
  }
  throw IoError("cannot find a free run directory name under " + parent.string());
}

}  // namespace nnlab
