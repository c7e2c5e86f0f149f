"""Two alternative layouts of the dynamic HCSF aggregation, timed against the package's own (issue 36 §1).

Same weights, same input, eval mode, no grad; each variant is swapped in by replacing one method, run
alternately three times, best time kept. Variants:

* ``package``: the package's path (``HCSF.apply_dynamic``: the graph's rows (i, k) times x, then one matmul
  with the stacked V_k; ``HopGraph.forward``: tanh, gate and M_k added in the (k, i, j) layout).
* ``x_first``: the other order, x_j V_k for every hop first (one matmul C → (L+1)·C), then one batched matmul
  contracting joints and hops together (J × J·(L+1) by J·(L+1) × C): the same FLOPs, a deeper contraction.
* ``x_first_fused``: ``x_first`` with the graph written by the tanh straight into the (i, j, k) layout that
  its batched matmul reads (no separate copy).

Usage: PYTHONPATH=src python bench/speed/variants_t27.py --threads 2 --batch 1024   (on an idle machine)
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from skelgnn import H36M_17
from skelgnn.models import build, hcsf, hops

PACKAGE_APPLY = hcsf.HCSF.apply_dynamic
PACKAGE_GRAPH = hops.HopGraph.forward


def x_first_apply(self, x, graph):
    """y_i = Σ_(j, k) G_k[i, j] · (x_j V_k), shared weights only."""
    if self.weight_mode != "shared":
        return PACKAGE_APPLY(self, x, graph)
    N, T, J, C_in = x.shape
    K, C = self.num_hops, self.out_channels
    v = self.hop_operators()
    u = torch.matmul(x, v.permute(1, 0, 2).reshape(C_in, K * C))  # (N, T, J, K·C)
    g = graph.permute(0, 1, 3, 4, 2).reshape(N * T, J, J * K)  # columns (j, k)
    y = torch.bmm(g, u.view(N * T, J * K, C)).reshape(N, T, J, C)
    return y if self.fuse.bias is None else y + self.fuse.bias


def fused_graph(self, x, step=0):
    """M_k + α_k·tanh(θᵀφ) written into an (N, T, J, J, K) buffer, returned as its (N, T, K, J, J) view."""
    if (self.embed is None or torch.is_grad_enabled() or self.o_norm != "tanh" or self.per_clip
            or self.o_mask is not None):
        return PACKAGE_GRAPH(self, x, step)
    static = self.static_graph()
    emb = self.embed(x) if step <= 0 else self.embed.strided(x, step)
    N, T, J, _ = emb.shape
    theta, phi = emb.view(N, T, J, 2, self.num_hops, -1).unbind(3)
    logits = torch.einsum("ntikc,ntjkc->ntkij", theta, phi)
    if self.o_scale != 1.0:
        logits.mul_(self.o_scale)
    out = torch.empty(N, T, J, J, self.num_hops).permute(0, 1, 4, 2, 3)
    torch.tanh(logits, out=out)
    if self.gate is not None:
        out.mul_(self.gate)
    if static is not None:
        out.add_(static)
    return out


VARIANTS = {"package": (PACKAGE_APPLY, PACKAGE_GRAPH), "x_first": (x_first_apply, PACKAGE_GRAPH),
            "x_first_fused": (x_first_apply, fused_graph)}


def use(name: str) -> None:
    hcsf.HCSF.apply_dynamic, hops.HopGraph.forward = VARIANTS[name]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--model", default="skeletal_gnn_t27")
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = build(a.model, H36M_17).eval()
    x = torch.randn(a.batch, model.receptive_field, 17, 2, generator=torch.Generator().manual_seed(0)) * 0.3
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    with torch.no_grad():
        use("package")
        ref = model(x)
        for v in VARIANTS:
            use(v)
            print(f"{v}: max |difference| to the package {(model(x) - ref).abs().max().item():.1e}")
        for _ in range(a.rounds):
            for v in VARIANTS:
                use(v)
                t0 = time.perf_counter()
                model(x)
                times[v].append(time.perf_counter() - t0)
    use("package")
    print(f"{a.model}, batch {a.batch}, {a.threads} thread(s), {os.cpu_count()} CPUs, "
          f"torch {torch.__version__}")
    for v, ts in times.items():
        print(f"{v:14s} best {min(ts) * 1e3:7.0f} ms  {a.batch / min(ts):7.1f} poses/s")


if __name__ == "__main__":
    main()
