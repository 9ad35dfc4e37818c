"""What every sub-command shares: the global options and the ``--json`` flag, opening the
application context, reading input files with a size limit, pydantic's errors as ours, and
printing results as text or JSON."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from certdesk.errors import FieldError, InvalidInput
from certdesk.services.context import AppContext
from certdesk.services.schemas import DownloadFile
from certdesk.settings import Settings

ModelT = TypeVar("ModelT", bound=BaseModel)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
#: Where a download goes instead of stdout.
OutputOption = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write to this file, not stdout.")
]


@dataclass
class State:
    data_dir: Path | None = None
    json_output: bool = False


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    obj = root.obj
    return obj if isinstance(obj, State) else State()


def settings_for(ctx: typer.Context) -> Settings:
    return Settings.from_env().with_overrides(data_dir=state(ctx).data_dir)


@contextmanager
def open_context(ctx: typer.Context) -> Iterator[AppContext]:
    app_ctx = AppContext.open(settings_for(ctx))
    try:
        yield app_ctx
    finally:
        app_ctx.close()


def read_limited(path: Path, field: str, limit: int) -> bytes:
    """The bytes of ``path``; ``InvalidInput`` on ``field`` when it cannot be read or is larger
    than ``limit`` bytes."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InvalidInput.single(field, f"cannot read {path}: {exc.strerror}") from None
    if len(data) > limit:
        raise InvalidInput.single(field, f"{path} is larger than {limit} bytes")
    return data


def validation_errors(exc: ValidationError) -> InvalidInput:
    """Turn pydantic's errors into ours, with dotted paths."""
    return InvalidInput(
        FieldError(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()
    )


def validated(model: type[ModelT], **values: object) -> ModelT:
    """``model`` built from ``values``; pydantic's errors become ``InvalidInput``."""
    try:
        return model(**values)
    except ValidationError as exc:
        raise validation_errors(exc) from None


def wants_json(ctx: typer.Context, local_flag: bool) -> bool:
    return local_flag or state(ctx).json_output


def print_json(value: BaseModel | Sequence[BaseModel] | dict[str, Any] | list[Any]) -> None:
    if isinstance(value, BaseModel):
        data: Any = value.model_dump(mode="json")
    elif isinstance(value, list | tuple) and value and isinstance(value[0], BaseModel):
        data = [v.model_dump(mode="json") for v in value if isinstance(v, BaseModel)]
    else:
        data = value
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def print_details(
    ctx: typer.Context,
    json_output: bool,
    details: ModelT,
    show: Callable[[ModelT], None],
    sentence: str | None = None,
) -> None:
    """One object: as JSON when asked for, else ``sentence`` (if any) and ``show``'s fields."""
    if wants_json(ctx, json_output):
        print_json(details)
        return
    if sentence is not None:
        typer.echo(sentence)
    show(details)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        typer.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            typer.echo("  ".join("-" * w for w in widths))


def print_fields(pairs: Sequence[tuple[str, object]]) -> None:
    width = max(len(k) for k, _ in pairs)
    for key, value in pairs:
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value) or "--"
        typer.echo(f"{key.ljust(width)}  {'--' if value in (None, '') else value}")


def deliver(file: DownloadFile, output: Path | None, *, secret: bool) -> None:
    """Write a download to stdout, or to a new file ``output`` (0400 for a private key, never
    overwriting an existing file)."""
    if output is None:
        sys.stdout.buffer.write(file.content)
        sys.stdout.flush()
        return
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400 if secret else 0o644)
    except FileExistsError:
        raise InvalidInput.single(
            "output", f"{output} exists already: remove it or choose another file"
        ) from None
    except OSError as exc:
        raise InvalidInput.single("output", f"cannot write {output}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(file.content)
    typer.echo(f"Wrote {output}.", err=True)
