"""Standing heights (skelgnn.core.height's rule) of HDM05-Lift's training actors (bd, bk, dg).

Prints each actor's median over their clips and the median over all training clips: the body size a
model trained on them draws by default, and the value of the `data.target_height` arm
(configs/benchmark_hdm05.toml, sgnn_plus_h168). The test actors are not read.
Run: python bench/size/train_heights.py data/hdm05 > bench/size/train_heights.txt
"""

import sys

import numpy as np

from skelgnn.core.height import standing_height
from skelgnn.data.hdm05_files import load_benchmark

bench = load_benchmark(sys.argv[1] if len(sys.argv) > 1 else "data/hdm05")
heights: dict[str, list[float]] = {}
for c in range(len(bench.clip_keys)):
    actor = str(bench.clip_actor[c])
    if actor not in ("bd", "bk", "dg"):
        continue
    heights.setdefault(actor, []).append(standing_height(bench.joints_world[bench.clip_frames(c)]) / 1000.0)
for actor, h in sorted(heights.items()):
    print(f"{actor}: median {np.median(h):.3f} m over {len(h)} clips (range {min(h):.3f}-{max(h):.3f})")
print(f"all training clips: median {np.median([x for h in heights.values() for x in h]):.3f} m")
