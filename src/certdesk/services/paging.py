"""The page a list use case is asked for (``limit`` rows after skipping ``offset``), checked the
same way for every list: both bounds reported at once as ``InvalidInput``."""

from __future__ import annotations

from certdesk.errors import FieldError, InvalidInput


def check_page(limit: int, offset: int, max_page: int) -> None:
    """``InvalidInput`` on ``limit`` unless it is 1 to ``max_page``, and on ``offset`` when it is
    negative."""
    errors = []
    if not 1 <= limit <= max_page:
        errors.append(FieldError("limit", f"must be between 1 and {max_page}"))
    if offset < 0:
        errors.append(FieldError("offset", "must be 0 or more"))
    if errors:
        raise InvalidInput(errors)
