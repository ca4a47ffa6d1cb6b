#!/usr/bin/env bash
# The main job end to end: set up, train a small model on ../shared/data, generate, write viewable results.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/pasdeux demo --data ../shared/data/duet_ilya_hannah.npy --out pasdeux-out "$@"
