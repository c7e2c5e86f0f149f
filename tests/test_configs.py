"""Every shipped config loads and builds its model; the [data] keys are type-checked and validated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from skelgnn.core.errors import SkelgnnError
from skelgnn.core.skeleton import H36M_16, H36M_17
from skelgnn.evaluation.protocol import Protocol
from skelgnn.models import build
from skelgnn.tools.benchmark import load_benchmark_config
from skelgnn.training.config import DataConfig, load_config
from skelgnn.training.resume import _flatten  # the flattening resume uses to compare configs

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
CONFIGS = sorted(CONFIG_DIR.glob("*.toml"))


def test_there_are_configs():
    assert len(CONFIGS) >= 5


def _lifts(model, skeleton) -> None:
    """The built model maps one receptive field of 2D joints to one 3D pose."""
    import torch

    J = skeleton.num_joints
    x = torch.randn(1, int(model.receptive_field), J, 2)
    with torch.no_grad():
        y = model.eval()(x)
    assert y.shape == (1, 1, J, 3) and bool(torch.isfinite(y).all())


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_config_loads_and_builds_its_model(path):
    if path.name.startswith("benchmark_"):
        cfg = load_benchmark_config(path)
        assert cfg["runs"]
        for run in cfg["runs"]:  # many models: built (kwargs accepted), not run
            model = build(run["model"], H36M_17, **run["kwargs"])
            assert model.receptive_field % 2 == 1 and sum(p.numel() for p in model.parameters()) > 0
        return
    cfg = load_config(path)
    skeleton = H36M_17
    if cfg.data.kind == "h36m":
        protocol = Protocol.from_config(cfg.data)
        assert protocol.input_2d == cfg.data.input and protocol.joints == cfg.data.joints
        assert cfg.data.allow_pickle is False  # pickled files are opened only by an explicit --allow-pickle
        skeleton = protocol.skeleton
    _lifts(build(cfg.model.name, skeleton, **cfg.model.kwargs), skeleton)


def test_h36m_recipes_state_the_standard_protocol():
    for path in CONFIGS:
        if "h36m" not in path.name:
            continue
        d = load_config(path).data
        assert d.kind == "h36m" and d.name == "h36m"
        assert d.train_subjects == ["S1", "S5", "S6", "S7", "S8"] and d.test_subjects == ["S9", "S11"]
        assert d.joints == 17 and d.exclude_s11_directions and d.test_flip and d.test_downsample == 1


def test_defaults_keep_hdm05_and_match_the_h36m_protocol_defaults():
    d = DataConfig()
    assert d.kind == "hdm05" and d.input == "gt" and d.path == "data/hdm05"
    p = Protocol.from_config(DataConfig(kind="h36m", input="cpn_ft_h36m_dbb"))
    assert p == Protocol()  # the h36m defaults are the standard protocol


@pytest.mark.parametrize("override, message", [
    ("data.kind='mpi'", "data.kind must be 'hdm05' or 'h36m'"),
    ("data.input='cpn_ft_h36m_dbb'", "data.input must be 'gt' or 'noisy'"),  # hdm05 only knows gt/noisy
    ("data.joints=15", "data.joints must be 17 or 16"),
    ("data.train_subjects='S1'", "data.train_subjects must be a list of strings"),
    ("data.test_subjects=[9, 11]", "data.test_subjects must be a list of strings"),
    ("data.allow_pickle=1", "data.allow_pickle must be true or false"),
    ("data.val_every=1", "data.val_every must be an integer >= 2"),
    ("data.test_downsample=0", "data.test_downsample must be an integer >= 1"),
    ("data.extra_views=-2",
     "data.extra_views (random virtual views per training clip) must be an integer >= 0, got -2"),
    ("data.extra_views=0.5", "data.extra_views must be an integer"),
])
def test_bad_data_values_are_clear_errors(override, message):
    with pytest.raises(SkelgnnError, match=re.escape(message)):
        load_config(None, [override])


def test_h36m_values_are_checked_for_h36m():
    h = ["data.kind='h36m'"]
    cfg = load_config(None,
                      h + ["data.input='cpn_ft_h36m_dbb'", "data.joints=16", "data.train_subjects=('S1',)"])
    assert cfg.data.train_subjects == ["S1"] and Protocol.from_config(cfg.data).skeleton == H36M_16
    with pytest.raises(SkelgnnError, match="in both"):
        load_config(None, h + ["data.test_subjects=['S1', 'S9']"])
    with pytest.raises(SkelgnnError, match="at least one subject"):
        load_config(None, h + ["data.train_subjects=[]"])
    with pytest.raises(SkelgnnError, match="plain name"):
        load_config(None, h + ["data.input='../x'"])


@pytest.mark.parametrize("name, differs", [
    ("default_hdm05_cross.toml", {"data.view_max_height"}),  # candidate C's run (D = C + view_max_height 3.5)
    ("default_hdm05_cross_wide.toml", {"model.name", "model.kwargs"}),  # candidate E: the model only
    ("default_hdm05_cross_tcn1.toml", {"model.name", "model.kwargs"}),  # candidate F: the model only
])
def test_default_candidates_differ_from_the_default_recipe_only_where_registered(name, differs):
    """bench/default/cross/RULE.md registers each candidate as the default's recipe with named changes; the
    candidate's file must not drift from configs/default_hdm05.toml anywhere else."""
    default = _flatten(load_config(CONFIG_DIR / "default_hdm05.toml").to_dict())
    cand = _flatten(load_config(CONFIG_DIR / name).to_dict())
    assert set(default) == set(cand)
    changed = {k for k in default if default[k] != cand[k]}
    assert changed <= differs and changed, (name, changed)
