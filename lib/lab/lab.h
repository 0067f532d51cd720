// Labs: one of the chapter's claims as data. A lab file (labs/NAME.json) holds a sweep (the
// sweep-file format of sweep.h), what the chapter predicts, how to measure it from the run
// files, and the figures to draw. This file reads lab files strictly and computes the verdict
// from the runs' files; running the sweep and drawing is the command line's job
// (app/lab_command.cpp). docs/labs.md documents the format and every lab.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweep/sweep.h"

namespace nnlab {

// What is measured in each run, as one number.
struct LabMeasure {
  enum class Kind {
    layer_log_slope,  // fitted change of ln||x^(l)||^2 per layer, going toward the input
    layer_factor,     // exp of the fitted change of ln||x^(l)|| per layer toward the input
    layer_ratio,      // ||x^(layer)|| / ||x^(over)||
    layer_norm,       // ||x^(layer)||
    time_ratio,       // ||dL/dh_t||/||dL/dh_over_t|| of recurrent layer `layer` (time_grad_norms.csv)
    time_reach,       // how many time steps of recurrent layer `layer` get a gradient at `step`
    metric,           // a column of metrics.csv at `step` (loss, grad_norm, ...)
    final,            // summary.json final.FIELD (train_loss, test_loss, test_accuracy, ...)
    diverged,         // 1 when the run diverged, else 0
    clipped_fraction, // share of steps with clipped = 1 (metrics.csv)
    activation_memory,  // feasibility.h's estimate of the activations' bytes, from config.json
    // The cost of one forward and one backward pass of the run's model (config.json; cost.h):
    backward_macs_ratio,  // multiply-adds of backward / forward, counted from the architecture
    backward_time_ratio,  // median time of backward / forward, measured now on this machine
    forward_macs,         // multiply-adds of one forward pass of a training batch
    backward_macs,        // ... of one backward pass
    forward_time,         // median time of one forward pass, milliseconds
    backward_time,        // median time of one backward pass, milliseconds
  };
  Kind kind = Kind::layer_log_slope;
  std::string param = "delta";  // grad_norms.csv param for the layer kinds
  long long step = 1;           // the logged step read (layer kinds, time_ratio, metric)
  long long first_k = 0;        // > 0: average each layer's norm over the first K logged steps
  int from = 1, to = -2;        // layer range of the fits; negative: from the output (-1 = output)
  int layer = 1, over = -1;     // layer_ratio/layer_norm/time_ratio; time_ratio: t and over_t
  long long t = 1, over_t = -1; // time_ratio: -1 = the last time step
  std::string field;            // metric: the metrics.csv column; final: the summary field
  std::string relative_to;      // final: "" | "baseline" (summary.json baseline.value) | "initial";
                                // activation_memory: "" | "full_bptt" (the same run, truncation 0)
  std::string describe() const; // one line for reports
};

struct LabPrediction {
  std::string text;                                  // the claim, in words
  std::vector<std::pair<std::string, nlohmann::json>> where;  // config key -> value the runs have
  // Non-empty: a comparison of two groups. Each `where` run is paired with the one run matching
  // `versus` that has the same seed, and its value is measure(run) - measure(partner).
  std::vector<std::pair<std::string, nlohmann::json>> versus;
  LabMeasure measure;
  std::optional<double> value, tolerance;            // |mean - value| <= tolerance
  std::optional<double> at_most, at_least;           // mean <= at_most, mean >= at_least
  // None of value/at_most/at_least: a measurement only reported (it agrees when finite).
  bool reported_only() const { return !value && !at_most && !at_least; }
  // The prediction's "quick" bounds, which replace the four above in the lab's quick variant
  // (quick_variant): e.g. a wider band for a timing that CI's sanitizers distort.
  bool has_quick = false;
  std::optional<double> quick_value, quick_tolerance, quick_at_most, quick_at_least;
};

struct LabFigure {
  std::string file;                  // the PNG, in the lab's directory
  std::string caption;
  std::vector<std::string> plot;     // plot_grad_norms.py arguments; {runs}, {summary}, {dir}
};

struct Lab {
  std::string name;
  std::filesystem::path file;        // absolute
  std::string question;              // one line
  std::string chapter;               // the chapter's words (or viva question) it tests
  nlohmann::ordered_json sweep;      // the sweep (sweep-file format, without name and out)
  nlohmann::ordered_json quick;      // replacements of sweep's set/grid/runs/seeds for --quick
  std::vector<LabPrediction> predictions;
  std::vector<LabFigure> figures;
  std::string notes;                 // Markdown for REPORT.md: what the measurement means
};

// Reads a lab file strictly: unknown keys (with the likely intended one), wrong types, a sweep
// that the sweep reader refuses; every problem at once, as one ConfigError.
Lab read_lab_file(const std::filesystem::path& path);
Lab parse_lab(const nlohmann::ordered_json& doc, const std::filesystem::path& file);

// The lab as --quick judges it: every prediction with "quick" bounds gets them in place of its own.
Lab quick_variant(Lab lab);

// The lab's sweep (with --quick's replacements) as a sweep spec whose directory is `out`.
SweepSpec lab_sweep(const Lab& lab, bool quick, const std::filesystem::path& out);

// One run's measurement: nan when the run has no finite value for it (e.g. it diverged).
// Throws IoError when a file the measure needs is missing or malformed. The timed pass-cost
// kinds time a run once per process: forward_time, backward_time and backward_time_ratio of
// one run directory come from the same measurement, so the ratio is the quotient of the two.
double measure_run(const LabMeasure& measure, const std::filesystem::path& run_dir);

struct LabResult {
  const LabPrediction* prediction = nullptr;
  std::vector<std::pair<std::string, double>> values;  // run name (versus: "a − b") -> value
  std::size_t n = 0, nonfinite = 0;                      // finite values, others
  double mean = 0, std = 0, min = 0, max = 0;           // over the finite values (std: n-1)
  bool agrees = false;
};

struct LabVerdict {
  std::vector<LabResult> results;
  bool agrees = false;  // every prediction agrees
};

// Measures every prediction on the runs whose config.json matches its `where` (minus each one's
// partner of the same seed in the `versus` group). Throws IoError when a run file is missing or
// a `versus` pairing is not one to one.
LabVerdict compute_verdict(const Lab& lab, const Sweep& sweep);

// What a prediction expects, as the report and the terminal write it: "2.75 ± 2.25", "≤ 0.2",
// "≥ 0.3", or "(reported)" for a measurement only reported.
std::string prediction_text(const LabPrediction& prediction);

// verdict.json and REPORT.md. `command` is the command that reproduces the lab;
// `figures_drawn` says whether the PNGs exist (else REPORT.md gives the commands).
nlohmann::json verdict_json(const Lab& lab, const LabVerdict& verdict, bool quick);
std::string report_markdown(const Lab& lab, const LabVerdict& verdict, bool quick,
                            const std::string& command, const std::vector<std::string>& figure_commands,
                            const std::vector<bool>& figures_drawn);

// Plot arguments of a figure with {runs}, {summary} and {dir} expanded.
std::vector<std::string> figure_arguments(const LabFigure& figure, const Sweep& sweep);

}  // namespace nnlab
