"""Training, validation and test splits of VideoPose3D-layout data, from plain values.

The standard protocol's values live in :class:`skelgnn.evaluation.protocol.Protocol`
(:meth:`~skelgnn.evaluation.protocol.Protocol.splits` calls :func:`h36m_splits` with them); HDM05-Lift's
splits are flagged in the benchmark itself (:func:`skelgnn.data.hdm05.benchmark_sequences`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..core.errors import SkelgnnError
from .h36m import VP3DPair, h36m_sequences
from .sequences import SequenceSet

__all__ = ["h36m_splits", "split_validation"]


def h36m_splits(data: VP3DPair, *, train_subjects: Sequence[str], test_subjects: Sequence[str],
                joints: int = 17,
                exclude: Iterable[tuple[str, str]] = (), train_downsample: int = 1, test_downsample: int = 1,
                val_every: int = 10, splits: Iterable[str] = ("train", "val", "test"),
                actions: Iterable[str] | None = None, input_norm: str = "screen") -> dict[str, SequenceSet]:
    """Train / validation / test sequences of a VideoPose3D-layout pair (read once by
    :func:`~skelgnn.data.h36m.load_vp3d_pair`).

    Train and validation come from ``train_subjects`` (validation = :func:`split_validation` with
    ``val_every``) at ``train_downsample``; test from ``test_subjects`` at ``test_downsample``.
    ``joints``, ``exclude``, ``actions`` and ``input_norm`` are passed to
    :func:`~skelgnn.data.h36m.h36m_sequences`.

    Returns:
        ``{split: SequenceSet}`` for the requested splits.
    """
    splits = tuple(splits)
    bad = set(splits) - {"train", "val", "test"}
    if bad:
        raise SkelgnnError(f"unknown split(s) {sorted(bad)}; expected train, val, test")
    common = {"joints": joints, "exclude": tuple(exclude), "actions": actions, "input_norm": input_norm}
    out: dict[str, SequenceSet] = {}
    if "train" in splits or "val" in splits:
        seqs = h36m_sequences(data, subjects=train_subjects, downsample=train_downsample, **common)
        train, val = split_validation(seqs, val_every)
        if "train" in splits:
            out["train"] = train
        if "val" in splits:
            out["val"] = val
    if "test" in splits:
        out["test"] = h36m_sequences(data, subjects=test_subjects, downsample=test_downsample, **common)
    return out


def _subset(seqs: SequenceSet, idx: list[int]) -> SequenceSet:
    return SequenceSet(inputs=[seqs.inputs[i] for i in idx], targets=[seqs.targets[i] for i in idx],
                       keys=[seqs.keys[i] for i in idx], classes=[seqs.classes[i] for i in idx],
                       rare=[seqs.rare[i] for i in idx])


def split_validation(seqs: SequenceSet, every: int = 10) -> tuple[SequenceSet, SequenceSet]:
    """Carve validation sequences out of a training set: every ``every``-th (subject, action).

    Groups are the ``"<subject>/<action>"`` prefixes of the keys in order of appearance; groups
    ``every − 1, 2·every − 1, …`` go to validation with all their cameras (as HDM05-Lift flags every
    10th training clip). Model selection then never touches the test subjects (CONVENTIONS §1.7).

    Returns:
        ``(train, val)``.
    """
    if every < 2:
        raise SkelgnnError(f"every must be >= 2, got {every}")
    order: dict[str, int] = {}
    for k in seqs.keys:
        order.setdefault(k.rsplit("/", 1)[0], len(order))
    is_val = [order[k.rsplit("/", 1)[0]] % every == every - 1 for k in seqs.keys]
    train = _subset(seqs, [i for i, v in enumerate(is_val) if not v])
    val = _subset(seqs, [i for i, v in enumerate(is_val) if v])
    return train, val
