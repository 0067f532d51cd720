"""Plot modes of scripts/plot_grad_norms.py for the diagnostics (docs/diagnostics.md):
`quantiles` (grad_quantiles.csv as bands over steps, TensorBoard's "distributions" view),
`ridge` (every layer's distribution at one step, one row per layer) and `update-ratio`
(||dW|| / ||W|| per layer over steps, from grad_norms.csv's update_norm)."""

import math
import os

import matplotlib.pyplot as plt
import numpy as np

LEVELS = ["min", "p01", "p05", "p25", "p50", "p75", "p95", "p99", "max"]
# Bands from the outside in: (lower, upper, opacity).
BANDS = [("min", "max", 0.12), ("p01", "p99", 0.2), ("p05", "p95", 0.3), ("p25", "p75", 0.45)]


def _quantile_rows(plot, run_dir, param, of):
    """{(layer, kind): (steps, {level: values})} of grad_quantiles.csv for one kind of row."""
    path = os.path.join(run_dir, "grad_quantiles.csv")
    if not os.path.isfile(path):
        raise plot.InputError(f"{path}: no such file (train with --set log.quantiles=true)")
    _, rows = plot.read_csv(path, ["step", "layer", "param", "of"] + LEVELS)
    series = {}
    for r in rows:
        if r["of"] != of:
            continue
        kind = r["param"]
        if param == "auto" and kind not in ("W", "W_ih"):
            continue
        if param != "auto" and kind != param:
            continue
        steps, values = series.setdefault((int(r["layer"]), kind), ([], {q: [] for q in LEVELS}))
        steps.append(int(r["step"]))
        for q in LEVELS:
            values[q].append(plot.number(r[q]))
    if not series:
        raise plot.InputError(f"{path}: no rows with param '{param}' and of '{of}'")
    return {k: (np.array(s), {q: np.array(v) for q, v in vals.items()})
            for k, (s, vals) in sorted(series.items())}


def plot_quantiles(plot, args):
    """One panel per layer: the distribution's quantile bands over steps, median as a line."""
    plot.check_run_dir(args.run_dir)
    series = _quantile_rows(plot, args.run_dir, args.param, args.of)
    n = len(series)
    fig, axes = plt.subplots(n, 1, figsize=(8, 1.6 * n + 1.2), sharex=True, squeeze=False)
    for ax, ((layer, kind), (steps, q)) in zip(axes[:, 0], series.items()):
        for lo, hi, alpha in BANDS:
            ax.fill_between(steps, q[lo], q[hi], color="tab:blue", alpha=alpha, linewidth=0)
        ax.plot(steps, q["p50"], color="tab:blue", linewidth=1)
        if args.of == "abs_grad":
            positive = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in q.values()])
            if positive.size:
                ax.set_yscale("log")
        ax.set_ylabel(f"layer {layer}\n{kind}", fontsize="small")
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("step")
    what = {"grad": "∂L/∂W entries", "abs_grad": "|∂L/∂W| entries", "value": "W entries"}[args.of]
    fig.suptitle(args.title or f"{plot.run_name(args.run_dir)}: {what} (bands: min-max, "
                                 "1-99%, 5-95%, 25-75%; line: median)", fontsize="medium")
    fig.tight_layout()
    suffix = "" if args.of == "grad" else f"_{args.of}"
    return fig, os.path.join(args.run_dir, f"grad_quantiles{suffix}.png")


def plot_ridge(plot, args):
    """Every layer's distribution at one logged step, one row per layer (input side at the
    bottom): a box from p25 to p75, whiskers p05-p95 and p01-p99, ticks at min and max."""
    plot.check_run_dir(args.run_dir)
    series = _quantile_rows(plot, args.run_dir, args.param, args.of)
    logged = sorted({int(s) for steps, _ in series.values() for s in steps})
    step = logged[-1] if args.step is None else args.step
    if step not in logged:
        raise plot.InputError(f"step {step} is not a logged step (logged: "
                              f"{plot.summarize_list(logged)})")
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(series) + 1.8))
    labels, spans = [], []
    for y, ((layer, kind), (steps, q)) in enumerate(series.items()):
        i = int(np.nonzero(steps == step)[0][0])
        v = {k: q[k][i] for k in LEVELS}
        spans.append(max(abs(v["p05"]), abs(v["p95"])))
        if args.of == "abs_grad":  # log x: a zero (a dead unit's gradient) has no place on it
            v = {k: (x if x > 0 else math.nan) for k, x in v.items()}
        ax.plot([v["p01"], v["p99"]], [y, y], color="tab:blue", linewidth=1)
        ax.plot([v["p05"], v["p95"]], [y, y], color="tab:blue", linewidth=3)
        ax.add_patch(plt.Rectangle((v["p25"], y - 0.3), v["p75"] - v["p25"], 0.6,
                                   color="tab:blue", alpha=0.5))
        ax.plot([v["p50"]] * 2, [y - 0.3, y + 0.3], color="black", linewidth=1.5)
        ax.plot([v["min"], v["max"]], [y, y], "|", color="tab:red", markersize=10)
        labels.append(f"layer {layer} {kind}")
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize="small")
    # Layers' scales differ by orders of magnitude when gradients vanish: log x for magnitudes,
    # symmetric log for signed entries, linear within a tenth of the narrowest layer's 5-95% span.
    finite_spans = [x for x in spans if np.isfinite(x) and x > 0]
    if args.of == "abs_grad":
        ax.set_xscale("log")
    elif finite_spans and max(finite_spans) > 100 * min(finite_spans):
        ax.set_xscale("symlog", linthresh=min(finite_spans) / 10)
    ax.grid(alpha=0.3, axis="x")
    what = {"grad": "∂L/∂W", "abs_grad": "|∂L/∂W|", "value": "W"}[args.of]
    ax.set_xlabel(f"{what} entries (box 25-75%, bars 5-95% and 1-99%, red ticks min/max, "
                  "black: median)", fontsize="small")
    ax.set_title(args.title or f"{plot.run_name(args.run_dir)}: step {step}", fontsize="medium")
    fig.tight_layout()
    return fig, os.path.join(args.run_dir, f"grad_ridge_{step}.png")


def plot_update_ratio(plot, args):
    """||dW|| / ||W|| per layer over the logged steps, log y, with the 1e-3 reference."""
    plot.check_run_dir(args.run_dir)
    path = os.path.join(args.run_dir, "grad_norms.csv")
    header, rows = plot.read_csv(path, ["step", "layer", "param", "value_norm"])
    if "update_norm" not in header:
        raise plot.InputError(f"{path}: no update_norm column (a run of an older nnlab)")
    wanted = args.param
    series = {}
    for r in rows:
        kind = r["param"]
        if (wanted == "auto" and kind not in ("W", "W_ih")) or (wanted != "auto" and kind != wanted):
            continue
        value, update = plot.number(r["value_norm"]), plot.number(r["update_norm"])
        ratio = update / value if value > 0 else math.nan
        s = series.setdefault(int(r["layer"]), ([], []))
        s[0].append(int(r["step"]))
        s[1].append(ratio)
    if not series:
        raise plot.InputError(f"{path}: no rows with param '{wanted}'")
    layers = sorted(series)
    colors, palette, bounds = plot.layer_colors(layers)
    fig, ax = plt.subplots(figsize=(9, 5))
    for layer in layers:
        steps, ratio = np.array(series[layer][0]), np.array(series[layer][1])
        ok = plot.finite_positive(ratio)
        ax.plot(steps[ok], ratio[ok], color=colors[layer], label=str(layer), linewidth=1.2)
    ax.axhline(1e-3, color="grey", linestyle="--", linewidth=1)
    ax.text(ax.get_xlim()[0], 1e-3, " 1e-3", va="bottom", color="grey", fontsize="small")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("‖ΔW‖ / ‖W‖ per step")
    ax.grid(alpha=0.3)
    plot.layer_legend_or_colorbar(fig, ax, layers, palette, bounds)
    ax.set_title(args.title or f"{plot.run_name(args.run_dir)}: update ratio", fontsize="medium")
    fig.tight_layout()
    suffix = "" if wanted == "auto" else f"_{wanted}"
    return fig, os.path.join(args.run_dir, f"update_ratio{suffix}.png")


def add_parsers(sub, common, param_help):
    """The modes' argparse sub-commands (registered by plot_grad_norms.parse_args)."""
    of_help = "which rows: grad (default), abs_grad (|entries|) or value (the weights)"
    sp = sub.add_parser("quantiles", help="grad_quantiles.csv as quantile bands over steps",
                        description="The distribution of each layer's gradient entries over the "
                                    "logged steps as bands (min-max, 1-99%%, 5-95%%, 25-75%%) and "
                                    "the median. Default --out: RUN_DIR/grad_quantiles[_OF].png")
    sp.add_argument("run_dir", metavar="RUN_DIR")
    sp.add_argument("--param", default="auto", help=param_help)
    sp.add_argument("--of", default="grad", choices=["grad", "abs_grad", "value"], help=of_help)
    common(sp)
    sp = sub.add_parser("ridge", help="every layer's distribution at one step",
                        description="Every layer's distribution at one logged step, one row per "
                                    "layer. Default --out: RUN_DIR/grad_ridge_STEP.png")
    sp.add_argument("run_dir", metavar="RUN_DIR")
    sp.add_argument("--step", type=int, help="a logged step (default: the last)")
    sp.add_argument("--param", default="auto", help=param_help)
    sp.add_argument("--of", default="grad", choices=["grad", "abs_grad", "value"], help=of_help)
    common(sp)
    sp = sub.add_parser("update-ratio", help="||dW||/||W|| per layer over steps",
                        description="The update ratio ||W_after - W_before|| / ||W_before|| of "
                                    "each layer over the logged steps, log y, with 1e-3 marked. "
                                    "Default --out: RUN_DIR/update_ratio[_PARAM].png")
    sp.add_argument("run_dir", metavar="RUN_DIR")
    sp.add_argument("--param", default="auto", help=param_help)
    common(sp)


def modes(plot):
    """The mode functions, each taking args, bound to plot_grad_norms's helpers."""
    return {"quantiles": lambda a: plot_quantiles(plot, a),
            "ridge": lambda a: plot_ridge(plot, a),
            "update-ratio": lambda a: plot_update_ratio(plot, a)}
