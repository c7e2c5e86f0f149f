"""Leave-one-actor-out validation on HDM05-Lift (``data.val_actor``): which clips train and which validate."""

from __future__ import annotations

from dataclasses import replace

import pytest

from skelgnn.core.errors import SkelgnnError
from skelgnn.data.hdm05_files import load_benchmark
from skelgnn.training.config import DataConfig, load_config
from skelgnn.training.datasets import training_sequences


@pytest.fixture(scope="module")
def bench(tiny_bench_dir):
    return load_benchmark(tiny_bench_dir)


def _clips(bench, actors, splits=("train", "val")) -> set[str]:
    return {str(k) for k, a, s in zip(bench.clip_keys, bench.clip_actor, bench.clip_split)
            if str(a) in actors and s in splits}


def _clip_of(key: str) -> str:
    return key.rsplit("/", 1)[0]


def test_each_training_actor_can_be_held_out_and_the_test_actors_never_appear(tiny_bench_dir, bench):
    training = sorted({str(a) for a, s in zip(bench.clip_actor, bench.clip_split) if s != "test"})
    test_clips = _clips(bench, {str(a) for a in bench.clip_actor}, ("test",))
    assert len(training) >= 2 and test_clips
    for held in training:
        cfg = DataConfig(path=str(tiny_bench_dir), input="noisy", input_norm="bbox", val_actor=held)
        train, val, _ = training_sequences(cfg)
        others = set(training) - {held}
        assert {_clip_of(k) for k in val.keys} == _clips(bench, {held})  # every clip of the held-out actor
        assert {_clip_of(k) for k in train.keys} == _clips(bench, others)  # their benchmark val clips too
        assert len(val) == 4 * len(_clips(bench, {held})) and len(train) == 4 * len(_clips(bench, others))
        assert not ({_clip_of(k) for k in train.keys + val.keys} & test_clips)
    # the benchmark's own validation clips when unset
    train, val, _ = training_sequences(DataConfig(path=str(tiny_bench_dir), input="gt"))
    assert {_clip_of(k) for k in val.keys} == _clips(bench, set(training), ("val",))


def test_extra_views_follow_the_training_actors(tiny_bench_dir, bench):
    training = sorted({str(a) for a, s in zip(bench.clip_actor, bench.clip_split) if s != "test"})
    held = training[0]
    cfg = DataConfig(path=str(tiny_bench_dir), input="gt", val_actor=held, extra_views=1)
    train, val, _ = training_sequences(cfg)
    views = [k for k in train.keys if k.rsplit("/", 1)[1].startswith("v")]
    assert {_clip_of(k) for k in views} == _clips(bench, set(training) - {held})
    assert not any(k.rsplit("/", 1)[1].startswith("v") for k in val.keys)  # validation: benchmark cameras


def test_bad_val_actor_is_a_clear_error(tiny_bench_dir, bench):
    test_actor = next(str(a) for a, s in zip(bench.clip_actor, bench.clip_split) if s == "test")
    cfg = DataConfig(path=str(tiny_bench_dir), input="gt")
    with pytest.raises(SkelgnnError, match=rf"val_actor = '{test_actor}' is not a training actor.*expected "
                       r"one of"):
        training_sequences(replace(cfg, val_actor=test_actor))
    with pytest.raises(SkelgnnError, match=r"data.val_actor must be a string, got 3"):
        load_config(None, ["data.val_actor=3"])
    with pytest.raises(SkelgnnError, match=r"data.val_actor must be a training actor's name"):
        load_config(None, ["data.val_actor='a/b'"])
    with pytest.raises(SkelgnnError, match=r"data.val_actor is for data.kind = 'hdm05'"):
        load_config(None, ["data.kind='h36m'", "data.input='gt'", "data.val_actor='S1'"])
    cfg = load_config(None, ["data.val_actor='dg'"])
    # recorded in checkpoints
    assert cfg.data.val_actor == "dg" and cfg.to_dict()["data"]["val_actor"] == "dg"
