"""The Lightning side of training: the window datasets and the `LightningModule` that optimises a model."""

from __future__ import annotations

import time
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from torch.utils.data import Dataset

from pasdeux.data import augment, pair_windows, windows
from pasdeux.errors import ConfigError, ShapeError
from pasdeux.models import MotionModel
from pasdeux.motion import Motion
from pasdeux.validation import model_scores


# --- data -------------------------------------------------------------------------------------
def model_sequences(motions: list[Motion], dancers: int = 1) -> list[np.ndarray]:
    """Uncentred training sequences in the model's layout: every dancer of every motion as its own solo
    `[T, J, 3]` (`dancers` 1), or every two-dancer motion as a duet `[2, T, J, 3]` (`dancers` 2)."""
    if dancers == 2:
        solos = [m.source or "a motion" for m in motions if m.n_dancers != 2]
        if solos:
            raise ShapeError(f"a duet model trains on duets, but {', '.join(solos[:3])} has not 2 dancers; give "
                             "two-dancer files, or pair each file with its partner (--data A.bvh --pair B.bvh)")
        out = [m.positions for m in motions]
    else:
        out = [m.positions[d] for m in motions for d in range(m.n_dancers)]
    for s in out:
        if np.isnan(s).any():
            raise ShapeError("training motion still has missing data; run pasdeux.data.fill_gaps() first")
    return out


def sequence_windows(sequence: np.ndarray, length: int, stride: int) -> np.ndarray:
    """Windows along the time axis of a solo `[T, J, 3]` or a duet `[2, T, J, 3]` sequence (shape kept)."""
    if sequence.ndim == 4:
        return pair_windows(sequence, length, stride)
    return windows(sequence, length, stride)


class WindowDataset(Dataset):
    """Uncentred training windows (solo `[T, J, 3]` or duet `[2, T, J, 3]`) at a stride over sequences;
    centring happens in the model."""

    def __init__(self, sequences: list[np.ndarray], length: int, stride: int) -> None:
        parts = [w for w in (sequence_windows(s, length, stride) for s in sequences) if len(w)]
        if not parts:
            raise ShapeError(f"no training window of {length} frames fits in the data; use a shorter data.window")
        self.windows = np.ascontiguousarray(np.concatenate(parts))

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, i: int) -> np.ndarray:
        return self.windows[i]


class WholeSet(Dataset):
    """One item holding the whole validation set: metrics like fid_k need all windows at once, and
    under DDP each rank then scores the full set (the distributed sampler repeats the single item)."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __len__(self) -> int:
        return 1

    def __getitem__(self, i: int) -> np.ndarray:
        return self.array


# --- the Lightning module ---------------------------------------------------------------------
class MotionTask(pl.LightningModule):
    """Optimises a `MotionModel` and scores it on validation windows after each validation pass."""

    def __init__(self, model: MotionModel, config: dict, train_sequences: list[np.ndarray], seed: int) -> None:
        super().__init__()
        self.model, self.config, self.seed = model, config, seed
        self.train_sequences = train_sequences
        self.history: list[dict[str, Any]] = []
        self.elapsed_offset = 0.0  # wall-clock seconds of earlier sessions of a resumed run
        self.fit_started = time.monotonic()  # set by `train` to its own start: preparing data counts too
        self.windows_seen, self.step_time = 0, 0.0

    def elapsed(self) -> float:
        return self.elapsed_offset + time.monotonic() - self.fit_started

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        d = self.config["data"]
        if d["augment_rotate"] or d["augment_mirror"] > 0:
            # Seeded by (seed, step, rank): the same run sees the same augmentations, also after resuming.
            rng = np.random.default_rng([self.seed, self.global_step, self.global_rank])
            aug = augment(batch.cpu().numpy(), self.model.skeleton, rng, d["augment_rotate"], d["augment_mirror"])
            batch = torch.as_tensor(aug, device=self.device)
        losses = self.model.loss(batch, self.global_step)
        self.log_dict({f"train_{k}": v.detach() for k, v in losses.items()}, prog_bar=False, on_step=True)
        self.log("loss", losses["loss"].detach(), prog_bar=True, logger=False)
        return losses["loss"]

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.step_time += time.perf_counter() - self._t0
        self.windows_seen += len(batch)

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        self.model.fit_prior(self.train_sequences)  # prior samples come from the prior of these weights
        scores = model_scores(self.model, batch.cpu().numpy(), n_prior=self.config["train"]["prior_samples"])
        self.log_dict({f"val_{k}": v for k, v in scores.items() if k != "recon_mse"})
        self.log("val_recon_mse", scores["recon_mse"], prog_bar=True)  # every rank scores the same full set
        if not (self.trainer.sanity_checking and self.history):  # the sanity pass scores step 0 of a fresh run
            self.history.append({"time_s": round(self.elapsed(), 3), "step": self.global_step,
                                 "epoch": self.current_epoch, **{f"val_{k}": v for k, v in scores.items()}})

    def configure_optimizers(self) -> Any:
        o = self.config["optim"]
        opt = torch.optim.AdamW(self.model.parameters(), lr=o["lr"], weight_decay=o["weight_decay"])
        if o["scheduler"] == "none":
            return opt
        if o["scheduler"] == "multistep":
            sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=list(o["milestones"]), gamma=o["gamma"])
        elif o["scheduler"] == "exponential":
            sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=o["gamma"])
        else:
            raise ConfigError(f"optim.scheduler must be none, multistep or exponential; got {o['scheduler']!r}")
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["pasdeux"] = {"history": self.history, "elapsed_s": self.elapsed(),
                                 "windows_seen": self.windows_seen, "step_time": self.step_time}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        state = checkpoint.get("pasdeux", {})
        self.history = list(state.get("history", []))
        self.elapsed_offset = float(state.get("elapsed_s", 0.0))
        self.windows_seen, self.step_time = int(state.get("windows_seen", 0)), float(state.get("step_time", 0.0))
