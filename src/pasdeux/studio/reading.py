"""How to read a comparison in the page: each figure of the `pasdeux evaluate` report with one line of meaning
and which way is better (beside the floor row: real dance of the same dancers scored the same way)."""

from __future__ import annotations

# metric -> (what it measures, which way is better); "near the floor" means: closest to the real dance's own value.
MEANINGS: dict[str, tuple[str, str]] = {
    "windows": ("how many windows were scored", "more is a steadier figure"),
    "fid_k": ("distance of the movement's dynamics (speeds, accelerations) from the real dance", "lower"),
    "fid_g": ("distance of the body shapes from the real dance", "lower"),
    "fid_cd": ("distance of the two dancers' spacing from the real couple's", "lower"),
    "diversity": ("how different the phrases are from each other", "near the floor: too low repeats, "
                  "too high is noise"),
    "div_cd": ("how different the couple's spacings are from each other", "near the floor"),
    "jitter_ratio": ("acceleration against the real dance's (1 is real)", "near 1: above is shaky, below frozen"),
    "recon_mse": ("how far the model's re-encoding of real phrases is from them", "lower"),
    "jitter_ratio_recon": ("acceleration of the re-encoded real phrases against the real ones", "near 1"),
    "mean_speed": ("average speed, in leg lengths per second", "near the floor"),
    "bone_cv": ("how much bone lengths vary (0 for a rigid skeleton)", "near the floor"),
    "foot_contact_share": ("share of frames with a foot planted on the floor", "near the floor"),
    "foot_skating_ratio": ("share of planted frames in which no foot holds its place (sliding feet)", "lower"),
    "floating": ("height of the lowest foot point, in leg lengths", "near the floor (about 0)"),
    "contact_rate": ("share of frames in which the two dancers touch", "near the floor"),
    "penetration": ("share of frames with the two bodies inside each other", "lower"),
    "responsiveness": ("how closely one dancer's speed follows the other's (best lag up to 1 s)", "higher, up to "
                       "the floor's"),
    "bed": ("how closely the partner's beats echo the leader's (1: on them)", "higher, up to the floor's"),
    "max_partner_distance": ("largest distance between the two pelvises (data units)", "near the floor"),
}


def meanings(keys) -> dict[str, dict[str, str]]:
    """The meaning and better direction of each report figure named in `keys`."""
    return {k: {"meaning": MEANINGS[k][0], "better": MEANINGS[k][1]} for k in keys if k in MEANINGS}
