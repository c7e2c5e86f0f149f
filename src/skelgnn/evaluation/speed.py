"""Inference speed of the registered lifters: latency, throughput, FLOPs and the share of the machine's peak.

For every model (built at its default settings, eval mode, ``torch.no_grad``) :func:`run_speed` measures

* latency: the median wall time of one forward pass on one sample (batch 1),
* throughput: poses per second at a large batch (median over the timed calls),
* forward FLOPs per pose, counted by :class:`torch.utils.flop_counter.FlopCounterMode` on a batch of 64
  after one warm-up call (so per-call work is spread over a batch as in the throughput measurement, and a
  folded graph weight kept between inference calls is not counted; what is counted is what runs), which has
  formulas for matrix products and convolutions only (``mm``, ``addmm``, ``bmm``, ``baddbmm``,
  convolutions, attention kernels; ``einsum`` and ``linear`` are counted through the ``bmm``/``mm``
  they dispatch to). Element-wise arithmetic (``add``, ``mul``, ``relu``, ``tanh``, ``softmax``),
  batch norm, reductions (``sum``) and ``index_add`` are not counted; every report lists the
  uncounted arithmetic ops each model ran,
* the achieved FLOP/s (FLOPs per pose × poses per second) and its ratio to the machine's own dense
  matmul throughput, measured in the same run (square float32 matmuls, best of several).

A sample is one window of ``receptive_field + frames - 1`` input frames giving ``frames`` output
poses; with the default ``frames=1`` every pose pays for a full window, the cost of online lifting.
Temporal models lifting a whole clip share work between neighbouring poses (try ``frames=243``).

With ``train=True`` every model is also timed training (:func:`measure_training`): forward, backward
and an Adam step at the benchmark's batch size in train mode (multi-frame models in their strided
training variant when they have one, as the benchmark trains them), giving ``train_samples_per_s`` and
``train_fraction_of_matmul`` (FLOPs of forward + backward, counted the same way, per second, over the same
matmul reference).

Timings use :class:`torch.utils.benchmark.Timer` (``blocked_autorange``: blocks of calls, median per call,
CUDA synchronised) with the process's thread count.

This is a benchmark, not a test: numbers depend on the machine, its load and the thread count. Run it on
an idle machine: with another job running, OpenMP threads spin-wait against each other and the figures
are meaningless (batch-1 latency of ``fc`` was measured at 35 ms instead of 2.6 ms with a training running).
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..core.distributed import cpu_model
from ..core.errors import SkelgnnError
from ..core.skeleton import H36M_17, Skeleton
from ..models import build, names

__all__ = ["matmul_throughput", "forward_flops", "measure_model", "measure_training", "run_speed",
           "speed_markdown"]

# Ops that move or allocate data without arithmetic: not "missed" by the FLOP counter.
_DATA_MOVEMENT = frozenset(
    "aten." + name for name in (
        "view", "_unsafe_view", "reshape", "t", "transpose", "permute", "expand", "alias", "slice",
        "select", "unsqueeze", "squeeze", "unbind", "split", "split_with_sizes", "unfold", "diagonal",
        "as_strided", "detach", "clone", "contiguous", "copy_", "_to_copy", "empty", "empty_like", "zeros",
        "zeros_like", "new_zeros", "new_full", "new_empty", "full", "fill_", "zero_", "cat", "stack",
        "constant_pad_nd", "index_select", "index", "index_put", "index_put_", "gather", "lift_fresh",
        "_reshape_alias", "flatten", "narrow", "repeat", "arange",
    )
)


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time_calls(fn: Callable[[], object], n: int, device: torch.device) -> list[float]:
    """Wall time in seconds of each of ``n`` calls of ``fn`` (device synchronised around each)."""
    times = []
    for _ in range(n):
        _synchronize(device)
        t0 = time.perf_counter()
        fn()
        _synchronize(device)
        times.append(time.perf_counter() - t0)
    return times


def matmul_throughput(size: int = 2048, repeats: int = 5, device: str | torch.device = "cpu",
                      dtype: torch.dtype = torch.float32) -> float:
    """The machine's dense matmul throughput in FLOP/s: the best of ``repeats`` ``size``×``size`` products.

    One product counts ``2 * size**3`` FLOPs (a multiply and an add per term), the convention of
    :class:`~torch.utils.flop_counter.FlopCounterMode`. One untimed call warms up first.

    Args:
        size: side of the square matrices.
        repeats: timed products; the fastest one is used.
        device: where to run.
        dtype: element type (float32 by default).

    Returns:
        FLOP/s of the fastest product.
    """
    if size < 1 or repeats < 1:
        raise SkelgnnError(f"matmul_throughput: size and repeats must be >= 1, got {size}, {repeats}")
    device = torch.device(device)
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator, dtype=dtype).to(device)
    b = torch.randn(size, size, generator=generator, dtype=dtype).to(device)
    out = torch.empty(size, size, dtype=dtype, device=device)
    torch.mm(a, b, out=out)
    best = min(_time_calls(lambda: torch.mm(a, b, out=out), repeats, device))
    return 2.0 * size ** 3 / best


def _op_names(model: nn.Module, joints_2d: torch.Tensor) -> set[str]:
    """Names (``aten.add`` …) of the ATen ops a forward pass runs; empty if the hook is unavailable."""
    try:
        from torch.utils._python_dispatch import TorchDispatchMode
    except ImportError:  # private API: reporting the missed ops is best effort
        return set()

    class _Recorder(TorchDispatchMode):
        def __init__(self) -> None:
            super().__init__()
            self.ops: set[str] = set()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.ops.add(str(func.overloadpacket))
            return func(*args, **(kwargs or {}))

    recorder = _Recorder()
    with torch.no_grad(), recorder:
        model(joints_2d)
    return recorder.ops


def forward_flops(model: nn.Module, joints_2d: torch.Tensor) -> tuple[int, dict[str, int], list[str]]:
    """FLOPs of one forward pass of ``model`` on ``joints_2d``, counted by ``FlopCounterMode``.

    Args:
        model: a lifter (put it in eval mode first).
        joints_2d: its input, shape (B, T, J, 2).

    Returns:
        ``(total, per_op, uncounted)``: total FLOPs, FLOPs per counted ATen op (``"aten.addmm"`` …),
        and the sorted names of the arithmetic ops that ran without a FLOP formula (data movement
        such as views, ``cat`` and ``index_select`` excluded).
    """
    from torch.utils.flop_counter import FlopCounterMode, flop_registry

    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(joints_2d)
    per_op = {str(op): int(n) for op, n in counter.get_flop_counts().get("Global", {}).items()}
    counted = {str(op) for op in flop_registry}
    ran = _op_names(model, joints_2d)
    uncounted = sorted(op for op in ran if op not in counted and op not in _DATA_MOVEMENT)
    return int(counter.get_total_flops()), per_op, uncounted


FLOP_COUNT_BATCH = 64  # samples per counted forward pass: per-call work is spread over a batch, as when timed


def measure_model(model: nn.Module, *, batch: int = 1024, repeats: int = 10, frames: int = 1,
                  device: str | torch.device = "cpu", budget_s: float = 20.0) -> dict:
    """Latency, throughput and FLOPs of one lifter (no matmul reference; see :func:`run_speed`).

    Args:
        model: a lifter with ``receptive_field`` and ``num_joints``; it is moved to ``device`` and put
            in eval mode.
        batch: samples per forward pass of the throughput measurement.
        repeats: timed calls of the latency measurement (batch 1), and at most that many of the
            throughput measurement.
        frames: output poses per sample; the input has ``receptive_field + frames - 1`` frames.
        device: where to run.
        budget_s: the throughput measurement stops adding calls once their estimated total time
            would exceed this (at least one timed call, after one warm-up call).

    Returns:
        a dict: ``receptive_field``, ``parameters``, ``input_frames``, ``flops_per_pose``,
        ``flops_by_op``, ``uncounted_ops``, ``latency_ms`` (median, batch 1),
        ``poses_per_s_batch1``, ``poses_per_s`` (at ``batch``), ``throughput_calls``,
        ``throughput_ms`` (median time of one batched call) and ``achieved_flops_per_s``.
    """
    if batch < 1 or repeats < 1 or frames < 1:
        raise SkelgnnError(f"batch, repeats and frames must be >= 1, got {batch}, {repeats}, {frames}")
    device = torch.device(device)
    model = model.to(device).eval()
    rf, J = int(model.receptive_field), int(model.num_joints)
    T = rf + frames - 1
    generator = torch.Generator().manual_seed(0)
    one = (torch.randn(1, T, J, 2, generator=generator) * 0.3).to(device)
    many = (torch.randn(batch, T, J, 2, generator=generator) * 0.3).to(device)
    counted = many[:FLOP_COUNT_BATCH]
    with torch.no_grad():
        model(one)  # warm-up: per-call work that inference keeps between calls (folded graph weights) is done
    flops, by_op, uncounted = forward_flops(model, counted)
    flops, by_op = flops / len(counted), {k: v / len(counted) for k, v in by_op.items()}
    with torch.no_grad():
        latency = statistics.median(_time_calls(lambda: model(one), repeats, device))
        first = _time_calls(lambda: model(many), 1, device)[0]  # warm-up, also the time estimate
        n = max(1, min(repeats, int(budget_s / max(first, 1e-9))))
        big = statistics.median(_time_calls(lambda: model(many), n, device))
    poses_per_s = batch * frames / big
    flops_per_pose = flops / frames
    return {
        "receptive_field": rf,
        "parameters": sum(p.numel() for p in model.parameters()),
        "input_frames": T,
        "flops_per_pose": flops_per_pose,
        "flops_by_op": {k: v / frames for k, v in sorted(by_op.items())},
        "uncounted_ops": uncounted,
        "latency_ms": latency * 1e3,
        "poses_per_s_batch1": frames / latency,
        "poses_per_s": poses_per_s,
        "throughput_calls": n,
        "throughput_ms": big * 1e3,
        "achieved_flops_per_s": flops_per_pose * poses_per_s,
    }


def _median_seconds(fn: Callable[[], object], min_run_time: float) -> float:
    """Median seconds per call of ``fn`` by ``torch.utils.benchmark.Timer.blocked_autorange``."""
    from torch.utils import benchmark

    timer = benchmark.Timer("fn()", globals={"fn": fn}, num_threads=torch.get_num_threads())
    return float(timer.blocked_autorange(min_run_time=min_run_time).median)


def measure_training(model: nn.Module, *, batch: int = 256, device: str | torch.device = "cpu",
                     min_run_time: float = 5.0) -> dict:
    """Training throughput of one lifter: forward + backward + Adam step on ``batch`` samples, train mode.

    A sample is one receptive-field window with one target pose; models with a strided training
    variant (``supports_strided``) run it, as ``train.strided`` does. The loss is the mean squared
    error; the weights change at every step (the optimiser runs), as in training.

    Returns:
        ``train_batch``, ``train_strided``, ``train_flops_per_sample`` (forward + backward, counted by
        ``FlopCounterMode``), ``train_step_ms`` (median) and ``train_samples_per_s``.
    """
    from torch.utils.flop_counter import FlopCounterMode

    if batch < 1:
        raise SkelgnnError(f"batch must be >= 1, got {batch}")
    device = torch.device(device)
    model = model.to(device).train()
    rf, J = int(model.receptive_field), int(model.num_joints)
    strided = rf > 1 and bool(getattr(model, "supports_strided", False))
    generator = torch.Generator().manual_seed(1)
    x = (torch.randn(batch, rf, J, 2, generator=generator) * 0.3).to(device)
    y = (torch.randn(batch, 1, J, 3, generator=generator) * 0.3).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def forward_backward() -> None:
        out = model(x, strided=True) if strided else model(x)
        loss = (out - y).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()

    def step() -> None:
        forward_backward()
        opt.step()

    counter = FlopCounterMode(display=False)
    with counter:
        forward_backward()
    step()  # warm-up (allocates the optimiser state)
    seconds = _median_seconds(step, min_run_time)
    return {"train_batch": batch, "train_strided": strided,
            "train_flops_per_sample": counter.get_total_flops() / batch,
            "train_step_ms": seconds * 1e3, "train_samples_per_s": batch / seconds}


def _machine(device: torch.device) -> dict:
    info = {
        "device": str(device),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "threads": torch.get_num_threads(),
    }
    info["cpu"] = cpu_model()
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        info["tf32_matmul"] = bool(torch.backends.cuda.matmul.allow_tf32)
    return info


def run_speed(models: Sequence[str] | None = None, *, skeleton: Skeleton = H36M_17, batch: int = 1024,
              repeats: int = 10, frames: int = 1, device: str | torch.device = "cpu", matmul_size: int = 2048,
              matmul_repeats: int = 5, budget_s: float = 20.0, model_kwargs: dict | None = None,
              train: bool = False, train_batch: int = 256,
              progress: Callable[[str], None] | None = None) -> dict:
    """Measure every registered model (or ``models``) at its default settings, and the machine's matmul peak.

    Args:
        models: registry names; None for all of :func:`skelgnn.models.names`.
        skeleton: joint layout the models are built for.
        batch: samples per call of the throughput measurement.
        repeats: timed calls per measurement (see :func:`measure_model`).
        frames: output poses per sample (1: one window per pose).
        device: ``"cpu"`` or a CUDA device.
        matmul_size: side of the square float32 matmul used as the machine's reference.
        matmul_repeats: matmuls timed (best of) before and after the models; the better run is used.
        budget_s: time budget of each throughput measurement.
        model_kwargs: keyword arguments for every model's builder (None: the defaults).
        train: also time training (:func:`measure_training`) at ``train_batch``.
        train_batch: samples per training step (the benchmark's batch size, 256).
        progress: called with a short line before each model (the CLI prints it).

    Returns:
        a JSON-friendly dict ``{"machine": {...}, "settings": {...}, "matmul_flops_per_s": float,
        "models": [{"name": ..., **measure_model(...), "fraction_of_matmul": float}, ...]}``.

    Raises:
        SkelgnnError: an unknown model name or bad arguments.
    """
    try:
        device = torch.device(device)
    except RuntimeError as e:
        raise SkelgnnError(f"bad device {device!r}: {e}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SkelgnnError("device cuda requested but torch.cuda.is_available() is False")
    selected = list(names() if models is None else models)
    known = set(names())
    unknown = [m for m in selected if m not in known]
    if unknown:
        raise SkelgnnError(f"unknown models {unknown}; known: {sorted(known)}")
    if progress:
        progress(f"matmul reference: {matmul_size}x{matmul_size} float32, best of {matmul_repeats}")
    peak = matmul_throughput(matmul_size, matmul_repeats, device)
    rows = []
    for name in selected:
        if progress:
            progress(f"{name} ...")
        model = build(name, skeleton, **(model_kwargs or {}))
        row = {"name": name, **measure_model(model, batch=batch, repeats=repeats, frames=frames,
                                             device=device, budget_s=budget_s)}
        if train:
            torch.manual_seed(0)
            row.update(measure_training(build(name, skeleton, **(model_kwargs or {})), batch=train_batch,
                                        device=device, min_run_time=budget_s / 4))
        rows.append(row)
        del model
    # measured again at the end: the models may have warmed (or throttled) the machine
    peak = max(peak, matmul_throughput(matmul_size, matmul_repeats, device))
    for row in rows:
        row["fraction_of_matmul"] = row["achieved_flops_per_s"] / peak
        if "train_samples_per_s" in row:
            train_flops_per_s = row["train_flops_per_sample"] * row["train_samples_per_s"]
            row["train_fraction_of_matmul"] = train_flops_per_s / peak
    return {
        "machine": _machine(device),
        "settings": {"batch": batch, "repeats": repeats, "frames": frames, "budget_s": budget_s,
                     "matmul_size": matmul_size, "matmul_repeats": matmul_repeats, "skeleton": skeleton.name,
                     "model_kwargs": dict(model_kwargs or {}), "grad": False, "mode": "eval",
                     "train": train, "train_batch": train_batch if train else None},
        "matmul_flops_per_s": peak,
        "models": rows,
    }


def _si(x: float, unit: str = "") -> str:
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= factor:
            return f"{x / factor:.3g} {prefix}{unit}"
    return f"{x:.3g} {unit}".rstrip()


def speed_markdown(report: dict) -> str:
    """The :func:`run_speed` report as a Markdown table with a short header naming the machine."""
    m, s = report["machine"], report["settings"]
    where = m.get("gpu", m.get("cpu", "")) if m["device"] != "cpu" else m.get("cpu", "")
    lines = [
        (f"Device {m['device']} ({where}), torch {m['torch']}, {m['threads']} CPU threads; "
         "eval mode, no grad."),
        (f"Reference: dense {s['matmul_size']}×{s['matmul_size']} float32 matmul = "
         f"{_si(report['matmul_flops_per_s'], 'FLOP/s')} (best of {s['matmul_repeats']}, twice)."),
        (f"Batch 1 latency: median of {s['repeats']} calls; throughput at batch {s['batch']}; "
         f"{s['frames']} output pose(s) per sample. FLOPs: FlopCounterMode (matmuls and convolutions only)."),
        "",
        ("| model | RF | params | FLOPs/pose | latency (ms) | poses/s @1 | poses/s @batch | FLOP/s @batch "
         "| of matmul peak |"),
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in report["models"]:
        lines.append(
            f"| {r['name']} | {r['receptive_field']} | {_si(r['parameters'])} | {_si(r['flops_per_pose'])} "
            f"| {r['latency_ms']:.3g} | {r['poses_per_s_batch1']:.3g} | {r['poses_per_s']:.3g} "
            f"| {_si(r['achieved_flops_per_s'])} | {100 * r['fraction_of_matmul']:.1f} % |"
        )
    if s.get("train"):
        lines += ["", (f"Training: forward + backward + Adam step at batch {s['train_batch']}, train mode "
                       "(multi-frame models strided where they can be), median of torch.utils.benchmark "
                       "blocks."), "",
                  "| model | strided | FLOPs/sample (fwd+bwd) | step (ms) | samples/s | FLOP/s | of matmul "
                  "peak |",
                  "|---|---|--:|--:|--:|--:|--:|"]
        for r in report["models"]:
            lines.append(
                f"| {r['name']} | {'yes' if r['train_strided'] else 'no'} | "
                f"{_si(r['train_flops_per_sample'])} | {r['train_step_ms']:.3g} | "
                f"{r['train_samples_per_s']:.4g} | "
                f"{_si(r['train_flops_per_sample'] * r['train_samples_per_s'])} | "
                f"{100 * r['train_fraction_of_matmul']:.1f} % |")
    missed = sorted({op for r in report["models"] for op in r["uncounted_ops"]})
    if missed:
        ops = ", ".join(f"`{op}`" for op in missed)
        lines += ["", f"Arithmetic ops run but not counted as FLOPs: {ops}."]
    return "\n".join(lines) + "\n"
