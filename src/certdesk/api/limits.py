"""ASGI middleware that refuses request bodies over a limit with 413 problem+json.

(FastAPI's own ``max_body_size`` answers a declared oversize body with ``text/plain``, whatever
the exception handlers say; certdesk's contract is problem+json, hence this small middleware.)

The declared ``Content-Length`` is checked before the application runs; a body sent without one
(chunked) is counted as it arrives and cut off at the limit, so an oversized request never reaches
a handler and nothing is stored.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from certdesk.api.problems import problem_response

MAX_BODY_BYTES = 1024 * 1024


class BodyTooLarge(HTTPException):
    """Raised inside ``receive`` when a streamed body passes the limit.

    An ``HTTPException`` so that FastAPI's body reader lets it through to the 413 handler.
    """

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            413,
            f"The request body is larger than {max_bytes} bytes; send a smaller request.",
        )


class BodyLimitMiddleware:
    """Answer 413 to any HTTP request whose body is larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.max_bytes:
                    await self._refuse(scope, receive, send, declared)
                    return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await self._refuse(scope, receive, send, received)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: int) -> None:
        if size < 0:
            status, title = 400, "Bad request"
            detail = "The Content-Length header is not a number."
        else:
            status, title = 413, "Request body too large"
            detail = (
                f"The request body is larger than {self.max_bytes} bytes; send a smaller request."
            )
        response = problem_response(status, title, detail, slug="request-too-large")
        await response(scope, receive, send)
