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
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, RandomSampler

from .checkpoint import DEFAULT_NORMALIZATION, make_checkpoint, read_checkpoint, save_checkpoint
from .config import RunConfig, TrainConfig
from .data.lifting import PoseWindows, SequenceSet, benchmark_sequences
from .errors import CheckpointError, SkelgnnError
from .evaluate import predict_sequences, stack_targets
from .io import atomic_write_text
from .metrics import mpjpe
from .skeleton import H36M_17, Skeleton

__all__ = ["fit", "run_training", "validation_mpjpe"]

log = logging.getLogger(__name__)


def validation_mpjpe(model: nn.Module, seqs: SequenceSet, skeleton: Skeleton, scale_mm: float) -> float:
    """Frame-wise MPJPE (mm, no test-time flip) on ``seqs`` — the model-selection metric."""
    preds = predict_sequences(model, seqs, skeleton, tta=False, scale_mm=scale_mm)
    return float(mpjpe(*stack_targets(preds, seqs)).mean())


def _loss(pred: torch.Tensor, target: torch.Tensor, kind: str) -> torch.Tensor:
    pred = pred - pred[..., :1, :]
    if kind == "l1":
        return (pred - target).abs().mean()
    return mpjpe(pred, target).mean()


def fit(model: nn.Module, *, name: str, kwargs: dict, skeleton: Skeleton, train_set: PoseWindows,
        val_seqs: SequenceSet, cfg: TrainConfig, out_dir: str | Path, config: dict | None = None,
        normalization: dict | None = None, progress: bool = True) -> list[dict]:
    """Train ``model`` (built by ``name``/``kwargs``) and write checkpoints into ``out_dir``.

    Resumes from ``out_dir/last.pt`` when it exists. Returns the per-epoch history.
    """
    from tqdm import tqdm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    normalization = dict(normalization or DEFAULT_NORMALIZATION)
    scale = float(normalization["target_scale_mm"])
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, amsgrad=True, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=cfg.lr_decay)
    history: list[dict] = []
    best, bad_epochs, start = math.inf, 0, 0
    if (out / "last.pt").exists():
        ckpt = read_checkpoint(out / "last.pt")
        if "resume" not in ckpt or ckpt["model"]["name"] != name or ckpt["model"]["kwargs"] != kwargs:
            raise CheckpointError(f"{out / 'last.pt'}: belongs to another run (model "
                                  f"{ckpt['model']['name']} {ckpt['model']['kwargs']}); use a new --out")
        model.load_state_dict(ckpt["state_dict"])
        opt.load_state_dict(ckpt["resume"]["optimizer"])
        sched.load_state_dict(ckpt["resume"]["scheduler"])
        history = json.loads(ckpt["resume"]["history"])
        best, bad_epochs = ckpt["resume"]["best"], ckpt["resume"]["bad_epochs"]
        start = len(history)
        log.info("resuming %s at epoch %d", out, start + 1)

    for epoch in range(start, cfg.epochs):
        if cfg.patience and bad_epochs >= cfg.patience:
            break
        t0 = time.perf_counter()
        model.train()
        train_set.set_epoch(epoch)
        g = torch.Generator().manual_seed(cfg.seed * 1_000_003 + epoch)
        loader = DataLoader(train_set, batch_size=max(1, cfg.batch_size // train_set.chunk),
                            sampler=RandomSampler(train_set, generator=g))
        torch.manual_seed(cfg.seed * 7_919 + epoch)  # dropout masks of this epoch
        total, count = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch", disable=not progress,
                   leave=False)
        for x, y in bar:
            pred = model(x)
            loss = _loss(pred, y / scale, cfg.loss)
            if not torch.isfinite(loss):
                raise SkelgnnError(f"epoch {epoch + 1}: the training loss became {loss.item()}; stopping "
                                   f"before the weights are corrupted (last good checkpoint: {out / 'last.pt'}). "
                                   "Try a lower train.lr.")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * y.shape[0] * y.shape[1]
            count += y.shape[0] * y.shape[1]
            bar.set_postfix(loss_mm=f"{scale * total / count:.1f}")
        sched.step()
        val = validation_mpjpe(model, val_seqs, skeleton, scale)
        improved = val < best
        best, bad_epochs = (val, 0) if improved else (best, bad_epochs + 1)
        row = {"epoch": epoch + 1, "train_loss_mm": scale * total / max(count, 1), "val_mpjpe": val,
               "best_val_mpjpe": best, "lr": opt.param_groups[0]["lr"],
               "seconds": round(time.perf_counter() - t0, 2)}
        history.append(row)
        metrics = {"val_mpjpe": val, "epoch": epoch + 1}
        if improved:
            save_checkpoint(out / "best.pt", make_checkpoint(name, kwargs, skeleton, model, config=config,
                                                             metrics=metrics, normalization=normalization))
        resume = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                  "history": json.dumps(history), "best": best, "bad_epochs": bad_epochs}
        save_checkpoint(out / "last.pt", make_checkpoint(name, kwargs, skeleton, model, config=config,
                                                         metrics=metrics, resume=resume,
                                                         normalization=normalization))
        atomic_write_text(out / "log.jsonl", "".join(json.dumps(r) + "\n" for r in history))
        log.info("epoch %d: train %.2f mm, val MPJPE %.2f mm%s", epoch + 1, row["train_loss_mm"], val,
                 " (best)" if improved else "")
        if progress:
            tqdm.write(f"epoch {epoch + 1:3d}  train {row['train_loss_mm']:7.2f} mm  val MPJPE {val:7.2f} mm"
                       f"{'  *best*' if improved else ''}  ({row['seconds']:.0f} s)")
    return history


def run_training(cfg: RunConfig, out_dir: str | Path, progress: bool = True) -> list[dict]:
    """Read the benchmark named by ``cfg.data``, build ``cfg.model`` and train it (resumable)."""
    from .data.hdm05_files import load_benchmark
    from .models import build

    if cfg.train.threads > 0:
        torch.set_num_threads(cfg.train.threads)
    bench = load_benchmark(cfg.data.path)
    skeleton = H36M_17
    train = benchmark_sequences(bench, "train", cfg.data.input, fraction=cfg.data.train_fraction,
                                max_frames=cfg.data.max_frames_per_clip, input_norm=cfg.data.input_norm)
    val = benchmark_sequences(bench, "val", cfg.data.input, max_frames=cfg.data.max_frames_per_clip,
                              input_norm=cfg.data.input_norm)
    if len(val) == 0:
        raise SkelgnnError(f"{cfg.data.path}: no validation clips; model selection needs them")
    torch.manual_seed(cfg.train.seed)
    model = build(cfg.model.name, skeleton, **cfg.model.kwargs)
    chunk = cfg.train.chunk or (1 if model.receptive_field == 1 else 32)
    windows = PoseWindows(train, model.receptive_field, skeleton, flip=cfg.train.flip, seed=cfg.train.seed,
                          chunk=chunk)
    return fit(model, name=cfg.model.name, kwargs=cfg.model.kwargs, skeleton=skeleton, train_set=windows,
               val_seqs=val, cfg=cfg.train, out_dir=out_dir, config=cfg.to_dict(), progress=progress,
               normalization=dict(DEFAULT_NORMALIZATION, input=cfg.data.input_norm))
