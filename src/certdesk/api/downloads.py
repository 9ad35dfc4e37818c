"""File downloads of the API: a ``DownloadFile`` from a service as an attachment response, and
its OpenAPI description. Downloads are never cached (they may hold a private key)."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from certdesk.services.schemas import DownloadFile


def attachment(file: DownloadFile) -> Response:
    """``file`` as ``Content-Disposition: attachment`` with ``Cache-Control: no-store``."""
    return Response(
        content=file.content,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "no-store",
        },
    )


def attachment_doc(media_type: str) -> dict[str, Any]:
    """The OpenAPI description of a 200 attachment response of ``media_type``."""
    return {"content": {media_type: {"schema": {"type": "string"}}}}
