"""Pictures of lifted poses: a PNG, an animated GIF/MP4, and a self-contained interactive HTML viewer.

The PNG and the animation use matplotlib (the ``viz`` extra, imported when called); the HTML viewer
needs nothing: one file with the data and plain JavaScript drawing on a ``<canvas>``, no network.

All functions take the 17 Human3.6M joints (:data:`skelgnn.skeleton.H36M_17` by default) in the
camera frame (x right, y down, z forward, millimetres) as written by :mod:`skelgnn.predict`, and
draw the person upright (image "down" is drawn down). Bones of the body's left side are blue, of the
right side red, the trunk and head grey; filled joints (``flags``) are drawn hollow.

Shape letters: ``T`` frames, ``J`` joints.
"""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np

from .errors import ShapeError, SkelgnnError
from .skeleton import H36M_17, Skeleton

__all__ = [
    "CENTER_COLOR",
    "LEFT_COLOR",
    "RIGHT_COLOR",
    "animate",
    "bone_sides",
    "plot_pair",
    "write_html_viewer",
]

LEFT_COLOR = "#1f6fd1"
RIGHT_COLOR = "#d62728"
CENTER_COLOR = "#555555"
_VIZ_HINT = 'install the plotting extra: pip install "skelgnn[viz]"'


def bone_sides(skeleton: Skeleton = H36M_17) -> list[tuple[int, int, str]]:
    """``(parent, child, side)`` per bone, side ``"left"``, ``"right"`` or ``"center"`` (of the child)."""
    left, right = set(skeleton.left), set(skeleton.right)
    return [(p, c, "left" if c in left else "right" if c in right else "center") for p, c in skeleton.edges]


_COLORS = {"left": LEFT_COLOR, "right": RIGHT_COLOR, "center": CENTER_COLOR}


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise SkelgnnError(f"plotting needs matplotlib; {_VIZ_HINT}") from None
    return Figure, FigureCanvasAgg


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


def _setup_axes(ax2, ax3, j2: np.ndarray, j3p: np.ndarray) -> None:
    flat = j2.reshape(-1, 2)
    lo, hi = flat.min(0), flat.max(0)
    c, r = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 1.0) * 1.1
    ax2.set_xlim(c[0] - r, c[0] + r)
    ax2.set_ylim(c[1] + r, c[1] - r)  # image v grows downwards
    ax2.set_aspect("equal")
    ax2.set_title("2D input (pixels)")
    ax2.set_xlabel("u")
    ax2.set_ylabel("v")
    c3, r3 = _limits3d(j3p)
    ax3.set_xlim(c3[0] - r3, c3[0] + r3)
    ax3.set_ylim(c3[1] - r3, c3[1] + r3)
    ax3.set_zlim(c3[2] - r3, c3[2] + r3)
    ax3.set_box_aspect((1, 1, 1))
    from matplotlib.ticker import MaxNLocator

    for axis in (ax3.xaxis, ax3.yaxis, ax3.zaxis):
        axis.set_major_locator(MaxNLocator(4))
    ax3.tick_params(labelsize=7)
    ax3.set_xlabel("x (mm)")
    ax3.set_ylabel("z, depth (mm)")
    ax3.set_zlabel("up = −y (mm)")
    ax3.set_title("3D (camera frame, pelvis at 0)")
    ax3.view_init(elev=12, azim=-72)


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


def plot_pair(joints_2d, joints_3d, path: str | os.PathLike, *, flags=None, title: str | None = None,
              skeleton: Skeleton = H36M_17, dpi: int = 100) -> Path:
    """Save a PNG of the 2D input beside the lifted 3D skeleton (written atomically).

    Args:
        joints_2d: (J, 2) pixels.
        joints_3d: (J, 3) millimetres, camera frame.
        path: the PNG file.
        flags: optional (J,) bool, joints that were filled (drawn hollow).
        title: figure title.
        skeleton: the joints' skeleton.
        dpi: resolution.

    Returns:
        the path written.
    """
    from .io import atomic_write_with

    J = skeleton.num_joints
    j2 = _check(joints_2d, (J, 2), "joints_2d", frames=False)
    j3 = _check(joints_3d, (J, 3), "joints_3d", frames=False)
    fl = None if flags is None else np.asarray(flags, dtype=bool).reshape(J)
    Figure, FigureCanvasAgg = _matplotlib()
    fig = Figure(figsize=(10, 5), dpi=dpi)
    FigureCanvasAgg(fig)
    ax2 = fig.add_subplot(1, 2, 1)
    ax3 = fig.add_subplot(1, 2, 2, projection="3d")
    j3p = _to_plot(j3)
    _setup_axes(ax2, ax3, j2, j3p)
    _draw(ax2, ax3, j2, j3p, fl, bone_sides(skeleton))
    if title:
        fig.suptitle(title)
    return atomic_write_with(path, lambda fh: fig.savefig(fh, format="png"))


def animate(joints_2d, joints_3d, path: str | os.PathLike, *, fps: float = 30.0, flags=None,
            title: str | None = None, skeleton: Skeleton = H36M_17, max_frames: int = 300,
            dpi: int = 72) -> Path:
    """Save an animation of the 2D input beside the 3D skeleton: GIF, or MP4 when ffmpeg exists.

    Longer sequences are subsampled evenly to at most ``max_frames`` frames (the playback rate is
    lowered to match, so the clip keeps its duration). Written atomically.

    Args:
        joints_2d: (T, J, 2) pixels.
        joints_3d: (T, J, 3) millimetres, camera frame.
        path: ``.gif`` (Pillow) or ``.mp4`` (needs ffmpeg on the PATH).
        fps: frame rate of the sequence.
        flags: optional (T, J) bool, joints that were filled (drawn hollow).
        title: figure title.
        skeleton: the joints' skeleton.
        max_frames: most frames written.
        dpi: resolution (the figure is 8 × 4 inches).

    Returns:
        the path written.
    """
    J = skeleton.num_joints
    j2 = _check(joints_2d, (J, 2), "joints_2d", frames=True)
    j3 = _check(joints_3d, (J, 3), "joints_3d", frames=True)
    if len(j2) != len(j3):
        raise ShapeError(f"joints_2d has {len(j2)} frames, joints_3d {len(j3)}")
    fl = None if flags is None else np.asarray(flags, dtype=bool).reshape(len(j2), J)
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise SkelgnnError(f"{out}: animations are written as .gif or .mp4, not {suffix or '(no extension)'!r}")
    Figure, FigureCanvasAgg = _matplotlib()
    from matplotlib import animation

    if suffix == ".mp4" and not animation.writers.is_available("ffmpeg"):
        raise SkelgnnError(f"{out}: writing MP4 needs ffmpeg on the PATH; write a .gif instead")
    if not (np.isfinite(fps) and fps > 0):
        fps = 30.0
    T = len(j2)
    idx = np.unique(np.linspace(0, T - 1, min(T, max(int(max_frames), 1))).round().astype(int))
    play_fps = max(fps * len(idx) / T, 1.0)

    fig = Figure(figsize=(8, 4), dpi=dpi)
    FigureCanvasAgg(fig)
    ax2 = fig.add_subplot(1, 2, 1)
    ax3 = fig.add_subplot(1, 2, 2, projection="3d")
    j3p = _to_plot(j3)
    _setup_axes(ax2, ax3, j2[idx], j3p[idx])
    bones = bone_sides(skeleton)
    caption = fig.suptitle(title or "")

    def label(t: int) -> str:
        return f"{title + ' — ' if title else ''}frame {t + 1}/{T}"

    if suffix == ".gif":
        return _write_gif(fig, ax2, ax3, j2, j3p, fl, bones, caption, idx, label, play_fps, out)

    state = {"artists": []}

    def update(i: int):
        for a in state["artists"]:
            a.remove()
        t = int(idx[i])
        state["artists"] = _draw(ax2, ax3, j2[t], j3p[t], None if fl is None else fl[t], bones)
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
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return out


def _write_gif(fig, ax2, ax3, j2, j3p, fl, bones, caption, idx, label, play_fps: float, out: Path) -> Path:
    """Render the frames by blitting onto one drawing of the static axes, and write them with Pillow.

    The axes, ticks and labels are drawn once; per frame only the bones, joints and caption are drawn
    (the bone lines are updated in place), which is several times faster than redrawing the figure.
    """
    from PIL import Image

    from .io import atomic_write_with

    canvas = fig.canvas
    caption.set_text("")
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    t0 = int(idx[0])
    artists = _draw(ax2, ax3, j2[t0], j3p[t0], None if fl is None else fl[t0], bones)
    n_lines = 2 * len(bones)
    lines, scatters = artists[:n_lines], artists[n_lines:]
    frames = []
    for t in (int(i) for i in idx):
        canvas.restore_region(background)
        a2, a3 = j2[t], j3p[t]
        for k, (p, c, _) in enumerate(bones):
            lines[2 * k].set_data(a2[[p, c], 0], a2[[p, c], 1])
            lines[2 * k + 1].set_data_3d(a3[[p, c], 0], a3[[p, c], 1], a3[[p, c], 2])
        for a in scatters:  # the joints (and their filled/hollow faces) are redrawn from scratch
            a.remove()
        face = np.where(fl[t], "white", "black") if fl is not None else "black"
        scatters = [ax2.scatter(j2[t, :, 0], j2[t, :, 1], s=14, c=face, edgecolors="black", zorder=3),
                    ax3.scatter(j3p[t, :, 0], j3p[t, :, 1], j3p[t, :, 2], s=10, c=face, edgecolors="black",
                                depthshade=False)]
        for a in lines + scatters:
            if hasattr(a, "do_3d_projection"):
                a.do_3d_projection()
            a.axes.draw_artist(a)
        caption.set_text(label(t))
        fig.draw_artist(caption)
        frames.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy()))
    duration = max(round(1000.0 / play_fps), 10)
    return atomic_write_with(out, lambda fh: frames[0].save(fh, format="GIF", save_all=True,
                                                           append_images=frames[1:], duration=duration, loop=0))


# ---------------------------------------------------------------------------------------- HTML viewer
_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
body { font-family: system-ui, sans-serif; margin: 16px; color: #222; background: #fafafa; }
h1 { font-size: 18px; margin: 0 0 8px 0; }
#views { display: flex; flex-wrap: wrap; gap: 12px; }
canvas { background: #fff; border: 1px solid #ccc; border-radius: 4px; }
#view3d { cursor: grab; touch-action: none; }
#controls { display: flex; align-items: center; gap: 10px; margin: 10px 0; }
#slider { width: 420px; }
.note { font-size: 13px; color: #555; max-width: 960px; }
.key span { display: inline-block; width: 18px; height: 4px; vertical-align: middle; margin: 0 4px 0 10px; }
</style>
</head>
<body>
<h1>__TITLE__</h1>
<div id="views">
<canvas id="view3d" width="560" height="560" aria-label="3D skeleton, drag to rotate"></canvas>
__CANVAS2D__
</div>
<div id="controls">
<button id="play" type="button">Play</button>
<input id="slider" type="range" min="0" max="0" value="0" step="1" aria-label="frame">
<span id="label"></span>
</div>
<p class="note key">Drag the 3D view to rotate (double-click resets) · space plays/pauses ·
<span style="background:__LEFT__"></span>left <span style="background:__RIGHT__"></span>right
<span style="background:__CENTER__"></span>trunk · hollow joints were missing and filled.</p>
<p class="note">Millimetres in the camera frame (x right, y down, z forward), pelvis at 0; __INFO__.</p>
<script type="application/json" id="skelgnn-data">__DATA__</script>
<script>
(function () {
  "use strict";
  var body = document.body;
  window.addEventListener("error", function (e) { body.dataset.error = String(e.message || e); });
  var D = JSON.parse(document.getElementById("skelgnn-data").textContent);
  var T = D.frames, J = D.parents.length;
  var colors = { left: D.colors[0], right: D.colors[1], center: D.colors[2] };
  var side = [];
  for (var j = 0; j < J; j++) {
    side.push(D.left.indexOf(j) >= 0 ? "left" : (D.right.indexOf(j) >= 0 ? "right" : "center"));
  }
  function p3(t, j) { var o = (t * J + j) * 3; return [D.joints3d[o], D.joints3d[o + 1], D.joints3d[o + 2]]; }
  function p2(t, j) { var o = (t * J + j) * 2; return [D.joints2d[o], D.joints2d[o + 1]]; }
  function filled(t, j) { return D.flags ? D.flags[t * J + j] === 1 : false; }
  // extent of the whole sequence: a fixed centre and scale, and the floor below the lowest foot
  var lo3 = [Infinity, Infinity, Infinity], hi3 = [-Infinity, -Infinity, -Infinity];
  for (var i = 0; i < D.joints3d.length; i++) {
    lo3[i % 3] = Math.min(lo3[i % 3], D.joints3d[i]); hi3[i % 3] = Math.max(hi3[i % 3], D.joints3d[i]);
  }
  var C = [(lo3[0] + hi3[0]) / 2, (lo3[1] + hi3[1]) / 2, (lo3[2] + hi3[2]) / 2], floorY = hi3[1], R = 1;
  for (var k3 = 0; k3 < D.joints3d.length; k3 += 3) {
    var dx = D.joints3d[k3] - C[0], dy = D.joints3d[k3 + 1] - C[1], dz = D.joints3d[k3 + 2] - C[2];
    R = Math.max(R, Math.sqrt(dx * dx + dy * dy + dz * dz));
  }
  var view = { yaw: -0.6, pitch: 0.25 };
  var state = { frame: 0, playing: false, last: null, acc: 0, bones: 0 };
  var c3 = document.getElementById("view3d"), g3 = c3.getContext("2d");
  var c2 = document.getElementById("view2d"), g2 = c2 ? c2.getContext("2d") : null;
  var slider = document.getElementById("slider"), label = document.getElementById("label");
  var button = document.getElementById("play");
  slider.max = String(T - 1);

  // camera frame (y down) rotated about the vertical axis (yaw), then tilted (pitch); orthographic
  function project(p) {
    var cy = Math.cos(view.yaw), sy = Math.sin(view.yaw), cp = Math.cos(view.pitch), sp = Math.sin(view.pitch);
    var px = p[0] - C[0], py = p[1] - C[1], pz = p[2] - C[2];
    var x = cy * px - sy * pz, z = sy * px + cy * pz, y = py;
    var y2 = cp * y - sp * z, z2 = sp * y + cp * z;
    var s = 0.42 * Math.min(c3.width, c3.height) / R;
    return [c3.width / 2 + s * x, c3.height / 2 + s * y2, z2];
  }
  function line(g, a, b, color, width) {
    g.strokeStyle = color; g.lineWidth = width; g.beginPath(); g.moveTo(a[0], a[1]); g.lineTo(b[0], b[1]); g.stroke();
  }
  function dot(g, a, hollow) {
    g.beginPath(); g.arc(a[0], a[1], 4, 0, 2 * Math.PI);
    g.fillStyle = hollow ? "#fff" : "#222"; g.fill(); g.strokeStyle = "#222"; g.lineWidth = 1.5; g.stroke();
  }
  function drawFloor() {
    var n = 4, step = 0.8 * R / n, x0 = C[0], z0 = C[2];
    for (var k = -n; k <= n; k++) {
      line(g3, project([x0 + k * step, floorY, z0 - n * step]), project([x0 + k * step, floorY, z0 + n * step]), "#e3e3e3", 1);
      line(g3, project([x0 - n * step, floorY, z0 + k * step]), project([x0 + n * step, floorY, z0 + k * step]), "#e3e3e3", 1);
    }
  }
  function draw3d(t) {
    g3.clearRect(0, 0, c3.width, c3.height);
    drawFloor();
    var pts = [];
    for (var j = 0; j < J; j++) { pts.push(project(p3(t, j))); }
    var bones = [];
    for (var c = 0; c < J; c++) {
      var p = D.parents[c];
      if (p >= 0) { bones.push([p, c, (pts[p][2] + pts[c][2]) / 2]); }
    }
    bones.sort(function (a, b) { return b[2] - a[2]; });  // far bones first
    for (var k = 0; k < bones.length; k++) {
      line(g3, pts[bones[k][0]], pts[bones[k][1]], colors[side[bones[k][1]]], 4);
    }
    for (var q = 0; q < J; q++) { dot(g3, pts[q], filled(t, q)); }
    return bones.length;
  }
  var box = null;
  if (D.joints2d) {
    var lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
    for (var m = 0; m < D.joints2d.length; m += 2) {
      lo[0] = Math.min(lo[0], D.joints2d[m]); hi[0] = Math.max(hi[0], D.joints2d[m]);
      lo[1] = Math.min(lo[1], D.joints2d[m + 1]); hi[1] = Math.max(hi[1], D.joints2d[m + 1]);
    }
    box = { cx: (lo[0] + hi[0]) / 2, cy: (lo[1] + hi[1]) / 2, r: Math.max(hi[0] - lo[0], hi[1] - lo[1], 1) / 2 };
  }
  function draw2d(t) {
    if (!g2 || !box) { return; }
    g2.clearRect(0, 0, c2.width, c2.height);
    var s = 0.45 * Math.min(c2.width, c2.height) / box.r;
    function to(p) { return [c2.width / 2 + s * (p[0] - box.cx), c2.height / 2 + s * (p[1] - box.cy)]; }
    for (var c = 0; c < J; c++) {
      var p = D.parents[c];
      if (p >= 0) { line(g2, to(p2(t, p)), to(p2(t, c)), colors[side[c]], 3); }
    }
    for (var q = 0; q < J; q++) { dot(g2, to(p2(t, q)), filled(t, q)); }
    g2.fillStyle = "#555"; g2.font = "12px sans-serif"; g2.fillText("2D input (pixels)", 8, 16);
  }
  function draw() {
    var t = state.frame;
    state.bones = draw3d(t);
    draw2d(t);
    slider.value = String(t);
    label.textContent = "frame " + (t + 1) + " / " + T + (D.frameNumbers ? " (#" + D.frameNumbers[t] + ")" : "");
    body.dataset.bones = String(state.bones);
    body.dataset.frame = String(t);
  }
  function tick(now) {
    if (!state.playing) { return; }
    if (state.last !== null) {
      state.acc += (now - state.last) / 1000 * D.fps;
      var adv = Math.floor(state.acc);
      if (adv > 0) { state.acc -= adv; state.frame = (state.frame + adv) % T; draw(); }
    }
    state.last = now;
    window.requestAnimationFrame(tick);
  }
  function setPlaying(on) {
    state.playing = on && T > 1; state.last = null; state.acc = 0;
    button.textContent = state.playing ? "Pause" : "Play";
    if (state.playing) { window.requestAnimationFrame(tick); }
  }
  button.addEventListener("click", function () { setPlaying(!state.playing); });
  slider.addEventListener("input", function () { setPlaying(false); state.frame = parseInt(slider.value, 10) || 0; draw(); });
  document.addEventListener("keydown", function (e) {
    if (e.key === " " && e.target === body) { e.preventDefault(); setPlaying(!state.playing); }
  });
  var drag = null;
  c3.addEventListener("pointerdown", function (e) { drag = [e.clientX, e.clientY]; c3.setPointerCapture(e.pointerId); c3.style.cursor = "grabbing"; });
  c3.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    view.yaw += (e.clientX - drag[0]) * 0.01;
    view.pitch = Math.max(-1.5, Math.min(1.5, view.pitch - (e.clientY - drag[1]) * 0.01));
    drag = [e.clientX, e.clientY];
    draw();
  });
  function endDrag() { drag = null; c3.style.cursor = "grab"; }
  c3.addEventListener("pointerup", endDrag);
  c3.addEventListener("pointercancel", endDrag);
  c3.addEventListener("dblclick", function () { view.yaw = -0.6; view.pitch = 0.25; draw(); });
  window.skelgnnViewer = {
    frames: T, fps: D.fps, view: view,
    bonesDrawn: function () { return state.bones; },
    setFrame: function (t) { state.frame = Math.max(0, Math.min(T - 1, t | 0)); draw(); },
    play: function () { setPlaying(true); }, pause: function () { setPlaying(false); }
  };
  draw();
  body.dataset.ready = "1";
  setPlaying(__AUTOPLAY__);
})();
</script>
</body>
</html>
"""


def _round_list(a: np.ndarray, decimals: int) -> list:
    return [round(float(v), decimals) for v in np.asarray(a, dtype=np.float64).reshape(-1)]


def write_html_viewer(joints_3d, path: str | os.PathLike, *, fps: float = 30.0, title: str = "skelgnn 3D pose",
                      joints_2d=None, flags=None, frame_numbers=None, skeleton: Skeleton = H36M_17,
                      autoplay: bool = True) -> Path:
    """Write a self-contained interactive HTML viewer of a 3D pose sequence (atomically).

    One file, no network: the data and plain JavaScript are inline, drawing on ``<canvas>``
    elements. Drag to rotate, double-click to reset the view, play/pause, frame slider; with
    ``joints_2d`` the 2D input is shown beside it. Once drawn, the page sets
    ``document.body.dataset.ready = "1"`` and ``document.body.dataset.bones`` to the number of bones
    drawn, and exposes ``window.skelgnnViewer`` (``frames``, ``bonesDrawn()``, ``setFrame(t)``,
    ``play()``, ``pause()``); a script error sets ``document.body.dataset.error``.

    Args:
        joints_3d: (T, J, 3) millimetres, camera frame.
        path: the HTML file.
        fps: playback frame rate.
        title: page title (escaped).
        joints_2d: optional (T, J, 2) pixels.
        flags: optional (T, J) bool, joints that were filled (drawn hollow).
        frame_numbers: optional (T,) frame numbers shown in the label.
        skeleton: the joints' skeleton.
        autoplay: start playing when opened (sequences of more than one frame).

    Returns:
        the path written.
    """
    from .io import atomic_write_text

    J = skeleton.num_joints
    j3 = _check(joints_3d, (J, 3), "joints_3d", frames=True)
    T = len(j3)
    data = {
        "frames": T, "fps": float(fps) if np.isfinite(fps) and fps > 0 else 30.0,
        "parents": list(skeleton.parents), "left": list(skeleton.left), "right": list(skeleton.right),
        "names": list(skeleton.joint_names), "colors": [LEFT_COLOR, RIGHT_COLOR, CENTER_COLOR],
        "joints3d": _round_list(j3, 1), "joints2d": None, "flags": None, "frameNumbers": None,
    }
    if joints_2d is not None:
        j2 = _check(joints_2d, (J, 2), "joints_2d", frames=True)
        if len(j2) != T:
            raise ShapeError(f"joints_2d has {len(j2)} frames, joints_3d {T}")
        data["joints2d"] = _round_list(j2, 1)
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
    info = f"{T} frame{'s' if T != 1 else ''} at {data['fps']:g} fps, {J} joints, {len(skeleton.edges)} bones"
    values = {"TITLE": html.escape(str(title)), "CANVAS2D": canvas2d, "LEFT": LEFT_COLOR, "RIGHT": RIGHT_COLOR,
              "CENTER": CENTER_COLOR, "INFO": html.escape(info), "AUTOPLAY": "true" if autoplay else "false",
              "DATA": blob}
    page = re.sub(r"__([A-Z0-9]+)__", lambda m: values[m.group(1)], _HTML)  # one pass: values stay verbatim
    return atomic_write_text(path, page)
