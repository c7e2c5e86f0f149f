"""The data a run trains on, chosen by ``[data] kind``: HDM05-Lift or a VideoPose3D-layout dataset.

:func:`training_sequences` is what :func:`skelgnn.training.train.run_training` calls; it returns the
training and validation sequences and the skeleton the model is built for.

* ``kind = "hdm05"``: the benchmark folder written by ``skelgnn data hdm05``; training and validation
  clips as flagged in the benchmark (every 10th clip of the training actors), 17 joints. With
  ``extra_views = n`` the training set also holds every training clip seen by ``n`` random virtual
  cameras (:func:`skelgnn.data.views.extra_view_sequences`, seeded by ``view_seed``; with ``bone_jitter``
  each view also gets its own body proportions), appended after the benchmark's sequences; the validation
  set keeps the benchmark's cameras and the actors' own bodies. With ``val_actor = "dg"`` (one
  of the training actors) validation is leave-one-actor-out instead: every clip of that actor validates and
  the other training actors' clips (their benchmark validation clips included) train, so that validation,
  like the test, measures actors the model has not seen. The test actors are never read either way.
* ``kind = "h36m"``: ``<path>/data_3d_<name>.npz`` and ``<path>/data_2d_<name>_<input>.npz`` (Human3.6M,
  or the HDM05-Lift export with ``name = "hdm05"``) under
  :meth:`skelgnn.evaluation.protocol.Protocol.from_config`: the training subjects minus every
  ``val_every``-th (subject, action), which is the validation set; the test subjects are never read here.
  The layout stores pickled dicts, so it is read only with
  ``allow_pickle = True`` (CLI ``--allow-pickle``): unpickling can run code, trusted files only.
"""

from __future__ import annotations

from dataclasses import fields

from ..core.errors import SkelgnnError
from ..core.skeleton import H36M_17
from ..core.validate import integer
from ..data.body_size import scale_targets_to_height
from ..data.h36m import h36m_data_files, load_vp3d_pair
from ..data.hdm05 import benchmark_sequences
from ..data.hdm05_files import load_benchmark
from ..data.sequences import SequenceSet
from ..data.views import extra_view_sequences
from ..evaluation.protocol import Protocol

__all__ = ["training_sequences"]


def training_sequences(data_cfg):
    """Training and validation sequences of the data named by a ``[data]`` config section.

    With ``data.target_height`` set, the training targets are scaled to that standing height
    (:func:`skelgnn.data.body_size.scale_targets_to_height`); validation keeps the true sizes.

    Args:
        data_cfg: a :class:`skelgnn.training.config.DataConfig`.

    Returns:
        ``(train SequenceSet, val SequenceSet, skeleton)``.

    Raises:
        SkelgnnError: unknown ``kind``, unreadable files, or no validation sequences.
    """
    train, val, skeleton = _sequences(data_cfg)
    height = getattr(data_cfg, "target_height", 0.0) or 0.0
    if height:
        if skeleton.num_joints != 17:
            raise SkelgnnError(f"data.target_height needs the 17-joint Human3.6M skeleton, this data has "
                               f"{skeleton.num_joints} joints; set data.target_height = 0")
        train, _ = scale_targets_to_height(train, float(height))
    return train, val, skeleton


def _sequences(data_cfg):
    """(train, val, skeleton) before ``data.target_height``."""
    if data_cfg.kind == "hdm05":
        bench = load_benchmark(data_cfg.path)
        skeleton = H36M_17
        train_splits, val_splits, train_actors, val_actors = _hdm05_split(bench, data_cfg)
        train = benchmark_sequences(bench, train_splits, data_cfg.input, fraction=data_cfg.train_fraction,
                                    max_frames=data_cfg.max_frames_per_clip, input_norm=data_cfg.input_norm,
                                    actors=train_actors)
        views = integer(getattr(data_cfg, "extra_views", 0), "data.extra_views (random virtual views per "
                        "training clip)", 0)
        if views:
            extra = extra_view_sequences(bench, views, seed=integer(data_cfg.view_seed, "data.view_seed", 0),
                                         input_kind=data_cfg.input, input_norm=data_cfg.input_norm,
                                         fraction=data_cfg.train_fraction,
                                         max_frames=data_cfg.max_frames_per_clip,
                                         splits=train_splits, actors=train_actors,
                                         bone_jitter=float(getattr(data_cfg, "bone_jitter", 0.0)),
                                         joint_jitter=float(getattr(data_cfg, "joint_jitter", 0.0)),
                                         max_height_mm=1000.0 * float(getattr(data_cfg, "view_max_height",
                                                                              2.8)))
            for f in fields(SequenceSet):
                getattr(train, f.name).extend(getattr(extra, f.name))
        val = benchmark_sequences(bench, val_splits, data_cfg.input, max_frames=data_cfg.max_frames_per_clip,
                                  input_norm=data_cfg.input_norm, actors=val_actors)
        if len(val) == 0:
            raise SkelgnnError(f"{data_cfg.path}: no validation clips; model selection needs them")
        return train, val, skeleton
    if data_cfg.kind == "h36m":
        if getattr(data_cfg, "extra_views", 0):
            raise SkelgnnError(f"data.extra_views = {data_cfg.extra_views!r} is not supported with data.kind "
                               "= 'h36m' (random virtual views need the world poses of kind = 'hdm05'); "
                               "set data.extra_views = 0")
        protocol = Protocol.from_config(data_cfg)
        p3, p2 = h36m_data_files(data_cfg.path, data_cfg.name, data_cfg.input,
                                 allow_pickle=data_cfg.allow_pickle)
        sp = protocol.splits(load_vp3d_pair(p3, p2, allow_pickle=True), splits=("train", "val"),
                             input_norm=data_cfg.input_norm)
        if len(sp["train"]) == 0:
            raise SkelgnnError(f"{p3}: no training sequences for subjects {list(protocol.train_subjects)}")
        if len(sp["val"]) == 0:
            raise SkelgnnError(f"{p3}: no validation sequences (every {protocol.val_every}th (subject, "
                               f"action) of {list(protocol.train_subjects)}); model selection needs them: "
                               "lower data.val_every")
        return sp["train"], sp["val"], protocol.skeleton
    raise SkelgnnError(f"data.kind must be 'hdm05' or 'h36m', got {data_cfg.kind!r}")


def _hdm05_split(bench, data_cfg) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...] | None,
                                            tuple[str, ...] | None]:
    """(train splits, val splits, train actors, val actors) of ``data.val_actor``: the benchmark's flags
    when it is empty, else leave that training actor out (all of its clips validate)."""
    held = getattr(data_cfg, "val_actor", "") or ""
    if not held:
        return ("train",), ("val",), None, None
    pool = ("train", "val")
    actors = sorted({str(bench.clip_actor[c]) for c in range(len(bench.clip_keys))
                     if bench.clip_split[c] in pool})
    if held not in actors:
        raise SkelgnnError(f"{data_cfg.path}: data.val_actor = {held!r} is not a training actor of this "
                           f"benchmark; expected one of {actors} (the test actors are never used for "
                           "validation)")
    if len(actors) < 2:
        raise SkelgnnError(f"{data_cfg.path}: data.val_actor needs at least two training actors, found "
                           f"{actors}")
    return pool, pool, tuple(a for a in actors if a != held), (held,)
