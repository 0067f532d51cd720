// The files of a probe directory (docs/probe.md):
//   probe.csv        layer[,t],quantity,mean,sd,se,theory    (aggregates over seeds)
//   probe_seeds.csv  seed,layer[,t],quantity,value           (every seed's numbers)
//   config.json      the resolved config;  summary.json  the fit, the theory and the run's record
#include <cmath>

#include "base/csv.h"
#include "base/files.h"
#include "run/probe.h"
#include "base/version.h"
#include "run/run_dir.h"

namespace nnlab {

namespace {
void number_or_empty(CsvWriter& out, double x) {
  if (std::isfinite(x)) out.field(x); else out.empty();
}
nlohmann::json number_or_null(double x) {
  return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
}
}  // namespace

void write_probe(const std::filesystem::path& dir, const ProbeResult& r, const nlohmann::json& meta) {
  write_file_atomic(dir / kConfigFile, to_json(r.config).dump(2) + "\n");
  const bool timed = r.recurrent;
  {
    CsvWriter out(dir / "probe.csv", timed ? "layer,t,quantity,mean,sd,se,theory"
                                           : "layer,quantity,mean,sd,se,theory");
    for (const ProbeRow& row : r.rows) {
      out.field(row.key.layer);
      if (timed) { if (row.key.t > 0) out.field(row.key.t); else out.empty(); }
      out.field(row.key.quantity);
      number_or_empty(out, row.mean);
      number_or_empty(out, row.sd);
      number_or_empty(out, row.se);
      if (row.theory && std::isfinite(*row.theory)) out.field(*row.theory); else out.empty();
      out.end_row();
    }
    out.flush();
  }
  {
    // Values in the model's dtype, as training's CSVs print them: a float32 probe's grad_W of
    // seed s is byte for byte grad_norms.csv's step-1 W row of a run with seed s.
    CsvWriter out(dir / "probe_seeds.csv", timed ? "seed,layer,t,quantity,value"
                                                 : "seed,layer,quantity,value");
    for (std::size_t i = 0; i < r.values.size(); ++i) {
      for (std::size_t k = 0; k < r.keys.size(); ++k) {
        const ProbeKey& key = r.keys[k];
        out.field(static_cast<long long>(r.seeds[i])).field(key.layer);
        if (timed) { if (key.t > 0) out.field(key.t); else out.empty(); }
        out.field(key.quantity);
        if (r.single_precision) out.field(static_cast<float>(r.values[i][k]));
        else out.field(r.values[i][k]);
        out.end_row();
      }
      out.flush();
    }
  }
  nlohmann::json summary = meta;
  summary["kind"] = "probe";
  summary["seeds"] = {{"count", r.seeds.size()}, {"first", r.seeds.front()}, {"last", r.seeds.back()}};
  summary["batch"] = r.batch;
  summary["theory"] = r.theory.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.theory);
  if (r.theory.empty()) summary["theory_reason"] = r.theory_reason;
  if (r.fit) {
    const ProbeFit& f = *r.fit;
    nlohmann::json fit = {{"axis", f.axis}, {"from", f.begin}, {"to", f.end},
                          {"quantity", f.axis == "layer" ? "ln delta_sq" : "ln h_grad^2"},
                          {"slope", number_or_null(f.mean)}, {"sd", number_or_null(f.sd)},
                          {"se", number_or_null(f.se)},
                          {"theory_slope", f.theory ? number_or_null(*f.theory) : nullptr}};
    if (f.axis == "t") fit["layer"] = f.layer;
    summary["fit"] = fit;
  } else {
    summary["fit"] = nullptr;
  }
  if (!r.sigma_w2.empty()) {
    summary["sigma_w2"] = r.sigma_w2;
    nlohmann::json chi = nlohmann::json::array();
    for (double c : r.chi) chi.push_back(number_or_null(c));
    summary["chi"] = chi;
  }
  summary["nnlab_version"] = kVersion;
  summary["nnlab_commit"] = kCommit;
  write_file_atomic(dir / kSummaryFile, summary.dump(2) + "\n");
}

}  // namespace nnlab
