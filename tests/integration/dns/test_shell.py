"""shell against the real BIND9: a real script calling nsupdate, run as ``nobody`` with argv;
failures carry the script's stderr, a hung script is stopped at its timeout."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from certdesk.dns.base import TXTRecord
from certdesk.dns.shell import ShellAttributes, ShellAuthenticator
from certdesk.errors import DNSError
from tests.fixtures.bind import BindServer

pytestmark = pytest.mark.bind

HOOK = """#!/bin/sh
set -eu
action=$1 domain=$2 fqdn=$3 value=$4
id -un > "{dir}/last-user"
echo "$domain" > "{dir}/last-domain"
case "$action" in
  set) line="update add $fqdn 60 TXT \\"$value\\"" ;;
  unset) line="update delete $fqdn TXT \\"$value\\"" ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
printf 'server {host} {port}\\nzone {zone}\\n%s\\nsend\\n' "$line" | nsupdate -k "{dir}/tsig.key"
"""


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """A directory ``nobody`` may use (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="certdesk-shell-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _script(directory: Path, name: str, body: str, mode: int = 0o755) -> Path:
    path = directory / name
    path.write_text(body)
    path.chmod(mode)
    return path


@pytest.fixture
def hook(bind_server: BindServer, world_readable_dir: Path) -> Path:
    key = world_readable_dir / "tsig.key"
    key.write_text(
        f'key "{bind_server.tsig_name}" {{ algorithm {bind_server.tsig_algorithm}; '
        f'secret "{bind_server.tsig_secret}"; }};\n'
    )
    key.chmod(0o644)
    body = HOOK.format(
        dir=world_readable_dir, host=bind_server.host, port=bind_server.port, zone="certdesk.test"
    )
    return _script(world_readable_dir, "dns-hook", body)


def _record(domain: str) -> TXTRecord:
    return TXTRecord.for_domain(domain, secrets.token_urlsafe(32))


def test_script_sets_and_unsets_the_record_as_the_given_user(
    bind_server: BindServer, hook: Path
) -> None:
    attributes = ShellAuthenticator.validate_attributes({"script": str(hook), "user": "nobody"})
    auth = ShellAuthenticator(attributes)
    record = _record("shell.certdesk.test")

    auth.perform(record)
    assert record.value in bind_server.query_txt(record.fqdn)
    assert (hook.parent / "last-user").read_text().strip() == "nobody"
    assert (hook.parent / "last-domain").read_text().strip() == "shell.certdesk.test"

    auth.cleanup(record)
    assert record.value not in bind_server.query_txt(record.fqdn)


def test_arguments_are_never_interpreted_by_a_shell(world_readable_dir: Path) -> None:
    out = world_readable_dir / "argv"
    script = _script(
        world_readable_dir,
        "echo-args",
        f'#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > "{out}"\n',
    )
    auth = ShellAuthenticator(ShellAuthenticator.validate_attributes({"script": str(script)}))
    record = TXTRecord("a.test", "_acme-challenge.a.test.", "$(touch /tmp/pwned); `id`")

    auth.perform(record)

    assert out.read_text().splitlines() == [
        "set",
        "a.test",
        "_acme-challenge.a.test.",
        record.value,
    ]


def test_a_failing_script_reports_the_tail_of_its_stderr(world_readable_dir: Path) -> None:
    noise = "x" * 5000
    script = _script(
        world_readable_dir,
        "fails",
        f'#!/bin/sh\necho "{noise}" >&2\necho "zone example.test not found" >&2\nexit 3\n',
    )
    auth = ShellAuthenticator(ShellAuthenticator.validate_attributes({"script": str(script)}))

    with pytest.raises(DNSError) as caught:
        auth.perform(_record("fails.test"))

    message = caught.value.message
    assert "exit status 3" in message
    assert message.endswith("zone example.test not found")
    assert len(message) < 1300


def test_a_hung_script_is_stopped_at_its_timeout(world_readable_dir: Path) -> None:
    script = _script(world_readable_dir, "hangs", "#!/bin/sh\nexec sleep 30\n")
    attributes = ShellAttributes.model_construct(script=str(script), user="nobody", timeout=1)
    auth = ShellAuthenticator(attributes)

    with pytest.raises(DNSError, match="did not finish within 1 s"):
        auth.perform(_record("hangs.test"))


def test_validation_checks_the_script_and_the_user(world_readable_dir: Path) -> None:
    from certdesk.errors import InvalidInput

    not_executable = _script(world_readable_dir, "plain", "#!/bin/sh\n", mode=0o644)
    owner_only = _script(world_readable_dir, "owner-only", "#!/bin/sh\n", mode=0o700)

    def errors(data: dict[str, object]) -> dict[str, str]:
        with pytest.raises(InvalidInput) as caught:
            ShellAuthenticator.validate_attributes(data)
        return {e.field: e.message for e in caught.value.errors}

    assert (
        "does not exist"
        in errors({"script": str(world_readable_dir / "missing")})["attributes.script"]
    )
    assert "not a regular file" in errors({"script": str(world_readable_dir)})["attributes.script"]
    assert "chmod +x" in errors({"script": str(not_executable)})["attributes.script"]
    assert (
        "'nobody' user may not execute" in errors({"script": str(owner_only)})["attributes.script"]
    )
    both = errors({"script": str(world_readable_dir / "missing"), "user": "no-such-user-xyz"})
    assert both["attributes.user"] == "Unable to locate 'no-such-user-xyz' user."
    assert "does not exist" in both["attributes.script"]
    assert "absolute path" in errors({"script": "relative/hook"})["attributes.script"]
    assert (
        "greater than or equal to 5"
        in errors({"script": str(owner_only), "timeout": 1})["attributes.timeout"]
    )
    root = pwd.getpwuid(os.geteuid()).pw_name
    ok = ShellAuthenticator.validate_attributes({"script": str(owner_only), "user": root})
    assert isinstance(ok, ShellAttributes)
    assert stat.S_IMODE(owner_only.stat().st_mode) == 0o700
