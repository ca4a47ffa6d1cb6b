"""`pasdeux bench`: the protocols of ../shared/BENCHMARK.md, implemented exactly.

- `solo`: `pasdeux bench solo --protocol video` ("solo-v1", the shared duet as solos, split by time) and
  `--protocol mocap` ("solo-mocap-v1", the CMU salsa takes as solos at 30 fps).
- `duet`: `pasdeux bench duet` ("duet-v3": partners for the salsa leads in both directions, on windows and whole
  takes, then the video duet; `duet_data`, `duet_baselines`, `duet_score`, `duet_long` are its parts).
- `music`: `pasdeux bench music` ("music-v1": beat tracking on registry songs, solos and duets danced to them).
- `common`: what every protocol shares (the shared data, the machine, JSON, progress lines, histories).

Each run prints one line per step on stderr (the step, the time so far, about how long is left) and
returns the BENCHMARK.md JSON object.
"""

from pasdeux.bench.common import Progress, final_val_recon, machine, time_to_quality, write_json
from pasdeux.bench.duet import bench_duet
from pasdeux.bench.music import bench_music
from pasdeux.bench.solo import (
    PROTOCOLS,
    SoloData,
    baselines,
    bench_solo,
    find_data,
    order_models,
    real_floors,
    realtime_factor,
    score_model,
    solo_data,
)

__all__ = ["bench_duet", "bench_music", "PROTOCOLS", "SoloData",
           "bench_solo", "find_data", "solo_data", "real_floors", "baselines", "score_model",
           "realtime_factor", "order_models", "Progress", "machine", "write_json", "time_to_quality",
           "final_val_recon"]
