"""Unpack an LMS zip download safely: notebooks only, nothing outside the target, no links.

Every member that is not unpacked for a reason worth knowing (a link, a device, a path that
escapes, a bad CRC, an unsupported compression) is reported by name; one bad member never
stops the others. A member whose name is flagged UTF-8 but is not (which makes ``zipfile``
refuse the whole archive) is read with its raw bytes, kept as an undecodable file name.
"""

from __future__ import annotations

import os
import shutil
import stat
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

MAX_NOTEBOOK_BYTES = 64 << 20
MAX_ZIP_BYTES = 4 << 30
MAX_ZIP_FILES = 50_000
IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store"}
_UTF8_FLAG = 0x800
_KINDS = {stat.S_IFLNK: "a symbolic link", stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a device",
          stat.S_IFBLK: "a device", stat.S_IFSOCK: "a socket"}


def file_kind(mode: int) -> str | None:
    """Why a file of this mode is not graded ("a symbolic link, not a regular file", ...);
    ``None`` for a regular file or a folder (a zip member's mode may also be 0: unknown)."""
    kind = stat.S_IFMT(mode)
    if kind in (0, stat.S_IFREG, stat.S_IFDIR):
        return None
    return _KINDS.get(kind, "an unknown kind of file") + ", not a regular file"


class ZipTooLarge(ValueError):
    """An archive with more members or more bytes than the grader unpacks."""


def extract_zip(archive: Path, target: Path, skipped: dict[str, str] | None = None) -> Path:
    """Extract the notebooks of a zip, refusing absolute paths, ``..``, links and zip bombs.

    Other files only leave their folders behind (so a learner's folder without a notebook is
    still reported); a notebook is cut at ``MAX_NOTEBOOK_BYTES + 1`` bytes (it is then
    reported as too large). ``skipped`` receives ``{member name: why}`` for every member
    that was refused or could not be written.
    """
    skipped = {} if skipped is None else skipped
    target.mkdir(parents=True, exist_ok=True)
    total = 0
    with _open(archive) as (zipped, raw_names):
        members = zipped.infolist()
        if len(members) > MAX_ZIP_FILES:
            raise ZipTooLarge(f"{archive.name} holds more than {MAX_ZIP_FILES} files")
        for info in members:
            name = raw_names.get(info.orig_filename, info.filename)
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if info.is_dir() or not parts or IGNORED_PARTS & set(parts):
                continue
            if parts[0] == "/" or ".." in parts:
                skipped[name] = "a path outside the submissions (absolute or with ..)"
                continue
            kind = file_kind(info.external_attr >> 16)
            if kind:
                skipped[name] = kind
                continue
            destination, created = target.joinpath(*parts), False
            try:
                destination.parent.mkdir(parents=True, exist_ok=True)
                if not parts[-1].endswith(".ipynb"):
                    continue
                size = min(info.file_size, MAX_NOTEBOOK_BYTES + 1)
                total += size
                if total > MAX_ZIP_BYTES:
                    raise ZipTooLarge(
                        f"{archive.name} unpacks to more than {MAX_ZIP_BYTES >> 30} GB")
                with zipped.open(info) as source, open(destination, "xb") as sink:
                    created = True
                    shutil.copyfileobj(_Limited(source, size), sink)
            except ZipTooLarge:
                raise
            except (OSError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError,
                    EOFError, ValueError) as error:  # a clash, a password, a bad CRC, ...
                skipped[name] = f"could not be unpacked: {type(error).__name__}: {error}"[:300]
                if created:
                    destination.unlink()
    return target


class _open:
    """``zipfile.ZipFile`` that survives member names flagged UTF-8 that are not UTF-8.

    Yields the archive and ``{name as zipfile decoded it: name with the raw bytes}`` for the
    members whose flag had to be cleared to read them (their bytes read as cp437 by zipfile).
    """

    def __init__(self, archive: Path) -> None:
        self.archive, self.handle, self.zipped = archive, None, None

    def __enter__(self) -> tuple[zipfile.ZipFile, dict[str, str]]:
        try:
            self.zipped = zipfile.ZipFile(self.archive)
            return self.zipped, {}
        except UnicodeDecodeError:
            pass
        self.handle = open(self.archive, "rb")
        patches, names = _bad_utf8_members(self.handle)
        self.zipped = zipfile.ZipFile(_Patched(self.handle, patches))
        return self.zipped, names

    def __exit__(self, *exc: Any) -> None:
        if self.zipped is not None:
            self.zipped.close()
        if self.handle is not None:
            self.handle.close()


def _bad_utf8_members(handle: Any) -> tuple[dict[int, bytes], dict[str, str]]:
    """Where the UTF-8 flags of wrongly flagged members are (central directory and local
    headers), with the flag cleared, and their names as zipfile and as the disk will see them.

    Reads the central directory with zipfile's own record layout (``zipfile._EndRecData``).
    """
    end = zipfile._EndRecData(handle)
    if end is None:
        raise zipfile.BadZipFile("File is not a zip file")
    size, offset = end[zipfile._ECD_SIZE], end[zipfile._ECD_OFFSET]
    concat = end[zipfile._ECD_LOCATION] - size - offset
    if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:
        concat -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
    handle.seek(offset + concat)
    directory = handle.read(size)
    patches: dict[int, bytes] = {}
    names: dict[str, str] = {}
    position = 0
    while position + zipfile.sizeCentralDir <= len(directory):
        fields = struct.unpack(zipfile.structCentralDir,
                               directory[position: position + zipfile.sizeCentralDir])
        if fields[zipfile._CD_SIGNATURE] != zipfile.stringCentralDir:
            break
        flags = fields[zipfile._CD_FLAG_BITS]
        start = position + zipfile.sizeCentralDir
        raw = directory[start: start + fields[zipfile._CD_FILENAME_LENGTH]]
        if flags & _UTF8_FLAG:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                cleared = struct.pack("<H", flags & ~_UTF8_FLAG)
                patches[offset + concat + position + 8] = cleared
                local = fields[zipfile._CD_LOCAL_HEADER_OFFSET]
                if local != 0xFFFFFFFF:  # else in a zip64 field: that member fails alone
                    patches[local + concat + 6] = cleared
                names[raw.decode("cp437")] = os.fsdecode(raw)
        position = start + sum(fields[zipfile._CD_FILENAME_LENGTH: zipfile._CD_COMMENT_LENGTH + 1])
    return patches, names


class _Patched:
    """A read-only file whose bytes at a few offsets are replaced as they are read."""

    def __init__(self, handle: Any, patches: dict[int, bytes]) -> None:
        self.handle, self.patches = handle, patches

    def read(self, size: int = -1) -> bytes:
        start = self.handle.tell()
        data = self.handle.read(size)
        for at, value in self.patches.items():
            if start <= at and at + len(value) <= start + len(data):
                data = data[: at - start] + value + data[at - start + len(value):]
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.handle.seek(offset, whence)

    def tell(self) -> int:
        return self.handle.tell()

    def seekable(self) -> bool:
        return True


class _Limited:
    """Reads at most ``limit`` bytes: a zip entry cannot lie about its size."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream, self.left = stream, limit

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        size = self.left if size < 0 else min(size, self.left)
        data = self.stream.read(size)
        self.left -= len(data)
        return data
