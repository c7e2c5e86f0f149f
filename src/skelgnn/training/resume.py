"""Resume safety: a run folder is continued only with the configuration that started it.

:func:`check_resume` compares the whole training-relevant configuration recorded in ``last.pt``
(``model``, every ``data.*`` and ``train.*`` key, and the checkpoint's ``normalization``) with the
configuration of the command being run, and checks that the training state is intact. A difference
is a :class:`ResumeError` listing each differing key with both values and the ways forward.

Keys that may change on resume (:data:`MAY_CHANGE`): ``train.epochs`` (a larger budget extends the
run, a smaller one stops it there), ``train.patience`` (early stopping), and the settings that do
not change what is trained: ``train.threads``, ``train.eval_batch_size``, ``train.device`` and
``data.allow_pickle`` (set from ``--allow-pickle``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..core.errors import CheckpointError
from ..lifting.checkpoint import model_from_checkpoint, read_checkpoint

__all__ = ["MAY_CHANGE", "ResumeError", "config_differences", "check_resume", "check_resume_state",
           "verify_best"]

MAY_CHANGE = frozenset({"train.epochs", "train.patience", "train.threads", "train.eval_batch_size",
                        "train.device", "data.allow_pickle"})


class ResumeError(CheckpointError):
    """``last.pt`` belongs to a run with another configuration, or its training state is damaged."""


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and key != "model.kwargs":
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _same(key: str, a, b) -> bool:
    if key == "data.path" and isinstance(a, str) and isinstance(b, str):
        return a == b or Path(a).resolve() == Path(b).resolve()
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return a == b
    return type(a) is type(b) and a == b


def config_differences(recorded: dict, current: dict,
                       defaults: dict | None = None) -> list[tuple[str, object, object]]:
    """``[(key, recorded value, current value)]`` for every training-relevant key that differs.

    Keys absent from ``recorded`` (checkpoints written before the key existed) take their value from
    ``defaults``; keys absent from ``current`` and keys in :data:`MAY_CHANGE` are ignored.
    """
    rec = _flatten(defaults or {})
    rec.update(_flatten(recorded))
    cur = _flatten(current)
    missing = object()
    diffs = []
    for key in sorted(set(rec) | set(cur)):
        if key in MAY_CHANGE:
            continue
        a, b = rec.get(key, missing), cur.get(key, missing)
        if b is missing:  # a key this version no longer has cannot change what it trains
            continue
        if a is missing or not _same(key, a, b):
            diffs.append((key, None if a is missing else a, None if b is missing else b))
    return diffs


def check_resume_state(ckpt: dict, path: str | Path) -> None:
    """The ``resume`` entry of ``last.pt`` must hold the training state as written by
    :func:`skelgnn.training.train.fit`."""
    state = ckpt.get("resume")
    hint = (f"; it holds this run's training state, so training will not start over: move {Path(path).name} "
            "away to train from scratch, or use a new --out")
    if not isinstance(state, dict):
        raise ResumeError(f"{path}: no training state ('resume' entry){hint}")
    for key in ("optimizer", "scheduler"):
        if not isinstance(state.get(key), dict):
            raise ResumeError(f"{path}: resume.{key} must be a state dict, got "
                              f"{type(state.get(key)).__name__}{hint}")
    try:
        history = json.loads(state.get("history"))
    except (TypeError, ValueError):
        raise ResumeError(f"{path}: resume.history is not a JSON list of epochs{hint}") from None
    if not isinstance(history, list) \
            or not all(isinstance(r, dict) and isinstance(r.get("val_mpjpe"), (int, float))
                       and isinstance(r.get("epoch"), int) for r in history):
        raise ResumeError(f"{path}: resume.history must be a list of epoch records with 'epoch' and "
                          f"'val_mpjpe'{hint}")
    best, bad = state.get("best"), state.get("bad_epochs")
    if isinstance(best, bool) or not isinstance(best, (int, float)) or math.isnan(best):
        raise ResumeError(f"{path}: resume.best must be a number (the best validation MPJPE), got "
                          f"{best!r}{hint}")
    if isinstance(bad, bool) or not isinstance(bad, int) or bad < 0:
        raise ResumeError(f"{path}: resume.bad_epochs must be an integer >= 0, got {bad!r}{hint}")


def _show(v) -> str:
    return "(absent)" if v is None else repr(v)


def read_training_state(path: Path) -> dict:
    """``last.pt`` of a run; an unreadable one is a :class:`CheckpointError` saying training will not
    restart."""
    try:
        return read_checkpoint(path)
    except CheckpointError as e:
        raise CheckpointError(f"{e}. It holds this run's training state, so training will not silently start "
                              "over; best.pt beside it is left as it is. To train from scratch, move "
                              f"{path.name}, best.pt and log.jsonl away (or use a new --out)") from None


def check_resume(path: str | Path, config: dict, normalization: dict, defaults: dict | None = None) -> bool:
    """Check that ``path`` (``last.pt``) may be resumed with ``config``; False when there is nothing to
    resume.

    Args:
        path: the run's ``last.pt``.
        config: the resolved configuration of this call (``RunConfig.to_dict()``, chunk resolved).
        normalization: the normalisation this call would record.
        defaults: the default configuration (for keys that older checkpoints lack).

    Raises:
        ResumeError: the configurations differ (the message lists every key) or the state is damaged.
        CheckpointError: ``path`` is not a readable checkpoint.
    """
    path = Path(path)
    if not path.exists():
        return False
    ckpt = read_training_state(path)
    check_resume_state(ckpt, path)
    recorded = ckpt.get("config")
    diffs = []
    if isinstance(recorded, dict) and recorded:
        diffs = config_differences(recorded, config, defaults)
    else:
        diffs = config_differences({"model": ckpt.get("model")}, {"model": config.get("model")})
    rec_norm = ckpt.get("normalization")
    if rec_norm != normalization:
        diffs.append(("normalization", rec_norm, normalization))
    if diffs:
        listed = "; ".join(f"{k}: {_show(a)} in the checkpoint, {_show(b)} now" for k, a, b in diffs)
        raise ResumeError(
            f"{path}: belongs to another run, started with another configuration ({listed}). Resuming would "
            "train on with mixed settings and record false metadata. Either train into a new --out, or "
            f"rerun with the recorded values (only {', '.join(sorted(MAY_CHANGE))} may change when resuming; "
            "a larger train.epochs extends the run)")
    return True


def verify_best(path: str | Path, history: list[dict]) -> None:
    """Check that ``best.pt`` is there, loads into a model, and holds the best epoch of ``history``.

    Raises :class:`CheckpointError` (one line) when it was deleted, truncated, replaced or is stale, so a
    finished or resumed run never reports a checkpoint it does not have.
    """
    path = Path(path)
    best = min(history, key=lambda r: r["val_mpjpe"])
    if not path.is_file():
        raise CheckpointError(f"{path}: missing, although epoch {best['epoch']} (validation MPJPE "
                              f"{best['val_mpjpe']:.2f} mm) was the best; it was deleted or moved. Train "
                              "again into a new folder (last.pt holds the last epoch, not the best)")
    ckpt = read_checkpoint(path)  # a damaged file: CheckpointError naming it
    model_from_checkpoint(ckpt, str(path))
    metrics = ckpt.get("metrics") or {}
    score, epoch = metrics.get("val_mpjpe"), metrics.get("epoch")
    if not (isinstance(score, (int, float)) and math.isclose(float(score), float(best["val_mpjpe"]),
                                                             rel_tol=1e-6, abs_tol=1e-6)
            and epoch == best["epoch"]):
        raise CheckpointError(f"{path}: holds epoch {epoch!r} with validation MPJPE {score!r}, but the run's "
                              f"best is epoch {best['epoch']} ({best['val_mpjpe']:.2f} mm); it was replaced. "
                              "Train again into a new folder")
