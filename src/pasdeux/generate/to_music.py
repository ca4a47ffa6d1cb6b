"""Generating to music: fresh solos, long solos, fresh duets and partners danced to a span of a song.

Each generates as its mode does without music, `music_sync.motion_frames_needed` long (enough to play the span
at the fastest local tempo the warp allows), and is then played to the music (`music_sync`). Fresh results are
drawn `DRAWS` times (`draw_seed`: the seed, then seeds spread from it) and, for each result (a solo, or a duet's
lead with its partner), the draw whose stops land on the beats most often after the warp is kept (by the share
of its stops on a beat, which a draw does not raise by stopping more; then by the beat alignment score):
sampling guided by the beat grid, every draw the model's own. With `pieces` (fresh solos up to `PIECES_MAX_S` by
default, where the model's prior continues a latent sequence: the `default` solo model; asked for, a duet
model's leaders) the choice is made a piece at a time instead (`guided_latent`): `CANDIDATES` draws of each
`PIECE_S` seconds of the prior's latents, the one whose dance so far lands best on the beats kept and continued
from; a duet's partner is then chosen a piece at a time for that lead (`guided_partners`: the partner sampler's
own draws, each continuing the departure kept so far, scored on lead and partner warped by one map planned from
both dancers' stops). The
same seed and music make the same choice, so a result is made again from its provenance. A partner answers a
given lead played to the music first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from pasdeux.errors import ConfigError
from pasdeux.generate.music_sync import BeatGrid, BeatWarp, fit_to_music, motion_frames_needed, plan, stop_anchors
from pasdeux.generate.provenance import pick_seed
from pasdeux.motion import Motion

# Draws per fresh result; the one that fits the music best is kept. More draws were measured and not taken
# (music-v1's 8 songs x 3 seeds, issue 21's solo and duet models, draws chosen as here): BAS over the same dance
# without music, solo 1.43 / 1.44 / 1.45 / 1.48 / 1.47 / 1.51 and duet 1.28 / 1.27 / 1.32 / 1.32 / 1.35 / 1.31
# for 3 / 6 / 10 / 16 / 24 / 32 draws, kinematic beats within 3 % of the plain dance's throughout. Keeping only
# draws that stop no more than 1.05 times the median draw's own rate and then ranking by BAS, or by stops on
# beats times BAS, gave the same plateau (duet 1.34 at 32); ranking by BAS alone reaches 1.5 only by picking
# draws that stop 12-28 % more. The duet stays near 1.3 whatever the number, so more draws buy no target and
# cost time (20 s duet: 0.9 s for 3 draws, 4.5 s for 16, 9 s for 32 on two shared CPU cores)
DRAWS = 3
# Choosing a piece at a time (`pieces`), measured as above (BAS over the same dance without music; kinematic beats
# over the plain dance's; seconds per 20 s dance on two shared, busy cores, whole draws' beside them in the same
# run): solo, whole draws (3) 1.43 / 1.025 / 0.75 s; pieces of 3 s x 4 candidates 1.50 / 1.02 / 3.7 s; 4 s x 3
# 1.47 / 1.01; 4 s x 6 1.50 / 1.02; 2 s x 3 1.52 / 1.045; 2 s x 4 1.55 / 1.047 (shorter pieces stop more, near
# the 5 % rule); 4 s x 3 scored without the beat pulse 1.45. Duet, the lead by pieces and its partner the best of
# 3: 1.27 / 1.03 / 2.1 s -> 3 s x 4 1.39 / 1.035 / 5.4 s, but jitter 1.37x real (1.30 with whole draws, target
# up to 1.33); 4 s x 3 1.30 (best of 8 partners: 1.36), where (4 songs) the lead alone reached 1.51x, its
# partner, drawn whole for the whole lead and warped by the lead's map, 1.19x. Both plateau under what the stops
# allow: at the dance's own number of stops the hit ceiling is about 0.45, and the solo's BAS (0.40) is 90 % of
# it; whole draws at the same time (about 15) gave 1.48. So fresh solos are chosen a piece at a time by
# default. Duets, measured again once partners were grounded as at commit a87884c (same models, songs and seeds;
# BAS ratio / kinematic beats ratio / jitter over real, target 0.75-1.33, lead and partner / seconds per 20 s duet
# on one busy core): whole draws 1.24 / 0.99 / 1.27 (0.97, 1.57) / 1.1-1.7 s; the lead by pieces and its partner
# the best of 3 whole draws 1.30 / 0.985 / 1.35 (1.01, 1.69) / 6.3 s; lead and partner by pieces (3 s x 4)
# 1.35 / 1.01 / 1.31 (1.01, 1.60) / 6.9 s, the partner's BAS 0.252 -> 0.293 -> 0.322 (the lead's 0.43). The
# plain duet's partner shakes 1.58x real (its lead 0.98x) and joins add none (6 duets: the lead's jitter within
# 0.2 s of a join 0.96x real, elsewhere 0.98x; 9 duets, a partner by pieces 1.45x near its joins, 1.46x elsewhere,
# with bursts of its own as the drawn partner has): the best of 3 whole partners for one lead was chosen among partners
# alone, and picked shakier ones (1.58 -> 1.69); chosen a piece at a time, among continuations of one departure,
# 1.60. The more partners chosen among, the shakier the one kept: 6 candidates a piece 1.35 / 1.00 / 1.35
# (partner 1.68, its BAS 0.315). So a partner is chosen among the calmer half of each piece's 4 (`_calm`): 1.34 /
# 1.01 / 1.21 (partner 1.41, calmer than drawn; its BAS 0.309) / 8 s on busy cores, feet skating 0.102 (0.118
# without the guard, whole draws 0.106, the plain duet 0.161), floating 0.010; the calmer half of 6 or 8
# candidates: 1.34 / 1.02 / 1.21 and 1.36 / 1.03 / 1.20, a plateau, so 4 stay.
# Under 1.5x either way (fast songs cap it: at 171 BPM the lead hits 0.35 of the beats against a ceiling of
# 0.37 at its own number of stops), so duets are chosen among whole draws by default.
# Why duets stay near 1.35x where solos reach 1.52x (issue 21; same models, songs and seeds, each row run on one
# snapshot): a duet's BAS is the mean of its two dancers' own, and each dancer's stops are found alone; the map was
# planned from the lead's stops only, so the partner's were placed only where they fell near the lead's (drawn as
# without music and warped: lead 0.305 -> 0.413, partner 0.252 -> 0.270; 21 anchors for the lead's 29 stops in
# 23 s, a solo 18 of 25). Planned from both dancers' own stops (`music_sync.pooled_stops`: 26 anchors of ~52
# stops) the partner's are placed too (0.311) and the lead gives some up (0.389). By pieces, partners scored on
# each candidate duet's own pooled map: lead 0.439 -> 0.421, partner 0.309 -> 0.334, the pair 1.343x -> 1.354x
# (paired +0.003 +- 0.006 over 24 duets: the same), kinematic beats 1.008 -> 1.013, jitter 1.21 -> 1.23, 6.7 ->
# 8.4 s per 20 s duet; 8 partner candidates a piece 1.347x in 13 s; partners ranked by the pair's BAS 1.404x but
# at 1.06x the plain duet's stops (bought), and among candidates stopping no more than the median 1.316x; whole
# draws ranked on pooled maps 1.255x (lead-only 1.236x) but their partners shook (jitter 1.34 of real). Even each
# dancer warped on its own map (not one shared warp: the partner would lose its timing to the lead) reaches only
# 1.454x. The cap is the hit ceiling: at the dance's own stops a duet's dancers can hit 0.458 of the beats on
# average, and 1.5x its plain BAS (0.279) needs 0.418, 91 % of that ceiling, where a solo needs 87 % (0.396 of
# 0.454; it reaches 88 %) and a duet by pieces reaches 82 %. So by pieces the map is planned from both dancers'
# stops (both dance on the music, at the same pair score), and whole draws keep the lead's map
PIECE_S = 3.0
CANDIDATES = 4
# Each piece is scored on the whole dance so far, so the cost grows with the square of the length (a long
# solo, one thread: 20 s 2.9 s against 0.8 s for whole draws, 60 s 32 s against 4.3 s, 120 s 233 s against
# 12 s): by default longer spans are chosen among whole draws
PIECES_MAX_S = 30.0


def music_span(path, start: float = 0.0, seconds: float | None = None) -> tuple[BeatGrid, dict]:
    """The beat grid of a music file's span and what provenance keeps of it (`music`: the file, `music_start`,
    `music_seconds`: the keys of the modes' settings, so a result is made again from its provenance)."""
    where = Path(path).resolve()
    music = _analysed(str(where), where.stat().st_mtime if where.is_file() else 0.0, float(start),
                      None if seconds is None else float(seconds))
    return BeatGrid.of(music), music.provenance()


@lru_cache(maxsize=2)
def _analysed(path: str, mtime: float, start: float, seconds: float | None):
    """A song's analysed span, kept for the next call (a partner's lead and its ghost are warped by one song)."""
    import pasdeux

    return pasdeux.load_music(path, start, seconds)


def generated_seconds(grid: BeatGrid, fps: float) -> float:
    """Seconds of motion to generate for a music span."""
    return motion_frames_needed(grid.seconds, fps) / fps


def _alignment(motion: Motion, grid: BeatGrid, group: tuple[int, ...], lead: tuple[int, ...],
               anchors: np.ndarray | None = None, pooled: bool = False) -> tuple[tuple[float, float], BeatWarp]:
    """How well a group of dancers lands on the beats once warped to the music: the share of its stops on a beat
    (`metrics.music.stops_on_beats`, -1 for a group without stops), then Bailando's beat alignment (means over the
    group); and the warp. The share comes first because it does not grow with the number of stops: choosing draws
    by the alignment score picked those that stop most (8 songs x 3 seeds, solo: 1.05 -> 1.24 kinematic beats per
    second, the model's own mean over draws 1.14), buying alignment with extra beats; chosen a piece at a time,
    1.23 times the plain dance's stops (BAS 1.72x), and keeping pieces whose stops stay within the model's own
    rate (or 5 % or 10 % over it) ranked by BAS made fewer stops and less alignment (1.37-1.46x)."""
    from pasdeux.metrics.music import music_alignment

    warp = plan(motion, grid, lead, group=group, anchors=anchors, pooled=pooled)  # anchors: where already found
    out = music_alignment(warp.apply(motion.positions[list(group)]), motion.skeleton, grid.beats, motion.fps)
    share = out["stops_on_beats"]
    return ((share if np.isfinite(share) else -1.0), out["bas"]), warp


def draw_seed(seed: int, k: int) -> int:
    """The seed of draw `k` of a result made with `seed`: draw 0 is the seed itself (what the mode makes without
    music); the others are spread out, so results of neighbouring seeds share no draw."""
    return seed if k == 0 else (seed * 1_000_003 + k * 7_919) % 2**31


def best_draws(make: Callable[[int], Motion], seed: int, grid: BeatGrid, groups: list[tuple[int, ...]],
               lead: dict[int, tuple[int, ...]], draws: int | None = None) -> tuple[Motion, list[int]]:
    """`draws` (default `DRAWS`) motions made by `make(draw_seed(seed, k))` and, per group of dancers, the one
    that aligns best with the beats once warped: one motion of the chosen groups (the first draw's provenance,
    which records `seed`), and which draw each group is."""
    made = [make(draw_seed(seed, k)) for k in range(draws or DRAWS)]
    positions, chosen = made[0].positions.copy(), []
    for group in groups:
        scores = [_alignment(m, grid, group, lead.get(group[0], group))[0] for m in made]
        chosen.append(max(range(len(made)), key=scores.__getitem__))  # the first of equals: draw 0 on a tie
        positions[list(group)] = made[chosen[-1]].positions[list(group)]
    return made[0].with_positions(positions), chosen


def guidable(model) -> bool:
    """Whether the model's prior is drawn a piece at a time: an autoregressive latent prior (`default`, and a
    duet model's leaders) that continues a given latent sequence."""
    return callable(getattr(getattr(model, "prior", None), "continue_from", None)) and model.factor is not None


def piece_seed(seed: int, piece: int) -> int:
    """The seed of the continuations drawn for piece `piece` (>= 1) of a result made with `seed`."""
    return (seed * 1_000_003 + piece * 104_729 + 1) % 2**31


def _continuations(prior, z: torch.Tensor, steps: int, k: int, gen: torch.Generator) -> torch.Tensor:
    """`k` continuations `[k, n, Z, steps]` by the model's prior of latent sequences `z` `[n, Z, t]`."""
    mean = prior.stationary_mean()[None, :, None]
    history = (z - mean).repeat(k, 1, 1).transpose(1, 2)
    out = prior.continue_from(history, steps, gen) + mean
    return out.reshape(k, len(z), *out.shape[1:])


def _reached(motion: Motion, grid: BeatGrid, start: float, final: bool) -> BeatGrid:
    """The music a motion so far reaches: its end less where the warp so far starts in the motion (all of the span
    once `final`)."""
    return grid if final else grid.until(max(0.0, (motion.n_frames - 1) / motion.fps - start))


def _so_far(motion: Motion, grid: BeatGrid, start: float, final: bool) -> tuple[tuple[float, float], float]:
    """A dancer's motion so far played to the music it reaches (`_reached`): `_alignment` over that part, and where
    its warp starts (motion s)."""
    score, warp = _alignment(motion, _reached(motion, grid, start, final), (0,), (0,))
    return score, float(warp.source_times[0])


def _piece_steps(model, piece_s: float | None) -> int:
    """Latent steps of a piece of `piece_s` seconds (default `PIECE_S`)."""
    return max(1, int(round((piece_s or PIECE_S) * model.fps / model.factor)))


def _choose(model, z: torch.Tensor, drawn: torch.Tensor, grid: BeatGrid, starts: np.ndarray, frames: int,
            final: bool) -> tuple[list[int], np.ndarray]:
    """Per dancer, which of the drawn pieces `[k, n, Z, steps]` after latents `z` `[n, Z, t]` makes the dance so
    far land best on the beats (the first of equals), and where the kept dance's warp starts."""
    from pasdeux.generate.pipeline import sample_with_root

    k, n = drawn.shape[:2]
    seqs = torch.cat([z[None].expand(k, *z.shape), drawn], -1).reshape(k * n, z.shape[1], -1)
    length = min(frames, seqs.shape[-1] * model.factor)
    centred = sample_with_root(model, k * n, length, latent=seqs)[0].reshape(k, n, length, -1, 3)
    picks, starts = [], starts.copy()
    for d in range(n):
        scored = [_so_far(Motion(centred[c, d], model.skeleton, model.fps), grid, starts[d], final) for c in range(k)]
        picks.append(max(range(k), key=lambda c: scored[c][0]))
        starts[d] = scored[picks[-1]][1]
    return picks, starts


def guided_latent(model, n: int, frames: int, seed: int, grid: BeatGrid, candidates: int | None = None,
                  piece_s: float | None = None, prior=None) -> tuple[torch.Tensor, list[list[int]]]:
    """Prior latents `[n, Z, steps]` for `n` dancers of `frames` frames, chosen a piece (`piece_s` seconds,
    default `PIECE_S`) at a time: of `candidates` (default `CANDIDATES`) draws of a piece (the first: the
    first piece of the whole draws `draw_seed(seed, k)`, draw 0 being the dance made without music; then the
    prior's own continuations of what was kept), the one whose dance so far lands on the beats best once warped
    (`_alignment`) is kept and continued from. Returns the latents and, per piece, the candidate kept for each
    dancer. Stops near a piece's end move a little once the next piece is decoded after it; the last piece is
    chosen on the whole span, as the dance will be warped. `prior`: the latent prior drawn from (default the
    model's; a duet's leaders: the leading dancer's, `PartnerModel.lead_prior`)."""
    from pasdeux.generate.pipeline import inference
    from pasdeux.models.base import generator

    if not guidable(model):
        raise ConfigError(f"model {model.name!r} has no prior that continues a latent sequence, so it cannot be "
                          "guided a piece at a time; leave pieces off (the best of whole draws is kept)")
    k, steps = candidates or CANDIDATES, model.latent_steps(frames)
    piece, prior = _piece_steps(model, piece_s), model.prior if prior is None else prior
    with inference(model):
        firsts = torch.stack([prior.sample(n, steps, generator(draw_seed(seed, c))) for c in range(k)])
        z, starts, chosen = firsts[0][..., :0], np.zeros(n), []
        for at in range(0, steps, piece):
            size = min(piece, steps - at)
            drawn = firsts[..., :size] if not at else _continuations(
                prior, z, size, k, generator(piece_seed(seed, at // piece)))
            picks, starts = _choose(model, z, drawn, grid, starts, frames, at + size == steps)
            z = torch.cat([z, drawn[picks, torch.arange(n)]], -1)
            chosen.append(picks)
    return z, chosen


def partner_seed(seed: int, piece: int, candidate: int = 0) -> int:
    """The seed of a duet's partner candidates for piece `piece` of a duet made with `seed`: piece 0's candidate c
    is the partner of whole draw c (`draw_seed(seed, c) + 1`, as `duet.duet_prior` seeds its partner: candidate 0
    is the partner made without music), a later piece's candidates are drawn together."""
    return draw_seed(seed, candidate) + 1 if piece == 0 else piece_seed(seed, piece) + 1


def _partner_departures(model, cond, guess: torch.Tensor, kept: torch.Tensor | None, seed: int, piece: int,
                        k: int) -> torch.Tensor:
    """Raw departures from the best guess `[n * k, Z, steps]` (lead i's k candidates together) drawn by the model's
    sampler: for the first piece each candidate's own whole draw, then continuations of the departures `kept`
    `[n * k, Z, H]` (the sampler carries its own draw on: `PartnerSampler.raw` with `history`)."""
    from pasdeux.models.base import generator

    sampler = model.sampler
    if kept is not None:
        return sampler.raw(cond.pace, cond.direction, generator(partner_seed(seed, piece)), kept, guess)
    drawn = [sampler.raw(cond.pace[c::k], cond.direction[c::k], generator(partner_seed(seed, 0, c)), None,
                         guess[c::k]) for c in range(k)]
    return torch.stack(drawn, 1).flatten(0, 1)


def guided_partners(model, leads: np.ndarray, direction: str, seed: int, grid: BeatGrid,
                    candidates: int | None = None, piece_s: float | None = None,
                    pooled: bool = False) -> tuple[np.ndarray, list[list[int]]]:
    """Partners `[n, T, J, 3]` for placed leads `[n, T, J, 3]` (as `duet.duet_prior` places them), chosen a piece
    at a time as `guided_latent` chooses leads: of `candidates` draws of each piece of the partner's departure from
    the model's best guess (the first piece's: the partners of the whole draws `draw_seed(seed, c)`, candidate 0
    the partner made without music; then the sampler's own continuations of the departure kept so far), the one
    whose duet so far (lead and partner, warped by one map: planned from the lead's stops, or with `pooled` from
    both dancers' own, `music_sync.pooled_stops`) lands best on the beats, among the calmer half of them
    (`_calm`), is kept and continued from. Returns the partners and, per
    piece, the candidate kept for each duet."""
    from pasdeux.generate.partners import finished_partners
    from pasdeux.generate.pipeline import inference
    from pasdeux.models.base import direction_index

    k, n, role = candidates or CANDIDATES, len(leads), direction_index(direction)
    with inference(model):
        lead_t = torch.as_tensor(np.repeat(leads, k, 0), device=model.device)
        cond = model.condition(lead_t, role)
        guess = model.best_guess(cond)
        steps, piece = guess.shape[-1], _piece_steps(model, piece_s)
        kept, starts, chosen = None, np.zeros(n), []
        for p, at in enumerate(range(0, steps, piece)):
            end = min(at + piece, steps)
            raw = _partner_departures(model, cond, guess, kept, seed, p, k)
            out = model.decode(guess + model.sampler.finish(raw, cond.direction), cond)
            world = finished_partners(model, out, lead_t, role).reshape(n, k, *leads.shape[1:])
            picks, starts = _choose_partners(model, leads, world, grid, starts, end * model.factor, end == steps,
                                             pooled)
            kept = raw[torch.as_tensor(np.arange(n) * k + np.array(picks)), :, :end].repeat_interleave(k, 0)
            chosen.append(picks)
    return world[np.arange(n), picks], chosen


def _calm(model, partners: np.ndarray) -> list[int]:
    """The candidate partners `[k, T, J, 3]` that shake no more than the median candidate (mean acceleration of the
    pose, as jitter is measured). Chosen by the beats alone, partners were chosen shakier: the duet's stops come
    from the partner's small, sharp moves too (music-v1, `PIECE_S`'s note: partner jitter 1.58x real as drawn,
    1.60x chosen among 4 a piece, 1.68x among 6; among the calmer half of 4, 1.41x, for 1.34x the plain duet's
    beat alignment against 1.35x)."""
    from pasdeux.data import center
    from pasdeux.metrics.basic import mean_acceleration

    shake = np.array([mean_acceleration(center(p, model.skeleton, "frame")) for p in partners])
    return [c for c in range(len(partners)) if shake[c] <= np.median(shake)]


def _choose_partners(model, leads: np.ndarray, world: np.ndarray, grid: BeatGrid, starts: np.ndarray, frames: int,
                     final: bool, pooled: bool = False) -> tuple[list[int], np.ndarray]:
    """Per duet, which candidate partner `world[i, c]` makes the duet's first `frames` frames land best on the beats
    (the first of equals) among those no shakier than the median candidate so far (`_calm`), and where the kept
    duet's warp starts."""
    picks, starts = [], starts.copy()
    for i, lead in enumerate(leads):
        duets = [Motion(np.stack([lead, partner])[:, :frames], model.skeleton, model.fps) for partner in world[i]]
        part = _reached(duets[0], grid, starts[i], final)
        # the lead's stops: one map's anchors for every candidate; pooled: each duet's own, from both dancers' stops
        anchors = None if pooled else stop_anchors(duets[0], part, (0,))
        scored = {c: _alignment(duets[c], part, (0, 1), (0, 1) if pooled else (0,), anchors, pooled)
                  for c in _calm(model, world[i, :, :frames])}
        picks.append(max(scored, key=lambda c: scored[c][0]))
        starts[i] = float(scored[picks[-1]][1].source_times[0])
    return picks, starts


def _fit(motion: Motion, chosen: list[int] | None, grid: BeatGrid, groups, lead, floors, music: dict | None,
         pieces: list | None = None, partner_pieces: list | None = None, reaches: list | None = None,
         pooled: bool = False) -> Motion:
    out = fit_to_music(motion, grid, groups, lead, floors, music=music, reaches=reaches, pooled=pooled)[0]
    fit = dict(out.provenance["music_fit"])
    if chosen is not None:  # chosen among whole draws
        fit.update(draws=DRAWS, chosen_draws=chosen)  # draw k: draw_seed(seed, k)
    if pieces is not None:  # piece p's candidate c: draw c's first piece (p = 0), else piece_seed(seed, p)'s c-th
        fit.update(piece_s=PIECE_S, candidates=CANDIDATES, chosen_pieces=pieces)
    if partner_pieces is not None:  # a duet's partners: piece p's candidate c drawn with partner_seed(seed, p, c)
        fit.update(chosen_partner_pieces=partner_pieces)
    return out.with_positions(out.positions, provenance={**out.provenance, "music_fit": fit})


def prior_to_music(model, grid: BeatGrid, n: int = 1, seed: int | None = None, music: dict | None = None,
                   long: bool = False, pieces: bool | None = None) -> Motion:
    """`n` fresh solos from the prior (or one long-form solo) danced to a music span, each warped on its own;
    `pieces`: chosen a piece at a time (`guided_latent`) rather than among whole draws (None, the default: a
    piece at a time where the model's prior allows it and the span is at most `PIECES_MAX_S`: 1.50x the plain
    dance's beat alignment against 1.43x)."""
    from pasdeux.generate.solo import long_form, prior
    from pasdeux.generate.timing import frames_at

    seconds, seed = generated_seconds(grid, model.fps), pick_seed(seed)
    pieces = guidable(model) and grid.seconds <= PIECES_MAX_S if pieces is None else pieces
    groups = [(d,) for d in range(1 if long else n)]
    floors, reaches = [model.floor_model] * len(groups), [model.max_extension] * len(groups)
    if pieces:
        z, kept = guided_latent(model, len(groups), frames_at(model, seconds), seed, grid)
        motion = long_form(model, seconds, seed, latent=z) if long else prior(model, n, seconds, seed, latent=z)
        return _fit(motion, None, grid, groups, None, floors, music, kept, reaches=reaches)
    motion, chosen = best_draws(lambda s: long_form(model, seconds, s) if long else prior(model, n, seconds, s),
                                seed, grid, groups, {})
    return _fit(motion, chosen, grid, groups, None, floors, music, reaches=reaches)


def duet_prior_to_music(model, grid: BeatGrid, n: int = 1, seed: int | None = None, music: dict | None = None,
                        direction: str | None = None, pieces: bool = False) -> Motion:
    """`n` fresh duets danced to a music span: each lead and its partner warped by one map (the partner answers
    the lead, so it keeps answering in time), planned from the lead's stops. `pieces`: each lead chosen a piece at
    a time by its own stops (`guided_latent`), then its partner a piece at a time by the duet's
    (`guided_partners`), the map planned from both dancers' own stops (`music_sync.pooled_stops`; `PIECES_MAX_S`'s
    note); else the best of `DRAWS` whole draws."""
    from pasdeux.generate.duet import duet_prior

    direction, seed = direction or "a2b", pick_seed(seed)
    seconds = generated_seconds(grid, model.fps)
    groups = [(2 * k, 2 * k + 1) for k in range(n)]
    lead = {2 * k: (2 * k, 2 * k + 1) if pieces else (2 * k,) for k in range(n)}  # the map's stops (pieces: both)
    lead_role = 0 if direction == "a2b" else 1  # each duet is (lead, partner); the lead is dancer A in a2b
    floors = [model.dancer_floor(lead_role if d % 2 == 0 else 1 - lead_role) for d in range(2 * n)]
    # every dancer keeps the leg reach it was generated with (`pipeline.ground`, `partners.ground_partners`)
    reaches = [model.solo.max_extension if d % 2 == 0 else model.dancer_leg_reach(1 - lead_role) for d in range(2 * n)]
    if pieces:
        z, kept = guided_latent(model.solo, n, max(model.min_frames, int(round(seconds * model.fps))), seed, grid,
                                prior=model.lead_prior(lead_role))
        partner_kept: list[list[int]] = []

        def partners(leads: np.ndarray) -> np.ndarray:
            made, chosen = guided_partners(model, leads, direction, seed, grid, pooled=True)
            partner_kept.extend(chosen)
            return made

        motion = duet_prior(model, n, seconds, seed, direction=direction, latent=z, partners=partners)
        return _fit(motion, None, grid, groups, lead, floors, music, kept, partner_kept, reaches, pooled=True)
    motion, chosen = best_draws(lambda s: duet_prior(model, n, seconds, s, direction=direction), seed, grid,
                                groups, lead)
    return _fit(motion, chosen, grid, groups, lead, floors, music, reaches=reaches)


def lead_to_music(lead: Motion, grid: BeatGrid, lead_dancer: int = 0, music: dict | None = None) -> Motion:
    """A given lead (all dancers of its file, so a real partner stays beside it) warped to a music span by the
    map planned from the lead dancer's stops; a partner generated for it then answers it in time."""
    groups = [tuple(range(lead.n_dancers))]
    return fit_to_music(lead, grid, groups, {0: (lead_dancer,)}, music=music)[0]


def partner_to_music(model, lead: Motion, grid: BeatGrid, lead_dancer: int = 0, music: dict | None = None,
                     **partner_options) -> tuple[Motion, Motion]:
    """The lead warped to a music span (`lead_to_music`) and `partner` answering the warped lead; returns the
    result and the warped lead file (its real partner, if any, is the ghost)."""
    from pasdeux.generate.partners import partner

    warped = lead_to_music(lead, grid, lead_dancer, music)
    result = partner(model, warped, lead_dancer=lead_dancer, **partner_options)
    music_keys = {k: v for k, v in warped.provenance.items() if k.startswith("music")}
    return result.with_positions(result.positions, provenance={**result.provenance, **music_keys}), warped


def run_mode(mode: str, model, phrases: list, dancers: list[int], s: dict) -> Motion:
    """A generation mode of `generate.modes` (prior, long, partner, duet_prior) danced to `s["music"]` from
    `s["music_start"]` for `s["music_seconds"]` (default: the mode's `seconds`, or a partner's whole lead)."""
    seconds = s.get("music_seconds")
    if seconds is None:
        seconds = phrases[0].duration if mode == "partner" else s.get("seconds")
    grid, music = music_span(s["music"], s.get("music_start") or 0.0, seconds)
    if mode in ("prior", "long"):
        return prior_to_music(model, grid, s.get("n", 1), s.get("seed"), music, long=mode == "long")
    if mode == "duet_prior":
        return duet_prior_to_music(model, grid, s["n"], s.get("seed"), music, s.get("direction"))
    if mode == "partner":
        return partner_to_music(model, phrases[0], grid, dancers[0], music, sigma=s["sigma"], n=s["n"],
                                seed=s.get("seed"), direction=s.get("direction"))[0]
    raise ConfigError(f"mode {mode!r} cannot be danced to music; modes with music: prior, long, partner, duet_prior")
