"""Download, verify and atomically unpack a Vosk model (`tourtrace model fetch`)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from edge.voice.recognizer import ModelError, check_model_dir

CHUNK = 1 << 16

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class ModelSpec:
    """A downloadable model; sha256 None means only zip CRCs and the expected files are checked."""

    lang: str
    name: str
    url: str
    sha256: str | None = None


# The upstream site publishes no checksum for this archive; pin one with --sha256 once a copy is trusted.
MODELS = {
    "zh": ModelSpec(
        lang="zh",
        name="vosk-model-small-cn-0.22",
        url="https://alphacephei.com/vosk/models/vosk-model-small-cn-0.22.zip",
    ),
}


class FetchError(Exception):
    """The model could not be downloaded, verified or unpacked."""


@dataclass(frozen=True)
class FetchResult:
    """Where the model now is, the archive's sha256 and whether it was already there."""

    path: Path
    sha256: str | None
    already_present: bool = False


def default_dest() -> Path:
    """Return $TOURTRACE_MODELS or ~/.local/share/tourtrace/models."""
    env = os.environ.get("TOURTRACE_MODELS")
    return Path(env) if env else Path.home() / ".local" / "share" / "tourtrace" / "models"


def spec_for(lang: str) -> ModelSpec:
    """Return the model spec for a language or raise FetchError listing the known ones."""
    try:
        return MODELS[lang]
    except KeyError:
        raise FetchError(f"no model known for --lang {lang!r}; known: {', '.join(sorted(MODELS))}") from None


def source_url(spec: ModelSpec, mirror: str | None) -> str:
    """Return the download URL: a mirror ending in .zip as is, else mirror/<name>.zip, else upstream."""
    if not mirror:
        return spec.url
    return mirror if mirror.endswith(".zip") else f"{mirror.rstrip('/')}/{spec.name}.zip"


def fetch_model(
    spec: ModelSpec,
    dest: Path,
    *,
    mirror: str | None = None,
    zip_path: Path | None = None,
    sha256: str | None = None,
    progress: Progress | None = None,
    timeout: float = 30.0,
) -> FetchResult:
    """Fetch `spec` (or a local zip) into dest/<name>, verifying before an atomic rename."""
    target = dest / spec.name
    if _is_model(target):
        return FetchResult(path=target, sha256=None, already_present=True)
    expected = (sha256 or spec.sha256 or "").lower() or None
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=f".{spec.name}.") as tmp:
        work = Path(tmp)
        if zip_path is not None:
            if not zip_path.is_file():
                raise FetchError(f"--zip {zip_path}: no such file")
            archive, source = zip_path, str(zip_path)
            digest = _sha256_file(zip_path)
        else:
            source = source_url(spec, mirror)
            archive = work / "model.zip"
            digest = _download(source, archive, progress, timeout)
        if expected is not None and digest != expected:
            raise FetchError(
                f"checksum mismatch for {source}: expected sha256 {expected}, got {digest}; "
                "the file is corrupt or not the expected model (nothing was unpacked)"
            )
        root = _unpack(archive, work / "unpacked", source)
        if target.exists():
            target.rename(work / "previous")
        root.rename(target)
    return FetchResult(path=target, sha256=digest)


def _is_model(path: Path) -> bool:
    try:
        check_model_dir(path)
    except ModelError:
        return False
    return True


def _download(url: str, out: Path, progress: Progress | None, timeout: float) -> str:
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, out.open("wb") as fh:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            while chunk := response.read(CHUNK):
                fh.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FetchError(f"download of {url} failed ({exc}); try --mirror URL or --zip PATH") from exc
    if total is not None and done != total:
        raise FetchError(f"download of {url} stopped at {done} of {total} bytes; try again")
    return digest.hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _unpack(archive: Path, out: Path, source: str) -> Path:
    """Check CRCs and member paths, extract, and return the model root inside `out`."""
    try:
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                parts = PurePosixPath(name).parts
                if name.startswith("/") or ".." in parts or "\\" in name:
                    raise FetchError(f"{source}: unsafe path {name!r} in archive")
            bad = zf.testzip()
            if bad is not None:
                raise FetchError(f"{source}: archive member {bad} is corrupt (CRC mismatch)")
            zf.extractall(out)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise FetchError(f"{source}: not a valid zip archive ({exc})") from exc
    except zlib.error as exc:
        raise FetchError(f"{source}: archive is corrupt ({exc})") from exc
    entries = [p for p in out.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    root = entries[0] if len(entries) == 1 and entries[0].is_dir() else out
    try:
        check_model_dir(root, hint="is it a Vosk model archive?")
    except ModelError as exc:
        raise FetchError(f"{source}: archive does not hold a usable Vosk model: {exc}") from exc
    return root
