"""Training: a plain PyTorch loop with validation-based model selection and exact resume.

``run_training(cfg, out_dir)`` reads the benchmark, carves the validation clips out of the training
actors (never the test actors), builds the model, and calls :func:`fit`. Files in ``out_dir``:

* ``last.pt``  — resume checkpoint after every epoch (model, optimiser, schedule, history);
* ``best.pt``  — the model with the lowest validation MPJPE so far (self-describing, no optimiser);
* ``log.jsonl`` — one JSON line per finished epoch (rewritten atomically from the checkpoint's history);
* ``config.toml`` is not written; the resolved config lives inside every checkpoint.

Determinism: the shuffling, the flips and the dropout masks of epoch ``e`` are drawn from generators
seeded with ``(seed, e)``, so a run resumed from ``last.pt`` ends with the same weights as an
uninterrupted one (on the same machine and thread count).

No lost work: every file is written atomically (:mod:`skelgnn.core.io`), so a run killed at any moment
(even SIGKILL) leaves the previous ``last.pt``/``best.pt``/``log.jsonl`` intact, and rerunning the same
command resumes after the last finished epoch. An unreadable ``last.pt`` is a :class:`CheckpointError`
telling what to do; training never silently starts over. A non-finite training loss stops the run
before the optimiser step, so the weights on disk stay those of the last finished epoch.

Launched by ``torchrun`` the same :func:`fit` trains with DistributedDataParallel on the same global
batch; :mod:`skelgnn.core.distributed` says what is split, reduced and synchronised.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..core.errors import CheckpointError, SkelgnnError
from ..core.io import atomic_write_text
from ..core.metrics import mpjpe
from ..core.skeleton import Skeleton, flip_joints
from ..core.validate import torch_seed
from ..data.sequences import SequenceSet
from ..data.windows import PoseWindows
from ..evaluation.report import stack_targets
from ..lifting.checkpoint import DEFAULT_NORMALIZATION, make_checkpoint, save_checkpoint
from ..lifting.inference import predict_sequences
from .config import RunConfig, TrainConfig

__all__ = ["fit", "run_training", "validation_mpjpe", "reestimate_batchnorm"]

log = logging.getLogger(__name__)


def validation_mpjpe(model: nn.Module, seqs: SequenceSet, skeleton: Skeleton, scale_mm: float) -> float:
    """Frame-wise MPJPE (mm, no test-time flip) on ``seqs`` — the model-selection metric."""
    preds = predict_sequences(model, seqs, skeleton, tta=False, scale_mm=scale_mm)
    return float(mpjpe(*stack_targets(preds, seqs)).mean())


def _loss(pred: torch.Tensor, target: torch.Tensor, kind: str) -> torch.Tensor:
    pred = pred - pred[..., :1, :]
    if kind == "l1":
        return (pred - target).abs().mean()
    if kind == "mse":
        return (pred - target).pow(2).mean()
    return mpjpe(pred, target).mean()


def _loss_mm(mean_loss: float, kind: str, scale: float) -> float:
    """The mean training loss in mm: MPJPE / L1 scaled back; for MSE the root (RMS coordinate error)."""
    return scale * math.sqrt(max(mean_loss, 0.0)) if kind == "mse" else scale * mean_loss


def _resume(path: Path, name: str, kwargs: dict, model: nn.Module, opt, sched,
            scaler) -> tuple[list[dict], float, int]:
    """Load the training state of ``path`` (``last.pt``) into the model, optimiser, schedule and scaler.

    Returns ``(history, best validation MPJPE, epochs without improvement)``; a fresh start without the file.
    """
    if not path.exists():
        return [], math.inf, 0
    from .resume import read_training_state

    ckpt = read_training_state(path)
    if "resume" not in ckpt or ckpt["model"]["name"] != name or ckpt["model"]["kwargs"] != kwargs:
        raise CheckpointError(f"{path}: belongs to another run (model "
                              f"{ckpt['model']['name']} {ckpt['model']['kwargs']}); use a new --out")
    model.load_state_dict(ckpt["state_dict"])
    opt.load_state_dict(ckpt["resume"]["optimizer"])
    sched.load_state_dict(ckpt["resume"]["scheduler"])
    if scaler is not None and "scaler" in ckpt["resume"]:
        scaler.load_state_dict(ckpt["resume"]["scaler"])
    history = json.loads(ckpt["resume"]["history"])
    log.info("resuming %s at epoch %d", path.parent, len(history) + 1)
    return history, ckpt["resume"]["best"], ckpt["resume"]["bad_epochs"]


def _validate(ctx, model: nn.Module, seqs: SequenceSet, skeleton: Skeleton, scale_mm: float) -> float:
    """:func:`validation_mpjpe`; under DDP sharded by sequence over the ranks, with rank 0's result
    everywhere."""
    from ..core import distributed as ddp

    if not ctx.distributed:
        return validation_mpjpe(model, seqs, skeleton, scale_mm)
    ddp.broadcast_buffers(ctx, model)  # BatchNorm running statistics: rank 0's on every rank
    part = seqs.subset(range(ctx.rank, len(seqs), ctx.world_size))
    total, frames = 0.0, 0.0
    if len(part):
        preds = predict_sequences(model, part, skeleton, tta=False, scale_mm=scale_mm)
        err = mpjpe(*stack_targets(preds, part))
        total, frames = float(err.sum()), float(err.numel())
    total, frames = ddp.sum_over_ranks(ctx, [total, frames])
    return ddp.broadcast_value(ctx, total / frames if frames else math.nan)


def reestimate_batchnorm(model: nn.Module, batches, *, strided: bool = False) -> int:
    """Replace the BatchNorm running averages of ``model`` by statistics of ``batches`` (precise BN).

    The model runs in eval mode (no dropout) except its BatchNorm layers, which accumulate an equal-weight
    average over the batches (``momentum=None``); gradients are off. The running averages kept during
    training mix statistics of many recent weights and are taken with dropout on; on HDM05-Lift this
    mismatch cost the trained multi-frame Skeletal GNNs 2 to 42 mm of validation MPJPE (measured with
    ``bench/precise_bn_check.py``; docs/training.md, "Multi-frame training"). Returns the number of
    BatchNorm layers re-estimated (0: ``batches`` is not consumed).

    Args:
        model: any module; left in eval mode.
        batches: iterable of ``(x, ...)`` tuples or tensors ``x``, inputs of ``model``.
        strided: call ``model(x, strided=True)`` (the multi-frame strided training variant).
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return 0
    device = next(model.parameters()).device
    momenta = [m.momentum for m in norms]
    model.eval()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches
        m.train()
    try:
        with torch.no_grad():
            for batch in batches:
                x = (batch[0] if isinstance(batch, (tuple, list)) else batch).to(device)
                model(x, strided=True) if strided else model(x)
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        model.eval()
    return len(norms)


def _scheduler(opt, cfg: TrainConfig):
    """The per-epoch learning-rate schedule: exponential (× ``lr_decay``) or a half cosine to 0 over
    ``epochs``."""
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, cfg.epochs), eta_min=0.0)
    return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=cfg.lr_decay)


def _batches(train_set: PoseWindows, batch: int, generator: torch.Generator):
    """One epoch of shuffled batches ``(x, y)``; the same order as ``RandomSampler`` with ``generator``.

    Batches are gathered with one indexing call each (:meth:`PoseWindows.batch`), not sample by sample.
    """
    order = torch.randperm(len(train_set), generator=generator)
    for start in range(0, len(order), batch):
        yield train_set.batch(order[start:start + batch])


def _autocast(amp: str):
    """A fresh mixed-precision context for one forward pass (a no-op context when ``amp`` is "off")."""
    if amp == "off":
        return contextlib.nullcontext()
    return torch.autocast("cuda", dtype=torch.bfloat16 if amp == "bf16" else torch.float16)


def _remove_stale_temp_files(out: Path) -> None:
    """Temporary files of atomic writes that a killed run left behind (the real files are intact)."""
    from ..core.io import stale_temp_files

    for name in ("last.pt", "best.pt", "log.jsonl"):
        for tmp in stale_temp_files(out / name):  # only skelgnn's own, of processes no longer running
            tmp.unlink(missing_ok=True)


def fit(model: nn.Module, *, name: str, kwargs: dict, skeleton: Skeleton, train_set: PoseWindows,
        val_seqs: SequenceSet, cfg: TrainConfig, out_dir: str | Path, config: dict | None = None,
        normalization: dict | None = None, progress: bool = True) -> list[dict]:
    """Train ``model`` (built by ``name``/``kwargs``) and write checkpoints into ``out_dir``.

    Resumes from ``out_dir/last.pt`` when it exists; an unreadable ``last.pt`` is a
    :class:`CheckpointError` (never a silent fresh start). Launched by torchrun (``WORLD_SIZE`` > 1)
    this is DistributedDataParallel training with the same global batch (:mod:`skelgnn.core.distributed`).
    Returns the per-epoch history (on every rank).
    """
    from tqdm import tqdm

    from ..core import distributed as ddp

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    normalization = dict(normalization or DEFAULT_NORMALIZATION)
    scale = float(normalization["target_scale_mm"])
    ctx = ddp.setup(cfg.device)
    try:
        if cfg.amp != "off" and ctx.device.type != "cuda":
            raise SkelgnnError(f"train.amp = {cfg.amp!r} needs a CUDA device, but this run is on "
                               f"{ctx.device}; set train.amp = 'off'")
        batch = ddp.per_rank_batch(cfg.batch_size, train_set.chunk, ctx.world_size)
        model.to(ctx.device)
        if ctx.distributed and cfg.sync_bn and ctx.device.type == "cuda":
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, amsgrad=cfg.amsgrad,
                               weight_decay=cfg.weight_decay)
        sched = _scheduler(opt, cfg)
        scaler = torch.amp.GradScaler("cuda") if cfg.amp == "fp16" else None
        history, best, bad_epochs = _resume(out / "last.pt", name, kwargs, model, opt, sched, scaler)
        if ctx.is_main:
            _remove_stale_temp_files(out)
        net = ddp.wrap_model(ctx, model) if ctx.distributed else model
        strided = cfg.strided and getattr(model, "receptive_field", 1) > 1
        _check_windowed(model, name, train_set.chunk, strided)
        causal = bool(getattr(model, "causal", False))
        if getattr(model, "receptive_field", 1) > 1 and causal != train_set.causal:
            raise SkelgnnError(f"model {name!r} is {'' if causal else 'not '}causal but its training "
                               f"windows target the {'last' if train_set.causal else 'centre'} frame; build "
                               "them with PoseWindows(..., causal=model.causal)")
        if strided and not getattr(model, "supports_strided", False):
            raise SkelgnnError(f"train.strided = true, but model {name!r} has no strided training variant; "
                               "set train.strided = false")
        show = progress and ctx.is_main
        for epoch in range(len(history), cfg.epochs):
            if cfg.patience and bad_epochs >= cfg.patience:
                break
            t0, cpu0 = time.perf_counter(), time.process_time()
            net.train()
            train_set.set_epoch(epoch)
            if ctx.distributed:  # rank r: samples r, r + W, ... of the single-process permutation below
                loader = ddp.train_loader(ctx, train_set, batch, torch_seed(cfg.seed * 1_000_003), epoch)
            else:
                g = torch.Generator().manual_seed(torch_seed(cfg.seed * 1_000_003) + epoch)
                loader = _batches(train_set, batch, g)
            # dropout masks of this epoch
            torch.manual_seed(torch_seed(cfg.seed * 7_919 + epoch + 104_729 * ctx.rank))
            total, count = 0.0, 0
            bar = tqdm(loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch", disable=not show,
                       leave=False)
            for x, y in bar:
                x, y = x.to(ctx.device), y.to(ctx.device)
                with _autocast(cfg.amp):
                    pred = net(x, strided=True) if strided else net(x)
                loss = _loss(pred.float(), y / scale, cfg.loss)
                # every rank sees the same value and stops together
                step_loss = ddp.mean_over_ranks(ctx, loss)
                if not torch.isfinite(step_loss):
                    raise SkelgnnError(f"epoch {epoch + 1}: the training loss became {step_loss.item()}; "
                                       "stopping before the weights are corrupted (last good checkpoint: "
                                       f"{out / 'last.pt'}). Try a lower train.lr.")
                opt.zero_grad(set_to_none=True)
                if scaler is None:
                    loss.backward()
                    opt.step()
                else:
                    scaler.scale(loss).backward()
                    scaler.step(opt)
                    scaler.update()
                total += step_loss.item() * y.shape[0] * y.shape[1] * ctx.world_size
                count += y.shape[0] * y.shape[1] * ctx.world_size
                bar.set_postfix(loss_mm=f"{_loss_mm(total / count, cfg.loss, scale):.1f}")
            sched.step()
            if cfg.precise_bn > 0:  # the same windows on every run: their own seeded generator, no dropout
                mix = cfg.seed * 1_000_003 + epoch + 500_009 * (ctx.rank + 1)
                g = torch.Generator().manual_seed(torch_seed(mix))
                batches = _batches(train_set, batch, g)
                reestimate_batchnorm(model, itertools.islice(batches, cfg.precise_bn), strided=strided)
            val = _validate(ctx, model, val_seqs, skeleton, scale)
            improved = val < best
            best, bad_epochs = (val, 0) if improved else (best, bad_epochs + 1)
            row = {"epoch": epoch + 1, "train_loss_mm": _loss_mm(total / max(count, 1), cfg.loss, scale),
                   "val_mpjpe": val,
                   "best_val_mpjpe": best, "lr": opt.param_groups[0]["lr"],
                   "seconds": round(time.perf_counter() - t0, 2),
                   "cpu_seconds": round(time.process_time() - cpu0, 2)}
            history.append(row)
            if ctx.is_main:  # the other ranks wait at the barrier below
                metrics = {"val_mpjpe": val, "epoch": epoch + 1}
                if improved:
                    save_checkpoint(out / "best.pt",
                                    make_checkpoint(name, kwargs, skeleton, model, config=config,
                                                    metrics=metrics, normalization=normalization))
                resume = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                          "history": json.dumps(history), "best": best, "bad_epochs": bad_epochs}
                if scaler is not None:
                    resume["scaler"] = scaler.state_dict()
                save_checkpoint(out / "last.pt", make_checkpoint(name, kwargs, skeleton, model, config=config,
                                                                 metrics=metrics, resume=resume,
                                                                 normalization=normalization))
                atomic_write_text(out / "log.jsonl", "".join(json.dumps(r) + "\n" for r in history))
                log.info("epoch %d: train %.2f mm, val MPJPE %.2f mm%s", epoch + 1, row["train_loss_mm"], val,
                         " (best)" if improved else "")
            ddp.barrier(ctx)
            if show:
                tqdm.write(f"epoch {epoch + 1:3d}  train {row['train_loss_mm']:7.2f} mm  val MPJPE "
                           f"{val:7.2f} mm{'  *best*' if improved else ''}  ({row['seconds']:.0f} s)")
        return history
    finally:
        ddp.teardown(ctx)


def _check_windowed(model: nn.Module, name: str, chunk: int, strided: bool) -> None:
    """A ``windowed`` model (``o_window = "clip"``) trains on single receptive-field windows only: a chunk
    shares no computation between its targets (each needs its own window) and the strided variant sees
    only the dilated frames, so neither is the model's function; refuse both with what to set."""
    if not getattr(model, "windowed", False):
        return
    if strided:
        raise SkelgnnError(f"train.strided = true, but model {name!r} computes one graph O_k per window "
                           "(o_window = 'clip') from every frame of it, so it has no strided training "
                           "variant; set train.strided = false")
    if chunk > 1:
        raise SkelgnnError(f"train.chunk = {chunk}, but model {name!r} computes one graph O_k per window "
                           "(o_window = 'clip'): every target frame needs its own receptive-field window; "
                           "set train.chunk = 0 (auto) or 1")


MIN_WINDOWS_PER_BATCH = 64


def default_chunk(receptive_field: int, batch_size: int, windowed: bool = False) -> int:
    """Target frames per training sample when ``train.chunk`` is 0 (auto).

    Single-frame models: 1 (every frame its own sample). Multi-frame models: the largest chunk, at
    most 32, that still leaves at least 64 independent windows in a batch of ``batch_size`` target
    frames. Chunks share computation between neighbouring targets, but a batch made of a few long
    chunks holds few independent poses: on HDM05-Lift with batch 256, tcn27 reached a validation
    MPJPE of 157 mm after 5 epochs with chunk 32 (8 windows per batch), 114 mm with chunk 8 and
    79 mm with chunk 4 (docs/training.md, "Multi-frame training"). ``windowed`` models (``o_window =
    "clip"``): 1, one receptive-field window per target frame.
    """
    if receptive_field == 1 or windowed:
        return 1
    return max(1, min(32, batch_size // MIN_WINDOWS_PER_BATCH))


def training_header(cfg: RunConfig, model: nn.Module, windows: PoseWindows, train: SequenceSet,
                    val: SequenceSet) -> str:
    """One line printed before the progress bar: model, parameters, train/val sizes, device, threads."""
    import os

    from ..core.distributed import resolve_device

    params = sum(p.numel() for p in model.parameters())
    kwargs = ", ".join(f"{k}={v}" for k, v in cfg.model.kwargs.items())
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    device = resolve_device(cfg.train.device)
    return (f"Training {cfg.model.name}{f' ({kwargs})' if kwargs else ''}: {params / 1e6:.3f} M parameters, "
            f"receptive field {model.receptive_field}; train {len(windows):,} samples "
            f"({windows.chunk} target frame(s) each) from {len(train)} sequences; validation {len(val)} "
            f"sequences, {val.num_frames:,} frames; device {device}"
            f"{f' x {world} processes' if world > 1 else ''}; {torch.get_num_threads()} torch thread(s); "
            f"{cfg.train.epochs} epochs of batch {cfg.train.batch_size}.")


def _fit_normalization(model: nn.Module, train: SequenceSet, skeleton: Skeleton, *, flip: bool) -> None:
    """Give a model that standardises its inputs/outputs (``fit_normalization``, e.g. ``fc`` with
    ``zscore``) the statistics of the training frames, mirrored copies included when training flips."""
    if not hasattr(model, "fit_normalization"):
        return
    x = np.concatenate(train.inputs)
    y = np.concatenate(train.targets) / float(DEFAULT_NORMALIZATION["target_scale_mm"])
    if flip:
        x, y = np.concatenate([x, flip_joints(x, skeleton)]), np.concatenate([y, flip_joints(y, skeleton)])
    model.fit_normalization(torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(y)))


def run_training(cfg: RunConfig, out_dir: str | Path, progress: bool = True) -> list[dict]:
    """Read the benchmark named by ``cfg.data``, build ``cfg.model`` and train it (resumable).

    One writer per run folder: the main process holds :func:`~skelgnn.core.io.folder_lock` on ``out_dir``
    for the whole run, so a second ``train`` (or benchmark) into the same folder is refused naming the
    pid of the first. When it ends, ``best.pt`` is checked (:func:`~skelgnn.training.resume.verify_best`).
    """
    from ..core.distributed import is_main_process
    from ..core.io import folder_lock

    if not is_main_process():  # torchrun: rank 0 holds the lock for every rank
        return _run_training(cfg, out_dir, progress)
    with folder_lock(out_dir):
        return _run_training(cfg, out_dir, progress)


def _run_training(cfg: RunConfig, out_dir: str | Path, progress: bool = True) -> list[dict]:
    from ..models import build
    from .datasets import training_sequences
    from .resume import check_resume

    if cfg.train.threads > 0:
        torch.set_num_threads(cfg.train.threads)
    train, val, skeleton = training_sequences(cfg.data)  # kind = "hdm05" | "h36m" (skelgnn.training.datasets)
    torch.manual_seed(cfg.train.seed)
    model = build(cfg.model.name, skeleton, **cfg.model.kwargs)
    chunk = 1 if cfg.train.strided else cfg.train.chunk or default_chunk(
        model.receptive_field, cfg.train.batch_size, bool(getattr(model, "windowed", False)))
    _check_windowed(model, cfg.model.name, chunk, cfg.train.strided and model.receptive_field > 1)
    windows = PoseWindows(train, model.receptive_field, skeleton, flip=cfg.train.flip, seed=cfg.train.seed,
                          chunk=chunk, causal=bool(getattr(model, "causal", False)))
    _fit_normalization(model, train, skeleton, flip=cfg.train.flip)
    config = cfg.to_dict()
    config["train"]["chunk"] = chunk  # the checkpoint records the chunk actually used, not "auto"
    normalization = dict(DEFAULT_NORMALIZATION, input=cfg.data.input_norm)
    # skelgnn.training.resume
    check_resume(Path(out_dir) / "last.pt", config, normalization, defaults=RunConfig().to_dict())
    if progress:
        from tqdm import tqdm

        from ..core.distributed import is_main_process

        if is_main_process():
            tqdm.write(training_header(cfg, model, windows, train, val))
    history = fit(model, name=cfg.model.name, kwargs=cfg.model.kwargs, skeleton=skeleton, train_set=windows,
                  val_seqs=val, cfg=cfg.train, out_dir=out_dir, config=config, progress=progress,
                  normalization=normalization)
    from ..core.distributed import is_main_process

    if is_main_process() and history:
        from .resume import verify_best

        verify_best(Path(out_dir) / "best.pt", history)
    return history
