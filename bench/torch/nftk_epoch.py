#!/usr/bin/env python3
"""Time one training epoch of the finite NFT-K MLP in PyTorch.

This is the PyTorch side of the comparison with internal/train's
BenchmarkEpochMNISTShape (see bench/torch/run.sh). The network, optimizers
and loss are the ones of DESIGN.md section 6 and internal/train:

  * L hidden layers of width n (default 10 x 256), ReLU, standard
    parameterization: g1 = W1 x + b1, gl = Wl h(l-1) + bl, Xavier-normal
    weights (std = sqrt(2/(fan_in+fan_out))), zero biases;
  * one readout V_l (d x n, no bias, Xavier-normal) per hidden layer and
    f(x) = sum_l omega_l * V_l h_l(x), Omega = [omega_1..omega_L] (d x L)
    initialised to all ones and projected onto Omega >= 0 after every step;
  * loss: mean over the batch of the squared error summed over the d
    outputs, i.e. ((f - y)**2).sum(1).mean() on one-hot targets (this is
    d times torch.nn.MSELoss(), which also averages over outputs;
    --mean-outputs switches to that convention, as train.Settings.MeanOutputs
    does in Go);
  * two plain SGD optimizers: theta (all W, b, V) with lr 0.02 and Omega
    with lr 0.05, both with weight_decay 2e-6; batch 50; the data are
    shuffled each epoch.

The data are random, of MNIST shape by default (60000 x 784, d = 10), so
the timing does not depend on a data set being present. Only the epoch loop
is timed (not the initialisation or the data generation), as in Go, where
BenchmarkEpochMNISTShape reports the epoch's EpochStats.Seconds; the CPU
time of the process over the same loop (all threads, time.process_time) is
printed too, since a busy machine disturbs it less than the wall time. The result is
printed as one line of key=value pairs.
"""
import argparse
import os
import time

import torch


class NFTK(torch.nn.Module):
    def __init__(self, m, n, depth, d, plain=False):
        super().__init__()
        self.hidden = torch.nn.ModuleList(
            [torch.nn.Linear(m if l == 0 else n, n) for l in range(depth)])
        self.heads = torch.nn.ModuleList(
            [torch.nn.Linear(n, d, bias=False) for _ in range(depth)])
        for lin in list(self.hidden) + list(self.heads):
            torch.nn.init.xavier_normal_(lin.weight)
            if lin.bias is not None:
                torch.nn.init.zeros_(lin.bias)
        self.omega = torch.nn.Parameter(torch.ones(d, depth))
        self.plain = plain

    def forward(self, x):
        h = x
        out = None
        last = len(self.hidden) - 1
        for l, (lin, head) in enumerate(zip(self.hidden, self.heads)):
            h = torch.relu(lin(h))
            if self.plain and l != last:
                continue
            term = head(h) * self.omega[:, l]
            out = term if out is None else out + term
        return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--images", type=int, default=60000)
    p.add_argument("--inputs", type=int, default=784)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--depth", type=int, default=10)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--epochs", type=int, default=1, help="timed epochs (the best is reported)")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave torch's default)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--mean-outputs", action="store_true", help="average the loss over outputs too (nn.MSELoss)")
    p.add_argument("--plain", action="store_true", help="ordinary MLP: only the last readout, Omega fixed")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    if a.threads > 0:
        torch.set_num_threads(a.threads)
    dtype = getattr(torch, a.dtype)
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    # Pixels in [0, 1), each nonzero with probability 0.2 (as in the Go
    # benchmark's mnistShape): squared norms near MNIST's. Dense uniform
    # pixels make this learning rate diverge.
    x = torch.rand(a.images, a.inputs, generator=g, dtype=dtype)
    x *= torch.rand(a.images, a.inputs, generator=g, dtype=dtype) < 0.2
    labels = torch.randint(0, a.classes, (a.images,), generator=g)
    y = torch.nn.functional.one_hot(labels, a.classes).to(dtype)

    net = NFTK(a.inputs, a.width, a.depth, a.classes, a.plain).to(dtype)
    theta = [q for name, q in net.named_parameters() if name != "omega"]
    opt_theta = torch.optim.SGD(theta, lr=0.02, weight_decay=2e-6)
    opt_omega = torch.optim.SGD([net.omega], lr=0.05, weight_decay=2e-6)
    if a.plain:
        with torch.no_grad():
            net.omega.zero_()
            net.omega[:, -1] = 1
        net.omega.requires_grad_(False)

    best = float("inf")
    best_cpu = float("inf")
    loss_sum = 0.0
    for epoch in range(a.epochs):
        perm = torch.randperm(a.images, generator=g)
        t0 = time.perf_counter()
        c0 = time.process_time()
        loss_sum = 0.0
        steps = 0
        for start in range(0, a.images, a.batch):
            idx = perm[start:start + a.batch]
            xb, yb = x[idx], y[idx]
            out = net(xb)
            err = (out - yb) ** 2
            loss = err.mean() if a.mean_outputs else err.sum(1).mean()
            opt_theta.zero_grad(set_to_none=True)
            opt_omega.zero_grad(set_to_none=True)
            loss.backward()
            opt_theta.step()
            if not a.plain:
                opt_omega.step()
                with torch.no_grad():
                    net.omega.clamp_(min=0)
            loss_sum += loss.item()
            steps += 1
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    print("impl=torch version=%s threads=%d dtype=%s images=%d seconds=%.3f cpu_seconds=%.3f images_per_s=%.1f loss=%.4f"
          % (torch.__version__, torch.get_num_threads(), a.dtype, a.images, best, best_cpu,
             a.images / best, loss_sum / max(steps, 1)))


if __name__ == "__main__":
    main()
