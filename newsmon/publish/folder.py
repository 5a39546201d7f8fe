"""The output folder must be newsmon's: checked (by writing) before a crawl, or nothing runs.

Publishing replaces files in the output folder and `serve` offers it to the network, so a
mistyped NEWSMON_OUTPUT_DIR must not turn into feeds written over `/` or a server of `/etc`.
The folder is newsmon's when everything in it is newsmon's own (the files of
`newsmon.publish.paths`, its feed folders), a dot-file such as `.gitkeep`, or a folder that
is itself newsmon's: it holds the marker file newsmon writes in every output folder
(`.newsmon`), as `output/demo` does inside `output/`. A new or empty folder is newsmon's. Never the
filesystem root, and never under the system folders below. Anything else is refused in one
line and left untouched.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from newsmon.config import NewsmonConfigError, probe_writable
from newsmon.publish.paths import published_file, published_folder

# What newsmon leaves in every output folder it publishes to: it tells the next run (and a
# parent output folder) that the folder is newsmon's.
MARKER = ".newsmon"
MARKER_TEXT = "This folder holds feeds published by newsmon. newsmon may replace any file here.\n"
# The marker's line naming the site whose feeds the folder holds (NEWSMON_BASE_URL).
SITE_LINE = "site: "
# Folders of the system, never an output folder (nor anything below them).
SYSTEM_FOLDERS = tuple(
    Path(p) for p in ("/proc", "/sys", "/dev", "/etc", "/usr", "/bin", "/sbin", "/lib", "/boot")
)


def refuse_system_folder(path: Path, setting: str = "NEWSMON_OUTPUT_DIR") -> Path:
    """Refuse the filesystem root and system folders (NewsmonConfigError); return the real path.

    Checked by `serve` too, which only reads the folder.
    """
    resolved = Path(os.path.realpath(path))
    if resolved == Path(resolved.anchor):
        raise NewsmonConfigError(f"{setting}: {path} is the filesystem root; choose a folder")
    for system in SYSTEM_FOLDERS:
        if resolved == system or system in resolved.parents:
            raise NewsmonConfigError(
                f"{setting}: {path} is under the system folder {system}; choose another folder"
            )
    return resolved


def check_output_folder(
    path: Path, setting: str = "NEWSMON_OUTPUT_DIR", *, site: str | None = None
) -> Path:
    """Make sure `path` may be newsmon's output folder, create it and mark it; else refuse.

    Raise NewsmonConfigError (one line) for a system folder, a folder holding files that are
    not newsmon's, a folder holding another site's feeds (its marker names the site, as the
    state file does), or a folder newsmon cannot write (tried by writing). Return the path.
    """
    resolved = refuse_system_folder(path, setting)
    marked_for = marker_site(resolved)
    if site is not None and marked_for is not None and marked_for != site:
        raise NewsmonConfigError(
            f"{setting}: {path} holds the feeds of {marked_for}, not of {site} "
            f"(NEWSMON_BASE_URL): use another {setting} for {site}"
        )
    if resolved.exists() and not resolved.is_dir():
        raise NewsmonConfigError(f"{setting}: {path} is a file, not a folder")
    if resolved.is_dir():
        stranger = _first_stranger(resolved)
        if stranger is not None:
            raise NewsmonConfigError(
                f"{setting}: {path} holds files that are not newsmon's ({stranger!r}); "
                "choose an empty folder or one newsmon made"
            )
    try:
        resolved.mkdir(parents=True, exist_ok=True)
        probe_writable(resolved)
        if not (resolved / MARKER).is_file() or (site is not None and marked_for is None):
            named = f"{SITE_LINE}{site}\n" if site is not None else ""
            (resolved / MARKER).write_text(MARKER_TEXT + named, encoding="utf-8")
    except OSError as error:
        reason = error.strerror or str(error)
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason = f"cannot write there ({reason})"
        raise NewsmonConfigError(f"{setting}: {path}: {reason}") from error
    return path


def is_newsmon_folder(path: Path) -> bool:
    """Tell whether a folder holds newsmon's marker."""
    return (path / MARKER).is_file()


def marker_site(path: Path) -> str | None:
    """The site whose feeds a folder holds, as its marker says; None if it says none."""
    try:
        text = (path / MARKER).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(SITE_LINE):
            return line[len(SITE_LINE) :].strip() or None
    return None


def _first_stranger(folder: Path) -> str | None:
    """The name of the first entry of the folder that is not newsmon's, or None."""
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        name = entry.name
        # A dot-file (not a dot-folder: .ssh, .git), or anything under one of newsmon's names
        # (publishing replaces it atomically, a link included, never what a link points to).
        dot_file = name.startswith(".") and not entry.is_dir(follow_symlinks=False)
        if dot_file or published_file(name):
            continue
        if entry.is_dir(follow_symlinks=False):
            if published_folder(name):
                inner = _first_stranger_in_feed_folder(Path(entry.path), name)
                if inner is not None:
                    return inner
                continue
            if is_newsmon_folder(Path(entry.path)):
                continue
            return name + "/"
        return name
    return None


def _first_stranger_in_feed_folder(folder: Path, name: str) -> str | None:
    """The first entry of a feed folder (tags/, authors/, filters/) that is not a feed."""
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith(".") and not entry.is_dir(follow_symlinks=False):
            continue
        relative = f"{name}/{entry.name}"
        if not published_file(relative):
            return relative
    return None
