"""Responses that several web pages give the same way: a ``DownloadFile`` from a service as an
attachment, and the Delete dialog of a CSR, certificate or DNS authenticator — its page, the
Force checkbox as submitted, and the page again with the refusal's sentence."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from certdesk.services.auth import Principal
from certdesk.services.schemas import DownloadFile
from certdesk.web.session import form_field
from certdesk.web.templating import render


def attachment(file: DownloadFile) -> Response:
    """``file`` as ``Content-Disposition: attachment``."""
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


async def submitted_force(request: Request) -> bool:
    """Whether the Delete dialog was submitted with Force ticked."""
    return bool(await form_field(request, "force"))


def delete_dialog(
    request: Request,
    principal: Principal,
    template: str,
    subject: Mapping[str, object],
    force_help: str,
    *,
    force: bool = False,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The Delete dialog ``template`` for the object(s) in ``subject``, with the Force checkbox
    explained by ``force_help``; ``message`` says why a deletion was refused."""
    context = {**subject, "force_help": force_help, "message": message, "force": force}
    return render(request, template, context, principal=principal, status_code=status_code)
