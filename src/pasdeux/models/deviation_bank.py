"""Real partners' departures from the best guess, found where the model expected the same partner: motion
matching over latent steps, for the partner sampler.

A Gaussian deviation prior (`ar_prior.py`) draws departures in directions no real partner takes. At the
spread real partners have, salsa partners drawn that way moved and accelerated unlike real ones, so the
calibration shrank them (to 0.6 of it, b2a), and a partner shrunk towards its best guess stands with its
feet together, close to its leader: stance 0.16 against a real 0.29 units, `fid_cd` 69 against 3.5 for the
real test partners' own latents decoded (a 497-step model).

The bank keeps what real partners did instead: for each whole training duet, direction and latent step, the
model's best guess there and the leader's pace (the key) and the real partner's posterior departure from the
best guess (the value). A new lead's departure is taken segment by segment (`SEGMENT` latent steps,
half-overlapping, cross-faded) from the bank stretch whose keys are nearest to the new lead's over the
segment (where the model expected the same partner of a leader moving alike): one of the `CHOICES` nearest
(`OPENING_CHOICES` for the first, so that partners drawn for one lead set out differently), picked by the
generator, or the stretch that continues the previous segment's whenever it is among them, so a partner
carries one real phrase on for as long as it fits its lead.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.signal import lfilter
from torch import Tensor, nn

# Latent steps matched at once (32 frames at the duet recipe's 2 frames a step: about a second); consecutive
# segments cross-fade over half of it. Half as long, the hand-overs came twice as often and twice as fast: the
# video couple's b2a partner shook 1.5x the real one over a whole take (1.1x at 16).
SEGMENT = 16
CHOICES = 2  # a segment's departure is one of this many nearest bank stretches (or the one continuing the last)
OPENING_CHOICES = 8  # the first segment's: where partners for one lead set out from, so that draws differ
PACE_WEIGHT = 3.0  # the leader's log pace, against 32 best-guess channels of about unit spread
# A real partner's departure changes faster the faster its leader moves (a power law the sampler fits:
# `deviations.fit_drive`, about 1 on salsa); played for a leader faster or slower than the bank's was, it
# changes by that power of the ratio of their paces. Unpaced, the salsa partners' whole-take
# responsiveness was 0.48 / 0.62 (a2b / b2a, real 0.695): the departures were another moment's, not this
# lead's; paced by a least-squares power (0.65), 0.55 / 0.66; by the reduced major axis, 0.58 / 0.65.
MAX_PACE_RATIO = 4.0
PACE_LEAK = 0.2  # per step: how fast the paced departure comes back to the real one it plays
BUFFERS = ("keys", "values", "direction", "steps_left", "pace_ref", "source", "position")


class DeviationBank(nn.Module):
    """Per latent step of the training duets: the key `[N, Z+1]` (best guess, then the leader's pace; `_key`),
    the real departure from the best guess `values` `[N, Z]`, its `direction` and how many steps of its duet
    are left from it (itself included), and where it comes from (`source` duet, `position` in it)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.register_buffer("keys", torch.zeros(0, channels + 1))
        self.register_buffer("pace_ref", torch.ones(()))
        self.register_buffer("values", torch.zeros(0, channels))
        self.register_buffer("direction", torch.zeros(0, dtype=torch.long))
        self.register_buffer("steps_left", torch.zeros(0, dtype=torch.long))
        self.register_buffer("source", torch.zeros(0, dtype=torch.long))  # which training duet
        self.register_buffer("position", torch.zeros(0, dtype=torch.long))  # its latent step there

    @property
    def fitted(self) -> bool:
        return len(self.keys) > 0

    def _load_from_state_dict(self, state: dict, prefix: str, *args) -> None:
        """The bank's size is the training data's: take the saved one; folders saved before it had no bank."""
        for name in BUFFERS:
            if prefix + name in state:
                setattr(self, name, torch.empty_like(state[prefix + name]))
            else:
                state[prefix + name] = getattr(self, name)
        super()._load_from_state_dict(state, prefix, *args)

    @torch.no_grad()
    def fit(self, guesses: list[Tensor], deviations: list[Tensor], directions: list[int], paces: list[Tensor],
            sources: list[int]) -> None:
        """Keep whole training duets' best guesses and real departures `[steps, Z]`, `directions[i]`, leader's
        pace `[steps]` and duet `sources[i]` each."""
        device = self.keys.device

        def each_step(per_duet: list[int]) -> Tensor:  # one value per duet, repeated over its steps
            return torch.cat([torch.full((len(g),), v, dtype=torch.long) for g, v in zip(guesses, per_duet)]).to(device)

        self.pace_ref = torch.cat(paces).float().median().clamp_min(1e-6).to(device)
        self.keys = torch.cat([self._key(g.T[None], p[None])[0].T for g, p in zip(guesses, paces)]).to(device)
        self.values = torch.cat([d.float() for d in deviations]).to(device)
        self.direction, self.source = each_step(directions), each_step(sources)
        self.position = torch.cat([torch.arange(len(g)) for g in guesses]).to(device)
        self.steps_left = torch.cat([torch.arange(len(g), 0, -1) for g in guesses]).to(device)

    def _key(self, guess: Tensor, pace: Tensor) -> Tensor:
        """Keys `[B, Z+1, S]`: the best guess, and how fast the leader moves (log of its pace over the bank's
        typical pace), weighed so that a partner's departure comes from a moment whose leader moved alike."""
        speed = PACE_WEIGHT * (pace.float().clamp_min(1e-6) / self.pace_ref).log()
        return torch.cat([guess.float(), speed[:, None].to(guess.device)], dim=1)

    @torch.no_grad()
    def draw(self, guess: Tensor, pace: Tensor, direction: Tensor, gen: torch.Generator,
             avoid: Tensor | None = None, power: Tensor | float = 1.0) -> Tensor | None:
        """Departures `[B, Z, S]` for best guesses `guess` `[B, Z, S]` of leaders moving at `pace` `[B, S]` in
        `direction` `[B]`; None when the bank holds no stretch long enough for some direction asked for.
        `avoid` `[B, 3]` (source, first and last latent step) keeps each row from its own training moment
        (and `SEGMENT` steps either side), for drawing training leads as if they were new. `power` (a number,
        or one per row): how a departure's speed follows its leader's pace (`_paced`)."""
        s = guess.shape[-1]
        query = self._key(guess, pace)
        width = min(SEGMENT, s, int(self.steps_left.max()))
        keys, values = (x.T.unfold(1, width, 1).permute(1, 0, 2) for x in (self.keys, self.values))  # [P, Z, w]
        usable = (self.steps_left[:len(keys)] >= width)[None] & (self.direction[:len(keys)][None] == direction[:, None])
        if avoid is not None:
            usable = usable & ~self._near(avoid, len(keys), width)
        if not usable.any(1).all():
            return None
        flat = keys.flatten(1)
        flat_sq = flat.pow(2).sum(1)
        taper = torch.hann_window(width + 2, periodic=False, dtype=guess.dtype, device=guess.device)[1:-1]
        out, weight = torch.zeros_like(guess), torch.zeros(s, dtype=guess.dtype, device=guess.device)
        bank_pace = torch.zeros(guess.shape[0], s, dtype=guess.dtype, device=guess.device)
        chosen, previous = None, 0
        same_lead = torch.unique(query.flatten(1), dim=0, return_inverse=True)[1]  # rows drawn for one lead
        for start in _starts(s, width):
            cost = _squared_distance(query[..., start:start + width].flatten(1), flat, flat_sq)
            cost = cost.masked_fill(~usable, float("inf"))
            chosen = self._choose(cost, chosen, start - previous, gen, same_lead)
            out[..., start:start + width] += values[chosen].to(guess.dtype) * taper
            bank_pace[:, start:start + width] += keys[chosen][:, -1].to(guess.dtype) * taper
            weight[start:start + width] += taper
            previous = start
        ratio = ((query[:, -1] - bank_pace / weight) / PACE_WEIGHT).exp().clamp(1 / MAX_PACE_RATIO, MAX_PACE_RATIO)
        power = torch.as_tensor(power, dtype=ratio.dtype, device=ratio.device).reshape(-1, 1)
        return _paced(out / weight, ratio ** power)

    def _near(self, avoid: Tensor, count: int, width: int) -> Tensor:
        """`[B, P]`: bank stretches that overlap each row's own moment `avoid` `[B, 3]`, `SEGMENT` steps either side."""
        source, position = self.source[:count][None], self.position[:count][None]
        first, last = avoid[:, 1:2] - SEGMENT, avoid[:, 2:3] + SEGMENT
        return (source == avoid[:, :1]) & (position + width > first) & (position <= last)

    def _choose(self, cost: Tensor, chosen: Tensor | None, moved: int, gen: torch.Generator,
                same_lead: Tensor) -> Tensor:
        """Per row, one of the `CHOICES` cheapest bank stretches, or the one continuing `chosen` by `moved` steps
        when it is no costlier than the last of them; the first segment's of `OPENING_CHOICES`, rows drawn for
        the same lead (`same_lead`: one id per lead) taking different ones, so that its partners differ."""
        near, index = cost.topk(min(CHOICES if chosen is not None else OPENING_CHOICES, cost.shape[1]), dim=1,
                                largest=False)
        options = torch.isfinite(near).sum(1).clamp_min(1)  # fewer where the bank has fewer usable stretches
        if chosen is None:
            first = torch.randint(OPENING_CHOICES, (int(same_lead.max()) + 1,), generator=gen).to(index.device)
            rank = (F.one_hot(same_lead).cumsum(0) - 1).gather(1, same_lead[:, None])[:, 0]  # row's place in its lead
            return index.gather(1, ((first[same_lead] + rank) % options)[:, None])[:, 0]
        pick = (torch.rand(len(index), generator=gen).to(index.device) * options).long()
        out = index.gather(1, pick[:, None])[:, 0]
        follow = (chosen + moved).clamp_max(cost.shape[1] - 1)
        keeps = cost.gather(1, follow[:, None])[:, 0] <= near.gather(1, (options - 1)[:, None])[:, 0]
        return torch.where(keeps, follow, out)

    @staticmethod
    def continue_from(history: Tensor, drawn: Tensor) -> Tensor:
        """`drawn` `[B, Z, S]` whose first `H` steps are the given departures `history` `[B, Z, H]`, handing
        over to the drawn ones over the next `SEGMENT // 2` steps."""
        given = history.shape[-1]
        out = drawn.clone()
        out[..., :given] = history
        span = min(SEGMENT // 2, drawn.shape[-1] - given)
        if span > 0:
            ramp = torch.linspace(0, 1, span + 2, dtype=drawn.dtype, device=drawn.device)[1:-1]
            out[..., given:given + span] = history[..., -1:] * (1 - ramp) + drawn[..., given:given + span] * ramp
        return out


def _paced(departure: Tensor, faster: Tensor) -> Tensor:
    """`departure` `[B, Z, S]` changing `faster` `[B, S]` times as fast as it did (how much faster the new
    leader moves than the bank's did there), held to it by `PACE_LEAK` a step so that it does not drift:
    `out[t] = out[t-1] + faster[t] (d[t] - d[t-1]) + PACE_LEAK (d[t-1] - out[t-1])`, one linear filter."""
    d = departure.double().cpu().numpy()
    drive = np.zeros_like(d)
    drive[..., 0] = d[..., 0]
    drive[..., 1:] = faster[:, None, 1:].double().cpu().numpy() * np.diff(d, axis=-1) + PACE_LEAK * d[..., :-1]
    out = lfilter([1.0], [1.0, PACE_LEAK - 1.0], drive, axis=-1)
    return torch.as_tensor(out, dtype=departure.dtype, device=departure.device)


def _squared_distance(query: Tensor, keys: Tensor, keys_sq: Tensor) -> Tensor:
    """Squared distances `[B, P]` from each query row to each key row (`keys_sq`: the keys' squared norms), by
    one matrix product: a segment's search is a few milliseconds however long the lead."""
    return (query.pow(2).sum(1, keepdim=True) + keys_sq[None] - 2 * query @ keys.T).clamp_min(0)


def _starts(steps: int, width: int) -> list[int]:
    """Segment starts over `steps` latent steps, half-overlapping, the last ending at the last step."""
    hop = max(1, width // 2)
    starts = list(range(0, steps - width + 1, hop))
    return starts if starts[-1] == steps - width else [*starts, steps - width]
