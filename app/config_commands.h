// Subcommands that tell about the config keys (all made from the key table, lib/config/config_table.h):
// `explain [KEY]`, `docs` (docs/config.md), `schema [config|sweep]` and `completion bash|zsh`.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace nnlab::cli {

struct ExplainOptions {
  std::string key;
  bool sweep = false;  // the sweep-file keys
};
CLI::App* setup_explain(CLI::App& app, ExplainOptions& options);
int run_explain(const ExplainOptions& options);

CLI::App* setup_docs(CLI::App& app);
int run_docs();

struct SchemaOptions {
  std::string which = "config";
};
CLI::App* setup_schema(CLI::App& app, SchemaOptions& options);
int run_schema(const SchemaOptions& options);

struct CompletionOptions {
  std::string shell;
};
CLI::App* setup_completion(CLI::App& app, CompletionOptions& options);
// The completion script for `options.shell`, from the subcommands and options declared on `root`.
int run_completion(const CompletionOptions& options, const CLI::App& root);

}  // namespace nnlab::cli
