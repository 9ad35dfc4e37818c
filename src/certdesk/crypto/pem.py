"""PEM blocks as people paste them: find the block with the wanted label among other text and
blocks, and undo what copying does to it (CRLF line ends, indentation, trailing spaces), so
the parsers see clean PEM. Returns None when no complete block is there.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_BLOCK_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----[ \t]*\r?\n(.*?)-----END \1-----", re.DOTALL)


def find_pem_block(data: bytes, label_matches: Callable[[str], bool]) -> bytes | None:
    """The first complete PEM block in ``data`` whose label satisfies ``label_matches``,
    normalised (LF line ends, no surrounding whitespace on any line)."""
    for match in _BLOCK_RE.finditer(data):
        label = match.group(1).decode("ascii")
        if not label_matches(label):
            continue
        lines = [line.strip() for line in match.group(2).splitlines()]
        lines = [line for line in lines if line]
        # RFC 1421 headers (Proc-Type, DEK-Info) stay, followed by their blank line.
        headers = 0
        while headers < len(lines) and b":" in lines[headers]:
            headers += 1
        parts = [f"-----BEGIN {label}-----".encode("ascii")]
        if headers:
            parts += [*lines[:headers], b""]
        parts += [*lines[headers:], f"-----END {label}-----".encode("ascii"), b""]
        return b"\n".join(parts)
    return None
