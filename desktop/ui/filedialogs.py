"""Where file dialogs start: a removable drive (USB stick) when one is plugged in and the file is
meant to travel, otherwise the user's Documents folder — never the program's own folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Where Linux and macOS mount USB sticks ({user}: the login name); a test points this at its own folder.
MOUNT_ROOTS = ("/media/{user}", "/run/media/{user}", "/Volumes")


def removable_drives() -> list[Path]:
    """Mounted removable drives (USB sticks), best guess per platform; empty when none."""
    found: list[Path] = []
    if sys.platform == "win32":
        import ctypes
        import string

        kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
        mask = kernel.GetLogicalDrives()
        for i, letter in enumerate(string.ascii_uppercase):
            if mask & (1 << i) and letter not in "AB":
                root = f"{letter}:\\"
                if kernel.GetDriveTypeW(ctypes.c_wchar_p(root)) == 2:  # DRIVE_REMOVABLE
                    found.append(Path(root))
        return found
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or ""
    for base in (Path(root.format(user=user)) for root in MOUNT_ROOTS):
        try:
            if base.is_dir():
                found += [p for p in sorted(base.iterdir()) if p.is_dir() and os.access(p, os.W_OK)
                          and p.name != "Macintosh HD"]
        except OSError:
            continue
    return found


def documents_dir() -> Path:
    from PySide6.QtCore import QStandardPaths

    d = QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation)
    if d and Path(d).is_dir():
        return Path(d)
    return Path.home()


def start_dir(*, removable: bool = False) -> Path:
    """The folder a file dialog opens in: the last one used, else a USB stick (when `removable`), else Documents."""
    from PySide6.QtCore import QSettings

    last = QSettings().value("files/last_dir")
    if last and Path(str(last)).is_dir():
        return Path(str(last))
    if removable:
        drives = removable_drives()
        if drives:
            return drives[0]
    return documents_dir()


def remember(path: str | os.PathLike) -> None:
    """Remember the folder of a chosen file for the next dialog."""
    from PySide6.QtCore import QSettings

    p = Path(path)
    QSettings().setValue("files/last_dir", str(p if p.is_dir() else p.parent))


def save_path(parent, title: str, name: str, filter_text: str, *, removable: bool = False) -> str:
    """Ask where to save `name`; '' when cancelled."""
    from PySide6.QtWidgets import QFileDialog

    path, _ = QFileDialog.getSaveFileName(parent, title, str(start_dir(removable=removable) / name), filter_text)
    if path:
        remember(path)
    return path


def open_path(parent, title: str, filter_text: str, *, removable: bool = False) -> str:
    from PySide6.QtWidgets import QFileDialog

    path, _ = QFileDialog.getOpenFileName(parent, title, str(start_dir(removable=removable)), filter_text)
    if path:
        remember(path)
    return path


def open_paths(parent, title: str, filter_text: str, *, removable: bool = False) -> list[str]:
    from PySide6.QtWidgets import QFileDialog

    paths, _ = QFileDialog.getOpenFileNames(parent, title, str(start_dir(removable=removable)), filter_text)
    if paths:
        remember(paths[0])
    return paths


def folder_path(parent, title: str, *, removable: bool = False) -> str:
    from PySide6.QtWidgets import QFileDialog

    path = QFileDialog.getExistingDirectory(parent, title, str(start_dir(removable=removable)))
    if path:
        remember(path)
    return path
