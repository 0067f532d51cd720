// Typed errors thrown by the library. app/ maps each to an exit code and prints it; the library
// itself never prints or exits.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace nnlab {

// One problem found in a config, with the JSON path it concerns ("model.width[2]").
struct ConfigIssue {
  std::string path;
  std::string message;
};

// A config that cannot be run. Carries every problem found, not only the first.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<ConfigIssue> issues);
  ConfigError(std::string path, std::string message);
  const std::vector<ConfigIssue>& issues() const { return issues_; }

 private:
  std::vector<ConfigIssue> issues_;
};

// Input data that cannot be read or does not fit the model (bad CSV, wrong shapes).
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file or directory that cannot be read or written.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace nnlab
