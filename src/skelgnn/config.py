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

from .errors import SkelgnnError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["ModelSpec", "DataConfig", "TrainConfig", "RunConfig", "load_config", "apply_overrides"]


@dataclass
class ModelSpec:
    name: str = "skeletal_gnn"
    kwargs: dict = field(default_factory=dict)


@dataclass
class DataConfig:
    path: str = "data/hdm05"      # folder written by `skelgnn data hdm05`
    input: str = "gt"             # "gt" | "noisy"
    train_fraction: float = 1.0   # use a deterministic subset of training clips (smoke runs)
    max_frames_per_clip: int = 0  # 0 = all; >0 keeps only the first frames (smoke runs)
    input_norm: str = "screen"    # "screen" (VideoPose3D) | "bbox" (pelvis-centred, box-scaled)


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 256         # target frames per optimiser step
    chunk: int = 0                # target frames per sample; 0 = 1 for single-frame, 32 for multi-frame models
    lr: float = 1e-3
    lr_decay: float = 0.95        # multiplied into the learning rate after every epoch
    weight_decay: float = 0.0
    seed: int = 0
    flip: bool = True             # train-time horizontal flip augmentation
    loss: str = "mpjpe"           # "mpjpe" | "l1"
    patience: int = 0             # early stopping on validation MPJPE; 0 = off
    eval_batch_size: int = 1024
    threads: int = 0              # torch.set_num_threads; 0 = leave as is


@dataclass
class RunConfig:
    model: ModelSpec = field(default_factory=ModelSpec)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return asdict(self)


_SECTIONS = {"model": ModelSpec, "data": DataConfig, "train": TrainConfig}


def _number(v, kind: type, where: str):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise SkelgnnError(f"{where} must be a number, got {v!r}")
    if kind is int:
        if v != int(v):
            raise SkelgnnError(f"{where} must be an integer, got {v!r}")
        return int(v)
    return float(v)


def _from_dict(d: dict, source: str) -> RunConfig:
    unknown = set(d) - set(_SECTIONS)
    if unknown:
        raise SkelgnnError(f"{source}: unknown section(s) {sorted(unknown)}; expected {sorted(_SECTIONS)}")
    parts = {}
    for name, cls in _SECTIONS.items():
        sec = d.get(name, {})
        if not isinstance(sec, dict):
            raise SkelgnnError(f"{source}: [{name}] must be a table")
        allowed = {f.name: f for f in fields(cls)}
        bad = set(sec) - set(allowed)
        if bad:
            raise SkelgnnError(f"{source}: unknown key(s) {sorted(bad)} in [{name}]; allowed: {sorted(allowed)}")
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
            values[k] = v
        parts[name] = cls(**values)
    cfg = RunConfig(**parts)
    if cfg.data.input not in ("gt", "noisy"):
        raise SkelgnnError(f"{source}: data.input must be 'gt' or 'noisy', got {cfg.data.input!r}")
    if cfg.data.input_norm not in ("screen", "bbox"):
        raise SkelgnnError(f"{source}: data.input_norm must be 'screen' or 'bbox', got {cfg.data.input_norm!r}")
    if cfg.train.loss not in ("mpjpe", "l1"):
        raise SkelgnnError(f"{source}: train.loss must be 'mpjpe' or 'l1', got {cfg.train.loss!r}")
    return cfg


def apply_overrides(d: dict, overrides: list[str]) -> dict:
    """Apply ``key.path=value`` strings to a nested dict (values parsed as Python literals, else strings)."""
    for item in overrides:
        if "=" not in item:
            raise SkelgnnError(f"--set {item!r}: expected key=value, e.g. train.epochs=5")
        key, raw = item.split("=", 1)
        parts = key.strip().split(".")
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw
        node = d
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise SkelgnnError(f"--set {item!r}: {p!r} is not a table")
        node[parts[-1]] = value
    return d


def load_config(path: str | Path | None, overrides: list[str] = ()) -> RunConfig:
    """Read a TOML config (or start from defaults when ``path`` is None) and apply overrides."""
    d: dict = {}
    source = "defaults"
    if path is not None:
        path = Path(path)
        source = str(path)
        try:
            d = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SkelgnnError(f"{path}: no such config file") from None
        except tomllib.TOMLDecodeError as e:
            raise SkelgnnError(f"{path}: not valid TOML ({e})") from None
    d = apply_overrides(d, list(overrides))
    return _from_dict(d, source)
