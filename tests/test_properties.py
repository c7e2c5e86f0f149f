"""Property-based tests (issue 37 §6): the keypoint readers and the config loader on generated values.

Whatever the values, a reader or the loader returns a result or raises a SkelgnnError, never anything else.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skelgnn.core.errors import SkelgnnError

_numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-10 ** 400,
                                                                                  max_value=10 ** 400),
                     st.none(), st.booleans(), st.text(max_size=5))
_point = st.lists(_numbers, min_size=0, max_size=4)
_person = st.one_of(st.lists(_point, min_size=0, max_size=18), st.lists(_numbers, min_size=0, max_size=54))
_frames = st.lists(st.lists(_person, min_size=0, max_size=3), min_size=0, max_size=6)

_SETTINGS = settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


def _json(value) -> str:
    return json.dumps(value, allow_nan=True)


@_SETTINGS
@given(frames=_frames, shape=st.sampled_from(["dense", "people", "mmpose", "openpose"]),
       fps=_numbers, min_len=st.integers(1, 10))
def test_keypoint_json_readers_never_crash(tmp_path_factory, frames, shape, fps, min_len):
    from skelgnn.keypoints import read_keypoints

    if shape == "dense":
        doc = {"layout": "h36m17", "fps": fps, "frames": frames}
    elif shape == "people":
        doc = {"fps": fps, "frames": [{"frame": i, "people": [{"keypoints": p} for p in fr]}
                                      for i, fr in enumerate(frames)]}
    elif shape == "mmpose":
        doc = [{"frame_id": i, "instances": [{"keypoints": p, "keypoint_scores": [1.0] * len(p)} for p in fr]}
               for i, fr in enumerate(frames)]
    else:
        doc = {"people": [{"pose_keypoints_2d": p} for p in (frames[0] if frames else [])]}
    path = tmp_path_factory.mktemp("kp") / "k.json"
    path.write_text(_json(doc))
    try:
        kp = read_keypoints(path, min_track_length=min_len)
    except SkelgnnError as e:
        assert "\n" not in str(e).strip() or "Traceback" not in str(e)
        return
    assert kp.num_tracks >= 1 and kp.num_frames >= 1


_SPECIAL = [math.inf, -math.inf, math.nan, 1e308, 2 ** 64, 2 ** 64 - 1, 2 ** 63, -(2 ** 63) - 1]
_huge = st.one_of(st.integers(-10 ** 400, 10 ** 400), st.sampled_from(_SPECIAL))
_toml_values = st.one_of(st.integers(-10 ** 30, 10 ** 30), st.floats(), _huge, st.booleans(),
                         st.text(max_size=8), st.lists(st.integers(-5, 5), max_size=3),
                         st.lists(_huge, max_size=2))
_known_keys = st.sampled_from([
    "train.epochs", "train.lr", "train.seed", "train.batch_size", "train.threads", "train.patience",
    "train.eval_batch_size", "train.precise_bn", "train.chunk", "train.lr_decay", "train.weight_decay",
    "data.input", "data.view_seed", "data.max_frames_per_clip", "data.joints", "data.val_every",
    "data.extra_views", "data.train_downsample", "data.bone_jitter", "data.view_max_height", "model.name",
    "model.kwargs", "data.train_fraction"])
_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


def _dotted(sections):
    return st.builds(lambda sec, name: f"{sec}.{name}", st.sampled_from(sections), _names)


_unknown_keys = _dotted(["train", "data", "model", "bogus"])
_keys = st.one_of(_known_keys, _unknown_keys)


def _toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(map(_toml, v)) + "]"
    return str(v)


def _finite_numbers(obj) -> bool:
    """Every number in a loaded config (nested dataclasses, dicts, lists) is finite."""
    import dataclasses

    if dataclasses.is_dataclass(obj):
        return all(_finite_numbers(getattr(obj, f.name)) for f in dataclasses.fields(obj))
    if isinstance(obj, dict):
        return all(_finite_numbers(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return all(_finite_numbers(v) for v in obj)
    return not isinstance(obj, float) or math.isfinite(obj)


def _one_line(e: SkelgnnError) -> str:
    text = str(e)
    assert "\n" not in text and len(text) < 1200, text  # one line, however huge the value
    return text


@_SETTINGS
@given(sets=st.lists(st.tuples(_keys, _toml_values), max_size=4))
def test_config_loader_never_crashes(sets):
    import os

    from skelgnn.core.validate import MAX_THREADS, SEED_LIMIT
    from skelgnn.training.config import RunConfig, TrainConfig, load_config

    config = os.path.join(os.path.dirname(__file__), "..", "configs", "skeletal_gnn_hdm05.toml")
    try:
        cfg = load_config(config, [f"{k}={_toml(v)}" for k, v in sets])
    except SkelgnnError as e:
        text = _one_line(e)
        known = {f"{s}.{f}" for s, cls in (("train", TrainConfig), ("data", type(RunConfig().data)),
                                           ("model", type(RunConfig().model)))
                 for f in cls.__dataclass_fields__}
        if any(k not in known for k, _ in sets) and "unknown" in text:
            assert "did you mean" in text or "allowed" in text
        return
    # whatever was accepted is finite and in range (no inf epochs, no seed beyond 64 bits, no 10**400 threads)
    assert _finite_numbers(cfg)
    assert 0 <= cfg.train.seed < SEED_LIMIT and 0 <= cfg.data.view_seed < SEED_LIMIT
    assert 0 <= cfg.train.threads <= MAX_THREADS and 1 <= cfg.train.epochs <= 1_000_000
    assert all(k in {"train", "data", "model"} for k in (key.split(".")[0] for key, _ in sets))


_BENCH = '[benchmark]\ninputs = ["gt"]\n[train]\nepochs = 2\n[[runs]]\nlabel = "a"\nmodel = "fc"\n'
_bench_keys = st.one_of(st.sampled_from(["benchmark.inputs", "benchmark.data", "benchmark.cross",
                                         "benchmark.reference", "train.epochs", "train.seed", "train.threads",
                                         "train.lr", "train.batch_size"]),
                        _dotted(["benchmark", "train", "x"]))


@_SETTINGS
@given(sets=st.lists(st.tuples(_bench_keys, _toml_values), max_size=3))
def test_benchmark_config_loader_never_crashes(tmp_path_factory, sets):
    from skelgnn.tools.benchmark import load_benchmark_config

    path = tmp_path_factory.mktemp("bench") / "b.toml"
    path.write_text(_BENCH)
    try:
        cfg = load_benchmark_config(path, [f"{k}={_toml(v)}" for k, v in sets])
    except SkelgnnError as e:
        _one_line(e)
        return
    assert _finite_numbers(cfg["train"]) and set(cfg["inputs"]) <= {"gt", "noisy"}


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
