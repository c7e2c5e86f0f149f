"""Tests of skelgnn.core.cameras: transforms, projection (pinhole and H36M distortion), virtual rigs."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from skelgnn.core.camera_rigs import (
    H36M_EXTRINSICS,
    H36M_INTRINSICS,
    H36M_SUBJECTS,
    h36m_camera,
    look_at,
    quaternion_to_matrix,
    ring_cameras,
)
from skelgnn.core.cameras import (
    Camera,
    camera_to_world,
    denormalize_screen,
    normalize_screen,
    project,
    project_world,
    world_to_camera,
)
from skelgnn.core.errors import ShapeError, SkelgnnError


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _t(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def _simple_camera(**kw) -> Camera:
    args = dict(R=np.eye(3), center=np.zeros(3), f=[1000.0, 1000.0], c=[500.0, 400.0], width=1000, height=800)
    args.update(kw)
    return Camera(**args)


def _standing_person(root_xz: tuple[float, float]) -> np.ndarray:
    """A crude 17-joint person (Human3.6M order) standing upright, feet at Y = 0, facing +Z, mm."""
    x, z = root_xz
    rel = np.array(
        [
            [0, 950, 0],  # pelvis
            [-130, 900, 0],
            [-130, 500, 20],
            [-130, 80, 0],  # right hip, knee, ankle
            [130, 900, 0],
            [130, 500, 20],
            [130, 80, 0],  # left hip, knee, ankle
            [0, 1200, 0],
            [0, 1450, 0],
            [0, 1550, 30],
            [0, 1700, 0],  # spine, thorax, nose, head
            [180, 1420, 0],
            [220, 1150, 0],
            [240, 900, 20],  # left shoulder, elbow, wrist
            [-180, 1420, 0],
            [-220, 1150, 0],
            [-240, 900, 20],  # right shoulder, elbow, wrist
        ],
        dtype=np.float64,
    )
    return rel + np.array([x, 0.0, z])


# ---------------------------------------------------------------------------------------- Camera
def test_camera_dict_round_trip_and_equality():
    cam = _simple_camera(k=[0.1, 0.01, 0.001], p=[0.001, 0.002], name="x")
    d = cam.to_dict()
    d2 = json.loads(json.dumps(d))  # plain lists and numbers only
    back = Camera.from_dict(d2)
    assert back == cam and hash(back) == hash(cam)
    assert back.has_distortion and not _simple_camera().has_distortion
    assert _simple_camera() != cam
    assert not cam.R.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        cam.width = 3  # type: ignore[misc]


def test_camera_validation():
    with pytest.raises(ShapeError):
        _simple_camera(center=[0.0, 0.0])
    with pytest.raises(SkelgnnError):
        _simple_camera(R=np.diag([1.0, 1.0, -1.0]))  # a reflection, not a rotation
    with pytest.raises(SkelgnnError):
        _simple_camera(width=0)
    with pytest.raises(SkelgnnError, match="lacks"):
        Camera.from_dict({"R": np.eye(3).tolist()})
    assert np.array_equal(_simple_camera(f=1145.0).f, [1145.0, 1145.0])  # scalar focal length


# ---------------------------------------------------------------------------------------- transforms
def test_world_camera_round_trip():
    cam = h36m_camera("S9", 2)
    X = torch.randn(4, 17, 3, generator=_gen(1), dtype=torch.float64) * 1000
    assert_close(camera_to_world(world_to_camera(X, cam), cam), X, rtol=0, atol=1e-9)
    Xn = X.numpy()
    back = camera_to_world(world_to_camera(Xn, cam), cam)
    assert isinstance(back, np.ndarray)
    np.testing.assert_allclose(back, Xn, rtol=0, atol=1e-9)
    # the camera centre maps to the camera-frame origin
    np.testing.assert_allclose(world_to_camera(cam.center, cam), np.zeros(3), atol=1e-9)
    np.testing.assert_allclose(cam.R @ Xn[0, 0] + cam.translation, world_to_camera(Xn[0, 0], cam), atol=1e-9)


def test_pinhole_projection_hand_example():
    cam = _simple_camera()
    # u = 1000 * 100/2000 + 500 = 550, v = 1000 * (-200)/2000 + 400 = 300
    np.testing.assert_allclose(project(np.array([100.0, -200.0, 2000.0]), cam), [550.0, 300.0])
    # a rotated, moved camera: centre (0, 0, -1000), looking along +Z, then the same point
    cam2 = _simple_camera(center=[0.0, 0.0, -1000.0])
    np.testing.assert_allclose(project_world(np.array([100.0, -200.0, 1000.0]), cam2), [550.0, 300.0])
    # the intrinsic matrix gives the same pixels
    uvw = cam.K @ np.array([100.0, -200.0, 2000.0])
    np.testing.assert_allclose(uvw[:2] / uvw[2], [550.0, 300.0])


def test_h36m_distortion_hand_example():
    cam = _simple_camera(f=[1000.0, 1000.0], c=[500.0, 500.0], k=[0.1, 0.01, 0.001], p=[0.001, 0.002])
    # XX = (0.2, 0.1); r² = 0.05; radial = 1 + 0.005 + 0.000025 + 0.000000125 = 1.005025125
    # tan = 0.001·0.2 + 0.002·0.1 = 0.0004
    # XXX = XX · 1.005425125 + p · 0.05 = (0.201135025, 0.1006425125)
    X = np.array([[0.2, 0.1, 1.0], [600.0, 300.0, 3000.0]])
    expected = np.array([[701.135025, 600.6425125]] * 2)
    np.testing.assert_allclose(project(X, cam), expected, rtol=0, atol=1e-9)  # distort=None -> on
    np.testing.assert_allclose(project(X, cam, distort=True), expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(project(X, cam, distort=False), [[700.0, 600.0]] * 2, rtol=0, atol=1e-9)
    # clamping: (3, 0, 1) -> XX = (1, 0), r² = 1, radial = 1.111, tan = 0.001
    # XXX = (1.112 + 0.001, 0 + 0.002) -> (1613, 502)
    np.testing.assert_allclose(project(np.array([3.0, 0.0, 1.0]), cam), [1613.0, 502.0], rtol=0, atol=1e-9)


def test_distortion_with_zero_coefficients_equals_pinhole():
    cam = _simple_camera()
    X = torch.randn(50, 3, generator=_gen(2), dtype=torch.float64) * 300 + torch.tensor([0.0, 0.0, 3000.0])
    assert_close(project(X, cam, distort=True), project(X, cam, distort=False), rtol=0, atol=1e-9)
    assert_close(project(X, cam), project(X, cam, distort=False))


def test_h36m_distortion_is_small_near_centre():
    cam = h36m_camera("S1", 1)
    X = torch.tensor([[30.0, -20.0, 5000.0]], dtype=torch.float64)
    assert_close(project(X, cam), project(X, cam, distort=False), rtol=0, atol=0.05)


# ---------------------------------------------------------------------------------------- screen
def test_normalize_screen_values_and_round_trip():
    w, h = 1000, 1000
    out = normalize_screen(np.array([[0.0, 500.0], [1000.0, 0.0], [500.0, 1000.0]]), w, h)
    np.testing.assert_allclose(out, [[-1.0, 0.0], [1.0, -1.0], [0.0, 1.0]])
    # non-square images keep the aspect ratio: v = h/2 -> 0, and y spans ±h/w
    out = normalize_screen(np.array([[250.0, 501.0], [0.0, 1002.0]]), 1000, 1002)
    np.testing.assert_allclose(out, [[-0.5, 0.0], [-1.0, 1.002]], atol=1e-12)
    uv = torch.rand(7, 17, 2, generator=_gen(3), dtype=torch.float64) * 1000
    assert_close(denormalize_screen(normalize_screen(uv, 1000, 1002), 1000, 1002), uv, rtol=0, atol=1e-9)
    with pytest.raises(ShapeError):
        normalize_screen(np.zeros((17, 3)), w, h)


# ---------------------------------------------------------------------------------------- look_at
@pytest.mark.parametrize("eye", [(3000.0, 1600.0, 2000.0), (-4500.0, 200.0, 10.0), (10.0, 5000.0, -3000.0)])
def test_look_at_geometry(eye):
    eye = np.array(eye)
    target = np.array([100.0, 900.0, -200.0])
    R = look_at(eye, target)
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    cam = Camera(R=R, center=eye, f=[1145.0, 1145.0], c=[500.0, 500.0], width=1000, height=1000)
    t_cam = world_to_camera(target, cam)
    assert t_cam[2] > 0
    np.testing.assert_allclose(project(t_cam, cam), [500.0, 500.0], atol=1e-9)  # principal point
    up_cam = R @ np.array([0.0, 1.0, 0.0])
    assert up_cam[1] < 0  # world up is image up
    # a point above the target projects above it on the image
    assert project_world(target + [0.0, 300.0, 0.0], cam)[1] < 500.0


def test_look_at_degenerate_raises():
    with pytest.raises(SkelgnnError):
        look_at(np.zeros(3), np.zeros(3))
    with pytest.raises(SkelgnnError):
        look_at(np.zeros(3), np.array([0.0, 5.0, 0.0]))  # looking straight up


# ---------------------------------------------------------------------------------------- ring cameras
def test_ring_cameras_see_a_standing_person():
    root_xz = (1234.0, -567.0)
    target = np.array([root_xz[0], 900.0, root_xz[1]])
    cams = ring_cameras(
        target, radius=4500.0, height=1600.0, yaws_deg=[45, 135, 225, 315],
        f=1145.0, c=(500.0, 500.0), width=1000, height_px=1000, name_prefix="hdm",
    )  # fmt: skip
    assert [c.name for c in cams] == ["hdm0", "hdm1", "hdm2", "hdm3"]
    person = _standing_person(root_xz)
    for cam, yaw in zip(cams, [45, 135, 225, 315], strict=True):
        a = math.radians(yaw)
        expected_centre = [target[0] + 4500 * math.cos(a), 1600.0, target[2] + 4500 * math.sin(a)]
        np.testing.assert_allclose(cam.center, expected_centre, atol=1e-9)
        assert cam.width == cam.height == 1000 and not cam.has_distortion
        assert np.linalg.det(cam.R) == pytest.approx(1.0)
        X_cam = world_to_camera(person, cam)
        assert np.all(X_cam[:, 2] > 0)
        uv = project(X_cam, cam)
        assert np.all((uv > 0) & (uv < 1000))  # whole body in the image
        assert np.linalg.norm(uv[0] - 500.0) < 30.0  # pelvis (50 mm above the look-at point) near centre
        assert uv[10, 1] < uv[0, 1] < uv[3, 1]  # head above pelvis above ankle
        np.testing.assert_allclose(project(world_to_camera(target, cam), cam), [500.0, 500.0], atol=1e-9)


# ---------------------------------------------------------------------------------------- quaternions
def test_quaternion_to_matrix():
    np.testing.assert_allclose(quaternion_to_matrix(np.array([1.0, 0, 0, 0])), np.eye(3), atol=1e-15)
    s = math.sqrt(0.5)
    Rz = quaternion_to_matrix(np.array([s, 0.0, 0.0, s]))  # +90° about z: x -> y
    np.testing.assert_allclose(Rz @ [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], atol=1e-12)
    # unnormalised input is normalised; batched torch input works
    q = torch.randn(5, 4, generator=_gen(4), dtype=torch.float64) * 3
    R = quaternion_to_matrix(q)
    assert R.shape == (5, 3, 3)
    eye = torch.eye(3, dtype=torch.float64).expand(5, 3, 3)
    assert_close(R @ R.transpose(-1, -2), eye, rtol=0, atol=1e-12)
    assert_close(torch.linalg.det(R), torch.ones(5, dtype=torch.float64))
    assert_close(quaternion_to_matrix(-q), R)  # q and -q are the same rotation
    with pytest.raises(SkelgnnError):
        quaternion_to_matrix(np.zeros(4))


# ---------------------------------------------------------------------------------------- Human3.6M
def test_h36m_tables_shape():
    assert len(H36M_INTRINSICS) == 4
    assert [d["id"] for d in H36M_INTRINSICS] == ["54138969", "55011271", "58860488", "60457274"]
    sizes = [(d["res_w"], d["res_h"]) for d in H36M_INTRINSICS]
    assert sizes == [(1000, 1002), (1000, 1000), (1000, 1000), (1000, 1002)]
    assert H36M_SUBJECTS == ("S1", "S5", "S6", "S7", "S8", "S9", "S11")
    assert all(len(H36M_EXTRINSICS[s]) == 4 for s in H36M_SUBJECTS)


def test_h36m_camera_s1_0():
    cam = h36m_camera("S1", 0)
    np.testing.assert_array_equal(cam.center, [1841.1070556640625, 4955.28466796875, 1563.4454345703125])
    np.testing.assert_array_equal(cam.f, [1145.0494384765625, 1143.7811279296875])
    np.testing.assert_array_equal(cam.c, [512.54150390625, 515.4514770507812])
    assert (cam.width, cam.height, cam.name) == (1000, 1002, "S1/54138969")
    assert cam.k[0] == -0.20709891617298126 and cam.p[1] == -0.00142447161488235
    assert np.linalg.det(cam.R) == pytest.approx(1.0)
    # R is the transpose of the camera->world quaternion's matrix
    q = np.array([0.1407056450843811, -0.1500701755285263, -0.755240797996521, 0.6223280429840088])
    np.testing.assert_allclose(cam.R, quaternion_to_matrix(q).T, atol=1e-15)


@pytest.mark.parametrize("subject", H36M_SUBJECTS)
def test_h36m_cameras_look_at_the_capture_volume(subject):
    for i in range(4):
        cam = h36m_camera(subject, i)
        X_cam = world_to_camera(np.array([0.0, 0.0, 900.0]), cam)  # H36M world is Z-up, mm
        assert X_cam[2] > 3000.0
        uv = project(X_cam, cam)
        assert np.all((uv > 0) & (uv < [cam.width, cam.height]))


def test_h36m_camera_unknown_raises():
    for subject in ("S2", "S3", "S4", "S12"):
        with pytest.raises(SkelgnnError, match=subject):
            h36m_camera(subject, 0)
    with pytest.raises(SkelgnnError, match="index 4"):
        h36m_camera("S1", 4)


# ---------------------------------------------------------------------------------------- numpy vs torch
def test_numpy_and_torch_agree():
    cam = h36m_camera("S11", 3)
    X = np.random.default_rng(5).normal(size=(6, 17, 3)) * 500 + [0.0, 0.0, 900.0]
    Xt = torch.from_numpy(X)
    for fn in (world_to_camera, camera_to_world):
        out_np, out_t = fn(X, cam), fn(Xt, cam)
        assert isinstance(out_np, np.ndarray) and isinstance(out_t, torch.Tensor)
        assert_close(out_t, _t(out_np), rtol=1e-12, atol=1e-9)
    X_cam = world_to_camera(X, cam)
    for distort in (None, True, False):
        expected = _t(project(X_cam, cam, distort))
        assert_close(project(_t(X_cam), cam, distort), expected, rtol=1e-12, atol=1e-9)
    uv = project(X_cam, cam)
    assert_close(normalize_screen(_t(uv), 1000, 1002), _t(normalize_screen(uv, 1000, 1002)))
    assert_close(denormalize_screen(_t(uv), 1000, 1002), _t(denormalize_screen(uv, 1000, 1002)))
    eye, tgt = np.array([3000.0, 1600.0, -2000.0]), np.array([0.0, 900.0, 0.0])
    assert_close(look_at(_t(eye), _t(tgt)), _t(look_at(eye, tgt)))
    q = np.array([0.5, -0.5, 0.1, 0.7])
    assert_close(quaternion_to_matrix(_t(q)), _t(quaternion_to_matrix(q)))


def test_torch_dtype_and_gradients_preserved():
    cam = h36m_camera("S5", 1)
    X = torch.randn(3, 17, 3, generator=_gen(6)) * 300 + torch.tensor([0.0, 0.0, 900.0])
    X.requires_grad_(True)
    uv = project(world_to_camera(X, cam), cam)
    assert uv.dtype == torch.float32 and uv.shape == (3, 17, 2)
    uv.sum().backward()
    assert X.grad is not None and torch.isfinite(X.grad).all()
    assert world_to_camera(np.zeros((2, 3), dtype=np.float32), cam).dtype == np.float32


def test_shape_errors():
    cam = _simple_camera()
    with pytest.raises(ShapeError):
        world_to_camera(np.zeros((17, 2)), cam)
    with pytest.raises(ShapeError):
        project(torch.zeros(17, 2), cam)
    with pytest.raises(ShapeError):
        quaternion_to_matrix(np.zeros(3))
