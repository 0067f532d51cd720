// A run directory: the one place that names its files, and makes it ready for a run.
// docs/outputs.md says what each file holds.
#pragma once

#include <filesystem>

#include "run/run_lock.h"

namespace nnlab {

inline constexpr const char* kConfigFile = "config.json";          // the resolved config
inline constexpr const char* kMetricsFile = "metrics.csv";         // one row per logged step
inline constexpr const char* kGradNormsFile = "grad_norms.csv";    // per layer and parameter
inline constexpr const char* kActivationsFile = "activations.csv";
inline constexpr const char* kEvalFile = "eval.csv";               // one row per evaluation
inline constexpr const char* kTimeGradNormsFile = "time_grad_norms.csv";  // recurrent models
inline constexpr const char* kGradQuantilesFile = "grad_quantiles.csv";   // log.quantiles
inline constexpr const char* kSummaryFile = "summary.json";
inline constexpr const char* kWeightsFile = "weights.json";
inline constexpr const char* kDataTrainFile = "data_train.csv";    // data.save
inline constexpr const char* kDataTestFile = "data_test.csv";
inline constexpr const char* kCheckpointFile = "checkpoint.bin";

// The files a run writes into its directory (run.lock aside: run_lock.h).
inline constexpr const char* kRunFiles[] = {
    kConfigFile,    kMetricsFile,       kGradNormsFile, kActivationsFile,
    kEvalFile,      kSummaryFile,       kWeightsFile,   kTimeGradNormsFile,
    kDataTrainFile, kDataTestFile,      kGradQuantilesFile, kCheckpointFile};

// Refuses (IoError) a run directory in which a run file (kRunFiles, run.lock) is a symbolic
// link: --resume reads and rewrites them, and must not do so through a link to elsewhere.
void check_no_symlinks(const std::filesystem::path& dir);

// Makes `dir` ready for a run and locks it (run_lock.h): created if absent; refused
// (ConfigError on "--out") when it holds anything besides run.lock, unless force, which removes
// only the files a run writes. Refused before anything is created, and again under the lock
// (another run may have started in it meanwhile). Throws IoError when another process holds it.
// Temporary files a killed run left (a run file's NAME.tmp.HOST.PID) count as absent, and are
// removed.
RunLock prepare_run_dir(const std::filesystem::path& dir, bool force);

// Removes the temporary copies of run files (NAME.tmp.HOST.PID, base/files.h's atomic writes)
// that a process killed mid-write left in `dir`. Call it holding the run's lock (no live writer
// then has one).
void remove_left_temporaries(const std::filesystem::path& dir);

}  // namespace nnlab
