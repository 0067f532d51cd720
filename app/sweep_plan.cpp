// Sweep runs as command lines (sweep_plan.h).
#include "sweep_plan.h"

#include <algorithm>
#include <cstdio>

#include "base/files.h"

namespace nnlab {

std::vector<std::string> train_arguments(const SweepSpec& spec, const SweepRun& run, bool force) {
  std::vector<std::string> args{"train", spec.base.string()};
  for (auto& assignment : run_assignments(spec, run)) {
    args.emplace_back("--set");
    args.push_back(std::move(assignment));
  }
  args.emplace_back("--out");
  args.push_back(run_dir(spec, run).string());
  if (force) args.emplace_back("--force");
  return args;
}

RunPlan plan_run(const SweepSpec& spec, const SweepRun& run) {
  RunPlan plan;
  plan.state = run_state(run_dir(spec, run));
  switch (plan.state) {
    case RunState::absent:
      plan.arguments = train_arguments(spec, run, /*force=*/true);
      break;
    case RunState::started:
      plan.arguments = {"train", "--resume", run_dir(spec, run).string()};
      break;
    case RunState::completed:
    case RunState::diverged:
      break;
  }
  return plan;
}

std::string shell_quote(std::string_view word) {
  if (has_control(word)) {
    // $'...' with every control character as \xHH: still one line (bash, GNU parallel).
    std::string out = "$'";
    for (const char c : word) {
      if (c == '\'' || c == '\\') {
        out += '\\';
        out += c;
      } else if (has_control(std::string_view(&c, 1))) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
        out += hex;
      } else {
        out += c;
      }
    }
    return out + "'";
  }
  const bool safe = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
  });
  if (safe) return std::string(word);
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace nnlab
