"""Where the benchmarks keep their temporary data directories.

Next to certdesk's default data directory (``platformdirs``' user data directory), not in
``/tmp``: on a machine that runs test suites, ``/tmp`` sits in ext4 block groups full of recently
deleted inodes, and creating a file there was measured at 0.5-0.6 ms instead of 0.015 ms (the
kernel scans past each recently deleted inode before it reuses one). certdesk writes two files
per CSR, so the figures would measure the test suite's clean-up rather than certdesk.
``--work-dir`` picks another place, ``/tmp`` included.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import platformdirs


def default_work_dir() -> Path:
    """The parent of certdesk's default data directory (e.g. ``~/.local/share``)."""
    return Path(platformdirs.user_data_dir("certdesk", appauthor=False)).parent


def scratch_dir(work_dir: Path | None) -> tempfile.TemporaryDirectory[str]:
    """A temporary directory under ``work_dir`` (created if needed), removed when done."""
    parent = work_dir or default_work_dir()
    parent.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix="certdesk-bench-", dir=parent)
