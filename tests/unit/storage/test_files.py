"""Certificate files on disk: modes (key 0400 from its first byte, directory 0700), atomic
replacement, rename and remove, and reconcile repairing whatever a crash left behind."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from certdesk.errors import StorageError
from certdesk.storage.files import TEMP_PREFIX, CertificateFiles, FileSet

CSR = b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"
KEY = b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
CRT = b"-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def files(tmp_path: Path) -> CertificateFiles:
    return CertificateFiles(tmp_path / "certificates")


@pytest.fixture
def open_umask_zero() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("open_umask_zero")
def test_write_creates_directory_0700_key_0400_others_0644(files: CertificateFiles) -> None:
    paths = files.write("web", csr_pem=CSR, key_pem=KEY, chain_pem=CRT)
    assert mode(files.directory) == 0o700
    assert (paths.csr.read_bytes(), paths.key.read_bytes(), paths.crt.read_bytes()) == (
        CSR,
        KEY,
        CRT,
    )
    assert mode(paths.key) == 0o400
    assert mode(paths.csr) == 0o644
    assert mode(paths.crt) == 0o644
    assert sorted(p.name for p in files.directory.iterdir()) == ["web.crt", "web.csr", "web.key"]


def test_key_file_is_0400_from_its_creation(
    files: CertificateFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file the key goes through is created by open() with mode 0400 and O_EXCL."""
    created: list[tuple[str, int, int]] = []
    real_open = os.open

    def recording_open(path: os.PathLike[str] | str, flags: int, mode: int = 0o777) -> int:
        if flags & os.O_CREAT:
            created.append((os.fspath(path), flags, mode))
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", recording_open)
    files.write("web", key_pem=KEY)
    monkeypatch.undo()
    assert len(created) == 1
    path, flags, create_mode = created[0]
    assert Path(path).parent == files.directory
    assert Path(path).name.startswith(TEMP_PREFIX)
    assert flags & os.O_EXCL
    assert create_mode == 0o400
    assert mode(files.paths("web").key) == 0o400


def test_rewrite_replaces_the_file_through_a_rename(files: CertificateFiles) -> None:
    paths = files.write("web", key_pem=KEY, chain_pem=CRT)
    before = paths.key.stat().st_ino
    new_key = KEY.replace(b"MIIE", b"MIIF")
    files.write("web", key_pem=new_key)
    assert paths.key.read_bytes() == new_key
    assert paths.key.stat().st_ino != before  # a new file renamed into place, not rewritten
    assert paths.crt.read_bytes() == CRT  # files not given are left alone
    assert not paths.csr.exists()


def test_failed_write_leaves_the_old_file_and_no_temp_file(
    files: CertificateFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = files.write("web", chain_pem=CRT)

    def failing_write(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", failing_write)
    with pytest.raises(StorageError, match="No space left on device"):
        files.write("web", chain_pem=b"new chain")
    monkeypatch.undo()
    assert paths.crt.read_bytes() == CRT
    assert [p.name for p in files.directory.iterdir()] == ["web.crt"]


def test_rename_moves_all_files_and_replaces_stale_ones(files: CertificateFiles) -> None:
    files.write("old", csr_pem=CSR, key_pem=KEY)
    files.write("new", chain_pem=b"stale chain")
    paths = files.rename("old", "new")
    assert paths.csr.read_bytes() == CSR
    assert paths.key.read_bytes() == KEY
    assert mode(paths.key) == 0o400
    assert not paths.crt.exists()  # "old" had no chain, so the stale one is gone
    assert sorted(p.name for p in files.directory.iterdir()) == ["new.csr", "new.key"]


def test_remove_is_idempotent(files: CertificateFiles) -> None:
    files.write("web", csr_pem=CSR, key_pem=KEY)
    files.write("other", csr_pem=CSR)
    files.remove("web")
    files.remove("web")
    files.remove("never-existed")
    assert [p.name for p in files.directory.iterdir()] == ["other.csr"]


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", "", "x" * 121, "dot.name", "spa ce"])
def test_names_that_are_not_file_names_are_refused(files: CertificateFiles, name: str) -> None:
    with pytest.raises(ValueError, match="cannot name certificate files"):
        files.write(name, csr_pem=CSR)
    with pytest.raises(ValueError):
        files.reconcile({name: FileSet(csr=CSR)})


@pytest.mark.usefixtures("open_umask_zero")
def test_reconcile_repairs_everything(files: CertificateFiles) -> None:
    files.write("kept", csr_pem=CSR, key_pem=KEY)
    files.write("changed", csr_pem=CSR, key_pem=KEY)
    files.write("loose", csr_pem=CSR, key_pem=KEY)
    files.write("stale", csr_pem=CSR, key_pem=KEY, chain_pem=CRT)
    d = files.directory
    (d / "changed.csr").chmod(0o644)
    (d / "changed.key").chmod(0o600)
    (d / "changed.key").write_bytes(b"tampered")
    (d / "loose.key").chmod(0o644)  # right content, wrong mode
    (d / f"{TEMP_PREFIX}abc.key").write_bytes(KEY)  # a crash mid-write
    (d / "README").write_text("not ours")
    (d / "notes.txt").write_text("not ours either")
    expected = {
        "kept": FileSet(csr=CSR, key=KEY),
        "changed": FileSet(csr=CSR, key=KEY),
        "loose": FileSet(csr=CSR, key=KEY),
        "missing": FileSet(csr=CSR, key=KEY, crt=CRT),
    }
    report = files.reconcile(expected)
    assert sorted(report.written) == sorted(
        ["changed.key", "loose.key", "missing.csr", "missing.key", "missing.crt"]
    )
    assert sorted(report.removed) == sorted(
        ["stale.csr", "stale.key", "stale.crt", f"{TEMP_PREFIX}abc.key"]
    )
    assert report.unchanged == 4  # kept.csr, kept.key, changed.csr, loose.csr
    assert report.changed
    assert sorted(p.name for p in d.iterdir()) == sorted(
        [
            "README",
            "notes.txt",
            "kept.csr",
            "kept.key",
            "changed.csr",
            "changed.key",
            "loose.csr",
            "loose.key",
            "missing.csr",
            "missing.key",
            "missing.crt",
        ]
    )
    for name in expected:
        assert mode(d / f"{name}.key") == 0o400
        assert (d / f"{name}.key").read_bytes() == KEY
    assert (d / "missing.crt").read_bytes() == CRT
    # A second pass finds nothing to do.
    again = files.reconcile(expected)
    assert not again.changed
    assert again.unchanged == 9


def test_reconcile_removes_a_file_the_database_says_should_not_exist(
    files: CertificateFiles,
) -> None:
    files.write("web", csr_pem=CSR, key_pem=KEY, chain_pem=CRT)
    report = files.reconcile({"web": FileSet(csr=CSR, key=KEY)})
    assert report.removed == ("web.crt",)
    assert not files.paths("web").crt.exists()


def test_reconcile_of_nothing_empties_certdesk_files_only(files: CertificateFiles) -> None:
    files.write("a", csr_pem=CSR)
    (files.directory / "keep.pem").write_bytes(CRT)
    report = files.reconcile({})
    assert report.removed == ("a.csr",)
    assert [p.name for p in files.directory.iterdir()] == ["keep.pem"]


def test_unwritable_directory_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the directory should be")
    files = CertificateFiles(blocker / "certificates")
    with pytest.raises(StorageError, match="certificates directory"):
        files.write("web", csr_pem=CSR)


def test_fileset_repr_hides_content() -> None:
    assert "PRIVATE" not in repr(FileSet(key=KEY))
