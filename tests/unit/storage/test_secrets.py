"""SecretBox and the key file: encryption round trips, wrong and invalid keys, key file creation
(0600, atomic, never overwritten), keys from the environment, and re-reading a rotated key file."""

from __future__ import annotations

import multiprocessing
import os
import stat
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from certdesk.errors import StorageError
from certdesk.settings import Settings
from certdesk.storage.db import Database
from certdesk.storage.secrets import (
    KEY_FILE_NAME,
    SecretBox,
    generate_key,
    load_secret_box,
    read_key_file,
    rotate_secrets,
)


def test_round_trip_bytes_and_json() -> None:
    box = SecretBox([generate_key()], source="test")
    token = box.encrypt(b"\x00secret\xff")
    assert b"secret" not in token.encode()
    assert box.decrypt(token) == b"\x00secret\xff"
    doc = {"key_secret": "s3cr3t", "port": 53, "nested": [1, None, True]}
    sealed = box.encrypt_json(doc)
    assert "s3cr3t" not in sealed
    assert box.decrypt_json(sealed) == doc


def test_first_key_encrypts_all_keys_decrypt() -> None:
    old, new = generate_key(), generate_key()
    old_token = SecretBox([old], source="test").encrypt(b"old")
    both = SecretBox([new, old], source="test")
    assert both.decrypt(old_token) == b"old"
    fresh = both.encrypt(b"fresh")
    assert Fernet(new).decrypt(fresh.encode()) == b"fresh"
    rotated = both.rotate(old_token)
    assert Fernet(new).decrypt(rotated.encode()) == b"old"


def test_wrong_key_is_a_storage_error_naming_the_source_without_the_key() -> None:
    token = SecretBox([generate_key()], source="test").encrypt(b"x")
    other_key = generate_key()
    box = SecretBox([other_key], source="the environment variable CERTDESK_SECRET_KEYS")
    with pytest.raises(StorageError) as caught:
        box.decrypt(token)
    message = caught.value.message
    assert "CERTDESK_SECRET_KEYS" in message
    assert "wrong or missing" in message
    assert other_key not in message
    with pytest.raises(StorageError):
        box.rotate(token)


def test_garbage_token_is_a_storage_error() -> None:
    box = SecretBox([generate_key()], source="test")
    for token in ("", "not-a-token", "é"):
        with pytest.raises(StorageError):
            box.decrypt(token)


def test_decrypt_json_of_non_json_is_a_storage_error() -> None:
    box = SecretBox([generate_key()], source="test")
    with pytest.raises(StorageError, match="JSON"):
        box.decrypt_json(box.encrypt(b"\xff not json"))


@pytest.mark.parametrize("bad", ["short", "x" * 44, ""])
def test_invalid_key_names_its_position_not_its_value(bad: str) -> None:
    with pytest.raises(StorageError) as caught:
        SecretBox([generate_key(), bad], source="the key file /k")
    assert "number 2" in caught.value.message
    assert "/k" in caught.value.message
    if bad:
        assert bad not in caught.value.message


def test_no_keys_refused() -> None:
    with pytest.raises(StorageError, match="No encryption key"):
        SecretBox([], source="test")


def test_key_file_created_0600_in_a_new_0700_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    old_umask = os.umask(0)
    try:
        box = load_secret_box(settings)
    finally:
        os.umask(old_umask)
    path = tmp_path / "data" / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    keys = read_key_file(path)
    assert len(keys) == 1
    Fernet(keys[0])  # a valid key
    assert box.key_count == 1
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE_NAME]  # no temp file left
    # Loading again reuses the file: tokens from the first box still open.
    token = box.encrypt(b"payload")
    assert load_secret_box(settings).decrypt(token) == b"payload"
    assert read_key_file(path) == keys


def test_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE_NAME
    key = generate_key()
    path.write_text(f"# certdesk keys\n\n{key}\n")
    path.chmod(0o600)
    box = load_secret_box(Settings(data_dir=tmp_path))
    assert read_key_file(path) == (key,)
    assert Fernet(key).decrypt(box.encrypt(b"a").encode()) == b"a"


def test_group_readable_key_file_refused(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE_NAME
    path.write_text(generate_key() + "\n")
    path.chmod(0o640)
    with pytest.raises(StorageError, match="chmod 600"):
        load_secret_box(Settings(data_dir=tmp_path))


def test_empty_key_file_refused(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE_NAME
    path.write_text("\n# nothing\n")
    path.chmod(0o600)
    with pytest.raises(StorageError, match="holds no key"):
        load_secret_box(Settings(data_dir=tmp_path))


def test_keys_from_the_environment_win_over_the_key_file(tmp_path: Path) -> None:
    env_key = generate_key()
    settings = Settings.from_env(
        {"CERTDESK_DATA_DIR": str(tmp_path), "CERTDESK_SECRET_KEYS": f" {env_key} ,"}
    )
    box = load_secret_box(settings)
    assert not (tmp_path / KEY_FILE_NAME).exists()
    assert Fernet(env_key).decrypt(box.encrypt(b"e").encode()) == b"e"
    assert "CERTDESK_SECRET_KEYS" in box.source


def test_box_rereads_a_rotated_key_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    running = load_secret_box(settings)  # e.g. the server, started before the rotation
    path = tmp_path / KEY_FILE_NAME
    old_keys = read_key_file(path)
    new_key = generate_key()
    path.write_text("\n".join((new_key, *old_keys)) + "\n")
    token = Fernet(new_key).encrypt(b"after rotation").decode()
    assert running.decrypt(token) == b"after rotation"
    assert running.key_count == 2


def test_unwritable_data_dir_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match="key file"):
        load_secret_box(Settings(data_dir=blocker / "data"))


def test_box_encrypts_under_the_new_first_key_after_a_rotation(tmp_path: Path) -> None:
    running = load_secret_box(Settings(data_dir=tmp_path))
    path = tmp_path / KEY_FILE_NAME
    old_keys = read_key_file(path)
    new_key = generate_key()
    tmp = tmp_path / "new.key"
    tmp.write_text("\n".join((new_key, *old_keys)) + "\n")
    tmp.chmod(0o600)
    os.replace(tmp, path)  # as rotate_secrets writes it
    token = running.encrypt(b"written after the rotation")
    assert Fernet(new_key).decrypt(token.encode()) == b"written after the rotation"


def test_garbage_token_after_a_key_file_change_is_still_a_storage_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    box = load_secret_box(settings)
    path = tmp_path / KEY_FILE_NAME
    path.write_text("\n".join((generate_key(), *read_key_file(path))) + "\n")
    with pytest.raises(StorageError, match="wrong or missing"):
        box.decrypt("é")


def _first_use(data_dir: Path, barrier: Barrier, tokens: Queue[str]) -> None:
    barrier.wait(timeout=60)
    tokens.put(load_secret_box(Settings(data_dir=data_dir)).encrypt(b"from a racing process"))


def test_processes_racing_to_create_the_key_file_share_one_key(tmp_path: Path) -> None:
    """The first process to link its key file in wins; the others read that file, never
    replace it, so every token made by any of them opens with the file's key."""
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(4)
    tokens: Queue[str] = spawn.Queue()
    data_dir = tmp_path / "data"
    processes = [
        spawn.Process(target=_first_use, args=(data_dir, barrier, tokens)) for _ in range(4)
    ]
    for process in processes:
        process.start()
    made = [tokens.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    keys = read_key_file(data_dir / KEY_FILE_NAME)
    assert len(keys) == 1
    box = SecretBox(keys, source="test")
    assert [box.decrypt(token) for token in made] == [b"from a racing process"] * 4
    assert [p.name for p in data_dir.iterdir()] == [KEY_FILE_NAME]


def test_rotation_keeps_the_key_files_owner(tmp_path: Path) -> None:
    """Root rotating for a server that runs as another user leaves that user a readable file."""
    if os.geteuid() != 0:
        pytest.fail("this test checks a root-only behaviour; run the suite as root (CI does)")
    settings = Settings(data_dir=tmp_path)
    load_secret_box(settings)
    path = tmp_path / KEY_FILE_NAME
    os.chown(path, 4242, 4343)
    db = Database(settings)
    try:
        db.upgrade()
        rotate_secrets(db, settings)
    finally:
        db.dispose()
    info = path.stat()
    assert (info.st_uid, info.st_gid) == (4242, 4343)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert len(read_key_file(path)) == 2
