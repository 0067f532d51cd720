// A kind command line: when CLI11 refuses the arguments, say what was probably meant (a
// subcommand's name, `train CONFIG.json`, `--set train.epochs=5` for `--epochs 5`, quoting a
// --set value the shell split) in one line, then point to --help.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace nnlab::cli {

// The one-line message for a refused command line (CLI11's own when no better one is known).
std::string command_line_error(const CLI::App& root, const CLI::ParseError& error, int argc,
                               char** argv);

// Prints the message and the pointer to the right --help to stderr; returns kBadInput.
int report_command_line_error(const CLI::App& root, const CLI::ParseError& error, int argc,
                              char** argv);

}  // namespace nnlab::cli
