// Crash-safe file writes, path components and unique directories.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>


namespace nnlab {

// True when `text` holds a control character (below 0x20, or DEL): a newline in a path or a
// key would break a line of --list output, a log line or a shell command.
bool has_control(std::string_view text);

// Why `name` cannot be one component of a path (a run or sweep directory's name), or nullopt:
// empty, ".", "..", a '/', a control character, or longer than 200 bytes.
std::optional<std::string> path_component_problem(std::string_view name);

// Writes to a temporary file beside `path`, flushes it to disk and renames it over `path`, so a
// reader sees the old file or the whole new one, never a part. Throws IoError.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

// Creates parent/stem, or parent/stem-2, -3, ... when taken (safe against concurrent runs).
std::filesystem::path create_unique_dir(const std::filesystem::path& parent,
                                        const std::string& stem);

}  // namespace nnlab
