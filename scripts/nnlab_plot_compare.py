"""Overlays of several nnlab runs (or whole sweep directories) on one shared y axis: the layer
profile (a gradient norm against the layer), the time profile (||dL/dh_t|| against t), loss and
accuracy curves, and activation statistics per layer. Registered as modes of plot_grad_norms.py
(`profile`, `time-profile`, `curves`, `activations`). Runs that differ only in their seed are one
line: the mean (geometric for norms) with a min-max band; lines are labelled by the run's `label`
(config.json) or else by the config keys in which the runs differ."""

import csv
import json
import math
import os
import textwrap
import warnings

import numpy as np


class CompareError(Exception):
    """Bad input: plot_grad_norms.py turns it into exit code 2."""


# --- runs and their labels ----------------------------------------------------------------------

def is_run(d):
    return os.path.isfile(os.path.join(d, "config.json")) and os.path.isfile(os.path.join(d, "summary.json"))


def expand_runs(paths):
    """Run directories: each path is a run, or a directory searched for runs (sorted)."""
    runs = []
    for p in paths:
        if not os.path.isdir(p):
            raise CompareError(f"{p}: not a directory")
        if is_run(p):
            runs.append(p)
            continue
        found = sorted(os.path.join(root, d) for root, dirs, _ in os.walk(p) for d in dirs
                       if is_run(os.path.join(root, d)))
        if not found:
            raise CompareError(f"{p}: no run directories (config.json and summary.json) in it")
        runs += found
    return list(dict.fromkeys(runs))


def flatten(v, prefix="", out=None):
    out = {} if out is None else out
    if isinstance(v, dict) and v:
        for k, x in v.items():
            flatten(x, f"{prefix}.{k}" if prefix else k, out)
    else:
        out[prefix] = json.dumps(v) if isinstance(v, (list, bool)) or v is None else str(v)
    return out


def read_config(run):
    try:
        with open(os.path.join(run, "config.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise CompareError(f"{run}: unreadable config.json: {e}")
    return doc if isinstance(doc, dict) else {}


# Keys that say nothing about what a run is.
IGNORED = {"name", "label", "log.dir", "seed", "data.path", "model.weights"}


def short_names(keys):
    """The last component of each key, or the whole key where two share it."""
    last = {k: k.split(".")[-1] for k in keys}
    counts = {}
    for v in last.values():
        counts[v] = counts.get(v, 0) + 1
    return {k: (v if counts[v] == 1 else k) for k, v in last.items()}


class Group:
    def __init__(self, label):
        self.label = label
        self.runs = []


def group_runs(runs, where=(), average=True):
    """Groups of runs (one line each) in first-seen order, their labels, and the settings every
    run shares (for the title)."""
    configs = {r: read_config(r) for r in runs}
    flats = {r: flatten(c) for r, c in configs.items()}
    for key, value in where:
        runs = [r for r in runs if flats[r].get(key) == value]
    if not runs:
        raise CompareError("no runs" + (" match --where" if where else ""))
    keys = sorted({k for r in runs for k in flats[r]})
    # Keys some runs lack follow from another key (bn_eps from batch_norm): left out.
    differing = [k for k in keys if k not in IGNORED and all(k in flats[r] for r in runs)
                 and len({compact(flats[r][k]) for r in runs}) > 1]
    # A key with a majority value (the baseline of a list of variants) labels only the runs
    # that differ from it; other keys (a grid's) label every run. A run that matches every
    # baseline is labelled by all of them.
    mode = {}
    for k in differing:
        values = [compact(flats[r][k]) for r in runs]
        top = max(dict.fromkeys(values), key=values.count)
        mode[k] = top if 2 * values.count(top) > len(values) else None
    names = short_names(differing)
    common = {k: flats[runs[0]][k] for k in keys
              if k not in IGNORED and all(flats[r].get(k) == flats[runs[0]].get(k) for r in runs)}
    groups = {}
    for r in runs:
        label = configs[r].get("label")
        if not isinstance(label, str) or not label:
            own = [k for k in differing if compact(flats[r][k]) != mode[k]]
            if all(mode[k] is not None for k in differing) and not own:
                own = differing
            label = ", ".join(f"{names[k]}={compact(flats[r][k])}" for k in own)
        if not label:
            label = os.path.basename(os.path.normpath(r))
        key = label if average else f"{label} ({os.path.basename(os.path.normpath(r))})"
        if key not in groups:
            groups[key] = Group(key)
        groups[key].runs.append(r)
    return list(groups.values()), common


def common_text(common):
    """A short description of the settings every run shares, for the title."""
    wanted = {"model.type": "model", "model.activation": "activation", "model.depth": "depth",
              "model.width": "width", "model.init": "init", "model.skip": "skip",
              "model.batch_norm": "batch_norm", "data.type": "data", "data.length": "T"}
    defaults = {"model.skip": "0", "model.batch_norm": "false"}
    parts = [f"{name}={compact(common[k])}" for k, name in wanted.items()
             if k in common and defaults.get(k) != common[k]]
    return ", ".join(parts)


def compact(text):
    """A list whose elements are all equal as its one value ([128, 128] -> 128); long text cut."""
    try:
        v = json.loads(text)
        if isinstance(v, list) and v and all(x == v[0] for x in v):
            text = str(v[0])
    except ValueError:
        pass
    return text if len(text) <= 40 else text[:37] + "..."


def read_rows(path):
    if not os.path.isfile(path):
        raise CompareError(f"{path}: no such file")
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(text):
    try:
        return float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan


def fill(text, width):
    return "\n".join(textwrap.wrap(text, width)) or text


def colors(n):
    import matplotlib.pyplot as plt
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return [cycle[i % len(cycle)] for i in range(n)]


def band(ax, x, ys, color, label, geometric, marker="o"):
    """The mean of ys (rows: runs) with a min-max band; nan/inf and, for geometric, values <= 0 are
    left out point by point."""
    ys = np.array(ys, dtype=float)
    ok = np.isfinite(ys) & ((ys > 0) if geometric else True)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan columns: gaps in the line
        if geometric:
            logs = np.where(ok, np.log(np.where(ok, ys, 1.0)), np.nan)
            mean = np.exp(np.nanmean(logs, axis=0)) if ys.size else ys
        else:
            mean = np.nanmean(np.where(ok, ys, np.nan), axis=0)
        lo = np.nanmin(np.where(ok, ys, np.nan), axis=0)
        hi = np.nanmax(np.where(ok, ys, np.nan), axis=0)
    ax.plot(x, mean, marker=marker, ms=3, lw=1.6, color=color, label=label)
    if ys.shape[0] > 1:
        ax.fill_between(x, lo, hi, color=color, alpha=0.18, lw=0)


def title_of(args, what, common):
    if args.title:
        return args.title
    text = common_text(common)
    return what + (f"\n{text}" if text else "")


def runs_note(groups):
    n = max(len(g.runs) for g in groups)
    return "" if n == 1 else f"line: mean over the {n} runs (seeds) of a setting; band: min–max"


# --- modes --------------------------------------------------------------------------------------

def plot_profile(args, plt):
    groups, common = group_runs(expand_runs(args.runs), args.where, not args.no_average)
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    symbol = (r"$\|\delta^{(l)}\|$" if args.param == "delta"
              else r"$\|\partial L/\partial " + args.param.replace("_", r"\_") + r"^{(l)}\|$")
    at = f"mean over the first {args.first} logged steps" if args.first else f"step {args.step}"
    any_line = False
    for g, color in zip(groups, colors(len(groups))):
        per_run = []
        for r in g.runs:
            rows = read_rows(os.path.join(r, "grad_norms.csv"))
            steps = list(dict.fromkeys(row["step"] for row in rows))
            wanted = set(steps[:args.first]) if args.first else {str(args.step)}
            if not args.first and str(args.step) not in steps:
                raise CompareError(f"{r}: step {args.step} is not logged (logged: {', '.join(steps[:5])}, ...)")
            norms = {}
            for row in rows:
                if row["param"] == args.param and row["step"] in wanted:
                    norms.setdefault(int(row["layer"]), []).append(num(row["grad_norm"]))
            if not norms:
                raise CompareError(f"{r}: no '{args.param}' rows in grad_norms.csv")
            per_run.append({l: float(np.mean(v)) for l, v in norms.items()})
        layers = sorted({l for p in per_run for l in p})
        ys = [[p.get(l, math.nan) for l in layers] for p in per_run]
        band(ax, layers, ys, color, g.label, geometric=True)
        any_line = True
    if not any_line:
        raise CompareError("nothing to draw")
    ax.set_yscale("log")
    ax.set_xlabel("layer l (1 = next to the input; the last is the output layer)")
    ax.set_ylabel(f"{symbol}  (log scale)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(True, alpha=0.3)
    ax.grid(True, which="minor", axis="y", alpha=0.1)
    ax.legend(fontsize="small")
    note = runs_note(groups)
    if note:
        ax.annotate(note, xy=(0, 0), xycoords="figure fraction", xytext=(6, 4),
                    textcoords="offset points", fontsize="x-small", color="dimgray")
    ax.set_title(title_of(args, f"{symbol} against layer, {at}", common))
    return fig, "profile.png"


def plot_time_profile(args, plt):
    groups, common = group_runs(expand_runs(args.runs), args.where, not args.no_average)
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    for g, color in zip(groups, colors(len(groups))):
        per_run = []
        for r in g.runs:
            if read_config(r).get("model", {}).get("type", "mlp") == "mlp":
                raise CompareError(f"{r}: an MLP has no time steps: time-profile needs recurrent runs")
            rows = read_rows(os.path.join(r, "time_grad_norms.csv"))
            steps = list(dict.fromkeys(row["step"] for row in rows))
            step = str(args.step) if args.step else (steps[0] if steps else None)
            if step not in steps:
                raise CompareError(f"{r}: step {step} is not logged in time_grad_norms.csv")
            per_run.append({int(row["t"]): num(row["grad_norm"]) for row in rows
                            if row["step"] == step and row["layer"] == str(args.layer)})
        ts = sorted({t for p in per_run for t in p})
        band(ax, ts, [[p.get(t, math.nan) for t in ts] for p in per_run], color, g.label,
             geometric=True, marker=None)
    ax.set_yscale("log")
    ax.set_xlabel("time step t")
    ax.set_ylabel(r"$\|\partial L/\partial h_t\|$  (log scale)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    note = runs_note(groups)
    if note:
        ax.annotate(note, xy=(0, 0), xycoords="figure fraction", xytext=(6, 4),
                    textcoords="offset points", fontsize="x-small", color="dimgray")
    at = f"step {args.step}" if args.step else "the first logged step"
    ax.set_title(title_of(args, r"$\|\partial L/\partial h_t\|$" + f" against t, layer {args.layer}, {at}", common))
    return fig, "time_profile.png"


def smooth(y, window):
    if window <= 1 or len(y) < window:
        return y
    y = np.asarray(y, dtype=float)
    out = np.convolve(np.where(np.isfinite(y), y, 0), np.ones(window), "valid") / window
    return np.concatenate([np.full(window - 1, np.nan), out])


def plot_curves(args, plt):
    groups, common = group_runs(expand_runs(args.runs), args.where, not args.no_average)
    if args.grad_norm:
        fig, (ax1, ax3, ax2) = plt.subplots(1, 3, figsize=(15, 4.5), constrained_layout=True)
    else:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
    metric = args.metric
    for g, color in zip(groups, colors(len(groups))):
        losses, evals, diverged = [], [], []
        for k, r in enumerate(g.runs):
            rows = read_rows(os.path.join(r, "metrics.csv"))
            if args.grad_norm:
                # The norm before clipping, the threshold tau, and the steps it clipped.
                st = [int(row["step"]) for row in rows]
                gn = np.array([num(row["grad_norm"]) for row in rows])
                clipped = [row["clipped"] == "1" for row in rows]
                ax3.plot(st, np.where(np.isfinite(gn) & (gn > 0), gn, np.nan), color=color, lw=1,
                         alpha=0.8, label=g.label if k == 0 else None)
                cs = [s_ for s_, c in zip(st, clipped) if c]
                cg = [x for x, c in zip(gn, clipped) if c and math.isfinite(x) and x > 0]
                if len(cs) == len(cg) and cs:
                    ax3.plot(cs, cg, ls="none", marker=".", ms=4, color=color)
                tau = read_config(r).get("train", {}).get("clip_threshold", 0)
                if tau:
                    ax3.axhline(tau, color=color, ls="--", lw=1)
            loss = [num(row["loss"]) for row in rows]
            steps = [int(row["step"]) for row in rows]
            losses.append((steps, loss))
            if any(not math.isfinite(x) for x in loss):
                diverged.append(next(s for s, x in zip(steps, loss) if not math.isfinite(x)))
            ev = read_rows(os.path.join(r, "eval.csv"))
            if ev and metric not in ev[0]:
                raise CompareError(f"{r}: eval.csv has no column {metric!r}")
            evals.append(([int(row["epoch"]) for row in ev], [num(row[metric]) for row in ev]))
        n = max(len(s) for s, _ in losses)
        window = max(1, n // 50)
        grid = np.arange(1, n + 1)
        ys = [np.interp(grid, s, smooth(l, window), right=np.nan) if s else np.full(n, np.nan)
              for s, l in losses]
        band(ax1, grid, ys, color, g.label, geometric=True, marker=None)
        for s in diverged:
            ax1.plot([s], [1], marker="x", ms=9, mew=2, color=color, transform=ax1.get_xaxis_transform(),
                     clip_on=False)
        epochs = sorted({e for es, _ in evals for e in es})
        ey = [[dict(zip(es, vs)).get(e, math.nan) for e in epochs] for es, vs in evals]
        if epochs:
            band(ax2, epochs, ey, color, g.label, geometric=False)
    ax1.set_yscale("log")
    ax1.set_xlabel("step")
    ax1.set_ylabel("training loss of the batch (log scale" + (", running mean)" if n > 100 else ")"))
    ax2.set_xlabel("epoch (0 = before training)")
    ax2.set_ylabel(metric + " (eval.csv)")
    for ax in (ax1, ax2):
        ax.grid(True, alpha=0.3)
    ax2.legend(fontsize="small")
    if args.grad_norm:
        ax3.set_yscale("log")
        ax3.set_xlabel("step")
        ax3.set_ylabel("‖∇‖ before clipping (metrics.csv grad_norm)")
        ax3.set_title("gradient norm; dashed: τ; dots: clipped steps", fontsize="medium")
        ax3.grid(True, alpha=0.3)
    ax1.set_title("loss (× on top: the step a run diverged)", fontsize="medium")
    ax2.set_title(metric, fontsize="medium")
    fig.suptitle(title_of(args, "training curves", common))
    return fig, "curves.png"


def plot_activations(args, plt):
    groups, common = group_runs(expand_runs(args.runs), args.where, not args.no_average)
    fig, axes = plt.subplots(1, 4, figsize=(15, 4.2), constrained_layout=True,
                             gridspec_kw={"width_ratios": [1, 1, 1, 0.75]})
    legend_ax, axes = axes[3], axes[:3]
    columns = [("mean", "mean of σ(z^(l))"), ("std", "std of σ(z^(l))"),
               ("saturated", "saturated / dead fraction")]
    for g, color in zip(groups, colors(len(groups))):
        per_run = []
        for r in g.runs:
            rows = read_rows(os.path.join(r, "activations.csv"))
            steps = list(dict.fromkeys(row["step"] for row in rows))
            if str(args.step) not in steps:
                raise CompareError(f"{r}: step {args.step} is not logged in activations.csv")
            per_run.append({int(row["layer"]): row for row in rows if row["step"] == str(args.step)})
        layers = sorted({l for p in per_run for l in p})
        for ax, (col, _) in zip(axes, columns):
            ys = [[num(p[l][col]) if l in p else math.nan for l in layers] for p in per_run]
            band(ax, layers, ys, color, g.label, geometric=False)
    for ax, (_, label) in zip(axes, columns):
        ax.set_xlabel("hidden layer l")
        ax.set_title(label, fontsize="medium")
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[2].set_ylim(-0.03, 1.03)
    legend_ax.axis("off")
    handles, labels = axes[0].get_legend_handles_labels()
    legend_ax.legend(handles, [fill(t, 34) for t in labels], loc="center left", fontsize="small")
    fig.suptitle(title_of(args, f"activation statistics (activations.csv) at step {args.step}", common))
    return fig, "activations.png"


def key_value(text):
    import argparse
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def add_parsers(sub, common):
    """Registers the compare modes on plot_grad_norms.py's subparsers; returns {mode: function}."""
    def shared(sp):
        sp.add_argument("runs", nargs="+", metavar="RUN_OR_SWEEP_DIR",
                        help="run directories, or directories searched for runs (a sweep)")
        sp.add_argument("--where", action="append", default=[], metavar="KEY=VALUE",
                        type=key_value,
                        help="keep only runs whose config KEY (dotted) is VALUE (repeatable)")
        sp.add_argument("--no-average", action="store_true",
                        help="one line per run (default: runs that differ only in seed are one "
                             "line, their mean with a min-max band)")
        common(sp)

    sp = sub.add_parser("profile", help="several runs' gradient norm against the layer, one axis",
                        description="Layer profile: a gradient norm against the layer l for "
                                    "several runs on one shared log axis. Default --out: profile.png")
    shared(sp)
    sp.add_argument("--param", default="delta", help="grad_norms.csv param (default delta; W, b, ...)")
    sp.add_argument("--step", type=int, default=1, help="the logged step (default 1: initialisation)")
    sp.add_argument("--first", type=int, metavar="K", help="average over the first K logged steps instead")
    sp = sub.add_parser("time-profile", help="several recurrent runs' ||dL/dh_t|| against t",
                        description="Time profile: ||dL/dh_t|| against t for several recurrent "
                                    "runs on one log axis. Default --out: time_profile.png")
    shared(sp)
    sp.add_argument("--step", type=int, help="the logged step (default: the first logged)")
    sp.add_argument("--layer", type=int, default=1, help="the recurrent layer (default 1)")
    sp = sub.add_parser("curves", help="several runs' loss and an eval.csv metric",
                        description="Loss per step (log) and an eval.csv column per epoch for "
                                    "several runs. Default --out: curves.png")
    shared(sp)
    sp.add_argument("--metric", default="test_accuracy",
                    help="eval.csv column: test_accuracy (default), test_loss, train_loss, train_accuracy")
    sp.add_argument("--grad-norm", action="store_true",
                    help="add a panel: the gradient norm before clipping per step, the threshold "
                         "tau (dashed) and the clipped steps (dots)")
    sp = sub.add_parser("activations", help="several runs' activation mean/std/saturation per layer",
                        description="activations.csv at one step: mean, std and saturated (dead) "
                                    "fraction against the layer. Default --out: activations.png")
    shared(sp)
    sp.add_argument("--step", type=int, default=1, help="the logged step (default 1)")
    return {"profile": plot_profile, "time-profile": plot_time_profile, "curves": plot_curves,
            "activations": plot_activations}
