"""Plot mode `probe` of plot_grad_norms.py: a `nnlab probe` directory's probe.csv. An MLP: per
layer the mean of ln ||delta||^2 and of q = mean z^2 over seeds with a +-1 sd band, and the
theory's line where probe.csv has one. A recurrent model: the same for ln ||dL/dh_t|| (and an
LSTM's ln ||dL/dc_t||) over t, one line per layer."""

import csv
import math
import os


def add_parser(sub, common):
    sp = sub.add_parser("probe", help="a probe directory: mean +-1 sd over seeds and the theory",
                        description="A `nnlab probe` directory: per layer (or time step) the mean "
                                    "over seeds with a +-1 sd band and the theory's line (dashed). "
                                    "Default --out: PROBE_DIR/probe.png")
    sp.add_argument("run_dir", metavar="PROBE_DIR")
    common(sp)


def _number(text):
    try:
        return float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan


def _series(rows, quantity, layer=None):
    """(x, mean, sd, theory) of one quantity: x is the layer, or t when the rows have one."""
    pts = []
    for r in rows:
        if r["quantity"] != quantity:
            continue
        if layer is not None and int(r["layer"]) != layer:
            continue
        t = r.get("t", "")
        x = int(t) if t not in (None, "") else int(r["layer"])
        pts.append((x, _number(r["mean"]), _number(r["sd"]), _number(r["theory"])))
    pts.sort()
    return [list(v) for v in zip(*pts)] if pts else [[], [], [], []]


def _panel(ax, np, x, mean, sd, theory, label, color, ylabel, xlabel):
    x, mean, sd, theory = (np.asarray(v, dtype=float) for v in (x, mean, sd, theory))
    ax.plot(x, mean, color=color, marker=".", label=f"{label} mean over seeds")
    ax.fill_between(x, mean - sd, mean + sd, color=color, alpha=0.25, linewidth=0, label="±1 sd")
    if np.isfinite(theory).any():
        ax.plot(x, theory, color="black", linestyle="--", label="theory")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def plot_probe(args, plt, np, input_error):
    path = os.path.join(args.run_dir, "probe.csv")
    if not os.path.isfile(path):
        raise input_error(f"{path}: no such file (is {args.run_dir} a `nnlab probe` directory?)")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        for c in ("layer", "quantity", "mean", "sd", "se", "theory"):
            if c not in header:
                raise input_error(f"{path}: no column {c}")
        rows = list(reader)
    fit, span = "", None
    try:
        import json
        with open(os.path.join(args.run_dir, "summary.json")) as f:
            s = json.load(f)
        if s.get("fit"):
            fl = s["fit"]
            span = (fl["from"], fl["to"])
            th = fl.get("theory_slope")
            fit = (f"slope {fl['slope']:.4f} ± {fl['se']:.4f} over {fl['axis']} {fl['from']}..{fl['to']}"
                   + (f", theory {th:.4f}" if th is not None else ", no theory"))
            fit += f"; {s['seeds']['count']} seeds"
    except (OSError, ValueError, KeyError, TypeError):
        pass
    timed = "t" in header
    if not timed:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
        _panel(axes[0], np, *_series(rows, "ln_delta_sq"), "ln ||δ||²", "tab:blue",
               "ln ||δ(l)||² per sample", "layer l")
        x, mean, sd, theory = _series(rows, "ln_q")
        _panel(axes[1], np, x, mean, sd, theory, "ln q", "tab:orange", "ln q(l) = ln mean z²", "layer l")
    else:
        layers = sorted({int(r["layer"]) for r in rows if r.get("t")})
        has_c = any(r["quantity"] == "ln_c_grad" for r in rows)
        fig, axes = plt.subplots(1, 2 if has_c else 1, figsize=(11 if has_c else 6.5, 4.5), squeeze=False)
        axes = axes[0]
        colors = plt.get_cmap("viridis")(np.linspace(0, 0.85, max(len(layers), 1)))
        for layer, color in zip(layers, colors):
            _panel(axes[0], np, *_series(rows, "ln_h_grad", layer), f"layer {layer}", color,
                   "ln ||dL/dh_t||", "t")
            if has_c:
                _panel(axes[1], np, *_series(rows, "ln_c_grad", layer), f"layer {layer}", color,
                       "ln ||dL/dc_t||", "t")
    if span:
        axes[0].axvspan(span[0], span[1], color="grey", alpha=0.1, label="fitted range")
        axes[0].legend(fontsize=8)
    fig.suptitle(args.title or f"nnlab probe: {os.path.basename(os.path.normpath(args.run_dir))}"
                 + (f"\n{fit}" if fit else ""), fontsize=10)
    fig.tight_layout()
    return fig, os.path.join(args.run_dir, "probe.png")
