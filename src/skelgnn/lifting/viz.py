"""Pictures of lifted poses: a still image, an animated GIF/MP4, and a self-contained interactive HTML viewer.

The still image and the animation use matplotlib (the ``viz`` extra, imported when called); the HTML
viewer needs nothing: one file with the data and plain JavaScript drawing on a ``<canvas>``, no network
(its template is ``skelgnn/assets/viewer.html``).

All functions take the 17 Human3.6M joints (:data:`skelgnn.core.skeleton.H36M_17` by default) in the
camera frame (x right, y down, z forward, millimetres) as written by :mod:`skelgnn.lifting.predict`, and
draw the person upright (image "down" is drawn down). Bones of the body's left side are blue, of the
right side red, the trunk and head grey; filled joints (``flags``) are drawn hollow; a known ground
truth is drawn as green dashed bones over the prediction. Every picture carries a legend that says so.
Frame numbers shown are 1-based positions in the sequence.

Shape letters: ``T`` frames, ``J`` joints.
"""

from __future__ import annotations

import contextlib
import html
import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..core.errors import ShapeError, SkelgnnError
from ..core.io import atomic_write_text, atomic_write_with
from ..core.skeleton import H36M_17, Skeleton

__all__ = [
    "ANIMATION_SUFFIXES",
    "CENTER_COLOR",
    "GT_COLOR",
    "IMAGE_FORMATS",
    "LEFT_COLOR",
    "RIGHT_COLOR",
    "animate",
    "animation_frames",
    "bone_sides",
    "check_animation_path",
    "check_image_path",
    "check_matplotlib",
    "plot_pair",
    "write_html_viewer",
]

LEFT_COLOR = "#1f6fd1"
RIGHT_COLOR = "#d62728"
CENTER_COLOR = "#555555"
GT_COLOR = "#2ca02c"
IMAGE_FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".svg": "svg", ".pdf": "pdf"}
"""Still-image suffixes and the matplotlib format each is written in."""
ANIMATION_SUFFIXES = (".gif", ".mp4")
_VIZ_HINT = 'install the plotting extra: pip install "skelgnn[viz]"'


def bone_sides(skeleton: Skeleton = H36M_17) -> list[tuple[int, int, str]]:
    """``(parent, child, side)`` per bone, side ``"left"``, ``"right"`` or ``"center"`` (of the child)."""
    left, right = set(skeleton.left), set(skeleton.right)
    return [(p, c, "left" if c in left else "right" if c in right else "center") for p, c in skeleton.edges]


_COLORS = {"left": LEFT_COLOR, "right": RIGHT_COLOR, "center": CENTER_COLOR}


def check_image_path(path: str | os.PathLike) -> str:
    """The matplotlib format for a still image's suffix (``.png``, ``.jpg``/``.jpeg``, ``.svg``, ``.pdf``).

    Call it before any work: it raises :class:`SkelgnnError` for any other suffix.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_FORMATS:
        raise SkelgnnError(f"{path}: a picture is written as {', '.join(IMAGE_FORMATS)}, not "
                           f"{suffix or '(no extension)'!r}")
    return IMAGE_FORMATS[suffix]


def _ffmpeg_available() -> bool:
    try:
        from matplotlib import animation
    except ImportError:
        return shutil.which("ffmpeg") is not None
    return bool(animation.writers.is_available("ffmpeg"))


def check_animation_path(path: str | os.PathLike) -> str:
    """``".gif"`` or ``".mp4"`` for an animation path; refuses other suffixes and ``.mp4`` without ffmpeg.

    Call it before any work, so that a missing ffmpeg is reported before anything is computed or written.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise SkelgnnError(f"{path}: animations are written as .gif or .mp4, not "
                           f"{suffix or '(no extension)'!r}")
    if suffix == ".mp4" and not _ffmpeg_available():
        raise SkelgnnError(f"{path}: writing MP4 needs ffmpeg on the PATH (not found); write a .gif instead")
    return suffix


def animation_frames(num_frames: int, max_frames: int = 300) -> tuple[np.ndarray, int]:
    """The frames an animation shows: every ``step``-th frame, at most ``max_frames`` of them.

    Returns:
        ``(indices, step)``: 0-based int64 indices (the first is 0) and the step (1: every frame).
    """
    step = max(1, math.ceil(num_frames / max(int(max_frames), 1)))
    return np.arange(0, num_frames, step, dtype=np.int64), step


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise SkelgnnError(f"plotting needs matplotlib; {_VIZ_HINT}") from None
    return Figure, FigureCanvasAgg


def check_matplotlib() -> None:
    """Raise :class:`SkelgnnError` (with the install hint) when matplotlib is missing."""
    _matplotlib()


def _check(a, shape_tail: tuple[int, ...], name: str, frames: bool) -> np.ndarray:
    x = np.asarray(a, dtype=np.float64)
    want = ("T",) + shape_tail if frames else shape_tail
    if x.ndim != len(want) or x.shape[-len(shape_tail):] != shape_tail or (frames and len(x) == 0):
        raise ShapeError(f"{name} must have shape ({', '.join(map(str, want))}), got {x.shape}")
    if not np.isfinite(x).all():
        raise SkelgnnError(f"{name} contains NaN or infinite values; fill missing joints first")
    return x


def _to_plot(j3: np.ndarray) -> np.ndarray:
    """Camera frame (x right, y down, z forward) → plot axes (x right, depth, up)."""
    return np.stack([j3[..., 0], j3[..., 2], -j3[..., 1]], -1)


def _limits3d(p: np.ndarray) -> tuple[np.ndarray, float]:
    flat = p.reshape(-1, 3)
    lo, hi = flat.min(0), flat.max(0)
    return (lo + hi) / 2, max(float((hi - lo).max()) / 2, 1.0) * 1.05


def _setup_axes(ax2, ax3, j2: np.ndarray, j3p: np.ndarray, fontsize: float = 10) -> None:
    flat = j2.reshape(-1, 2)
    lo, hi = flat.min(0), flat.max(0)
    c, r = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 1.0) * 1.1
    ax2.set_xlim(c[0] - r, c[0] + r)
    ax2.set_ylim(c[1] + r, c[1] - r)  # image v grows downwards
    ax2.set_aspect("equal")
    ax2.set_title("2D input (pixels)", fontsize=fontsize + 1)
    ax2.set_xlabel("u (px)", fontsize=fontsize)
    ax2.set_ylabel("v (px)", fontsize=fontsize)
    ax2.tick_params(labelsize=fontsize - 1)
    c3, r3 = _limits3d(j3p)
    ax3.set_xlim(c3[0] - r3, c3[0] + r3)
    ax3.set_ylim(c3[1] - r3, c3[1] + r3)
    ax3.set_zlim(c3[2] - r3, c3[2] + r3)
    ax3.set_box_aspect((1, 1, 1), zoom=1.2)
    from matplotlib.ticker import MaxNLocator

    for axis in (ax3.xaxis, ax3.yaxis, ax3.zaxis):
        axis.set_major_locator(MaxNLocator(4))
    ax3.tick_params(labelsize=fontsize - 1)
    ax3.set_xlabel("x (mm)", fontsize=fontsize)
    ax3.set_ylabel("depth z (mm)", fontsize=fontsize)
    ax3.set_zlabel("up −y (mm)", fontsize=fontsize)
    ax3.set_title("3D (camera frame, pelvis at 0)", fontsize=fontsize + 1)
    ax3.view_init(elev=12, azim=-72)


def _legend(fig, flags: bool, gt: bool, fontsize: float) -> None:
    """Colour key below the axes: left/right/centre bones, hollow (filled-in) joints, ground truth."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=LEFT_COLOR, lw=3), Line2D([], [], color=RIGHT_COLOR, lw=3),
               Line2D([], [], color=CENTER_COLOR, lw=3)]
    labels = ["left side", "right side", "centre (trunk, head)"]
    if gt:
        handles.append(Line2D([], [], color=GT_COLOR, lw=2, ls="--"))
        labels.append("ground truth (3D)")
    handles.append(Line2D([], [], ls="", marker="o", mfc="black", mec="black"))
    labels.append("joint")
    if flags:
        handles.append(Line2D([], [], ls="", marker="o", mfc="white", mec="black"))
        labels.append("hollow: missing, filled in")
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=fontsize, frameon=False,
               handlelength=1.8, columnspacing=1.2)


def _draw(ax2, ax3, j2, j3p, flags, bones) -> list:
    artists = []
    for p, c, side in bones:
        col = _COLORS[side]
        artists += ax2.plot(j2[[p, c], 0], j2[[p, c], 1], color=col, lw=2.5)
        artists += ax3.plot(j3p[[p, c], 0], j3p[[p, c], 1], j3p[[p, c], 2], color=col, lw=2.5)
    face = np.where(flags, "white", "black") if flags is not None else "black"
    artists.append(ax2.scatter(j2[:, 0], j2[:, 1], s=14, c=face, edgecolors="black", zorder=3))
    artists.append(ax3.scatter(j3p[:, 0], j3p[:, 1], j3p[:, 2], s=10, c=face, edgecolors="black",
                               depthshade=False))
    return artists


def _draw_gt(ax3, g3p, bones) -> list:
    return [ax3.plot(g3p[[p, c], 0], g3p[[p, c], 1], g3p[[p, c], 2], color=GT_COLOR, lw=1.8, ls="--")[0]
            for p, c, _ in bones]


def _figure(width_in: float, height_in: float, dpi: int):
    Figure, FigureCanvasAgg = _matplotlib()
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    ax2 = fig.add_subplot(1, 2, 1)
    ax3 = fig.add_subplot(1, 2, 2, projection="3d")
    fig.subplots_adjust(left=0.07, right=0.97, top=0.86, bottom=0.16, wspace=0.15)
    return fig, ax2, ax3


def plot_pair(joints_2d, joints_3d, path: str | os.PathLike, *, flags=None, title: str | None = None,
              gt_3d=None, skeleton: Skeleton = H36M_17, dpi: int = 100) -> Path:
    """Save a picture of the 2D input beside the lifted 3D skeleton (written atomically).

    The format follows the suffix (:data:`IMAGE_FORMATS`: PNG, JPEG, SVG, PDF); any other suffix is
    refused before drawing.

    Args:
        joints_2d: (J, 2) pixels.
        joints_3d: (J, 3) millimetres, camera frame.
        path: the image file.
        flags: optional (J,) bool, joints that were filled (drawn hollow).
        title: figure title.
        gt_3d: optional (J, 3) ground truth, millimetres, same frame (green dashed).
        skeleton: the joints' skeleton.
        dpi: resolution (the figure is 10 × 5.4 inches).

    Returns:
        the path written.
    """
    fmt = check_image_path(path)
    J = skeleton.num_joints
    j2 = _check(joints_2d, (J, 2), "joints_2d", frames=False)
    j3 = _check(joints_3d, (J, 3), "joints_3d", frames=False)
    g3 = None if gt_3d is None else _check(gt_3d, (J, 3), "gt_3d", frames=False)
    fl = None if flags is None else np.asarray(flags, dtype=bool).reshape(J)
    fig, ax2, ax3 = _figure(10, 5.4, dpi)
    j3p = _to_plot(j3)
    g3p = None if g3 is None else _to_plot(g3)
    _setup_axes(ax2, ax3, j2, j3p if g3p is None else np.concatenate([j3p, g3p]))
    bones = bone_sides(skeleton)
    _draw(ax2, ax3, j2, j3p, fl, bones)
    if g3p is not None:
        _draw_gt(ax3, g3p, bones)
    _legend(fig, fl is not None, g3p is not None, 9)
    if title:
        fig.suptitle(title, fontsize=12)
    return atomic_write_with(path, lambda fh: fig.savefig(fh, format=fmt))


def animate(joints_2d, joints_3d, path: str | os.PathLike, *, fps: float = 30.0, flags=None,
            title: str | None = None, gt_3d=None, skeleton: Skeleton = H36M_17, max_frames: int = 300,
            dpi: int = 80) -> Path:
    """Save an animation of the 2D input beside the 3D skeleton: GIF, or MP4 when ffmpeg exists.

    The figure is 10 × 5.4 inches (800 × 432 px at the default dpi) with a legend. A sequence longer
    than ``max_frames`` shows every ``step``-th frame (:func:`animation_frames`), played at
    ``fps / step`` so the clip keeps its duration, and the caption says so. Written atomically.

    Args:
        joints_2d: (T, J, 2) pixels.
        joints_3d: (T, J, 3) millimetres, camera frame.
        path: ``.gif`` (Pillow) or ``.mp4`` (needs ffmpeg on the PATH).
        fps: frame rate of the sequence.
        flags: optional (T, J) bool, joints that were filled (drawn hollow).
        title: figure title.
        gt_3d: optional (T, J, 3) ground truth (green dashed).
        skeleton: the joints' skeleton.
        max_frames: most frames written.
        dpi: resolution.

    Returns:
        the path written.
    """
    suffix = check_animation_path(path)
    J = skeleton.num_joints
    j2 = _check(joints_2d, (J, 2), "joints_2d", frames=True)
    j3 = _check(joints_3d, (J, 3), "joints_3d", frames=True)
    if len(j2) != len(j3):
        raise ShapeError(f"joints_2d has {len(j2)} frames, joints_3d {len(j3)}")
    g3 = None if gt_3d is None else _check(gt_3d, (J, 3), "gt_3d", frames=True)
    if g3 is not None and len(g3) != len(j3):
        raise ShapeError(f"gt_3d has {len(g3)} frames, joints_3d {len(j3)}")
    fl = None if flags is None else np.asarray(flags, dtype=bool).reshape(len(j2), J)
    out = Path(path)
    from matplotlib import animation

    if not (np.isfinite(fps) and fps > 0):
        fps = 30.0
    T = len(j2)
    idx, step = animation_frames(T, max_frames)
    play_fps = max(fps / step, 1.0)

    fig, ax2, ax3 = _figure(10, 5.4, dpi)
    j3p = _to_plot(j3)
    g3p = None if g3 is None else _to_plot(g3)
    _setup_axes(ax2, ax3, j2[idx], j3p[idx] if g3p is None else np.concatenate([j3p[idx], g3p[idx]]))
    _legend(fig, fl is not None, g3p is not None, 9)
    bones = bone_sides(skeleton)
    caption = fig.suptitle(title or "", fontsize=12)
    every = "" if step == 1 else f" (1 frame in {step} shown)"

    def label(t: int) -> str:
        return f"{title + ' — ' if title else ''}frame {t + 1} of {T}{every}"

    if suffix == ".gif":
        return _write_gif(fig, ax2, ax3, j2, j3p, g3p, fl, bones, caption, idx, label, play_fps, out)

    state = {"artists": []}

    def update(i: int):
        for a in state["artists"]:
            a.remove()
        t = int(idx[i])
        state["artists"] = _draw(ax2, ax3, j2[t], j3p[t], None if fl is None else fl[t], bones)
        if g3p is not None:
            state["artists"] += _draw_gt(ax3, g3p[t], bones)
        caption.set_text(label(t))
        return state["artists"]

    anim = animation.FuncAnimation(fig, update, frames=len(idx), blit=False, repeat=False)
    writer = animation.FFMpegWriter(fps=play_fps, codec="libx264", extra_args=["-pix_fmt", "yuv420p"])
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=suffix, dir=out.parent)
    os.close(fd)
    try:
        anim.save(tmp, writer=writer, dpi=dpi)
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return out


def _write_gif(fig, ax2, ax3, j2, j3p, g3p, fl, bones, caption, idx, label, play_fps: float,
               out: Path) -> Path:
    """Render the frames by blitting onto one drawing of the static axes, and write them with Pillow.

    The axes, ticks, labels and legend are drawn once; per frame only the bones, joints and caption are
    drawn (the bone lines are updated in place), which is several times faster than redrawing the figure.
    """
    from PIL import Image

    canvas = fig.canvas
    caption.set_text("")
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    t0 = int(idx[0])
    artists = _draw(ax2, ax3, j2[t0], j3p[t0], None if fl is None else fl[t0], bones)
    gt_lines = [] if g3p is None else _draw_gt(ax3, g3p[t0], bones)
    n_lines = 2 * len(bones)
    lines, scatters = artists[:n_lines], artists[n_lines:]
    frames = []
    for t in (int(i) for i in idx):
        canvas.restore_region(background)
        a2, a3 = j2[t], j3p[t]
        for k, (p, c, _) in enumerate(bones):
            lines[2 * k].set_data(a2[[p, c], 0], a2[[p, c], 1])
            lines[2 * k + 1].set_data_3d(a3[[p, c], 0], a3[[p, c], 1], a3[[p, c], 2])
            if gt_lines:
                g = g3p[t]
                gt_lines[k].set_data_3d(g[[p, c], 0], g[[p, c], 1], g[[p, c], 2])
        for a in scatters:  # the joints (and their filled/hollow faces) are redrawn from scratch
            a.remove()
        face = np.where(fl[t], "white", "black") if fl is not None else "black"
        scatters = [ax2.scatter(j2[t, :, 0], j2[t, :, 1], s=14, c=face, edgecolors="black", zorder=3),
                    ax3.scatter(j3p[t, :, 0], j3p[t, :, 1], j3p[t, :, 2], s=10, c=face, edgecolors="black",
                                depthshade=False)]
        for a in gt_lines + lines + scatters:
            if hasattr(a, "do_3d_projection"):
                a.do_3d_projection()
            a.axes.draw_artist(a)
        caption.set_text(label(t))
        fig.draw_artist(caption)
        frames.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy()))
    duration = max(round(1000.0 / play_fps), 10)
    return atomic_write_with(out, lambda fh: frames[0].save(fh, format="GIF", save_all=True,
                                                           append_images=frames[1:], duration=duration,
                                                            loop=0))


# ---------------------------------------------------------------------------------------- HTML viewer


def _round_list(a: np.ndarray, decimals: int) -> list:
    return [round(float(v), decimals) for v in np.asarray(a, dtype=np.float64).reshape(-1)]


def _template() -> str:
    from importlib.resources import files

    return files("skelgnn").joinpath("assets/viewer.html").read_text(encoding="utf-8")


def write_html_viewer(joints_3d, path: str | os.PathLike, *, fps: float | None = 30.0,
                      title: str = "skelgnn 3D pose", joints_2d=None, flags=None, frame_numbers=None,
                      gt_3d=None, skeleton: Skeleton = H36M_17, autoplay: bool = True) -> Path:
    """Write a self-contained interactive HTML viewer of a 3D pose sequence (atomically).

    One file, no network: the data and plain JavaScript are inline, drawing on ``<canvas>``
    elements (template ``skelgnn/assets/viewer.html``). The controls (play/pause, frame slider,
    1-based frame label, ground-truth toggle) sit above the views, which shrink to fit the window;
    the 3D view has a floor grid of a round step with its size in mm, a scale bar and axis arrows.
    Drag to rotate, double-click to reset the view; with ``joints_2d`` the 2D input is shown beside
    it. Once drawn, the page sets ``document.body.dataset.ready = "1"``, ``bones`` (bones drawn),
    ``frame`` (1-based), ``controlsBottom``/``view3dBottom``/``view3dRight`` (CSS px) and
    ``viewport``, and exposes ``window.skelgnnViewer`` (``frames``, ``bonesDrawn()``,
    ``setFrame(t)`` with 0-based ``t``, ``play()``, ``pause()``); a script error sets
    ``document.body.dataset.error``.

    Args:
        joints_3d: (T, J, 3) millimetres, camera frame.
        path: the HTML file.
        fps: playback frame rate; ``None`` (unknown) plays at 30 fps and the page says it assumed that.
        title: page title (escaped).
        joints_2d: optional (T, J, 2) pixels.
        flags: optional (T, J) bool, joints that were filled (drawn hollow).
        frame_numbers: optional (T,) frame numbers of the input, shown beside the 1-based position
            when they are not simply 0..T-1.
        gt_3d: optional (T, J, 3) ground truth, millimetres (green dashed, with a toggle).
        skeleton: the joints' skeleton.
        autoplay: start playing when opened (sequences of more than one frame).

    Returns:
        the path written.
    """
    J = skeleton.num_joints
    j3 = _check(joints_3d, (J, 3), "joints_3d", frames=True)
    T = len(j3)
    known = fps is not None and bool(np.isfinite(fps)) and fps > 0
    data = {
        "frames": T, "fps": float(fps) if known else 30.0,
        "parents": list(skeleton.parents), "left": list(skeleton.left), "right": list(skeleton.right),
        "names": list(skeleton.joint_names), "colors": [LEFT_COLOR, RIGHT_COLOR, CENTER_COLOR],
        "gtColor": GT_COLOR, "joints3d": _round_list(j3, 1), "joints2d": None, "flags": None,
        "frameNumbers": None, "gt3d": None,
    }
    if joints_2d is not None:
        j2 = _check(joints_2d, (J, 2), "joints_2d", frames=True)
        if len(j2) != T:
            raise ShapeError(f"joints_2d has {len(j2)} frames, joints_3d {T}")
        data["joints2d"] = _round_list(j2, 1)
    if gt_3d is not None:
        g3 = _check(gt_3d, (J, 3), "gt_3d", frames=True)
        if len(g3) != T:
            raise ShapeError(f"gt_3d has {len(g3)} frames, joints_3d {T}")
        data["gt3d"] = _round_list(g3, 1)
    if flags is not None:
        fl = np.asarray(flags, dtype=bool)
        if fl.shape != (T, J):
            raise ShapeError(f"flags must have shape ({T}, {J}), got {fl.shape}")
        data["flags"] = fl.astype(int).reshape(-1).tolist()
    if frame_numbers is not None:
        fn = np.asarray(frame_numbers).reshape(-1)
        if fn.shape != (T,):
            raise ShapeError(f"frame_numbers must have shape ({T},), got {fn.shape}")
        data["frameNumbers"] = [int(v) for v in fn]
    blob = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    canvas2d = ('<canvas id="view2d" width="420" height="560" aria-label="2D input"></canvas>'
                if joints_2d is not None else "")
    rate = f"{data['fps']:g} fps" if known else "30 fps (assumed: the input gives no frame rate)"
    info = f"{T} frame{'s' if T != 1 else ''} at {rate}, {J} joints, {len(skeleton.edges)} bones"
    has_gt = gt_3d is not None
    values = {"TITLE": html.escape(str(title)), "CANVAS2D": canvas2d, "LEFT": LEFT_COLOR,
              "RIGHT": RIGHT_COLOR,
              "CENTER": CENTER_COLOR, "GT": GT_COLOR, "INFO": html.escape(info),
              "AUTOPLAY": "true" if autoplay else "false", "DATA": blob,
              "GTCHECK": ('<label><input id="gt" type="checkbox" checked> ground truth</label>'
                          if has_gt else ""),
              "GTKEY": ' <span class="gt"></span>ground truth (3D)' if has_gt else ""}
    # one pass: values stay verbatim
    page = re.sub(r"__([A-Z0-9]+)__", lambda m: values[m.group(1)], _template())
    return atomic_write_text(path, page)
