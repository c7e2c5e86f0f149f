"""Run configuration: dataclasses read from TOML, with ``--set key=value`` overrides.

A config names a model once (``[model] name = "skeletal_gnn"`` plus ``[model.kwargs]``), the data
(``[data]``) and the optimisation (``[train]``). Unknown keys are errors. The config is resolved once
by the CLI and turned into plain values; nothing below the drivers sees this object.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..core.errors import SkelgnnError
from ..core.validate import ConfigError, check_model_kwargs, integer, nearest, real, seed, show, threads

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["ModelSpec", "DataConfig", "TrainConfig", "RunConfig", "load_config", "apply_overrides",
           "check_train_config", "check_data_config"]


@dataclass
class ModelSpec:
    name: str = "skeletal_gnn"
    kwargs: dict = field(default_factory=dict)


@dataclass
class DataConfig:
    """The ``[data]`` section.

    ``kind = "hdm05"`` (default) reads the benchmark folder written by ``skelgnn data hdm05`` and uses
    ``path``, ``input`` ("gt" | "noisy"), ``train_fraction``, ``max_frames_per_clip``, ``input_norm``,
    ``extra_views``, ``view_seed`` and ``val_actor``. ``val_actor = "dg"`` (default "": the benchmark's
    validation clips, every 10th clip) validates on every clip of that training actor and trains on the other
    training actors' clips (leave-one-actor-out, :func:`skelgnn.training.datasets.training_sequences`).
    ``extra_views = n`` (default 0: the benchmark's 4 cameras only) adds to
    every training clip (never the validation clips, never the test actors) ``n`` sequences seen by random
    virtual cameras: yaw uniform in [0, 360) deg, camera height uniform in [0.3, 2.8] m, distance from the
    look-at point uniform in [2.5, 9] m, look-at height uniform in [0.6, 1.3] m above the clip's mean pelvis
    x, z, focal length 1145 px times a log-uniform factor in [0.5, 2], image 1000x1000, 1920x1080, 1280x720
    or 640x480 (principal point at the centre); "noisy" input gets the benchmark's noise scaled by
    max(width, height) / 1000 px; ``view_seed`` (default 0) seeds them (:mod:`skelgnn.data.views`).
    ``bone_jitter = b`` (default 0; needs ``extra_views``) gives each of those views its own body
    proportions: every bone (a bone and its mirror together) scaled by a factor uniform in [1 - b, 1 + b].
    ``joint_jitter = s`` (default 0; needs ``extra_views``) moves those views' hips, spine, thorax, neck,
    head and shoulders along and across their bones (other skeletons define them elsewhere;
    :func:`skelgnn.data.views.move_joint_definitions`).
    ``view_max_height = h`` (default 2.8, metres, in [1, 6]) raises or lowers the extra views' highest camera
    (heights uniform in [0.3, h]); every other draw of a view stays the same.
    ``target_height = h`` (default 0: the actors' own sizes; metres, in [1, 2.2]) scales every training
    sequence's 3D target (after the extra views' jitter) to standing height ``h``, so that the model learns
    one explicit body size instead of its actors' mixture (:mod:`skelgnn.data.body_size`); validation keeps
    the true sizes. Both kinds.
    ``kind = "h36m"`` reads VideoPose3D-layout files ``<path>/data_3d_<name>.npz`` and
    ``<path>/data_2d_<name>_<input>.npz`` (``input`` = the 2D source, e.g. "gt" or "cpn_ft_h36m_dbb")
    under the protocol named by the remaining keys (:meth:`skelgnn.evaluation.protocol.Protocol.from_config`);
    those keys are ignored for ``kind = "hdm05"``.
    """

    # folder written by `skelgnn data hdm05` (hdm05) or holding the npz files (h36m)
    path: str = "data/hdm05"
    input: str = "gt"             # hdm05: "gt" | "noisy"; h36m: the 2D source in the 2D file name
    train_fraction: float = 1.0   # hdm05: use a deterministic subset of training clips (smoke runs)
    max_frames_per_clip: int = 0  # hdm05: 0 = all; >0 keeps only the first frames (smoke runs)
    input_norm: str = "screen"    # "screen" (VideoPose3D) | "bbox" (pelvis-centred, box-scaled)
    extra_views: int = 0          # hdm05: random virtual camera views added per training clip (0 = none)
    view_seed: int = 0            # hdm05: seed of those views' cameras and 2D noise
    # hdm05: each extra view's bone lengths x U[1 - b, 1 + b] (0 = the actors' own)
    bone_jitter: float = 0.0
    joint_jitter: float = 0.0     # hdm05: each extra view's hips/spine/neck/head/shoulders moved by <= s bone
    view_max_height: float = 2.8  # hdm05: the extra views' highest camera, m (heights uniform in [0.3, this])
    target_height: float = 0.0    # every training target scaled to this standing height, m (0 = own sizes)
    # hdm05: "" = the benchmark's validation clips; a training actor = leave it out
    val_actor: str = ""
    kind: str = "hdm05"           # "hdm05" | "h36m" (VideoPose3D layout: Human3.6M or the HDM05-Lift export)
    # ---- kind = "h36m" only (defaults: the standard Human3.6M protocol) ----
    # dataset name in the file names ("h36m", or "hdm05" for the HDM05-Lift export)
    name: str = "h36m"
    # the layout stores pickled dicts; the CLI sets this only from --allow-pickle
    allow_pickle: bool = False
    train_subjects: list = field(default_factory=lambda: ["S1", "S5", "S6", "S7", "S8"])
    test_subjects: list = field(default_factory=lambda: ["S9", "S11"])
    joints: int = 17              # 17 | 16 (Neck/Nose dropped)
    exclude_s11_directions: bool = True
    train_downsample: int = 1     # train on every k-th frame
    test_downsample: int = 1      # evaluate every k-th test frame
    val_every: int = 10           # validation = every k-th (subject, action) of the training subjects
    test_flip: bool = True        # test-time flip in `skelgnn evaluate` (CLI --tta/--no-tta overrides)


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 256         # target frames per optimiser step
    # target frames per sample; 0 = auto (skelgnn.training.train.default_chunk: 1 for single-frame models,
    # batch_size // 64 capped at 32 for multi-frame models)
    chunk: int = 0
    # multi-frame models: train on single windows of one receptive field, computing only the frames the
    # centre output needs (VideoPose3D's strided variant); chunk 1
    strided: bool = False
    # before every validation, re-estimate BatchNorm statistics on this many training batches with dropout
    # off (skelgnn.training.train.reestimate_batchnorm); 0 = running averages
    precise_bn: int = 0
    lr: float = 1e-3
    lr_decay: float = 0.95        # schedule "exp": multiplied into the learning rate after every epoch
    # "exp" (lr × lr_decay per epoch) | "cosine" (half cosine from lr to 0 over epochs)
    schedule: str = "exp"
    # Adam's amsgrad variant (the Martinez et al. MLP recipe uses plain Adam: false)
    amsgrad: bool = True
    weight_decay: float = 0.0
    seed: int = 0                 # 0 <= seed < 2**64 (skelgnn.core.validate.seed)
    flip: bool = True             # train-time horizontal flip augmentation
    # "mpjpe" (mean joint distance) | "mse" (mean squared coordinate error, metres) | "l1"
    loss: str = "mpjpe"
    patience: int = 0             # early stopping on validation MPJPE; 0 = off
    eval_batch_size: int = 1024
    threads: int = 0              # torch.set_num_threads (at most 1024); 0 = leave as is
    # "auto" (cuda:LOCAL_RANK if CUDA is available, else cpu) | "cpu" | "cuda" | "cuda:N"
    device: str = "auto"
    amp: str = "off"              # mixed precision, CUDA only: "off" | "bf16" | "fp16" (with a GradScaler)
    # under torchrun on GPUs: BatchNorm -> SyncBatchNorm (skelgnn.core.distributed)
    sync_bn: bool = True


@dataclass
class RunConfig:
    model: ModelSpec = field(default_factory=ModelSpec)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return asdict(self)


_SECTIONS = {"model": ModelSpec, "data": DataConfig, "train": TrainConfig}


def _number(v, kind: type, where: str):
    """A number of a config key whose default is of type ``kind`` (int or float): the checks of
    :mod:`skelgnn.core.validate` without bounds (the key's own range is checked after)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(where, "a number", v)
    return integer(v, where) if kind is int else real(v, where)


def unknown_keys(given, allowed, where: str, what: str = "key") -> None:
    """Refuse keys of ``given`` that are not in ``allowed``, naming the nearest valid one."""
    bad = set(map(str, given)) - set(allowed)
    if bad:
        raise SkelgnnError(f"{where}: unknown {what}(s) {sorted(bad)}{nearest(bad, allowed)}; allowed: "
                           f"{sorted(allowed)}")


def _from_dict(d: dict, source: str) -> RunConfig:
    unknown_keys(d, _SECTIONS, source, "section")
    parts = {}
    for name, cls in _SECTIONS.items():
        sec = d.get(name, {})
        if not isinstance(sec, dict):
            raise SkelgnnError(f"{source}: [{name}] must be a table")
        unknown_keys(sec, [f.name for f in fields(cls)], f"{source}: [{name}]")
        values = {}
        for k, v in sec.items():
            default = getattr(cls(), k)
            if isinstance(default, bool) and not isinstance(v, bool):
                raise SkelgnnError(f"{source}: {name}.{k} must be true or false, got {v!r}")
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                v = _number(v, type(default), f"{source}: {name}.{k}")
            if isinstance(default, str) and not isinstance(v, str):
                raise SkelgnnError(f"{source}: {name}.{k} must be a string, got {v!r}")
            if isinstance(default, dict) and not isinstance(v, dict):
                raise SkelgnnError(f"{source}: {name}.{k} must be a table, got {v!r}")
            if isinstance(default, list):
                if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) for x in v):
                    raise SkelgnnError(f"{source}: {name}.{k} must be a list of strings, e.g. "
                                       f"{default!r}, got {v!r}")
                v = list(v)
            values[k] = v
        parts[name] = cls(**values)
    cfg = RunConfig(**parts)
    _check_data(cfg.data, source)
    check_model_kwargs(cfg.model.name, cfg.model.kwargs, f"{source}: model.kwargs")
    check_train_config(cfg.train, source)
    return cfg


def check_train_config(train: TrainConfig, source: str) -> None:
    """Types and ranges of every ``[train]`` key; a :class:`~skelgnn.core.validate.ConfigError` names key,
    value, range."""
    at = f"{source}: train."
    integer(train.epochs, at + "epochs", 1, 1_000_000)
    integer(train.batch_size, at + "batch_size", 1, 1 << 24)
    integer(train.chunk, at + "chunk", 0, 1 << 16)
    integer(train.precise_bn, at + "precise_bn", 0, 1 << 20)
    real(train.lr, at + "lr", 0.0, 10.0, lo_open=True)
    real(train.lr_decay, at + "lr_decay", 0.0, 1.0, lo_open=True)
    real(train.weight_decay, at + "weight_decay", 0.0, 10.0)
    seed(train.seed, at + "seed")
    integer(train.patience, at + "patience", 0, 1_000_000)
    integer(train.eval_batch_size, at + "eval_batch_size", 1, 1 << 24)
    threads(train.threads, at + "threads")
    if train.loss not in ("mpjpe", "mse", "l1"):
        raise SkelgnnError(f"{source}: train.loss must be 'mpjpe', 'mse' or 'l1', got {train.loss!r}")
    if train.schedule not in ("exp", "cosine"):
        raise SkelgnnError(f"{source}: train.schedule must be 'exp' or 'cosine', got {train.schedule!r}")
    if train.amp not in ("off", "bf16", "fp16"):
        raise SkelgnnError(f"{source}: train.amp must be 'off', 'bf16' or 'fp16', got {train.amp!r}")
    if train.strided and train.chunk > 1:
        raise SkelgnnError(f"{source}: train.strided = true trains on single windows (one target frame "
                           f"each); set train.chunk = 0 or 1, not {train.chunk}")
    dev = train.device
    if not (dev in ("auto", "cpu", "cuda") or (dev.startswith("cuda:") and dev[5:].isdigit())):
        raise SkelgnnError(f"{source}: train.device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {dev!r}")


def check_data_config(data: DataConfig, source: str) -> None:
    """Types and ranges of every ``[data]`` key; a :class:`SkelgnnError` names key, value and range."""
    _check_data(data, source)


def _check_data(data: DataConfig, source: str) -> None:
    if data.kind not in ("hdm05", "h36m"):
        raise SkelgnnError(f"{source}: data.kind must be 'hdm05' or 'h36m', got {data.kind!r}")
    if data.kind == "hdm05":
        if data.input not in ("gt", "noisy"):
            raise SkelgnnError(f"{source}: data.input must be 'gt' or 'noisy', got {data.input!r}")
    else:
        for key in ("input", "name"):
            v = getattr(data, key)
            if not v or any(c in v for c in "/\\") or v in (".", ".."):
                raise SkelgnnError(f"{source}: data.{key} must be a plain name (it is part of a file name), "
                                   f"got {v!r}")
        for key in ("train_subjects", "test_subjects"):
            if not getattr(data, key):
                raise SkelgnnError(f"{source}: data.{key} must name at least one subject")
        overlap = sorted(set(data.train_subjects) & set(data.test_subjects))
        if overlap:
            raise SkelgnnError(f"{source}: subjects {overlap} are in both data.train_subjects and "
                               "data.test_subjects")
    if data.joints not in (16, 17):
        raise SkelgnnError(f"{source}: data.joints must be 17 or 16, got {show(data.joints)}")
    for key, low in (("train_downsample", 1), ("test_downsample", 1), ("val_every", 2)):
        integer(getattr(data, key), f"{source}: data.{key}", low)
    if not data.path:
        raise SkelgnnError(f"{source}: data.path must name the data folder, got {data.path!r}")
    real(data.train_fraction, f"{source}: data.train_fraction", 0.0, 1.0, lo_open=True)
    integer(data.max_frames_per_clip, f"{source}: data.max_frames_per_clip", 0)
    integer(data.extra_views, f"{source}: data.extra_views (random virtual views per training clip)", 0)
    seed(data.view_seed, f"{source}: data.view_seed")
    if data.kind != "hdm05" and data.extra_views:
        raise SkelgnnError(f"{source}: data.extra_views = {data.extra_views} is not supported with "
                           f"data.kind = {data.kind!r} (random virtual views need the world poses of "
                           "kind = 'hdm05'); set data.extra_views = 0")
    real(data.bone_jitter, f"{source}: data.bone_jitter (bone-length factors of the extra views lie in "
         f"[1 - b, 1 + b])", 0.0, 0.5, hi_open=True)
    real(data.joint_jitter, f"{source}: data.joint_jitter (joint-definition offsets of the extra views, in "
         f"units of the bone)", 0.0, 1.0, hi_open=True)
    real(data.view_max_height, f"{source}: data.view_max_height (the extra views' highest camera, metres)",
         1.0, 6.0)
    if data.target_height != 0:
        real(data.target_height, f"{source}: data.target_height (every training target's standing height, "
             "metres; 0 = the actors' own sizes)", 1.0, 2.2)
    if data.joint_jitter and not data.extra_views:
        raise SkelgnnError(f"{source}: data.joint_jitter = {data.joint_jitter} changes the joints of the "
                           "extra views only; set data.extra_views >= 1 (or data.joint_jitter = 0)")
    if data.bone_jitter and not data.extra_views:
        raise SkelgnnError(f"{source}: data.bone_jitter = {data.bone_jitter} changes the bodies of the extra "
                           "views only; set data.extra_views >= 1 (or data.bone_jitter = 0)")
    if data.input_norm not in ("screen", "bbox"):
        raise SkelgnnError(f"{source}: data.input_norm must be 'screen' or 'bbox', got {data.input_norm!r}")
    if not isinstance(data.val_actor, str) or any(c in data.val_actor for c in "/\\ "):
        raise SkelgnnError(f"{source}: data.val_actor must be a training actor's name (e.g. 'dg') or '' for "
                           f"the benchmark's validation clips, got {data.val_actor!r}")
    if data.kind != "hdm05" and data.val_actor:
        raise SkelgnnError(f"{source}: data.val_actor is for data.kind = 'hdm05'; Human3.6M-layout data "
                           f"validates on every data.val_every-th (subject, action)")


_TOML_WORDS = {"true": True, "false": False}


def apply_overrides(d: dict, overrides: list[str]) -> dict:
    """Apply ``key.path=value`` strings to a nested dict.

    Values are parsed as Python literals (``5``, ``'gt'``, ``['S1', 'S5']``, ``True``), ``true``/``false`` as
    booleans and ``inf``/``nan`` (signed or not) as floats (as in TOML, so the checks refuse them as numbers),
    and anything else is kept as a string.
    """
    for item in overrides:
        if "=" not in item:
            raise SkelgnnError(f"--set {item!r}: expected key=value, e.g. train.epochs=5")
        key, raw = item.split("=", 1)
        parts = key.strip().split(".")
        text = raw.strip()
        try:
            if text in _TOML_WORDS:  # TOML spellings of the booleans and the special floats
                value = _TOML_WORDS[text]
            elif text.lstrip("+-") in ("inf", "nan"):
                value = float(text)
            else:
                value = ast.literal_eval(raw)  # Python literals
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            value = raw
        node = d
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise SkelgnnError(f"--set {item!r}: {p!r} is not a table")
        node[parts[-1]] = value
    return d


def read_toml(path: str | Path, what: str = "config file") -> dict:
    """Parse a TOML file; a missing file or bad TOML is a SkelgnnError naming the file."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SkelgnnError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise SkelgnnError(f"{path}: is a folder; expected a TOML {what}") from None
    except UnicodeDecodeError:
        raise SkelgnnError(f"{path}: not a text file (not UTF-8); expected a TOML {what}") from None
    except OSError as e:
        raise SkelgnnError(f"{path}: cannot read the {what} ({e.strerror or type(e).__name__})") from None
    except tomllib.TOMLDecodeError as e:
        raise SkelgnnError(f"{path}: not valid TOML ({e})") from None


def load_config(path: str | Path | None, overrides: list[str] = ()) -> RunConfig:
    """Read a TOML config (or start from defaults when ``path`` is None) and apply overrides."""
    d: dict = {}
    source = "defaults"
    if path is not None:
        source = str(path)
        d = read_toml(path)
    d = apply_overrides(d, list(overrides))
    return _from_dict(d, source)
