"""The studio's library folder: safe paths, listing, uploads, rename and delete.

Every path a request names goes through `Library.resolve`, which accepts only relative paths of
visible names that stay inside the library once symlinks are followed; a run or model folder holding a link
that points out of it is refused whole (`runinfo.links_out`). The studio keeps its own working files
(upload staging, reports, exports, the trash) in the hidden `.pasdeux-studio/` folder, which no request can
name and which may hold no link. Files appear whole or not at all: uploads are written to staging, checked
from their headers (`limits`), read back with the project's readers, and only then moved into place.
Deleting moves a file or run into the trash, from where it can be restored until the trash is emptied.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pasdeux.errors import ConfigError, PasdeuxError
from pasdeux.io import FORMATS
from pasdeux.studio import limits, provenance, runinfo

STATE_DIR = ".pasdeux-studio"  # the studio's own files inside the library (hidden from requests)
TRANSIENT = ("uploads", "exports")  # its folders of files in the making, emptied at start
TRASH = "trash"  # deleted motions and runs, one folder each with the item and where it was (kept until emptied)
TRASH_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{8}$")
TRASH_NOTE = "deleted.json"
MOTION_SUFFIXES = tuple(sorted({e for _, exts in FORMATS.values() for e in exts}))
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv")  # what `pasdeux extract` decodes (ffmpeg)
MAX_DEPTH = 6  # how deep the listing looks into sub-folders
MAX_ENTRIES = 5000  # entries looked at per listing, so a huge folder cannot stall the app
CHUNK = 1 << 20


class LibraryError(PasdeuxError):
    """A request the library refuses; `status` is the HTTP status that says why."""

    status = 400


class OutsideLibrary(LibraryError):
    status = 403


class NotInLibrary(LibraryError):
    status = 404


class AlreadyInLibrary(LibraryError):
    status = 409


class TooLarge(LibraryError):
    status = 413


@dataclass
class _Cached:
    key: tuple[int, int]
    entry: dict


class Library:
    """A folder of motion files and training runs, seen only through safe relative paths."""

    def __init__(self, root: str | os.PathLike, max_upload_bytes: int = 200 << 20,
                 busy: Callable[[Path], bool] = lambda path: False) -> None:
        root = Path(root).expanduser()
        root.mkdir(parents=True, exist_ok=True)
        self.root = Path(os.path.realpath(root))
        self.max_upload_bytes = int(max_upload_bytes)
        self.busy = busy  # whether a run folder is training now (it cannot be renamed or deleted then)
        self._motions: dict[str, _Cached] = {}
        for transient in TRANSIENT:  # what a killed studio may have left half-done: never part of the library
            folder = self.root / STATE_DIR / transient
            if folder.is_symlink():  # never emptied through a link (that would delete elsewhere)
                folder.unlink()
            shutil.rmtree(folder, ignore_errors=True)

    # --- paths ---------------------------------------------------------------------------
    def resolve(self, rel: str, must_exist: bool = True) -> Path:
        """The path of `rel` inside the library; refuses absolute paths, `..`, hidden names and links out."""
        if not isinstance(rel, str) or not rel.strip():
            raise LibraryError("give a path inside the library (e.g. duet.npy or runs/mine)")
        if "\x00" in rel or "\\" in rel or len(rel) > 1024:
            raise LibraryError(f"{rel[:80]!r} is not a usable library path (no backslashes or NUL bytes)")
        if rel.startswith(("/", "~")) or (len(rel) > 1 and rel[1] == ":"):
            raise OutsideLibrary(f"{rel!r} is an absolute path; paths are relative to the library folder")
        parts = rel.strip("/").split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise OutsideLibrary(f"{rel!r} steps outside the library; name files inside it (no '..')")
        if any(p.startswith(".") for p in parts):
            raise OutsideLibrary(f"{rel!r} names a hidden file; the library shows only visible names")
        path = self.root.joinpath(*parts)
        if not _inside(os.path.realpath(path), self.root):
            raise OutsideLibrary(f"{rel!r} is a link that points outside the library")
        if must_exist and not os.path.lexists(path):
            raise NotInLibrary(f"{rel!r} is not in the library")
        return path

    def relative(self, path: Path) -> str:
        """The library path of a file inside the library."""
        return Path(path).relative_to(self.root).as_posix()

    def motion_file(self, rel: str) -> Path:
        """A motion file named by `rel` (it must exist and have a readable extension)."""
        path = self.resolve(rel)
        if not path.is_file() or path.suffix.lower() not in MOTION_SUFFIXES:
            raise LibraryError(f"{rel!r} is not a motion file (pasdeux reads {', '.join(MOTION_SUFFIXES)})")
        _check_size(path, rel)
        return path

    def folder_without_links_out(self, path: Path) -> Path:
        """A run or model folder, refused (403) when a link in it points out of it: nothing is read through one."""
        out = runinfo.links_out(path)
        if out:
            raise OutsideLibrary(f"{self.relative(path)!r} holds links that point out of it ({', '.join(out[:3])}); "
                                 "the studio reads nothing through them: replace them with the files themselves")
        return path

    def model_folder(self, rel: str) -> Path:
        """A trained model or run folder named by `rel`."""
        path = self.folder_without_links_out(self.resolve(rel))
        if not runinfo.has_model(path):
            raise LibraryError(f"{rel!r} holds no trained model (expected model.safetensors in it or in its "
                               "model/ folder); train one in the Train panel first")
        return path

    def state_dir(self, name: str) -> Path:
        """A folder for the studio's own working files (staging, reports, exports)."""
        path = self.root / STATE_DIR / name
        path.mkdir(parents=True, exist_ok=True)
        if os.path.realpath(path) != str(path):  # a link planted there would send the studio's writes elsewhere
            raise OutsideLibrary(f"the studio's own folder {STATE_DIR}/{name} is a link to somewhere else; remove "
                                 "the link (the studio writes only inside the library)")
        return path

    def new_path(self, folder: str, stem: str, suffix: str) -> Path:
        """A path for a new file in `folder` (created if missing) that names nothing yet: stem, stem-2, ..."""
        base = self.resolve(folder, must_exist=False) if folder else self.root
        stem = safe_name(stem, suffix)[: -len(suffix)] if suffix else safe_name(stem)
        base.mkdir(parents=True, exist_ok=True)
        for k in range(1, 10_000):
            candidate = base / (f"{stem}{suffix}" if k == 1 else f"{stem}-{k}{suffix}")
            if not os.path.lexists(candidate):
                return candidate
        raise AlreadyInLibrary(f"too many files named {stem}* in {folder or 'the library'}")

    # --- listing ---------------------------------------------------------------------------
    def scan(self) -> dict:
        """Every motion file and every model or run folder in the library, with their summaries."""
        motions, models = [], []
        for path, is_model in self._walk():
            if is_model:
                models.append(runinfo.summary(path, self.relative(path)))
            else:
                motions.append(self.motion_summary(path))
        seen = {m["path"] for m in motions}
        self._motions = {k: v for k, v in self._motions.items() if k in seen}
        return {"root": self.root.name, "motions": motions, "models": models}

    def _walk(self) -> Iterator[tuple[Path, bool]]:
        """(path, is_model_folder) for visible entries, not descending into model folders or out of the library."""
        stack, looked = [(self.root, 0)], 0
        while stack:
            folder, depth = stack.pop()
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name.lower())
            except OSError:
                continue
            subfolders = []
            for e in entries:
                looked += 1
                if looked > MAX_ENTRIES:
                    return
                if e.name.startswith(".") or not _inside(os.path.realpath(e.path), self.root):
                    continue
                path = Path(e.path)
                if e.is_dir():
                    if runinfo.is_run_or_model(path):
                        yield path, True
                    elif depth < MAX_DEPTH:
                        subfolders.append((path, depth + 1))
                elif e.is_file() and path.suffix.lower() in MOTION_SUFFIXES:
                    yield path, False
            stack.extend(reversed(subfolders))

    def motion_summary(self, path: Path) -> dict:
        """Kind, dancers, length and skeleton of one motion file (cached until the file changes)."""
        from pasdeux.io import detect_format, load

        rel = self.relative(path)
        st = path.stat()
        key = (st.st_size, st.st_mtime_ns)
        cached = self._motions.get(rel)
        if cached and cached.key == key:
            return cached.entry
        entry = {"path": rel, "name": path.name, "size": st.st_size, "kind": "motion"}
        try:
            _check_size(path, rel)
            fmt = detect_format(path)
            m = load(path, format=fmt)
            prov = provenance.read(m)
            entry.update(format=fmt, dancers=m.n_dancers, frames=m.n_frames, fps=m.fps,
                         duration_s=round(m.duration, 3), joints=m.n_joints, skeleton=m.skeleton.name,
                         kind=provenance.kind(prov), provenance=prov)
        except PasdeuxError as e:
            entry.update(kind="unreadable", error=str(e).replace(str(path), rel))
        self._motions[rel] = _Cached(key, entry)
        return entry

    def describe(self, rel: str) -> dict:
        """What `pasdeux info` prints about a motion file, as data and as its text table."""
        from pasdeux.io import detect_format, load
        from pasdeux.io.info import describe, format_table

        path = self.motion_file(rel)
        fmt = detect_format(path)
        motion = load(path, format=fmt)
        info = describe(motion, fmt)
        info["source"] = rel  # the library path, never the folder on this machine
        return {"path": rel, "info": info, "text": format_table(info), "provenance": provenance.read(motion)}

    # --- changes ------------------------------------------------------------------------------
    def store_upload(self, filename: str, stream: BinaryIO) -> dict:
        """Copy an uploaded file into the library if the readers accept it; nothing is added otherwise."""
        from pasdeux.io import load

        name, tmp = self.stage(filename, stream, MOTION_SUFFIXES, "motion files")
        try:
            _check_size(tmp, name)  # from the headers, before anything is unpacked
            try:
                motion = load(tmp)
            except PasdeuxError as e:
                raise LibraryError(f"{name}: {str(e).replace(str(tmp), name)}; nothing was added") from None
            if motion.n_frames > limits.MAX_FRAMES:
                raise TooLarge(f"{name} holds {motion.n_frames:,} frames, over the studio's limit of "
                               f"{limits.MAX_FRAMES:,} (30 minutes at 120 fps); split the take into parts")
            target = self.adopt(tmp, "", Path(name).stem)
        finally:
            tmp.unlink(missing_ok=True)
        return self.motion_summary(target)

    def stage(self, filename: str, stream: BinaryIO, suffixes: tuple[str, ...], what: str) -> tuple[str, Path]:
        """An uploaded file copied (within the size limit) to the staging folder: its safe name and staged path."""
        name = safe_name(filename)
        suffix = Path(name).suffix.lower()
        if suffix not in suffixes:
            raise LibraryError(f"{name!r}: the studio takes {what} ending in {', '.join(suffixes)}")
        fd, tmp = tempfile.mkstemp(prefix="upload-", suffix=suffix, dir=self.state_dir("uploads"))
        try:
            with os.fdopen(fd, "wb") as out:
                _copy_limited(stream, out, self.max_upload_bytes, name)
        except BaseException:
            os.unlink(tmp)
            raise
        return name, Path(tmp)

    def adopt(self, staged: Path, folder: str, stem: str) -> Path:
        """Move a finished file from staging into the library folder `folder`, under a name not taken yet."""
        target = self.new_path(folder, stem, staged.suffix.lower())
        os.replace(staged, target)
        return target

    def rename(self, rel: str, new_name: str) -> str:
        """Rename a motion file or a run folder within its folder; returns its new library path."""
        path = self.resolve(rel)
        if "/" in new_name or "\\" in new_name:
            raise LibraryError(f"{new_name!r}: give a new name only; renaming keeps a file in its folder")
        if path.is_file():
            suffix = path.suffix
            if Path(new_name).suffix.lower() not in ("", suffix.lower()):
                raise LibraryError(f"keep the extension {suffix}: the format is read from it")
            new_name = new_name if Path(new_name).suffix else new_name + suffix
        name = safe_name(new_name)
        target = path.with_name(name)
        self.resolve(self.relative(target), must_exist=False)
        if os.path.lexists(target):
            raise AlreadyInLibrary(f"{self.relative(target)!r} already exists; choose another name")
        self._refuse_if_busy(path)
        os.rename(path, target)
        return self.relative(target)

    def delete(self, rel: str) -> dict:
        """Move a motion file or a run/model folder into the trash (never anything else); returns its trash entry."""
        path = self.resolve(rel)
        if not (path.is_symlink() or path.is_file() or runinfo.is_run_or_model(path)):
            raise LibraryError(f"{rel!r} is a folder of the library itself; delete the files in it one by one")
        self._refuse_if_busy(path)
        trash = self.state_dir(TRASH)
        entry = {"id": f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}", "path": rel, "name": path.name,
                 "kind": "motion" if path.is_symlink() or path.is_file() else "run",
                 "deleted": time.strftime("%Y-%m-%d %H:%M:%S")}
        folder = trash / entry["id"]
        folder.mkdir()
        (folder / TRASH_NOTE).write_text(json.dumps(entry), "utf-8")
        os.replace(path, folder / path.name)  # one rename: the item is in the library or in the trash, never half
        return entry

    def trash(self) -> list[dict]:
        """What the trash holds, latest first: id, library path it came from, name, kind, when it was deleted."""
        out = []
        for folder in self.state_dir(TRASH).iterdir():
            entry = _trash_entry(folder)
            if entry is not None:
                out.append(entry)
        return sorted(out, key=lambda e: e["id"], reverse=True)

    def restore(self, trash_id: str) -> str:
        """Put an item of the trash back where it was (under a fresh name if that one is taken); its library path."""
        folder = self.state_dir(TRASH) / trash_id
        entry = _trash_entry(folder) if TRASH_ID.match(trash_id or "") else None
        if entry is None:
            raise NotInLibrary(f"{trash_id!r} is not in the trash (emptied, or restored already)")
        parent = str(Path(entry["path"]).parent)
        parent = "" if parent == "." else parent
        item = folder / entry["name"]
        suffix = item.suffix.lower() if entry["kind"] == "motion" else ""
        stem = entry["name"][: -len(suffix)] if suffix else entry["name"]
        target = self.new_path(parent, stem, suffix)
        os.replace(item, target)
        shutil.rmtree(folder, ignore_errors=True)
        return self.relative(target)

    def empty_trash(self) -> int:
        """Delete for good everything in the trash; how many items went."""
        gone = 0
        for folder in self.state_dir(TRASH).iterdir():
            gone += _trash_entry(folder) is not None
            # rmtree removes links, never what they point to
            shutil.rmtree(folder) if folder.is_dir() and not folder.is_symlink() else folder.unlink()
        return gone

    def _refuse_if_busy(self, path: Path) -> None:
        if self.busy(path):
            raise AlreadyInLibrary(f"{self.relative(path)!r} is training now; stop it first")


def safe_name(name: str, suffix: str = "") -> str:
    """A file name with no folder part, visible and portable; raises ConfigError when nothing usable is left."""
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(c if c.isalnum() or c in "-_.+ ()" else "_" for c in base).strip()
    if suffix and not base.lower().endswith(suffix.lower()):
        base += suffix
    if not base or base.startswith(".") or base.strip("._ ") == "" or len(base) > 200:
        raise ConfigError(f"{name!r} is not a usable file name; use letters, digits, '-', '_' and one extension")
    return base


def _trash_entry(folder: Path) -> dict | None:
    """The record of one trashed item, or None for anything else in the trash folder."""
    try:
        entry = json.loads((folder / TRASH_NOTE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(entry, dict) and TRASH_ID.match(str(entry.get("id"))) and folder.name == entry["id"]
    name = entry.get("name") if ok else None
    if not isinstance(name, str) or "/" in name or name in ("", ".", "..", TRASH_NOTE) \
            or not os.path.lexists(folder / name):
        return None
    return entry


def _check_size(path: Path, name: str) -> None:
    """Refuse (413) a motion file whose headers say it unpacks beyond the studio's limits."""
    try:
        limits.check_motion_file(path, name)
    except limits.TooBig as e:
        raise TooLarge(f"{e}; nothing was loaded") from None


def _inside(path: str, root: Path) -> bool:
    return path == str(root) or path.startswith(str(root) + os.sep)


def _copy_limited(src: BinaryIO, dst: BinaryIO, limit: int, name: str) -> None:
    total = 0
    while chunk := src.read(CHUNK):
        total += len(chunk)
        if total > limit:
            raise TooLarge(f"{name}: larger than the upload limit of {limit / 2**20:g} MB "
                           "(start the studio with --max-upload-mb to raise it)")
        dst.write(chunk)
    if total == 0:
        raise LibraryError(f"{name}: the file is empty; nothing was added")
