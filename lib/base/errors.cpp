// Message formatting for the typed errors.
#include "base/errors.h"

namespace nnlab {

namespace {
std::string join_issues(const std::vector<ConfigIssue>& issues) {
  std::string text;
  for (const auto& issue : issues) {
    if (!text.empty()) text += '\n';
    text += (issue.path.empty() ? std::string("(top level)") : issue.path) + ": " + issue.message;
  }
  return text;
}
}  // namespace

ConfigError::ConfigError(std::vector<ConfigIssue> issues)
    : std::runtime_error(join_issues(issues)), issues_(std::move(issues)) {}

ConfigError::ConfigError(std::string path, std::string message)
    : ConfigError(std::vector<ConfigIssue>{{std::move(path), std::move(message)}}) {}

}  // namespace nnlab
