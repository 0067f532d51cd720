// Messages for refused command lines: the likely intent, found from the subcommands and options
// declared on the CLI11 app and from the config key table.
#include "cli_hints.h"

#include <algorithm>
#include <iostream>
#include <optional>
#include <vector>

#include "cli.h"
#include "config/config.h"
#include "config/config_table.h"

namespace nnlab::cli {

namespace {

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> out{"--help"};
  for (const CLI::Option* opt : app.get_options()) {
    for (const auto& l : opt->get_lnames()) out.push_back("--" + l);
    for (const auto& s : opt->get_snames()) out.push_back("-" + s);
  }
  return out;
}

const CLI::Option* find_option(const CLI::App& app, const std::string& word) {
  for (const CLI::Option* opt : app.get_options()) {
    for (const auto& l : opt->get_lnames())
      if (word == "--" + l) return opt;
    for (const auto& s : opt->get_snames())
      if (word == "-" + s) return opt;
  }
  return nullptr;
}

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Open brackets, braces and double quotes of a --set value (0: balanced).
int unbalanced(const std::string& text) {
  int depth = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
  }
  return depth + (quoted ? 1 : 0);
}

std::optional<std::string> subcommand_hint(const CLI::App& root, const std::string& word) {
  std::vector<std::string> names;
  for (const CLI::App* sub : root.get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  if (std::find(names.begin(), names.end(), word) != names.end()) return std::nullopt;
  if (ends_with(word, ".json"))
    return "\"" + word + "\" is not a subcommand; to train this config: nnlab train " + word +
           " (or check it: nnlab validate " + word + ")";
  std::string message = "unknown subcommand \"" + word + "\"";
  if (auto guess = closest_match(word, names)) return message + " (did you mean \"" + *guess + "\"?)";
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return message + " (subcommands: " + list + ")";
}

// An unknown option of `sub`: a config key given as an option, or a typo of an option.
std::string option_hint(const CLI::App& sub, const std::string& word, const std::string* next) {
  const std::string bare = word.substr(0, word.find('='));
  std::string name = bare;
  while (!name.empty() && name.front() == '-') name.erase(0, 1);
  std::string value = bare.size() < word.size() ? word.substr(bare.size() + 1) : std::string();
  if (value.empty() && next != nullptr && !next->empty() && next->front() != '-') value = *next;
  std::vector<std::string> matches;
  for (const auto& k : config_keys())
    if (k.path == name || leaf(k.path) == name) matches.push_back(k.path);
  const bool takes_set = find_option(sub, "--set") != nullptr;
  if (matches.size() == 1 && takes_set)
    return "unknown option " + bare + "; config keys are set with --set " + matches.front() + "=" +
           (value.empty() ? "VALUE" : value);
  std::string message = "unknown option " + bare;
  if (auto guess = closest_match(bare, option_names(sub)))
    return message + " (did you mean " + *guess + "?)";
  return message;
}

}  // namespace

std::string command_line_error(const CLI::App& root, const CLI::ParseError& error, int argc,
                               char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // The subcommand: the first word that is not a top-level option.
  std::size_t i = 0;
  while (i < args.size() && !args[i].empty() && args[i].front() == '-' &&
         find_option(root, args[i]) != nullptr)
    ++i;
  if (i == args.size()) {
    std::string list;
    for (const CLI::App* sub : root.get_subcommands([](const CLI::App*) { return true; }))
      list += (list.empty() ? "" : ", ") + sub->get_name();
    return "a subcommand is required: " + list;
  }
  if (args[i].front() == '-') {
    std::string message = "unknown option " + args[i];
    if (auto guess = closest_match(args[i], option_names(root)))
      message += " (did you mean " + *guess + "?)";
    return message;
  }
  if (auto hint = subcommand_hint(root, args[i])) return *hint;
  const CLI::App* sub = root.get_subcommand(args[i]);

  bool in_set = false;          // words after --set are assignments until the next option
  std::string last_set;         // the last assignment, to rebuild one the shell split
  for (std::size_t j = i + 1; j < args.size(); ++j) {
    const std::string& word = args[j];
    if (word == "--") break;
    if (!word.empty() && word.front() == '-' && word.size() > 1 &&
        !(std::isdigit(static_cast<unsigned char>(word[1])) || word[1] == '.')) {
      const std::string name = word.substr(0, word.find('='));
      // -q and -v are the top level's, accepted after the subcommand too (fallthrough).
      const CLI::Option* opt = find_option(*sub, name);
      if (opt == nullptr) opt = find_option(root, name);
      if (opt == nullptr) return option_hint(*sub, word, j + 1 < args.size() ? &args[j + 1] : nullptr);
      in_set = word == "--set";
      if (!in_set && opt->get_expected_min() > 0 && word.find('=') == std::string::npos) ++j;
      continue;
    }
    if (in_set) {
      if (!last_set.empty() && unbalanced(last_set) > 0) {
        // The shell split one assignment at a space: join the words back.
        std::string joined = last_set;
        std::size_t k = j;
        for (; k < args.size() && unbalanced(joined) > 0; ++k) joined += " " + args[k];
        return "--set " + last_set + " is cut at a space (the shell split the value); quote the "
               "whole assignment: --set '" + joined + "'";
      }
      last_set = word;
    }
  }
  if (!last_set.empty() && unbalanced(last_set) > 0)
    return "--set " + last_set + " is cut at a space (the shell split the value); quote the "
           "whole assignment: --set '" + last_set + " ...'";
  std::string message = error.what();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

int report_command_line_error(const CLI::App& root, const CLI::ParseError& error, int argc,
                              char** argv) {
  std::string help = "nnlab --help";
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& word : args)
    if (!word.empty() && word.front() != '-') {
      for (const CLI::App* sub : root.get_subcommands([](const CLI::App*) { return true; }))
        if (sub->get_name() == word) help = "nnlab " + word + " --help";
      break;
    }
  std::cerr << "error: " << command_line_error(root, error, argc, argv) << "\n"
            << "Run '" << help << "' for more information.\n";
  return kBadInput;
}

}  // namespace nnlab::cli
