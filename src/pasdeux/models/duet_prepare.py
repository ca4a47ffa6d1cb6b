"""Before training, a duet model's data-dependent start is set from its training pair windows (`prepare`,
the model's `prepare`): the normalisation of the leader-frame features, the distance range, the whitened PCA
start of the partner's linear latent, the linear warp from leader to partner (`fit_warp`: ridge regression,
its ridge chosen on held-out blocks of windows) and the pose model that completes leads."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from pasdeux.body import leg_length
from pasdeux.errors import ShapeError
from pasdeux.models.base import DIRECTIONS, features_of
from pasdeux.models.layers import ridge_by_blocks, whitened_pca

if TYPE_CHECKING:
    from pasdeux.models.duet import DuetVAE

PREPARE_WINDOWS = 1024  # pair windows (spread over the training data) the data-dependent start is fitted on
WARP_ROWS = 20_000  # latent steps (per direction) the linear warp is fitted on, spread over the windows


@torch.no_grad()
def prepare(model: DuetVAE, world_windows: np.ndarray) -> None:
    """Normalisation of the leader-frame features, the PCA start of both linear paths, the distance range
    and the pose model that completes leads, from pair windows `[N, 2, T, J, 3]` (uncentred)."""
    pairs = np.asarray(world_windows, np.float32)
    if pairs.ndim != 5 or pairs.shape[1] != 2:
        raise ShapeError(f"the duet model prepares on pair windows [N, 2, T, J, 3]; got {pairs.shape}")
    # Statistics, PCAs and the warp need a spread of windows, not every overlapping one.
    pairs = torch.as_tensor(pairs[np.linspace(0, len(pairs) - 1, min(PREPARE_WINDOWS, len(pairs))).round()
                                  .astype(int)])
    model.solo.prepare(torch.cat([pairs[:, 0], pairs[:, 1]]).numpy())
    model.leg_length.fill_(leg_length(pairs.numpy(), model.skeleton))
    lead, partner = torch.cat([pairs[:, 0], pairs[:, 1]]), torch.cat([pairs[:, 1], pairs[:, 0]])
    for name in ("canon", "extra", "offset"):
        getattr(model, f"{name}_mean").zero_()
        getattr(model, f"{name}_std").fill_(1.0)
    lf, pf = model.lead_features(lead), model.partner_features(partner, lead)  # raw: unit statistics so far
    p = model.n_pose
    poses = torch.cat([lf[..., :p], pf[..., :p]]).reshape(-1, p)
    model.canon_mean.copy_(poses.mean(0))
    model.canon_std.copy_(poses.std(0).clamp_min(1e-3))
    for name, x in (("extra", lf[..., p:]), ("offset", pf[..., p:])):
        getattr(model, f"{name}_mean").copy_(x.reshape(-1, x.shape[-1]).mean(0))
        getattr(model, f"{name}_std").copy_(x.reshape(-1, x.shape[-1]).std(0).clamp_min(1e-3))
    dist = pf[..., p:].norm(dim=-1)
    model.distance_range.copy_(torch.stack([dist.min(), dist.max()]))
    pf = model.partner_features(partner, lead)
    w_in, b_in, w_out, b_out = whitened_pca(pf.reshape(-1, pf.shape[-1]), model.config.partner_channels)
    for layer, w, b in ((model.lin_in, w_in, b_in), (model.lin_out, w_out, b_out)):
        layer.weight.copy_(w[..., None])
        layer.bias.copy_(b)
    fit_warp(model, model.lead_features(lead), pf)
    world = features_of(lead, model._root)[..., :p].reshape(-1, p).double()
    mean = world.mean(0)
    _, sv, vt = torch.linalg.svd(world - mean, full_matrices=False)
    k = model.pose_basis.shape[1]
    model.pose_mean.copy_(mean.float())
    model.pose_basis.copy_((vt[:k].T * sv[:k] / np.sqrt(len(world))).float())


def fit_warp(model: DuetVAE, lead_feats: Tensor, partner_feats: Tensor) -> None:
    """Set each direction's linear warp by ridge regression of the partner's linear latent on the leader's
    features around each latent step (both normalised; `lead_feats` holds the A-leads windows, then the
    B-leads ones, as `prepare` stacks them). The ridge is chosen by cross-validation over contiguous
    blocks of windows, so neighbouring (overlapping) windows never judge each other."""
    x = F.avg_pool1d(model._pad(lead_feats.transpose(1, 2)), model.factor)  # [B, C, L]
    y = F.avg_pool1d(model.lin_in(model._pad(partner_feats.transpose(1, 2))), model.factor)  # [B, Z, L]
    k, zp = model.config.warp_kernel, model.config.partner_channels
    left = (k - 1) // 2
    padded = F.pad(x, (left, k - 1 - left), mode="replicate")
    design = padded.unfold(-1, k, 1).permute(0, 2, 1, 3).reshape(len(x), -1, x.shape[1] * k).double()
    target = y.permute(0, 2, 1).double()  # [B, L, Z]
    for d, (dx, dy) in enumerate(zip(design.chunk(len(DIRECTIONS)), target.chunk(len(DIRECTIONS)))):
        keep = slice(None, None, max(1, -(-dx.shape[0] * dx.shape[1] // WARP_ROWS)))
        coef, bias = ridge_by_blocks(dx[keep], dy[keep])
        model.warp.weight[d * zp:(d + 1) * zp].copy_(coef.T.reshape(zp, x.shape[1], k).float())
        model.warp.bias[d * zp:(d + 1) * zp].copy_(bias.float())
