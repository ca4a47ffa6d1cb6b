"""BVH reading and writing: the real CMU salsa takes, the shared duet, mixed rotation orders, bad files."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

import pasdeux
from pasdeux import kinematics as K
from pasdeux.cli import main
from pasdeux.errors import ConfigError, FormatError, ShapeError, SkeletonError
from pasdeux.io import bvh
from pasdeux.motion import Motion
from pasdeux.skeletons import get_skeleton

MIXED = """HIERARCHY
ROOT Hips
{
\tOFFSET 0 0 0
\tCHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
\tJOINT Spine
\t{
\t\tOFFSET 0 0.2 0
\t\tCHANNELS 3 Xrotation Yrotation Zrotation
\t\tJOINT Head
\t\t{
\t\t\tOFFSET 0 0.3 0.05
\t\t\tCHANNELS 3 Yrotation Xrotation Zrotation
\t\t\tEnd Site
\t\t\t{
\t\t\t\tOFFSET 0 0.1 0
\t\t\t}
\t\t}
\t}
\tJOINT LeftUpLeg
\t{
\t\tOFFSET 0.1 -0.05 0
\t\tCHANNELS 3 Zrotation Yrotation Xrotation
\t\tJOINT LeftLeg
\t\t{
\t\t\tOFFSET 0 -0.4 0
\t\t\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
\t\t\tEnd Site
\t\t\t{
\t\t\t\tOFFSET 0 -0.4 0
\t\t\t}
\t\t}
\t}
\tJOINT RightUpLeg
\t{
\t\tOFFSET -0.1 -0.05 0
\t\tCHANNELS 2 Xrotation Zrotation
\t\tEnd Site
\t\t{
\t\t\tOFFSET 0 -0.4 0
\t\t}
\t}
}
MOTION
Frames: 2
Frame Time: 0.00833333
0 0.9 0 0 0 0 0 0 0 0 0 0 0 0 0 0 -0.4 0 0 0 0 0 0
1 0.9 -2 30 -45 10 20 35 -15 60 -10 25 -20 15 70 0.01 -0.38 0.02 5 80 -30 40 -25
"""


@pytest.fixture(scope="module")
def salsa(shared_data) -> Motion:
    return pasdeux.load(shared_data / "cmu_salsa" / "60_02.bvh")


def test_salsa_take_loads_with_its_skeleton(salsa):
    assert (salsa.n_dancers, salsa.n_frames, salsa.n_joints, salsa.fps) == (1, 2101, 43 + 14, 120.0)
    sk = salsa.skeleton
    assert sk.joints[:3] == ("hip", "abdomen", "chest") and "lFoot_end" in sk.joints
    assert sk.offsets.shape == (57, 3) and np.allclose(sk.offsets[sk.index("abdomen")], [0, 0.161626, -0.005715])
    assert sk.joints[sk.mirror[sk.index("lShldr")]] == "rShldr"
    assert sk.joints[sk.mirror[sk.index("leftEye_end")]] == "rightEye_end"
    assert sk.mirror[sk.index("chest")] == sk.index("chest")
    p = salsa.positions[0]
    head, feet = p[:, sk.index("head"), 1], p[:, [sk.index("lFoot_end"), sk.index("rFoot_end")], 1]
    assert (head > p[:, 0, 1] + 0.3).all()  # y is up: the head is above the hips in every frame
    assert -0.1 < np.median(feet.min(axis=1)) < 0.1  # and the lower foot stands on the floor
    bones = sk.bone_lengths(p)
    assert bones.std(axis=0).max() < 1e-5  # a rigid skeleton: forward kinematics keeps every bone length


def test_salsa_without_end_sites(shared_data):
    m = pasdeux.load(shared_data / "cmu_salsa" / "60_02.bvh", end_sites=False)
    assert m.n_joints == 43 and not any(j.endswith("_end") for j in m.skeleton.joints)


def test_salsa_partners_load_as_one_duet(shared_data):
    duet = pasdeux.load(shared_data / "cmu_salsa" / "60_02.bvh", pair=shared_data / "cmu_salsa" / "61_02.bvh")
    assert duet.n_dancers == 2 and duet.n_frames == 2101
    distance = np.linalg.norm(duet.positions[0, :, 0] - duet.positions[1, :, 0], axis=-1)
    assert 0.1 <= distance.min() and distance.max() <= 2.5


def test_mixed_rotation_orders_match_independent_rotations(tmp_path):
    path = tmp_path / "mixed.bvh"
    path.write_text(MIXED)
    m = pasdeux.load(path)
    assert m.skeleton.joints == ("Hips", "Spine", "Head", "Head_end", "LeftUpLeg", "LeftLeg", "LeftLeg_end",
                                 "RightUpLeg", "RightUpLeg_end")
    assert m.skeleton.joints[m.skeleton.mirror[4]] == "RightUpLeg" and m.fps == 120.0

    def rot(order, *angles):
        return Rotation.from_euler(order, angles, degrees=True).as_matrix()

    g_hips = rot("ZYX", 30, -45, 10)
    g_spine = g_hips @ rot("XYZ", 20, 35, -15)
    g_lul = g_hips @ rot("ZYX", -20, 15, 70)
    g_rul = g_hips @ rot("XZ", 40, -25)
    hips = np.array([1, 0.9, -2])
    spine = hips + g_hips @ [0, 0.2, 0]
    head = spine + g_spine @ [0, 0.3, 0.05]
    lul = hips + g_hips @ [0.1, -0.05, 0]
    leg = lul + g_lul @ [0.01, -0.38, 0.02]  # position channels replace the OFFSET
    expected = [hips, spine, head, head + g_spine @ rot("YXZ", 60, -10, 25) @ [0, 0.1, 0], lul, leg,
                leg + g_lul @ rot("ZXY", 5, 80, -30) @ [0, -0.4, 0], hips + g_hips @ [-0.1, -0.05, 0],
                hips + g_hips @ [-0.1, -0.05, 0] + g_rul @ [0, -0.4, 0]]
    assert np.allclose(m.positions[0, 1], expected, atol=1e-6)
    rest = np.cumsum([[0, 0.9, 0], [0, 0.2, 0], [0, 0.3, 0.05], [0, 0.1, 0]], axis=0)
    assert np.allclose(m.positions[0, 0, :4], rest, atol=1e-6)


def test_salsa_round_trip_is_exact_and_keeps_the_rig(salsa, tmp_path):
    part = salsa.frames(0, 240)
    for order in ("ZXY", "YXZ"):
        out = pasdeux.save(part, tmp_path / f"salsa_{order}.bvh", order=order)
        text = out.read_text()
        assert text.count("CHANNELS 6") == 1  # a rigid skeleton: only the root translates
        assert f"CHANNELS 3 {' '.join(a + 'rotation' for a in order)}" in text
        back = pasdeux.load(out)
        assert back.skeleton.joints == part.skeleton.joints and back.fps == 120.0
        assert np.linalg.norm(back.positions - part.positions, axis=-1).max() < 1e-3
        assert np.allclose(back.skeleton.offsets[1:], part.skeleton.offsets[1:], atol=1e-5)  # same rest pose


def test_duet_round_trip_after_fixing_bone_lengths(duet, tmp_path):
    fixed = duet.with_positions(K.fix_bone_lengths(duet.positions, duet.skeleton))
    back = pasdeux.load(pasdeux.save(fixed, tmp_path / "duet.bvh"))
    assert back.skeleton.name == "hybrik29" and back.n_dancers == 2 and back.fps == 30.0
    assert np.linalg.norm(back.positions - fixed.positions, axis=-1).max() < 1e-3
    assert np.linalg.norm(back.positions - duet.positions, axis=-1).mean() < 0.05  # fixing moved joints ~2-3 cm
    rigid = pasdeux.load(pasdeux.save(fixed, tmp_path / "rigid.bvh", exact=False))
    bones = rigid.skeleton.bone_lengths(rigid.positions)
    assert bones.std(axis=1).max() < 1e-5  # rotation-only rig: every bone keeps one length


def test_write_one_dancer_and_raw_data(duet, tmp_path):
    part = duet.frames(0, 90)
    back = pasdeux.load(pasdeux.save(part, tmp_path / "d2.bvh", dancer=1))
    assert back.n_dancers == 1
    assert np.linalg.norm(back.positions[0] - part.positions[1], axis=-1).max() < 1e-3  # stretchy bones translate


def test_convert_command_writes_bvh(duet, shared_data, tmp_path):
    out = tmp_path / "salsa.bvh"
    assert main(["convert", str(shared_data / "cmu_salsa" / "60_03.bvh"), str(out),
                 "--pair", str(shared_data / "cmu_salsa" / "61_03.bvh")]) == 0
    text = out.read_text()
    assert text.count("ROOT ") == 2 and "ROOT dancer2:hip" in text


def test_write_refuses_what_bvh_cannot_hold(duet, tmp_path):
    markers = Motion(np.zeros((1, 5, 53, 3), np.float32), get_skeleton("mariel53"), 35.0)
    with pytest.raises(SkeletonError, match="npz"):
        pasdeux.save(markers, tmp_path / "m.bvh")
    holes = duet.frames(0, 10)
    holes.positions[0, 3, 5] = np.nan
    with pytest.raises(ShapeError, match="fill_gaps"):
        pasdeux.save(holes, tmp_path / "h.bvh")
    with pytest.raises(ConfigError, match="XYZ"):
        pasdeux.save(duet.frames(0, 10), tmp_path / "o.bvh", order="XXY")
    assert not list(tmp_path.iterdir())  # nothing half-written is left behind


def test_units_and_axes_options(tmp_path):
    path = tmp_path / "mixed.bvh"
    path.write_text(MIXED)
    base = pasdeux.load(path)
    assert np.allclose(pasdeux.load(path, scale=100).positions, base.positions * 100, atol=1e-4)
    z_up = pasdeux.load(path, axes="z_up").positions
    assert np.allclose(z_up, base.positions[..., [0, 2, 1]] * [1, 1, -1], atol=1e-6)
    with pytest.raises(ConfigError, match="fps"):
        pasdeux.load(path, fps=30)
    centimetres = pasdeux.save(base, tmp_path / "cm.bvh", scale=100)
    assert any("scale=0.01" in n for n in pasdeux.load(centimetres).notes)  # the reader spots centimetres
    assert not any("scale=" in n for n in base.notes)
    assert "OFFSET 0.000000 20.0000" in centimetres.read_text()  # the 0.2 m spine, in centimetres
    assert np.allclose(pasdeux.load(centimetres, scale=0.01).positions, base.positions, atol=1e-5)


BAD = {
    "missing channel": (("CHANNELS 3 Yrotation Xrotation Zrotation", "CHANNELS 3 Yrotation Xrotation"),
                        "not a channel name"),
    "no channels line": (("CHANNELS 3 Xrotation Yrotation Zrotation", ""), "no CHANNELS line"),
    "more frames claimed": (("Frames: 2", "Frames: 3"), "only 2 rows.*truncated"),
    "fewer frames claimed": (("Frames: 2", "Frames: 1"), "has 2 rows"),
    "huge frame count": (("Frames: 2", "Frames: 900000000000"), "not a frame count"),
    "short row": (("70 0.01 -0.38 0.02 5 80 -30 40 -25", "70 0.01 -0.38 0.02 5 80 -30 40"), "line 48 has 22 values"),
    "not a number": (("1 0.9 -2 30", "1 0.9 -2 thirty"), "line 48: 'thirty' is not"),
    "no motion": (("MOTION", "NOTION"), "no MOTION section"),
    "unclosed joint": (("\t}\n}\nMOTION", "\t}\nMOTION"), "never closed"),
    "bad frame time": (("Frame Time: 0.00833333", "Frame Time: 0"), "Frame Time"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_files_raise_format_error_naming_the_problem(case, tmp_path):
    (old, new), message = BAD[case]
    assert old in MIXED
    path = tmp_path / "bad.bvh"
    path.write_text(MIXED.replace(old, new, 1))
    with pytest.raises(FormatError, match=message):
        pasdeux.load(path)


def test_empty_truncated_and_garbage_files(tmp_path, capsys):
    cases = {"empty.bvh": b"", "truncated.bvh": MIXED.encode()[:400], "garbage.bvh": bytes(range(256)) * 8,
             "header_only.bvh": MIXED.encode()[:MIXED.index("Frames")]}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(FormatError):
            pasdeux.load(path)
        assert main(["info", str(path)]) == 2
        assert "error:" in capsys.readouterr().err


def test_several_different_roots_are_refused(tmp_path):
    hierarchy, motion = MIXED.split("MOTION\n")
    second = hierarchy.replace("HIERARCHY\n", "").replace("Head", "Skull")
    lines = motion.splitlines()
    rows = [f"{r} {r}" for r in lines[2:]]  # channel values for both skeletons
    path = tmp_path / "two.bvh"
    path.write_text(hierarchy + second + "MOTION\n" + "\n".join(lines[:2] + rows) + "\n")
    with pytest.raises(FormatError, match="ROOT skeletons that differ"):
        pasdeux.load(path)
    path.write_text(hierarchy + hierarchy.replace("HIERARCHY\n", "") + "MOTION\n" + "\n".join(lines[:2] + rows))
    two = pasdeux.load(path)  # one skeleton twice: two dancers
    assert two.n_dancers == 2 and np.allclose(two.positions[0], two.positions[1])


def test_mutated_files_only_ever_raise_format_error(tmp_path):
    rng = random.Random(7)
    source = MIXED.encode()
    tokens = [b"{", b"}", b"JOINT x", b"ROOT", b"End Site", b"OFFSET", b"CHANNELS 9", b"MOTION", b"Frames: 7",
              b"1e999", b"nan", b"\n", b"\x00", b"\xff\xfe", b"Xposition"]
    path = tmp_path / "fuzz.bvh"
    for _ in range(300):
        data = bytearray(source)
        for _ in range(rng.randint(1, 5)):
            k = rng.randrange(len(data) + 1)
            choice = rng.random()
            if choice < 0.4:
                del data[k:k + rng.randint(1, 30)]
            elif choice < 0.8:
                data[k:k] = rng.choice(tokens)
            else:
                data = data[:k]
        path.write_bytes(bytes(data))
        try:
            bvh.read(Path(path))
        except FormatError:
            pass


def test_bvh_options_are_checked_like_every_format(shared_data):
    path = shared_data / "cmu_salsa" / "60_02.bvh"
    with pytest.raises(pasdeux.ConfigError, match="takes no option 'fps'"):
        pasdeux.load(path, fps=30)
    with pytest.raises(pasdeux.ConfigError, match="scale"):
        pasdeux.load(path, scale="abc")
