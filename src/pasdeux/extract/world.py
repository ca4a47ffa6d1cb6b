"""Placing each dancer in the room: BlazePose's world landmarks are metres around the mid-hip, so each
dancer's position comes from where its landmarks fall in the frame, through an assumed camera.

The camera is a pinhole at the origin with its principal point at the frame's centre and a focal
length from an assumed horizontal field of view (phones film at about 60-70 degrees). For each
dancer and frame the translation `t` of the hip-centred pose `X` is the weighted least-squares
solution of `project(X_i + t) = u_i` over the visible landmarks, which is linear in `t`:

    f * t_x - (u_i - c_x) * t_z = (u_i - c_x) * Z_i - f * X_i      (and the same for y)

The pose's size in metres against its size in pixels fixes the depth; left-right and up-down follow
from where it sits in the frame.

The camera's tilt (pitch, and roll) and height come from the dancers themselves (`floor_up`). A
person's contact point with the floor is the pixel of its lowest foot landmark (in a walk or a stance
the lower foot is the planted one); its depth `Z` is known from its body size (above). For points
on one plane, `f / Z` is linear in the pixel: `f / Z = a u + b v + c`, and the plane follows:
its normal is `-K^T (a, b, c)` (K the camera matrix) and the camera's height `f / |K^T (a, b, c)|`.
The line is fitted to every placed pose over the whole video (least squares, then again without the
poses farther than 2.5 robust deviations from it, a few times): each pose's depth is noisy, the
floor through hundreds of them is not. The roll it gives is checked against the people themselves
(`upright_roll`): at the principal point an upright body's image leans by the camera's roll, whatever
the tilt; where the feet's roll differs from theirs by more than ROLL_AGREE degrees (a floor
that is not quite flat, or people nearer on one side than the body-size depth says), the floor is
fitted again with the bodies' roll. The camera-frame points are then turned so that the floor's
normal points up (`level`), and each pose is moved along the line of sight of its lowest foot until
that foot stands on the floor (`on_floor`): the depth of a dancer standing on the floor is where its
feet meet it, which is surer than its body size (a jump's lift is lost where body size cannot tell
it from noise). With too few poses, or a tilt beyond MAX_TILT, the camera is taken as level and the
notes say so; a tilt given by the user is used as it is (roll 0). Points then move to pasdeux's axes
(y up, metres) with the floor at y = 0 and the dancers' mean position at the origin.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np

FOOT = (27, 28, 29, 30, 31, 32)  # ankles, heels, foot tips (BlazePose numbering)
MIN_WEIGHT = 0.25  # visibility x presence below which a landmark does not place the pose
MIN_LANDMARKS = 6
FLOOR_PERCENTILE = 5.0
MIN_PLANTED = 30  # placed poses with a visible foot needed to estimate the floor
MAX_TILT = 70.0  # degrees: a steeper fitted floor is taken for a failed fit
OUTLIER = 2.5  # robust deviations from the plane beyond which a planted foot is left out of the fit
DOWN = np.array([0.0, 1.0, 0.0])  # camera y points down
# Degrees the feet's roll may differ from the upright bodies' before the bodies' is used: on vtest.avi's whole
# square the feet alone gave -23 degrees (people on the right look nearer than a level floor has them), which
# the picture does not show; the people's lean gives 2.9 there (and -1.7 in the window, whose feet give -1.4).
ROLL_AGREE = 5.0
TILT_KEPT = 5.0  # degrees the tilt may move when the bodies' roll is held instead of the feet's


@dataclass
class Floor:
    """The floor seen from the camera: its up direction in camera axes and the camera's height above it."""

    up: np.ndarray  # [3] unit, camera axes (x right, y down, z away)
    height: float | None  # metres; None when not estimated
    how: str  # "estimated", "given" or "assumed level"
    planted: int = 0  # poses (contact points) the fit used
    feet_roll_deg: float | None = None  # the roll the feet alone gave, where the upright bodies overruled it
    upright_roll_deg: float | None = None  # the upright bodies' roll, where it disagrees but could not be used

    @property
    def tilt_deg(self) -> float:
        """How far the camera looks down (degrees; negative: up)."""
        return float(np.degrees(np.arctan2(-self.up[2], -self.up[1])))

    @property
    def roll_deg(self) -> float:
        return float(np.degrees(np.arctan2(self.up[0], -self.up[1])))


@dataclass
class Camera:
    """The assumed pinhole camera of the decoded frames."""

    width: int
    height: int
    fov_deg: float

    @property
    def focal(self) -> float:
        """Focal length in pixels."""
        return self.width / 2 / np.tan(np.radians(self.fov_deg) / 2)

    @property
    def centre(self) -> np.ndarray:
        return np.array([self.width / 2, self.height / 2])


def translation(image_xy: np.ndarray, world: np.ndarray, weight: np.ndarray, camera: Camera) -> np.ndarray | None:
    """Camera-frame position `[3]` of a pose's hip centre from its pixels `[33, 2]`, world points
    `[33, 3]` and landmark weights `[33]`; None when the solution lies behind the camera."""
    f, (cx, cy) = camera.focal, camera.centre
    # Landmarks the model only guesses (outside the frame, hidden) would pull the pose's scale, so they
    # count only when too few others are left to fix three unknowns.
    w = np.where(weight >= MIN_WEIGHT, np.sqrt(weight), 0.0)
    if np.count_nonzero(w) < MIN_LANDMARKS:
        w = np.sqrt(np.maximum(weight, 1e-3))
    du, dv = image_xy[:, 0] - cx, image_xy[:, 1] - cy
    zeros, ones = np.zeros_like(du), np.full_like(du, f)
    a = np.concatenate([np.stack([ones, zeros, -du], 1), np.stack([zeros, ones, -dv], 1)])
    b = np.concatenate([du * world[:, 2] - f * world[:, 0], dv * world[:, 2] - f * world[:, 1]])
    ww = np.concatenate([w, w])
    t, *_ = np.linalg.lstsq(a * ww[:, None], b * ww, rcond=None)
    return t if t[2] > 0.1 else None


def place(image: np.ndarray, world: np.ndarray, weight: np.ndarray, found: np.ndarray,
          camera: Camera) -> tuple[np.ndarray, int]:
    """Camera-frame landmarks `[D, T, 33, 3]` (x right, y down, z away; NaN where not found) and how
    many found poses could not be placed (their solution lay behind the camera)."""
    out = np.full(world.shape, np.nan)
    failed = 0
    for d, t in zip(*np.nonzero(found)):
        shift = translation(image[d, t, :, :2], world[d, t], weight[d, t], camera)
        if shift is None:
            failed += 1
            continue
        out[d, t] = world[d, t] + shift
    return out, failed


def contacts(image: np.ndarray, visibility: np.ndarray, points: np.ndarray, camera: Camera,
             min_visibility: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Each placed pose's contact pixel `[N, 2]` (its lowest visible foot landmark) and `f / Z` `[N]` (Z the
    depth of its hips), from frame landmarks `[D, T, 33, 3]`, their visibility and camera-frame points."""
    foot = list(FOOT)
    px = image[..., foot, :2].reshape(-1, len(foot), 2)
    seen = visibility[..., foot].reshape(-1, len(foot)) >= min_visibility
    z = points[..., [23, 24], 2].mean(-1).reshape(-1)
    ok = seen.any(1) & np.isfinite(z) & (z > 0) & np.isfinite(px).all((1, 2))
    v = np.where(seen, px[..., 1], -np.inf)[ok]
    low = px[ok][np.arange(ok.sum()), np.argmax(v, axis=1)]
    return low, camera.focal / z[ok]


def fit_floor(pixels: np.ndarray, inverse_depth: np.ndarray, camera: Camera,
              roll_deg: float | None = None) -> tuple[np.ndarray, float, int]:
    """The floor's up direction (camera axes), the camera's height above it and the poses used, from contact
    pixels `[N, 2]` and `f / Z` `[N]` (see the module doc); with `roll_deg`, the roll is held at that."""
    # roll = atan2(-a, b) for f / Z = a u + b v + c: a held roll makes it one slope along v - u tan(roll)
    lean = 0.0 if roll_deg is None else np.tan(np.radians(roll_deg))
    x = np.column_stack([pixels, np.ones(len(pixels))]) if roll_deg is None else \
        np.column_stack([pixels[:, 1] - lean * pixels[:, 0], np.ones(len(pixels))])
    keep = np.ones(len(x), bool)
    for _ in range(4):
        coef = np.linalg.lstsq(x[keep], inverse_depth[keep], rcond=None)[0]
        r = inverse_depth - x @ coef
        spread = 1.4826 * np.median(np.abs(r[keep] - np.median(r[keep])))
        keep = np.abs(r) <= OUTLIER * max(spread, 1e-9)
    if roll_deg is not None:
        coef = np.array([-lean * coef[0], coef[0], coef[1]])
    f, (cx, cy) = camera.focal, camera.centre
    k_t_l = np.array([f * coef[0], f * coef[1], cx * coef[0] + cy * coef[1] + coef[2]])
    norm = float(np.linalg.norm(k_t_l))
    return -k_t_l / max(norm, 1e-12), f / max(norm, 1e-12), int(keep.sum())


def floor_up(image: np.ndarray, visibility: np.ndarray, points: np.ndarray, camera: Camera,
             tilt_deg: float | None = None) -> Floor:
    """The floor seen by the camera (see the module doc), or from a given tilt (its height then from the
    feet's median height along it)."""
    if tilt_deg is not None:
        t = np.radians(tilt_deg)
        up = np.array([0.0, -np.cos(t), -np.sin(t)])
        return Floor(up, _height_along(points, up), "given")
    pixels, inverse = contacts(image, visibility, points, camera)
    if len(pixels) < MIN_PLANTED:
        return Floor(-DOWN, _height_along(points, -DOWN), "assumed level")
    up, height, used = fit_floor(pixels, inverse, camera)
    floor = Floor(up, height, "estimated", used)
    upright = upright_roll(image, visibility, camera)
    if upright is not None and abs(floor.roll_deg - upright) > ROLL_AGREE:
        up, height, used = fit_floor(pixels, inverse, camera, upright)
        held = Floor(up, height, "estimated", used, feet_roll_deg=floor.roll_deg)
        # A roll that only the feet's depths made (a bias across the frame) leaves the tilt as it was; where
        # holding the bodies' roll moves the tilt too, neither is sure: the feet's floor is kept and the notes say
        # the roll is in doubt (vtest.avi's whole square: 51 -> 67-69 degrees down, for a view whose top shows
        # buildings across the square)
        same = _plausible(held) and abs(held.tilt_deg - floor.tilt_deg) <= TILT_KEPT
        floor = held if same else replace(floor, upright_roll_deg=upright)
    return floor if _plausible(floor) else Floor(-DOWN, _height_along(points, -DOWN), "assumed level")


def _plausible(floor: Floor) -> bool:
    return bool(abs(floor.tilt_deg) <= MAX_TILT and abs(floor.roll_deg) <= MAX_TILT and floor.up[1] < 0)


def upright_roll(image: np.ndarray, visibility: np.ndarray, camera: Camera,
                 min_visibility: float = 0.5) -> float | None:
    """The camera's roll (degrees) that the people show: at the principal point an upright body's image leans by
    the roll whatever the tilt (elsewhere perspective leans it too), so the lean of each pose's mid-feet to
    mid-shoulders line, fitted as a plane over the frame (outliers left out), is read there; None with fewer than
    MIN_PLANTED poses."""
    ends = image[..., [11, 12, 27, 28], :2]  # shoulders and ankles
    ok = (visibility[..., [11, 12, 27, 28]] >= min_visibility).all(-1) & np.isfinite(ends).all((-1, -2))
    if ok.sum() < MIN_PLANTED:
        return None
    ends = ends[ok]
    feet, axis = ends[:, 2:].mean(1), ends[:, :2].mean(1) - ends[:, 2:].mean(1)
    lean = np.arctan2(axis[:, 0], -axis[:, 1])
    x = np.column_stack([np.ones(len(lean)), (feet - camera.centre) / camera.width])
    keep = np.ones(len(x), bool)
    for _ in range(4):
        coef = np.linalg.lstsq(x[keep], lean[keep], rcond=None)[0]
        r = lean - x @ coef
        keep = np.abs(r) <= OUTLIER * max(1.4826 * np.median(np.abs(r[keep] - np.median(r[keep]))), 1e-9)
    return float(np.degrees(coef[0]))


def _height_along(points: np.ndarray, up: np.ndarray) -> float | None:
    """The camera's height above the feet: the median over poses of the lowest foot point below it."""
    feet = points[..., list(FOOT), :] @ up
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanmin(feet, axis=-1)
    low = low[np.isfinite(low)]
    return float(-np.median(low)) if low.size and np.median(low) < 0 else None


def on_floor(points: np.ndarray, height: float, feet: tuple[int, ...] = FOOT) -> np.ndarray:
    """Level camera-frame points `[D, T, J, 3]` (y down) each moved along the line of sight of its lowest
    foot point (of joints `feet`) until that point lies on the floor `height` below the camera."""
    feet = points[..., list(feet), :]
    y = np.where(np.isfinite(feet[..., 1]), feet[..., 1], -np.inf)
    k = np.argmax(y, axis=-1)
    low = np.take_along_axis(feet, k[..., None, None], axis=-2)[..., 0, :]  # [D, T, 3]
    ok = np.isfinite(low).all(-1) & (low[..., 1] > 0.05 * height)  # below the camera
    scale = np.where(ok, height / np.where(ok, low[..., 1], 1.0), 1.0)
    shift = np.where(ok[..., None], low * (scale[..., None] - 1.0), 0.0)
    return points + shift[..., None, :]


def level(points: np.ndarray, floor: Floor) -> tuple[np.ndarray, np.ndarray]:
    """Camera-frame points turned so the floor's up is the camera's -y; and the rotation `[3, 3]`."""
    from pasdeux.kinematics import swing

    rot = swing(floor.up, -DOWN)
    return points @ rot.T, rot


def to_room(points: np.ndarray, height: float | None = None) -> tuple[np.ndarray, dict]:
    """Level camera-frame points `[D, T, J, 3]` to pasdeux's room: y up, floor at 0 (`height` below the
    camera, else a low percentile of the feet), dancers centred; the floor height and camera position."""
    room = points * np.array([1.0, -1.0, -1.0])  # a proper rotation (det +1): y up, z toward the camera
    if height is not None:
        floor = -float(height)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # frames where a dancer is missing
            lowest = np.nanmin(room[..., list(FOOT), 1], axis=-1)
        lowest = lowest[np.isfinite(lowest)]
        floor = float(np.percentile(lowest, FLOOR_PERCENTILE)) if lowest.size else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nanmean(room[..., [23, 24], :].reshape(-1, 3), axis=0)
    offset = np.array([centre[0], floor, centre[2]])
    return room - offset, {"floor": floor, "camera": -offset}
