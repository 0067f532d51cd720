#!/usr/bin/python3
"""nnlab against PyTorch: the same model, the same initial weights, the same batches.

Usage: /usr/bin/python3 torch_reference.py NNLAB_BINARY REPO_ROOT [-v] [-k SUBSTRING]

For every reference config below:
  1. the config is written to a temporary directory (with "log.save_data": true and
     "train.shuffle": false, so that data_train.csv is the batch order);
  2. nnlab runs it twice: with --set train.epochs=0, which gives the initial weights
     (weights.json), the resolved config (config.json) and the training split (data_train.csv),
     and then for real;
  3. the same network is built in PyTorch (nn.Linear, nn.BatchNorm1d, torch.nn.functional
     activations and losses, torch.optim.SGD/Adam) from the initial weights and trained on the
     same batches; gradient clipping is done by hand with nnlab's exact rule (scale tau/||g|| when
     ||g|| > tau, not torch's tau/(||g|| + 1e-6));
  4. nnlab's metrics.csv (every step), grad_norms.csv (every logged step, every tensor and every
     layer's delta = ||dL/dz|| over the batch) and final weights.json (parameters and batch-norm
     running statistics) are compared with PyTorch's numbers.

A number x (nnlab) passes against r (PyTorch) when |x - r| <= rtol * max(|r|, floor * S), with
rtol = 1e-9 for float64 runs and 1e-4 for float32 runs; S is the natural scale of the quantity
(the step's global gradient norm for gradient norms, the total parameter norm for value norms and
weights) and floor = 1e-6 (float64) or 1e-3 (float32). The floor only matters for quantities
that are zero up to rounding, such as the gradient of a bias followed by batch norm. Weight
tensors are compared by max-norm: max|x - r| against rtol * max(max|r|, floor * S).

Exits 0 when everything agrees, 1 on any mismatch or missing/malformed output, 2 on bad usage.
"""

import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "identity")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")
OUTPUTS = ("sigmoid", "softmax", "linear")

# ---------------------------------------------------------------------------------------------
# Reference configs. Each is small (20-60 steps). "data.path" may use {root} for the repository.
# ---------------------------------------------------------------------------------------------
CONFIGS = [
    # Deep sigmoid net, plain SGD, moons; 60 = 3*16 + 12: a partial last batch every epoch.
    {"name": "sigmoid_sgd_moons_partial", "seed": 11, "dtype": "float64",
     "data": {"type": "moons", "train_size": 60, "test_size": 20, "noise": 0.2},
     "model": {"depth": 3, "width": 6, "activation": "sigmoid", "init": "xavier_uniform",
               "bias_init": 0.05},
     "train": {"epochs": 6, "batch_size": 16, "optimizer": "sgd", "lr": 0.8}},
    # tanh, momentum with weight decay, circles.
    {"name": "tanh_momentum_wd_circles", "seed": 12, "dtype": "float64",
     "data": {"type": "circles", "train_size": 64, "test_size": 0, "noise": 0.1},
     "model": {"depth": 2, "width": 8, "activation": "tanh"},
     "train": {"epochs": 8, "batch_size": 16, "optimizer": "momentum", "lr": 0.1,
               "momentum": 0.9, "weight_decay": 0.001}},
    # ReLU, Nesterov with weight decay and clipping active on some steps, xor; 50 = 4*12 + 2.
    {"name": "relu_nesterov_wd_clip_xor", "seed": 13, "dtype": "float64",
     "data": {"type": "xor", "train_size": 50, "test_size": 10, "noise": 0.3},
     "model": {"depth": 3, "width": 8, "activation": "relu", "init": "he_uniform"},
     "train": {"epochs": 6, "batch_size": 12, "optimizer": "nesterov", "lr": 0.1,
               "momentum": 0.8, "weight_decay": 0.0005, "clip_threshold": 0.6}},
    # Leaky ReLU (slope 0.2), Adam with weight decay, 4 blobs in 3 dimensions (softmax).
    {"name": "leaky_relu_adam_wd_blobs4", "seed": 14, "dtype": "float64",
     "data": {"type": "blobs", "classes": 4, "features": 3, "train_size": 48, "test_size": 16,
              "noise": 1.5},
     "model": {"depth": 2, "width": [10, 6], "activation": "leaky_relu",
               "negative_slope": 0.2},
     "train": {"epochs": 6, "batch_size": 12, "optimizer": "adam", "lr": 0.01,
               "beta1": 0.8, "beta2": 0.99, "eps": 1e-7, "weight_decay": 0.001}},
    # ELU (alpha 0.7) with batch norm (non-default momentum and eps), momentum SGD, spirals.
    {"name": "elu_batchnorm_momentum_spirals", "seed": 15, "dtype": "float64",
     "data": {"type": "spirals", "train_size": 64, "test_size": 0, "noise": 0.05},
     "model": {"depth": 3, "width": 8, "activation": "elu", "elu_alpha": 0.7,
               "batch_norm": True, "bn_momentum": 0.2, "bn_eps": 0.001},
     "train": {"epochs": 6, "batch_size": 16, "optimizer": "momentum", "lr": 0.05,
               "momentum": 0.5}},
    # Identity activation, linear output (MSE), sine regression; grad_norms rows every 3 steps.
    {"name": "identity_linear_sine_every3", "seed": 16, "dtype": "float64",
     "data": {"type": "sine", "train_size": 40, "test_size": 10, "noise": 0.05},
     "model": {"depth": 2, "width": 6, "activation": "identity", "bias_init": -0.1},
     "train": {"epochs": 5, "batch_size": 8, "optimizer": "sgd", "lr": 0.05},
     "log": {"every": 3}},
    # tanh regression with batch norm and clipping, Adam: linear output through BN layers.
    {"name": "tanh_batchnorm_sine_clip", "seed": 17, "dtype": "float64",
     "data": {"type": "sine", "train_size": 45, "test_size": 0, "noise": 0.1},
     "model": {"depth": 2, "width": 7, "activation": "tanh", "batch_norm": True},
     "train": {"epochs": 5, "batch_size": 10, "optimizer": "nesterov", "lr": 0.05,
               "clip_threshold": 0.5}},
    # skip 1 with every width equal to the input width (5): every layer has a shortcut,
    # layer 1's from the input x itself.
    {"name": "skip1_all_connected_blobs", "seed": 18, "dtype": "float64",
     "data": {"type": "blobs", "classes": 3, "features": 5, "train_size": 48, "test_size": 0,
              "noise": 2.0},
     "model": {"depth": 4, "width": 5, "activation": "tanh", "skip": 1},
     "train": {"epochs": 5, "batch_size": 12, "optimizer": "sgd", "lr": 0.2}},
    # skip 2 with width 6 = input width: layer 2 adds x, layer 3 adds a1, layer 4 adds a2.
    {"name": "skip2_all_connected_relu_bn", "seed": 19, "dtype": "float64",
     "data": {"type": "blobs", "classes": 2, "features": 6, "train_size": 40, "test_size": 0,
              "noise": 3.0},
     "model": {"depth": 4, "width": 6, "activation": "relu", "skip": 2, "batch_norm": True},
     "train": {"epochs": 5, "batch_size": 8, "optimizer": "momentum", "lr": 0.05}},
    # skip 1 with widths [4, 4, 6, 6] on 2 inputs: only layers 2 and 4 have a shortcut.
    {"name": "skip1_some_dropped_moons", "seed": 20, "dtype": "float64",
     "data": {"type": "moons", "train_size": 48, "test_size": 0, "noise": 0.1},
     "model": {"depth": 4, "width": [4, 4, 6, 6], "activation": "sigmoid", "skip": 1},
     "train": {"epochs": 5, "batch_size": 12, "optimizer": "adam", "lr": 0.02}},
    # skip 2 with widths [3, 5, 3, 5, 5] on 2 inputs: layers 3 and 4 connect, 2 and 5 do not.
    {"name": "skip2_some_dropped_circles", "seed": 21, "dtype": "float64",
     "data": {"type": "circles", "train_size": 40, "test_size": 0, "noise": 0.05},
     "model": {"depth": 5, "width": [3, 5, 3, 5, 5], "activation": "elu", "skip": 2},
     "train": {"epochs": 5, "batch_size": 8, "optimizer": "sgd", "lr": 0.3,
               "clip_threshold": 0.4}},
    # Iris (CSV, standardised, 3 classes): softmax, Adam with its default lr, full batch.
    {"name": "iris_softmax_adam_fullbatch", "seed": 22, "dtype": "float64",
     "data": {"type": "csv", "path": "{root}/data/iris.csv", "test_fraction": 0.2},
     "model": {"depth": 1, "width": 8, "activation": "tanh"},
     "train": {"epochs": 30, "batch_size": 0, "optimizer": "adam"}},
    # depth 0: logistic regression, clipped on some steps; 70 = 3*20 + 10.
    {"name": "logistic_regression_depth0", "seed": 23, "dtype": "float64",
     "data": {"type": "moons", "train_size": 70, "test_size": 0, "noise": 0.2},
     "model": {"depth": 0},
     "train": {"epochs": 5, "batch_size": 20, "optimizer": "sgd", "lr": 1.0,
               "clip_threshold": 0.3}},
    # float32: tanh with batch norm, skip 1, momentum with weight decay and clipping, 3 blobs.
    {"name": "float32_tanh_bn_skip_clip", "seed": 24, "dtype": "float32",
     "data": {"type": "blobs", "classes": 3, "features": 2, "train_size": 60, "test_size": 0,
              "noise": 1.0},
     "model": {"depth": 3, "width": 8, "activation": "tanh", "batch_norm": True, "skip": 1},
     "train": {"epochs": 4, "batch_size": 16, "optimizer": "momentum", "lr": 0.05,
               "weight_decay": 0.001, "clip_threshold": 0.8}},
]

TOL = {"float64": (1e-9, 1e-6), "float32": (1e-4, 1e-3)}  # (rtol, floor)


class Failure(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Running nnlab and reading its files
# ---------------------------------------------------------------------------------------------
def run_nnlab(binary, config_path, out_dir, extra):
    cmd = [binary, "train", config_path, "--out", out_dir, "-q"] + extra
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise Failure("nnlab exited with %d: %s\n%s" % (p.returncode, " ".join(cmd),
                                                         p.stderr.strip()))


def read_csv(path, header):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != header:
        raise Failure("%s: header %r, expected %r" % (path, rows[0] if rows else None, header))
    return rows[1:]


def read_data(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    ntarget = sum(1 for h in header if h == "target" or (h.startswith("target") and
                                                          h[6:].isdigit()))
    if ntarget == 0 or any(not (h == "target" or h[6:].isdigit()) for h in header[-ntarget:]):
        raise Failure("%s: no trailing target column(s) in %r" % (path, header))
    values = np.array([[float(v) for v in r] for r in rows[1:]], dtype=np.float64)
    return values[:, :-ntarget], values[:, -ntarget:]


def skip_source(inputs, widths, skip, layer):
    """The layer whose output is added to act(z(layer)) (0 = the input x), or -1: nnlab's rule."""
    source = layer - skip
    if skip == 0 or source < 0:
        return -1
    source_width = inputs if source == 0 else widths[source - 1]
    return source if source_width == widths[layer - 1] else -1


# ---------------------------------------------------------------------------------------------
# The PyTorch model
# ---------------------------------------------------------------------------------------------
class TorchMlp:
    def __init__(self, cfg, tensors, inputs, dtype):
        m = cfg["model"]
        self.widths = list(m["width"]) if m["depth"] > 0 else []
        self.depth = len(self.widths)
        self.inputs = inputs
        self.skip = m["skip"]
        self.bn = m["batch_norm"]
        act = m["activation"]
        slope, alpha = m.get("negative_slope"), m.get("elu_alpha")
        self.act = {
            "sigmoid": torch.sigmoid,
            "tanh": torch.tanh,
            "relu": F.relu,
            "leaky_relu": lambda u: F.leaky_relu(u, negative_slope=slope),
            "elu": lambda u: F.elu(u, alpha=alpha),
            "identity": lambda u: u,
        }[act]
        self.linears, self.norms, self.sources = [], [], []
        self.named = []  # (layer, kind, parameter), in nnlab's order
        fan_in = inputs
        T = lambda name: torch.tensor(tensors[name], dtype=dtype)
        for layer in range(1, self.depth + 2):
            W = T("layers.%d.W" % layer)
            if W.dim() != 2 or W.shape[1] != fan_in:
                raise Failure("layers.%d.W has shape %s, expected (*, %d)" %
                              (layer, tuple(W.shape), fan_in))
            lin = torch.nn.Linear(fan_in, W.shape[0], dtype=dtype)
            with torch.no_grad():
                lin.weight.copy_(W)
                lin.bias.copy_(T("layers.%d.b" % layer))
            self.linears.append(lin)
            self.named += [(layer, "W", lin.weight), (layer, "b", lin.bias)]
            if layer <= self.depth:
                if self.bn:
                    bn = torch.nn.BatchNorm1d(W.shape[0], eps=m["bn_eps"],
                                              momentum=m["bn_momentum"], dtype=dtype)
                    with torch.no_grad():
                        bn.weight.copy_(T("layers.%d.gamma" % layer))
                        bn.bias.copy_(T("layers.%d.beta" % layer))
                        bn.running_mean.copy_(T("layers.%d.running_mean" % layer))
                        bn.running_var.copy_(T("layers.%d.running_var" % layer))
                    bn.train()
                    self.norms.append(bn)
                    self.named += [(layer, "gamma", bn.weight), (layer, "beta", bn.bias)]
                self.sources.append(skip_source(inputs, self.widths, self.skip, layer))
            fan_in = W.shape[0]

    def parameters(self):
        return [p for _, _, p in self.named]

    def forward(self, x):
        """x: (B, inputs). Returns logits and the list of z tensors (grads retained)."""
        outs = [x]
        zs = []
        for l in range(self.depth):
            z = self.linears[l](outs[-1])
            z.retain_grad()
            zs.append(z)
            u = self.norms[l](z) if self.bn else z
            h = self.act(u)
            src = self.sources[l]
            outs.append(h + outs[src] if src >= 0 else h)
        logits = self.linears[-1](outs[-1])
        logits.retain_grad()
        zs.append(logits)
        return logits, zs

    def state(self):
        """Every tensor by its weights.json name."""
        d = {}
        for layer, kind, p in self.named:
            d["layers.%d.%s" % (layer, kind)] = p.detach()
        for l, bn in enumerate(self.norms, start=1):
            d["layers.%d.running_mean" % l] = bn.running_mean.detach()
            d["layers.%d.running_var" % l] = bn.running_var.detach()
        return d


def loss_fn(output, logits, y):
    if output == "sigmoid":
        return F.binary_cross_entropy_with_logits(logits[:, 0], y[:, 0])
    if output == "softmax":
        return F.cross_entropy(logits, y[:, 0].long())
    return F.mse_loss(logits, y)


def make_optimizer(cfg, params):
    t = cfg["train"]
    kind = t["optimizer"]
    if kind == "adam":
        return torch.optim.Adam(params, lr=t["lr"], betas=(t["beta1"], t["beta2"]),
                                eps=t["eps"], weight_decay=t["weight_decay"])
    return torch.optim.SGD(params, lr=t["lr"], momentum=t["momentum"] if kind != "sgd" else 0.0,
                           nesterov=kind == "nesterov", weight_decay=t["weight_decay"])


def torch_train(cfg, tensors, x_np, y_np, dtype):
    """Trains like nnlab with shuffle off; returns per-step records and the final state."""
    model = TorchMlp(cfg, tensors, x_np.shape[1], dtype)
    opt = make_optimizer(cfg, model.parameters())
    t = cfg["train"]
    n = x_np.shape[0]
    bs = n if t["batch_size"] == 0 else min(t["batch_size"], n)
    tau = t["clip_threshold"]
    x_all = torch.tensor(x_np, dtype=dtype)
    y_all = torch.tensor(y_np, dtype=dtype)
    every = cfg["log"]["every"]
    steps = []
    for epoch in range(1, t["epochs"] + 1):
        for start in range(0, n, bs):
            x, y = x_all[start:start + bs], y_all[start:start + bs]
            opt.zero_grad(set_to_none=False)
            logits, zs = model.forward(x)
            loss = loss_fn(cfg["model"]["output"], logits, y)
            loss.backward()
            step = len(steps) + 1
            rec = {"step": step, "epoch": epoch, "loss": loss.item(), "tensors": {}}
            sq = 0.0
            for layer, kind, p in model.named:
                g = float(torch.linalg.norm(p.grad))
                sq += g * g
                rec["tensors"][(layer, kind)] = (g, float(torch.linalg.norm(p.detach())))
            for layer, z in enumerate(zs, start=1):
                rec["tensors"][(layer, "delta")] = (float(torch.linalg.norm(z.grad)), None)
            gn = math.sqrt(sq)
            clipped = tau > 0 and gn > tau
            scale = tau / gn if clipped else 1.0   # nnlab's (the chapter's) exact rule
            if clipped:
                with torch.no_grad():
                    for p in model.parameters():
                        p.grad.mul_(scale)
            rec.update(grad_norm=gn, clipped=int(clipped), grad_norm_clipped=gn * scale,
                       log_layers=(step - 1) % every == 0)
            steps.append(rec)
            opt.step()
    return steps, model.state()


# ---------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------
class Comparer:
    def __init__(self, name, dtype_name):
        self.name = name
        self.rtol, self.floor = TOL[dtype_name]
        self.worst = {}      # category -> (err, detail)
        self.failures = []   # (err, category, detail)
        self.all = []        # (err, category, detail) worst few overall, kept by the caller

    def check(self, category, detail, got, expected, scale):
        denom = max(abs(expected), self.floor * abs(scale))
        if math.isnan(got) or math.isnan(expected):
            err = 0.0 if (math.isnan(got) and math.isnan(expected)) else math.inf
        elif denom == 0:
            err = 0.0 if got == expected else math.inf
        else:
            err = abs(got - expected) / denom
        ok = err <= self.rtol
        full = "%s: nnlab %.17g, torch %.17g" % (detail, got, expected)
        if category not in self.worst or err > self.worst[category][0]:
            self.worst[category] = (err, full)
        self.all.append((err / self.rtol, err, category, full))
        if not ok:
            self.failures.append((err, category, full))
        return ok

    def check_tensor(self, category, name, got, expected, scale):
        got = np.asarray(got, dtype=np.float64)
        exp = np.asarray(expected, dtype=np.float64)
        if got.shape != exp.shape:
            self.fail(category, "%s: shape %s, torch %s" % (name, got.shape, exp.shape))
            return
        diff = np.abs(got - exp)
        i = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
        denom = max(float(np.max(np.abs(exp))) if exp.size else 0.0, self.floor * scale)
        err = float(diff[i]) / denom if diff.size and denom > 0 else 0.0
        detail = "%s%s (max-norm error relative to max|torch| = %.6g)" % (
            name, list(i), denom)
        g, e = (float(got[i]), float(exp[i])) if diff.size else (0.0, 0.0)
        full = "%s: nnlab %.17g, torch %.17g" % (detail, g, e)
        if not np.all(np.isfinite(got)):
            err = math.inf
        if category not in self.worst or err > self.worst[category][0]:
            self.worst[category] = (err, full)
        self.all.append((err / self.rtol, err, category, full))
        if err > self.rtol:
            self.failures.append((err, category, full))

    def fail(self, category, message):
        self.worst[category] = (math.inf, message)
        self.failures.append((math.inf, category, message))


def compare_run(cmp, cfg, steps, state, run_dir, dtype):
    t = cfg["train"]
    # metrics.csv -----------------------------------------------------------------------------
    rows = read_csv(os.path.join(run_dir, "metrics.csv"),
                    ["step", "epoch", "loss", "grad_norm", "clipped", "grad_norm_clipped", "lr"])
    if len(rows) != len(steps):
        cmp.fail("structure", "metrics.csv has %d steps, torch made %d" % (len(rows), len(steps)))
    lr_expected = float(np.array(t["lr"], dtype=np.float32 if dtype == torch.float32
                                 else np.float64))
    loss_scale = abs(steps[0]["loss"]) if steps else 1.0
    for row, s in zip(rows, steps):
        step, epoch, loss, gn, clipped, gnc, lr = row
        where = "step %d" % s["step"]
        if int(step) != s["step"] or int(epoch) != s["epoch"]:
            cmp.fail("structure", "%s: metrics.csv row (step %s, epoch %s), expected (%d, %d)" %
                     (where, step, epoch, s["step"], s["epoch"]))
        if int(clipped) != s["clipped"]:
            cmp.fail("clipped", "%s: clipped %s, torch %d (grad_norm nnlab %s, torch %.17g, "
                     "tau %g)" % (where, clipped, s["clipped"], gn, s["grad_norm"],
                                  t["clip_threshold"]))
        if float(lr) != lr_expected:
            cmp.fail("lr", "%s: lr %s, config %.17g" % (where, lr, t["lr"]))
        cmp.check("loss", where + " loss", float(loss), s["loss"], loss_scale)
        cmp.check("grad_norm", where + " grad_norm", float(gn), s["grad_norm"], s["grad_norm"])
        cmp.check("grad_norm", where + " grad_norm_clipped", float(gnc), s["grad_norm_clipped"],
                  s["grad_norm"])
    # grad_norms.csv --------------------------------------------------------------------------
    rows = read_csv(os.path.join(run_dir, "grad_norms.csv"),
                    ["step", "layer", "param", "grad_norm", "value_norm"])
    expected_keys = []
    for s in steps:
        if s["log_layers"]:
            # nnlab's order: per layer its tensors, then its delta row.
            for key in sorted(s["tensors"], key=lambda k: (k[0], k[1] == "delta")):
                expected_keys.append((s["step"],) + key)
    got_keys = [(int(r[0]), int(r[1]), r[2]) for r in rows]
    if got_keys != expected_keys:
        missing = sorted(set(expected_keys) - set(got_keys))[:5]
        extra = sorted(set(got_keys) - set(expected_keys))[:5]
        cmp.fail("structure", "grad_norms.csv rows differ from torch's tensors: %d rows vs %d; "
                 "missing %s, unexpected %s" % (len(got_keys), len(expected_keys), missing,
                                                extra))
    by_step = {s["step"]: s for s in steps}
    for r in rows:
        step, layer, param = int(r[0]), int(r[1]), r[2]
        s = by_step.get(step)
        if s is None or (layer, param) not in s["tensors"]:
            continue
        g, v = s["tensors"][(layer, param)]
        total_value = math.sqrt(sum(vv * vv for gg, vv in s["tensors"].values() if vv is not None))
        where = "step %d layer %d %s" % (step, layer, param)
        if param == "delta":
            cmp.check("delta", where, float(r[3]), g, s["grad_norm"])
            if r[4] != "":
                cmp.fail("structure", where + ": value_norm should be empty, is " + r[4])
        else:
            cmp.check("tensor grad", where + " grad_norm", float(r[3]), g, s["grad_norm"])
            cmp.check("value_norm", where + " value_norm", float(r[4]), v, total_value)
    # weights.json ----------------------------------------------------------------------------
    with open(os.path.join(run_dir, "weights.json")) as f:
        final = json.load(f)["tensors"]
    if set(final) != set(state):
        cmp.fail("structure", "weights.json tensors %s, torch %s" % (sorted(final),
                                                                     sorted(state)))
    params_norm = math.sqrt(sum(float(torch.sum(v * v)) for k, v in state.items()
                                if "running" not in k))
    for name, value in state.items():
        if name not in final:
            continue
        ref = value.to(torch.float64).numpy()
        if "running" in name:
            cmp.check_tensor("BN running", name, final[name], ref,
                             float(np.linalg.norm(ref)) or 1.0)
        else:
            cmp.check_tensor("final weights", name, final[name], ref, params_norm)


def run_config(binary, root, work, spec):
    cfg = json.loads(json.dumps(spec).replace("{root}", root))
    cfg.setdefault("train", {})["shuffle"] = False
    cfg.setdefault("log", {})["save_data"] = True
    name = cfg["name"]
    d = os.path.join(work, name)
    os.makedirs(d)
    config_path = os.path.join(d, "config.json")
    with open(config_path, "w") as f:
        json.dump(cfg, f, indent=1)
    init_dir, run_dir = os.path.join(d, "init"), os.path.join(d, "run")
    run_nnlab(binary, config_path, init_dir, ["--set", "train.epochs=0"])
    run_nnlab(binary, config_path, run_dir, [])
    with open(os.path.join(init_dir, "config.json")) as f:
        resolved = json.load(f)
    resolved["train"]["epochs"] = cfg["train"]["epochs"]
    with open(os.path.join(run_dir, "config.json")) as f:
        resolved_run = json.load(f)
    if resolved_run != resolved:
        raise Failure("the resolved configs of the two runs differ beyond train.epochs")
    with open(os.path.join(init_dir, "weights.json")) as f:
        tensors = json.load(f)["tensors"]
    x, y = read_data(os.path.join(init_dir, "data_train.csv"))
    dtype = torch.float64 if resolved["dtype"] == "float64" else torch.float32
    steps, state = torch_train(resolved, tensors, x, y, dtype)
    cmp = Comparer(name, resolved["dtype"])
    compare_run(cmp, resolved, steps, state, run_dir, dtype)
    return resolved, steps, cmp, x.shape[0]


# ---------------------------------------------------------------------------------------------
def coverage_problems(results):
    """What the reference configs must cover; a problem here means the list was weakened."""
    seen = {k: set() for k in ("activation", "optimizer", "output")}
    facts = set()
    clipped_values = set()
    wd = 0
    for cfg, steps, n in results:
        m, t = cfg["model"], cfg["train"]
        if m["depth"] > 0:
            seen["activation"].add(m["activation"])
        seen["optimizer"].add(t["optimizer"])
        seen["output"].add(m["output"])
        wd += t["weight_decay"] > 0
        if t["clip_threshold"] > 0:
            cv = {s["clipped"] for s in steps}
            clipped_values |= cv
            if cv == {0, 1}:
                facts.add("clipping active on some steps only")
        if m["batch_norm"]:
            facts.add("batch norm")
        if m["depth"] == 0:
            facts.add("depth 0")
        if t["batch_size"] == 0:
            facts.add("full batch")
        elif n % t["batch_size"] != 0:
            facts.add("partial last batch")
        if cfg["dtype"] == "float32":
            facts.add("float32")
        if cfg["data"]["type"] == "csv":
            facts.add("csv data")
        if m["skip"] > 0:
            inputs = len(steps) and None
            widths = m["width"]
            # inputs are not in the config; the torch model recorded the sources implicitly:
            facts.add("skip %d" % m["skip"])
    problems = []
    for k, allowed in (("activation", ACTIVATIONS), ("optimizer", OPTIMIZERS),
                       ("output", OUTPUTS)):
        missing = set(allowed) - seen[k]
        if missing:
            problems.append("no config uses %s %s" % (k, sorted(missing)))
    if wd < 2:
        problems.append("fewer than two configs use weight_decay > 0")
    if clipped_values != {0, 1}:
        problems.append("clipped takes the values %s, expected both 0 and 1" %
                        sorted(clipped_values))
    for f in ("clipping active on some steps only", "batch norm", "depth 0", "full batch",
              "partial last batch", "float32", "csv data", "skip 1", "skip 2"):
        if f not in facts:
            problems.append("nothing covers: " + f)
    return problems


def fmt(err):
    return "inf" if math.isinf(err) else "%.1e" % err


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    args = [a for a in args if a != "-v"]
    only = None
    if "-k" in args:
        i = args.index("-k")
        only = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    binary, root = os.path.realpath(args[0]), os.path.realpath(args[1])
    if not os.access(binary, os.X_OK):
        print("error: %s is not an executable" % binary, file=sys.stderr)
        return 2
    t0 = time.monotonic()
    print("nnlab vs PyTorch %s (float64 rtol %g, float32 rtol %g)" %
          (torch.__version__, TOL["float64"][0], TOL["float32"][0]))
    categories = ["loss", "grad_norm", "tensor grad", "delta", "value_norm", "final weights",
                  "BN running"]
    short = ["loss", "gnorm", "tgrad", "delta", "vnorm", "weights", "bn-run"]
    head = "%-32s %-7s %5s %6s " % ("config", "dtype", "steps", "clip") + \
           " ".join("%8s" % s for s in short) + "  result"
    print(head)
    print("-" * len(head))
    failed = 0
    results = []
    overall = []
    configs = [c for c in CONFIGS if only is None or only in c["name"]]
    with tempfile.TemporaryDirectory(prefix="nnlab-torch-") as work:
        for spec in configs:
            try:
                cfg, steps, cmp, n = run_config(binary, root, work, spec)
            except Failure as e:
                failed += 1
                print("%-32s ERROR: %s" % (spec["name"], e))
                continue
            results.append((cfg, steps, n))
            nclip = sum(s["clipped"] for s in steps)
            cells = []
            for c in categories:
                cells.append("%8s" % (fmt(cmp.worst[c][0]) if c in cmp.worst else "-"))
            ok = not cmp.failures
            failed += not ok
            print("%-32s %-7s %5d %6s %s  %s" % (
                cmp.name, cfg["dtype"], len(steps),
                "%d/%d" % (nclip, len(steps)) if cfg["train"]["clip_threshold"] > 0 else "-",
                " ".join(cells), "ok" if ok else "FAIL (%d)" % len(cmp.failures)))
            for err, cat, detail in sorted(cmp.failures, key=lambda f: -f[0])[:8]:
                print("    FAIL %-13s err %s > %g: %s" % (cat, fmt(err), cmp.rtol, detail))
            if verbose:
                for c in categories:
                    if c in cmp.worst:
                        print("    worst %-13s %s: %s" % (c, fmt(cmp.worst[c][0]),
                                                          cmp.worst[c][1]))
            overall += [(r, e, cat, cmp.name, cfg["dtype"], d) for r, e, cat, d in cmp.all]
    print("-" * len(head))
    print("columns: worst relative error per quantity (see the docstring for the rule); "
          "clip = clipped steps/steps")
    overall.sort(key=lambda o: -o[0])
    print("\nworst deviations relative to each run's tolerance:")
    for r, e, cat, name, dt, detail in overall[:10]:
        print("  %-8s (%s of tol) %-30s %-13s %s" % (fmt(e), "%.2g" % r, name, cat, detail))
    if only is None:
        problems = coverage_problems(results)
        for p in problems:
            print("coverage: " + p)
        failed += len(problems)
    ncmp = len(overall)
    print("\n%d configs, %d numbers compared, %s, %.1f s" % (
        len(configs), ncmp, "ALL AGREE" if failed == 0 else "%d FAILURES" % failed,
        time.monotonic() - t0))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
