#!/usr/bin/python3
"""nnlab against PyTorch on the benchmark workloads W1-W5 (bench/configs), one thread each.

Usage: /usr/bin/python3 bench/run.py [--quick] [--pairs N] [--build-dir DIR] [--only w1,w3]
                                     [--no-extras] [--results FILE] [--json FILE]
(bench/run.sh installs what is missing, builds Release and then runs this.)

Per workload: one untimed warm-up pair, then N pairs run alternately, nnlab then PyTorch (A B A B
...), each run a fresh process that times its steps after its own warm-up steps
(bench/nnlab_bench.cpp, bench/torch_bench.py). Printed per workload: the median over the pairs
of each side's ms/step (each run's mean over its timed steps), the ratio PyTorch/nnlab (median
of the per-pair ratios, with their min-max), nnlab's GFLOP/s and its fraction of the fp32 peak
measured on this machine (bench/peak.cpp), and each side's peak resident memory (ru_maxrss).

FLOPs are counted analytically as 3x the forward pass's matrix-product FLOPs (forward, the
input gradient and the weight gradient), 2 m n k per (m x k)(k x n) product, biases and
elementwise work not counted (the convention behind the usual "GFLOP/s of a training step";
it counts the first layer's input gradient, which neither side computes):
  MLP:  3 * 2 B sum_l n(l-1) n(l) over every layer, the output layer included;
  RNN/LSTM: per time step 2 B G (in + H) with G = gates * H (gates: 1 rnn, 4 lstm), plus the
        readout 2 B H outputs at the target step; steps of a chunk with backward count 3x,
        steps of state-only chunks (truncated BPTT before the target) count 1x.
Also measured (unless --no-extras): the cost of gradient-norm logging (log.every 1 against
1000, alternating pairs) and of log.quantiles (on against off at log.every 1), W5's memory against W3 and against full BPTT over the 1000 steps, and
`nnlab sweep -j 2` against `-j 1` when this nnlab has a sweep command.

--quick: a smoke run for CI (a handful of steps, one pair, a few extras, well under 30 s) that
checks that everything runs and every number parses; its figures are not measurements.
Exits 0 on success, 1 when a run fails or prints something unparsable.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"

# Timed steps per run after the run's own warm-up steps: (warmup, steps) full / quick.
STEPS = {
    "w1": ((100, 3000), (5, 30)),
    "w2": ((3, 30), (1, 2)),
    "w3": ((10, 200), (1, 3)),
    "w4": ((5, 60), (1, 2)),
    "w5": ((3, 60), (1, 2)),
}
DESCRIPTION = {
    "w1": "W1 MLP 2-64x10-1 tanh, B 32",
    "w2": "W2 MLP 784-1024x4-10 relu, B 256",
    "w3": "W3 RNN tanh H 128, T 100, B 32",
    "w4": "W4 LSTM H 128, T 100, B 32",
    "w5": "W5 RNN H 128, T 1000, TBPTT 100",
}


class BenchError(Exception):
    pass


def run_json(cmd, env=None):
    """Runs cmd, returns the JSON object of its last stdout line; BenchError if it fails."""
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")
    lines = proc.stdout.strip().splitlines()
    try:
        out = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as e:
        raise BenchError(f"{' '.join(cmd)}: unparsable output {proc.stdout!r}") from e
    for key in ("ms_per_step", "peak_rss_kb"):
        value = out.get(key)
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise BenchError(f"{' '.join(cmd)}: bad {key} in {out}")
    return out


def load_config(path):
    with open(path) as f:
        return json.load(f)


def step_flops(config):
    """Analytic FLOPs of one training step (see the module docstring)."""
    data, model, train = config["data"], config["model"], config["train"]
    batch = train["batch_size"]
    depth = model["depth"]
    width = model["width"]
    widths = width if isinstance(width, list) else [width] * depth
    if model["type"] == "mlp":
        inputs = data.get("features", 2) if data["type"] == "blobs" else 2
        classes = data.get("classes", 3) if data["type"] == "blobs" else 2
        outputs = 1 if model.get("output") == "sigmoid" else classes
        sizes = [inputs] + widths + [outputs]
        return 3 * 2 * batch * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[model["type"]]
    sizes = [2] + widths
    per_step = sum(2 * batch * gates * h * (i + h) for i, h in zip(sizes[:-1], sizes[1:]))
    length = data["length"]
    chunk = train.get("truncation", 0) or length
    backward_steps = length - (length - 1) // chunk * chunk  # the last chunk holds the target
    readout = 2 * batch * widths[-1] * 1
    return (length - backward_steps) * per_step + 3 * (backward_steps * per_step + readout)


def med(values):
    return statistics.median(values)


def fmt_ms(x):
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.1f}"


def fmt_mb(kb):
    return f"{kb / 1024:.0f}" if kb >= 10240 else f"{kb / 1024:.1f}"


class Runner:
    def __init__(self, args):
        self.args = args
        self.bench = os.path.join(args.build_dir, "bench", "nnlab_bench")
        self.peak_bin = os.path.join(args.build_dir, "bench", "nnlab_peak")
        self.nnlab = os.path.join(args.build_dir, "nnlab")
        for path in (self.bench, self.peak_bin, self.nnlab):
            if not os.access(path, os.X_OK):
                raise BenchError(f"{path} is missing: build first (bench/run.sh does)")
        self.env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                        MKL_NUM_THREADS="1")

    def steps(self, workload):
        return STEPS[workload][1 if self.args.quick else 0]

    def config_path(self, workload):
        return os.path.join(ROOT, "bench", "configs", workload + ".json")

    def nnlab_run(self, workload, overrides=(), steps=None):
        warmup, n = steps or self.steps(workload)
        cmd = [self.bench, self.config_path(workload), "--warmup", str(warmup), "--steps", str(n)]
        for o in overrides:
            cmd += ["--set", o]
        return run_json(cmd, self.env)

    def torch_run(self, workload, extra=()):
        warmup, n = self.steps(workload)
        cmd = [PYTHON, os.path.join(ROOT, "bench", "torch_bench.py"), self.config_path(workload),
               "--warmup", str(warmup), "--steps", str(n), *extra]
        return run_json(cmd, self.env)

    def peak(self):
        out = run_json_peak([self.peak_bin])
        return out

    def log(self, message):
        print(message, file=sys.stderr, flush=True)


def run_json_peak(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"{cmd[0]} exited {proc.returncode}: {proc.stderr.strip()}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if not out.get("gflops", 0) > 0:
        raise BenchError(f"{cmd[0]}: bad output {proc.stdout!r}")
    return out["gflops"]


def compare(runner, workloads, pairs, peak):
    rows = []
    for w in workloads:
        config = load_config(runner.config_path(w))
        if not runner.args.quick:  # an untimed warm-up pair: page cache, CPU frequency
            runner.nnlab_run(w)
            runner.torch_run(w)
        nn, th = [], []
        for p in range(pairs):
            nn.append(runner.nnlab_run(w))
            th.append(runner.torch_run(w))
            runner.log(f"{w} pair {p + 1}/{pairs}: nnlab {nn[-1]['ms_per_step']:.4g} ms, "
                       f"torch {th[-1]['ms_per_step']:.4g} ms")
        ratios = [t["ms_per_step"] / n["ms_per_step"] for n, t in zip(nn, th)]
        cpu_ratios = [t["cpu_ms_per_step"] / n["cpu_ms_per_step"] for n, t in zip(nn, th)]
        nn_ms = med([r["ms_per_step"] for r in nn])
        flops = step_flops(config)
        rows.append({
            "workload": w,
            "nnlab_ms": nn_ms,
            "torch_ms": med([r["ms_per_step"] for r in th]),
            "ratio": med(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "cpu_ratio": med(cpu_ratios),
            "gflop_per_step": flops / 1e9,
            "gflops": flops / nn_ms / 1e6,
            "peak_fraction": flops / nn_ms / 1e6 / peak,
            "nnlab_rss_kb": med([r["peak_rss_kb"] for r in nn]),
            "nnlab_growth_kb": med([r["peak_rss_kb"] - r["rss_before_training_kb"] for r in nn]),
            "allocations_per_step": max(r["allocations_per_step"] for r in nn),
            "torch_rss_kb": med([r["peak_rss_kb"] for r in th]),
            "nnlab_runs": nn, "torch_runs": th,
        })
    return rows


def logging_cost(runner, workloads, pairs):
    """nnlab with log.every 1 against log.every 1000 (no per-layer row in the timed window)."""
    rows = []
    for w in workloads:
        # Thread CPU time: a difference of a few percent drowns in the wall-time noise of a
        # shared machine (other processes take the core away for milliseconds at a time).
        costs, every1, every1000 = [], [], []
        for _ in range(pairs):
            a = runner.nnlab_run(w, ["log.every=1"])
            b = runner.nnlab_run(w, ["log.every=1000"])
            every1.append(a["cpu_ms_per_step"])
            every1000.append(b["cpu_ms_per_step"])
            costs.append(a["cpu_ms_per_step"] / b["cpu_ms_per_step"] - 1)
        rows.append({"workload": w, "every1_ms": med(every1), "every1000_ms": med(every1000),
                     "cost": med(costs), "cost_min": min(costs), "cost_max": max(costs)})
        runner.log(f"{w} logging cost: {med(costs) * 100:+.1f}%")
    return rows


def quantiles_cost(runner, log_rows, pairs):
    """grad_quantiles.csv (log.quantiles) on against off, both logging every step, alternating;
    added to each row of log_rows (docs/diagnostics.md)."""
    for row in log_rows:
        w, costs = row["workload"], []
        for _ in range(pairs):
            a = runner.nnlab_run(w, ["log.every=1", "log.quantiles=true"])
            b = runner.nnlab_run(w, ["log.every=1", "log.quantiles=false"])
            costs.append(a["cpu_ms_per_step"] / b["cpu_ms_per_step"] - 1)
        row["quantiles"] = {"cost": med(costs), "cost_min": min(costs), "cost_max": max(costs)}
        runner.log(f"{w} quantiles cost: {med(costs) * 100:+.1f}%")


def torch_logging_cost(runner, pairs):
    """PyTorch on W1 with and without its per-step CSV rows, alternating."""
    costs = []
    for _ in range(pairs):
        a = runner.torch_run("w1")
        b = runner.torch_run("w1", ["--no-log"])
        costs.append(a["cpu_ms_per_step"] / b["cpu_ms_per_step"] - 1)
    return {"cost": med(costs), "cost_min": min(costs), "cost_max": max(costs)}


def memory(runner, w3_rss_kb, w5_rss_kb, w3_growth_kb, w5_growth_kb):
    steps = (1, 2) if runner.args.quick else (1, 3)
    full = runner.nnlab_run("w5", ["train.truncation=0"], steps=steps)
    return {"w3_kb": w3_rss_kb, "w5_kb": w5_rss_kb, "w5_full_kb": full["peak_rss_kb"],
            "w5_full_ms": full["ms_per_step"], "ratio": w5_rss_kb / w3_rss_kb,
            "w3_growth_kb": w3_growth_kb, "w5_growth_kb": w5_growth_kb,
            "w5_full_growth_kb": full["peak_rss_kb"] - full["rss_before_training_kb"]}


def sweep(runner):
    """Throughput of `nnlab sweep -j 2` against `-j 1` on the same sweep (W1's config, one run
    per seed), alternating, if this nnlab has a sweep command. Wall time of the whole sweep."""
    probe = subprocess.run([runner.nnlab, "--help"], capture_output=True, text=True)
    if not re.search(r"^\s+sweep\s", probe.stdout, re.MULTILINE):
        return {"skipped": "this nnlab has no `sweep` command yet"}
    quick = runner.args.quick
    runs, epochs, pairs = (4, 1, 1) if quick else (8, 30, 3)
    times = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix="nnlab-bench-sweep-") as tmp:
        spec = {"name": "bench_sweep", "base": runner.config_path("w1"),
                "set": {"train.epochs": epochs}, "seeds": runs}
        path = os.path.join(tmp, "sweep.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        for p in range(pairs):
            for jobs in (1, 2):
                out = os.path.join(tmp, f"j{jobs}-{p}")
                t0 = time.perf_counter()
                proc = subprocess.run([runner.nnlab, "sweep", path, "-j", str(jobs), "-q",
                                       "--out", out], capture_output=True, text=True,
                                      env=runner.env)
                seconds = time.perf_counter() - t0
                if proc.returncode != 0:
                    raise BenchError(f"nnlab sweep -j {jobs} exited {proc.returncode}: "
                                     f"{proc.stderr.strip()[-500:]}")
                times[jobs].append(seconds)
                shutil.rmtree(out, ignore_errors=True)
    ratios = [a / b for a, b in zip(times[1], times[2])]
    return {"runs": runs, "epochs": epochs, "j1_s": med(times[1]), "j2_s": med(times[2]),
            "speedup": med(ratios), "speedup_min": min(ratios), "speedup_max": max(ratios),
            "cpus": os.cpu_count()}


def blas_comparison(runner, workloads, pairs, other_build):
    """nnlab_bench of this build against the one in other_build, alternating."""
    other = os.path.join(other_build, "bench", "nnlab_bench")
    if not os.access(other, os.X_OK):
        raise BenchError(f"{other} is missing (configure {other_build} with -DNNLAB_BLAS=OFF "
                         "and build its nnlab_bench target)")
    rows = []
    for w in workloads:
        warmup, n = runner.steps(w)
        cmd = [runner.config_path(w), "--warmup", str(warmup), "--steps", str(n)]
        blas, eigen = [], []
        for _ in range(pairs):
            blas.append(run_json([runner.bench] + cmd, runner.env)["ms_per_step"])
            eigen.append(run_json([other] + cmd, runner.env)["ms_per_step"])
        ratios = [e / b for b, e in zip(blas, eigen)]
        rows.append({"workload": w, "blas_ms": med(blas), "eigen_ms": med(eigen),
                     "ratio": med(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios)})
        runner.log(f"{w}: OpenBLAS {med(blas):.4g} ms, Eigen {med(eigen):.4g} ms")
    return rows


def machine():
    info = {"date": datetime.date.today().isoformat(), "kernel": platform.release()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in lscpu.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("Model name", "CPU(s)", "CPU family", "Model", "L2 cache",
                               "L3 cache", "Hypervisor vendor"):
                info[key.strip()] = value.strip()
            if key.strip() == "Flags":
                flags = value.split()
                info["simd"] = " ".join(f for f in flags if re.match(
                    r"^(avx2|fma|avx512f|avx512bw|avx512vl|avx512_bf16|avx512_vnni)$", f))
    except OSError:
        pass
    try:
        info["compiler"] = subprocess.run(["c++", "--version"], capture_output=True,
                                          text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        pass
    try:
        info["commit"] = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty",
                                         "--abbrev=12"], capture_output=True,
                                        text=True).stdout.strip()
    except OSError:
        pass
    try:
        import torch  # noqa: PLC0415 (only for its version)
        info["torch"] = torch.__version__
    except ImportError:
        pass
    info["load"] = os.getloadavg()[0]
    return info


def build_flags(build_dir):
    flags = {}
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                m = re.match(r"^(CMAKE_BUILD_TYPE|CMAKE_CXX_FLAGS_RELEASE|NNLAB_NATIVE|"
                             r"NNLAB_BLAS)(:\w+)?=(.*)$", line.strip())
                if m:
                    flags[m.group(1)] = m.group(3)
    except OSError:
        pass
    return flags


def tables(rows, log_rows, mem, sweep_row, peak, pairs, blas_rows=()):
    out = []
    out.append(f"| workload | nnlab ms/step | PyTorch ms/step | PyTorch/nnlab (min-max over "
               f"{pairs} pairs) | CPU-time ratio | nnlab GFLOP/s | of fp32 peak | nnlab peak RSS MB "
               f"| PyTorch peak RSS MB |")
    out.append("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        out.append(f"| {DESCRIPTION[r['workload']]} | {fmt_ms(r['nnlab_ms'])} | "
                   f"{fmt_ms(r['torch_ms'])} | **{r['ratio']:.2f}x** ({r['ratio_min']:.2f}-"
                   f"{r['ratio_max']:.2f}) | {r['cpu_ratio']:.2f}x | {r['gflops']:.1f} | "
                   f"{r['peak_fraction'] * 100:.0f}% | {fmt_mb(r['nnlab_rss_kb'])} | "
                   f"{fmt_mb(r['torch_rss_kb'])} |")
    out.append("")
    allocs = max(r["allocations_per_step"] for r in rows)
    out.append(f"Heap allocations per nnlab step (bench/nnlab_bench counts malloc): "
               f"{'none on any workload' if allocs == 0 else f'up to {allocs:g}'}.")
    out.append("")
    out.append(f"Measured fp32 peak (bench/peak.cpp, one core): {peak:.1f} GFLOP/s. "
               f"GFLOP per step: " + ", ".join(
                   f"{r['workload'].upper()} {r['gflop_per_step']:.4g}" for r in rows) + ".")
    if log_rows:
        out.append("")
        out.append("Gradient-norm logging (nnlab, `log.every` 1 against 1000, alternating; CPU "
                   "time per step; every row of metrics.csv, grad_norms.csv, activations.csv and "
                   "time_grad_norms.csv, and the statistics behind them):")
        out.append("")
        out.append("| workload | every step CPU ms | every 1000 CPU ms | cost of logging every step "
                   "(min-max) |")
        out.append("|---|---:|---:|---|")
        for r in log_rows:
            out.append(f"| {r['workload'].upper()} | {fmt_ms(r['every1_ms'])} | "
                       f"{fmt_ms(r['every1000_ms'])} | {r['cost'] * 100:+.1f}% "
                       f"({r['cost_min'] * 100:+.1f}% to {r['cost_max'] * 100:+.1f}%) |")
        if all("quantiles" in r for r in log_rows):
            out.append("")
            out.append("`log.quantiles` (grad_quantiles.csv, exact quantiles of every tensor's "
                       "gradient, |gradient| and weights) on against off, both logging every step: " +
                       ", ".join(f"{r['workload'].upper()} {r['quantiles']['cost'] * 100:+.1f}% "
                                 f"({r['quantiles']['cost_min'] * 100:+.1f}% to "
                                 f"{r['quantiles']['cost_max'] * 100:+.1f}%)" for r in log_rows) +
                       "; the cost scales with 1/log.every.")
        t = log_rows[0].get("torch")
        if t:
            out.append("")
            out.append(f"For comparison, PyTorch's own per-step CSV rows (the metrics and one row per "
                       f"tensor) cost it {t['cost'] * 100:+.1f}% on W1 ({t['cost_min'] * 100:+.1f}% to "
                       f"{t['cost_max'] * 100:+.1f}%); the ratios above include them.")
    if mem:
        out.append("")
        out.append(f"Memory (nnlab peak RSS): W3 {fmt_mb(mem['w3_kb'])} MB, W5 (T 1000, chunks "
                   f"of 100) {fmt_mb(mem['w5_kb'])} MB = **{mem['ratio']:.2f}x W3**; W5 with full "
                   f"BPTT over the 1000 steps {fmt_mb(mem['w5_full_kb'])} MB "
                   f"({fmt_ms(mem['w5_full_ms'])} ms/step). Growth during training (peak minus "
                   f"the resident set before the first step, i.e. without the data): W3 "
                   f"{fmt_mb(mem['w3_growth_kb'])} MB, W5 {fmt_mb(mem['w5_growth_kb'])} MB, W5 full "
                   f"BPTT {fmt_mb(mem['w5_full_growth_kb'])} MB.")
    if blas_rows:
        out.append("")
        out.append("OpenBLAS (this build, EIGEN_USE_BLAS) against Eigen's own matrix products "
                   "(a build with `-DNNLAB_BLAS=OFF`), nnlab only, alternating:")
        out.append("")
        out.append("| workload | OpenBLAS ms/step | Eigen ms/step | Eigen/OpenBLAS (min-max) |")
        out.append("|---|---:|---:|---|")
        for r in blas_rows:
            out.append(f"| {r['workload'].upper()} | {fmt_ms(r['blas_ms'])} | {fmt_ms(r['eigen_ms'])} | "
                       f"{r['ratio']:.2f}x ({r['ratio_min']:.2f}-{r['ratio_max']:.2f}) |")
    if sweep_row:
        out.append("")
        if "skipped" in sweep_row:
            out.append(f"Sweep throughput (`-j 2` against `-j 1`): skipped: {sweep_row['skipped']}.")
        else:
            out.append(f"Sweep throughput: `nnlab sweep` of {sweep_row['runs']} W1 runs "
                       f"({sweep_row['epochs']} epochs each) took {sweep_row['j1_s']:.2f} s with "
                       f"`-j 1` and {sweep_row['j2_s']:.2f} s with `-j 2`: **{sweep_row['speedup']:.2f}x** "
                       f"the throughput ({sweep_row['speedup_min']:.2f}-{sweep_row['speedup_max']:.2f}; "
                       f"{sweep_row['cpus']} CPUs).")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI smoke run: a few steps")
    parser.add_argument("--pairs", type=int, default=None, help="A/B pairs (default 5; quick 1)")
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    parser.add_argument("--only", default="w1,w2,w3,w4,w5", help="comma-separated workloads")
    parser.add_argument("--no-extras", action="store_true",
                        help="skip logging cost, memory and sweep measurements")
    parser.add_argument("--results", help="write a RESULTS.md (machine, flags, tables) here")
    parser.add_argument("--json", help="write every raw measurement here")
    parser.add_argument("--blas-comparison", metavar="DIR",
                        help="also time the build in DIR (configured with -DNNLAB_BLAS=OFF: "
                             "Eigen's own matrix products) against this one, alternating")
    args = parser.parse_args()
    pairs = args.pairs or (1 if args.quick else 5)
    workloads = [w.strip() for w in args.only.split(",") if w.strip()]
    for w in workloads:
        if w not in STEPS:
            parser.error(f"unknown workload {w} (w1-w5)")
    started = time.time()
    try:
        runner = Runner(args)
        peak = runner.peak()
        runner.log(f"fp32 peak: {peak:.1f} GFLOP/s")
        rows = compare(runner, workloads, pairs, peak)
        log_rows, mem, sweep_row, blas_rows = [], None, None, []
        if args.blas_comparison:
            blas_rows = blas_comparison(runner, workloads, pairs, args.blas_comparison)
        if not args.no_extras:
            log_workloads = ["w1"] if args.quick else workloads
            log_rows = logging_cost(runner, log_workloads, pairs if args.quick else max(pairs, 5))
            quantiles_cost(runner, log_rows, pairs if args.quick else max(pairs, 3))
            torch_log = torch_logging_cost(runner, pairs)
            log_rows[0]["torch"] = torch_log
            by = {r["workload"]: r for r in rows}
            if "w3" in by and "w5" in by:
                mem = memory(runner, by["w3"]["nnlab_rss_kb"], by["w5"]["nnlab_rss_kb"],
                             by["w3"]["nnlab_growth_kb"], by["w5"]["nnlab_growth_kb"])
            sweep_row = sweep(runner)
        peak = max(peak, runner.peak())  # again at the end: the best of both
        for r in rows:
            r["peak_fraction"] = r["gflops"] / peak
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    text = tables(rows, log_rows, mem, sweep_row, peak, pairs, blas_rows)
    print(text)
    seconds = time.time() - started
    runner.log(f"({seconds:.0f} s)")
    info = machine()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "flags": build_flags(args.build_dir), "peak": peak,
                       "rows": rows, "logging": log_rows, "memory": mem, "sweep": sweep_row,
                       "blas": blas_rows},
                      f, indent=1)
    if args.results:
        write_results(args.results, text, info, build_flags(args.build_dir), pairs, seconds)
    return 0


BEGIN, END = "<!-- bench/run.py results: begin -->", "<!-- bench/run.py results: end -->"


def write_results(path, text, info, flags, pairs, seconds):
    """Writes the figures between the BEGIN/END markers of `path`, keeping the rest of the file
    (the hand-written analysis); creates the file when absent."""
    lines = [
        BEGIN,
        f"- Date: {info.get('date')}; commit `{info.get('commit', '?')}`; {pairs} A/B pairs per "
        f"workload, {seconds / 60:.0f} min in all; load average at the end {info['load']:.2f} "
        "(other jobs shared the machine).",
        f"- Machine: {info.get('Model name', '?')} (family {info.get('CPU family', '?')}, model "
        f"{info.get('Model', '?')}), {info.get('CPU(s)', '?')} CPUs, L2 {info.get('L2 cache', '?')}, "
        f"L3 {info.get('L3 cache', '?')}, hypervisor {info.get('Hypervisor vendor', 'none')}; "
        f"SIMD flags: {info.get('simd', '?')}; Linux {info.get('kernel')}.",
        f"- nnlab: {info.get('compiler', '?')}, CMAKE_BUILD_TYPE={flags.get('CMAKE_BUILD_TYPE', '?')} "
        f"(`{flags.get('CMAKE_CXX_FLAGS_RELEASE', '?')}`), `-march=native` "
        f"(NNLAB_NATIVE={flags.get('NNLAB_NATIVE', '?')}), NNLAB_BLAS={flags.get('NNLAB_BLAS', '?')} "
        "(Debian's OpenBLAS 0.3.21, one thread; kernel "
        f"{os.environ.get('OPENBLAS_CORETYPE') or 'autodetected'}"
        f"{' from OPENBLAS_CORETYPE' if os.environ.get('OPENBLAS_CORETYPE') else ''}).",
        f"- PyTorch {info.get('torch', '?')} (Debian's python3-torch) with the same OpenBLAS, "
        "`torch.set_num_threads(1)`, `OPENBLAS_NUM_THREADS=1`.",
        "",
        text,
        END,
    ]
    block = "\n".join(lines)
    old = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + block + old[old.index(END) + len(END):]
    else:
        new = "# Benchmark results\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(new)


if __name__ == "__main__":
    sys.exit(main())
