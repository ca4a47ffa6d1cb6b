"""BVH (Biovision hierarchy): joint rotations on a skeleton of rest offsets.

Reading honours every joint's own CHANNELS list (rotation order and position channels;
position channels *replace* the joint's OFFSET, as Blender and most tools read them) and runs
forward kinematics over all frames at once. End Sites become joints named `<parent>_end` by
default (`end_sites=True`): they carry the toe, finger and head tips that metrics such as foot
contact need; an End Site with a zero offset marks no point and is skipped. Units are kept
(`scale` multiplies them); `axes="z_up"` converts z-up files. The rest offsets are stored on the
skeleton. A file with several ROOTs of one skeleton (joints optionally named `<dancer>:<joint>`, as
`write` names them for a duet) reads as one Motion with a dancer per ROOT; a skeleton whose
joints and tree match a built-in one (e.g. `hybrik29`) comes back as that built-in skeleton.

Writing turns positions into rotations with `pasdeux.kinematics.inverse_kinematics` (any tree
skeleton), Euler angles in `order` (ZXY by default) kept continuous over time, with no 180 or 360 degree
flips between frames. The file loads in Blender (one armature bone per joint; a duet gives one
ROOT per dancer). With `exact=True` joints whose bones stretch get position channels so the file
reproduces the positions exactly; for a rotation-only rig run `kinematics.fix_bone_lengths`
first (then only the root translates, unless sibling bones move against each other).
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from pasdeux.errors import ConfigError, FormatError, ShapeError, SkeletonError
from pasdeux.io.common import MAX_ELEMENTS
from pasdeux.io.pose_npy import to_y_up
from pasdeux.kinematics import children_of, euler_to_matrix, forward_kinematics, inverse_kinematics, matrix_to_euler
from pasdeux.motion import Motion, Skeleton
from pasdeux.skeletons import BUILTIN

MAX_JOINTS = 5000
_CHANNELS = {f"{a}{kind}": (kind, a.upper()) for a in "xyz" for kind in ("position", "rotation")}


def sniff(head: bytes) -> bool:
    """A text file starting with the HIERARCHY keyword."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:9].upper() == b"HIERARCHY"


# --- parsing ---------------------------------------------------------------------------------
@dataclass
class _Joint:
    name: str
    parent: int
    line: int
    offset: np.ndarray | None = None
    channels: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, axis, column)
    has_channels: bool = False
    end_site: bool = False


class _Tokens:
    """The HIERARCHY section as (token, line number) pairs, read front to back."""

    def __init__(self, text: str, path: Path) -> None:
        self.items = [(t, n) for n, line in enumerate(text.splitlines(), 1) for t in line.split()]
        self.i, self.path = 0, path

    def more(self) -> bool:
        return self.i < len(self.items)

    def next(self, expected: str) -> tuple[str, int]:
        if not self.more():
            raise FormatError(f"{self.path}: the HIERARCHY section ends early; expected {expected}")
        self.i += 1
        return self.items[self.i - 1]

    def keyword(self, word: str) -> None:
        tok, line = self.next(repr(word))
        if tok.upper() != word.upper():
            raise FormatError(f"{self.path}: line {line}: expected {word!r}, found {tok!r}")

    def number(self, what: str) -> float:
        tok, line = self.next(what)
        try:
            value = float(tok)
        except ValueError:
            raise FormatError(f"{self.path}: line {line}: expected {what}, found {tok!r}") from None
        if not np.isfinite(value):
            raise FormatError(f"{self.path}: line {line}: {what} is {tok!r}, not a finite number")
        return value


def _parse_hierarchy(text: str, path: Path) -> tuple[list[_Joint], int]:
    """Joints in file order and the number of MOTION columns."""
    tok = _Tokens(text, path)
    tok.keyword("HIERARCHY")
    joints: list[_Joint] = []
    stack: list[int] = []
    columns = 0
    while tok.more():
        word, line = tok.next("a joint")
        up = word.upper()
        if up in ("ROOT", "JOINT"):
            if (up == "ROOT") == bool(stack):
                raise FormatError(f"{path}: line {line}: {word} " + ("inside another joint; close it with '}' first"
                                  if stack else "outside any ROOT; a hierarchy starts with ROOT"))
            name = []
            while (t := tok.next("'{' after the joint name"))[0] != "{":
                name.append(t[0])
            if not name:
                raise FormatError(f"{path}: line {line}: {word} has no name")
            joints.append(_Joint(" ".join(name), stack[-1] if stack else -1, line))
            stack.append(len(joints) - 1)
        elif up == "END":
            if not stack:
                raise FormatError(f"{path}: line {line}: End Site outside any joint")
            tok.keyword("Site")
            tok.keyword("{")
            tok.keyword("OFFSET")
            offset = np.array([tok.number("an End Site OFFSET value") for _ in range(3)])
            tok.keyword("}")
            joints.append(_Joint("", stack[-1], line, offset, has_channels=True, end_site=True))
        elif up == "OFFSET" and stack and joints[stack[-1]].offset is None:
            joints[stack[-1]].offset = np.array([tok.number("an OFFSET value") for _ in range(3)])
        elif up == "CHANNELS" and stack and not joints[stack[-1]].has_channels:
            columns = _parse_channels(tok, joints[stack[-1]], columns, line)
        elif up == "}" and stack:
            j = joints[stack.pop()]
            if j.offset is None or not j.has_channels:
                missing = "OFFSET" if j.offset is None else "CHANNELS"
                raise FormatError(f"{path}: line {j.line}: joint {j.name!r} has no {missing} line; "
                                  "every joint needs OFFSET and CHANNELS")
        else:
            raise FormatError(f"{path}: line {line}: unexpected {word!r} in the HIERARCHY section")
        if len(joints) > MAX_JOINTS:
            raise FormatError(f"{path}: more than {MAX_JOINTS} joints; this is not a skeleton pasdeux can use")
    if stack:
        raise FormatError(f"{path}: joint {joints[stack[-1]].name!r} is never closed; a '}}' is missing")
    if not joints:
        raise FormatError(f"{path}: the HIERARCHY section holds no ROOT joint")
    return joints, columns


def _parse_channels(tok: _Tokens, joint: _Joint, columns: int, line: int) -> int:
    count = tok.number("the number of channels")
    if count != int(count) or not 0 <= count <= 6:
        raise FormatError(f"{tok.path}: line {line}: joint {joint.name!r} claims {count:g} channels; 0 to 6 allowed")
    for _ in range(int(count)):
        name, at = tok.next(f"{int(count)} channel names for joint {joint.name!r}")
        kind = _CHANNELS.get(name.lower())
        if kind is None or any(c[:2] == kind for c in joint.channels):
            raise FormatError(f"{tok.path}: line {at}: joint {joint.name!r}: "
                              + (f"channel {name!r} repeated" if kind else f"{name!r} is not a channel name")
                              + f"; CHANNELS {int(count)} must be followed by {int(count)} of Xposition .. Zrotation")
        joint.channels.append((*kind, columns))
        columns += 1
    joint.has_channels = True
    return columns


_MOTION = re.compile(r"^[ \t]*MOTION[ \t]*\r?$", re.M | re.I)
_FRAMES = re.compile(r"^\s*Frames:\s*(\S+)\s*$", re.I)
_FRAME_TIME = re.compile(r"^\s*Frame\s+Time:\s*(\S+)\s*$", re.I)


def _parse_motion(text: str, first_line: int, columns: int, path: Path) -> tuple[np.ndarray, float]:
    """The MOTION block (text from the end of the MOTION keyword, on line `first_line`) as
    `[frames, columns]` values, and the frame time in seconds."""
    lines = text.splitlines()
    header = [(n, line) for n, line in enumerate(lines[:20]) if line.strip()][:2]
    frames = _FRAMES.match(header[0][1]) if header else None
    ftime = _FRAME_TIME.match(header[1][1]) if len(header) > 1 else None
    if not (frames and ftime):
        raise FormatError(f"{path}: after MOTION, expected 'Frames: N' and 'Frame Time: seconds' lines "
                          f"near line {first_line}")
    try:
        n, dt = int(frames.group(1)), float(ftime.group(1))
    except ValueError:
        raise FormatError(f"{path}: bad 'Frames:' or 'Frame Time:' value ({frames.group(1)!r}, "
                          f"{ftime.group(1)!r}) near line {first_line}") from None
    if not (np.isfinite(dt) and dt > 0):
        raise FormatError(f"{path}: Frame Time must be a positive number of seconds, not {ftime.group(1)!r}")
    if n < 1 or n * max(columns, 1) > MAX_ELEMENTS:
        raise FormatError(f"{path}: 'Frames: {n}' is not a frame count pasdeux can read (1 to "
                          f"{MAX_ELEMENTS // max(columns, 1)} for {columns} channels)")
    start = header[1][0] + 1
    rows = [(first_line + start + k, r) for k, r in enumerate(lines[start:]) if r.strip()]
    if len(rows) != n:
        what = "only " if len(rows) < n else ""
        raise FormatError(f"{path}: 'Frames: {n}' but the file has {what}{len(rows)} rows of motion data"
                          + ("; it looks truncated" if len(rows) < n else "")
                          + f"; fix the Frames line to {len(rows)} if the rows are complete")
    return _values(rows, columns, path), dt


def _values(rows: list[tuple[int, str]], columns: int, path: Path) -> np.ndarray:
    """Parse rows of numbers fast, naming the first bad line if anything is wrong."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fromstring's "could not read to its end"
        try:
            flat = np.fromstring(" ".join(r for _, r in rows).replace("\t", " "), sep=" ")
        except ValueError:
            flat = np.empty(0)
    if flat.size == len(rows) * columns and np.isfinite(flat).all():
        if all(len(r.split()) == columns for _, r in rows):  # no row short and another long
            return flat.reshape(len(rows), columns)
    for line, r in rows:  # slow path: find and name the first bad row
        values = r.split()
        if len(values) != columns:
            raise FormatError(f"{path}: line {line} has {len(values)} values but the HIERARCHY declares "
                              f"{columns} channels; a row needs one value per channel")
        for v in values:
            try:
                ok = np.isfinite(float(v))
            except ValueError:
                ok = False
            if not ok:
                raise FormatError(f"{path}: line {line}: {v[:40]!r} is not a finite number")
    return np.array([r.split() for _, r in rows], dtype=np.float64)


# --- forward kinematics and the skeleton -----------------------------------------------------
def _local_transforms(joints: list[_Joint], data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local rotations `[T, J, 3, 3]` and translations `[T, J, 3]` from the channel values."""
    n = len(data)
    rot = np.broadcast_to(np.eye(3), (n, len(joints), 3, 3)).copy()
    trans = np.broadcast_to(np.stack([j.offset for j in joints]), (n, len(joints), 3)).copy()
    groups: dict[str, list[int]] = {}
    for k, j in enumerate(joints):
        for kind, axis, col in j.channels:
            if kind == "position":
                trans[:, k, "XYZ".index(axis)] = data[:, col]
        order = "".join(axis for kind, axis, _ in j.channels if kind == "rotation")
        if order:
            groups.setdefault(order, []).append(k)
    for order, ks in groups.items():  # one scipy call per rotation order, all frames and joints at once
        cols = [[c for kind, _, c in joints[k].channels if kind == "rotation"] for k in ks]
        rot[:, ks] = euler_to_matrix(data[:, cols], order)  # intrinsic angles, the BVH convention
    return rot, trans


def _keep(joints: list[_Joint], end_sites: bool) -> list[int]:
    """Joints to report: all real joints, plus End Sites with a non-zero offset if asked."""
    return [k for k, j in enumerate(joints) if not j.end_site or (end_sites and np.abs(j.offset).max() > 0)]


def _names(joints: list[_Joint]) -> list[str]:
    """Joint names, End Sites named after their parent (numbered if a parent has several)."""
    names, count = [], {}
    for j in joints:
        if j.end_site:
            count[j.parent] = count.get(j.parent, 0) + 1
            names.append(f"{joints[j.parent].name}_end" + (f"{count[j.parent]}" if count[j.parent] > 1 else ""))
        else:
            names.append(j.name)
    return names


def _twin_candidates(name: str) -> list[str]:
    out = []
    for left, right in (("left", "right"), ("Left", "Right"), ("LEFT", "RIGHT")):
        out += [name.replace(left, right, 1), name.replace(right, left, 1)]
    swap = {"l": "r", "r": "l", "L": "R", "R": "L"}
    if len(name) > 1 and name[0] in swap and (name[1].isupper() or name[1].isdigit() or name[1] in "_.-"):
        out.append(swap[name[0]] + name[1:])  # lShldr, L_Hip, RKNE
    if len(name) > 2 and name[-1] in swap and name[-2] in "_.-":
        out.append(name[:-1] + swap[name[-1]])  # Hand.L, arm_r
    return [c for c in out if c != name]


def mirror_map(names: list[str]) -> tuple[int, ...]:
    """Left/right twin of each joint found from its name (left_/right_, Left/Right, lShldr/rShldr, x.L/x.R)."""
    index = {n: i for i, n in enumerate(names)}
    twin = [next((index[c] for c in _twin_candidates(n) if c in index), i) for i, n in enumerate(names)]
    return tuple(t if twin[t] == i else i for i, t in enumerate(twin))


def _as_builtin(skeleton: Skeleton) -> tuple[Skeleton, list[int]] | None:
    """The built-in skeleton with the same joints and tree, and the reordering into it, if any."""
    for make in BUILTIN.values():
        ref = make()
        if ref.parents is None or sorted(ref.joints) != sorted(skeleton.joints):
            continue
        order = [skeleton.joints.index(n) for n in ref.joints]
        if all((p < 0) == (skeleton.parents[o] < 0) and (p < 0 or skeleton.parents[o] == order[p])
               for o, p in zip(order, ref.parents)):
            return ref, order
    return None


def _split_dancers(joints: list[_Joint], names: list[str], path: Path) -> list[list[int]]:
    """Joint indices of each ROOT's tree; several only for identical skeletons (up to `<dancer>:` prefixes)."""
    roots = [k for k, j in enumerate(joints) if j.parent < 0] + [len(joints)]
    blocks = [list(range(a, b)) for a, b in zip(roots, roots[1:])]
    if len(blocks) == 1:
        return blocks
    base = [[names[k].split(":", 1)[-1] for k in b] for b in blocks]
    shape = [[joints[k].parent - b[0] if joints[k].parent >= 0 else -1 for k in b] for b in blocks]
    if any(s != shape[0] or n != base[0] for s, n in zip(shape, base)):
        raise FormatError(f"{path}: holds {len(blocks)} ROOT skeletons that differ; pasdeux reads one skeleton, "
                          "or one identical skeleton per dancer with joints named '<dancer>:<joint>'")
    return blocks


def read(path: Path, end_sites: bool = True, scale: float = 1.0, axes: str = "y_up") -> Motion:
    """Read a BVH file into world positions (one dancer per ROOT), keeping its units unless `scale` is set.

    Unknown options are refused by `pasdeux.io.check_options`, like every format's."""
    if axes not in ("y_up", "z_up"):
        raise ConfigError(f"axes must be 'y_up' or 'z_up' for BVH; got {axes!r}")
    if not (np.isfinite(scale) and scale > 0):
        raise ConfigError(f"scale must be a positive number; got {scale}")
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if not text.strip():
        raise FormatError(f"{path}: the file is empty")
    motion_kw = _MOTION.search(text)
    if motion_kw is None:
        raise FormatError(f"{path}: no MOTION section; the file is truncated or not a BVH motion file")
    joints, columns = _parse_hierarchy(text[:motion_kw.start()], path)
    motion_line = text.count("\n", 0, motion_kw.end()) + 1
    data, dt = _parse_motion(text[motion_kw.end():], motion_line, columns, path)
    rot, trans = _local_transforms(joints, data)
    positions = forward_kinematics(rot, np.zeros((len(joints), 3)), [j.parent for j in joints], translations=trans)
    names = _names(joints)
    keep = set(_keep(joints, end_sites))
    blocks = [[k for k in b if k in keep] for b in _split_dancers(joints, names, path)]
    local = {k: i for i, k in enumerate(blocks[0])}
    parents = [local.get(joints[k].parent, -1) for k in blocks[0]]
    joint_names = [names[k].split(":", 1)[-1] if len(blocks) > 1 else names[k] for k in blocks[0]]
    pos, note = to_y_up(np.stack([positions[:, b] for b in blocks]) * scale, axes)
    offsets, _ = to_y_up(np.stack([joints[k].offset for k in blocks[0]]) * scale, axes)
    try:
        sk = Skeleton.from_parents(Path(path).stem, joint_names, parents, mirror=mirror_map(joint_names),
                                   offsets=offsets.astype(np.float32))
    except SkeletonError as e:
        raise FormatError(f"{path}: {e}") from None
    known = _as_builtin(sk)
    if known:
        sk = replace(known[0], offsets=sk.offsets[known[1]])
        pos = pos[:, :, known[1]]
    fps = 1.0 / dt
    fps = float(round(fps)) if abs(fps - round(fps)) < 5e-4 * fps else fps
    notes = [f"read BVH {Path(path).name}: {len(blocks)} skeleton(s) of {len(blocks[0])} joints, "
             f"{len(data)} frames at {fps:g} fps" + (", End Sites as <parent>_end joints" if end_sites else "")]
    notes += [f"scaled by {scale:g}"] * (scale != 1.0) + [note] * bool(note) + _unit_hint(pos)
    try:
        return Motion(pos.astype(np.float32), sk, fps, str(path), notes)
    except ShapeError as e:  # values beyond float32
        raise FormatError(f"{path}: {e}") from None


def _unit_hint(positions: np.ndarray) -> list[str]:
    """A note when the body's size says the file is not in metres (BVH files do not state units)."""
    extent = float(np.nanmax(np.ptp(positions[:, 0], axis=-2)))  # largest span of the first pose
    for limit, unit, factor in ((300.0, "millimetres", 0.001), (10.0, "centimetres", 0.01)):
        if extent > limit:
            return [f"the first pose spans {extent:.0f} units, so the file is probably in {unit}; "
                    f"load it with scale={factor:g} for metres"]
    return []


# --- writing ---------------------------------------------------------------------------------
def _dfs(parents: tuple[int, ...]) -> list[tuple[int, int]]:
    """(joint, depth) in depth-first order, the order BVH nests and stores joints."""
    kids = children_of(parents)
    out, stack = [], [(j, 0) for j, p in reversed(list(enumerate(parents))) if p < 0]
    while stack:
        j, d = stack.pop()
        out.append((j, d))
        stack += [(c, d + 1) for c in reversed(kids[j])]
    return out


def _hierarchy(sk: Skeleton, offsets: np.ndarray, moving: np.ndarray, order: str, prefix: str) -> tuple[str, list]:
    """HIERARCHY text of one dancer and its channel layout [(joint, has_position)] in column order."""
    lines, layout, open_depths = [], [], []
    rot = " ".join(f"{a}rotation" for a in order)
    is_leaf = [j not in sk.parents for j in range(sk.n_joints)]
    for j, depth in _dfs(sk.parents):
        while open_depths and open_depths[-1] >= depth:
            lines.append("\t" * open_depths.pop() + "}")
        tab, p = "\t" * depth, sk.parents[j]
        off = " ".join(f"{v:.6f}" for v in (offsets[j] if p >= 0 else np.zeros(3)))
        if is_leaf[j] and p >= 0 and not moving[j] and sk.joints[j].startswith(f"{sk.joints[p]}_end"):
            lines += [f"{tab}End Site", f"{tab}{{", f"{tab}\tOFFSET {off}", f"{tab}}}"]
            continue
        lines += [f"{tab}{'ROOT' if p < 0 else 'JOINT'} {prefix}{sk.joints[j]}", f"{tab}{{", f"{tab}\tOFFSET {off}"]
        has_pos = bool(moving[j] or p < 0)
        lines.append(f"{tab}\tCHANNELS {6 if has_pos else 3} " + ("Xposition Yposition Zposition " * has_pos) + rot)
        layout.append((j, has_pos))
        if is_leaf[j]:  # a named leaf stays a joint; a zero End Site closes it and reads back as nothing
            lines += [f"{tab}\tEnd Site", f"{tab}\t{{", f"{tab}\t\tOFFSET 0.000000 0.000000 0.000000", f"{tab}\t}}"]
        open_depths.append(depth)
    lines += ["\t" * d + "}" for d in reversed(open_depths)]
    return "\n".join(lines), layout


def write(motion: Motion, path: Path, order: str = "ZXY", dancer: int | None = None, exact: bool = True,
          scale: float = 1.0) -> None:
    """Write a tree-skeleton motion as BVH (one ROOT per dancer, joints `dancerN:<joint>` for several).

    `order` is the Euler order of every joint, `dancer` picks one dancer, `exact` gives stretching
    bones position channels (see the module docstring), `scale` converts units (100: metres to cm).
    """
    sk = motion.skeleton
    if sk.parents is None:
        raise SkeletonError(f"BVH holds joint rotations on a tree skeleton; {sk.name!r} is a marker set without "
                            "parents. Save it as .npz or .csv, which hold any set of points")
    if not (np.isfinite(scale) and scale > 0):
        raise ConfigError(f"scale must be a positive number; got {scale}")
    if sorted(order) != ["X", "Y", "Z"]:
        raise ConfigError(f"rotation order must be a permutation of XYZ such as ZXY; got {order!r}")
    if dancer is not None:
        motion = motion.dancer(dancer)  # checks the index
    if not np.isfinite(motion.positions).all():
        raise ShapeError("the motion has missing (NaN) positions; fill them first with pasdeux.data.fill_gaps")
    poses = [inverse_kinematics(pos.astype(np.float64) * scale, sk, exact=exact, tolerance=1e-4 * scale)
             for pos in motion.positions]
    moving = np.any([p.moving for p in poses], axis=0)
    blocks, columns = [], []
    for d, pose in enumerate(poses):
        prefix = f"dancer{d + 1}:" if len(poses) > 1 else ""
        text, layout = _hierarchy(sk, pose.offsets, moving, order, prefix)
        blocks.append(text)
        joints = [j for j, _ in layout]
        euler = matrix_to_euler(pose.rotations[:, joints], order)
        for k, (j, has_pos) in enumerate(layout):
            columns += [pose.translations[:, j]] * has_pos + [euler[:, k]]
    buf = io.StringIO()
    np.savetxt(buf, np.concatenate(columns, axis=1), fmt="%.6f")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("HIERARCHY\n" + "\n".join(blocks) + "\nMOTION\n")
        f.write(f"Frames: {motion.n_frames}\nFrame Time: {1.0 / motion.fps:.8f}\n")
        f.write(buf.getvalue())
