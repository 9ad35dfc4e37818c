"""The command line's shared input helpers: files read with a size limit, pydantic models built
with our error tree, and one object printed as JSON or as fields."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from pydantic import BaseModel, Field
from typer.core import TyperCommand

from certdesk.cli.common import print_details, read_limited, validated
from certdesk.errors import InvalidInput


class _Model(BaseModel):
    name: str = Field(min_length=1)
    count: int


def test_read_limited_reads_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_limited(path, "file", 10) == b"x" * 10


def test_read_limited_refuses_a_larger_file_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 11)
    with pytest.raises(InvalidInput) as caught:
        read_limited(path, "privatekey", 10)
    [error] = caught.value.errors
    assert (error.field, error.message) == ("privatekey", f"{path} is larger than 10 bytes")


def test_read_limited_reports_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "missing"
    with pytest.raises(InvalidInput) as caught:
        read_limited(path, "CSR", 10)
    [error] = caught.value.errors
    assert error.field == "CSR"
    assert error.message.startswith(f"cannot read {path}: ")


def test_validated_builds_the_model() -> None:
    assert validated(_Model, name="a", count=2) == _Model(name="a", count=2)


def test_validated_reports_every_error_with_its_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        validated(_Model, name="", count="many")
    assert sorted(e.field for e in caught.value.errors) == ["count", "name"]


def _context() -> typer.Context:
    """A command's context without global options (``--json`` off)."""
    return typer.Context(TyperCommand(name="show"))


def test_print_details_prints_the_sentence_then_the_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown: list[_Model] = []
    model = _Model(name="a", count=1)
    print_details(_context(), False, model, shown.append, "Created a.")
    assert capsys.readouterr().out == "Created a.\n"
    assert shown == [model]


def test_print_details_prints_json_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    shown: list[_Model] = []
    print_details(_context(), True, _Model(name="a", count=1), shown.append, "Created a.")
    assert capsys.readouterr().out == '{\n  "name": "a",\n  "count": 1\n}\n'
    assert shown == []
