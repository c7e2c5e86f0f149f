"""``skelgnn data hdm05``, ``skelgnn data bandai2`` and ``skelgnn data h36m-cdf``: building benchmark data."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..data.bandai2 import build_cross
from ..data.bandai2_files import OUTPUT_FILES as CROSS_FILES
from ..data.bandai2_files import cross_sanity, save_cross
from ..data.h36m import ALL_SUBJECTS
from ..data.h36m_cdf import convert_h36m_cdf, write_gt_2d_file
from ..data.hdm05 import build_benchmark, format_sanity, sanity_figures
from ..data.hdm05_files import OUTPUT_FILES as HDM05_FILES
from ..data.hdm05_files import save_benchmark
from .common import _guard_outputs


def _cmd_data_hdm05(args: argparse.Namespace) -> int:
    _guard_outputs(inputs=[args.src, Path(args.src) / "asf", Path(args.src) / "amc"],
                   folders={"--out": (args.out, HDM05_FILES)})
    t0 = time.perf_counter()
    bench = build_benchmark(args.src, progress=not args.quiet)
    fig = sanity_figures(bench)
    paths = save_benchmark(bench, args.out, sanity=fig)
    print(format_sanity(fig))
    print(f"Wrote {len(paths)} files to {Path(args.out).resolve()} in {time.perf_counter() - t0:.1f} s:")
    for p in paths:
        print(f"  {p.name}")
    return 0


def _cmd_data_bandai2(args: argparse.Namespace) -> int:
    _guard_outputs(inputs=[args.src, Path(args.src) / "bvh"], folders={"--out": (args.out, CROSS_FILES)})
    t0 = time.perf_counter()
    cross = build_cross(args.src, progress=not args.quiet)
    fig = cross_sanity(cross)
    paths = save_cross(cross, args.out, sanity=fig)
    print(f"Bandai2-Cross: {fig['clips']} clips, {fig['frames']} frames x 4 cameras; in view: "
          f"{fig['in_view_samples']} of {fig['all_samples']} samples (per camera "
          f"{fig['in_view_share_per_camera']})")
    print(f"Wrote {len(paths)} files to {Path(args.out).resolve()} in {time.perf_counter() - t0:.1f} s "
          "(CC BY-NC 4.0: never put them, or weights trained on them, into the package):")
    for p in paths:
        print(f"  {p.name}")
    return 0


def _cmd_data_h36m_cdf(args: argparse.Namespace) -> int:
    out = Path(args.out)
    _guard_outputs(inputs=[args.src], folders={"--out": (out, ("data_3d_h36m.npz", "data_2d_h36m_gt.npz"))})
    p3 = convert_h36m_cdf(args.src, out / "data_3d_h36m.npz", subjects=tuple(args.subjects or ALL_SUBJECTS))
    print(f"Wrote {p3} (32-joint world poses in metres, VideoPose3D layout; S11 'Directions' kept, the "
          "evaluation protocol excludes it)")
    if args.gt_2d:
        # the file was just written by us, so reading it back (pickled layout) is safe
        p2 = write_gt_2d_file(p3, out / "data_2d_h36m_gt.npz", allow_pickle=True)
        print(f"Wrote {p2} (ground-truth 2D: projection through the built-in Human3.6M cameras, distortion "
              "included)")
    return 0


# ---------------------------------------------------------------------------------------- the parsers
def _add_data_hdm05(data_sub) -> None:
    h = data_sub.add_parser("hdm05", help="build HDM05-Lift from the HDM05 ASF/AMC files")
    h.add_argument("--src", required=True, help="folder with asf/, amc/ and MANIFEST.tsv")
    h.add_argument("--out", required=True, help="output folder")
    h.add_argument("--quiet", action="store_true", help="no progress bar")
    h.set_defaults(func=_cmd_data_hdm05)


def _add_data_bandai2(data_sub) -> None:
    b = data_sub.add_parser("bandai2", help="build Bandai2-Cross, the cross-dataset test set, from the "
                                            "Bandai2 BVH files (CC BY-NC 4.0; test data only)")
    b.add_argument("--src", required=True, help="folder with bvh/ and MANIFEST.tsv")
    b.add_argument("--out", required=True, help="output folder")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.set_defaults(func=_cmd_data_bandai2)


def _add_data_h36m_cdf(data_sub) -> None:
    c = data_sub.add_parser(
        "h36m-cdf", help="convert the official Human3.6M CDF files to the VideoPose3D layout (needs "
                         "skelgnn[h36m])")
    c.add_argument("--src", required=True, help="folder with S1, S5, ... as extracted from the official "
                                                "archives (S*/MyPoseFeatures/D3_Positions/*.cdf)")
    c.add_argument("--out", required=True, help="output folder: writes data_3d_h36m.npz there")
    c.add_argument("--gt-2d", action="store_true",
                   help="also write data_2d_h36m_gt.npz (ground-truth 2D through the built-in cameras)")
    c.add_argument("--subjects", nargs="+", metavar="S", help="subjects to convert (default: all 7)")
    c.set_defaults(func=_cmd_data_h36m_cdf)
