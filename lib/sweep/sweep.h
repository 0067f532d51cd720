// A sweep: one base config, a grid and/or a list of override sets and a list of seeds, expanded
// into named runs under one directory. Reading the sweep file is as strict as reading a config,
// and every run's overrides are checked against the base before any run starts. Starting the
// runs (processes, signals) and their command lines are the command line's job
// (app/sweep_commands.cpp, app/sweep_plan.h); this file only decides what each run is.
// docs/sweeps.md documents the format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace nnlab {

// One "--set key.path=value": the value as JSON.
struct Override {
  std::string key;
  nlohmann::json value;                  // as written in the sweep file (names use it)
  std::optional<nlohmann::json> path;    // path keys (config_table.h): made absolute from the
                                         // sweep file's directory; --set gets this one
  // "key=value" with the value written so that apply_override reads back exactly the value:
  // a string as is (relu) unless it would read as JSON ("3", "true"), then quoted ("\"3\"").
  std::string assignment() const;
};
using OverrideSet = std::vector<Override>;

struct SweepSpec {
  std::string name;                       // default: the sweep file's name without .json
  std::filesystem::path file;             // the sweep file, absolute
  std::filesystem::path base;             // the base config file every run reads, absolute
  bool inline_base = false;               // "base" was an object: written to out/base.json
  nlohmann::json base_doc;                // the base config as the runs read it
  OverrideSet fixed;                      // "set": applied to every run, not part of names
  std::vector<std::pair<std::string, std::vector<nlohmann::json>>> grid;  // in file order
  std::vector<OverrideSet> variants;      // "runs"; empty means one run of the grid as is
  std::vector<std::uint64_t> seeds;       // empty: the base config's seed, no seed override
  std::filesystem::path out;              // the sweep directory, absolute
};

struct SweepRun {
  std::size_t index = 0;                  // 0-based, the order of --list and --index
  std::string name;                       // the run directory's name under SweepSpec::out
  OverrideSet overrides;                  // the swept ones: the variant's, then the grid's
  std::optional<std::uint64_t> seed;
};

struct Sweep {
  SweepSpec spec;
  std::vector<std::string> keys;          // swept keys in name order (variants', grid's); no seed
  std::vector<SweepRun> runs;
};

// Reads SWEEP.json strictly: unknown keys (with the likely intended key), wrong types and values
// are all reported together as one ConfigError whose issue paths are sweep-file paths
// ("grid.model.depth[1]"). `out` (from --out) replaces the file's "out" when not empty; relative
// output directories are taken from the current directory. Reads the base config file too.
SweepSpec read_sweep_file(const std::filesystem::path& path, const std::string& out = "");
SweepSpec parse_sweep(const nlohmann::ordered_json& doc, const std::filesystem::path& file,
                      const std::string& out = "");

// The runs, in order: for each entry of "runs" (outermost), each grid point (the first grid key
// varies slowest), each seed (innermost). Names are unique (throws ConfigError otherwise).
Sweep expand_sweep(SweepSpec spec);

// Applies every run's overrides to the base config and reads the result strictly, so that a typo
// in a grid key refuses the whole sweep before anything runs. Problems are reported once each,
// with the runs they concern when not every run. Throws ConfigError.
void validate_sweep(const Sweep& sweep);

// Every "--set" of a run in order: "set", the run's overrides, then seed=S.
std::vector<std::string> run_assignments(const SweepSpec& spec, const SweepRun& run);

// The label of each swept key in a run's name: the key's last component (a trailing array index
// keeps its key: model.width.1 -> width.1), or the full dotted key when another swept key (or
// "seed", when `with_seed`) has the same last component.
std::vector<std::string> key_labels(const std::vector<std::string>& keys, bool with_seed);

// The name of a run: "label=value" for each override, then "seed=S", joined by commas; "base"
// when there is none. Values are written as in the override (strings bare, the rest as JSON)
// with every character outside [A-Za-z0-9._+-] replaced by '_'. A name longer than 200 bytes is
// cut and ends in '~' and a 16-digit hash of the whole name.
std::string run_name(const SweepRun& run, const std::vector<std::string>& keys,
                     const std::vector<std::string>& labels);

// What a run directory holds now.
enum class RunState {
  absent,      // no config.json: the run starts from scratch (--out DIR --force)
  started,     // config.json but not finished: continued with train --resume DIR
  completed,   // summary.json says completed: skipped
  diverged,    // summary.json says diverged (rerunning would diverge again): skipped
};
RunState run_state(const std::filesystem::path& run_dir);
std::string_view name_of(RunState state);

std::filesystem::path run_dir(const SweepSpec& spec, const SweepRun& run);

// The name of a run started with --set overrides (and no `--set name=`): `base` (the config's
// `name`, else the config file's stem), '_' and the overrides as a sweep names its runs, each
// key's last component: quickstart_depth=8,init=he_normal (a key set twice: its last value).
// Characters of keys and values outside [A-Za-z0-9._+-] become '_'. Longer than 96 bytes, it is
// cut and ends in '~' and 8 hex digits of a hash of the whole name. `base` alone without
// overrides.
std::string default_run_name(const std::string& base, const std::vector<std::string>& overrides);

// The manifest written to SWEEP_DIR/manifest.json (summarize reads "keys" from it).
nlohmann::json sweep_manifest(const Sweep& sweep);
inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kInlineBaseFile = "base.json";

// Creates the sweep directory and its logs/ directory and writes manifest.json (and base.json
// for an inline base) when their content changed; safe when several processes do it at once.
void prepare_sweep_dir(const Sweep& sweep);

}  // namespace nnlab
