"""Time a lifter built from two versions of the package in ONE process, alternating, with the matmul
reference measured between them: for before/after ratios on a machine whose load changes (the figures are
ratios within the run, not speeds to quote).

Usage: PYTHONPATH=src:/tmp/old python bench/speed/compare_before_after.py --old skelgnn_old
where /tmp/old/skelgnn_old is ``git archive <commit> src/skelgnn`` renamed (the package imports are relative).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time

import torch

from skelgnn.evaluation.speed import forward_flops, matmul_throughput


def seconds(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def train_step(model, x, y, strided: bool):
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step() -> None:
        out = model(x, strided=True) if strided else model(x)
        loss = (out - y).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--old", default="skelgnn_old")
    p.add_argument("--models", nargs="+", default=["skeletal_gnn_t27", "skeletal_gnn"])
    p.add_argument("--threads", type=int, nargs="+", default=[1])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--train-batch", type=int, default=64)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2)
    a = p.parse_args()
    packages = {"before": importlib.import_module(a.old), "after": importlib.import_module("skelgnn")}
    for threads in a.threads:
        torch.set_num_threads(threads)
        for name in a.models:
            models = {}
            for label, pkg in packages.items():
                torch.manual_seed(0)
                models[label] = importlib.import_module(f"{pkg.__name__}.models").build(name, pkg.H36M_17)
            models["before"].load_state_dict(models["after"].state_dict())
            rf = models["after"].receptive_field
            strided = rf > 1 and models["after"].supports_strided
            g = torch.Generator().manual_seed(0)
            x = torch.randn(a.batch, rf, 17, 2, generator=g) * 0.3
            xt = torch.randn(a.train_batch, rf, 17, 2, generator=g) * 0.3
            yt = torch.randn(a.train_batch, 1, 17, 3, generator=g) * 0.3
            flops = {k: forward_flops(m.eval(), x[:64])[0] / 64 for k, m in models.items()}
            res = {k: {"inf": [], "train": []} for k in models}
            peaks = []
            for _ in range(a.rounds):
                for label, model in models.items():
                    peaks.append(matmul_throughput(1024, 3))
                    model.eval()
                    with torch.no_grad():
                        t = seconds(lambda m=model, x=x: m(x), a.repeats)
                    res[label]["inf"].append(flops[label] * a.batch / t / peaks[-1])
                    model.train()
                    t = seconds(train_step(model, xt, yt, strided), a.repeats)
                    res[label]["train"].append(a.train_batch / t / peaks[-1] * 1e9)
            peak = statistics.median(peaks) / 1e9
            print(f"{name}, {threads} thread(s), matmul {peak:.1f} GFLOP/s (median)")
            med = {k: {m: statistics.median(v) for m, v in r.items()} for k, r in res.items()}
            for label in models:
                print(f"  {label:6s}: counted FLOPs/pose {flops[label] / 1e6:.1f} M; inference batch "
                      f"{a.batch}: {100 * med[label]['inf']:.1f} % of matmul; training batch "
                      f"{a.train_batch}{' (strided)' if strided else ''}: "
                      f"{med[label]['train']:.3g} samples/s per GFLOP/s of matmul")
            ratio = (med["after"]["inf"] / flops["after"]) / (med["before"]["inf"] / flops["before"])
            print(f"  after/before poses per second (inference): {ratio:.2f}; training samples per second: "
                  f"{med['after']['train'] / med['before']['train']:.2f} (medians over rounds)")


if __name__ == "__main__":
    main()
