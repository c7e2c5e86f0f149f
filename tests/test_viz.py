"""Pictures: PNG and GIF (matplotlib), and the self-contained HTML viewer (headless Chromium if present)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from skelgnn.errors import ShapeError, SkelgnnError
from skelgnn.skeleton import H36M_17
from skelgnn.viz import animate, bone_sides, plot_pair, write_html_viewer


def _walk(T: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A person walking in place: (T, 17, 2) pixels, (T, 17, 3) mm camera frame, (T, 17) flags."""
    base = np.array([[0, 0, 0], [-130, 0, 0], [-140, 450, 0], [-150, 880, 0], [130, 0, 0], [140, 450, 0],
                     [150, 880, 0], [0, -230, 0], [0, -480, 0], [0, -580, -80], [0, -700, -20], [170, -450, 0],
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
    with pytest.raises(SkelgnnError, match=".gif or .mp4"):
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
