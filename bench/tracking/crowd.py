"""Tracking in generated crowds: time and peak memory of the online tracker, and the true person's track.

One person walks through 2,000 frames (1920 × 1080) while N false people per frame (10, 100, 1,000) appear
at random places with random body sizes, each lasting a few frames (2-4) with a little jitter. Frames are
generated one at a time and fed to :class:`skelgnn.keypoints.tracker.OnlineTracker` (``min_len`` 5, the
``--min-track-length`` default), so what is measured is the tracker, not a file of millions of
detections. Time: the tracker's own steps (a pass without tracemalloc); peak memory: a second pass under
tracemalloc. The check: exactly one kept track holds the true person, in every frame, and nothing else.

    PYTHONPATH=src python bench/tracking/crowd.py [--frames 2000] [--false 10 100 1000] [--old]

``--old`` also times the previous tracker (skelgnn 0.2.0's pairwise Python loop, inlined below) on 200 frames.
"""

from __future__ import annotations

import argparse
import platform
import time
import tracemalloc

import numpy as np

from skelgnn.keypoints.tracker import MIN_TRACK_LENGTH, OnlineTracker

W, H, K = 1920, 1080, 17
BASE = np.array([[0, 0], [-60, 0], [-65, 200], [-70, 390], [60, 0], [65, 200], [70, 390], [0, -110],
                 [0, -220], [0, -260], [0, -310], [80, -200], [100, -90], [110, 10], [-80, -200],
                 [-100, -90], [-110, 10]], dtype=np.float64) * 0.8


def frames(n_frames: int, n_false: int, seed: int = 0):
    """Yield ``(t, detections (N+1, K, 3), index of the true person)`` one frame at a time."""
    rng = np.random.default_rng(seed)
    alive = np.zeros((0, 3))  # false people: x, y, scale
    left = np.zeros(0, np.int64)
    for t in range(n_frames):
        keep = left > 0
        alive, left = alive[keep], left[keep]
        need = n_false - len(alive)
        if need > 0:
            new = np.c_[rng.uniform(0, W, need), rng.uniform(0, H, need), rng.uniform(0.05, 0.4, need)]
            alive = np.concatenate([alive, new])
            left = np.concatenate([left, rng.integers(2, 5, need)])
        left = left - 1
        false = alive[:, None, :2] + BASE[None] * alive[:, None, 2:] + rng.normal(0, 2, (len(alive), K, 2))
        true = BASE + [200 + 0.7 * t, 560] + rng.normal(0, 2, (K, 2))
        xy = np.concatenate([false, true[None]])
        conf = np.concatenate([rng.uniform(0.3, 0.9, (len(alive), K)), np.full((1, K), 0.95)])
        order = rng.permutation(len(xy))
        dets = np.concatenate([xy, conf[..., None]], -1)[order]
        yield t, dets, int(np.flatnonzero(order == len(xy) - 1)[0]), true


def run(n_frames: int, n_false: int, memory: bool):
    tracker = OnlineTracker(MIN_TRACK_LENGTH)
    truth = {}
    spent = 0.0
    if memory:
        tracemalloc.start()
    for t, dets, _i, true in frames(n_frames, n_false):
        truth[t] = true
        start = time.perf_counter()
        tracker.step(t, list(dets))
        spent += time.perf_counter() - start
    start = time.perf_counter()
    kept, dropped = tracker.finish()
    spent += time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if memory else None
    if memory:
        tracemalloc.stop()
    holders = [tid for tid, tr in kept.items() if 0 in tr and np.allclose(tr[0][:, :2], truth[0])]
    intact = False
    if len(holders) == 1:
        tr = kept[holders[0]]
        intact = len(tr) == n_frames and all(np.allclose(tr[t][:, :2], truth[t]) for t in range(n_frames))
    return spent, peak, len(kept), dropped, intact


def old_track(frames_):
    """skelgnn 0.2.0's tracker (a Python loop over every detection × open track pair), for comparison."""
    tracks, active, out = [], [], []
    for n, fr in enumerate(frames_):
        active = [t for t in active if n - tracks[t]["last"] <= 30]
        cs = []
        for pts in fr:
            ok = np.isfinite(pts[:, :2]).all(-1) & (pts[:, 2] > 0)
            v = pts[ok, :2]
            cs.append((v.mean(0), float(np.linalg.norm(v.max(0) - v.min(0)))) if ok.any() else None)
        ids, pairs = [-1] * len(fr), []
        for i, c in enumerate(cs):
            if c is None:
                continue
            for t in active:
                d = float(np.linalg.norm(c[0] - tracks[t]["c"]))
                if d <= 2.0 * max(c[1], tracks[t]["s"], 1e-9):
                    pairs.append((d, i, t))
        used = set()
        for _, i, t in sorted(pairs):
            if ids[i] == -1 and t not in used:
                ids[i] = t
                used.add(t)
        for i, c in enumerate(cs):
            if ids[i] == -1 and c is not None:
                tracks.append({"c": c[0], "s": c[1], "last": n})
                ids[i] = len(tracks) - 1
                active.append(ids[i])
            elif ids[i] >= 0:
                tracks[ids[i]].update(c=c[0], s=c[1], last=n)
        out.append(ids)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=2000)
    ap.add_argument("--false", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--old", action="store_true", help="also time the previous tracker on 200 frames")
    args = ap.parse_args()
    with open("/proc/cpuinfo") as fh:
        cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")),
                   platform.processor())
    print(f"CPU: {cpu}; Python {platform.python_version()}; numpy {np.__version__}")
    print("| false / frame | frames | detections | time (s) | µs / detection | peak memory (MiB) | "
          "bytes / detection | kept tracks | dropped | true track intact |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for n in args.false:
        spent, _, kept, dropped, intact = run(args.frames, n, memory=False)
        _, peak, _, _, _ = run(args.frames, n, memory=True)
        dets = args.frames * (n + 1)
        print(f"| {n:,} | {args.frames:,} | {dets:,} | {spent:.1f} | {1e6 * spent / dets:.1f} | "
              f"{peak / 2 ** 20:.1f} | {peak / dets:.0f} | {kept} | {dropped:,} | "
              f"{'yes' if intact else 'NO'} |",
              flush=True)
    if args.old:
        for n in args.false:
            fr = [list(d) for _, d, _, _ in frames(200, n)]
            start = time.perf_counter()
            old_track(fr)
            print(f"previous tracker, {n:,} false / frame, 200 frames: {time.perf_counter() - start:.1f} s",
                  flush=True)
            if time.perf_counter() - start > 60:
                break


if __name__ == "__main__":
    main()
