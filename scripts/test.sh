#!/usr/bin/env bash
# Set up (venv, package, test tools, headless Chromium) and run the default test suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check src tests
# pytest exits 5 when it collected no test: that is a failure here too. Two workers, each test file on one (its
# module fixtures, tiny trainings, built once): the suite's tests each use one thread; on a 2-core machine the
# default run took 12:17 so (695 tests), 14:40 in one process (689 tests), against its 15-minute limit.
.venv/bin/python -m pytest -n 2 --dist loadfile "$@"
