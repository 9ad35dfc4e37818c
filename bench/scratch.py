"""Where the benchmarks keep their temporary data directories.

Next to certdesk's default data directory (``platformdirs``' user data directory), not in
``/tmp``: on a machine that runs test suites, ``/tmp`` sits in ext4 block groups full of recently
deleted inodes, and creating a file there was measured at 0.5-0.6 ms instead of 0.015 ms (the
kernel scans past each recently deleted inode before it reuses one). certdesk writes two files
per CSR, so the figures would measure the test suite's clean-up rather than certdesk.
``--work-dir`` picks another place, ``/tmp`` included.

The same happens for a few minutes after any mass deletion next to the work directory (a
previous run's clean-up included) on a file system without a journal, as here: each benchmark
prints what creating a file costs before it starts (``file_creation_ms``), so such a run shows.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
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


def file_creation_ms(directory: Path, files: int = 50) -> float:
    """The median time, in ms, to create an empty file in ``directory`` (the files are left there,
    since deleting them would slow down the next creations)."""
    probe = directory / "file-creation-probe"
    probe.mkdir()
    times = []
    for i in range(files):
        start = time.perf_counter()
        os.close(os.open(probe / f"{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000
