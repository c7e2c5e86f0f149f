"""The benchmark command on a tiny configuration: tables, JSON, plots, and resume without retraining."""

import json
import math

import pytest

from skelgnn.cli import main
from skelgnn.core.errors import SkelgnnError
from skelgnn.tools.benchmark import load_benchmark_config

CONFIG = """
[benchmark]
data = "{data}"
inputs = ["gt", "noisy"]

[train]
epochs = 1
batch_size = 64

[[runs]]
label = "fc"
model = "fc"
kwargs = {{ channels = 32 }}

[[runs]]
label = "lcn"
model = "lcn"
kwargs = {{ channels = 8 }}
group = "ablation"

[[runs]]
label = "fc_gt_only"
model = "fc"
kwargs = {{ channels = 16 }}
group = "ablation"
inputs = ["gt"]
train = {{ lr = 0.01 }}
"""


def test_benchmark_runs_and_resumes(tiny_bench_dir, tmp_path, capsys):
    cfg = tmp_path / "bench.toml"
    cfg.write_text(CONFIG.format(data=tiny_bench_dir))
    out = tmp_path / "out"
    assert main(["benchmark", str(cfg), "--out", str(out), "--quiet"]) == 0
    summary = json.loads((out / "results.json").read_text())
    assert {(r["label"], r["input"]) for r in summary["results"]} == {
        ("fc", "gt"), ("fc", "noisy"), ("lcn", "gt"), ("lcn", "noisy"), ("fc_gt_only", "gt")}
    assert not (out / "runs" / "fc_gt_only__noisy__s0").exists()
    for r in summary["results"]:
        for key in ("parameters", "train_seconds", "mpjpe", "mpjpe_classwise", "p_mpjpe", "ht10", "rare20",
                    "accel", "mpjve", "bone_std", "root_error", "root_error_pct", "abs_mpjpe"):
            assert key in r
        assert r["device"].startswith("cpu: ")  # where each run trained, for the tables
        # the move of its best validation over the last epochs, from its own log (too short here: None)
        from skelgnn.tools.benchmark import validation_change
        assert "val_change_last" in r
        assert r["val_change_last"] == validation_change(out / "runs" / f"{r['label']}__{r['input']}__s0")
    md = (out / "results.md").read_text()
    assert "## gt input — comparison" in md and "## noisy input — ablations" in md and "| fc |" in md
    # a run's own training settings apply to it alone, and are recorded
    from skelgnn.lifting.checkpoint import read_checkpoint
    assert read_checkpoint(out / "runs" / "fc_gt_only__gt__s0" / "last.pt")["config"]["train"]["lr"] == 0.01
    assert read_checkpoint(out / "runs" / "fc__gt__s0" / "last.pt")["config"]["train"]["lr"] == 1e-3
    assert "- fc_gt_only: train.lr = 0.01" in md
    pytest.importorskip("matplotlib")
    for name in ("per_class_gt.png", "cdf_noisy.png", "per_joint_gt.png"):
        assert (out / name).stat().st_size > 1000
    stamp = (out / "runs" / "fc__gt__s0" / "best.pt").stat().st_mtime_ns
    assert main(["benchmark", str(cfg), "--out", str(out), "--quiet"]) == 0  # resumes: nothing retrained
    assert (out / "runs" / "fc__gt__s0" / "best.pt").stat().st_mtime_ns == stamp
    (out / "runs" / "lcn__noisy__s0" / "test.json").unlink()  # as if the benchmark had stopped before it
    assert main(["benchmark", str(cfg), "--out", str(out), "--quiet", "--report-only"]) == 0
    partial = json.loads((out / "results.json").read_text())
    assert partial["missing"] == ["lcn__noisy__s0"] and len(partial["results"]) == 4
    results_md = (out / "results.md").read_text()
    assert "Not finished yet (rerun the benchmark to train them): lcn__noisy__s0" in results_md
    assert not (out / "runs" / "lcn__noisy__s0" / "test.json").exists()  # report-only trained nothing
    capsys.readouterr()


def test_bad_benchmark_configs(tmp_path):
    cfg = tmp_path / "b.toml"
    cfg.write_text('[benchmark]\ninputs = ["gt"]\n')
    with pytest.raises(SkelgnnError, match="no \\[\\[runs\\]\\]"):
        load_benchmark_config(cfg)
    cfg.write_text('[[runs]]\nlabel = "a b"\nmodel = "fc"\n')
    with pytest.raises(SkelgnnError, match="label"):
        load_benchmark_config(cfg)
    cfg.write_text('[train]\nepoch = 1\n[[runs]]\nlabel = "a"\nmodel = "fc"\n')
    with pytest.raises(SkelgnnError, match=r"unknown key\(s\) \['epoch'\] \(did you mean 'epochs'"):
        load_benchmark_config(cfg)
    cfg.write_text('[benchmark]\ninputs = ["gt"]\n[[runs]]\nlabel = "a"\nmodel = "fc"\ninputs = ["noisy"]\n')
    with pytest.raises(SkelgnnError, match="inputs must be a non-empty subset"):
        load_benchmark_config(cfg)
    cfg.write_text('[[runs]]\nlabel = "a"\nmodel = "fc"\ntrain = { strided = 1 }\n')
    with pytest.raises(SkelgnnError, match=r"runs\[0\]\.train: strided must be true or false"):
        load_benchmark_config(cfg)
    cfg.write_text('[[runs]]\nlabel = "a"\nmodel = "fc"\ntrain = { epoch = 1 }\n')
    with pytest.raises(SkelgnnError, match=r"runs\[0\]\.train: unknown key\(s\) \['epoch'\]"):
        load_benchmark_config(cfg)
    cfg.write_text('[train]\nflip = "yes"\n[[runs]]\nlabel = "a"\nmodel = "fc"\n')
    with pytest.raises(SkelgnnError, match="flip must be true or false"):
        load_benchmark_config(cfg)
    cfg.write_text('[[runs]]\nlabel = "a"\nmodel = "fc"\ninputs = ["gt"]\n[[runs]]\nlabel = "b"\nmodel = '
                   '"fc"\n')
    runs = load_benchmark_config(cfg)["runs"]
    assert runs[0]["inputs"] == ["gt"] and runs[1]["inputs"] == ["gt", "noisy"]


def test_seeds_and_shards_partition_the_jobs(tmp_path):
    from skelgnn.tools.benchmark import jobs

    cfg = tmp_path / "b.toml"
    cfg.write_text('[benchmark]\ninputs = ["gt", "noisy"]\n[[runs]]\nlabel = "a"\nmodel = "fc"\nseeds = [0, '
                   '1, 2]\n[[runs]]\nlabel = "c"\nmodel = "fc"\ninputs = ["gt"]\n'
                   '[[runs]]\nlabel = "b"\nmodel = "fc"\ngroup = "ablation"\ninputs = ["gt"]\n')
    all_jobs = [(r["label"], i, s) for r, i, s in jobs(load_benchmark_config(cfg))]
    # seeds round by round; the one-seed row "c" in the last round; ablations after the comparison
    assert all_jobs == [("a", "gt", 0), ("a", "noisy", 0), ("a", "gt", 1), ("a", "noisy", 1), ("a", "gt", 2),
                        ("a", "noisy", 2), ("c", "gt", 0), ("b", "gt", 0)]
    shards = [all_jobs[k::3] for k in range(3)]  # what --shard k/3 trains
    assert sorted(j for shard in shards for j in shard) == sorted(all_jobs)
    cfg.write_text('[[runs]]\nlabel = "a"\nmodel = "fc"\nseeds = [1, 1]\n')
    with pytest.raises(SkelgnnError, match="seeds must be"):
        load_benchmark_config(cfg)
    with pytest.raises(SystemExit):
        main(["benchmark", str(cfg), "--out", str(tmp_path / "o"), "--shard", "3/2"])


def test_paired_differences_and_their_interval():
    from skelgnn.tools.benchmark_summary import METRICS, aggregate, paired_differences, t_interval

    mean, _lo, hi = t_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and hi - mean == pytest.approx(4.303 * 1.0 / 3 ** 0.5)
    def row(label, seed, v):
        return {"label": label, "input": "gt", "seed": seed, "group": "main", "parameters": 1,
                "receptive_field": 1,
                "train_seconds": 1.0, **{m: v for m in METRICS}}
    results = [row("ref", s, 50.0 + s) for s in range(3)] + [row("base", s,
                                                                 60.0 + s + 0.1 * (s % 2)) for s in range(3)]
    results.append(row("base", 7, 0.0))  # a seed the reference does not have: not paired
    arm = [dict(row("arm", s, 45.0 + s), group="ablation") for s in range(3)]
    (p, a) = paired_differences(arm + results, "ref")  # comparison rows first, then the ablation arms
    assert (a["label"], a["group"], a["mpjpe"]["mean"]) == ("arm", "ablation", 5.0) and a["mpjpe"]["real"]
    assert p["seeds"] == [0, 1, 2] and p["mpjpe"]["mean"] == pytest.approx(-10.0 - 0.1 / 3)
    assert p["mpjpe"]["real"] and p["mpjpe"]["hi"] < 0
    agg = {a["label"]: a for a in aggregate(results)}
    assert agg["ref"]["mpjpe"] == 51.0 and agg["ref"]["mpjpe_sd"] == pytest.approx(1.0)
    noisy = [row("ref", s, 50.0 + 3 * (-1) ** s) for s in range(3)] + [row("base", s, 50.0) for s in range(3)]
    assert not paired_differences(noisy, "ref")[0]["mpjpe"]["real"]


def test_benchmark_reference_may_list_several_labels_each_with_its_own_paired_table(tmp_path):
    from skelgnn.tools.benchmark import load_benchmark_config
    from skelgnn.tools.benchmark_summary import METRICS, paired_differences, results_markdown

    base = (tmp_path / "b.toml")
    runs = '[[runs]]\nlabel = "a"\nmodel = "fc"\n[[runs]]\nlabel = "b"\nmodel = "fc"\n'
    base.write_text('[benchmark]\nreference = ["a", "b"]\n' + runs)
    cfg = load_benchmark_config(base)
    assert cfg["references"] == ["a", "b"] and cfg["reference"] == "a"
    base.write_text('[benchmark]\nreference = ["a", 3]\n' + runs)
    with pytest.raises(SkelgnnError, match=r"benchmark\.reference"):
        load_benchmark_config(base)

    def row(label, seed, v):
        return {"label": label, "input": "gt", "seed": seed, "group": "main", "parameters": 1,
                "receptive_field": 1,
                "train_seconds": 1.0, "train_cpu_seconds": 1.0, "epochs_run": 1, "best_epoch": 1,
                **{m: v for m in METRICS}}
    results = [row(lb, s, v + s) for s in range(3) for lb, v in (("a", 50.0), ("b", 40.0), ("c", 60.0))]
    paired = [p for ref in ("a", "b") for p in paired_differences(results, ref)]
    assert [(p["reference"], p["label"]) for p in paired] == [("a", "b"), ("a", "c"), ("b", "a"), ("b", "c")]
    summary = {"config": "b.toml", "protocol": {}, "results": results, "paired": paired}
    md = results_markdown(summary)
    assert "## Paired differences, a minus each model" in md
    assert "## Paired differences, b minus each model" in md
    b_table = md.split("## Paired differences, b minus each model")[1]
    assert "| c | gt | 0,1,2 | -20.0" in b_table and "| a | gt | 0,1,2 | -10.0" in b_table


def test_results_markdown_prints_the_v1_1_columns_and_dashes_for_older_runs():
    from skelgnn.tools.benchmark_summary import results_markdown

    base = {"label": "a", "input": "gt", "group": "main", "parameters": 1e5, "receptive_field": 1,
            "train_seconds": 1,
            "mpjpe": 80.0, "mpjpe_classwise": 81.0, "p_mpjpe": 60.0, "ht10": 150.0, "rare20": 100.0}
    new = dict(base, label="b", accel=3.456, mpjve=8.44, bone_std=16.7, root_error=186.2, abs_mpjpe=198.9)
    md = results_markdown({"config": "c.toml", "protocol": {}, "results": [base, new]})
    assert "| Accel | MPJVE | bone sd | root err | abs MPJPE |" in md
    assert "| 80.0 | 81.0 | 60.0 | 150.0 | 100.0 | – | – | – | – | – |" in md  # one seed: no ± sd
    assert "| 3.46 | 8.4 | 16.7 | 186.2 | 198.9 |" in md


def test_only_trains_the_named_runs(tiny_bench_dir, tmp_path, capsys):
    cfg = tmp_path / "bench.toml"
    cfg.write_text(CONFIG.format(data=tiny_bench_dir))
    out = tmp_path / "out"
    assert main(["benchmark", str(cfg), "--out", str(out), "--quiet", "--only", "fc_gt_only"]) == 0
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["fc_gt_only__gt__s0"]
    summary = json.loads((out / "results.json").read_text())
    assert [r["label"] for r in summary["results"]] == ["fc_gt_only"]
    assert "fc__gt__s0" in summary["missing"] and "lcn__noisy__s0" in summary["missing"]
    # --only with --shard splits the named runs' jobs among the shards: 2/2 of fc's two jobs is its noisy one
    assert main(["benchmark", str(cfg), "--out", str(out), "--quiet", "--only", "fc", "--shard", "2/2"]) == 0
    assert (out / "runs" / "fc__noisy__s0" / "test.json").exists()
    assert not (out / "runs" / "fc__gt__s0").exists()
    capsys.readouterr()
    assert main(["benchmark", str(cfg), "--out", str(out), "--quiet", "--only", "nope"]) == 2
    assert "no run labelled 'nope'" in capsys.readouterr().err


def test_bench_convergence_script_marks_runs_whose_best_validation_still_moves(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "convergence", Path(__file__).resolve().parents[1] / "bench" / "convergence.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    def run(name, bests, finished=True):
        d = tmp_path / "runs" / name
        d.mkdir(parents=True)
        d.joinpath("log.jsonl").write_text("".join(
            json.dumps({"epoch": i + 1, "best_val_mpjpe": b,
                        "cpu_seconds": 360.0}) + "\n" for i, b in enumerate(bests)))
        if finished:
            d.joinpath("test.json").write_text("{}")

    # moved 0.6 mm over the last 5 (50 -> 49.4)
    run("flat__gt__s0", [90, 60, 50, 49.9, 49.8, 49.8, 49.5, 49.4])
    run("falling__gt__s0", [90, 80, 70, 60, 55, 52, 50, 48])  # moved 22 mm (70 -> 48): still learning
    run("unfinished__gt__s0", [90, 80], finished=False)                   # no test.json: not counted
    assert mod.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| flat__gt__s0 | 8 | 49.40 | 0.60 |" in out
    assert "| falling__gt__s0 | 8 | 48.00 | 22.00 (not converged) |" in out
    assert "unfinished" not in out and "2 finished runs, 1 at or above 1.0 mm; 1.6 CPU-hours" in out
    assert mod.main([str(tmp_path / "nothing")]) == 1


def test_results_markdown_labels_gpu_rows_and_lists_the_devices():
    from skelgnn.tools.benchmark_summary import METRICS, aggregate, results_markdown

    def row(label, seed, device=None):
        r = {"label": label, "input": "gt", "seed": seed, "group": "main", "parameters": 1,
             "receptive_field": 1,
             "train_seconds": 1.0, **{m: 50.0 for m in METRICS}}
        return r if device is None else dict(r, device=device)
    results = [row("a", 0, "cuda: NVIDIA H200"), row("a", 1, "cuda: NVIDIA H200"),
               row("b", 0, "cpu: AMD EPYC"),
               row("c", 0)]
    agg = {a["label"]: a for a in aggregate(results)}
    assert agg["a"]["gpu"] and not agg["b"]["gpu"] and not agg["c"]["gpu"]
    md = results_markdown({"config": "c.toml", "protocol": {}, "results": results})
    assert "| a (GPU) |" in md and "| b |" in md and "| c |" in md and "b (GPU)" not in md
    assert "- devices: cuda: NVIDIA H200 (2 runs); cpu: AMD EPYC (1 run); not recorded (1 run)" in md


def test_ablation_readings_state_a_difference_only_where_the_interval_excludes_zero(tmp_path):
    from skelgnn.tools.benchmark import load_benchmark_config
    from skelgnn.tools.benchmark_summary import METRICS, ablation_readings, results_markdown

    def row(label, seed, v, group="ablation", **per_metric):
        return {"label": label, "input": "gt", "seed": seed, "group": group, "parameters": 1,
                "receptive_field": 1,
                "train_seconds": 1.0, "train_cpu_seconds": 1.0, "epochs_run": 1, "best_epoch": 1,
                **{m: per_metric.get(m, v) for m in METRICS}}
    base = [row("ref", s, 50.0 + s, group="main") for s in range(3)]
    better = [row("better", s, 45.0 + s + 0.1 * s * s) for s in range(3)]  # about 5 mm lower on every seed
    noise = [row("noise", s, 50.0 + s + 4.0 * (-1) ** s) for s in range(3)]  # +4, -4, +4: interval spans 0
    mixed = [row("mixed", s, 50.0 + s, mpjpe=47.0 + s + 0.1 * s, ht10=60.0 + s - 0.1 * s) for s in range(3)]
    lone = [row("lone", 0, 10.0)]                                                     # one seed: no interval
    arms = {"better": ("ref", "d = 1"), "noise": ("ref", ""), "mixed": ("ref", ""), "lone": ("ref", "")}
    readings = {r["arm"]: r for r in ablation_readings(base + better + noise + mixed + lone, arms)}
    assert set(readings) == {"better", "noise", "mixed"}
    assert readings["better"]["mpjpe"]["mean"] == pytest.approx(-5.0 + 0.5 / 3)
    assert readings["better"]["mpjpe"]["real"]
    assert not any(readings["noise"][m]["real"] for m in METRICS)
    md = results_markdown({"config": "c.toml", "protocol": {}, "results": base, "paired": [],
                           "readings": list(readings.values())})
    lines = {ln.split("**")[1]: ln for ln in md.splitlines() if ln.startswith("- **")}
    assert "(d = 1) minus **ref**, gt, seeds 0,1,2: the arm is better: MPJPE -4.8 [" in lines["better"]
    assert "no difference measured at this precision (MPJPE +1.3 [" in lines["noise"]
    assert "mixed: MPJPE -2.9 [" in lines["mixed"] and "HT10 +9.9 [" in lines["mixed"]
    assert "no difference measured at this precision on class-wise, P-MPJPE, Rare20" in lines["mixed"]

    cfg = tmp_path / "b.toml"
    runs = '[[runs]]\nlabel = "a"\nmodel = "fc"\n[[runs]]\nlabel = "b"\nmodel = "fc"\ngroup = "ablation"\n'
    cfg.write_text('[benchmark]\nreference = "a"\n' + runs)
    assert load_benchmark_config(cfg)["runs"][1]["base"] == "a"                     # default: the reference
    three = runs + '[[runs]]\nlabel = "c"\nmodel = "fc"\ngroup = "ablation"\nbase = ["a", "b"]\n'
    cfg.write_text('[benchmark]\nreference = "a"\n' + three)  # a list: one reading per base
    assert [r.get("bases") for r in load_benchmark_config(cfg)["runs"]] == [None, ["a"], ["a", "b"]]
    two = ablation_readings(base + better + noise, {"better": (["ref", "noise"], "")})
    assert [(r["arm"], r["base"]) for r in two] == [("better", "ref"), ("better", "noise")]
    cfg.write_text('[benchmark]\nreference = "a"\n' + three.replace('["a", "b"]', '["a", "a"]'))
    with pytest.raises(SkelgnnError, match=r"runs\[2\] base must be a run label or a list of distinct run "
                       r"labels"):
        load_benchmark_config(cfg)
    cfg.write_text('[benchmark]\nreference = "a"\n' + runs + 'base = "nope"\n')
    with pytest.raises(SkelgnnError, match=r"runs\[1\] \(b\) base 'nope' must be the label of another run"):
        load_benchmark_config(cfg)
    cfg.write_text('[benchmark]\nreference = "a"\n' + runs.replace('model = "fc"\n[[', 'model = "fc"\nbase = '
                                                                   '"b"\n[[', 1))
    with pytest.raises(SkelgnnError, match="only ablation arms take a base"):
        load_benchmark_config(cfg)


def test_by_run_trains_every_seed_of_a_run_before_the_next(tmp_path, monkeypatch):
    import skelgnn.tools.benchmark as bm

    cfg = tmp_path / "b.toml"
    cfg.write_text('[benchmark]\ninputs = ["gt"]\n'
                   '[[runs]]\nlabel = "a"\nmodel = "fc"\nseeds = [0, 1, 2]\n'
                   '[[runs]]\nlabel = "b"\nmodel = "fc"\nseeds = [0, 1, 2]\n')
    trained = []
    monkeypatch.setattr(bm, "_run_one",
                        lambda run, i, s, cfg, out, progress: trained.append((run["label"], s)))
    kw = dict(progress=False, plots=False)
    bm.run_benchmark(cfg, tmp_path / "o", **kw)                       # default: seed round by seed round
    assert trained == [("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2), ("b", 2)]
    trained.clear()
    bm.run_benchmark(cfg, tmp_path / "o", by_run=True, **kw)
    assert trained == [("a", 0), ("a", 1), ("a", 2), ("b", 0), ("b", 1), ("b", 2)]
    trained.clear()
    # shards split the run-ordered list
    bm.run_benchmark(cfg, tmp_path / "o", by_run=True, shard=(2, 2), **kw)
    assert trained == [("a", 1), ("b", 0), ("b", 2)]
    trained.clear()
    summary = bm.run_benchmark(cfg, tmp_path / "o", train=False, by_run=True, **kw)
    assert trained == [] and summary["missing"] == ["a__gt__s0", "b__gt__s0", "a__gt__s1", "b__gt__s1",
                                                    "a__gt__s2", "b__gt__s2"]
    assert main(["benchmark", str(cfg), "--out", str(tmp_path / "o2"), "--by-run", "--report-only",
                 "--quiet"]) == 0


# ------------------------------------------------------ Bandai2-Cross columns, paired table, results page
def _cross_part(mpjpe, pck150):
    from skelgnn.tools.benchmark import CROSS_KEYS

    part = dict.fromkeys(CROSS_KEYS, 50.0)  # the keys _score_cross writes into test.json
    part.update(mpjpe=mpjpe, p_mpjpe=mpjpe - 30.0, n_mpjpe=mpjpe - 10.0, mpjpe_height=mpjpe - 20.0,
                pck150=pck150, auc=0.3, pck150_height=pck150, reproj_px=mpjpe / 10.0, samples=1000)
    return part


def _cross_row(label, seed, v, cross=None, group="main"):
    from skelgnn.tools.benchmark_summary import METRICS

    r = {"label": label, "input": "gt", "seed": seed, "group": group, "parameters": 1e5, "receptive_field": 1,
         "train_seconds": 1.0, "train_cpu_seconds": 1.0, "epochs_run": 1, "best_epoch": 1,
         **dict.fromkeys(METRICS, v)}
    if cross is not None:
        r["cross"] = {"in_view": _cross_part(*cross), "all": _cross_part(cross[0] + 50.0, cross[1] - 0.1)}
    return r


def _cross_results():
    """a, b: three seeds with Bandai2-Cross numbers; c: none (finished before the cross set existed); d: one
    seed of three."""
    a = [_cross_row("a", s, 40.0 + s, (m, p))
         for s, m, p in ((0, 90.0, 0.80), (1, 92.0, 0.82), (2, 97.0, 0.81))]
    b = [_cross_row("b", s, 50.0 + s, (m, p))
         for s, m, p in ((0, 100.0, 0.70), (1, 101.0, 0.75), (2, 110.0, 0.71))]
    c = [_cross_row("c", s, 60.0 + s) for s in range(3)]
    d = [_cross_row("d", s, 45.0 + s, (95.0, 0.77) if s == 0 else None) for s in range(3)]
    return a + b + c + d


def _cross_summary(results, references=("a", "c")):
    from skelgnn.tools.benchmark_summary import aggregate, cross_paired_differences, paired_differences

    return {"config": "c.toml", "protocol": {}, "results": results, "aggregates": aggregate(results),
            "references": list(references),
            "paired": [p for ref in references for p in paired_differences(results, ref)],
            "cross_paired": [p for ref in references for p in cross_paired_differences(results, ref)]}


def test_comparison_table_has_bandai2_cross_columns_with_dashes_and_seed_counts():
    from skelgnn.tools.benchmark_summary import results_markdown

    summary = _cross_summary(_cross_results())
    agg = {r["label"]: r for r in summary["aggregates"]}
    assert agg["c"]["cross"] is None and agg["d"]["cross"]["seeds"] == [0]
    a = agg["a"]["cross"]
    assert a["seeds"] == [0, 1, 2] and a["in_view"]["mpjpe"] == pytest.approx(93.0)
    assert a["in_view"]["mpjpe_sd"] == pytest.approx(13 ** 0.5)  # deviations -3, -1, +4
    assert a["in_view"]["pck150"] == pytest.approx(0.81)          # stored as in test.json
    assert a["all"]["mpjpe"] == pytest.approx(143.0)
    md = results_markdown(summary)
    lines = md.splitlines()
    assert lines[lines.index("## gt input — comparison") + 2].endswith(
        "| abs MPJPE | B2X MPJPE | B2X P-MPJPE | B2X N-MPJPE | B2X PCK@150 % | B2X MPJPE true height "
        "| B2X reproj px |")
    row = {ln.split(" | ")[0][2:]: ln for ln in lines if ln.startswith("| ") and " M | " in ln}
    assert row["a"].endswith("| 93.0 ± 3.6 | 63.0 ± 3.6 | 83.0 ± 3.6 | 81.0 ± 1.0 | 73.0 ± 3.6 | 9.3 ± 0.4 |")
    assert row["c"].endswith("| – | – | – | – | – | – | – | – | – | – | – |")  # v1.1 metrics and cross: none
    assert row["d"].endswith("| 95.0 | 65.0 | 85.0 | 77.0 | 75.0 | 9.5 |")     # one seed: no ± sd
    caption = next(ln for ln in lines if ln.startswith("B2X = Bandai2-Cross"))
    assert caption.endswith("Seeds of the Bandai2-Cross cells where they differ from the HDM05-Lift cells: "
                            "d 1 seed (0).")
    # the same rows without any cross number: the columns are there and show "–"; no caption, no cross section
    plain = [{k: v for k, v in r.items() if k != "cross"} for r in _cross_results()]
    md = results_markdown(_cross_summary(plain))
    assert "B2X = " not in md and "Bandai2-Cross paired" not in md
    assert "| 41.0 ± 1.0 | – | – | – | – | – | – | – | – | – | – | – |" in md


def test_bandai2_cross_paired_table_matches_a_hand_computed_interval():
    from skelgnn.tools.benchmark_summary import cross_paired_differences, results_markdown

    results = _cross_results()
    (b, d) = cross_paired_differences(results, "a")  # c has no cross numbers: not paired
    assert (b["label"], b["seeds"], d["label"], d["seeds"]) == ("b", [0, 1, 2], "d", [0])
    # a minus b, MPJPE: -10, -9, -13 mm; mean -32/3, sd sqrt(13/3), t(0.975, 2) = 4.303
    half = 4.303 * (13 / 3) ** 0.5 / 3 ** 0.5
    assert b["mpjpe"]["mean"] == pytest.approx(-32 / 3)
    assert b["mpjpe"]["lo"] == pytest.approx(-32 / 3 - half)
    assert b["mpjpe"]["hi"] == pytest.approx(-32 / 3 + half)
    assert b["mpjpe"]["real"] and b["mpjpe"]["hi"] < 0
    # PCK@150 in points: +10, +7, +10; mean 9, sd sqrt(3), half 4.303
    assert (b["pck150"]["mean"], b["pck150"]["lo"], b["pck150"]["hi"]) == (
        pytest.approx(9.0), pytest.approx(9.0 - 4.303), pytest.approx(9.0 + 4.303))
    assert d["mpjpe"]["mean"] == pytest.approx(-5.0) and math.isnan(d["mpjpe"]["lo"])  # one seed
    md = results_markdown(_cross_summary(results))
    a_part = md.split("## Bandai2-Cross paired differences, a minus each model")[1].split("\n## ")[0]
    assert ("| model | input | seeds | MPJPE | P-MPJPE | N-MPJPE | PCK@150 % | MPJPE true height "
            "| reproj px |") in a_part
    assert ("| b | gt | 0,1,2 | -10.7 [-15.8, -5.5]* | -10.7 [-15.8, -5.5]* | -10.7 [-15.8, -5.5]* | "
            "+9.0 [+4.7, +13.3]* | -10.7 [-15.8, -5.5]* | -1.1 [-1.6, -0.5]* |") in a_part
    assert "One shared seed (no interval yet): d gt (seed 0)." in a_part and "| d |" not in a_part
    c_part = md.split("## Bandai2-Cross paired differences, c minus each model")[1]
    assert "No interval exists yet: no run of c has been scored on Bandai2-Cross." in c_part
    # one seed of every row scored there (the first cross runs): no interval for anyone yet
    first = [r if r["seed"] == 0 else {k: v for k, v in r.items() if k != "cross"} for r in results]
    md = results_markdown(_cross_summary(first, references=("a",)))
    part = md.split("## Bandai2-Cross paired differences, a minus each model")[1]
    assert "No interval exists yet: no model shares two or more seeds scored on Bandai2-Cross with a." in part
    assert "One shared seed (no interval yet): b gt (seed 0); d gt (seed 0)." in part
    assert "a 1 seed (0); b 1 seed (0); d 1 seed (0)." in md  # the caption's seed counts


PAGE = ("# Results\n\nProse kept.\n\n<!-- tables from bench/x/results.md: begin -->\nold tables\n"
        "<!-- tables from bench/x/results.md: end -->\n\nMore prose.\n")


def test_report_only_writes_the_results_page_between_its_markers(tmp_path, monkeypatch, capsys):
    import skelgnn.tools.benchmark as bm
    from skelgnn.tools.benchmark_summary import write_results_page

    cfg = tmp_path / "b.toml"
    cfg.write_text('[benchmark]\ninputs = ["gt"]\nreference = ["a"]\n'
                   + "".join(f'[[runs]]\nlabel = "{lb}"\nmodel = "fc"\nseeds = [0, 1, 2]\n' for lb in "abcd"))
    out = tmp_path / "out"
    for r in _cross_results():
        folder = out / "runs" / f"{r['label']}__gt__s{r['seed']}"
        folder.mkdir(parents=True)
        (folder / "test.json").write_text(json.dumps(r))
    page = tmp_path / "results.md"
    command = ["benchmark", str(cfg), "--out", str(out), "--report-only", "--quiet",
               "--results-page", str(page)]
    page.write_text("no markers\n")
    assert main(command) == 2
    assert "no marker lines" in capsys.readouterr().err and not (out / "results.md").exists()  # checked first
    page.write_text(PAGE)
    monkeypatch.setattr(bm, "_plots", lambda summary, out: None)
    assert main(command) == 0
    capsys.readouterr()
    md = (out / "results.md").read_text(encoding="utf-8")
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Results\n\nProse kept.\n\n<!-- tables from bench/x/results.md: begin -->\n\n"
                           "### gt input — comparison\n")
    assert text.endswith("\n<!-- tables from bench/x/results.md: end -->\n\nMore prose.\n")
    assert "old tables" not in text
    body = "#" + md[md.index("## gt input — comparison"):].rstrip().replace("\n## ", "\n### ")
    assert body in text and "### Bandai2-Cross paired differences, a minus" in text
    summary = json.loads((out / "results.json").read_text())
    assert summary["references"] == ["a"] and [p["label"] for p in summary["cross_paired"]] == ["b", "d"]
    assert [r["label"] for r in summary["aggregates"] if r["cross"] is None] == ["c"]
    assert not write_results_page(page, md)  # what bench/results_page.py --check compares: nothing to change


def test_a_run_may_set_its_input_normalisation_and_is_scored_with_it(tiny_bench_dir, tmp_path):
    """``data = { input_norm = "bbox" }`` trains on box-normalised 2D, the checkpoint says so, and the test
    numbers are those of the 2D normalised as the checkpoint was trained."""
    from skelgnn.evaluation.evaluate import evaluate_checkpoint
    from skelgnn.lifting.api import Lifter

    cfg = tmp_path / "bench.toml"
    cfg.write_text(f'[benchmark]\ndata = "{tiny_bench_dir}"\ninputs = ["gt"]\n[train]\nepochs = 1\n'
                   'batch_size = 64\n[[runs]]\nlabel = "box"\nmodel = "fc"\nkwargs = { channels = 16 }\n'
                   'data = { input_norm = "bbox" }\n')
    out = tmp_path / "out"
    assert main(["benchmark", str(cfg), "--out", str(out), "--quiet"]) == 0
    run = out / "runs" / "box__gt__s0"
    assert Lifter.load(run / "best.pt").input_norm == "bbox"
    stored = json.loads((run / "test.json").read_text())
    assert stored["data_overrides"] == {"input_norm": "bbox"}
    report, _, _ = evaluate_checkpoint(run / "best.pt", tiny_bench_dir, input_kind="gt")
    assert stored["mpjpe"] == pytest.approx(report["mpjpe"], abs=1e-9)
    bad = tmp_path / "bad.toml"
    bad.write_text(cfg.read_text().replace('"bbox"', '"pixels"'))
    with pytest.raises(SkelgnnError, match=r"runs\[0\]\.data.*input_norm"):
        load_benchmark_config(bad)


def test_tables_name_the_runs_that_miss_the_converged_criterion(tmp_path):
    """A run whose best validation MPJPE still moved by 1 mm or more over its last 5 epochs is named under
    its table with the move; one that moved less, or has too short a log, is not."""
    from skelgnn.tools.benchmark import validation_change
    from skelgnn.tools.benchmark_summary import METRICS, aggregate, results_markdown

    def log(folder, best):
        folder.mkdir()
        (folder / "log.jsonl").write_text("".join(json.dumps({"epoch": i + 1, "best_val_mpjpe": b}) + "\n"
                                                  for i, b in enumerate(best)))
        return folder

    moving = log(tmp_path / "moving", [60, 50, 45, 44, 43, 42, 41.6, 41.5])  # 45 -> 41.5 over the last 5
    settled = log(tmp_path / "settled", [60, 50, 44.0, 43.9, 43.8, 43.7, 43.6, 43.6])  # 44.0 -> 43.6
    short = log(tmp_path / "short", [60, 50, 45])
    assert validation_change(moving) == pytest.approx(3.5)
    assert validation_change(settled) == pytest.approx(0.4)
    assert validation_change(short) is None and validation_change(tmp_path / "absent") is None

    def row(label, seed, change):
        return {"label": label, "input": "gt", "seed": seed, "group": "main", "parameters": 1,
                "receptive_field": 1, "train_seconds": 1.0, "val_change_last": change,
                **{m: 50.0 for m in METRICS}}
    results = [row("a", 0, 2.5), row("a", 1, 0.4), row("b", 0, None)]
    assert [r["not_converged"] for r in aggregate(results)] == [[(0, 2.5)], []]
    md = results_markdown({"config": "c.toml", "protocol": {}, "results": results})
    assert ("Not converged by the protocol's criterion (the best validation MPJPE still moved by 1 mm or "
            "more over the last 5 epochs; their cells are the fixed budget's numbers): a seed 0 "
            "(2.50 mm).") in md
    assert "a seed 1" not in md and "b seed 0" not in md
    assert "Not converged" not in results_markdown({"config": "c.toml", "protocol": {},
                                                    "results": [row("a", 1, 0.4)]})

