"""Calibrate skelgnn.core.height's chain-to-stature factor on HDM05-Lift's training actors (bd, bk, dg).

Per training clip: the head joint's height above the floor (y = 0) at the clip's 95th percentile (the
person standing upright), divided by the ankle-to-head chain of skelgnn.core.height (median bone lengths).
Prints the median ratio over clips per actor and overall. Run: python bench/height/calibrate.py data/hdm05
"""

import sys

import numpy as np

from skelgnn.core.height import chain_length
from skelgnn.data.hdm05_files import load_benchmark

bench = load_benchmark(sys.argv[1] if len(sys.argv) > 1 else "data/hdm05")
ratios: dict[str, list[float]] = {}
for c in range(len(bench.clip_keys)):
    actor = str(bench.clip_actor[c])
    if actor not in ("bd", "bk", "dg"):
        continue
    w = bench.joints_world[bench.clip_frames(c)].astype(np.float64)
    ratios.setdefault(actor, []).append(float(np.percentile(w[:, 10, 1], 95)) / chain_length(w))
for actor, r in sorted(ratios.items()):
    print(f"{actor}: median {np.median(r):.4f} over {len(r)} clips")
print(f"all training clips: median {np.median([x for r in ratios.values() for x in r]):.4f}")
