"""Who is who: undoing crossed identities of two tracked dancers after the whole video is seen.

Frame-to-frame tracking loses its dancer when the two pass close: a region can slide from the dancer
behind onto the one in front, and a lost dancer found again may land in the other's slot. Two repairs
run on the finished tracks:

- by appearance, when the two dancers look different (costume colours): each slot's torso colours
  in every frame are compared with the two dancers' typical colours, and the most likely
  assignment over the whole video is found with a two-state Viterbi pass, where swapping costs as
  much as several frames of clear evidence (so one odd frame never swaps anyone);
- by trail, when they look alike: where a dancer was found again by the detector, the two are
  swapped from there on if that joins each one's trail more closely.
"""

from __future__ import annotations

import numpy as np

TORSO = (11, 12, 24, 23)  # left and right shoulder, right and left hip (BlazePose numbering)
GRID = np.linspace(0.15, 0.85, 4)
MIN_PRESENCE = 0.5
OVERLAP = 0.3  # slots whose landmark boxes overlap this much see the same pixels: no evidence there
SEPARABLE = 2.5  # the two dancers' colours must differ by this many times their own spread
SWITCH_FRAMES = 8.0  # a swap must be worth this many frames of typical evidence


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


def by_trail(where: np.ndarray, found: np.ndarray, starts: list[list[int]]) -> tuple[np.ndarray, list[int]]:
    """Undo identity crossings by trail: at each frame where a dancer was found again by the detector,
    swap the two dancers from there on when that joins each one's trail more closely.

    `where` `[2, T, 2]` is each dancer's pixel position (its visible landmarks' centre), `found`
    `[2, T]`; returns the dancer order per frame `[T, 2]` and the frames where it changed.
    """
    n, t = found.shape
    order = np.tile(np.arange(n), (t, 1))
    if n != 2:
        return order, []
    swapped = []
    for f in sorted({f for s in starts for f in s if f > 0}):
        cur = order[f]
        before = [_last(f, k, order, found, where) for k in range(2)]
        after = [_first(found[cur[k]], where[cur[k]], f) for k in range(2)]
        if any(x is None for x in before + after):
            continue
        keep = np.linalg.norm(before[0] - after[0]) + np.linalg.norm(before[1] - after[1])
        cross = np.linalg.norm(before[0] - after[1]) + np.linalg.norm(before[1] - after[0])
        if cross < 0.5 * keep:
            order[f:] = order[f:, ::-1]
            swapped.append(f)
    return order, swapped


def changes(order: np.ndarray) -> list[int]:
    """Frames where a dancer order `[T, 2]` differs from the frame before."""
    return [int(f) for f in np.nonzero((order[1:] != order[:-1]).any(1))[0] + 1]


def _last(f: int, k: int, order: np.ndarray, found: np.ndarray, where: np.ndarray):
    """Where dancer `k` (in the order in force so far) was last seen before frame `f`."""
    for g in range(f - 1, -1, -1):
        src = order[g][k]
        if found[src, g]:
            return where[src, g]
    return None


def _first(found_k: np.ndarray, where_k: np.ndarray, f: int):
    seen = np.nonzero(found_k[f:])[0]
    return where_k[f + seen[0]] if seen.size else None
