"""The `boundary` plot mode of plot_grad_norms.py: a 2-D classification run's decision regions
(from `nnlab predict RUN_DIR --grid N`) with its training points (from `nnlab predict RUN_DIR`),
as TensorFlow Playground draws them. Two classes: the probability of class 1 as a diverging
colour map with the 0.5 contour; more: each grid point coloured by its predicted class."""

import csv
import io
import os
import shutil
import subprocess

import numpy as np

HELP = ("2-D classification runs: predicted class regions (or p(class 1)) with the training "
        "points")


def add_parser(sub, common):
    sp = sub.add_parser(
        "boundary", help=HELP,
        description=HELP + ". Runs `nnlab predict` (--nnlab, else $NNLAB, else build/nnlab next to "
                    "this script, else nnlab on PATH). Default --out: RUN_DIR/boundary.png")
    sp.add_argument("run_dir", metavar="RUN_DIR")
    sp.add_argument("--grid", type=int, default=200, metavar="N", help="grid points per axis (default 200)")
    sp.add_argument("--nnlab", metavar="BINARY", help="the nnlab binary to run")
    sp.add_argument("--test", action="store_true", help="draw the test points too (hollow)")
    common(sp)


def nnlab_binary(args, InputError):
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (args.nnlab, os.environ.get("NNLAB"),
                      os.path.join(here, "..", "build", "nnlab"), shutil.which("nnlab")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise InputError("no nnlab binary: pass --nnlab or set NNLAB")


def predict(binary, args, InputError):
    """The rows of `nnlab predict RUN_DIR ARGS...` as (header, list of dicts)."""
    done = subprocess.run([binary, "-q", "predict", args.run_dir] + args.extra,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise InputError(f"nnlab predict {args.run_dir} {' '.join(args.extra)}: "
                         f"{done.stderr.strip() or 'exit ' + str(done.returncode)}")
    reader = csv.DictReader(io.StringIO(done.stdout))
    return reader.fieldnames, list(reader)


def plot(args, plt, InputError, run_name):
    if not os.path.isdir(args.run_dir):
        raise InputError(f"{args.run_dir}: not a directory")
    if args.grid < 2 or args.grid > 2000:
        raise InputError("--grid: expected 2 to 2000 points per axis")
    binary = nnlab_binary(args, InputError)

    class Call:
        pass
    call = Call()
    call.run_dir = args.run_dir
    call.extra = ["--grid", str(args.grid)]
    header, grid = predict(binary, call, InputError)
    if "p_0" not in header:
        raise InputError(f"{args.run_dir}: not a classification run (no class probabilities)")
    features = header[:header.index("p_0")]
    if len(features) != 2:
        raise InputError(f"{args.run_dir}: needs 2 input features, has {len(features)}")
    call.extra = ["--both"] if args.test else []
    _, points = predict(binary, call, InputError)

    n = args.grid
    gx = np.array([float(r[features[0]]) for r in grid]).reshape(n, n)
    gy = np.array([float(r[features[1]]) for r in grid]).reshape(n, n)
    classes = sum(1 for c in header if c.startswith("p_"))
    labels = {}
    for r in grid + points:
        labels.setdefault(int(r["predicted"]), r["predicted_label"])

    fig, ax = plt.subplots(figsize=(7, 6), constrained_layout=True)
    cmap = plt.get_cmap("RdBu" if classes == 2 else "tab10")
    if classes == 2:
        p1 = np.array([float(r["p_1"]) for r in grid]).reshape(n, n)
        mesh = ax.contourf(gx, gy, p1, levels=np.linspace(0, 1, 21), cmap=cmap, alpha=0.75,
                           vmin=0, vmax=1)
        ax.contour(gx, gy, p1, levels=[0.5], colors="black", linewidths=1.2)
        cb = fig.colorbar(mesh, ax=ax, pad=0.02, fraction=0.05)
        cb.set_label("p(class 1)  (black: 0.5)")
        point_color = lambda k: cmap(0.05 if k == 0 else 0.95)  # noqa: E731
    else:
        predicted = np.array([int(r["predicted"]) for r in grid]).reshape(n, n)
        ax.contourf(gx, gy, predicted, levels=np.arange(-0.5, classes), cmap=cmap, alpha=0.35,
                    vmin=0, vmax=9)
        point_color = lambda k: cmap(k % 10)  # noqa: E731
    for split, hollow in (("train", False), ("test", True)):
        rows = [r for r in points if r.get("split", "train") == split]
        if not rows:
            continue
        target = np.array([int(float(r["target"])) for r in rows])
        x = np.array([float(r[features[0]]) for r in rows])
        y = np.array([float(r[features[1]]) for r in rows])
        for k in sorted(set(target)):
            sel = target == k
            style = dict(facecolors="none", edgecolors=[point_color(k)]) if hollow else \
                dict(c=[point_color(k)], edgecolors="white")
            ax.scatter(x[sel], y[sel], s=16, linewidths=0.6, label=f"{split} class {labels.get(k, k)}",
                       **style)
    wrong = sum(1 for r in points if int(float(r["target"])) != int(r["predicted"]))
    ax.set_xlim(gx.min(), gx.max())
    ax.set_ylim(gy.min(), gy.max())
    ax.set_xlabel(features[0])
    ax.set_ylabel(features[1])
    ax.legend(fontsize="small", loc="upper right", framealpha=0.8)
    ax.set_title(args.title or f"{run_name(args.run_dir)}\ndecision boundary: {wrong} of "
                 f"{len(points)} points misclassified", fontsize="medium")
    return fig, os.path.join(args.run_dir, "boundary.png")
