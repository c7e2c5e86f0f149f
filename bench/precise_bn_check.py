"""Validation MPJPE of trained checkpoints with their BatchNorm running averages vs re-estimated statistics.

A diagnostic, not a test (it reads the benchmark's checkpoints, which are not committed; rerun the benchmark
to make them). For each checkpoint: the validation MPJPE as saved, then after
:func:`skelgnn.training.train.reestimate_batchnorm` on ``--batches`` batches of training windows (batch and
chunk as the run trained, flips as in its first epoch, dropout off). Nothing is written back to the
checkpoints.

    python bench/precise_bn_check.py bench/hdm05/runs/*/last.pt --json bench/hdm05/precise_bn.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys

import torch
from torch.utils.data import DataLoader, RandomSampler

from skelgnn.core.io import atomic_write_text
from skelgnn.data.windows import PoseWindows
from skelgnn.lifting.api import Lifter
from skelgnn.training.config import DataConfig
from skelgnn.training.datasets import training_sequences
from skelgnn.training.train import default_chunk, reestimate_batchnorm, validation_mpjpe


def check(path: str, batches: int) -> dict:
    lifter = Lifter.load(path)
    net = lifter.model
    train_cfg, data_cfg = lifter.info.train_config, lifter.info.data_config
    train, val, skeleton = training_sequences(DataConfig(**data_cfg))
    scale = lifter.scale_mm
    net.eval()
    before = validation_mpjpe(net, val, skeleton, scale)
    strided = bool(train_cfg.get("strided")) and net.receptive_field > 1
    chunk = 1 if strided else train_cfg["chunk"] or default_chunk(net.receptive_field,
                                                                  train_cfg["batch_size"])
    windows = PoseWindows(train, net.receptive_field, skeleton, flip=train_cfg["flip"],
                          seed=train_cfg["seed"],
                          chunk=chunk, causal=bool(getattr(net, "causal", False)))
    g = torch.Generator().manual_seed(12345)
    loader = DataLoader(windows, batch_size=max(1, train_cfg["batch_size"] // chunk),
                        sampler=RandomSampler(windows, generator=g))
    reestimate_batchnorm(net, itertools.islice(loader, batches), strided=strided)
    after = validation_mpjpe(net, val, skeleton, scale)
    return {"checkpoint": path, "model": lifter.name, "epoch": lifter.metrics.get("epoch"),
            "input": data_cfg["input"], "val_mpjpe_running_stats": round(before, 1),
            "val_mpjpe_reestimated": round(after, 1), "batches": batches}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoints", nargs="+")
    p.add_argument("--batches", type=int, default=40, help="training batches for the statistics (default 40)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", help="write the rows here")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = []
    for path in args.checkpoints:
        rows.append(check(path, args.batches))
        print(json.dumps(rows[-1]), flush=True)
    if args.json:
        atomic_write_text(args.json, json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
