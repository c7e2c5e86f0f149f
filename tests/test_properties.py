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


_toml_values = st.one_of(st.integers(-10 ** 30, 10 ** 30), st.floats(), st.booleans(), st.text(max_size=8),
                         st.lists(st.integers(-5, 5), max_size=3))
_keys = st.sampled_from(["train.epochs", "train.lr", "train.seed", "train.batch_size", "train.threads",
                         "train.dropout", "train.epoch", "data.input", "data.view_seed", "model.name",
                         "model.kwargs", "bogus.key", "train.patience", "data.max_frames_per_clip"])


def _toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(map(str, v)) + "]"
    return str(v)


@_SETTINGS
@given(sets=st.lists(st.tuples(_keys, _toml_values), max_size=4))
def test_config_loader_never_crashes(sets):
    import contextlib
    import os

    from skelgnn.training.config import load_config

    config = os.path.join(os.path.dirname(__file__), "..", "configs", "skeletal_gnn_hdm05.toml")
    with contextlib.suppress(SkelgnnError):
        load_config(config, [f"{k}={_toml(v)}" for k, v in sets])


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
