// The diagnosis of a run: rules over a run directory's files (config.json, summary.json,
// metrics.csv, grad_norms.csv, activations.csv) that say when gradients vanish or explode, units
// die or saturate, updates are far from ||dW||/||W|| ~ 1e-3, or the loss never beat the trivial
// baseline. The same function serves the end of `nnlab train` and `nnlab diagnose RUN_DIR`, for
// runs of any nnlab version (a rule whose input is missing is listed as skipped).
// Rules, thresholds and their reasoning: docs/diagnostics.md.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nnlab {

// The thresholds, one per rule (docs/diagnostics.md gives the reasoning).
struct DiagnosisThresholds {
  double vanishing_ratio = 1e-3;     // median ||dW_1|| / ||dW_L|| below this
  double exploding_growth = 1e3;     // max ||g|| over the median ||g|| of the first steps, above
  double clipped_fraction = 0.5;     // fraction of steps clipped, above
  double dead_fraction = 0.9;        // ReLU layer: fraction of units x samples with z <= 0, above
  double saturated_fraction = 0.5;   // sigmoid/tanh layer: fraction with act' < 5% of max, above
  double update_ratio_low = 1e-5;    // median ||dW|| / ||W||, below (100x under 1e-3)
  double update_ratio_high = 1e-1;   // median ||dW|| / ||W||, above (100x over 1e-3)
  double baseline_loss_fraction = 0.9;  // final loss above this fraction of a loss baseline
  double baseline_accuracy_margin = 0.1;  // final accuracy within this share of the way from an
                                          // accuracy baseline to 1
};

struct Finding {
  std::string rule;      // vanishing, exploding, diverged, clipping, dead_relu, saturated,
                         // update_small, update_large, trivial_loss
  int layer = 0;         // 0 = the whole network
  std::string param;     // the tensor the value is about ("" for layer- or network-wide rules)
  long step = 0;         // where it shows: the step named in `message`
  double value = 0;      // the measured value (NaN when there is none, e.g. a non-finite loss)
  double threshold = 0;  // the threshold it crossed (NaN when the rule has none)
  std::string message;   // what was measured, one sentence
  std::string cure;      // the config change that usually cures it
};

struct Diagnosis {
  std::vector<Finding> findings;
  std::vector<std::string> skipped;  // rules not checked, each with the reason
  std::string status;                // summary.json's status ("running", "completed", ...)
};

// Reads the run directory's files and applies every rule. Throws IoError when `dir` holds no
// config.json or summary.json, or a CSV file has a header without the columns a rule needs.
Diagnosis diagnose_run(const std::filesystem::path& dir, const DiagnosisThresholds& t = {});

// {"findings": [{rule, layer, param, step, value, threshold, message, cure}...], "skipped": [...]}
// (NaN values as null).
nlohmann::json to_json(const Diagnosis& diagnosis);

// Lines for a terminal: first, for a run that has not finished (status "running" or
// "interrupted"), a line that says so; one per finding ("layer 1 W, step 41: ...; try: ..."),
// "no problems found" when there is none, then one per skipped rule.
std::vector<std::string> describe(const Diagnosis& diagnosis);

}  // namespace nnlab
