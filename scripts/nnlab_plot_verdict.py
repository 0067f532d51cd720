"""Plot mode `verdict` of plot_grad_norms.py: a lab's verdict.json, one column per prediction:
every run's value (dots), their mean (a bar of +-1 sd) and what was predicted (value +-
tolerance as a shaded box, at_most / at_least as a shaded half-line), green where it agrees and
red where it does not. Meant for labs whose predictions share one measure (the same y axis)."""

import json
import math
import os


def add_parser(sub, common):
    sp = sub.add_parser("verdict", help="a lab's verdict.json: measured against predicted",
                        description="A lab's verdict.json: per prediction every run's value, the "
                                    "mean +-1 sd and the predicted interval, on one y axis. "
                                    "Default --out: DIR/verdict.png next to the file")
    sp.add_argument("verdict", metavar="VERDICT.json", help="the file, or a lab's directory holding it")
    sp.add_argument("--ylabel", help="the y axis' label (default: the first prediction's measure)")
    sp.add_argument("--zero", action="store_true", help="draw the line y = 0")
    common(sp)


def _label(p):
    """Short column label: the where values (minus the versus values)."""
    def group(d):
        return ", ".join(str(v) for v in d.values()) if d else "every run"
    text = group(p.get("where", {}))
    if p.get("versus"):
        text += " − " + group(p["versus"])
    return text


def plot(args, plt, InputError):
    if os.path.isdir(args.verdict):
        args.verdict = os.path.join(args.verdict, "verdict.json")
    try:
        with open(args.verdict, encoding="utf-8") as f:
            verdict = json.load(f)
    except FileNotFoundError:
        raise InputError(f"no such file: {args.verdict}")
    preds = verdict.get("predictions") if isinstance(verdict, dict) else None
    if not preds:
        raise InputError(f"{args.verdict}: no predictions (not a lab's verdict.json)")
    fig, ax = plt.subplots(figsize=(max(6.0, 1.4 * len(preds) + 2), 5), constrained_layout=True)
    finite = []
    for i, p in enumerate(preds):
        runs = [v for v in p.get("runs", {}).values() if isinstance(v, (int, float)) and math.isfinite(v)]
        finite += runs
        pred = p.get("prediction", {})
        if "value" in pred:
            finite += [pred["value"] - pred["tolerance"], pred["value"] + pred["tolerance"]]
        for k in ("at_most", "at_least"):
            if k in pred:
                finite.append(pred[k])
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    pad = 0.08 * (hi - lo or 1.0)
    lo, hi = lo - pad, hi + pad
    for i, p in enumerate(preds):
        color = "tab:green" if p.get("agrees") else "tab:red"
        pred = p.get("prediction", {})
        if "value" in pred:
            ax.add_patch(plt.Rectangle((i - 0.3, pred["value"] - pred["tolerance"]), 0.6, 2 * pred["tolerance"],
                                       color=color, alpha=0.18, lw=0))
            ax.plot([i - 0.3, i + 0.3], [pred["value"]] * 2, color=color, ls="--", lw=1.2)
        elif "at_most" in pred:
            ax.add_patch(plt.Rectangle((i - 0.3, lo), 0.6, pred["at_most"] - lo, color=color, alpha=0.12, lw=0))
            ax.plot([i - 0.3, i + 0.3], [pred["at_most"]] * 2, color=color, ls="--", lw=1.2)
        elif "at_least" in pred:
            ax.add_patch(plt.Rectangle((i - 0.3, pred["at_least"]), 0.6, hi - pred["at_least"], color=color,
                                       alpha=0.12, lw=0))
            ax.plot([i - 0.3, i + 0.3], [pred["at_least"]] * 2, color=color, ls="--", lw=1.2)
        runs = [v for v in p.get("runs", {}).values() if isinstance(v, (int, float)) and math.isfinite(v)]
        if runs:
            n = len(runs)
            xs = [i - 0.12 + 0.24 * (k / (n - 1) if n > 1 else 0.5) for k in range(n)]
            ax.plot(xs, runs, "o", ms=3.5, color="0.45", zorder=3)
        m = p.get("measured", {})
        if isinstance(m.get("mean"), (int, float)):
            ax.errorbar([i], [m["mean"]], yerr=[m["std"] or 0.0], fmt="D", ms=7, color=color, capsize=5, zorder=4)
    if args.zero:
        ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xlim(-0.6, len(preds) - 0.4)
    ax.set_ylim(lo, hi)
    ax.set_xticks(range(len(preds)))
    ax.set_xticklabels([_label(p) for p in preds], rotation=0 if len(preds) <= 6 else 30, fontsize="small")
    ax.set_ylabel(args.ylabel or preds[0].get("measure", {}).get("description", "measured"), fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(args.title or f"lab {verdict.get('lab', '')}: {verdict.get('verdict', '')}")
    ax.set_xlabel("dots: runs; diamond: their mean ± 1 sd; shaded: the prediction (dashed: its value or "
                  "bound); green agrees, red disagrees", fontsize="x-small", color="0.35")
    return fig, os.path.join(os.path.dirname(args.verdict) or ".", "verdict.png")
