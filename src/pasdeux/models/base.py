"""What every pasdeux motion model shares: features, the model contracts, saving and loading.

A model sees a window of motion as features `[B, T, C]`: the pose centred per frame (J*3 numbers,
pelvis x and z removed) followed by the root's horizontal velocity (2 numbers per frame, so
generated phrases can travel), all normalised with `NormStats` that travel with the model.

Two contracts:
- `MotionModel` (solo): subclasses implement the tensor-level `encode`, `decode_latent`, `prior_latent`
  and `loss`; turning numpy windows into tensors and back is `pasdeux.generate.pipeline`'s.
- `PartnerModel` (a second dancer answering a first): `condition(lead, direction)` reads a leader,
  `posterior(partner, cond)` encodes a real partner, `best_guess(cond)` and `draw(cond, sigma, gen)` give
  partner latents (the model's `sampler` walks away from the best guess), `decode(z, cond)` returns the
  partner in the world with its holds and planted feet (`PartnerOutput`). Generation, analysis, validation
  and the benchmark use only this contract, so a second duet model need not imitate the first.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from pasdeux.body import has_root, root_joints
from pasdeux.data import NormStats
from pasdeux.errors import ConfigError, FormatError, ShapeError, SkeletonError
from pasdeux.geometry import centre_horizontally, root_point
from pasdeux.grounding import FloorModel, leg_reach, usable_reach
from pasdeux.models.placement import DancerPlacement
from pasdeux.models.sampling import PartnerSampler
from pasdeux.motion import Skeleton
from pasdeux.runs import MODEL_CONFIG as CONFIG_FILE
from pasdeux.runs import MODEL_SKELETON as SKELETON_FILE
from pasdeux.runs import MODEL_STATS as STATS_FILE
from pasdeux.runs import MODEL_WEIGHTS as WEIGHTS_FILE

ROOT_CHANNELS = 2  # horizontal root velocity (x, z) per frame, metres per frame
FLOOR_KEY = "floor_clearances"  # the buffer holding the training data's FloorModel
OLD_FLOOR_KEY = "floor_stats"  # before planted-foot clearances were taken over the phrase's floor (2026-12)
LEG_REACH_KEY = "leg_reach"  # the buffer holding how straight the training data's legs get (0: not measured)


def _legacy_leg_reach(module: nn.Module, state: dict, prefix: str, *args) -> None:
    """Folders saved before the leg reach was kept generate with legs free to straighten, as they did."""
    state.setdefault(prefix + LEG_REACH_KEY, torch.zeros(()))


def _legacy_placement(module: nn.Module, state: dict, prefix: str, *args) -> None:
    module.placement.rename_legacy(state, prefix)


def make_config(config_class: type, options: dict[str, Any]) -> Any:
    """A model config dataclass from a dict, naming the valid keys when one is unknown."""
    valid = {f.name for f in fields(config_class)}
    unknown = sorted(set(options) - valid)
    if unknown:
        raise ConfigError(f"unknown model option(s) {', '.join(unknown)} for {config_class.__name__}; "
                          f"valid options: {', '.join(sorted(valid))}")
    return config_class(**options)


def generator(seed: int | None) -> torch.Generator:
    """A CPU torch generator, seeded when `seed` is given (fresh entropy otherwise)."""
    g = torch.Generator()
    if seed is None:
        g.seed()
    else:
        g.manual_seed(int(seed))
    return g


class MotionModel(nn.Module):
    """Base class: a generative model of solo motion windows with a numpy-level API."""

    name: ClassVar[str] = ""
    config_class: ClassVar[type]
    has_root: ClassVar[bool] = False  # whether the decoder predicts the root's horizontal velocity
    factor: ClassVar[int | None] = None  # frames per latent step; None: one latent vector per window
    dancers: ClassVar[int] = 1  # dancers per training window: 1 (solo) or 2 (a lead and its partner)

    def __init__(self, config: Any, skeleton: Skeleton, stats: NormStats, fps: float = 30.0) -> None:
        super().__init__()
        if not has_root(skeleton):
            raise SkeletonError(f"skeleton {skeleton.name!r} needs a root joint (pelvis) to centre motion")
        self.config, self.skeleton, self.fps = config, skeleton, float(fps)
        self.folder: Path | None = None  # where it was loaded from (provenance of what it generates)
        self.n_pose = skeleton.n_joints * 3
        if stats.mean.shape != (self.n_pose + ROOT_CHANNELS,):
            raise ShapeError(f"normalisation statistics have {stats.mean.shape[0]} features; this skeleton needs "
                             f"{self.n_pose + ROOT_CHANNELS} (J*3 pose + {ROOT_CHANNELS} root velocity)")
        self.register_buffer("feat_mean", torch.tensor(stats.mean, dtype=torch.float32))  # own copy
        self.register_buffer("feat_std", torch.tensor(stats.std, dtype=torch.float32))
        # The training data's FloorModel (zeros: not measured), what generation grounds phrases on.
        self.register_buffer(FLOOR_KEY, torch.zeros(len(fields(FloorModel))))
        self.register_buffer(LEG_REACH_KEY, torch.zeros(()))  # `max_extension`
        self.register_load_state_dict_pre_hook(_legacy_leg_reach)
        self._root = root_joints(skeleton)

    # --- sizes ---------------------------------------------------------------------------
    @property
    def window(self) -> int:
        """Training window length in frames."""
        return int(self.config.window)

    @property
    def stats(self) -> NormStats:
        return NormStats(self.feat_mean.cpu().numpy(), self.feat_std.cpu().numpy())

    @property
    def device(self) -> torch.device:
        return self.feat_mean.device

    @property
    def floor_model(self) -> FloorModel | None:
        """The floor, leg length and planted-foot heights of the training data (None: never measured)."""
        values = getattr(self, FLOOR_KEY).cpu().tolist()
        return FloorModel(*values) if values[1] > 0 else None

    @property
    def max_extension(self) -> float:
        """How straight generated legs may get where they reach for planted feet (`grounding.ground`): as straight
        as the training data's in 95 % of frames (1, legs free, for folders saved before it was kept). Free,
        sampled solos locked a knee in 7-10 % of frames against 1-3 % for the real salsa dancers."""
        return usable_reach(float(getattr(self, LEG_REACH_KEY)))

    def measure_floor(self, world_windows: np.ndarray) -> FloorModel | None:
        """Measure and keep the floor and the leg reach of uncentred training windows `[N, T, J, 3]`, or duet
        windows `[N, 2, T, J, 3]` (every dancer stands on the same floor); None: the skeleton names no feet."""
        w = np.asarray(world_windows, np.float32)
        if w.ndim == 5:
            w = w.reshape(-1, *w.shape[2:])
        try:
            floor = FloorModel.measure(w, self.skeleton, self.fps)
        except SkeletonError:
            return None
        getattr(self, FLOOR_KEY).copy_(torch.tensor(list(floor.to_dict().values()), dtype=torch.float32))
        try:
            getattr(self, LEG_REACH_KEY).fill_(leg_reach(w, self.skeleton))
        except SkeletonError:  # feet but no named knees: legs stay free
            getattr(self, LEG_REACH_KEY).zero_()
        return floor

    # --- features ------------------------------------------------------------------------
    @staticmethod
    def fit_stats(world_windows: np.ndarray, skeleton: Skeleton) -> NormStats:
        """Normalisation statistics of the features of uncentred windows `[N, T, J, 3]`."""
        x = torch.as_tensor(np.asarray(world_windows, np.float32))
        feats = features_of(x, root_joints(skeleton))
        return NormStats.fit(feats.numpy())

    def features(self, world: Tensor) -> Tensor:
        """Normalised features `[B, T, J*3 + 2]` of uncentred windows `[B, T, J, 3]`."""
        return (features_of(world, self._root) - self.feat_mean) / self.feat_std

    def pose_features(self, centred: Tensor) -> Tensor:
        """Normalised pose features `[B, T, J*3]` of windows already centred per frame."""
        p = self.n_pose
        return (centred.flatten(-2) - self.feat_mean[:p]) / self.feat_std[:p]

    def split_output(self, out: Tensor) -> tuple[Tensor, Tensor]:
        """Denormalise decoder output into centred positions `[B, T, J, 3]` and root velocity `[B, T, 2]`."""
        p = self.n_pose
        pose = out[..., :p] * self.feat_std[:p] + self.feat_mean[:p]
        pose = pose.unflatten(-1, (self.skeleton.n_joints, 3))
        if out.shape[-1] > p:
            root_vel = out[..., p:p + ROOT_CHANNELS] * self.feat_std[p:] + self.feat_mean[p:]
        else:
            root_vel = torch.zeros(out.shape[:-1] + (ROOT_CHANNELS,), device=out.device)
        return pose, root_vel

    # --- the contract: subclasses implement -----------------------------------------------
    def encode(self, pose_feats: Tensor, lead: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Posterior mean and log-variance of the latent for normalised pose features `[B, T, J*3]`."""
        raise NotImplementedError

    def decode_latent(self, z: Tensor, frames: int, lead: Tensor | None = None) -> Tensor:
        """Normalised output features `[B, frames, C]` for latents `z`."""
        raise NotImplementedError

    def prior_latent(self, n: int, frames: int, gen: torch.Generator, lead: Tensor | None = None) -> Tensor:
        """`n` latents drawn from the prior for phrases of `frames` frames."""
        raise NotImplementedError

    def solo_only(self, lead: Tensor | None) -> None:
        """Refuse a condition: solo models generate one dancer from nothing."""
        if lead is not None:
            raise ConfigError(f"model {self.name!r} is a solo model and takes no lead; train a duet model "
                              "(pasdeux train --config duet) to generate a partner")

    def contact_output(self, out: Tensor) -> Tensor | None:
        """Planted-foot probabilities `[B, T, 2]` (left, right) in decoder output, or None if the model has none."""
        return None

    def latent_scale(self) -> Tensor | float:
        """Spread of the prior per latent dimension: variations add `sigma` times this."""
        return 1.0

    def variation_noise(self, mu: Tensor, gen: torch.Generator) -> Tensor:
        """Unit noise shaped like the posterior mean `mu`, added (times sigma) by `vary`."""
        return torch.randn(mu.shape, generator=gen)

    def loss(self, world: Tensor, step: int) -> dict[str, Tensor]:
        """Training losses for uncentred windows `[B, T, J, 3]`; key `loss` is optimised."""
        raise NotImplementedError

    def prepare(self, world_windows: np.ndarray) -> None:
        """Data-dependent initialisation from uncentred training windows (no-op unless the model has one)."""

    def fit_prior(self, sequences: list[np.ndarray]) -> None:
        """Fit any post-hoc prior to uncentred training sequences `[T, J, 3]` (no-op unless the model has one)."""

    @property
    def min_frames(self) -> int:
        """The shortest phrase the model encodes or decodes."""
        return 1

    def finish_sample(self, pose: np.ndarray) -> np.ndarray:
        """Last touch on prior samples (centred `[N, T, J, 3]`, numpy); identity unless a model needs one."""
        return pose

    # --- saving and loading --------------------------------------------------------------
    def save_pretrained(self, directory: str | os.PathLike) -> Path:
        """Write config.json, model.safetensors, stats.json and skeleton.json; the folder appears whole."""
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        meta = {"model": self.name, "fps": self.fps, "config": asdict(self.config)}
        (tmp / CONFIG_FILE).write_text(json.dumps(meta, indent=2))
        state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        save_file(state, str(tmp / WEIGHTS_FILE))
        self.stats.save(tmp / STATS_FILE)
        (tmp / SKELETON_FILE).write_text(json.dumps(self.skeleton.to_dict()))
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old")
            os.replace(directory, old)
            os.replace(tmp, directory)
            _rmtree(old)
        else:
            os.replace(tmp, directory)
        return directory

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike) -> MotionModel:
        """Load a model folder written by `save_pretrained` (no pickle involved)."""
        from pasdeux.models import MODELS

        directory = Path(directory)
        meta = read_model_meta(directory)
        model_cls = MODELS.get(meta["model"]) if cls is MotionModel else cls
        if model_cls is None or model_cls.name != meta["model"]:
            raise FormatError(f"{directory}: holds a {meta['model']!r} model, not {cls.name!r}")
        skeleton = Skeleton.from_dict(json.loads((directory / SKELETON_FILE).read_text()))
        stats = NormStats.load(directory / STATS_FILE)
        model = model_cls(make_config(model_cls.config_class, meta["config"]), skeleton, stats, meta["fps"])
        from safetensors.torch import load_file

        try:
            state = load_file(str(directory / WEIGHTS_FILE))
            if state.pop(OLD_FLOOR_KEY, None) is not None:
                warnings.warn(f"{directory} was saved by an older pasdeux whose floor measure means something else; "
                              "its motion is generated without grounding (retrain to ground it)", stacklevel=2)
            state.setdefault(FLOOR_KEY, getattr(model, FLOOR_KEY))  # folders from before grounding: no floor known
            model.load_state_dict(state)
        except (RuntimeError, OSError) as e:
            raise FormatError(f"{directory / WEIGHTS_FILE}: weights do not fit the config ({e})") from None
        model.folder = directory
        return model.eval()


@dataclass
class PartnerCondition:
    """What a partner model reads of its leaders (its `condition`); models add their own features."""

    direction: Tensor  # [B]: 0 where A leads (a2b), 1 where B leads
    pace: Tensor  # [B, steps]: the leader's own speed per latent step (what drives the sampler)
    lead: Tensor | None  # [B, T, J, 3]: the leader windows in the world (None: read from features alone)


@dataclass
class PartnerOutput:
    """A decoded partner: where it is and what it does with its hands and feet."""

    world: Tensor  # [B, T, J, 3]: the partner's world positions beside its leader (before finishing)
    holds: Tensor | None  # [B, T, 2]: whether each partner hand (left, right) holds a leader hand (above 0.5)
    contacts: Tensor | None  # [B, T, 2]: the probability that each partner foot (left, right) is planted


DIRECTIONS = ("a2b", "b2a")  # a2b: dancer A (0) leads and B (1) answers; b2a the reverse


def direction_index(direction: str) -> int:
    """0 for "a2b" (A leads), 1 for "b2a"."""
    if direction not in DIRECTIONS:
        raise ConfigError(f"direction must be one of {', '.join(DIRECTIONS)}; got {direction!r}")
    return DIRECTIONS.index(direction)


class PartnerModel(MotionModel):
    """A model of a second dancer answering a first, for every direction of a couple, with a solo model of
    leaders (`solo`) and a `sampler` that draws partners' departures from the best guess.

    Latents are `[B, Z, steps]` with `factor` frames per step. Placement facts a generated partner is held to:
    `dancer_floor`, `dancer_leg_reach`, `dancer_top_speed`, `dancer_stance` (its `placement`, measured with
    the floor: `models/placement.py`), `distance_range` (the training couples' nearest and farthest pelvis
    distance), `leg_length`.
    Analysis reads the leader as features (`lead_features`) and differentiates `answer` with respect to them.
    """

    dancers = 2
    directions: ClassVar[tuple[str, ...]] = DIRECTIONS
    solo: MotionModel
    sampler: PartnerSampler

    def __init__(self, config: Any, skeleton: Skeleton, stats: NormStats, fps: float = 30.0) -> None:
        super().__init__(config, skeleton, stats, fps)
        self.placement = DancerPlacement(self.dancers)  # each dancer's facts, measured with the floor
        self.register_load_state_dict_pre_hook(_legacy_placement)

    def measure_floor(self, world_windows: np.ndarray) -> FloorModel | None:
        """The couple's floor (as every model keeps it) and each dancer's placement (`placement`), from pair
        windows `[N, 2, T, J, 3]`."""
        floor = super().measure_floor(world_windows)
        pairs = np.asarray(world_windows, np.float32)
        if floor is not None and pairs.ndim == 5:
            self.placement.measure(pairs, self.skeleton, self.fps)
        return floor

    # --- the contract: subclasses implement ---------------------------------------------------
    def condition(self, lead: Tensor, direction: int | Tensor) -> PartnerCondition:
        """What the model reads of uncentred leader windows `[B, T, J, 3]` leading as `direction`."""
        raise NotImplementedError

    def posterior(self, partner: Tensor, cond: PartnerCondition) -> Tensor:
        """The latent `[B, Z, ceil(S / factor)]` (its posterior mean) of real partner windows `[B, S, J, 3]`
        answering the first S frames of the leaders in `cond`."""
        raise NotImplementedError

    def best_guess(self, cond: PartnerCondition) -> Tensor:
        """The partner latent the model expects for these leaders (sigma 0)."""
        raise NotImplementedError

    def decode(self, z: Tensor, cond: PartnerCondition) -> PartnerOutput:
        """Partner latents as partners beside the leaders in `cond`."""
        raise NotImplementedError

    def lead_features(self, lead: Tensor) -> Tensor:
        """Normalised leader features `[B, T, J*3 + E]`: its pose per joint (x, y, z), then E numbers of its own
        travel and turning."""
        raise NotImplementedError

    def answer(self, lead_feats: Tensor, direction: int) -> tuple[Tensor, Tensor]:
        """The best-guess partner for leader features, differentiable in them, in the leader's frame: its pose
        centred on its own pelvis `[B, T, J, 3]` and where its pelvis stands from the leader's `[B, T, 3]`."""
        raise NotImplementedError

    def lead_pose_spread(self) -> Tensor:
        """The spread of each leader pose feature `[J*3]` over the training data (constants have none)."""
        raise NotImplementedError

    def dancer_floor(self, dancer: int) -> FloorModel | None:
        """Where dancer `dancer` of the training couple (0: A, 1: B) stands: its own floor, else the couple's
        (folders saved before each dancer's was kept; None: never measured)."""
        return self.placement.floor(dancer) or self.floor_model

    def dancer_leg_reach(self, dancer: int) -> float:
        """How straight dancer `dancer`'s legs get in the training data (`grounding.leg_reach`; 1: unknown)."""
        return self.placement.leg_reach(dancer)

    def dancer_top_speed(self, dancer: int) -> float:
        """How fast dancer `dancer`'s pelvis travels at most in the training data, in units per second
        (`grounding.top_speed`; inf: unknown)."""
        return self.placement.top_speed(dancer)

    def dancer_stance(self, dancer: int) -> float | None:
        """How high dancer `dancer`'s lowest foot stands above its partner's in the training couple, in units
        (`grounding.stance_gap`; None: unknown, or a couple whose feet keep no one gap, as video without depth:
        partners stand on their own training floor)."""
        return self.placement.stance(dancer)

    def lead_latent(self, n: int, frames: int, gen: torch.Generator, role: int) -> Tensor:
        """Prior latents of `n` leaders of `frames` frames moving as dancer `role` (0: A, 1: B) leads, for `solo`
        to decode (whole duets from nothing); by default the solo model's own prior."""
        return self.solo.prior_latent(n, frames, gen)

    def lead_prior(self, role: int) -> Any:
        """The latent prior `lead_latent` draws leaders of dancer `role` from, where it is one that music can
        continue a piece at a time (`ar_prior.ARPrior`); by default the solo model's own, if it has one."""
        return getattr(self.solo, "prior", None)

    def pose_model(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean `[J*3]` and principal directions scaled by their spread `[J*3, K]` of the training poses, in the
        data's units (what completes leads that lack some joints)."""
        raise NotImplementedError

    # --- shared by every partner model --------------------------------------------------------
    @torch.no_grad()
    def fit_sampler(self, sequences: list[np.ndarray]) -> None:
        """Fit the sampler to how the real partners of whole training duets `[2, T, J, 3]` depart from the best
        guess, in every direction (once, after training; saved with the weights)."""
        deviations, paces, directions, guesses, sources = [], [], [], [], []
        for source, seq in enumerate(sequences):
            pair = torch.as_tensor(np.asarray(seq, np.float32), device=self.device)
            for direction in range(len(self.directions)):
                lead, partner = pair[direction][None], pair[1 - direction][None]
                cond = self.condition(lead, direction)
                guess = self.best_guess(cond)
                deviations.append((self.posterior(partner, cond) - guess)[0].T)  # [steps, Z]
                guesses.append(guess[0].T)
                paces.append(cond.pace[0])
                directions.append(direction)
                sources.append(source)
        self.sampler.fit(deviations, paces, directions, guesses, sources)

    def draw(self, cond: PartnerCondition, sigma: float, gen: torch.Generator,
             history: Tensor | None = None, guess: Tensor | None = None) -> Tensor:
        """Partner latents: the best guess plus `sigma` times a deviation drawn by the sampler; `history`
        `[B, Z, H]` (deviations of given first steps, in units of sigma) makes it continue from them; `guess`,
        the best guess of `cond` where the caller has it already."""
        mu = self.best_guess(cond) if guess is None else guess
        if sigma <= 0:
            return mu
        return mu + sigma * self.sampler.deviation(cond.pace, cond.direction, gen, history=history, guess=mu)


def read_model_meta(directory: Path) -> dict:
    """The parsed config.json of a model folder, with a clear error when it is not one."""
    for f in (CONFIG_FILE, WEIGHTS_FILE, STATS_FILE, SKELETON_FILE):
        if not (directory / f).is_file():
            raise FormatError(f"{directory}: not a pasdeux model folder (missing {f})")
    try:
        meta = json.loads((directory / CONFIG_FILE).read_text())
        meta["model"], meta["config"], meta["fps"] = str(meta["model"]), dict(meta["config"]), float(meta["fps"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise FormatError(f"{directory / CONFIG_FILE}: malformed ({e})") from None
    return meta


def features_of(world: Tensor, root: tuple[int, ...]) -> Tensor:
    """Un-normalised features `[..., T, J*3 + 2]`: pose centred per frame, then root velocity (x, z);
    the root is the mean of the joints `root` (one joint for most skeletons)."""
    root_xz = root_point(world, root)[..., [0, 2]]
    centred = centre_horizontally(world, root_xz)
    vel = root_xz.diff(dim=-2)
    vel = torch.cat([vel[..., :1, :], vel], dim=-2) if vel.shape[-2] else torch.zeros_like(root_xz)
    return torch.cat([centred.flatten(-2), vel], dim=-1)


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
