// explain, docs, schema and completion: the key table (lib/config/config_table.h) printed for people,
// editors and shells.
#include "config_commands.h"

#include <iostream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "cli.h"
#include "config/config.h"
#include "config/config_docs.h"
#include "config/config_table.h"

namespace nnlab::cli {

namespace {
constexpr const char* kPrintExitCodes = "Exit codes: 0 printed; 2 a bad command line.";
}  // namespace

CLI::App* setup_explain(CLI::App& app, ExplainOptions& options) {
  auto* cmd = app.add_subcommand(
      "explain", "Explain a config key (doc, type, default, range, when it applies), or list them");
  cmd->add_option("key", options.key, "A key path such as train.lr, or a section such as model");
  cmd->add_flag("--sweep", options.sweep, "The keys of sweep files instead of configs");
  cmd->footer("Exit codes: 0 printed; 2 an unknown key (with the likely one), or a bad command "
              "line.");
  return cmd;
}

int run_explain(const ExplainOptions& options) {
  const auto& keys = options.sweep ? sweep_keys() : config_keys();
  if (options.key.empty()) {
    std::cout << explain_list(keys);
    return kCompleted;
  }
  if (const KeySpec* key = find_key(keys, options.key)) {
    std::cout << explain_key(*key);
    return kCompleted;
  }
  std::vector<KeySpec> section;
  for (const auto& k : keys)
    if (section_of(k.path) == options.key) section.push_back(k);
  if (!section.empty()) {
    std::cout << explain_list(section);
    return kCompleted;
  }
  std::string message = "unknown " + std::string(options.sweep ? "sweep-file" : "config") +
                        " key \"" + options.key + "\"";
  // A leaf such as "epochs" names its full path; otherwise the nearest path.
  std::vector<std::string> by_leaf;
  for (const auto& k : keys)
    if (leaf(k.path) == options.key) by_leaf.push_back(k.path);
  if (by_leaf.size() == 1)
    message += " (did you mean \"" + by_leaf.front() + "\"?)";
  else if (auto guess = closest_match(options.key, key_paths(keys, true)))
    message += " (did you mean \"" + *guess + "\"?)";
  spdlog::error("{}; `nnlab explain{}` lists the keys", message, options.sweep ? " --sweep" : "");
  return kBadInput;
}

CLI::App* setup_docs(CLI::App& app) {
  auto* cmd = app.add_subcommand("docs", "Print the config reference (docs/config.md) in Markdown");
  cmd->footer(kPrintExitCodes);
  return cmd;
}

int run_docs() {
  std::cout << config_markdown();
  return kCompleted;
}

CLI::App* setup_schema(CLI::App& app, SchemaOptions& options) {
  auto* cmd = app.add_subcommand("schema", "Print the JSON Schema of configs or of sweep files");
  cmd->add_option("which", options.which, "config (default) or sweep")
      ->check(CLI::IsMember({"config", "sweep"}));
  cmd->footer(kPrintExitCodes);
  return cmd;
}

int run_schema(const SchemaOptions& options) {
  std::cout << (options.which == "sweep" ? sweep_schema() : config_schema()).dump(2) << "\n";
  return kCompleted;
}

CLI::App* setup_completion(CLI::App& app, CompletionOptions& options) {
  auto* cmd = app.add_subcommand("completion", "Print the shell completion script (bash or zsh)");
  cmd->add_option("shell", options.shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  cmd->footer(kPrintExitCodes);
  return cmd;
}

namespace {

struct Command {
  std::string name;
  std::vector<std::string> options;  // every spelling: --set, -j, ...
  std::vector<std::string> choices;  // of its positional argument (schema: config sweep)
};

std::vector<Command> commands_of(const CLI::App& root) {
  std::vector<Command> out;
  for (const CLI::App* sub : root.get_subcommands([](const CLI::App*) { return true; })) {
    Command c{sub->get_name(), {"--help"}, {}};
    for (const CLI::Option* opt : sub->get_options()) {
      for (const auto& l : opt->get_lnames()) c.options.push_back("--" + l);
      for (const auto& s : opt->get_snames()) c.options.push_back("-" + s);
    }
    out.push_back(std::move(c));
  }
  for (auto& c : out) {
    if (c.name == "schema") c.choices = {"config", "sweep"};
    if (c.name == "completion") c.choices = {"bash", "zsh"};
    if (c.name == "explain") c.choices = key_paths(config_keys(), true);
  }
  return out;
}

std::string join(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
  return text;
}

// Values that complete after "key=": choices, true/false.
std::vector<std::pair<std::string, std::string>> key_values() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : config_keys()) {
    if (k.type == KeyType::choice) out.emplace_back(k.path, join(k.choices));
    if (k.type == KeyType::boolean) out.emplace_back(k.path, "true false");
  }
  return out;
}

std::vector<std::string> settable_keys() {
  std::vector<std::string> out;
  for (const auto& path : key_paths(config_keys()))
    if (path != "$schema") out.push_back(path);
  return out;
}

std::string bash_script(const std::vector<Command>& commands, const CLI::App& root) {
  std::ostringstream s;
  std::vector<std::string> names, top_options{"--help", "--version"};
  for (const CLI::Option* opt : root.get_options()) {
    for (const auto& l : opt->get_lnames())
      if (l != "help" && l != "version") top_options.push_back("--" + l);
  }
  for (const auto& c : commands) names.push_back(c.name);
  s << "# bash completion for nnlab (generated by `nnlab completion bash`)\n"
    << "_nnlab_values() {\n  case \"$1\" in\n";
  for (const auto& [key, values] : key_values()) s << "    " << key << ") echo \"" << values << "\" ;;\n";
  s << "  esac\n}\n\n"
    << "_nnlab() {\n"
    << "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
    << "  local keys=\"" << join(settable_keys()) << "\"\n"
    << "  local sub=\"\" i\n"
    << "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
    << "    case \"${COMP_WORDS[i]}\" in " << [&] {
         std::string alts;
         for (const auto& n : names) alts += (alts.empty() ? "" : "|") + n;
         return alts;
       }() << ") sub=\"${COMP_WORDS[i]}\"; break ;; esac\n"
    << "  done\n"
    << "  if [[ -z $sub ]]; then\n"
    << "    COMPREPLY=($(compgen -W \"" << join(names) << " " << join(top_options)
    << "\" -- \"$cur\"))\n    return\n  fi\n"
    << "  # --set KEY=VALUE; bash splits \"key=value\" at '=' when '=' is in COMP_WORDBREAKS.\n"
    << "  local key=\"\" value=\"\"\n"
    << "  if [[ $prev == --set && $cur == *=* ]]; then key=\"${cur%%=*}\"; value=\"${cur#*=}\"\n"
    << "  elif [[ $cur == = && ${COMP_WORDS[COMP_CWORD-2]} == --set ]]; then key=\"$prev\"; value=\"\"\n"
    << "  elif [[ $prev == = && ${COMP_WORDS[COMP_CWORD-3]} == --set ]]; then "
       "key=\"${COMP_WORDS[COMP_CWORD-2]}\"; value=\"$cur\"\n"
    << "  fi\n"
    << "  if [[ -n $key ]]; then\n"
    << "    local prefix=\"\"\n"
    << "    [[ $cur == *=?* || ($cur == *= && $cur != =) ]] && prefix=\"$key=\"\n"
    << "    COMPREPLY=($(compgen -P \"$prefix\" -W \"$(_nnlab_values \"$key\")\" -- \"$value\"))\n"
    << "    return\n  fi\n"
    << "  if [[ $prev == --set ]]; then\n"
    << "    COMPREPLY=($(compgen -S = -W \"$keys\" -- \"$cur\"))\n"
    << "    compopt -o nospace 2>/dev/null\n    return\n  fi\n"
    << "  if [[ $cur == -* ]]; then\n    case \"$sub\" in\n";
  for (const auto& c : commands)
    s << "      " << c.name << ") COMPREPLY=($(compgen -W \"" << join(c.options)
      << "\" -- \"$cur\")) ;;\n";
  s << "    esac\n    return\n  fi\n"
    << "  case \"$sub\" in\n";
  for (const auto& c : commands)
    if (!c.choices.empty())
      s << "    " << c.name << ") COMPREPLY=($(compgen -W \"" << join(c.choices)
        << "\" -- \"$cur\")); return ;;\n";
  s << "  esac\n"
    << "  COMPREPLY=($(compgen -f -- \"$cur\"))\n"
    << "  compopt -o filenames 2>/dev/null\n"
    << "}\n"
    << "complete -F _nnlab nnlab\n";
  return s.str();
}

std::string zsh_script(const std::vector<Command>& commands) {
  std::ostringstream s;
  std::vector<std::string> names;
  for (const auto& c : commands) names.push_back(c.name);
  s << "#compdef nnlab\n"
    << "# zsh completion for nnlab (generated by `nnlab completion zsh`)\n"
    << "_nnlab() {\n"
    << "  local -a subcommands=(" << join(names) << ")\n"
    << "  local -a keys=(" << join(settable_keys()) << ")\n"
    << "  if (( CURRENT == 2 )); then\n"
    << "    compadd -- $subcommands --help --version --quiet --verbose\n    return\n  fi\n"
    << "  local sub=${words[2]}\n"
    << "  if [[ ${words[CURRENT-1]} == --set ]]; then\n"
    << "    if [[ $PREFIX == *=* ]]; then\n"
    << "      local key=${PREFIX%%=*}\n"
    << "      compset -P '*='\n"
    << "      case $key in\n";
  for (const auto& [key, values] : key_values())
    s << "        " << key << ") compadd -- " << values << " ;;\n";
  s << "      esac\n"
    << "    else\n"
    << "      compadd -S = -- $keys\n"
    << "    fi\n    return\n  fi\n"
    << "  if [[ $PREFIX == -* ]]; then\n    case $sub in\n";
  for (const auto& c : commands)
    s << "      " << c.name << ") compadd -- " << join(c.options) << " ;;\n";
  s << "    esac\n    return\n  fi\n"
    << "  case $sub in\n";
  for (const auto& c : commands)
    if (!c.choices.empty()) s << "    " << c.name << ") compadd -- " << join(c.choices) << "; return ;;\n";
  s << "  esac\n"
    << "  _files\n"
    << "}\n"
    << "if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then\n"
    << "  _nnlab \"$@\"\n"
    << "else\n"
    << "  compdef _nnlab nnlab\n"
    << "fi\n";
  return s.str();
}

}  // namespace

int run_completion(const CompletionOptions& options, const CLI::App& root) {
  const std::vector<Command> commands = commands_of(root);
  std::cout << (options.shell == "zsh" ? zsh_script(commands) : bash_script(commands, root));
  return kCompleted;
}

}  // namespace nnlab::cli
