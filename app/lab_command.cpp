// lab list: every labs/*.json with its question. lab run: the lab's sweep (finished runs are
// skipped, as by `nnlab sweep`), summary.csv, its figures through scripts/plot_grad_norms.py
// when Python with matplotlib is there (else the commands to draw them), and the verdict in
// verdict.json and REPORT.md. Exit 0 agrees, 5 disagrees.
#include "lab_command.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "base/errors.h"
#include "base/files.h"
#include "lab/lab.h"
#include "sweep/summarize.h"
#include "sweep/sweep.h"
#include "sweep_commands.h"
#include "sweep_plan.h"

namespace nnlab::cli {

namespace {

namespace fs = std::filesystem;

// The first of NNLAB_<env>, then beside the binary (build/../labs, bin/../share/nnlab/labs).
fs::path find_resource(const char* env, const fs::path& relative, const std::string& exe) {
  if (const char* v = std::getenv(env); v != nullptr && *v != '\0') return v;
  const fs::path dir = fs::path(exe).parent_path();
  std::error_code ec;
  for (const fs::path& candidate : {dir.parent_path() / relative, dir.parent_path() / "share" / "nnlab" / relative})
    if (fs::exists(candidate, ec)) return candidate.lexically_normal();
  return (dir.parent_path() / relative).lexically_normal();
}

fs::path lab_file(const std::string& name, const fs::path& labs_dir) {
  if (name.find('/') != std::string::npos || name.ends_with(".json")) return name;
  return labs_dir / (name + ".json");
}

std::string python() {
  if (const char* v = std::getenv("NNLAB_PYTHON"); v != nullptr && *v != '\0') return v;
  return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

bool have_matplotlib(const std::string& py) {
  const std::string cmd = shell_quote(py) + " -c 'import matplotlib, numpy' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

std::string join_command(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& w : words) line += (line.empty() ? "" : " ") + shell_quote(w);
  return line;
}

int list_labs(const fs::path& labs_dir) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(labs_dir, ec))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  if (ec) {
    spdlog::error("cannot read the labs directory {}: {} (set NNLAB_LABS)", labs_dir.string(), ec.message());
    return kBadInput;
  }
  std::sort(files.begin(), files.end());
  std::size_t width = 0;
  std::vector<Lab> labs;
  for (const auto& f : files) {
    labs.push_back(read_lab_file(f));
    width = std::max(width, labs.back().name.size());
  }
  for (const auto& lab : labs)
    std::printf("%-*s  %s\n", static_cast<int>(width), lab.name.c_str(), lab.question.c_str());
  return kCompleted;
}

}  // namespace

CLI::App* setup_lab(CLI::App& app, LabOptions& options) {
  CLI::App* cmd = app.add_subcommand("lab", "The chapter's claims as labs: list them, or run one "
                                            "and get a verdict (docs/labs.md)");
  cmd->require_subcommand(1);
  options.list_cmd = cmd->add_subcommand("list", "List the labs, each with its question");
  CLI::App* run = cmd->add_subcommand(
      "run", "Run a lab's sweep (finished runs are skipped), summarize it, draw its figures and "
             "judge the chapter's prediction: verdict.json and REPORT.md in the lab's directory");
  options.run_cmd = run;
  run->add_option("name", options.name, "A lab's name (see `nnlab lab list`) or a lab file")->required();
  refuse_empty(run->add_option("--out", options.out,
                               "The lab's directory (default: runs/labs/NAME, NAME-quick with --quick)"));
  run->add_option("-j,--jobs", options.jobs, "Runs at a time")->check(CLI::Range(1, 256))
      ->capture_default_str()->type_name("N");
  run->add_flag("--quick", options.quick, "The lab's quick variant (a few seconds; what CI runs)");
  run->add_flag("--no-plots", options.no_plots, "Do not draw the figures; print the commands instead");
  run->footer("Exit codes: 0 the measurement agrees with the chapter; 5 it disagrees; 1 a run "
              "failed or an I/O error;\n2 bad lab file or command line.");
  return cmd;
}

int run_lab(const LabOptions& options, const CommonOptions& common, const char* argv0) {
  return guarded([&]() -> int {
    const std::string exe = nnlab_executable(argv0);
    const fs::path labs_dir = find_resource("NNLAB_LABS", "labs", exe);
    if (options.list_cmd->parsed()) return list_labs(labs_dir);

    Lab lab = read_lab_file(lab_file(options.name, labs_dir));
    if (options.quick) lab = quick_variant(std::move(lab));
    const fs::path out = options.out.empty()
                             ? fs::path("runs") / "labs" / (lab.name + (options.quick ? "-quick" : ""))
                             : fs::path(options.out);
    Sweep sweep = expand_sweep(lab_sweep(lab, options.quick, out));
    validate_sweep(sweep);
    prepare_sweep_dir(sweep);
    spdlog::info("lab {}: {}", lab.name, lab.question);
    std::vector<std::string> common_flags{"-q"};
    if (common.verbose) common_flags = {"-v"};
    const int code = run_sweep_runs(sweep, options.jobs, argv0, common_flags);
    if (code != kCompleted && code != kDiverged) {
      spdlog::error("lab {}: not every run finished (exit {}); no verdict", lab.name, code);
      return code;
    }

    const fs::path dir = sweep.spec.out;
    const SummaryTable table = summarize(dir, 10);
    for (const auto& warning : table.warnings) spdlog::warn("{}", warning);
    write_file_atomic(dir / "summary.csv", to_csv(table));

    // The verdict first: a figure may draw verdict.json.
    const LabVerdict verdict = compute_verdict(lab, sweep);
    const std::string command = "nnlab lab run " + lab.name + (options.quick ? " --quick" : "");
    write_file_atomic(dir / "verdict.json", verdict_json(lab, verdict, options.quick).dump(2) + "\n");

    // Figures: drawn when Python with matplotlib is there, else their commands are printed.
    const std::string py = python();
    const fs::path script = find_resource("NNLAB_PLOT_SCRIPT", fs::path("scripts") / "plot_grad_norms.py", exe);
    const bool can_plot = !options.no_plots && !lab.figures.empty() && have_matplotlib(py);
    std::vector<std::string> commands;
    std::vector<bool> drawn;
    for (const auto& figure : lab.figures) {
      std::vector<std::string> words{py, script.string()};
      for (auto& a : figure_arguments(figure, sweep)) words.push_back(std::move(a));
      commands.push_back(join_command(words));
      bool ok = false;
      if (can_plot) {
        const std::string cmd = commands.back() + " >/dev/null";
        ok = std::system(cmd.c_str()) == 0;
        if (!ok) spdlog::warn("figure {} was not drawn: {}", figure.file, commands.back());
      }
      drawn.push_back(ok);
    }
    if (!lab.figures.empty() && !can_plot) {
      std::printf("figures not drawn (%s); to draw them:\n",
                  options.no_plots ? "--no-plots" : "no Python with matplotlib");
      for (const auto& c : commands) std::printf("  %s\n", c.c_str());
    }

    write_file_atomic(dir / "REPORT.md", report_markdown(lab, verdict, options.quick, command, commands, drawn));

    std::printf("\nlab %s: %s\n", lab.name.c_str(), lab.question.c_str());
    for (const auto& r : verdict.results) {
      const auto& p = *r.prediction;
      const std::string predicted =
          p.reported_only() ? std::string("nothing (reported only)") : prediction_text(p);
      std::string measured = r.n == 0 ? std::string("no finite value")
                                      : fmt::format("{:.6g} ± {:.2g} over {} run{}", r.mean, r.std, r.n,
                                                    r.n == 1 ? "" : "s");
      if (r.nonfinite > 0) measured += fmt::format(" ({} without a finite value)", r.nonfinite);
      std::printf("  %-9s %s: measured %s, predicted %s\n",
                  !r.agrees ? "DISAGREES" : p.reported_only() ? "reported" : "agrees",
                  p.text.c_str(), measured.c_str(), predicted.c_str());
    }
    std::printf("verdict: %s\nreport: %s\n", verdict.agrees ? "agrees" : "disagrees",
                (dir / "REPORT.md").c_str());
    std::fflush(stdout);
    return verdict.agrees ? kCompleted : kLabDisagrees;
  });
}

}  // namespace nnlab::cli
