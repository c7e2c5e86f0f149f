"""The Skeletal GNN's surface (issue 35 §5): the paper's hyper-parameters as arguments, every other choice in
one options value, flat config tables mapped onto both, and old checkpoints migrated when they are loaded."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest
import torch

from skelgnn import H36M_17, SkelgnnError
from skelgnn.core.errors import CheckpointError
from skelgnn.lifting.checkpoint import load_checkpoint, make_checkpoint, migrate_checkpoint, save_checkpoint
from skelgnn.models import build, migrate
from skelgnn.models.registry import version_key
from skelgnn.models.skeletal_gnn import ARGUMENTS, OPTIONS, REMOVED, SkeletalGNN, SkeletalGNNOptions

J = H36M_17.num_joints
FIXTURE = Path(__file__).parent / "data" / "layers_09b760a.pt"


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_constructor_takes_at_most_ten_arguments():
    params = list(inspect.signature(SkeletalGNN.__init__).parameters)[1:]  # without self
    assert len(params) <= 10, params
    assert params == ["skeleton", *ARGUMENTS, "options"]
    assert not set(ARGUMENTS) & set(OPTIONS) and not set(REMOVED) & set(ARGUMENTS + OPTIONS)


def test_options_defaults_are_the_earlier_defaults():
    assert dataclasses.asdict(SkeletalGNNOptions()) == {
        "weight_mode": "shared", "squeeze": "k-S", "short_range": "sum", "graph_init": "row",
        "mask_dynamic": False, "o_norm": "tanh", "o_scale": False, "o_gate": False, "o_window": "frame",
        "input_layer": "joint", "temporal_mix": "joint", "root_relative": False, "causal": False,
        "zscore": False, "dropout": 0.25}
    opt = SkeletalGNNOptions(o_gate=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opt.o_gate = False
    assert opt.replace(zscore=True).changed() == {"o_gate": True, "zscore": True}
    for bad in ({"weight_mode": "dense"}, {"o_norm": "relu"}, {"o_window": "sequence"},
                {"input_layer": "conv"}, {"temporal_mix": "time"}, {"dropout": 1.0}, {"dropout": True},
                {"squeeze": "k"}):
        with pytest.raises(SkelgnnError):
            SkeletalGNNOptions(**bad)


def test_flat_kwargs_map_onto_arguments_and_options():
    kwargs = {"channels": 8, "num_blocks": 3, "o_scale": True, "o_gate": True, "input_layer": "graph",
              "zscore": True}
    torch.manual_seed(0)
    flat = build("skeletal_gnn", H36M_17, **kwargs)
    torch.manual_seed(0)
    options = SkeletalGNNOptions(o_scale=True, o_gate=True, input_layer="graph", zscore=True)
    direct = SkeletalGNN(H36M_17, channels=8, num_blocks=3, options=options)
    assert flat.options == direct.options and flat.arguments == direct.arguments
    assert flat.as_kwargs() == {**direct.arguments, "dilations": [], "o_scale": True, "o_gate": True,
                                "input_layer": "graph", "zscore": True}
    x = torch.randn(3, 1, J, 2)
    with torch.no_grad():
        assert torch.equal(flat.eval()(x), direct.eval()(x))
    rebuilt = build("skeletal_gnn", H36M_17, **flat.as_kwargs())
    assert rebuilt.options == flat.options and rebuilt.arguments == flat.arguments
    with pytest.raises(SkelgnnError, match="bad arguments"):
        build("skeletal_gnn", H36M_17, channels=8, colour="red")
    for key, value in (("norm", "channel"), ("graph_hidden", 4), ("norm", "joint")):
        with pytest.raises(SkelgnnError, match=r"removed in skelgnn 0\.3\.0"):
            build("skeletal_gnn", H36M_17, channels=8, **{key: value})
    with pytest.raises(SkelgnnError, match="options"):
        SkeletalGNN(H36M_17, options={"o_gate": True})


def test_version_key():
    assert version_key("0.2.0") == version_key("0.2") < version_key("0.3.0") < version_key("0.10")
    assert version_key(None) == version_key("0+unknown") == version_key(3) == (0,) < version_key("0.1.0")


def _old_checkpoint(tmp_path, case, written_by, extra):
    """The fixture's model saved as a checkpoint of ``written_by`` whose kwargs carry ``extra``."""
    model = build(case["name"], H36M_17, **case["kwargs"])
    model.load_state_dict(case["state_dict"])
    ckpt = make_checkpoint(case["name"], {**case["kwargs"], **extra}, H36M_17, model)
    if written_by is None:
        del ckpt["package_version"]
    else:
        ckpt["package_version"] = written_by
    return save_checkpoint(tmp_path / "old.pt", ckpt)


@pytest.mark.parametrize("written_by", [None, "0.1.0", "0.2.0"])
def test_old_checkpoints_with_removed_switches_at_their_only_value_migrate(tmp_path, written_by):
    cases = torch.load(FIXTURE, weights_only=True)
    for case in cases[:11]:  # the Skeletal GNN cases (the rest are SemGCN)
        extra = {"norm": "joint", "graph_hidden": None}
        if "o" in case["kwargs"].get("dynamic", "mo") and case["name"] != "skeletal_gnn_plus":
            extra["graph_hidden"] = 1  # C_h = C / 4 of the fixture's 4 channels: what the model does anyway
        path = _old_checkpoint(tmp_path, case, written_by, extra)
        model, meta = load_checkpoint(path)
        assert meta["model"]["kwargs"] == case["kwargs"] and meta.get("package_version") == written_by
        with torch.no_grad():
            y = model(case["x"])
        assert (y - case["y"]).abs().max() <= 1e-5 * case["y"].abs().max(), case["kwargs"]


def test_removed_switches_with_other_values_are_refused_by_name(tmp_path):
    case = torch.load(FIXTURE, weights_only=True)[0]  # skeletal_gnn, M_k + O_k, 4 channels
    for extra, match in (({"norm": "channel"}, "norm='channel'"), ({"graph_hidden": 3}, "graph_hidden=3")):
        path = _old_checkpoint(tmp_path, case, "0.2.0", extra)
        with pytest.raises(CheckpointError, match=f"{match}.*skelgnn 0.2"):
            load_checkpoint(path)
    # a checkpoint of a version that no longer knows these switches is not migrated: they are unknown there
    path = _old_checkpoint(tmp_path, case, "0.3.0", {"norm": "joint"})
    with pytest.raises(CheckpointError, match=r"removed in skelgnn 0\.3\.0"):
        load_checkpoint(path)


def test_migration_leaves_current_checkpoints_and_its_input_alone():
    case = torch.load(FIXTURE, weights_only=True)[0]
    kwargs = {**case["kwargs"], "norm": "joint"}
    migrated, state = migrate(case["name"], kwargs, case["state_dict"], "0.2.0")
    assert migrated == case["kwargs"] and "norm" in kwargs and state is case["state_dict"]
    again, _ = migrate(case["name"], migrated, state, "0.2.0")
    assert again == migrated  # idempotent: a development version's checkpoint passes through unchanged
    assert migrate("fc", {"norm": "x"}, {}, None)[0] == {"norm": "x"}  # other models: no migration
    model = build(case["name"], H36M_17, **case["kwargs"])
    ckpt = make_checkpoint(case["name"], case["kwargs"], H36M_17, model)
    ckpt["package_version"] = "0.3.0"
    assert migrate_checkpoint(ckpt) is ckpt


def test_bundled_default_loads_through_the_migration():
    from skelgnn.lifting.checkpoint import read_checkpoint

    path = Path(__file__).resolve().parents[1] / "src" / "skelgnn" / "assets" / "default.pt"
    raw = read_checkpoint(path)
    model, meta = load_checkpoint(path)
    assert meta["model"] == raw["model"]  # nothing to rewrite in it
    assert isinstance(model, SkeletalGNN) and model.options.zscore and model.options.weight_mode == "lcn"


def test_docs_list_every_argument_and_option():
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "models.md").read_text(encoding="utf-8")
    section = text[text.index("## Switches of `SkeletalGNN`"):text.index("### Old checkpoints")]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    listed = {name for row in rows for name in re.findall(r"`(\w+)`", row.split("|")[1])}
    assert listed == set(ARGUMENTS) | set(OPTIONS) | {"options"}
    for removed in REMOVED:
        assert f"`{removed}`" in section
