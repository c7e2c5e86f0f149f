"""Profile a lifter (default skeletal_gnn_t27) with torch.profiler: inference at one batch (eval, no grad,
one receptive-field window per pose, as ``skelgnn speed`` times it) and one training step (forward,
backward, Adam; strided when the model has the variant). Prints the top ops by self CPU time and the ratio
of the model's counted FLOP/s to a dense float32 matmul timed in the same process.

Usage: PYTHONPATH=src python bench/speed/profile_t27.py [--threads 1 2] [--models skeletal_gnn_t27 ...]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.profiler import ProfilerActivity, profile

from skelgnn import H36M_17
from skelgnn.evaluation.speed import forward_flops, matmul_throughput
from skelgnn.models import build


def best_time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def table(prof, rows: int) -> str:
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows, max_name_column_width=40)


def run(name: str, threads: int, peak: float, a: argparse.Namespace) -> None:
    torch.manual_seed(0)
    model = build(name, H36M_17).eval()
    rf = model.receptive_field
    g = torch.Generator().manual_seed(0)
    x = torch.randn(a.batch, rf, 17, 2, generator=g) * 0.3
    flops = forward_flops(model, x[:64])[0] / 64
    with torch.no_grad():
        t_inf = best_time(lambda: model(x), a.repeats)
    strided = rf > 1 and model.supports_strided
    xt = torch.randn(a.train_batch, rf, 17, 2, generator=g) * 0.3
    yt = torch.randn(a.train_batch, 1, 17, 3, generator=g) * 0.3
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step() -> None:
        out = model(xt, strided=True) if strided else model(xt)
        loss = (out - yt).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    model.train()
    t_train = best_time(step, a.repeats)
    print(f"== {name}, {threads} thread(s): matmul {peak / 1e9:.1f} GFLOP/s; inference batch {a.batch}: "
          f"{t_inf * 1e3:.0f} ms, {flops / 1e6:.1f} MFLOP/pose, {100 * flops * a.batch / t_inf / peak:.1f} % "
          f"of matmul; training step batch {a.train_batch} (strided={strided}): {t_train * 1e3:.0f} ms, "
          f"{a.train_batch / t_train:.0f} samples/s")
    if a.no_profile:
        return
    model.eval()
    with torch.no_grad(), profile(activities=[ProfilerActivity.CPU]) as prof:
        model(x)
    print(f"-- inference profile ({name}, {threads} thread(s), batch {a.batch})\n{table(prof, a.rows)}")
    model.train()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    print(f"-- training step profile ({name}, {threads} thread(s), batch {a.train_batch})")
    print(table(prof, a.rows))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--models", nargs="+", default=["skeletal_gnn_t27"])
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--train-batch", type=int, default=256)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--rows", type=int, default=18)
    p.add_argument("--no-profile", action="store_true")
    a = p.parse_args()
    for threads in a.threads:
        torch.set_num_threads(threads)
        peak = matmul_throughput(2048, 3)
        for name in a.models:
            run(name, threads, peak, a)


if __name__ == "__main__":
    main()
