"""Feet on the floor for generated motion: contacts, a floor to stand on, and planted feet that stay put.

`ground(world, skeleton, fps, leg_length, floor, contact=None, model=None)` takes world positions
`[N, T, J, 3]` (generated solos, generated duet partners: any dancers of a skeleton with named hips,
knees, ankles and toes) and returns them
1. with the floor under each phrase (the 5th percentile of its lowest foot point over about two seconds)
   where real phrases have it: left alone inside the real 10th-90th percentile range, pulled back beyond
   it, all the way to the real median once it lies as far again outside (no floating or sunk phrase);
2. travelling over its planted feet: where a foot is planted the body's horizontal travel is corrected by
   that foot's slide, so a planted foot is not dragged along by a root velocity that does not match it;
3. lifted or lowered frame by frame (smoothly, interpolated between contacts) so the lowest resting foot
   stands as far above the floor under it as real planted feet stand above theirs (the same pull towards
   the real range);
4. with each planted foot held: its ankle moves no faster than `SLIDE_SPEED` (a real planted foot still
   rolls and pivots a little) and, where it rests, its lowest point comes to a real planted clearance,
   reached by two-bone IK (the hip fixed, the knee bending in the plane it already bends in), the rest of
   the foot moving rigidly with the ankle; where a leg kept bent (`max_extension`) cannot reach its held
   foot, the body sinks into the stance, eased, rather than the foot being lifted. Within a contact the
   correction is exact; between contacts it is interpolated and smoothed, so a stepping foot travels
   smoothly from one footprint to the next.

Planted (held) feet are every foot found low and slower than a swing (`detect_contacts`: its lowest point
near the floor under the phrase, its slowest point slower than `PIN_SPEED`) and those `contact`
(probabilities `[N, T, 2]`, left then right, as the default model predicts them) gives more than
`CONTACT_PROB`. Resting feet, brought to the floor's height, are the found ones and those given more than
`REST_PROB`: pulling down every foot the model calls planted put the video-extracted reconstructions' feet
on the floor in 1.31x as many frames as the real ones, and holding only the sure ones let the mocap
prior's feet slide 1.7x as often as real ones. Every threshold is relative to the leg length and every speed is per
second, so the same motion at another scale or frame rate is treated the same. `FloorModel.measure`
reads the floor, the leg length and the real ranges from real motion; a model keeps its training data's
and generation passes it as `model`. Skeletons without a parent tree (marker sets) get the vertical
corrections only. It runs in numpy on whole arrays (a 60 s solo in a few milliseconds).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import sparse
from scipy.ndimage import (
    binary_closing,
    binary_opening,
    gaussian_filter1d,
    maximum_filter1d,
    median_filter,
    percentile_filter,
)
from scipy.sparse.linalg import spsolve

from pasdeux.body import body_points, leg_extension, leg_length, role_indices, root_trajectory
from pasdeux.errors import ShapeError
from pasdeux.kinematics import reach_limb
from pasdeux.motion import Skeleton

SIDES = ("left", "right")
FOOT_POINTS = ("ankle", "foot")  # the points of a foot that carry weight: ankle (heel) and toe
CONTACT_HEIGHT = 0.08  # leg lengths: a foot whose lowest point is lower above the floor may be planted
CONTACT_SPEED = 1.0  # leg lengths per second: a low foot whose slowest point is slower is planted
PIN_SPEED = 3.0  # leg lengths per second: grounding also holds low feet slower than this (a swing: 4-5)
FLOOR_PERCENTILE = 5.0  # the floor: this percentile of the lowest foot point over frames
RANGE = (10.0, 50.0, 90.0)  # percentiles of real data: where generated phrases and planted feet may stand
SLIDE_SPEED = 0.5  # leg lengths per second: a planted ankle moves no faster (real planted feet: median 0.3)
CONTACT_PROB = 0.5  # a foot given more than this probability of contact is planted (held in place)
REST_PROB = 0.8  # a planted foot given more than this probability is also brought down to rest on the floor
SMOOTH_S = 0.05  # seconds: Gaussian smoothing of the corrections (no kinks where a contact starts)
PHRASE_S = 64 / 30  # seconds: the floor under a phrase is judged over this long (the benchmark's windows)
ANCHOR_SMOOTH = 1.0  # weight of an anchored shift's second difference: no kink where a contact starts or ends
MIN_CONTACT_S = 0.07  # seconds: shorter contacts and gaps between contacts are noise
REACH_PERCENTILE = 95.0  # generated legs straighten no further than real ones do in this share of frames:
# reaching for held feet, salsa partners locked a knee (past 0.99) in 13-25 % of frames against 0-4 %
MAX_DROP = 0.15  # leg lengths: the most a body sinks so its legs reach held feet (a foot farther away is lifted);
# real salsa pelvises dip below their median by 0.03-0.05 leg lengths at the 90th percentile, 0.05-0.26 at the 99th
SPEED_PERCENTILE = 99.9  # the fastest a body travels (salsa pelvises: 2.6 m/s; their fastest frame 2.9)
DROP_S = 0.25  # seconds: the sinking is widened and eased over this long on each side
STANCE_SPREAD = CONTACT_HEIGHT / 2  # leg lengths: a couple whose feet's gap varies more keep no one gap


@dataclass(frozen=True)
class FloorModel:
    """What real motion says about standing, in the data's units: the floor, the leg length, where the floor
    under a phrase lies relative to it, and how high above the floor under them planted feet rest (10th,
    50th and 90th percentiles of the real data). Clearances are taken over each phrase's own floor because
    a video-extracted floor drifts: over the one floor, real planted feet of the shared duet spread from
    0.03 to 0.26 leg lengths, over their phrase's floor from 0.005 to 0.07."""

    floor: float  # y of the floor: the 5th percentile of the lowest foot point over all frames
    leg_length: float  # mean hip-to-ankle distance
    phrase_low: float  # the floor under a real phrase (its 5th percentile) lies around floor + phrase_mid,
    phrase_mid: float  # from phrase_low to phrase_high (video-extracted floors drift)
    phrase_high: float
    planted_low: float  # the lowest point of a planted real foot rests planted_mid above its phrase's floor,
    planted_mid: float  # from planted_low to planted_high
    planted_high: float

    @classmethod
    def measure(cls, world: np.ndarray, skeleton: Skeleton, fps: float) -> FloorModel:
        """The floor model of real world positions `[..., T, J, 3]` (windows or whole sequences)."""
        w = _phrases(_as_batch(world), fps)
        leg = leg_length(w, skeleton)
        low = lowest_foot(w, skeleton)  # [N, T]
        floor = float(np.percentile(low, FLOOR_PERCENTILE))
        phrase = np.percentile(low, FLOOR_PERCENTILE, axis=1)  # each phrase's own floor [N]
        planted = detect_contacts(w, skeleton, fps, leg, phrase[:, None])
        clearance = foot_points(w, skeleton)[..., 1].min(-1) - phrase[:, None, None]  # over the phrase's floor
        heights = clearance[planted] if planted.any() else (low - phrase[:, None]).ravel()
        values = [floor, leg, *(np.percentile(phrase, RANGE) - floor), *np.percentile(heights, RANGE)]
        return cls(*(float(v) for v in values))

    @classmethod
    def default(cls, floor: float, leg_length: float) -> FloorModel:
        """A floor model from the floor height and leg length alone: phrases stand on the floor and planted
        feet rest `CONTACT_HEIGHT / 2` leg lengths above it."""
        rest = CONTACT_HEIGHT / 2 * float(leg_length)
        return cls(float(floor), float(leg_length), 0.0, 0.0, 0.0, rest, rest, rest)

    def lift(self, world: np.ndarray, skeleton: Skeleton) -> np.ndarray:
        """The vertical move `[N]` that stands each of sequences `[N, T, J, 3]` (or one `[T, J, 3]`) where real
        phrases stand: none while its floor (the `FLOOR_PERCENTILE` of its lowest foot) lies in their range,
        pulled back beyond it as `ground` pulls a phrase (`_pull`), so motion captured over another floor (a
        studio whose origin is not on the ground) is brought to this one."""
        own = np.percentile(lowest_foot(_as_batch(world), skeleton), FLOOR_PERCENTILE, axis=1)
        return _pull(own - self.floor, self.phrase_low, self.phrase_mid, self.phrase_high)

    def scaled(self, factor: float) -> FloorModel:
        """The same floor model for the same body scaled by `factor`."""
        return FloorModel(*(float(v) * factor for v in asdict(self).values()))

    def to_dict(self) -> dict:
        return {k: float(v) for k, v in asdict(self).items()}


def leg_reach(world: np.ndarray, skeleton: Skeleton) -> float:
    """How straight real legs `[..., J, 3]` get (`body.leg_extension`): its `REACH_PERCENTILE`th percentile."""
    return float(np.nanpercentile(leg_extension(world, skeleton), REACH_PERCENTILE))


def top_speed(world: np.ndarray, skeleton: Skeleton, fps: float) -> float:
    """How fast real bodies `[N, T, J, 3]` travel at most: the `SPEED_PERCENTILE`th percentile of their pelvis's
    horizontal speed, in units per second (a tracking glitch's one-frame leap does not set it)."""
    root = root_trajectory(_as_batch(world), skeleton)[..., [0, 2]]
    return float(np.percentile(np.linalg.norm(np.diff(root, axis=1), axis=-1), SPEED_PERCENTILE) * fps)


def stance_gap(pairs: np.ndarray, skeleton: Skeleton) -> float | None:
    """How high the second dancer of pair windows `[N, 2, T, J, 3]` stands above the first: the median over
    windows of the difference of their lowest foot points' medians (a take captured over another floor, or
    danced in other shoes, moves both dancers and leaves it). None where the couple's feet do not keep one
    gap: where the middle half of the windows spread over more than `STANCE_SPREAD` leg lengths (video
    without depth, where the floor under each dancer rises and falls in the image as they step towards or
    away from the camera: 0.10 on the shared duet, against 0.02 on the salsa takes)."""
    p = np.asarray(pairs)
    low = np.median(lowest_foot(p, skeleton), axis=-1)  # [N, 2]
    q25, q50, q75 = np.percentile(low[:, 1] - low[:, 0], (25, 50, 75))
    return float(q50) if q75 - q25 < STANCE_SPREAD * leg_length(p, skeleton) else None


def stand_with(partner: np.ndarray, lead: np.ndarray, skeleton: Skeleton, fps: float, gap: float) -> np.ndarray:
    """Partners `[N, T, J, 3]` moved up or down (whole bodies, smoothly) so that their lowest foot stands `gap`
    above their leads' `[N, T, J, 3]`, both judged by the median over the phrase (`PHRASE_S`) around each frame
    (over the whole sequence when it is no longer): a partner stands on the floor its lead dances on (both
    dancers of a take share one), not on the floor its dancer had in training (salsa takes' floors lie up to
    2 cm apart, one 5 cm)."""
    w = _as_batch(partner)
    size = _frames(PHRASE_S, fps) | 1

    def typical(x: np.ndarray) -> np.ndarray:
        low = lowest_foot(_as_batch(x), skeleton)
        if low.shape[1] <= size:
            return np.median(low, axis=1, keepdims=True)
        return gaussian_filter1d(median_filter(low, size=(1, size), mode="nearest"), size / 4, axis=1,
                                 mode="nearest")

    out = w.copy()
    out[..., 1] += (typical(lead) + gap - typical(w))[..., None].astype(w.dtype)
    return out


def usable_reach(measured: float) -> float:
    """A kept `leg_reach` as `ground`'s `max_extension`: 1 (legs free) where none was measured (0), and within
    0.5-1, so data whose legs never straighten past half (a mislabelled skeleton's) cannot fold every leg."""
    return min(max(float(measured), 0.5), 1.0) if measured > 0 else 1.0


def _phrases(w: np.ndarray, fps: float) -> np.ndarray:
    """Sequences `[N, T, J, 3]` cut into phrases of `PHRASE_S` (where the floor is judged), or as they are
    when shorter."""
    length = _frames(PHRASE_S, fps)
    if w.shape[1] < 2 * length:
        return w
    cut = w[:, : w.shape[1] // length * length]
    return cut.reshape(-1, length, *w.shape[2:])


def _as_batch(world: np.ndarray) -> np.ndarray:
    w = np.asarray(world)
    if w.ndim == 3:
        w = w[None]
    if w.ndim != 4 or w.shape[-1] != 3 or w.shape[1] < 3:
        raise ShapeError(f"world positions must be [N, T>=3, J, 3] (or one [T, J, 3]); got shape {w.shape}")
    return w


def foot_points(world: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Ankle and toe of each foot `[..., T, 2 sides, 2 points, 3]`."""
    roles = tuple(f"{s}_{p}" for s in SIDES for p in FOOT_POINTS)
    pts = body_points(world, skeleton, roles, "grounding the feet")
    return pts.reshape(*pts.shape[:-2], 2, len(FOOT_POINTS), 3)


def lowest_foot(world: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Height of the lowest foot point in each frame `[..., T]`."""
    return foot_points(world, skeleton)[..., 1].min((-1, -2))


def _frames(seconds: float, fps: float) -> int:
    return max(1, int(round(seconds * fps)))


def detect_contacts(world: np.ndarray, skeleton: Skeleton, fps: float, leg: float,
                    floor: float | np.ndarray, speed: float = CONTACT_SPEED) -> np.ndarray:
    """Planted feet `[N, T, 2]` (left, right): the foot's lowest point is within `CONTACT_HEIGHT` leg
    lengths of the floor (one height, or one per frame `[N, T]`) and its slowest point moves slower than
    `speed` leg lengths per second; contacts and gaps shorter than `MIN_CONTACT_S` are removed."""
    feet = foot_points(_as_batch(world), skeleton)  # [N, T, 2, P, 3]
    low = feet[..., 1].min(-1)  # [N, T, 2]: each foot's lowest point
    slowest = np.linalg.norm(np.gradient(feet[..., [0, 2]], axis=1), axis=-1).min(-1) * fps / leg
    floor = np.broadcast_to(np.asarray(floor, np.float64), low.shape[:2])[..., None]  # one, or per frame
    planted = (low - floor < CONTACT_HEIGHT * leg) & (slowest < speed)
    k = _frames(MIN_CONTACT_S, fps)
    if k > 1:
        structure = np.ones((1, k, 1), bool)
        planted = binary_opening(binary_closing(planted, structure, border_value=0) | planted, structure)
    return planted


def _fill_between(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Per sequence (first axis): `values` `[N, T, ...]` at `known` frames (`known` broadcasts against
    `values`), linearly interpolated between them and held beyond the first and last; zero where a
    sequence knows no frame of a channel."""
    known = np.broadcast_to(known.reshape(known.shape + (1,) * (values.ndim - known.ndim)), values.shape)
    n, t = values.shape[:2]
    v, k = values.reshape(n, t, -1), known.reshape(n, t, -1)
    out = np.zeros_like(v)
    frames = np.arange(t)
    for i, c in zip(*np.nonzero(k.any(1))):
        out[i, :, c] = np.interp(frames, frames[k[i, :, c]], v[i, k[i, :, c], c])
    return out.reshape(values.shape)


def local_floor(world: np.ndarray, skeleton: Skeleton, fps: float) -> np.ndarray:
    """The floor under each frame `[N, T]`: the `FLOOR_PERCENTILE` of the lowest foot point over the
    phrase (`PHRASE_S`) around it, as a benchmark window's floor is judged."""
    low = lowest_foot(_as_batch(world), skeleton)
    size = min(_frames(PHRASE_S, fps), 2 * low.shape[1] - 1) | 1
    return percentile_filter(low, FLOOR_PERCENTILE, size=(1, size), mode="nearest")


def _pull(height: np.ndarray, low: float, mid: float, high: float) -> np.ndarray:
    """The vertical move that brings heights where real ones are: none inside `[low, high]`; beyond it the
    height is pulled back, all the way to `mid` once it lies as far again outside (continuous)."""
    d = height - mid
    above, below = max(high - mid, 0.0), max(mid - low, 0.0)
    up = np.where(d > above, np.maximum(2 * above - d, 0.0) if above > 0 else 0.0, d)
    return np.where(d < -below, np.minimum(-2 * below - d, 0.0) if below > 0 else 0.0, up) - d


def ground(world: np.ndarray, skeleton: Skeleton, fps: float, leg_length: float, floor: float,
           contact: np.ndarray | None = None, model: FloorModel | None = None, travel: bool = True,
           anchor_s: float | None = None, around: np.ndarray | None = None,
           along_s: float | None = None, max_extension: float = 1.0) -> np.ndarray:
    """World positions `[N, T, J, 3]` standing on the floor with planted feet held still (module doc).

    `model` (a `FloorModel` of real data) says where real phrases and planted feet stand relative to the
    floor; without one, phrases stand on `floor` and planted feet rest just above it. `anchor_s` keeps a
    body that was placed from outside (a partner placed by its leader) near its given place: it travels
    over its planted feet and comes back to its place within about that many seconds (`travel_anchored`);
    None lets it travel freely. `around` `[N, T, 2]` (horizontal x, z: a leader's pelvis) makes `anchor_s`
    hold its distance from that point and `along_s` its place around it. `max_extension` (`body.leg_extension`)
    keeps the legs from straightening further than that where they reach for the feet, the body sinking
    (at most `MAX_DROP` leg lengths) where they cannot reach them so."""
    w = _as_batch(world).astype(np.float64)
    if not (np.isfinite(leg_length) and leg_length > 0):
        raise ShapeError(f"leg_length must be a positive length; got {leg_length}")
    if not 0.5 <= max_extension <= 1.0:
        raise ShapeError(f"max_extension is a share of the leg's length from 0.5 to 1 (1: straight); got "
                         f"{max_extension}")
    fm = model or FloorModel.default(floor, leg_length)
    sigma = max(SMOOTH_S * fps, 0.5)
    # 1. The floor under each phrase comes within the real range: no floating, no sinking phrase.
    under = local_floor(w, skeleton, fps)
    lift = gaussian_filter1d(_pull(under - floor, fm.phrase_low, fm.phrase_mid, fm.phrase_high), 4 * sigma,
                             axis=1, mode="nearest")
    w[..., 1] += lift[..., None]
    under = under + lift  # the floor under each frame from here on
    # 2. Contacts: every foot that is low and slower than a swing, and the given ones; of the given ones only
    # those given with confidence are brought down to the floor (the rest are held where they are).
    planted = detect_contacts(w, skeleton, fps, leg_length, under, PIN_SPEED)
    resting = planted.copy()
    if contact is not None:
        given = np.asarray(contact)
        if given.shape != planted.shape:
            raise ShapeError(f"contact must be [N, T, 2] (left, right) like the motion; got {given.shape}")
        planted |= given > CONTACT_PROB
        resting |= given > REST_PROB
    if travel and anchor_s is not None:  # over its feet, but near where it was placed
        w = travel_anchored(w, skeleton, fps, planted, anchor_s, around, along_s)
    elif travel:  # the body travels over its planted feet instead of dragging them along
        w = _travel_with_feet(w, skeleton, fps, planted, sigma)
    # 3. Resting feet stand where real planted feet stand; the lift is interpolated between contacts.
    foot_low = foot_points(w, skeleton)[..., 1].min(-1)  # [N, T, 2]
    lowest_resting = np.where(resting, foot_low, np.inf).min(-1) - under
    any_resting = resting.any(-1)
    step = np.where(any_resting, _pull(np.where(any_resting, lowest_resting, fm.planted_mid), fm.planted_low,
                                       fm.planted_mid, fm.planted_high), 0.0)
    w[..., 1] += gaussian_filter1d(_fill_between(step, any_resting), sigma, axis=1, mode="nearest")[..., None]
    if skeleton.parents is None:
        return w.astype(np.float32)
    # 4. Pin each planted foot: its ankle slides no faster than SLIDE_SPEED and, where it rests, its lowest point
    # stands as high above the floor as real planted feet; the leg reaches it.
    ankle_index = [role_indices(skeleton, f"{s}_ankle")[0] for s in SIDES]
    ankle = w[:, :, ankle_index]  # [N, T, 2, 3]
    target = ankle.copy()
    target[..., [0, 2]] += _slide_limit(ankle[..., [0, 2]], planted, SLIDE_SPEED * leg_length / fps)
    foot_low = foot_points(w, skeleton)[..., 1].min(-1) - under[..., None]
    target[..., 1] += np.where(resting, _pull(foot_low, fm.planted_low, fm.planted_mid, fm.planted_high), 0.0)
    offset = _fill_between(np.where(planted[..., None], target - ankle, 0.0), planted)
    # Smoothed between contacts (a stepping foot travels smoothly), exact within them: smoothing a short
    # contact's offsets let its planted ankle slide at twice `SLIDE_SPEED` and more.
    offset = np.where(planted[..., None], offset, gaussian_filter1d(offset, sigma, axis=1, mode="nearest"))
    w[..., 1] -= _drop_to_reach(w, skeleton, ankle + offset, planted, max_extension, fps)[..., None]
    for side in range(2):
        w = _reach(w, skeleton, SIDES[side], ankle[:, :, side] + offset[:, :, side], max_extension)
    return w.astype(np.float32)


def _planted_slide(w: np.ndarray, skeleton: Skeleton, planted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How many feet are planted over each frame pair `[N, T-1]`, and the mean horizontal slide of their ankles
    `[N, T-1, 2]` (zero where none is)."""
    ankle_index = [role_indices(skeleton, f"{s}_ankle")[0] for s in SIDES]
    v = np.diff(w[:, :, ankle_index][..., [0, 2]], axis=1)  # [N, T-1, 2 feet, 2]
    both = planted[:, 1:] & planted[:, :-1]  # planted over the frame pair
    k = both.sum(-1).astype(np.float64)
    return k, (v * both[..., None]).sum(-2) / np.maximum(k, 1)[..., None]


def _shifted(w: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Whole frames of `w` moved horizontally by `shift` `[N, T, 2]` (x, z)."""
    out = w.copy()
    out[..., 0] += shift[..., None, 0]
    out[..., 2] += shift[..., None, 1]
    return out


def _travel_with_feet(w: np.ndarray, skeleton: Skeleton, fps: float, planted: np.ndarray,
                      sigma: float) -> np.ndarray:
    """Shift whole frames horizontally so that planted feet (their ankles) do not slide: in each frame the
    body's travel is corrected by the mean horizontal velocity of its planted ankles, smoothly."""
    slide = gaussian_filter1d(_planted_slide(w, skeleton, planted)[1], sigma, axis=1, mode="nearest")
    return _shifted(w, np.concatenate([np.zeros_like(slide[:, :1]), -np.cumsum(slide, axis=1)], axis=1))


def travel_anchored(w: np.ndarray, skeleton: Skeleton, fps: float, planted: np.ndarray, anchor_s: float,
                    around: np.ndarray | None = None, along_s: float | None = None) -> np.ndarray:
    """Shift whole frames horizontally so planted feet stay put while the body stays near its given place.

    Per sequence the shift `s` minimises, by one sparse least-squares solve,
    `sum_t k_t |s_t+1 - s_t + v_t|^2 + sum_t s_t' A_t s_t + ANCHOR_SMOOTH sum_t |s_t+1 - 2 s_t + s_t-1|^2`,
    with `v_t` the mean slide of the feet planted over the frame pair and `k_t` how many are: the body
    travels over its planted feet (the slide is taken off) and makes up its place during swings and
    steps, where nothing holds it, as a partner walks to keep up with its leader. The anchor `A_t` is
    `1 / (anchor_s fps)^2` in every direction, or, with `around` `[N, T, 2]`, that on the line from `around`
    to the body and `1 / (along_s fps)^2` across it: an even anchor low-passes a path that circles its
    leader, bringing it closer (salsa partners 0.02-0.03 units), while one holding the distance harder than
    the place around it keeps the partner as far from its leader as it was placed."""
    k, slide = _planted_slide(w, skeleton, planted)
    radial = _anchor_weight(anchor_s, fps)
    along = _anchor_weight(along_s if along_s is not None else anchor_s, fps)
    anchor = np.broadcast_to(along * np.eye(2), (*w.shape[:2], 2, 2))
    if around is not None:
        gap = root_trajectory(w, skeleton)[..., [0, 2]] - np.asarray(around, np.float64)
        u = gap / np.maximum(np.linalg.norm(gap, axis=-1, keepdims=True), 1e-9)
        anchor = anchor + (radial - along) * np.einsum("...i,...j->...ij", u, u)
    elif along != radial:
        raise ShapeError("along_s needs around: the point whose distance the anchor holds")
    return _shifted(w, np.stack([_anchored_shift(k[i], slide[i], anchor[i]) for i in range(len(w))]))


def _anchor_weight(seconds: float, fps: float) -> float:
    return 1.0 / max(seconds * fps, 1.0) ** 2


def _anchored_shift(k: np.ndarray, slide: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """The shift `[T, 2]` of `travel_anchored` for one sequence, `anchor` `[T, 2, 2]` (its normal equations
    are sparse: banded within each axis, the axes coupled only frame by frame)."""
    t = len(k) + 1
    d1 = sparse.diags([-np.ones(t - 1), np.ones(t - 1)], [0, 1], shape=(t - 1, t))
    d2 = sparse.diags([np.ones(t - 2), -2 * np.ones(t - 2), np.ones(t - 2)], [0, 1, 2], shape=(max(t - 2, 0), t))
    path = d1.T @ sparse.diags(k) @ d1 + ANCHOR_SMOOTH * d2.T @ d2
    lhs = sparse.bmat([[path + sparse.diags(anchor[:, 0, 0]), sparse.diags(anchor[:, 0, 1])],
                       [sparse.diags(anchor[:, 1, 0]), path + sparse.diags(anchor[:, 1, 1])]])
    rhs = -(d1.T @ (k[:, None] * slide))  # [T, 2]
    return np.asarray(spsolve(lhs.tocsc(), rhs.T.ravel())).reshape(2, t).T


def limit_travel(world: np.ndarray, skeleton: Skeleton, max_step: float) -> np.ndarray:
    """World positions `[N, T, J, 3]` whose root travels at most `max_step` a frame: where its path leaps
    ahead (a generated partner's place swinging round its turning leader), the body follows it at that speed
    until it catches up (whole frames moved horizontally); a path never that fast is left as it is."""
    w = _as_batch(world)
    if not np.isfinite(max_step):
        return w
    root = root_trajectory(w, skeleton)[..., [0, 2]].astype(np.float64)
    path = root.copy()
    for t in range(1, root.shape[1]):
        step = root[:, t] - path[:, t - 1]
        length = np.linalg.norm(step, axis=-1, keepdims=True)
        path[:, t] = path[:, t - 1] + step * np.minimum(1.0, max_step / np.maximum(length, 1e-12))
    return _shifted(w, path - root)  # in the given dtype


def _slide_limit(xz: np.ndarray, planted: np.ndarray, max_step: float) -> np.ndarray:
    """Horizontal offsets `[N, T, 2, 2]` that keep each planted foot's ankle (`xz`, per side) from moving more
    than `max_step` per frame: within a contact the ankle follows its own path with each step shortened to
    at most `max_step` (a real planted foot still rolls and pivots a little); zero off contact."""
    n, t, sides = planted.shape
    p = np.moveaxis(planted, 2, 1).reshape(n * sides, t)  # one row per foot
    v = np.diff(np.moveaxis(xz, 2, 1).reshape(n * sides, t, 2), axis=1)  # [rows, T-1, 2]
    both = p[:, 1:] & p[:, :-1]
    length = np.linalg.norm(v, axis=-1, keepdims=True)
    keep = np.where(both[..., None], np.minimum(1.0, max_step / np.maximum(length, 1e-12)), 1.0)
    drift = np.concatenate([np.zeros((len(p), 1, 2)), np.cumsum(v * (keep - 1.0), axis=1)], axis=1)  # [rows, T, 2]
    starts = p & ~np.concatenate([np.zeros((len(p), 1), bool), p[:, :-1]], axis=1)
    first = np.maximum.accumulate(np.where(starts, np.arange(t), 0), axis=1)  # each contact's first frame
    offset = (drift - np.take_along_axis(drift, first[..., None], axis=1)) * p[..., None]
    return np.moveaxis(offset.reshape(n, sides, t, 2), 1, 2)


def _drop_to_reach(w: np.ndarray, skeleton: Skeleton, target: np.ndarray, planted: np.ndarray,
                   max_extension: float, fps: float) -> np.ndarray:
    """How far to lower each frame `[N, T]` so that the legs reach their planted feet' targets `[N, T, 2, 3]`
    bent no straighter than `max_extension`: a body whose held foot lies beyond its leg sinks into the stance
    (as a dancer in a wide step does) rather than lifting the foot off the floor. At most `MAX_DROP` leg
    lengths; widened and smoothed over `DROP_S` so the pelvis eases down and up."""
    need = np.zeros(planted.shape)
    for i, side in enumerate(SIDES):
        hip, knee, ankle = _leg(skeleton, side)
        legs = np.linalg.norm(w[:, :, knee] - w[:, :, hip], axis=-1) + np.linalg.norm(
            w[:, :, ankle] - w[:, :, knee], axis=-1)
        reach = max_extension * legs
        gap = w[:, :, hip] - target[:, :, i]
        across = np.hypot(gap[..., 0], gap[..., 2])
        height = np.sqrt(np.maximum(reach**2 - across**2, 0.0))  # the hip's highest place over the foot
        need[..., i] = np.where(planted[..., i], np.clip(gap[..., 1] - height, 0.0, MAX_DROP * legs), 0.0)
    width = _frames(DROP_S, fps)
    drop = maximum_filter1d(need.max(-1), 2 * width + 1, axis=1, mode="nearest")
    return gaussian_filter1d(drop, width / 2, axis=1, mode="nearest")


def _leg(skeleton: Skeleton, side: str) -> tuple[int, int, int]:
    """The hip, knee and ankle joints of one leg."""
    return tuple(role_indices(skeleton, f"{side}_{p}")[0] for p in ("hip", "knee", "ankle"))


def _reach(w: np.ndarray, skeleton: Skeleton, side: str, target: np.ndarray, max_extension: float) -> np.ndarray:
    """Move one leg so its ankle reaches `target` `[N, T, 3]` (two-bone IK from the fixed hip)."""
    return reach_limb(w, skeleton, _leg(skeleton, side), target, max_extension)
