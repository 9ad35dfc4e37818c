"""``certdesk user`` / ``certdesk token`` / ``certdesk serve`` end to end: passwords from stdin,
tokens shown once and revocable, and a real ``certdesk serve`` process that says how to create the
first user and never lets anyone in without one."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from certdesk.cli.main import main
from certdesk.errors import AuthError
from certdesk.services import auth
from certdesk.services.context import AppContext
from certdesk.settings import Settings
from tests.fixtures._process import free_port, wait_until


@pytest.fixture
def data_dir(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    if db_url.startswith("postgresql"):
        monkeypatch.setenv("CERTDESK_DATABASE_URL", db_url)
    else:
        monkeypatch.delenv("CERTDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("CERTDESK_SECRET_KEYS", raising=False)
    return tmp_path / "data"


def run(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_users_and_tokens(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def cli(*args: str, stdin: str = "") -> tuple[int, str, str]:
        return run(data_dir, capsys, monkeypatch, *args, stdin=stdin)

    code, out, err = cli("token", "create", "early")
    assert code == 2 and "certdesk user add" in err

    code, out, err = cli("user", "add", "alice", "--password-stdin", stdin="first password\n")
    assert code == 0, err
    assert "added" in out
    code, out, err = cli("user", "add", "alice", "--password-stdin", stdin="second password\n")
    assert code == 0 and "reset" in out
    code, out, err = cli("user", "add", "bob", "--password-stdin", stdin="short\n")
    assert code == 2 and "password" in err and "8" in err
    code, out, err = cli("user", "add", "bob")
    assert code == 2 and "--password-stdin" in err

    code, out, err = cli("token", "create", "backup")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("cdt_") and "shown only now" in err
    code, out, err = cli("--json", "token", "list")
    assert code == 0, err
    listed = json.loads(out)
    assert [(t["name"], t["username"], t["revoked_at"]) for t in listed] == [
        ("backup", "alice", None)
    ]
    assert token not in out and listed[0]["prefix"] == token[4:12]

    ctx = AppContext.open(Settings.from_env().with_overrides(data_dir=data_dir))
    try:
        assert auth.authenticate_token(ctx, token).username == "alice"
        login = auth.login(ctx, "alice", "second password", "test")
        assert auth.session_user(ctx, login.token).username == "alice"
        with pytest.raises(AuthError):
            auth.login(ctx, "alice", "first password", "test")

        code, out, err = cli("token", "revoke", str(listed[0]["id"]))
        assert code == 0 and "revoked" in out
        with pytest.raises(AuthError):
            auth.authenticate_token(ctx, token)
    finally:
        ctx.close()
    assert cli("token", "revoke", "4242")[0] == 3

    code, out, err = cli("user", "add", "bob", "--password-stdin", stdin="bob's password")
    assert code == 0
    code, out, err = cli("token", "create", "which")
    assert code == 2 and "--user" in err
    code, out, err = cli("token", "create", "bobs", "--user", "bob")
    assert code == 0 and out.startswith("cdt_")
    assert cli("token", "create", "ghost", "--user", "nobody")[0] == 3


def test_serve_without_a_user_says_how_to_create_one(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTDESK_")}
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "certdesk.cli.main",
                "--data-dir",
                str(tmp_path / "d"),
                "serve",
                "--port",
                str(port),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        wait_until(
            lambda: httpx.get(base + "/health").status_code == 200,
            what="certdesk serve",
            timeout=60,
        )
        assert "certdesk user add" in log.read_text()
        # Nothing but health and login answers: there is no open admin.
        assert httpx.get(base + "/csrs").status_code == 401
        login = httpx.post(base + "/auth/login", json={"username": "admin", "password": "admin"})
        assert login.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=30)
