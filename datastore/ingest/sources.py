"""Where data files come from: the bundled snapshot, local paths and URLs; reading them by kind."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import importlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

import httpx

from datastore.errors import LoadError
from datastore.ingest import SNAPSHOT_DIR
from datastore.ingest.download import Downloaded, download, file_name
from datastore.ingest.publishers import PublisherError
from datastore.storage.kinds import Kind, Loaded
from datastore.storage.store import LoadInput, SourceFile

NOT_DATA: Final = frozenset({"SOURCES.md"})
# Kinds read before the others: their ward codes (the City's included) validate the ward files.
READ_FIRST: Final[tuple[Kind, ...]] = ("postcodes", "ward_boundaries")
WARD_COLUMN: Final[dict[Kind, str]] = {"postcodes": "ward_code", "ward_boundaries": "code"}


def bundled_files() -> list[Path]:
    """Every data file of the bundled snapshot."""
    return sorted(p for p in SNAPSHOT_DIR.iterdir() if p.is_file() and p.name not in NOT_DATA)


# The kind of each bundled file by the start of its name, so a first run need not recognise
# them from their content (which reads every JSON file whole once more: a quarter of a
# second).  read_file still checks each file is of its kind; a test checks this table
# against recognition.
BUNDLED_KINDS: Final[tuple[tuple[str, Kind], ...]] = (
    ("census2021_ts007a_", "borough_population"),
    ("census2021_ts019_", "ward_population"),
    ("codepoint_open_", "postcodes"),
    ("homeoffice_ced_", "taser"),
    ("london_boroughs", "borough_boundaries"),
    ("london_wards_", "ward_boundaries"),
    ("mps_borough_crime_", "borough_crime"),
    ("mps_ward_crime_", "ward_crime"),
    ("policeuk_api_", "stop_search"),
    ("police-use-of-force-", "taser"),
)


def bundled_kinds() -> dict[Path, Kind]:
    """The kind of each bundled file the table names (a file it does not is recognised)."""
    return {path: kind for path in bundled_files() for start, kind in BUNDLED_KINDS
            if path.name.startswith(start)}


def sha256(path: Path) -> str:
    """The SHA-256 of a file's content: of its decompressed bytes when it is gzip, so the
    same data bundled gzipped and downloaded plain (as the Datastore serves it) is one."""
    digest = hashlib.sha256()
    with path.open("rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        with gzip.open(raw) if gzipped else contextlib.nullcontext(raw) as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


async def fetch(
    srcs: Sequence[str],
    workdir: Path,
    http: httpx.AsyncClient | None,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Path], dict[Path, str]]:
    """Local paths for sources, each URL downloaded into `workdir` by `download.download`,
    the one way WardWatch fetches a file (the client's User-Agent, hosts and minimum rate;
    the cap of the kind its first bytes show; atomic; Content-Encoding capped too); and each
    path's display name (a URL for a download).  A download that fails is a LoadError naming
    the URL."""
    urls = [s for s in srcs if is_url(s)]
    if urls and http is None:
        raise ValueError("a client is needed to download URLs")
    loaders = None
    if urls:  # pandas: imported off the event loop, for the caps by kind
        loaders = await asyncio.to_thread(importlib.import_module, "datastore.ingest.loaders")
    paths: list[Path] = []
    names: dict[Path, str] = {}
    for index, source in enumerate(srcs):
        if not is_url(source):
            local, local_names = materialise([source])
            paths += local
            names.update(local_names)
            continue
        assert http is not None and loaders is not None
        if progress:
            progress(f"downloading {source}")
        try:
            got = await download(http, source, workdir, max_bytes=max(loaders.MAX_BYTES.values()),
                                 name=f"{index:02d}-{file_name(source)}", cap=loaders.cap_for)
        except PublisherError as exc:
            raise LoadError(source, f"could not download it: {exc.reason}; nothing was "
                            "kept") from None
        assert isinstance(got, Downloaded)  # no validators were sent: never NotModified
        paths.append(got.path)
        names[got.path] = source
    return paths, names


def named(exc: LoadError, names: Mapping[Path, str]) -> LoadError:
    """The error as it names the file: by its URL or name, never a temporary path."""
    for path, name in names.items():
        if exc.file == str(path):
            return LoadError(name, exc.reason, row=exc.row, column=exc.column)
    return exc


def read_all(
    paths: Sequence[Path],
    *,
    known_wards: Collection[str] | None = None,
    names: dict[Path, str] | None = None,
    progress: Callable[[str], None] | None = None,
    loaded: Mapping[str, frozenset[str]] | None = None,
) -> dict[Kind, LoadInput]:
    """Read and validate every file, grouped by the kind its content shows (`read_each`)."""
    return dict(read_each(paths, known_wards=known_wards, names=names, progress=progress,
                          loaded=loaded))


def read_each(
    paths: Sequence[Path],
    *,
    known_wards: Collection[str] | None = None,
    names: dict[Path, str] | None = None,
    progress: Callable[[str], None] | None = None,
    loaded: Mapping[str, frozenset[str]] | None = None,
    kinds: Mapping[Path, Kind] | None = None,
) -> Iterator[tuple[Kind, LoadInput]]:
    """Read and validate every file, grouped by the kind its content shows, yielding each
    kind as soon as it is read (so a writer can store one while the next is read).

    Ward codes in crime files are checked against the wards of the boundaries, population or
    postcodes read in the same call, else against `known_wards` (the store's current ones).
    `loaded` gives the SHA-256 of each kind's current files: a kind whose files are exactly
    those is skipped (absent from the result).  `kinds` gives the kind of files known
    beforehand (the bundled ones): they are read as that kind, not recognised first.
    """
    from datastore.ingest import loaders  # pandas, shapely: only when files are read

    names = names or {}
    by_kind: dict[Kind, list[Path]] = {}
    digests: dict[Path, str] = {}
    try:
        for path in paths:
            digests[path] = sha256(path)
            known = (kinds or {}).get(path)
            by_kind.setdefault(known or loaders.detect_kind(path), []).append(path)
    except LoadError as exc:
        raise named(exc, names) from None
    if loaded:
        for kind in [k for k, files in by_kind.items()
                     if loaded.get(k) == frozenset(digests[p] for p in files)]:
            if progress:
                progress(f"{kind}: unchanged, skipped")
            del by_kind[kind]
    order = [k for k in READ_FIRST if k in by_kind] + [k for k in by_kind if k not in READ_FIRST]
    wards: set[str] | None = set(known_wards) if known_wards is not None else None
    for kind in order:
        files = loaders.order_sources(by_kind[kind])
        parts: list[Loaded] = []
        for path in files:
            if progress:
                progress(f"reading {names.get(path, path.name)}")
            try:
                parts.append(loaders.read_file(path, kind, known_wards=wards))
            except LoadError as exc:
                raise named(exc, names) from None
        data = parts[0] if len(parts) == 1 else loaders.combine(kind, parts)
        if kind in WARD_COLUMN:
            found = set(data.frame[WARD_COLUMN[kind]].unique().tolist())
            wards = found if wards is None or kind == "postcodes" else wards | found
        yield kind, LoadInput(
            data, tuple(SourceFile(names.get(p, p.name), digests[p]) for p in files))


def materialise(sources: Sequence[str]) -> tuple[list[Path], dict[Path, str]]:
    """Local paths for local sources (a folder's files), and each path's display name.  URLs
    are downloaded first, by `fetch` (asynchronous)."""
    paths: list[Path] = []
    names: dict[Path, str] = {}
    for source in sources:
        if is_url(source):
            raise ValueError(f"{source}: a URL is downloaded by sources.fetch first")
        path = Path(source).expanduser()
        if path.is_dir():
            for child in sorted(p for p in path.iterdir() if p.is_file()
                                and p.name not in NOT_DATA and not p.name.startswith(".")):
                paths.append(child)
                names[child] = str(child)
            continue
        if not path.is_file():
            raise LoadError(source, "no such file")
        paths.append(path)
        names[path] = source
    return paths, names


def read_sources(
    sources: Sequence[str],
    *,
    known_wards: Collection[str] | None = None,
    progress: Callable[[str], None] | None = None,
    loaded: Mapping[str, frozenset[str]] | None = None,
) -> dict[Kind, LoadInput]:
    """Read and validate local sources; empty means the bundled snapshot.  (URLs are
    downloaded by `fetch` first.)"""
    if not sources:
        return read_all(bundled_files(), known_wards=known_wards, progress=progress,
                        loaded=loaded)
    paths, names = materialise(sources)
    return read_all(paths, known_wards=known_wards, names=names, progress=progress,
                    loaded=loaded)
