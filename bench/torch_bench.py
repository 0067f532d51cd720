#!/usr/bin/python3
"""The PyTorch side of the benchmark (bench/run.py): the model, batch shapes, loss, clipping and
update of an nnlab benchmark config (bench/configs/w*.json), in float32 on one thread.

Usage: /usr/bin/python3 torch_bench.py CONFIG [--set KEY=VALUE]... [--warmup N] [--steps N]
Prints one JSON object on stdout, like nnlab_bench:
  {"steps": N, "ms_per_step": mean, "ms_median": median, "ms_min": min,
   "cpu_ms_per_step": mean thread CPU time, "peak_rss_kb": K, "rss_before_training_kb": K0}

One timed step is what an nnlab step is: forward, loss, backward, the L2 norm of every
parameter's gradient (as torch.nn.utils.clip_grad_norm_ computes them, kept per tensor because
they are logged), the global norm, clipping with nnlab's rule (scale tau/||g|| when ||g|| > tau),
the SGD update, and the step's rows written to CSV files in a temporary directory (metrics: step,
loss, global norm, clipped; grad norms: one row per tensor), flushed every step as nnlab does.
The models are the idiomatic PyTorch ones: nn.Linear stacks for MLPs, nn.RNN / nn.LSTM (PyTorch's
fused C++ recurrent loop) with an nn.Linear readout at the last step for the adding problem.
Truncated BPTT runs the chunks without a target under torch.no_grad() (they only advance the
state, as in nnlab) and detaches the state at every chunk boundary.

Data are random tensors of the config's shapes, made before timing (the data values do not
change the cost of a step). Only what the benchmark configs use is supported: MLPs on 2-input
generators or blobs, rnn/lstm on the adding problem, SGD without momentum or weight decay.
"""

import argparse
import csv
import json
import os
import resource
import statistics
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def apply_override(config, assignment):
    key, _, value = assignment.partition("=")
    try:
        value = json.loads(value)
    except json.JSONDecodeError:
        pass
    node = config
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}


class Mlp(torch.nn.Module):
    def __init__(self, inputs, widths, outputs, activation):
        super().__init__()
        sizes = [inputs] + widths
        self.hidden = torch.nn.ModuleList(
            torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.out = torch.nn.Linear(sizes[-1], outputs)
        self.act = ACTIVATIONS[activation]

    def forward(self, x):
        for layer in self.hidden:
            x = self.act(layer(x))
        return self.out(x)


class Recurrent(torch.nn.Module):
    def __init__(self, cell, inputs, hidden, depth, outputs, activation):
        super().__init__()
        if cell == "rnn":
            self.rnn = torch.nn.RNN(inputs, hidden, depth, nonlinearity=activation)
        else:
            self.rnn = torch.nn.LSTM(inputs, hidden, depth)
        self.out = torch.nn.Linear(hidden, outputs)

    def forward(self, x, state):  # x: (T, B, inputs); the readout at the chunk's last step
        h, state = self.rnn(x, state)
        return self.out(h[-1]), state


def detach(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def build(config, pool):
    """The model, a loss and a list of `pool` batches (inputs, target) of the config's shapes."""
    data, model_cfg, train = config.get("data", {}), config.get("model", {}), config.get("train", {})
    if train.get("optimizer", "sgd") != "sgd" or train.get("weight_decay", 0) != 0:
        fail("only plain SGD is supported")
    batch = train.get("batch_size", 32)
    kind = model_cfg.get("type", "mlp")
    depth = model_cfg.get("depth", 2)
    width = model_cfg.get("width", 32)
    widths = width if isinstance(width, list) else [width] * depth
    activation = model_cfg.get("activation", "tanh")
    output = model_cfg.get("output")
    gen = torch.Generator().manual_seed(0)
    if kind == "mlp":
        dtype = data.get("type", "moons")
        if dtype == "blobs":
            inputs, classes = data.get("features", 2), data.get("classes", 3)
        elif dtype in ("xor", "circles", "moons", "spirals"):
            inputs, classes = 2, 2
        else:
            fail(f"data.type {dtype} is not supported for an mlp")
        output = output or ("sigmoid" if classes == 2 else "softmax")
        outputs = 1 if output == "sigmoid" else classes
        model = Mlp(inputs, widths, outputs, activation)
        batches = []
        for _ in range(pool):
            x = torch.randn(batch, inputs, generator=gen)
            labels = torch.randint(0, classes, (batch,), generator=gen)
            y = labels.float().unsqueeze(1) if output == "sigmoid" else labels
            batches.append((x, y))
        if output == "sigmoid":
            loss = F.binary_cross_entropy_with_logits
        elif output == "softmax":
            loss = F.cross_entropy
        else:
            fail("an mlp benchmark needs a classification output")
        return model, loss, batches, None
    if kind not in ("rnn", "lstm") or data.get("type") != "adding":
        fail("recurrent benchmarks support rnn and lstm on data.type adding")
    if len(set(widths)) != 1:
        fail("recurrent benchmarks need one width for every layer")
    length = data.get("length", 50)
    model = Recurrent(kind, 2, widths[0], depth, 1, activation)
    batches = []
    for _ in range(pool):
        x = torch.rand(length, batch, 2, generator=gen)
        y = torch.rand(batch, 1, generator=gen)
        batches.append((x, y))
    return model, F.mse_loss, batches, train.get("truncation", 0) or length


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--no-log", action="store_true",
                        help="skip the per-step CSV rows (what logging costs PyTorch)")
    args = parser.parse_args()
    with open(args.config) as f:
        config = json.load(f)
    for assignment in args.set:
        apply_override(config, assignment)
    if config.get("dtype", "float32") != "float32":
        fail("the benchmark runs float32")
    torch.manual_seed(config.get("seed", 0))
    model, loss_fn, batches, chunk = build(config, pool=8)
    params = [p for p in model.parameters()]
    names = [n for n, _ in model.named_parameters()]
    train = config.get("train", {})
    lr, tau = train.get("lr", 0.1), train.get("clip_threshold", 0.0)
    optimizer = torch.optim.SGD(params, lr=lr)

    tmp = tempfile.TemporaryDirectory(prefix="torch-bench-")
    metrics = open(os.path.join(tmp.name, "metrics.csv"), "w", newline="")
    grad_norms = open(os.path.join(tmp.name, "grad_norms.csv"), "w", newline="")
    metrics_csv, grad_csv = csv.writer(metrics), csv.writer(grad_norms)
    metrics_csv.writerow(["step", "loss", "grad_norm", "clipped", "grad_norm_clipped", "lr"])
    grad_csv.writerow(["step", "param", "grad_norm"])

    def step(number, x, y):
        optimizer.zero_grad(set_to_none=True)
        if chunk is None:
            loss = loss_fn(model(x), y)
        else:
            state, length = None, x.shape[0]
            starts = list(range(0, length, chunk))
            with torch.no_grad():  # chunks without a target only advance the state
                for begin in starts[:-1]:
                    _, state = model(x[begin:begin + chunk], state)
            out, _ = model(x[starts[-1]:], detach(state))
            loss = loss_fn(out, y)
        loss.backward()
        norms = torch.stack([torch.linalg.vector_norm(p.grad) for p in params])
        total = torch.linalg.vector_norm(norms)
        total_value = total.item()
        clipped = tau > 0 and total_value > tau
        if clipped:
            scale = tau / total_value
            for p in params:
                p.grad.mul_(scale)
        optimizer.step()
        if args.no_log:
            return
        metrics_csv.writerow([number, loss.item(), total_value, int(clipped),
                              tau if clipped else total_value, lr])
        for name, norm in zip(names, norms.tolist()):
            grad_csv.writerow([number, name, norm])
        metrics.flush()
        grad_norms.flush()

    rss_before = rss_kb()
    times, cpu = [], 0.0
    for i in range(args.warmup + args.steps):
        x, y = batches[i % len(batches)]
        t0, c0 = time.perf_counter(), time.thread_time()
        step(i + 1, x, y)
        t1, c1 = time.perf_counter(), time.thread_time()
        if i >= args.warmup:
            times.append((t1 - t0) * 1e3)
            cpu += (c1 - c0) * 1e3
    metrics.close()
    grad_norms.close()
    tmp.cleanup()
    print(json.dumps({
        "steps": len(times),
        "ms_per_step": sum(times) / len(times),
        "ms_median": statistics.median(times),
        "ms_min": min(times),
        "cpu_ms_per_step": cpu / len(times),
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rss_before_training_kb": rss_before,
    }))


if __name__ == "__main__":
    main()
