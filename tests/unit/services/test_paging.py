"""The page check every list use case shares."""

from __future__ import annotations

import pytest

from certdesk.errors import InvalidInput
from certdesk.services.paging import check_page


@pytest.mark.parametrize(("limit", "offset"), [(1, 0), (500, 0), (50, 10**9)])
def test_a_page_within_bounds_passes(limit: int, offset: int) -> None:
    check_page(limit, offset, 500)


def test_both_bounds_are_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_page(501, -1, 500)
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("limit", "must be between 1 and 500"),
        ("offset", "must be 0 or more"),
    ]


def test_a_zero_limit_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_page(0, 0, 100)
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("limit", "must be between 1 and 100")
    ]
