import dataclasses

import numpy as np
import pytest

from skelgnn.core.errors import SkelgnnError
from skelgnn.core.skeleton import H36M_16, H36M_17, Skeleton, get_skeleton


def test_h36m17_is_the_videopose3d_tree():
    assert H36M_17.parents == (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
    assert H36M_17.left == (4, 5, 6, 11, 12, 13) and H36M_17.right == (1, 2, 3, 14, 15, 16)
    assert H36M_17.num_joints == 17 and len(H36M_17.edges) == 16 and H36M_17.root == 0


def test_skeleton_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        H36M_17.parents = (0,)
    assert isinstance(H36M_17.parents, tuple)
    with pytest.raises(ValueError):
        H36M_17.hop_distances[0, 1] = 5  # read-only array


def test_adjacency_symmetric_and_normalised():
    a = H36M_17.adjacency()
    assert np.array_equal(a, a.T) and a.sum() == 2 * 16 and np.all(np.diag(a) == 0)
    r = H36M_17.adjacency(self_loops=True, normalize="row")
    np.testing.assert_allclose(r.sum(1), 1.0, rtol=1e-6)
    s = H36M_17.adjacency(self_loops=True, normalize="sym")
    np.testing.assert_allclose(s, s.T, rtol=1e-6)
    # thorax (8) has 4 neighbours (spine, neck, both shoulders) + itself
    assert r[8, 8] == pytest.approx(1 / 5)
    with pytest.raises(SkelgnnError):
        H36M_17.adjacency(normalize="bogus")


def test_hop_distances_hand_values():
    d = H36M_17.hop_distances
    assert d[0, 0] == 0 and d[0, 1] == 1 and d[3, 6] == 6  # right ankle -> left ankle via pelvis
    assert d[13, 16] == 6  # wrist to wrist via thorax
    assert d[3, 16] == 8 and d[6, 13] == 8  # foot to opposite wrist: the diameter
    assert H36M_17.diameter == 8


def test_exact_k_masks_partition_and_counts():
    masks = H36M_17.hop_masks()
    assert masks.shape == (9, 17, 17)
    assert np.array_equal(masks.sum(0), np.ones((17, 17)))  # every pair in exactly one hop set
    assert [int(m.sum()) for m in masks] == [17, 32, 38, 44, 50, 44, 36, 20, 8]  # pairs per hop
    assert np.array_equal(masks[0], np.eye(17, dtype=bool))
    assert np.array_equal(masks[1], H36M_17.adjacency() > 0)
    beyond = H36M_17.hop_masks(10)
    assert not beyond[9:].any()  # empty hop sets beyond the diameter
    # spine has eccentricity 4: its hop sets above 4 are empty
    assert not masks[5:, 7].any() and masks[4, 7].any()


def test_cumulative_masks():
    cum = H36M_17.cumulative_hop_masks(3)
    assert np.array_equal(cum[3], H36M_17.hop_distances <= 3)
    assert np.all(cum[1:] >= cum[:-1])


def test_flip_is_an_involution():
    for sk in (H36M_17, H36M_16):
        p = np.array(sk.flip_permutation)
        assert np.array_equal(p[p], np.arange(sk.num_joints))
    assert H36M_17.flip_permutation[1] == 4 and H36M_17.flip_permutation[16] == 13


def test_subset_h36m16_and_original_untouched():
    assert H36M_16.parents == (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 8, 10, 11, 8, 13, 14)
    assert H36M_16.left == (4, 5, 6, 10, 11, 12) and H36M_16.right == (1, 2, 3, 13, 14, 15)
    assert "neck" not in H36M_16.joint_names
    assert H36M_17.num_joints == 17 and H36M_17.parents[10] == 9
    with pytest.raises(SkelgnnError):
        H36M_17.subset([1, 2, 3])


def test_dict_round_trip_and_lookup():
    assert Skeleton.from_dict(H36M_17.to_dict()) == H36M_17
    assert get_skeleton("h36m16") is H36M_16
    with pytest.raises(SkelgnnError, match="unknown skeleton"):
        get_skeleton("coco")
    assert H36M_17.index("left_wrist") == 13


@pytest.mark.parametrize("parents", [(-1, 0, 5), (-1, -1, 0), (0, 2, 1)])
def test_invalid_trees_rejected(parents):
    with pytest.raises(SkelgnnError):
        Skeleton("bad", ("a", "b", "c"), parents, (), ())


@pytest.mark.parametrize("bad", [[float("inf")] * 17, ["®"] * 17, None])
def test_from_dict_rejects_bad_fields_with_our_error(bad):
    with pytest.raises(SkelgnnError, match="not a skeleton description"):
        Skeleton.from_dict({**H36M_17.to_dict(), "parents": bad})
