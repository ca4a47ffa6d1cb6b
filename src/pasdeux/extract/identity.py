"""Who is who, decided after the whole video is seen: which people are the dancers, and undoing crossed
identities of two dancers.

The tracker follows a few more people than dancers asked for, in slots; a slot's frames between two
(re)starts are one person's tracklet. Tracklets are joined into people (`link`): one that starts
after another ended, near where it ended (within a walking person's reach for the time between), is
the same person found again. The dancers are the most present people (`choose`): the largest and
longest seen, the sum of their body heights in pixels over the frames they are seen in, unless some
are picked by a point in the image at a time (`--pick X,Y@T`). They are chosen once: a dancer is
never re-assigned to another person mid-video.

Frame-to-frame tracking loses its dancer when the two pass close: a region can slide from the dancer
behind onto the one in front, and a lost dancer found again may land in the other's slot. Two repairs
run on the finished tracks:

- by appearance, when the two dancers look different (costume colours): each slot's torso colours
  in every frame are compared with the two dancers' typical colours, and the most likely
  assignment over the whole video is found with a two-state Viterbi pass, where swapping costs as
  much as several frames of clear evidence (so one odd frame never swaps anyone);
- by trail, when they look alike: that is `link`'s joining of tracklets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pasdeux.data import runs
from pasdeux.extract.quality import PERSIST, off_own_way

TORSO = (11, 12, 24, 23)  # left and right shoulder, right and left hip (BlazePose numbering)
GRID = np.linspace(0.15, 0.85, 4)
MIN_PRESENCE = 0.5
OVERLAP = 0.3  # slots whose landmark boxes overlap this much see the same pixels: no evidence there
SEPARABLE = 2.5  # the two dancers' colours must differ by this many times their own spread
SWITCH_FRAMES = 8.0  # a swap must be worth this many frames of typical evidence
LINK_GAP_S = 2.0  # a person lost for longer than this is not joined to a tracklet found later
REACH = 0.5  # body heights a person found again may lie...
RECOLOUR = 0.2  # a tracked person whose costume colours change this much is lost (a slide onto someone else)
LINK_RECOLOUR = 0.4  # tracklets whose typical colours differ more are not one person (less: an occluder, light)
SURE_FRAMES = 3  # tracklets at least this long are joined first
REACH_PER_S = 0.5  # ...from where it would be at its own pace, plus this many body heights per second between
PACE_FRAMES = 5
HANDOVER = 2  # frames two tracklets of one person may overlap (a second slot took it before the first let go)
ON_PATH = 0.25  # body heights a short piece between two tracklets of a person may lie off the path between them
MAX_PACE = 1.0  # body heights per second: a faster pace is taken for a region sliding about, not the person
WAY_FRAMES = 3  # a tracklet's way (where its pace takes it) is judged over at least this many of its last frames


@dataclass(frozen=True)
class Tracklet:
    """One slot's frames `[start, stop)` between two (re)starts in which it followed one person."""

    slot: int
    start: int
    stop: int


def tracklets(found: np.ndarray, starts: list[list[int]]) -> list[Tracklet]:
    """The tracklets of slots `found` `[S, T]`: runs of found frames, cut again at each slot's restarts."""
    out = []
    for k, f in enumerate(found):
        cuts = set(starts[k]) if k < len(starts) else set()
        for a, b in runs(f):
            edges = [a] + sorted(c for c in cuts if a < c < b) + [b]
            out += [Tracklet(k, x, y) for x, y in zip(edges[:-1], edges[1:])]
    return sorted(out, key=lambda t: (t.start, t.slot))


def typical_colour(piece: Tracklet, colours: np.ndarray) -> np.ndarray:
    return np.median(colours[piece.slot, piece.start:piece.stop], axis=0)


def link(pieces: list[Tracklet], centre: np.ndarray, height: np.ndarray, fps: float,
         colours: np.ndarray | None = None, torso: np.ndarray | None = None) -> list[list[Tracklet]]:
    """People: tracklets joined where one starts after another ended, within reach of where it ended and
    (given `colours` `[S, T, 6]`) dressed alike, the nearest in place and colour first. Tracklets of at
    least SURE_FRAMES are joined first; shorter ones (often a body half hidden) then fill gaps between them.
    Given `torso` `[S, T, 2]` (the shoulders' and hips' mean pixel position), a tracklet that starts off the way
    the person's tracklet before it was going is not joined to it (`off_way`).

    `centre` `[S, T, 2]` pixels and `height` `[S, T]` body heights in pixels per slot and frame."""
    people: list[list[Tracklet]] = []
    for sure in (True, False):
        for piece in (p for p in pieces if (p.stop - p.start >= SURE_FRAMES) == sure):
            costs = [(_join_cost(person, piece, centre, height, fps, colours, torso), k)
                     for k, person in enumerate(people)]
            cost, k = min(costs, default=(np.inf, -1))
            if np.isfinite(cost):
                people[k] = sorted(people[k] + [piece], key=lambda t: t.start)
            else:
                people.append([piece])
    return people


def _join_cost(person: list[Tracklet], piece: Tracklet, centre, height, fps, colours, torso=None) -> float:
    """How unlike joining `piece` to `person` is (inf: it cannot be the same person): the distance to the
    person's nearest tracklets before and after it, in reaches, plus the colour difference in RECOLOURs."""
    for t in person:  # two slots on one person for a frame or two: a handover, not two people
        both = range(max(t.start, piece.start), min(t.stop, piece.stop))
        if len(both) > HANDOVER or any(np.linalg.norm(centre[t.slot, f] - centre[piece.slot, f]) >
                                       REACH * np.nanmax([height[t.slot, f], height[piece.slot, f]]) for f in both):
            return np.inf
    before = [t for t in person if t.start < piece.start and t.stop <= piece.start + HANDOVER]
    after = [t for t in person if t.stop > piece.stop and t.start >= piece.stop - HANDOVER]
    ends = ([(before[-1], before[-1].stop - 1, piece.start)] if before else []) + \
        ([(after[0], after[0].start, piece.stop - 1)] if after else [])
    short = piece.stop - piece.start < SURE_FRAMES
    if short and len(ends) == 2 and not _between(ends, piece, centre, height):
        return np.inf
    # across a gap only: a slot refilled in the frame it lost its person (a photograph turning back, a landmark frame
    # gone wrong) keeps the join by reach
    if before and torso is not None and piece.start > before[-1].stop and off_way(before[-1], piece, torso, height):
        return np.inf
    cost = 0.0
    for other, f_other, f_piece in ends:
        gap = abs(f_piece - f_other) / fps
        scale = float(np.nanmax([height[other.slot, f_other], height[piece.slot, f_piece]]))
        reach = (REACH + REACH_PER_S * gap) * scale
        # where the person would be had it kept its pace: a walker does not turn back or aside in a moment
        pace = _pace(other, f_other, centre)
        pace *= min(1.0, MAX_PACE * scale / fps / max(float(np.linalg.norm(pace)), 1e-9))
        there = centre[other.slot, f_other] + pace * (f_piece - f_other)
        d = float(np.linalg.norm(centre[piece.slot, f_piece] - there))
        if gap > LINK_GAP_S or d > reach:
            return np.inf
        cost += d / reach
    if colours is not None:
        mine = typical_colour(piece, colours)  # alike any of the person's tracklets (some are half hidden)
        diff = min(float(np.linalg.norm(mine - typical_colour(t, colours))) for t in person)
        if diff > (RECOLOUR if short else LINK_RECOLOUR):  # a frame or two, often half hidden: surer colours
            return np.inf
        cost += diff / RECOLOUR
    return cost


def off_way(last: Tracklet, piece: Tracklet, torso: np.ndarray, height: np.ndarray) -> bool:
    """Whether `piece` starts off the way the person's tracklet `last` before it was going, by the test that
    `quality.identity_switches` counts a switch with (its torso off where its pace takes it for PERSIST frames),
    judged over at least WAY_FRAMES of `last`'s frames and by the taller body either side: a tracker that lost a
    walker and restarted on someone near has a piece that starts beside the way, not on it."""
    mine = np.arange(max(last.start, last.stop - PACE_FRAMES), min(last.stop, piece.start))
    next_ = np.arange(piece.start, min(piece.stop, piece.start + PERSIST))
    if len(mine) < WAY_FRAMES:
        return False
    at, tall = np.full((torso.shape[1], 2), np.nan), np.full(torso.shape[1], np.nan)
    at[mine], at[next_] = torso[last.slot, mine], torso[piece.slot, next_]
    tall[mine] = np.nanmax([np.nanmedian(height[last.slot, mine]), np.nanmedian(height[piece.slot, next_])])
    return off_own_way(at, tall, np.concatenate([mine, next_]), len(mine))


def _between(ends: list, piece: Tracklet, centre: np.ndarray, height: np.ndarray) -> bool:
    """Whether a short piece filling a gap lies near the straight path between the person's tracklets before and
    after it: a person passing behind another keeps its way, and a frame of someone else beside it does not (on
    vtest.avi, 6.4 s later: a stray frame of the man beside the one hidden, 0.4 body heights off his path)."""
    (a, fa, fp), (b, fb, _) = ends
    share = (fp - fa) / max(fb - fa, 1)
    path = centre[a.slot, fa] + share * (centre[b.slot, fb] - centre[a.slot, fa])
    scale = float(np.nanmax([height[a.slot, fa], height[b.slot, fb]]))
    return bool(np.linalg.norm(centre[piece.slot, fp] - path) <= ON_PATH * scale)


def _pace(piece: Tracklet, at: int, centre: np.ndarray) -> np.ndarray:
    """Pixels per frame a tracklet moved over its PACE_FRAMES frames nearest `at` (its start or its end)."""
    ending = at == piece.stop - 1
    a, b = (max(piece.start, at - PACE_FRAMES), at) if ending else (at, min(piece.stop - 1, at + PACE_FRAMES))
    return (centre[piece.slot, b] - centre[piece.slot, a]) / (b - a) if b > a else np.zeros(2)


def reliable(person: list[Tracklet]) -> list[Tracklet]:
    """A person's tracklets without the stray ones: a frame or two (under SURE_FRAMES) that is not within a
    frame of a longer tracklet of it is often a body half hidden or a region between two people; those frames are
    left to interpolation."""
    sure = [t for t in person if t.stop - t.start >= SURE_FRAMES]
    if not sure:
        return person
    return [t for t in person if t in sure or any(0 <= t.start - s.stop <= 1 or 0 <= s.start - t.stop <= 1
                                                  for s in sure)]


def presence(person: list[Tracklet], height: np.ndarray) -> float:
    """How present a person is: its body height in pixels summed over the frames it is seen in."""
    return float(sum(np.nansum(height[t.slot, t.start:t.stop]) for t in person))


def choose(people: list[list[Tracklet]], height: np.ndarray, n: int, picks: list[np.ndarray],
           where_at) -> tuple[list[list[Tracklet]], list[str]]:
    """The `n` dancers: the person nearest each pick `(x, y, frame)` first, then the most present others.

    `where_at(person, frame)` gives a person's image centre at (or nearest to) a frame."""
    chosen, notes = [], []
    for x, y, f in picks:
        left = [p for p in people if not any(p is c for c in chosen)]
        if not left:
            break
        best = min(left, key=lambda p: float(np.linalg.norm(where_at(p, int(f)) - [x, y])))
        chosen.append(best)
        notes.append(f"dancer picked at ({x:g}, {y:g}) in frame {int(f)}: the person seen "
                     f"{int(np.round(np.linalg.norm(where_at(best, int(f)) - [x, y])))} px from there")
    rest = sorted((p for p in people if not any(p is c for c in chosen)), key=lambda p: -presence(p, height))
    return chosen + rest[:max(0, n - len(chosen))], notes


def appearance(image: np.ndarray, landmarks: np.ndarray, presence: np.ndarray) -> np.ndarray:
    """Mean colours `[6]` (RGB in [0, 1] of the upper and the lower half of the torso: the costume; faces
    say little, skin and lighting vary more than they differ) of a person in an RGB frame, from its landmarks
    `[33, >=2]` in pixels; the torso's lower edge is guessed from the shoulders when the hips are out of view."""
    pts = landmarks[:, :2]
    ls, rs, rh, lh = (pts[i] for i in TORSO)
    if min(presence[23], presence[24]) < MIN_PRESENCE:  # hips out of the frame: a chest-deep patch
        across = ls - rs
        down = np.array([-across[1], across[0]])
        down *= np.sign(down[1]) if down[1] != 0 else 1.0
        rh, lh = rs + 0.8 * down, ls + 0.8 * down
    u, v = np.meshgrid(GRID, GRID)
    top = rs[None, None] + (ls - rs)[None, None] * u[..., None]
    bottom = rh[None, None] + (lh - rh)[None, None] * u[..., None]
    torso = top + (bottom - top) * v[..., None]  # [rows, cols, 2], rows from the shoulders down
    half = len(GRID) // 2
    return np.concatenate([_mean_colour(image, torso[:half].reshape(-1, 2)),
                           _mean_colour(image, torso[half:].reshape(-1, 2))])


def _mean_colour(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    x = np.clip(np.rint(points[:, 0]), 0, w - 1).astype(np.intp)
    y = np.clip(np.rint(points[:, 1]), 0, h - 1).astype(np.intp)
    return image[y, x].astype(np.float64).mean(0) / 255.0


def by_appearance(colours: np.ndarray, found: np.ndarray, overlap: np.ndarray) -> np.ndarray | None:
    """The dancer order per frame `[T, 2]` that best matches each dancer's colours, or None when the two
    look too alike to tell apart. `colours` `[2, T, 6]`, `found` `[2, T]`, `overlap` `[T]` (slots on
    top of each other)."""
    t = found.shape[1]
    both = found.all(0) & ~overlap
    if both.sum() < 5:
        return None
    order = np.tile(np.arange(2), (t, 1))
    # Who is who is defined by the start: the first frames where both are seen apart give each one's
    # colours; then the whole video, assigned from those, gives better ones.
    early = both & (np.cumsum(both) <= max(5, both.sum() // 5))
    for frames in (early, both):
        fixed = colours[order.T, np.arange(t)]
        typical = np.stack([np.median(fixed[k, frames], axis=0) for k in range(2)])
        spread = np.median([np.linalg.norm(fixed[k, frames] - typical[k], axis=-1) for k in range(2)])
        gap = float(np.linalg.norm(typical[0] - typical[1]))
        if gap < SEPARABLE * max(spread, 1e-3):
            return None
        order = _viterbi(colours, found & ~overlap[None], typical, SWITCH_FRAMES * gap)
    return order


def _viterbi(colours: np.ndarray, usable: np.ndarray, typical: np.ndarray, switch: float) -> np.ndarray:
    """Two states per frame, kept (slot k is dancer k) or swapped; costs are colour distances."""
    t = usable.shape[1]
    dist = np.linalg.norm(colours[:, :, None, :] - typical[None, None], axis=-1)  # [slot, T, dancer]
    dist = np.where(usable[..., None], dist, 0.0)
    cost = np.stack([dist[0, :, 0] + dist[1, :, 1], dist[0, :, 1] + dist[1, :, 0]], axis=1)  # [T, state]
    total, back = cost[0].copy(), np.zeros((t, 2), int)
    for f in range(1, t):
        stay, move = total, total[::-1] + switch
        back[f] = np.where(stay <= move, [0, 1], [1, 0])
        total = np.minimum(stay, move) + cost[f]
    state = np.empty(t, int)
    state[-1] = int(np.argmin(total))
    for f in range(t - 1, 0, -1):
        state[f - 1] = back[f, state[f]]
    return np.where(state[:, None] == 1, [[1, 0]], [[0, 1]])


def changes(order: np.ndarray) -> list[int]:
    """Frames where a dancer order `[T, 2]` differs from the frame before."""
    return [int(f) for f in np.nonzero((order[1:] != order[:-1]).any(1))[0] + 1]
