"""Strict JSON request bodies for the API routes.

Python's ``json`` module accepts what certdesk must refuse: lone UTF-16 surrogates (``"\\ud800"``),
which no database can store, and ``NaN``/``Infinity``. API routes use ``StrictJSONRoute``, whose
requests parse their body with pydantic-core's JSON parser instead; a body it rejects becomes the
same "not valid JSON" 400 as any other broken body, before a handler runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import pydantic_core
from fastapi import Request, Response
from fastapi.routing import APIRoute

_MISSING = object()


class StrictJSONRequest(Request):
    """A request whose ``json()`` refuses lone surrogates, invalid UTF-8 and NaN/Infinity."""

    _strict_json: Any = _MISSING

    async def json(self) -> Any:
        if self._strict_json is _MISSING:
            body = await self.body()
            try:
                self._strict_json = pydantic_core.from_json(body, allow_inf_nan=False)
            except ValueError as exc:
                raise json.JSONDecodeError(str(exc), body.decode("utf-8", "replace"), 0) from None
        return self._strict_json


class StrictJSONRoute(APIRoute):
    """An ``APIRoute`` whose handler sees a ``StrictJSONRequest``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler
