#!/usr/bin/python3
"""Plots nnlab's gradient-norm logs: one run's per-layer norms over steps (`run`), a layer x step
heatmap (`heatmap`), a recurrent run's ||dL/dh_t|| over t (`time`), and a figure of a sweep
against a swept key (`sweep`, from `nnlab summarize`'s CSV). Headless (Agg); stdlib + numpy +
matplotlib only. Exit codes: 0 written, 1 I/O error, 2 bad input (missing file, column, param)."""

import argparse
import csv
import json
import math
import os
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

import nnlab_plot_diagnostics  # noqa: E402  (quantiles, ridge, update-ratio)
import nnlab_plot_compare  # noqa: E402  (overlays of several runs: profile, curves, ...)
import nnlab_plot_boundary  # noqa: E402
import nnlab_plot_probe  # noqa: E402  (scripts/nnlab_plot_probe.py: the `probe` mode)
import nnlab_plot_verdict  # noqa: E402  (a lab's verdict.json: measured against predicted)


class InputError(Exception):
    """Bad input the user can fix: exit code 2."""


# --- reading ------------------------------------------------------------------------------------

def read_csv(path, required):
    """The rows of a CSV as dicts; checks the file exists and has the `required` columns."""
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(f"{path}: no column {', '.join(missing)} "
                             f"(columns: {', '.join(header) or 'none, empty file'})")
        return header, list(reader)


def number(text):
    """A CSV field as a float: '' (not applicable) is nan; nan/inf/-inf as written by nnlab."""
    if text is None or text == "":
        return math.nan
    try:
        return float(text)
    except ValueError:
        return math.nan


def wrapped(title, width=64):
    """A title broken into lines of at most `width` characters (a run named after its --set
    overrides has a long name without spaces), so that the figure does not cut it off."""
    return "\n".join(textwrap.wrap(title, width)) if title else title


def run_name(run_dir):
    """The run's `label` from config.json, else its `name` from summary.json, with the
    directory's name; else the directory's name."""
    try:
        with open(os.path.join(run_dir, "config.json")) as f:
            label = json.load(f).get("label")
        if isinstance(label, str) and label:
            return f"{label} ({os.path.basename(os.path.normpath(run_dir))})"
    except (OSError, ValueError, AttributeError):
        pass
    try:
        with open(os.path.join(run_dir, "summary.json")) as f:
            name = json.load(f).get("name")
        if name:
            return f"{name} ({os.path.basename(os.path.normpath(run_dir))})"
    except (OSError, ValueError, AttributeError):
        pass
    return os.path.basename(os.path.abspath(run_dir))


def model_type(run_dir):
    try:
        with open(os.path.join(run_dir, "config.json")) as f:
            return json.load(f).get("model", {}).get("type")
    except (OSError, ValueError, AttributeError):
        return None


def check_run_dir(run_dir):
    if not os.path.isdir(run_dir):
        raise InputError(f"{run_dir}: not a directory")


def layer_series(run_dir, param):
    """{layer: (steps, grad_norms)} of one param from grad_norms.csv, the param used per layer,
    and the number of layers (the output layer's number).

    param "auto": each layer's weight matrix, W, or W_ih for a recurrent layer (as summarize's
    first_layer_grad)."""
    path = os.path.join(run_dir, "grad_norms.csv")
    _, rows = read_csv(path, ["step", "layer", "param", "grad_norm"])
    if not rows:
        raise InputError(f"{path}: no rows (the run logged no step yet)")
    by_layer = {}  # layer -> param -> [(step, norm)]
    for line, r in enumerate(rows, start=2):
        try:
            by_layer.setdefault(int(r["layer"]), {}).setdefault(r["param"], []).append(
                (int(r["step"]), number(r["grad_norm"])))
        except (TypeError, ValueError):
            raise InputError(f"{path}: line {line}: step and layer must be integers") from None
    series, used = {}, {}
    for layer in sorted(by_layer):
        params = by_layer[layer]
        if param == "auto":
            p = "W" if "W" in params else "W_ih" if "W_ih" in params else None
        else:
            p = param if param in params else None
        if p is None:
            continue
        pts = np.array(sorted(params[p]), dtype=float)
        series[layer] = (pts[:, 0], pts[:, 1])
        used[layer] = p
    if not series:
        available = sorted({p for ps in by_layer.values() for p in ps})
        raise InputError(f"{path}: no param {param!r} (params: {', '.join(available)})")
    return series, used, max(by_layer)


def param_label(used):
    """How the plotted quantity is named on an axis: ‖∂L/∂W‖, ‖δ‖, ..."""
    names = set(used.values())
    if names == {"delta"}:
        return "‖δ‖ = ‖∂L/∂z‖"
    if names == {"W", "W_ih"}:
        return "‖∂L/∂W‖ (W_ih for recurrent layers)"
    return "‖∂L/∂" + "‖, ‖∂L/∂".join(sorted(names)) + "‖"


def layer_colors(layers):
    """A sequential colormap over the layers: light = input side, dark = output side."""
    cmap = plt.get_cmap("viridis_r")
    lo, hi = min(layers), max(layers)
    span = max(hi - lo, 1)
    color = lambda l: cmap(0.08 + 0.84 * (l - lo) / span)  # noqa: E731
    return {l: color(l) for l in layers}, [color(l) for l in range(lo, hi + 1)], (lo, hi)


def finite_positive(y):
    return np.isfinite(y) & (y > 0)


def first_nonfinite_step(series):
    bad = [s[~np.isfinite(y)].min() for s, y in series.values() if (~np.isfinite(y)).any()]
    return min(bad) if bad else None


def layer_legend_or_colorbar(fig, ax, layers, palette, bounds):
    """A legend for up to 12 layers, else a discrete colorbar labelled `layer`."""
    if len(layers) <= 12:
        ax.legend(title="layer", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  fontsize="small", frameon=False)
        return
    lo, hi = bounds
    norm = mcolors.BoundaryNorm(np.arange(lo - 0.5, hi + 1.5), len(palette))
    sm = plt.cm.ScalarMappable(norm=norm, cmap=mcolors.ListedColormap(palette))
    cb = fig.colorbar(sm, ax=ax, pad=0.02, fraction=0.05)
    cb.set_label("layer (1 = next to the input)")
    every = math.ceil((hi - lo + 1) / 12)
    cb.set_ticks(range(lo, hi + 1, every))


# --- modes --------------------------------------------------------------------------------------

def plot_run(args):
    check_run_dir(args.run_dir)
    series, used, output_layer = layer_series(args.run_dir, args.param)
    layers = sorted(series)
    colors, palette, bounds = layer_colors(layers)

    metrics = os.path.join(args.run_dir, "metrics.csv")
    loss = None
    if os.path.isfile(metrics):
        _, mrows = read_csv(metrics, ["step", "loss"])
        loss = (np.array([number(r["step"]) for r in mrows]),
                np.array([number(r["loss"]) for r in mrows]))
    else:
        print(f"note: {metrics}: no such file; plotting without the loss panel", file=sys.stderr)

    if loss is not None:
        fig, (ax, ax_loss) = plt.subplots(2, 1, sharex=True, figsize=(9, 6.5),
                                          gridspec_kw={"height_ratios": [3, 1.2]},
                                          constrained_layout=True)
    else:
        fig, ax = plt.subplots(figsize=(9, 5), constrained_layout=True)
    few = max(len(s) for s, _ in series.values()) <= 30
    for layer in layers:
        steps, y = series[layer]
        y = np.where(finite_positive(y), y, np.nan)  # log scale: nan/inf/0 are gaps
        label = f"{layer}" if args.param != "auto" or len(set(used.values())) == 1 \
            else f"{layer} ({used[layer]})"
        if layer == output_layer and output_layer > 1:
            label += " (output)"
        ax.plot(steps, y, color=colors[layer], label=label, lw=1.4,
                marker="o" if few else None, ms=3)
        bad = ~np.isfinite(series[layer][1])
        if bad.any():  # nan/inf: an x on the top edge, in the layer's colour
            ax.plot(steps[bad], np.ones(bad.sum()), ls="none", marker="x", ms=7, mew=1.5,
                    color=colors[layer], transform=ax.get_xaxis_transform(), clip_on=False)
    ax.set_yscale("log")
    ax.set_ylabel(f"{param_label(used)}  (log scale)")
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", alpha=0.1)
    bad_step = first_nonfinite_step(series)
    if bad_step is not None:
        ax.axvline(bad_step, color="red", ls="--", lw=1)
        ax.annotate(f"nan/inf (x) from step {bad_step:g}", xy=(bad_step, 1), xycoords=("data", "axes fraction"),
                    xytext=(-4, -4), textcoords="offset points", ha="right", va="top",
                    color="red", fontsize="small")
    layer_legend_or_colorbar(fig, ax, layers, palette, bounds)
    ax.set_title(wrapped(args.title or f"{run_name(args.run_dir)}: gradient norm per layer"))

    if loss is not None:
        steps, y = loss
        positive = y[np.isfinite(y)]
        y = np.where(np.isfinite(y), y, np.nan)
        window = len(y) // 40
        if window >= 3:  # many steps: the raw batch losses faint, a running mean over them
            ax_loss.plot(steps, y, color="0.7", lw=0.6, label="batch")
            kernel = np.ones(window) / window
            smooth = np.convolve(np.nan_to_num(y), kernel, mode="valid")
            # nan_to_num would bias the windows with a nan in them: leave those out
            smooth[np.convolve(np.isnan(y), kernel, mode="valid") > 0] = np.nan
            ax_loss.plot(steps[window - 1:], smooth, color="black", lw=1.2,
                         label=f"mean of {window} steps")
            ax_loss.legend(fontsize="x-small", loc="upper right", frameon=False)
        else:  # few points (a run that diverged at once): markers, so one finite point shows
            ax_loss.plot(steps, y, color="black", lw=1,
                         marker="o" if np.isfinite(y).sum() <= 30 else None, ms=4)
        bad_loss = ~np.isfinite(loss[1])
        if bad_loss.any():  # non-finite losses: an x on the top edge
            ax_loss.plot(steps[bad_loss], np.ones(bad_loss.sum()), ls="none", marker="x", ms=7,
                         mew=1.5, color="red", transform=ax_loss.get_xaxis_transform(),
                         clip_on=False)
        if positive.size and positive.min() > 0 and positive.max() / positive.min() > 20:
            ax_loss.set_yscale("log")
        if bad_step is not None:
            ax_loss.axvline(bad_step, color="red", ls="--", lw=1)
        ax_loss.set_ylabel("loss")
        ax_loss.grid(True, alpha=0.3)
        ax_loss.set_xlabel("step")
    else:
        ax.set_xlabel("step")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    suffix = "" if args.param == "auto" else f"_{args.param}"
    return fig, os.path.join(args.run_dir, f"grad_norms{suffix}.png")


def plot_heatmap(args):
    check_run_dir(args.run_dir)
    series, used, _ = layer_series(args.run_dir, args.param)
    layers = sorted(series)
    steps = np.unique(np.concatenate([s for s, _ in series.values()]))
    grid = np.full((len(layers), len(steps)), np.nan)
    nonfinite = np.zeros_like(grid, dtype=bool)
    col = {s: i for i, s in enumerate(steps)}
    for i, layer in enumerate(layers):
        for s, y in zip(*series[layer]):
            if finite_positive(np.array(y)):
                grid[i, col[s]] = math.log10(y)
            elif not math.isfinite(y):
                nonfinite[i, col[s]] = True
    # Cell edges halfway between logged steps, so the x axis is in steps even when uneven.
    if len(steps) > 1:
        mid = (steps[1:] + steps[:-1]) / 2
        edges = np.concatenate([[steps[0] - (mid[0] - steps[0])], mid,
                                [steps[-1] + (steps[-1] - mid[-1])]])
    else:
        edges = np.array([steps[0] - 0.5, steps[0] + 0.5])
    layer_edges = np.arange(len(layers) + 1) + 0.5

    fig, ax = plt.subplots(figsize=(9, max(3.2, 1.2 + 0.32 * len(layers))), constrained_layout=True)
    cmap = plt.get_cmap("magma").copy()
    cmap.set_bad("#cccccc")
    masked = np.ma.masked_invalid(grid)
    if masked.count() == 0:
        raise InputError(f"{args.run_dir}: no finite positive gradient norm to plot")
    mesh = ax.pcolormesh(edges, layer_edges, masked, cmap=cmap, shading="flat")
    if nonfinite.any():
        ii, jj = np.nonzero(nonfinite)
        ax.scatter(steps[jj], ii + 1, marker="x", color="red", s=30, label="nan/inf")
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.12), fontsize="small", frameon=False)
    cb = fig.colorbar(mesh, ax=ax, pad=0.02)
    cb.set_label(f"log10 {param_label(used)}")
    ax.set_xlabel("step")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("layer (1 = next to the input)")
    tick_every = max(1, len(layers) // 12)
    ticks = list(range(1, len(layers) + 1, tick_every))
    ax.set_yticks(ticks, [str(layers[t - 1]) for t in ticks])
    ax.set_title(wrapped(args.title or f"{run_name(args.run_dir)}: log10 gradient norm, layer × step"))
    suffix = "" if args.param == "auto" else f"_{args.param}"
    return fig, os.path.join(args.run_dir, f"grad_norms_heatmap{suffix}.png")


def pick_steps(logged, wanted):
    """The logged steps to draw: `wanted` (checked), else the first, middle and last."""
    if wanted:
        missing = [s for s in wanted if s not in logged]
        if missing:
            raise InputError(f"step {', '.join(map(str, missing))} not logged in time_grad_norms.csv "
                             f"(logged: {summarize_list(logged)})")
        return sorted(set(wanted))
    picks = [logged[0], logged[len(logged) // 2], logged[-1]]
    return sorted(set(picks))


def summarize_list(values, n=8):
    values = list(values)
    if len(values) <= n:
        return ", ".join(map(str, values))
    return ", ".join(map(str, values[:n // 2])) + ", ..., " + ", ".join(map(str, values[-2:]))


def plot_time(args):
    check_run_dir(args.run_dir)
    path = os.path.join(args.run_dir, "time_grad_norms.csv")
    if not os.path.isfile(path):
        kind = model_type(args.run_dir)
        if kind is not None and kind not in ("rnn", "lstm", "gru"):
            raise InputError(f"{args.run_dir}: model.type is {kind}, which has no time steps: "
                             f"`time` needs a recurrent run (rnn, lstm or gru)")
        raise InputError(f"{path}: no such file (`time` needs a recurrent run)")
    _, rows = read_csv(path, ["step", "layer", "t", "grad_norm"])
    if not rows:
        raise InputError(f"{path}: no rows (the run logged no step yet)")
    data = {}  # (layer, step) -> [(t, norm)]
    for line, r in enumerate(rows, start=2):
        try:
            data.setdefault((int(r["layer"]), int(r["step"])), []).append(
                (int(r["t"]), number(r["grad_norm"])))
        except (TypeError, ValueError):
            raise InputError(f"{path}: line {line}: step, layer and t must be integers") from None
    layers = sorted({l for l, _ in data})
    logged = sorted({s for _, s in data})
    steps = pick_steps(logged, args.steps)

    n = len(layers)
    ncols = min(n, 2)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.5 * ncols if n > 1 else 8, 4.2 * nrows),
                             sharey=True, squeeze=False, constrained_layout=True)
    cmap = plt.get_cmap("plasma")
    step_color = {s: cmap(0.85 * i / max(len(steps) - 1, 1)) for i, s in enumerate(steps)}
    for ax, layer in zip(axes.flat, layers):
        for s in steps:
            pts = np.array(sorted(data.get((layer, s), [])), dtype=float)
            if pts.size == 0:
                continue
            y = np.where(finite_positive(pts[:, 1]), pts[:, 1], np.nan)
            ax.plot(pts[:, 0], y, color=step_color[s], lw=1.5, marker="o" if len(pts) <= 30 else None,
                    ms=3, label=f"step {s}")
        ax.set_yscale("log")
        ax.set_xlabel("time step t")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"layer {layer}" if n > 1 else None)
        ax.grid(True, which="major", alpha=0.3)
        ax.grid(True, which="minor", alpha=0.1)
        ax.legend(fontsize="small", title="training step")
    for ax in axes[:, 0]:
        ax.set_ylabel("‖∂L/∂h_t‖  (log scale)")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(wrapped(args.title or f"{run_name(args.run_dir)}: gradient norm across time"))
    return fig, os.path.join(args.run_dir, "time_grad_norms.png")


def is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def plot_sweep(args):
    header, rows = read_csv(args.summary, [])
    if not header:
        raise InputError(f"{args.summary}: empty file (expected `nnlab summarize DIR` output)")
    by_keys = args.by or []
    wanted = [args.x, args.y] + by_keys
    filters = []
    for w in args.where:
        key, sep, value = w.partition("=")
        if not sep:
            raise InputError(f"--where {w!r}: expected KEY=VALUE")
        wanted.append(key)
        filters.append((key, value))
    for c in wanted:
        if c not in header:
            raise InputError(f"{args.summary}: no column {c!r} (columns: {', '.join(header)})")
    for key, value in filters:
        rows = [r for r in rows if r[key] == value]
    if not rows:
        raise InputError(f"{args.summary}: no rows" + (" match --where" if filters else ""))

    # Key columns other than x/by that vary inside one point would be averaged: refused unless
    # --average says so.
    keys = [k for k in (header[1:header.index("seed")] if "seed" in header else []) if k != "label"]
    others = [k for k in keys if k != args.x and k not in by_keys and k not in dict(filters)]

    def by_of(r):
        if len(by_keys) == 1:
            return r[by_keys[0]]
        return ", ".join(f"{k.split('.')[-1]}={r[k]}" for k in by_keys)
    groups = {}
    for r in rows:
        groups.setdefault((by_of(r) if by_keys else "", r[args.x]), []).append(r)
    mixed = sorted({k for g in groups.values() for k in others if len({r[k] for r in g}) > 1})
    if mixed and not args.average:
        raise InputError(f"each point would average runs with different values of "
                         f"{', '.join(mixed)}: add them to --by, fix them with --where KEY=VALUE, "
                         f"or pass --average to average over them")
    if mixed:
        print(f"note: each point averages over different values of {', '.join(mixed)} (--average)",
              file=sys.stderr)

    xs_raw = [r[args.x] for r in rows if r[args.x] != ""]
    numeric_x = bool(xs_raw) and all(is_number(v) for v in xs_raw)
    if numeric_x:
        x_values = sorted(set(xs_raw), key=float)
        x_pos = {v: float(v) for v in x_values}
    else:
        x_values = list(dict.fromkeys(xs_raw))  # categories, in the CSV's order
        x_pos = {v: i for i, v in enumerate(x_values)}
    by_values = list(dict.fromkeys(by_of(r) for r in rows)) if by_keys else [""]
    if len(by_keys) == 1 and all(is_number(v) for v in by_values if v != ""):
        by_values.sort(key=lambda v: float(v) if v != "" else math.inf)
        cmap = plt.get_cmap("viridis")
        colors = {v: cmap(0.85 * i / max(len(by_values) - 1, 1)) for i, v in enumerate(by_values)}
    else:
        cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        colors = {v: cycle[i % len(cycle)] for i, v in enumerate(by_values)}

    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    dropped_nonfinite = 0
    any_band = False
    all_y = []
    handles = []  # in --by order
    for k, b in enumerate(by_values):
        # Categories: no line between them; each --by value a little apart, with min-max bars.
        dodge = 0 if numeric_x else 0.3 * (k - (len(by_values) - 1) / 2) / len(by_values)
        px, mean, lo, hi, diverged_x = [], [], [], [], []
        for xv in x_values:
            group = groups.get((b, xv), [])
            if not group:
                continue
            ys = [number(r[args.y]) for r in group if r[args.y] != ""]  # empty: not applicable
            finite = [y for y in ys if math.isfinite(y) and (y > 0 or not args.logy)]
            nonfinite = sum(1 for y in ys if not math.isfinite(y))
            dropped_nonfinite += nonfinite
            if nonfinite:
                diverged_x.append(x_pos[xv] + dodge)
            # A point with nothing to draw is a gap in the line, not a line across it.
            px.append(x_pos[xv] + dodge)
            mean.append(float(np.mean(finite)) if finite else math.nan)
            lo.append(min(finite) if finite else math.nan)
            hi.append(max(finite) if finite else math.nan)
            any_band |= len(finite) > 1
        mean, lo, hi = np.array(mean), np.array(lo), np.array(hi)
        if diverged_x:
            ax.plot(diverged_x, np.ones(len(diverged_x)), ls="none", marker="x", ms=8, mew=1.8,
                    color=colors[b], transform=ax.get_xaxis_transform(), clip_on=False)
        label = f"{b}" if by_keys else None
        if not np.isfinite(mean).any():
            handles += ax.plot([], [], marker="o", ls="-" if numeric_x else "none",
                               color=colors[b], label=label)  # still in the legend
            continue
        all_y += list(lo[np.isfinite(lo)]) + list(hi[np.isfinite(hi)])
        if numeric_x:
            handles += ax.plot(px, mean, marker="o", color=colors[b], lw=1.8, label=label)
            if (hi > lo).any():
                ax.fill_between(px, lo, hi, where=np.isfinite(mean), color=colors[b], alpha=0.18,
                                lw=0)
        else:
            handles.append(ax.errorbar(px, mean, yerr=[mean - lo, hi - mean], fmt="o",
                                       color=colors[b], ms=7, capsize=4, elinewidth=1.5,
                                       label=label))
    if not all_y:
        raise InputError(f"{args.summary}: no finite{' positive' if args.logy else ''} value of "
                         f"{args.y} to plot" + ("; try --no-logy" if args.logy else ""))
    if args.logy:
        ax.set_yscale("log")
    if args.logx:
        if not numeric_x:
            raise InputError(f"--logx: {args.x} is not numeric")
        ax.set_xscale("log")
    if numeric_x:
        if len(x_values) <= 12:
            ax.set_xticks([x_pos[v] for v in x_values], x_values)
    else:
        crowded = sum(map(len, x_values)) > 70
        ax.set_xticks(range(len(x_values)), x_values, rotation=30 if crowded else 0,
                      ha="right" if crowded else "center")
        ax.set_xlim(-0.5, len(x_values) - 0.5)
    ax.set_xlabel(args.x)
    ylabel = args.y + ("  (log scale)" if args.logy else "")
    if any_band:
        ylabel += ("\nmean over seeds, band: min–max" if numeric_x
                   else "\nmean over seeds, bars: min–max")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    if args.logy:
        ax.grid(True, which="minor", axis="y", alpha=0.1)
    if by_keys:
        ax.legend(handles=handles, title=", ".join(by_keys), fontsize="small")
    notes = []
    if dropped_nonfinite:
        notes.append(f"{dropped_nonfinite} run(s) with nan/inf {args.y} left out (x on the top edge)")
    if args.logy and any(0 >= number(r[args.y]) for r in rows if r[args.y] != ""):
        notes.append("values ≤ 0 left out (log scale)")
    if notes:
        ax.annotate("; ".join(notes), xy=(0, 0), xycoords="figure fraction", xytext=(6, 4),
                    textcoords="offset points", fontsize="x-small", color="firebrick")
        print("note: " + "; ".join(notes), file=sys.stderr)
    where = ", ".join(f"{k}={v}" for k, v in filters)
    averaged = f"; averaged over {', '.join(mixed)}" if mixed else ""
    ax.set_title(args.title or f"{args.y} against {args.x}" + (f" by {', '.join(by_keys)}" if by_keys else "")
                 + (f" ({where}{averaged})" if where else (f" ({averaged[2:]})" if averaged else "")))
    stem = os.path.splitext(args.summary)[0]
    safe = lambda s: "".join(c if c.isalnum() or c in "._-" else "_" for c in s)  # noqa: E731
    return fig, f"{stem}_{safe(args.y)}_vs_{safe(args.x)}" + (f"_by_{safe('_'.join(by_keys))}" if by_keys else "") + ".png"


# --- command line -------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Plot nnlab gradient norms (see README, 'Plots').",
        epilog="Exit codes: 0 written, 1 I/O error, 2 bad input (missing file, column or param).")
    sub = p.add_subparsers(dest="mode", required=True, metavar="MODE")

    def common(sp):
        sp.add_argument("--out", metavar="FILE.png", help="the image to write (default: see above)")
        sp.add_argument("--title", help="the figure's title")
        sp.add_argument("--dpi", type=int, default=120, help="resolution (default 120)")

    param_help = ("the param of grad_norms.csv: W, b, delta, gamma, beta, W_ih, W_hh, b_ih, b_hh "
                  "(default auto: each layer's W, or W_ih for a recurrent layer)")
    sp = sub.add_parser("run", help="per-layer gradient norm over steps (log y), and the loss",
                        description="Per-layer gradient norm over steps (log y), one line per "
                                    "layer, with metrics.csv's loss below. Default --out: "
                                    "RUN_DIR/grad_norms[_PARAM].png")
    sp.add_argument("run_dir", metavar="RUN_DIR")
    sp.add_argument("--param", default="auto", help=param_help)
    common(sp)
    sp = sub.add_parser("heatmap", help="layer x step heatmap of log10 gradient norm",
                        description="Layer x step heatmap of log10 gradient norm (grey: not "
                                    "finite or 0). Default --out: RUN_DIR/grad_norms_heatmap[_PARAM].png")
    sp.add_argument("run_dir", metavar="RUN_DIR")
    sp.add_argument("--param", default="auto", help=param_help)
    common(sp)
    sp = sub.add_parser("time", help="recurrent runs: ||dL/dh_t|| over t",
                        description="Recurrent runs: ||dL/dh_t|| over t from time_grad_norms.csv, "
                                    "one panel per layer, one line per training step. Default "
                                    "--out: RUN_DIR/time_grad_norms.png")
    sp.add_argument("run_dir", metavar="RUN_DIR")
    sp.add_argument("--steps", type=int, nargs="+", metavar="STEP",
                    help="the logged steps to draw (default: the first, middle and last)")
    common(sp)
    sp = sub.add_parser("sweep", help="a summarize column against a swept key",
                        description="A column of `nnlab summarize DIR > SUMMARY.csv` against a "
                                    "swept key, one line per value of --by; mean over the runs "
                                    "sharing a point (seeds) with a min-max band. Default --out: "
                                    "SUMMARY_Y_vs_X[_by_BY].png next to the CSV")
    sp.add_argument("summary", metavar="SUMMARY.csv")
    sp.add_argument("--x", required=True, metavar="KEY", help="column on the x axis, e.g. model.depth")
    sp.add_argument("--y", required=True, metavar="COLUMN", help="column on the y axis, e.g. first_layer_grad")
    sp.add_argument("--by", nargs="+", metavar="KEY",
                    help="one line per value (combination) of these columns, e.g. model.init")
    sp.add_argument("--average", action="store_true",
                    help="allow a point to average runs that differ in another key column "
                         "(refused otherwise, exit 2)")
    sp.add_argument("--where", action="append", default=[], metavar="KEY=VALUE",
                    help="keep only rows whose KEY column is VALUE (repeatable)")
    sp.add_argument("--logy", action=argparse.BooleanOptionalAction, default=True,
                    help="log y axis (default: on)")
    sp.add_argument("--logx", action="store_true", help="log x axis (numeric x only)")
    common(sp)
    nnlab_plot_diagnostics.add_parsers(sub, common, param_help)
    nnlab_plot_boundary.add_parser(sub, common)
    nnlab_plot_probe.add_parser(sub, common)
    nnlab_plot_verdict.add_parser(sub, common)
    compare_modes = nnlab_plot_compare.add_parsers(sub, common)
    args = p.parse_args(argv)
    args.compare = compare_modes.get(args.mode)
    return args


def main(argv):
    args = parse_args(argv)
    modes = {"run": plot_run, "heatmap": plot_heatmap, "time": plot_time, "sweep": plot_sweep,
             "boundary": lambda a: nnlab_plot_boundary.plot(a, plt, InputError, run_name),
             "probe": lambda a: nnlab_plot_probe.plot_probe(a, plt, np, InputError),
             "verdict": lambda a: nnlab_plot_verdict.plot(a, plt, InputError)}
    modes.update(nnlab_plot_diagnostics.modes(sys.modules[__name__]))
    try:
        if args.compare:
            fig, default_out = args.compare(args, plt)
        else:
            fig, default_out = modes[args.mode](args)
        out = args.out or default_out
        fig.savefig(out, dpi=args.dpi)
    except (InputError, nnlab_plot_compare.CompareError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (csv.Error, UnicodeDecodeError, ValueError, KeyError) as e:  # a file that is not nnlab's
        print(f"error: unreadable input: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
