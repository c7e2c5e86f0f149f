"""The data a run trains on, chosen by ``[data] kind``: HDM05-Lift or a VideoPose3D-layout dataset.

:func:`training_sequences` is what :func:`skelgnn.train.run_training` calls; it returns the training and
validation sequences and the skeleton the model is built for.

* ``kind = "hdm05"``: the benchmark folder written by ``skelgnn data hdm05``; training and validation
  clips as flagged in the benchmark (every 10th clip of the training actors), 17 joints.
* ``kind = "h36m"``: ``<path>/data_3d_<name>.npz`` and ``<path>/data_2d_<name>_<input>.npz`` (Human3.6M,
  or the HDM05-Lift export with ``name = "hdm05"``) under :meth:`skelgnn.protocol.Protocol.from_config`:
  the training subjects minus every ``val_every``-th (subject, action), which is the validation set; the
  test subjects are never read here. The layout stores pickled dicts, so it is read only with
  ``allow_pickle = True`` (CLI ``--allow-pickle``): unpickling can run code, trusted files only.
"""

from __future__ import annotations

from pathlib import Path

from .errors import FormatError, SkelgnnError

__all__ = ["training_sequences", "h36m_data_files", "PICKLE_HELP"]

PICKLE_HELP = ("the VideoPose3D layout stores pickled dicts and unpickling a file can run code: "
               "pass --allow-pickle (Python: allow_pickle=True), only for files you trust")
"""The reason given wherever a pickled-layout file is refused."""


def h36m_data_files(path: str | Path, name: str, source: str, *, allow_pickle: bool) -> tuple[Path, Path]:
    """The 3D and 2D files of a VideoPose3D-layout dataset, checked to exist and to be allowed.

    Returns:
        ``(data_3d, data_2d)`` = ``(<path>/data_3d_<name>.npz, <path>/data_2d_<name>_<source>.npz)``.

    Raises:
        FormatError: a file is missing, or ``allow_pickle`` is false (the message names the file).
    """
    from .data.h36m import vp3d_file_paths

    files = vp3d_file_paths(path, name, source)
    for f in files:
        if not f.is_file():
            raise FormatError(f, f"no such file (expected data_3d_{name}.npz and data_2d_{name}_{source}.npz "
                                 f"in {path}, VideoPose3D layout)")
    if not allow_pickle:
        raise FormatError(files[0], PICKLE_HELP)
    return files


def training_sequences(data_cfg):
    """Training and validation sequences of the data named by a ``[data]`` config section.

    Args:
        data_cfg: a :class:`skelgnn.config.DataConfig`.

    Returns:
        ``(train SequenceSet, val SequenceSet, skeleton)``.

    Raises:
        SkelgnnError: unknown ``kind``, unreadable files, or no validation sequences.
    """
    if data_cfg.kind == "hdm05":
        from .data.hdm05_files import load_benchmark
        from .data.lifting import benchmark_sequences
        from .skeleton import H36M_17

        bench = load_benchmark(data_cfg.path)
        skeleton = H36M_17
        train = benchmark_sequences(bench, "train", data_cfg.input, fraction=data_cfg.train_fraction,
                                    max_frames=data_cfg.max_frames_per_clip, input_norm=data_cfg.input_norm)
        val = benchmark_sequences(bench, "val", data_cfg.input, max_frames=data_cfg.max_frames_per_clip,
                                  input_norm=data_cfg.input_norm)
        if len(val) == 0:
            raise SkelgnnError(f"{data_cfg.path}: no validation clips; model selection needs them")
        return train, val, skeleton
    if data_cfg.kind == "h36m":
        from .protocol import Protocol, h36m_splits

        protocol = Protocol.from_config(data_cfg)
        p3, p2 = h36m_data_files(data_cfg.path, data_cfg.name, data_cfg.input, allow_pickle=data_cfg.allow_pickle)
        sp = h36m_splits(protocol, p3, p2, allow_pickle=True, splits=("train", "val"),
                         input_norm=data_cfg.input_norm)
        if len(sp["train"]) == 0:
            raise SkelgnnError(f"{p3}: no training sequences for subjects {list(protocol.train_subjects)}")
        if len(sp["val"]) == 0:
            raise SkelgnnError(f"{p3}: no validation sequences (every {protocol.val_every}th (subject, action) of "
                               f"{list(protocol.train_subjects)}); model selection needs them: lower data.val_every")
        return sp["train"], sp["val"], protocol.skeleton
    raise SkelgnnError(f"data.kind must be 'hdm05' or 'h36m', got {data_cfg.kind!r}")
