#!/usr/bin/python3
"""The PyTorch side of bench/probe.sh: the loop `nnlab probe` runs, in float32 on one thread.
Per seed: a fresh init (every Linear weight N(0, gain^2 / fan_in) as lecun_normal, biases 0), a
fresh batch of B samples, one forward and backward pass of the width-W, depth-D tanh MLP with a
sigmoid + binary cross-entropy head, no update; per layer ||dL/dz||^2 (z retained), ||dL/dW||,
||dL/db|| and mean z^2 are read back to Python floats, as the probe records them.

Usage: /usr/bin/python3 probe_torch.py [--seeds 100] [--width 256] [--depth 50] [--batch 64]
       [--gain 1.0]
Prints one JSON object: {"seeds": N, "cpu_ms_per_seed": ..., "wall_ms_per_seed": ...,
  "init_cpu_ms_per_seed": ..., "slope": mean fitted slope of ln ||delta||^2 over the middle half}
"""

import argparse
import json
import math
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=100)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--depth", type=int, default=50)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--gain", type=float, default=1.0)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.set_grad_enabled(True)
    layers = [torch.nn.Linear(a.width, a.width) for _ in range(a.depth)] + [torch.nn.Linear(a.width, 1)]
    loss_fn = torch.nn.BCEWithLogitsLoss()
    lo, hi = a.depth // 4 + 1, a.depth - a.depth // 4
    slopes, init_cpu = [], 0.0
    c0, w0 = time.process_time(), time.perf_counter()
    for seed in range(a.seeds):
        torch.manual_seed(seed)
        i0 = time.process_time()
        with torch.no_grad():
            for lin in layers:
                lin.weight.normal_(0.0, a.gain / math.sqrt(lin.in_features))
                lin.bias.zero_()
        init_cpu += time.process_time() - i0
        x = torch.randn(a.batch, a.width)
        y = (torch.rand(a.batch, 1) < 0.5).float()
        h, zs = x, []
        for lin in layers[:-1]:
            z = lin(h)
            z.retain_grad()
            zs.append(z)
            h = torch.tanh(z)
        out = layers[-1](h)
        out.retain_grad()
        zs.append(out)
        for lin in layers:
            lin.weight.grad = None
            lin.bias.grad = None
        loss_fn(out, y).backward()
        delta_sq = [float(z.grad.pow(2).sum()) * a.batch for z in zs]
        _ = [(float(lin.weight.grad.norm()), float(lin.bias.grad.norm())) for lin in layers]
        _ = [float(z.detach().pow(2).mean()) for z in zs]
        xs = list(range(lo, hi + 1))
        ys = [math.log(delta_sq[l - 1]) for l in xs]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slopes.append(sum((u - mx) * (v - my) for u, v in zip(xs, ys)) / sum((u - mx) ** 2 for u in xs))
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    print(json.dumps({"seeds": a.seeds, "cpu_ms_per_seed": 1e3 * cpu / a.seeds,
                      "wall_ms_per_seed": 1e3 * wall / a.seeds,
                      "init_cpu_ms_per_seed": 1e3 * init_cpu / a.seeds,
                      "slope": sum(slopes) / len(slopes)}))


if __name__ == "__main__":
    main()
