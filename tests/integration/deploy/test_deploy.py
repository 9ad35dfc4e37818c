"""Deploy targets with real files and real programs: the directory gets the files atomically with
owner and modes, the command runs with argv and variables naming the files, failures and
timeouts are recorded with the stderr tail, and bad targets are refused with every field path."""

from __future__ import annotations

import datetime
import os
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certdesk.errors import InvalidInput
from certdesk.services.deploy import (
    CommandTarget,
    DeployTargets,
    DirectoryTarget,
    deploy,
    validate_targets,
)


def _cert(
    subject: str, issuer: str, key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=6))
        .sign(signer, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def pems() -> tuple[bytes, bytes, bytes, bytes]:
    """(full chain, key, leaf, intermediate) PEMs."""
    ca_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    intermediate = _cert("Test Intermediate", "Test Root", ca_key, ca_key)
    leaf = _cert("web.example.com", "Test Intermediate", leaf_key, ca_key)
    leaf_pem = leaf.public_bytes(serialization.Encoding.PEM)
    inter_pem = intermediate.public_bytes(serialization.Encoding.PEM)
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return leaf_pem + inter_pem, key_pem, leaf_pem, inter_pem


def script(tmp_path: Path, body: str, name: str = "hook.sh") -> Path:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_directory_target_writes_files_with_modes_and_owner(
    tmp_path: Path, pems: tuple[bytes, ...]
) -> None:
    chain, key, _leaf, inter = pems
    target_dir = tmp_path / "nginx" / "tls"  # created, parents too
    targets = DeployTargets(
        directory=DirectoryTarget(
            path=str(target_dir),
            chain_name="chain.pem",
            owner="nobody",
            group="nogroup",
            cert_mode=0o640,
            key_mode=0o400,
        )
    )
    result = deploy("web", chain, key, targets, tmp_path / "files")
    assert result.ok, result
    (step,) = result.steps
    assert step.name == "directory" and step.seconds >= 0
    assert (target_dir / "fullchain.pem").read_bytes() == chain
    assert (target_dir / "privkey.pem").read_bytes() == key
    assert (target_dir / "chain.pem").read_bytes() == inter
    assert mode(target_dir / "fullchain.pem") == 0o640
    assert mode(target_dir / "chain.pem") == 0o640
    assert mode(target_dir / "privkey.pem") == 0o400
    for name in ("fullchain.pem", "privkey.pem", "chain.pem"):
        st = (target_dir / name).stat()
        assert (st.st_uid, st.st_gid) == (65534, 65534)
    assert sorted(p.name for p in target_dir.iterdir()) == [
        "chain.pem",
        "fullchain.pem",
        "privkey.pem",
    ]
    # openssl agrees that the chain file holds the intermediate only and the key matches
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-subject", "-in", str(target_dir / "chain.pem")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Test Intermediate" in out.stdout


def test_redeploy_replaces_files_atomically(tmp_path: Path, pems: tuple[bytes, ...]) -> None:
    chain, key, _, _ = pems
    target_dir = tmp_path / "out"
    target_dir.mkdir()
    old = target_dir / "fullchain.pem"
    old.write_bytes(b"old")
    inode = old.stat().st_ino
    (target_dir / "keep.txt").write_text("other file")
    targets = DeployTargets(
        directory=DirectoryTarget(path=str(target_dir), cert_name="fullchain.pem")
    )
    assert deploy("web", chain, key, targets, tmp_path).ok
    assert old.read_bytes() == chain
    assert old.stat().st_ino != inode  # renamed over, not rewritten in place
    assert mode(target_dir / "privkey.pem") == 0o600 and mode(old) == 0o644
    assert sorted(p.name for p in target_dir.iterdir()) == [
        "fullchain.pem",
        "keep.txt",
        "privkey.pem",
    ]


def test_command_runs_with_argv_and_variables_naming_the_files(
    tmp_path: Path, pems: tuple[bytes, ...]
) -> None:
    chain, key, _, _ = pems
    record = tmp_path / "record.txt"
    hook = script(
        tmp_path,
        'for a in "$@"; do echo "arg=$a"; done > "$OUT"\n'
        'echo "name=$CERTDESK_CERT_NAME" >> "$OUT"\n'
        'echo "fullchain=$CERTDESK_FULLCHAIN" >> "$OUT"\n'
        'echo "key=$CERTDESK_KEY" >> "$OUT"\n'
        'echo "chain=${CERTDESK_CHAIN-unset}" >> "$OUT"\n'
        'cmp -s "$CERTDESK_FULLCHAIN" "$EXPECT" && echo same >> "$OUT"\n'
        "echo reloaded\n",
    )
    expect = tmp_path / "expect.pem"
    expect.write_bytes(chain)
    files_dir = tmp_path / "files"
    files_dir.mkdir()
    (files_dir / "web.crt").write_bytes(chain)
    targets = DeployTargets(
        command=CommandTarget(
            argv=[str(hook), "two words", "$HOME; rm -rf /"],
            env={"OUT": str(record), "EXPECT": str(expect)},
        )
    )
    result = deploy("web", chain, key, targets, files_dir)
    assert result.ok, result
    (step,) = result.steps
    assert (step.name, step.detail, step.output_tail) == ("command", "exit status 0", "reloaded")
    assert record.read_text().splitlines() == [
        "arg=two words",
        "arg=$HOME; rm -rf /",  # no shell: passed as it is
        "name=web",
        f"fullchain={files_dir / 'web.crt'}",
        f"key={files_dir / 'web.key'}",
        "chain=unset",
        "same",
    ]


def test_command_after_directory_names_the_directory_files(
    tmp_path: Path, pems: tuple[bytes, ...]
) -> None:
    chain, key, _, inter = pems
    record = tmp_path / "env.txt"
    hook = script(
        tmp_path, 'env | grep ^CERTDESK_ | sort > "$OUT"; cat "$CERTDESK_CHAIN" >> "$OUT"\n'
    )
    target_dir = tmp_path / "svc"
    targets = DeployTargets(
        directory=DirectoryTarget(
            path=str(target_dir), cert_name="c.pem", key_name="k.pem", chain_name="i.pem"
        ),
        command=CommandTarget(argv=[str(hook)], env={"OUT": str(record)}),
    )
    result = deploy("api", chain, key, targets, tmp_path / "files")
    assert [s.name for s in result.steps] == ["directory", "command"] and result.ok
    text = record.read_text()
    assert text.startswith(
        f"CERTDESK_CERT_NAME=api\nCERTDESK_CHAIN={target_dir / 'i.pem'}\n"
        f"CERTDESK_FULLCHAIN={target_dir / 'c.pem'}\nCERTDESK_KEY={target_dir / 'k.pem'}\n"
    )
    assert text.endswith(inter.decode())


def test_failing_command_is_recorded_with_its_stderr_tail(
    tmp_path: Path, pems: tuple[bytes, ...]
) -> None:
    chain, key, _, _ = pems
    hook = script(
        tmp_path, 'echo "some output"\necho "nginx: [emerg] cannot load certificate" >&2\nexit 3\n'
    )
    result = deploy(
        "web", chain, key, DeployTargets(command=CommandTarget(argv=[str(hook)])), tmp_path
    )
    assert not result.ok
    (step,) = result.steps
    assert step.detail == "exit status 3"
    assert step.error == f"{hook} exited with status 3: nginx: [emerg] cannot load certificate"
    assert step.output_tail == "nginx: [emerg] cannot load certificate"
    assert result.error == f"command: {step.error}"
    assert result.as_dict()["ok"] is False
    assert result.as_dict()["steps"][0]["detail"] == "exit status 3"


def test_command_timeout_kills_the_process_group(tmp_path: Path, pems: tuple[bytes, ...]) -> None:
    chain, key, _, _ = pems
    pidfile = tmp_path / "child.pid"
    # The script starts a child in the background and both hang; the timeout must end both.
    hook = script(tmp_path, f'sleep 300 &\necho $! > {pidfile}\necho "waiting" >&2\nwait\n')
    targets = DeployTargets(command=CommandTarget(argv=[str(hook)], timeout=0.5))
    result = deploy("web", chain, key, targets, tmp_path)
    (step,) = result.steps
    assert not step.ok
    assert step.error == f"{hook} did not finish within 0.5 s and was killed."
    assert step.output_tail == "waiting"
    assert 0.5 <= step.seconds < 10
    child = int(pidfile.read_text())
    # The background child was in the killed group: gone, or a zombie about to be reaped.
    try:
        state = Path(f"/proc/{child}/stat").read_text().split(")")[1].split()[0]
    except FileNotFoundError:
        state = "gone"
    assert state in {"gone", "Z"}


def test_directory_failure_skips_the_command(tmp_path: Path, pems: tuple[bytes, ...]) -> None:
    chain, key, _, _ = pems
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    marker = tmp_path / "ran"
    hook = script(tmp_path, f"touch {marker}\n")
    targets = DeployTargets(
        directory=DirectoryTarget(path=str(blocker / "sub")),
        command=CommandTarget(argv=[str(hook)]),
    )
    result = deploy("web", chain, key, targets, tmp_path)
    assert [s.ok for s in result.steps] == [False, False]
    assert result.steps[0].error is not None and "cannot write the files" in result.steps[0].error
    assert result.steps[1].error == "skipped: the directory step failed."
    assert not marker.exists()
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_program_that_cannot_start_is_recorded(tmp_path: Path, pems: tuple[bytes, ...]) -> None:
    chain, key, _, _ = pems
    missing = tmp_path / "gone.sh"
    result = deploy(
        "web", chain, key, DeployTargets(command=CommandTarget(argv=[str(missing)])), tmp_path
    )
    assert result.steps[0].error == f"cannot run {missing}: No such file or directory"


def test_no_targets_do_nothing(tmp_path: Path, pems: tuple[bytes, ...]) -> None:
    assert deploy("web", pems[0], pems[1], None, tmp_path).steps == ()
    assert deploy("web", pems[0], pems[1], DeployTargets(), tmp_path).ok


def test_validate_targets_round_trips_through_json(tmp_path: Path) -> None:
    hook = script(tmp_path, "exit 0\n")
    data = {
        "directory": {
            "path": "/etc/nginx/tls/",
            "owner": "nobody",
            "key_mode": "0640",
            "cert_mode": 0o644,
        },
        "command": {"argv": [str(hook), "reload"], "env": {"SERVICE": "nginx"}, "timeout": 30},
    }
    targets = validate_targets(data)
    assert targets.directory is not None and targets.directory.path == "/etc/nginx/tls"
    assert targets.directory.key_mode == 0o640
    stored = targets.model_dump(mode="json")
    assert stored["directory"]["key_mode"] == "0640" and stored["directory"]["cert_mode"] == "0644"
    assert validate_targets(stored) == targets
    assert validate_targets(None) == DeployTargets()


def test_validate_targets_reports_every_problem_at_once(tmp_path: Path) -> None:
    not_executable = tmp_path / "plain.sh"
    not_executable.write_text("echo\n")
    data = {
        "directory": {
            "path": "relative/dir",
            "cert_name": "a/b",
            "key_mode": "0644",
            "cert_mode": "9z",
            "owner": "no-such-user-xyz",
            "group": "no-such-group-xyz",
        },
        "command": {
            "argv": ["nginx", "-s", "reload"],
            "env": {"CERTDESK_KEY": "x", "1BAD": "y"},
            "timeout": 0,
        },
        "ftp": {},
    }
    with pytest.raises(InvalidInput) as caught:
        validate_targets(data)
    fields = {e.field: e.message for e in caught.value.errors}
    assert set(fields) >= {
        "deploy.ftp",
        "deploy.directory.path",
        "deploy.directory.cert_name",
        "deploy.directory.key_mode",
        "deploy.directory.cert_mode",
        "deploy.command.argv",
        "deploy.command.env",
        "deploy.command.timeout",
    }
    assert "absolute path" in fields["deploy.directory.path"]
    assert "never world-readable" in fields["deploy.directory.key_mode"]
    assert "absolute path of the program" in fields["deploy.command.argv"]

    with pytest.raises(InvalidInput) as caught:
        validate_targets(
            {
                "directory": {
                    "path": str(not_executable),
                    "owner": "no-such-user-xyz",
                    "group": "no-such-group-xyz",
                },
                "command": {"argv": [str(not_executable)]},
            }
        )
    fields = {e.field: e.message for e in caught.value.errors}
    assert fields == {
        "deploy.directory.owner": "no user 'no-such-user-xyz' here.",
        "deploy.directory.group": "no group 'no-such-group-xyz' here.",
        "deploy.directory.path": f"{not_executable} exists and is not a directory.",
        "deploy.command.argv.0": f"{not_executable} is not an executable file.",
    }


def test_same_file_names_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_targets(
            {"directory": {"path": "/srv/tls", "cert_name": "x.pem", "key_name": "x.pem"}}
        )
    (error,) = caught.value.errors
    assert error.field == "deploy.directory"
    assert "different file names" in error.message


def test_key_material_never_in_step_errors(tmp_path: Path, pems: tuple[bytes, ...]) -> None:
    chain, key, _, _ = pems
    hook = script(tmp_path, "exit 1\n")
    result = deploy(
        "web", chain, key, DeployTargets(command=CommandTarget(argv=[str(hook)])), tmp_path
    )
    text = repr(result.as_dict())
    assert "PRIVATE KEY" not in text and os.fsdecode(key[:40]) not in text
