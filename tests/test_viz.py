"""Pictures: PNG and GIF (matplotlib), and the self-contained HTML viewer (headless Chromium if present)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from skelgnn.core.errors import ShapeError, SkelgnnError
from skelgnn.core.skeleton import H36M_17
from skelgnn.lifting.viz import animate, bone_sides, plot_pair, write_html_viewer


def _walk(T: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A person walking in place: (T, 17, 2) pixels, (T, 17, 3) mm camera frame, (T, 17) flags."""
    base = np.array([[0, 0, 0], [-130, 0, 0], [-140, 450, 0], [-150, 880, 0], [130, 0, 0], [140, 450, 0],
                     [150, 880, 0], [0, -230, 0], [0, -480, 0], [0, -580, -80], [0, -700, -20],
                     [170, -450, 0],
                     [230, -200, 0], [260, 30, 0], [-170, -450, 0], [-230, -200, 0], [-260, 30, 0]], float)
    s = np.sin(np.arange(T) * 2 * np.pi / max(T, 2))[:, None]
    j3 = np.repeat(base[None], T, 0)
    j3[:, [3, 13], 2] += 250 * s
    j3[:, [6, 16], 2] -= 250 * s
    cam = j3 + [0, 0, 4000]
    j2 = 1000 * cam[..., :2] / cam[..., 2:] + [500, 400]
    flags = np.zeros((T, 17), bool)
    flags[1, 13] = True
    return j2, j3, flags


def test_bone_sides_colour_left_and_right():
    sides = {c: s for _, c, s in bone_sides(H36M_17)}
    assert len(sides) == 16
    assert sides[H36M_17.index("left_knee")] == "left" and sides[H36M_17.index("right_wrist")] == "right"
    assert sides[H36M_17.index("head")] == "center"


def test_png_and_gif_are_valid_images(tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    j2, j3, flags = _walk()
    png = plot_pair(j2[1], j3[1], tmp_path / "pair.png", flags=flags[1], title="test")
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size[0] > 300 and im.size[1] > 200
        im.verify()
    gif = animate(j2, j3, tmp_path / "walk.gif", fps=10, flags=flags, title="walk", dpi=40)
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pair.png", "walk.gif"]  # no temporary files left
    with pytest.raises(SkelgnnError, match="NaN"):
        plot_pair(np.full((17, 2), np.nan), j3[0], tmp_path / "x.png")
    with pytest.raises(ShapeError):
        plot_pair(j2, j3, tmp_path / "x.png")
    with pytest.raises(SkelgnnError, match=r"\.gif or \.mp4"):
        animate(j2, j3, tmp_path / "x.avi")


def _html(tmp_path, **kw):
    j2, j3, flags = _walk()
    return write_html_viewer(j3, tmp_path / "view.html", fps=12.5, title="walk </script> & <b>", joints_2d=j2,
                             flags=flags, **kw), j3


def test_html_viewer_is_self_contained_and_holds_the_data(tmp_path):
    path, j3 = _html(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"https?://", text)
    assert not re.search(r"<(script|link|img|iframe)[^>]*\b(src|href)\s*=", text, re.IGNORECASE)
    assert "@import" not in text and "url(" not in text
    assert "walk &lt;/script&gt; &amp; &lt;b&gt;" in text  # the title is escaped
    blob = re.search(r'<script type="application/json" id="skelgnn-data">(.*?)</script>', text, re.DOTALL)
    blob = blob.group(1)
    data = json.loads(blob)
    assert data["frames"] == 4 and data["fps"] == 12.5 and data["parents"] == list(H36M_17.parents)
    np.testing.assert_allclose(np.reshape(data["joints3d"], (4, 17, 3)), j3, atol=0.05)
    assert np.reshape(data["flags"], (4, 17))[1, 13] == 1
    assert "dataset.ready" in text and "bonesDrawn" in text
    with pytest.raises(SkelgnnError, match="NaN"):
        write_html_viewer(np.full((2, 17, 3), np.nan), tmp_path / "bad.html")


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        exe = shutil.which(name)
        if exe:
            return exe
    return None


def _headless(exe: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-extensions", "--no-first-run", "--enable-logging=stderr", "--v=0",
           "--virtual-time-budget=3000", *args]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=90)


def test_html_viewer_draws_in_headless_chromium(tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("no chromium on the PATH (Debian/Ubuntu: apt-get install -y chromium)")
    path, _ = _html(tmp_path)
    run = _headless(exe, "--dump-dom", path.resolve().as_uri())
    body = re.search(r"<body[^>]*>", run.stdout)
    assert body, f"no DOM dumped; stderr: {run.stderr[-2000:]}"
    tag = body.group(0)
    assert 'data-ready="1"' in tag
    assert 'data-bones="16"' in tag
    assert "data-error" not in tag
    console = [ln for ln in run.stderr.splitlines() if ":CONSOLE" in ln]
    assert not console, console


# ------------------------------------------------------------------------------ issue 16: readable pictures

def _count(rgb: np.ndarray, hex_color: str, tol: int = 40) -> int:
    """Pixels of an (H, W, 3) uint8 image within ``tol`` of a colour."""
    c = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(rgb[..., :3].astype(int) - c).max(-1) <= tol).sum())


def _rgb(path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def test_still_image_format_follows_the_suffix_or_is_refused(tmp_path):
    pytest.importorskip("matplotlib")
    j2, j3, _flags = _walk()
    magic = {"p.png": b"\x89PNG", "p.jpg": b"\xff\xd8\xff", "p.jpeg": b"\xff\xd8\xff", "p.pdf": b"%PDF",
             "p.svg": b"<?xml"}
    for name, head in magic.items():
        plot_pair(j2[0], j3[0], tmp_path / name, dpi=40)
        assert (tmp_path / name).read_bytes()[:len(head)] == head, name
    for bad in ("p.bmp", "p.gif", "p"):
        with pytest.raises(SkelgnnError, match=r"a picture is written as \.png, \.jpg, \.jpeg, \.svg, \.pdf"):
            plot_pair(j2[0], j3[0], tmp_path / bad)
        assert not (tmp_path / bad).exists()


def test_png_draws_legend_sides_and_ground_truth(tmp_path):
    pytest.importorskip("matplotlib")
    from skelgnn.lifting.viz import GT_COLOR, LEFT_COLOR, RIGHT_COLOR

    j2, j3, flags = _walk()
    plain = _rgb(plot_pair(j2[1], j3[1], tmp_path / "a.png", flags=flags[1]))
    gt = j3[1] + [0, 0, 150]
    with_gt = _rgb(plot_pair(j2[1], j3[1], tmp_path / "b.png", flags=flags[1], gt_3d=gt))
    assert plain.shape[1] >= 900
    assert _count(plain, LEFT_COLOR) > 200 and _count(plain, RIGHT_COLOR) > 200
    assert _count(plain, GT_COLOR) == 0 and _count(with_gt, GT_COLOR) > 150
    # the legend sits in the bottom strip: coloured key lines there, nothing of the axes
    strip = plain[int(0.9 * plain.shape[0]):]
    assert _count(strip, LEFT_COLOR) > 20 and _count(strip, RIGHT_COLOR) > 20


def test_gif_is_wide_and_states_its_frame_step(tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    from skelgnn.lifting.viz import animation_frames

    idx, step = animation_frames(7, 3)
    assert step == 3 and idx.tolist() == [0, 3, 6]
    assert animation_frames(68, 300)[1] == 1
    j2, j3, flags = _walk(7)
    gif = animate(j2, j3, tmp_path / "w.gif", fps=30, flags=flags, gt_3d=j3, max_frames=3)
    with Image.open(gif) as im:
        assert im.size[0] >= 720 and im.n_frames == 3
        assert im.info["duration"] == pytest.approx(100, abs=2)  # 30 fps / step 3 keeps the clip's duration


def test_mp4_without_ffmpeg_is_refused_before_any_work(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import skelgnn.lifting.viz as viz

    monkeypatch.setattr(viz, "_ffmpeg_available", lambda: False)
    with pytest.raises(SkelgnnError, match=r"x\.mp4: writing MP4 needs ffmpeg"):
        viz.check_animation_path(tmp_path / "x.mp4")
    assert viz.check_animation_path(tmp_path / "x.gif") == ".gif"
    with pytest.raises(SkelgnnError, match=r"not '\.avi'"):
        viz.check_animation_path(tmp_path / "x.avi")


def _viewer(tmp_path, name="v.html", **kw):
    j2, j3, flags = _walk(6)
    return write_html_viewer(j3, tmp_path / name, fps=kw.pop("fps", 10.0), joints_2d=j2, flags=flags,
                             autoplay=False, **kw)


def test_html_viewer_numbers_frames_from_one_and_says_assumed_fps(tmp_path):
    text = _viewer(tmp_path, fps=None, frame_numbers=np.arange(6),
                   gt_3d=_walk(6)[1]).read_text(encoding="utf-8")
    assert "30 fps (assumed: the input gives no frame rate)" in text
    assert 'id="gt" type="checkbox" checked' in text and "ground truth (3D)" in text
    assert '"frame " + (t + 1) + " of " + T' in text and "(#" not in text
    plain = _viewer(tmp_path, "p.html").read_text(encoding="utf-8")
    assert 'id="gt"' not in plain and "10 fps" in plain


def _dom(exe, path, size: str) -> tuple[str, str]:
    run = _headless(exe, f"--window-size={size}", "--dump-dom", path.resolve().as_uri())
    tag = re.search(r"<body[^>]*>", run.stdout)
    assert tag, f"no DOM dumped; stderr: {run.stderr[-2000:]}"
    label = re.search(r'<span id="label">([^<]*)</span>', run.stdout)
    return tag.group(0), label.group(1) if label else ""


def _attr(tag: str, name: str) -> int:
    m = re.search(rf'data-{name}="(-?\d+)"', tag)
    assert m, (name, tag)
    return int(m.group(1))


@pytest.mark.parametrize("size", ["1000,800", "390,844"])  # headless Chromium widens the phone to 500 px
def test_html_viewer_controls_and_views_fit_the_window(tmp_path, size):
    exe = _chromium()
    if exe is None:
        pytest.skip("no chromium on the PATH (Debian/Ubuntu: apt-get install -y chromium)")
    path = _viewer(tmp_path, frame_numbers=np.arange(10, 16), gt_3d=_walk(6)[1])
    tag, label = _dom(exe, path, size)
    assert 'data-ready="1"' in tag and "data-error" not in tag
    # the page's own viewport
    w, h = (int(v) for v in re.search(r'data-viewport="(\d+)x(\d+)"', tag).groups())
    assert w <= 1000 and (w <= 600) == size.startswith("390")
    assert label == "frame 1 of 6 · input frame number 10"
    assert 0 < _attr(tag, "controls-bottom") <= h  # play/slider visible without scrolling
    assert _attr(tag, "view3d-right") <= w  # the 3D view is not cut off at the side
    if w >= 1000:
        assert _attr(tag, "view3d-bottom") <= h  # and at 1000 x 800 it fits whole


def test_html_viewer_screenshot_shows_skeleton_scale_and_ground_truth(tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("no chromium on the PATH (Debian/Ubuntu: apt-get install -y chromium)")
    from skelgnn.lifting.viz import GT_COLOR, LEFT_COLOR, RIGHT_COLOR

    shots = {}
    for name, gt in (("gt", _walk(6)[1] + [0, 0, 200]), ("plain", None)):
        path = _viewer(tmp_path, f"{name}.html", gt_3d=gt)
        png = tmp_path / f"{name}.png"
        run = _headless(exe, "--window-size=1000,800", "--hide-scrollbars", f"--screenshot={png}",
                        path.resolve().as_uri())
        assert png.is_file(), run.stderr[-2000:]
        shots[name] = _rgb(png)
    img = shots["gt"]
    assert img.shape[:2] == (800, 1000)
    assert (img.reshape(-1, 3).std(0) > 10).all()  # not blank
    assert _count(img, LEFT_COLOR, 30) > 300 and _count(img, RIGHT_COLOR, 30) > 300
    assert _count(img, GT_COLOR, 30) > 150 and _count(shots["plain"], GT_COLOR, 30) < 20
    dark = (img.max(-1) < 60).sum()  # text, axis arrows, scale bar and joints
    assert dark > 2000
