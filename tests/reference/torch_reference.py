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
     layer's delta = ||dL/dz|| over the batch, and update_norm against ||W_after - W_before||
     of torch's optimizer step), activations.csv (mean, population std and
     saturated fraction of act(z) per hidden layer), eval.csv (loss and accuracy of both splits
     in evaluation mode after every epoch) and final weights.json (parameters and batch-norm
     running statistics) are compared with PyTorch's numbers; the resolved config is checked
     against the config and the README's defaults, and the data's shape and labels.
Then an edge case: a batch-norm batch of one sample, which PyTorch refuses, must be refused by
nnlab too (exit 2, as its README says). Last, the configs' coverage is checked (every activation,
optimizer and output, clipping on some steps only, batch norm, skips with and without dropped
connections, partial and full batches, depth 0, float32, CSV data).

A number x (nnlab) passes against r (PyTorch) when |x - r| <= rtol * max(|r|, floor * S), with
rtol = 1e-9 for float64 runs and 1e-4 for float32 runs, floor = 1e-4 (float64) or 1e-3 (float32),
and S the natural scale of the quantity: the step's global gradient norm for gradient norms (for
a parameter's gradient, at least its layer's ||delta||, the size of the terms it sums), the total
parameter norm for value norms and final weights, the rms activation for activation statistics.
So every quantity above floor * S is compared at the full relative precision rtol; only those
that are tiny sums of larger terms, where rounding decides the digits (e.g. an output bias whose
per-sample gradients cancel), fall back to an absolute tolerance of rtol * floor * S. The
gradient of a hidden bias followed by batch norm is exactly zero; there both sides are rounding
noise, checked to be below rtol * (the step's global gradient norm). Weight tensors are compared
by max-norm: max|x - r| against rtol * max(max|r|, floor * S). Step and epoch numbers, clipped
flags, learning rates, saturated-unit counts, accuracies and the set and order of rows must match
exactly.

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
# Adam is never combined with batch norm here: the bias before batch norm has a zero gradient up
# to rounding, and Adam (plus weight decay) turns that rounding noise into steps of up to lr, so
# the two implementations' pre-norm biases and running means legitimately part ways (PyTorch
# itself behaves the same; the loss and every other number still agree).
# ---------------------------------------------------------------------------------------------
CONFIGS = [
    # Deep sigmoid net, plain SGD, moons; 60 = 3*16 + 12: a partial last batch every epoch.
    {"name": "sigmoid_sgd_moons_partial", "seed": 11, "dtype": "float64",
     "data": {"type": "moons", "train_size": 60, "test_size": 20, "noise": 0.2},
     "model": {"depth": 3, "width": 6, "activation": "sigmoid", "init": "xavier_uniform",
               "bias_init": 0.05},
     "train": {"epochs": 6, "batch_size": 16, "optimizer": "sgd", "lr": 0.8}},
    # The chapter's vanishing gradient: 8 sigmoid layers, the first layer's gradient ~1e-4 of the
    # last; every tensor is still compared at full relative precision.
    {"name": "deep_sigmoid_vanishing", "seed": 10, "dtype": "float64",
     "data": {"type": "moons", "train_size": 64, "test_size": 32, "noise": 0.1},
     "model": {"depth": 8, "width": 12, "activation": "sigmoid"},
     "train": {"epochs": 3, "batch_size": 8, "optimizer": "sgd", "lr": 0.5}},
    # tanh, momentum with weight decay, circles with a two-logit softmax output.
    {"name": "tanh_momentum_wd_circles", "seed": 12, "dtype": "float64",
     "data": {"type": "circles", "train_size": 64, "test_size": 0, "noise": 0.1},
     "model": {"depth": 2, "width": 8, "activation": "tanh", "output": "softmax"},
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
               "batch_norm": True, "bn_momentum": 0.2, "bn_eps": 0.001, "bias_init": 0.1},
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
    # float32, saturated sigmoid units (bias 4, tiny weights): the activations are ~0.982 with
    # a spread of ~2e-4, the case activations.csv exists to show.
    {"name": "float32_saturated_sigmoid", "seed": 25, "dtype": "float32",
     "data": {"type": "moons", "train_size": 128, "test_size": 0, "noise": 0.1},
     "model": {"depth": 2, "width": 16, "activation": "sigmoid", "init": "normal",
               "init_scale": 0.01, "bias_init": 4.0},
     "train": {"epochs": 2, "batch_size": 64, "optimizer": "sgd", "lr": 0.1}},
    # float32: tanh with batch norm, skip 1, momentum with weight decay and clipping, 3 blobs.
    {"name": "float32_tanh_bn_skip_clip", "seed": 24, "dtype": "float32",
     "data": {"type": "blobs", "classes": 3, "features": 2, "train_size": 60, "test_size": 0,
              "noise": 1.0},
     "model": {"depth": 3, "width": 8, "activation": "tanh", "batch_norm": True, "skip": 1},
     "train": {"epochs": 4, "batch_size": 16, "optimizer": "momentum", "lr": 0.05,
               "weight_decay": 0.001, "clip_threshold": 0.8}},
]

TOL = {"float64": (1e-9, 1e-4), "float32": (1e-4, 1e-3)}  # (rtol, floor)


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
    values = np.array([[float(v) for v in r] for r in rows[1:]],
                      dtype=np.float64).reshape(-1, len(header))
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
        self.activation = m["activation"]
        self.slope, self.alpha = m.get("negative_slope"), m.get("elu_alpha")
        self.act = {
            "sigmoid": torch.sigmoid,
            "tanh": torch.tanh,
            "relu": F.relu,
            "leaky_relu": lambda u: F.leaky_relu(u, negative_slope=self.slope),
            "elu": lambda u: F.elu(u, alpha=self.alpha),
            "identity": lambda u: u,
        }[self.activation]
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
                    self.norms.append(bn)
                    self.named += [(layer, "gamma", bn.weight), (layer, "beta", bn.bias)]
                self.sources.append(skip_source(inputs, self.widths, self.skip, layer))
            fan_in = W.shape[0]

    def parameters(self):
        return [p for _, _, p in self.named]

    def train(self, on):
        for bn in self.norms:
            bn.train(on)

    def forward(self, x):
        """x: (B, inputs), samples as rows. Returns the logits, the z of every layer (grads
        retained; the last is the logits) and per hidden layer (pre-activation, act(pre))."""
        outs = [x]
        zs, acts = [], []
        for l in range(self.depth):
            z = self.linears[l](outs[-1])
            if z.requires_grad:
                z.retain_grad()
            zs.append(z)
            u = self.norms[l](z) if self.bn else z
            h = self.act(u)
            acts.append((u, h))
            src = self.sources[l]
            outs.append(h + outs[src] if src >= 0 else h)
        logits = self.linears[-1](outs[-1])
        if logits.requires_grad:
            logits.retain_grad()
        zs.append(logits)
        return logits, zs, acts

    def saturated(self, u, h):
        """activations.csv's documented rule: act'(u) below 5% of the largest derivative."""
        a = self.activation
        if a == "sigmoid":
            mask = h * (1 - h) < 0.05 * 0.25
        elif a == "tanh":
            mask = 1 - h * h < 0.05
        elif a == "relu":
            mask = u <= 0
        elif a == "leaky_relu":
            mask = u <= 0 if self.slope < 0.05 else torch.zeros_like(u, dtype=torch.bool)
        elif a == "elu":
            mask = (u <= 0) & (self.alpha * torch.exp(u) < 0.05 * max(1.0, self.alpha))
        else:
            mask = torch.zeros_like(u, dtype=torch.bool)
        return int(mask.sum()), mask.numel()

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


def evaluate(model, output, x, y):
    """eval.csv's figures: mean loss and accuracy over a split, batch norm in evaluation mode."""
    if x.shape[0] == 0:
        return None, None
    model.train(False)
    with torch.no_grad():
        logits, _, _ = model.forward(x)
        loss = loss_fn(output, logits, y).item()
        if output == "sigmoid":
            acc = float(((logits[:, 0] > 0).to(y.dtype) == y[:, 0]).double().mean())
        elif output == "softmax":
            acc = float((torch.argmax(logits, dim=1) == y[:, 0].long()).double().mean())
        else:
            acc = None
    model.train(True)
    return loss, acc


def torch_train(cfg, tensors, data, dtype):
    """Trains like nnlab with shuffle off; returns per-step records, per-epoch evaluations,
    the final state and the model."""
    (x_np, y_np), (xt_np, yt_np) = data
    model = TorchMlp(cfg, tensors, x_np.shape[1], dtype)
    model.train(True)
    opt = make_optimizer(cfg, model.parameters())
    t = cfg["train"]
    output = cfg["model"]["output"]
    n = x_np.shape[0]
    bs = n if t["batch_size"] == 0 else min(t["batch_size"], n)
    tau = t["clip_threshold"]
    x_all, y_all = torch.tensor(x_np, dtype=dtype), torch.tensor(y_np, dtype=dtype)
    x_test, y_test = torch.tensor(xt_np, dtype=dtype), torch.tensor(yt_np, dtype=dtype)
    every = cfg["log"]["every"]
    steps, evals = [], []

    def run_eval(epoch):
        evals.append((epoch, len(steps)) + evaluate(model, output, x_all, y_all) +
                     evaluate(model, output, x_test, y_test))

    run_eval(0)
    for epoch in range(1, t["epochs"] + 1):
        for start in range(0, n, bs):
            x, y = x_all[start:start + bs], y_all[start:start + bs]
            opt.zero_grad(set_to_none=False)
            logits, zs, acts = model.forward(x)
            loss = loss_fn(output, logits, y)
            loss.backward()
            step = len(steps) + 1
            rec = {"step": step, "epoch": epoch, "loss": loss.item(), "tensors": {},
                   "acts": {}, "log_layers": (step - 1) % every == 0}
            sq = 0.0
            for layer, kind, p in model.named:
                g = float(torch.linalg.norm(p.grad))
                sq += g * g
                rec["tensors"][(layer, kind)] = (g, float(torch.linalg.norm(p.detach())))
            for layer, z in enumerate(zs, start=1):
                rec["tensors"][(layer, "delta")] = (float(torch.linalg.norm(z.grad)), None)
            for layer, (u, h) in enumerate(acts, start=1):
                h = h.detach().to(torch.float64)
                rec["acts"][layer] = (float(h.mean()), float(h.std(unbiased=False)),
                                      model.saturated(u.detach(), h))
            gn = math.sqrt(sq)
            clipped = tau > 0 and gn > tau
            scale = tau / gn if clipped else 1.0   # nnlab's (the chapter's) exact rule
            if clipped:
                with torch.no_grad():
                    for p in model.parameters():
                        p.grad.mul_(scale)
            rec.update(grad_norm=gn, clipped=int(clipped), grad_norm_clipped=gn * scale)
            steps.append(rec)
            before = [(layer, kind, p.detach().clone()) for layer, kind, p in model.named]
            opt.step()
            rec["updates"] = {(layer, kind): float(torch.linalg.norm(p.detach() - b))
                              for (layer, kind, b), (_, _, p) in zip(before, model.named)}
        run_eval(epoch)
    return steps, evals, model.state(), model


# ---------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------
class Comparer:
    def __init__(self, name, dtype_name):
        self.name = name
        self.dtype_name = dtype_name
        self.rtol, self.floor = TOL[dtype_name]
        self.worst = {}      # category -> (err, detail)
        self.failures = []   # (err, category, detail)
        self.all = []        # (err / rtol, err, category, detail)

    def _record(self, category, err, full):
        if category not in self.worst or err > self.worst[category][0]:
            self.worst[category] = (err, full)
        self.all.append((err / self.rtol, err, category, full))
        if not err <= self.rtol:
            self.failures.append((err, category, full))

    def check(self, category, detail, got, expected, scale, floor=None):
        """|got - expected| / max(|expected|, floor * scale) must be <= rtol."""
        floor = self.floor if floor is None else floor
        denom = max(abs(expected), floor * abs(scale))
        if math.isnan(got) or math.isnan(expected):
            err = 0.0 if (math.isnan(got) and math.isnan(expected)) else math.inf
        elif denom == 0:
            err = 0.0 if got == expected else math.inf
        else:
            err = abs(got - expected) / denom
        self._record(category, err, "%s: nnlab %.17g, torch %.17g" % (detail, got, expected))

    def check_tensor(self, category, name, got, expected, scale):
        try:
            got = np.asarray(got, dtype=np.float64)
        except (ValueError, TypeError):
            self.fail(category, "%s: not a numeric array" % name)
            return
        exp = np.asarray(expected, dtype=np.float64)
        if got.shape != exp.shape:
            self.fail(category, "%s: shape %s, torch %s" % (name, got.shape, exp.shape))
            return
        if got.size == 0:
            return
        diff = np.abs(got - exp)
        i = np.unravel_index(int(np.argmax(diff)), diff.shape)
        denom = max(float(np.max(np.abs(exp))), self.floor * scale)
        err = float(diff[i]) / denom if denom > 0 else float(diff[i] != 0) * math.inf
        if not np.all(np.isfinite(got)):
            err = math.inf
        self._record(category, err, "%s%s (max|torch| %.6g): nnlab %.17g, torch %.17g" % (
            name, list(i), denom, float(got[i]), float(exp[i])))

    def exact(self, category, detail, got, expected):
        if got != expected:
            self.fail(category, "%s: nnlab %s, torch %s" % (detail, got, expected))
        elif category not in self.worst:
            self.worst[category] = (0.0, detail)

    def fail(self, category, message):
        self.worst[category] = (math.inf, message)
        self.failures.append((math.inf, category, message))
        self.all.append((math.inf, math.inf, category, message))


def num(field):
    return math.nan if field == "" else float(field)


def compare_run(cmp, cfg, steps, evals, state, run_dir):
    t = cfg["train"]
    bn = cfg["model"]["batch_norm"]
    depth = cfg["model"]["depth"]
    # metrics.csv -----------------------------------------------------------------------------
    rows = read_csv(os.path.join(run_dir, "metrics.csv"),
                    ["step", "epoch", "loss", "grad_norm", "clipped", "grad_norm_clipped", "lr"])
    if len(rows) != len(steps):
        cmp.fail("structure", "metrics.csv has %d steps, torch made %d" % (len(rows), len(steps)))
    as_dtype = np.float32 if cmp.dtype_name == "float32" else np.float64
    loss_scale = abs(steps[0]["loss"]) if steps else 1.0
    for row, s in zip(rows, steps):
        step, epoch, loss, gn, clipped, gnc, lr = row
        where = "step %d" % s["step"]
        cmp.exact("structure", where + " (step, epoch)", (int(step), int(epoch)),
                  (s["step"], s["epoch"]))
        cmp.exact("clipped", where + " clipped (grad_norm nnlab %s, torch %.17g, tau %g)" %
                  (gn, s["grad_norm"], t["clip_threshold"]), int(clipped), s["clipped"])
        cmp.exact("lr", where + " lr", as_dtype(float(lr)), as_dtype(t["lr"]))
        cmp.check("loss", where + " loss", float(loss), s["loss"], loss_scale)
        cmp.check("grad_norm", where + " grad_norm", float(gn), s["grad_norm"], s["grad_norm"])
        cmp.check("grad_norm", where + " grad_norm_clipped", float(gnc), s["grad_norm_clipped"],
                  s["grad_norm"])
    # grad_norms.csv --------------------------------------------------------------------------
    rows = read_csv(os.path.join(run_dir, "grad_norms.csv"),
                    ["step", "layer", "param", "grad_norm", "value_norm", "update_norm"])
    expected_keys = []
    for s in steps:
        if s["log_layers"]:
            # nnlab's order: per layer its tensors, then its delta row.
            order = {"W": 0, "b": 1, "gamma": 2, "beta": 3, "delta": 4}
            for key in sorted(s["tensors"], key=lambda k: (k[0], order[k[1]])):
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
            cmp.check("delta", where, num(r[3]), g, s["grad_norm"])
            if r[4] != "" or r[5] != "":
                cmp.fail("structure", where + ": value_norm and update_norm should be empty")
        elif bn and param == "b" and layer <= depth:
            # A bias followed by batch norm has an exactly zero gradient: both sides are
            # rounding noise, compared absolutely (relative to the step's global norm).
            cmp.check("zero grad", where + " grad_norm", num(r[3]), g, s["grad_norm"], 1.0)
            cmp.check("zero grad", where + " grad_norm is ~0", num(r[3]), 0.0, s["grad_norm"],
                      1.0)
            cmp.check("value_norm", where + " value_norm", num(r[4]), v, total_value)
            cmp.check("update_norm", where + " update_norm", num(r[5]),
                      s["updates"][(layer, param)], total_value)
        else:
            # A gradient is a sum over the batch of terms of the size of delta: a tiny sum of
            # larger terms (e.g. an output bias when the predictions average out) is only as
            # exact as those terms, so the floor's scale is also this layer's ||delta||.
            scale = max(s["grad_norm"], s["tensors"][(layer, "delta")][0])
            cmp.check("tensor grad", where + " grad_norm", num(r[3]), g, scale)
            cmp.check("value_norm", where + " value_norm", num(r[4]), v, total_value)
            # ||W_after - W_before|| (nnlab's update_norm) against torch's optimizer step: an
            # update is a small difference of weights, so it is as exact as the weights are.
            cmp.check("update_norm", where + " update_norm", num(r[5]),
                      s["updates"][(layer, param)], total_value)
    # activations.csv -------------------------------------------------------------------------
    rows = read_csv(os.path.join(run_dir, "activations.csv"),
                    ["step", "layer", "mean", "std", "saturated"])
    expected_keys = [(s["step"], l) for s in steps if s["log_layers"] for l in sorted(s["acts"])]
    got_keys = [(int(r[0]), int(r[1])) for r in rows]
    if got_keys != expected_keys:
        cmp.fail("structure", "activations.csv rows (step, layer) %s... differ from torch's "
                 "%s..." % (got_keys[:4], expected_keys[:4]))
    for r in rows:
        step, layer = int(r[0]), int(r[1])
        s = by_step.get(step)
        if s is None or layer not in s["acts"]:
            continue
        mean, std, (sat, count) = s["acts"][layer]
        where = "step %d layer %d" % (step, layer)
        scale = math.sqrt(mean * mean + std * std)  # the rms of the activations
        cmp.check("activations", where + " mean", num(r[2]), mean, scale)
        cmp.check("activations", where + " std", num(r[3]), std, scale)
        cmp.exact("saturated", where + " saturated units", round(num(r[4]) * count), sat)
    # eval.csv --------------------------------------------------------------------------------
    rows = read_csv(os.path.join(run_dir, "eval.csv"),
                    ["epoch", "step", "train_loss", "train_accuracy", "test_loss",
                     "test_accuracy"])
    if len(rows) != len(evals):
        cmp.fail("structure", "eval.csv has %d rows, expected %d" % (len(rows), len(evals)))
    for r, e in zip(rows, evals):
        epoch, step, train_loss, train_acc, test_loss, test_acc = e
        where = "epoch %d" % epoch
        cmp.exact("structure", where + " (epoch, step)", (int(r[0]), int(r[1])), (epoch, step))
        cmp.check("eval", where + " train_loss", num(r[2]), train_loss, train_loss)
        cmp.exact("eval acc", where + " train_accuracy", r[3] and float(r[3]), train_acc or "")
        if test_loss is None:
            cmp.exact("structure", where + " test columns", (r[4], r[5]), ("", ""))
        else:
            cmp.check("eval", where + " test_loss", num(r[4]), test_loss, test_loss)
            cmp.exact("eval acc", where + " test_accuracy", r[5] and float(r[5]),
                      test_acc or "")
    # weights.json ----------------------------------------------------------------------------
    with open(os.path.join(run_dir, "weights.json")) as f:
        final = json.load(f)["tensors"]
    if set(final) != set(state):
        cmp.fail("structure", "weights.json tensors %s, torch %s" % (sorted(final),
                                                                     sorted(state)))
    params_norm = math.sqrt(sum(float(torch.sum(v.double() ** 2)) for k, v in state.items()
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


def prepare(binary, root, work, spec):
    """Writes the config, runs nnlab with epochs=0 and for real; returns what torch needs."""
    cfg = json.loads(json.dumps(spec).replace("{root}", root))
    cfg.setdefault("train", {})["shuffle"] = False
    cfg.setdefault("log", {})["save_data"] = True
    d = os.path.join(work, cfg["name"])
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
        if json.load(f) != resolved:
            raise Failure("the resolved configs of the two runs differ beyond train.epochs")
    with open(os.path.join(init_dir, "weights.json")) as f:
        tensors = json.load(f)["tensors"]
    data = (read_data(os.path.join(init_dir, "data_train.csv")),
            read_data(os.path.join(init_dir, "data_test.csv")))
    return resolved, tensors, data, run_dir


# Documented defaults (README's config reference) that the torch model takes from nnlab's
# resolved config: checked, so that a wrong default in nnlab cannot hide behind the reference.
DEFAULTS = {
    ("model", "negative_slope"): 0.01, ("model", "elu_alpha"): 1.0, ("model", "skip"): 0,
    ("model", "batch_norm"): False, ("model", "bn_momentum"): 0.1, ("model", "bn_eps"): 1e-5,
    ("train", "momentum"): 0.9, ("train", "beta1"): 0.9, ("train", "beta2"): 0.999,
    ("train", "eps"): 1e-8, ("train", "weight_decay"): 0.0, ("train", "clip_threshold"): 0.0,
    ("log", "every"): 1,
}


def check_inputs(cmp, spec, resolved, data):
    """The resolved config against the spec and the documented defaults; the data's shape."""
    def walk(want, got, path):
        for k, v in want.items():
            if k not in got:
                cmp.fail("config", "resolved config lacks %s" % ".".join(path + [k]))
            elif isinstance(v, dict):
                walk(v, got[k], path + [k])
            elif k != "path" and got[k] != v and not (k == "width" and got[k] == [v] * len(
                    got[k])):
                cmp.fail("config", "%s: resolved %r, the config says %r" % (
                    ".".join(path + [k]), got[k], v))
    walk(spec, resolved, [])
    for (section, key), default in DEFAULTS.items():
        if key not in spec.get(section, {}) and key in resolved[section]:
            cmp.exact("config", "default %s.%s" % (section, key), resolved[section][key],
                      default)
    t, d, m = resolved["train"], resolved["data"], resolved["model"]
    if "lr" not in spec.get("train", {}):
        cmp.exact("config", "default train.lr", t["lr"], 0.001 if t["optimizer"] == "adam"
                  else 0.1)
    (x, y), (xt, yt) = data
    if d["type"] == "csv":
        # Standardised with the training split's mean and population std.
        cmp.exact("data", "train feature means ~0", bool(np.all(np.abs(x.mean(0)) < 1e-12)),
                  True)
        cmp.exact("data", "train feature stds ~1", bool(np.all(np.abs(x.std(0) - 1) < 1e-12)),
                  True)
    else:
        cmp.exact("data", "train/test sizes", (x.shape[0], xt.shape[0]),
                  (d["train_size"], d["test_size"]))
    classes = None
    if d["type"] in ("xor", "circles", "moons", "spirals"):
        classes = 2
    elif d["type"] == "blobs":
        classes = d["classes"]
    elif d["type"] == "csv":
        classes = len(np.unique(np.concatenate([y[:, 0], yt[:, 0]])))
    if classes is not None:
        labels = np.concatenate([y[:, 0], yt[:, 0]])
        cmp.exact("data", "class labels", sorted(set(labels.tolist())),
                  [float(c) for c in range(classes)])
    if "output" not in spec.get("model", {}):
        auto = "linear" if classes is None else "sigmoid" if classes == 2 else "softmax"
        cmp.exact("config", "model.output auto", m["output"], auto)


def run_config(binary, root, work, spec):
    resolved, tensors, data, run_dir = prepare(binary, root, work, spec)
    dtype = torch.float64 if resolved["dtype"] == "float64" else torch.float32
    steps, evals, state, model = torch_train(resolved, tensors, data, dtype)
    cmp = Comparer(resolved["name"], resolved["dtype"])
    check_inputs(cmp, spec, resolved, data)
    compare_run(cmp, resolved, steps, evals, state, run_dir)
    return resolved, steps, cmp, data[0][0].shape[0], model.inputs, model.sources


# ---------------------------------------------------------------------------------------------
# Edge cases where PyTorch refuses what nnlab must refuse too
# ---------------------------------------------------------------------------------------------
def edge_cases(binary, work):
    """Returns a list of failure messages."""
    problems = []
    # Batch norm on a batch of one sample: torch raises; nnlab's README says such a batch is
    # refused (train.batch_size, exit 2). Here the full batches have 16 samples and the last
    # partial batch of every epoch has one (33 = 2*16 + 1).
    bn = torch.nn.BatchNorm1d(3, dtype=torch.float64)
    try:
        bn(torch.zeros(1, 3, dtype=torch.float64))
        torch_refuses = False
    except ValueError:
        torch_refuses = True
    cfg = {"name": "bn_one_sample_last_batch", "seed": 1, "dtype": "float64",
           "data": {"type": "moons", "train_size": 33, "test_size": 0},
           "model": {"depth": 1, "width": 4, "batch_norm": True},
           "train": {"epochs": 1, "batch_size": 16, "shuffle": False}}
    path = os.path.join(work, cfg["name"] + ".json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    out = os.path.join(work, cfg["name"])
    p = subprocess.run([binary, "train", path, "--out", out, "-q"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    ok = p.returncode == 2 and not os.path.exists(out)
    print("%-40s torch: %-22s nnlab: exit %d%s  %s" % (
        "batch norm, last batch of 1 sample", "raises ValueError" if torch_refuses else
        "accepts", p.returncode, ", " + p.stderr.strip().splitlines()[0] if p.stderr.strip()
        else "", "ok" if ok else "FAIL"))
    if not ok:
        problems.append("train_size 33, batch_size 16, batch_norm: the last batch of every epoch "
                        "has 1 sample; torch.nn.BatchNorm1d refuses it (ValueError) and the README "
                        "says nnlab refuses it (exit 2), but nnlab exited %d and trained on it"
                        % p.returncode)
    return problems


# ---------------------------------------------------------------------------------------------
def coverage_problems(results):
    """What the reference configs must cover; a problem here means the list was weakened."""
    seen = {k: set() for k in ("activation", "optimizer", "output")}
    facts = set()
    clipped_values = set()
    wd = 0
    for cfg, steps, n, inputs, sources in results:
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
        s = m["skip"]
        if s > 0:
            possible = [l for l in range(1, m["depth"] + 1) if l - s >= 0]
            if all(sources[l - 1] == l - s for l in possible):
                facts.add("skip %d, every connection present" % s)
            if any(sources[l - 1] == -1 for l in possible):
                facts.add("skip, some connections dropped (widths differ)")
            if s == 1 and sources[0] == 0 or s == 2 and len(sources) > 1 and sources[1] == 0:
                facts.add("skip from the input x")
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
              "partial last batch", "float32", "csv data", "skip 1, every connection present",
              "skip 2, every connection present", "skip, some connections dropped (widths differ)",
              "skip from the input x"):
        if f not in facts:
            problems.append("nothing covers: " + f)
    return problems


def fmt(err):
    return "inf" if math.isinf(err) else "%.1e" % err


CATEGORIES = [("loss", "loss"), ("grad_norm", "gnorm"), ("tensor grad", "tgrad"),
              ("delta", "delta"), ("value_norm", "vnorm"), ("update_norm", "unorm"),
              ("final weights", "weights"),
              ("BN running", "bn-run"), ("activations", "acts"), ("eval", "eval")]
EXACT = ("structure", "clipped", "lr", "saturated", "eval acc")


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
    print("nnlab (%s) vs PyTorch %s: float64 runs at rtol %g, float32 runs at rtol %g" %
          (binary, torch.__version__, TOL["float64"][0], TOL["float32"][0]))
    head = "%-31s %-7s %5s %5s " % ("config", "dtype", "steps", "clip") + \
           " ".join("%7s" % s for _, s in CATEGORIES) + "  result"
    print(head)
    print("-" * len(head))
    failed = 0
    results = []
    overall = []
    configs = [c for c in CONFIGS if only is None or only in c["name"]]
    with tempfile.TemporaryDirectory(prefix="nnlab-torch-") as work:
        for spec in configs:
            try:
                cfg, steps, cmp, n, inputs, sources = run_config(binary, root, work, spec)
            except Exception as e:  # a missing or malformed file, or torch refusing the model
                failed += 1
                print("%-31s ERROR: %s: %s" % (spec["name"], type(e).__name__, e))
                continue
            results.append((cfg, steps, n, inputs, sources))
            nclip = sum(s["clipped"] for s in steps)
            cells = ["%7s" % (fmt(cmp.worst[c][0]) if c in cmp.worst else "-")
                     for c, _ in CATEGORIES]
            ok = not cmp.failures
            failed += not ok
            print("%-31s %-7s %5d %5s %s  %s" % (
                cmp.name, cfg["dtype"], len(steps),
                "%d/%d" % (nclip, len(steps)) if cfg["train"]["clip_threshold"] > 0 else "-",
                " ".join(cells), "ok" if ok else "FAIL (%d)" % len(cmp.failures)))
            for err, cat, detail in sorted(cmp.failures, key=lambda f: -f[0])[:8]:
                print("    FAIL %-13s err %s > %g: %s" % (cat, fmt(err), cmp.rtol, detail))
            if verbose:
                for c in [c for c, _ in CATEGORIES] + ["zero grad"]:
                    if c in cmp.worst:
                        print("    worst %-13s %s: %s" % (c, fmt(cmp.worst[c][0]),
                                                          cmp.worst[c][1]))
            overall += [(r, e, cat, cmp.name, detail) for r, e, cat, detail in cmp.all]
        print("-" * len(head))
        print("columns: the worst relative error of each quantity in the run (see the docstring "
              "for the rule);\nclip = clipped steps / steps; exact checks (step/epoch, clipped, "
              "lr, saturated counts, accuracies, row sets) are reported only on failure")
        print("\nworst deviations, as a fraction of each run's tolerance:")
        for r, e, cat, name, detail in sorted(overall, key=lambda o: -o[0])[:10]:
            print("  %7s of tol  %-30s %-13s %s" % ("%.2g" % r, name, cat, detail))
        print("\nedge cases:")
        problems = edge_cases(binary, work) if only is None else []
    if only is None:
        problems += ["coverage: " + p for p in coverage_problems(results)]
    for p in problems:
        print("FAIL: " + p)
    failed += len(problems)
    print("\n%d configs, %d numbers compared, %s, %.1f s" % (
        len(configs), len(overall), "ALL AGREE" if failed == 0 else "%d FAILURES" % failed,
        time.monotonic() - t0))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
