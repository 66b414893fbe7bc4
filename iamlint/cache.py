"""Content-hash cache of parsed and normalised units (a module directory, a template).

Parsing and normalising is most of a run; rules are cheap. So the engine keeps, per unit,
the :class:`~iamlint.model.units.UnitResult` (the graph after enrichment, the input
errors and the source facts) in the user cache directory (:mod:`iamlint.cachedir`),
sub-folder ``units/``.

Validity. An entry is named by the unit's identity: its kind and format, root, files
(filesystem and display paths), the options that change evaluation
(:meth:`iamlint.options.Options.cache_key`), the environment its format reads
(:meth:`iamlint.formats.Format.environment`), the iamlint version and a
fingerprint of iamlint's own code (so an upgrade or a local edit never reuses a stale
graph). Its header records a BLAKE2 digest of the bytes of every file the unit read
(its own files, plus :attr:`UnitResult.sources`: child modules, tfvars; a directory
counts by its listing). An entry is used only when every digest still matches the
bytes on disk (or the unsaved buffer shadowing the file, see :mod:`iamlint.sources`).

Secrets. Nothing is written with a credential in it: before pickling, every string of
the result is masked (:func:`masked_payload`, :mod:`iamlint.model.masking`); values
keep what SEC001 found in them, so a warm run reports the same findings as a cold one.

Safety. Entries are written to a temporary file then ``os.replace``-d, so concurrent
runs never see half an entry. Reading checks a magic line, the format and version, the
identity, the digest of the payload, and that the file and folder belong to the
current user and are not writable by others -- only then is the payload unpickled. A
corrupt or foreign entry is ignored (and rewritten), never trusted, never a crash. The
folder is bounded: beyond ``IAMLINT_CACHE_MAX_MB`` (default 200) the least recently
used entries are removed at the end of a run.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import pickle
import sys
import time
from pathlib import Path
from stat import S_ISDIR
from typing import Any

from iamlint import __version__
from iamlint.cachedir import UNIT_SUFFIX as _SUFFIX
from iamlint.cachedir import UNITS_SUBDIR, cache_dir, clear, private_folder, read_trusted_file, unlink, write_atomic
from iamlint.digests import blake2b
from iamlint.model.masking import holds_key_id, mask_object, may_hold_secrets
from iamlint.model.units import Unit, UnitResult
from iamlint.sources import overlay_text, read_bytes, real_path

__all__ = ["MAGIC", "Keys", "UnitCache", "cache_dir", "clear", "code_fingerprint", "digest_source", "unit_key"]

FORMAT = 1
MAGIC = b"iamlint-unit-cache\n"
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
PRUNE_EVERY_WRITES = 32


def units_dir() -> Path:
    return cache_dir() / UNITS_SUBDIR


def max_bytes() -> int:
    try:
        return int(float(os.environ["IAMLINT_CACHE_MAX_MB"]) * 1024 * 1024)
    except (KeyError, ValueError):
        return DEFAULT_MAX_BYTES


_LIBRARIES = ("tree_sitter", "tree_sitter_hcl", "hcl2", "lark", "yaml")


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Changes whenever a module or data file of iamlint, an install of the parsing
    libraries it builds on, or the Python running it changes."""
    digest = blake2b(digest_size=16)
    digest.update(f"{__version__}|{sys.version}|{FORMAT}".encode())
    digest.update("".join(_code_files(str(Path(__file__).resolve().parent), "", False)).encode())
    # the parsers iamlint builds on: another install of them may parse differently
    for library in _LIBRARIES:
        try:
            spec = importlib.util.find_spec(library)
            location = spec.origin if spec is not None else None
            found = os.stat(location) if location else None
        except (ImportError, ValueError, OSError):
            found = None
        digest.update(f"{library}|{location if found else None}|{found.st_mtime_ns if found else 0}\n".encode())
    return digest.hexdigest()


def _code_files(folder: str, relative: str, data: bool) -> list[str]:
    """``relative/name|size|mtime`` of the code (``*.py``) and shipped knowledge (the
    files of a ``data`` folder) under ``folder``, in the order of a top-down
    ``os.walk`` with sorted names (``__pycache__`` and links to folders left out). One
    ``scandir`` a folder and no ``relpath``: this runs on every start (a ``walk`` with
    ``relpath`` of ~200 files took ~8 ms of it)."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError:
        return []
    lines: list[str] = []
    folders = []
    for entry in entries:
        try:
            is_folder = entry.is_dir()
        except OSError:
            continue
        if is_folder:
            if entry.name != "__pycache__" and not entry.is_symlink():  # os.walk does not follow links
                folders.append(entry)
            continue
        if data or entry.name.endswith(".py"):
            try:
                stat = entry.stat()
            except OSError:
                continue
            lines.append(f"{relative}{entry.name}|{stat.st_size}|{stat.st_mtime_ns}\n")
    for entry in folders:
        lines.extend(_code_files(entry.path, f"{relative}{entry.name}/", entry.name == "data"))
    return lines


_MAX_PLUGIN_FILES = 2000  # a plugin's package bigger than this is not fingerprinted
_PACKAGES: dict[str, str | None] = {}


def package_fingerprint(module_name: str) -> str | None:
    """Sizes and mtimes of the files of the top-level package holding ``module_name`` (a
    plugin's code, installed or editable; iamlint's own: :func:`code_fingerprint`), or
    None when they cannot be listed (a zip, a namespace package, too many files)."""
    top = module_name.split(".", 1)[0]
    if top == "iamlint":
        return code_fingerprint()
    if top not in _PACKAGES:
        _PACKAGES[top] = _listing(getattr(sys.modules.get(top), "__file__", None))
    return _PACKAGES[top]


def _listing(location: str | None) -> str | None:
    if not location:
        return None
    folder = os.path.dirname(location) if os.path.basename(location) == "__init__.py" else None
    paths = [location] if folder is None else []
    if folder is not None:
        for where, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            paths.extend(os.path.join(where, name) for name in sorted(names))
            if len(paths) > _MAX_PLUGIN_FILES:
                return None
    digest = blake2b(digest_size=16)
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError:
            return None
        digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def unit_key(unit: Unit, options: Any, environments: dict[str, Any] | None = None) -> str:
    """The identity of a unit's entry (not its content: digests are checked separately).
    ``options`` are the unit's resolved options (:meth:`iamlint.options.Options.for_unit`);
    ``environments``: the formats' environments already read in this run, by format name."""
    key = getattr(options, "cache_key", None)
    return _unit_key(unit, key() if key is not None else None, environments)


def _unit_key(unit: Unit, options_key: Any, environments: dict[str, Any] | None) -> str:
    environment = _environment(unit, environments)
    identity = {
        "format": FORMAT,
        "code": code_fingerprint(),
        "kind": unit.kind,
        "input_format": unit.format.name if unit.format is not None else None,
        # a format plugin's code (an editable install edited in place parses differently)
        "format_code": package_fingerprint(type(unit.format).__module__) if unit.format is not None else None,
        "root": unit.root,
        "real_root": real_path(unit.root),
        "files": [list(pair) for pair in unit.files],
        "options": options_key,
        "environment": sorted([name, value] for name, value in environment.items()),
    }
    text = json.dumps(identity, sort_keys=True)
    return blake2b(text.encode(), digest_size=20).hexdigest()


class Keys:
    """The unit keys of one run: :func:`unit_key`, computed once per unit and options
    (both caches ask for a unit's key several times: lookup, store, the digests recorded;
    its realpath and JSON were ~0.1 ms each time), and the formats' environments, read
    once. A key is reused only for the same unit object with the same kind, root, format,
    files and options key (``Options.cache_key()``)."""

    __slots__ = ("environments", "_known")

    def __init__(self) -> None:
        self.environments: dict[str, Any] = {}
        self._known: dict[int, tuple[Unit, tuple[Any, ...], str]] = {}

    def __call__(self, unit: Unit, options: Any) -> str:
        key = getattr(options, "cache_key", None)
        state = (unit.kind, unit.root, unit.format, list(unit.files), key() if key is not None else None)
        known = self._known.get(id(unit))
        if known is not None and known[0] is unit and known[1] == state:
            return known[2]
        value = _unit_key(unit, state[-1], self.environments)
        self._known[id(unit)] = (unit, state, value)  # the unit is kept: its id is not reused
        return value


def _environment(unit: Unit, known: dict[str, Any] | None) -> Any:
    if unit.format is None:
        return {}
    if known is None:
        return unit.format.environment()
    name = unit.format.name
    if name not in known:
        known[name] = unit.format.environment()
    return known[name]


def digest_source(path: str) -> str:
    """BLAKE2 of the bytes of a file (through the editor overlay), of the sorted
    listing of a directory, or "missing"."""
    text = overlay_text(path)
    if text is not None:
        return "buffer:" + blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    try:
        found = os.stat(path)
        if S_ISDIR(found.st_mode):
            listing = "\n".join(sorted(os.listdir(path)))
            return "dir:" + blake2b(listing.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
    except OSError:
        return "missing"
    data, error = read_bytes(path, known=found)  # a regular file only, capped: never blocks on a FIFO
    if data is None:
        return "missing" if error is None or error.message.startswith("cannot read") else "unread:" + error.message
    return blake2b(data, digest_size=16).hexdigest()


def _own_sources(unit: Unit, options: Any) -> list[str]:
    sources = [path for path, _ in unit.files]
    sources.extend(getattr(options, "var_files", None) or ())
    return sources


def masked_payload(result: object, payload: bytes | None = None) -> bytes | None:
    """The pickled ``result`` with every credential masked (:mod:`iamlint.model.masking`):
    ``payload`` (the result already pickled) is kept when its bytes hold nothing that
    could be one; otherwise the masked copy is pickled. None when it cannot be pickled,
    or when an access key id is still in the bytes (a structure the masking does not
    know: the unit is then not cached rather than kept with a key)."""
    try:
        if payload is None:
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        if not may_hold_secrets(payload):
            return payload
        payload = pickle.dumps(mask_object(result), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return None
    return None if holds_key_id(payload) else payload


class UnitCache:
    """Get and put :class:`UnitResult` entries. ``enabled=False`` makes every call a no-op."""

    suffix = _SUFFIX
    magic = MAGIC

    def __init__(self, directory: str | os.PathLike[str] | None = None, enabled: bool = True, limit: int | None = None,
                 keys: Keys | None = None) -> None:
        self.directory = Path(directory) if directory is not None else units_dir()
        # a cache folder that is not private is never read nor written (iamlint.cachedir)
        self.enabled = enabled and private_folder(self.directory)
        self.limit = max_bytes() if limit is None else limit
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self.rejected = 0  # corrupt, foreign or stale entries ignored
        # key -> digests of the files each unit read, as validated or written by this
        # process (the results cache records the same: iamlint.results)
        self.recorded: dict[str, list[list[str]]] = {}
        # the units' keys and the formats' environments, once per run (a cache lives for one
        # run; a Terraform environment reads the process environment and the CLI
        # configuration); the results cache of the run shares them
        self.keys = keys if keys is not None else Keys()
        # the names in the folder, listed at the first lookup (a cold run then opens no
        # entry, and computes no key, to learn that it is missing); what this cache writes
        # is added. An entry another process writes during the run is a miss: safe
        self._names: set[str] | None = None

    # -- lookup -----------------------------------------------------------------------
    def get(self, unit: Unit, options: Any) -> UnitResult | None:
        """The cached result of ``unit`` when every file it read is unchanged, else None."""
        if not self.enabled:
            return None
        if self._empty():
            self.misses += 1
            return None
        result: UnitResult | None = self._entry(self.keys(unit, options))
        return result

    def _empty(self) -> bool:
        """No entry in the folder (as listed at the first lookup)."""
        return not self._listing()

    def _listing(self) -> set[str]:
        if self._names is None:
            try:
                self._names = {name for name in os.listdir(self.directory) if name.endswith(self.suffix)}
            except OSError:
                self._names = set()
        return self._names

    def _entry(self, key: str) -> Any:
        """The object stored under ``key`` when its entry is valid and current (see
        :meth:`_read_valid`) and :meth:`_accepts` it, else None (a miss)."""
        name = key + self.suffix
        if name not in self._listing():
            self.misses += 1
            return None
        path = self.directory / name
        payload = self._read_valid(path, key)
        if payload is None:
            self.misses += 1
            return None
        try:
            value = pickle.loads(payload)
        except Exception:  # an entry written by a broken run: ignore, it will be rewritten
            value = None
        if value is None or not self._accepts(value):
            self.rejected += 1
            self.misses += 1
            return None
        self.hits += 1
        try:
            os.utime(path)  # least recently *used* entries are evicted first
        except OSError:
            pass
        return value

    def _accepts(self, value: Any) -> bool:
        """Whether an unpickled entry is of this cache (a subclass narrows it)."""
        return True

    def _read_valid(self, path: Path, key: str) -> bytes | None:
        data = read_trusted_file(path, self.directory)
        if data is None:  # not trusted (rejected), or gone (pruned by another run) or unreadable
            if os.path.lexists(path) and os.access(path, os.R_OK):
                self.rejected += 1
            return None
        magic = self.magic
        if not data.startswith(magic):
            self.rejected += 1
            return None
        end = data.find(b"\n", len(magic))
        try:
            header = json.loads(data[len(magic) : end])
            valid = end > 0 and isinstance(header, dict) and self._valid_header(header, key)
        except (ValueError, KeyError, TypeError):
            valid = False
        payload = data[end + 1 :] if end > 0 else b""
        if not valid or blake2b(payload, digest_size=16).hexdigest() != header.get("payload"):
            self.rejected += 1
            return None
        try:
            current = self._current(header)
        except (ValueError, TypeError):
            self.rejected += 1
            return None
        if not current:
            return None  # stale: a file changed; the entry is rewritten after loading
        self.recorded[key] = header["sources"]
        return payload

    def _valid_header(self, header: dict[str, Any], key: str) -> bool:
        return (header["format"] == FORMAT and header["version"] == __version__ and header["key"] == key
                and isinstance(header["sources"], list))

    def _current(self, header: dict[str, Any]) -> bool:
        """Every file the entry's unit read is as it was."""
        return all(digest_source(source) == digest for source, digest in header["sources"])

    # -- store ------------------------------------------------------------------------
    def digests(self, unit: Unit, options: Any) -> list[list[str]]:
        """Digests of the unit's own files (taken before loading it)."""
        return [[source, digest_source(source)] for source in _own_sources(unit, options)]

    def put(self, unit: Unit, options: Any, result: UnitResult | None, before: list[list[str]] | None = None,
            payload: bytes | None = None) -> None:
        """Store ``result``. ``before``: digests of the unit's own files taken before it
        was loaded (so an edit during loading cannot be recorded as the new content)."""
        if not self.enabled or result is None:
            return
        payload = masked_payload(result, payload)
        if payload is None:
            return  # not picklable, or a credential could not be masked: simply not cached
        sources = list(before) if before is not None else self.digests(unit, options)
        known = {source for source, _ in sources}
        for extra in getattr(result, "sources", None) or ():
            if extra not in known:
                known.add(extra)
                sources.append([extra, digest_source(extra)])
        key = self.keys(unit, options)
        header = {
            "format": FORMAT,
            "version": __version__,
            "key": key,
            "root": unit.root,
            "sources": sources,
            "payload": blake2b(payload, digest_size=16).hexdigest(),
        }
        data = MAGIC + json.dumps(header, separators=(",", ":")).encode() + b"\n" + payload
        self._write(self.directory / (key + self.suffix), data)
        self.recorded[key] = sources

    def remember(self, unit: Unit, options: Any, sources: list[list[str]] | None) -> None:
        """Digests of the files ``unit`` read, recorded by another process (a pool worker)."""
        if sources is not None:
            self.recorded[self.keys(unit, options)] = sources

    def sources(self, unit: Unit, options: Any) -> list[list[str]] | None:
        """The digests this process validated or wrote for ``unit`` (None: not cached)."""
        return self.recorded.get(self.keys(unit, options)) if self.enabled else None

    def _write(self, target: Path, data: bytes) -> bool:
        if write_atomic(target, data, prefix=".tmp-", suffix=self.suffix):
            self.writes += 1
            if self._names is not None:
                self._names.add(target.name)
            return True
        return False

    # -- maintenance ------------------------------------------------------------------
    def entries(self) -> list[os.DirEntry]:
        try:
            return [e for e in os.scandir(self.directory) if e.name.endswith(self.suffix) and e.is_file()]
        except OSError:
            return []

    def prune(self) -> int:
        """Remove least recently used entries until the folder is under the limit
        (and leftovers of interrupted writes). Returns how many files were removed."""
        removed = 0
        entries = []
        total = 0
        for entry in self.entries():
            try:
                stat = entry.stat()
            except OSError:
                continue
            if entry.name.startswith(".tmp-"):
                if stat.st_mtime < time.time() - 3600:  # an interrupted write, long ago
                    removed += unlink(entry.path)
                continue
            entries.append((stat.st_mtime, stat.st_size, entry.path))
            total += stat.st_size
        if total <= self.limit:
            return removed
        entries.sort()
        for _, size, path in entries:
            if total <= self.limit:
                break
            removed += unlink(path)
            total -= size
        return removed

    def finish(self) -> None:
        """End of a run: keep the folder bounded when this run wrote entries (a run
        that wrote a few only checks when the last check is more than a minute old:
        the language server writes one entry per save)."""
        if not (self.enabled and self.writes):
            return
        marker = self.directory / ".pruned"
        if self.writes < PRUNE_EVERY_WRITES:
            try:
                if time.time() - marker.stat().st_mtime < 60:
                    return
            except OSError:
                pass
        self.prune()
        try:
            marker.touch()
        except OSError:
            pass
