"""Where each field error of the Add CSR wizard goes: beside its control (or the group of
controls, such as Key Usage Config for every key usage bit), with a prefix where the path names
an entry ("Entry 2: " for ``san.1``), and which step the wizard opens (the first with an
error). Errors no control shows are listed at the top of the form."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from certdesk.errors import FieldError
from certdesk.web.wizard_form import (
    AKI,
    BC,
    BC_CONFIG,
    EKU,
    EXT,
    KU,
    KU_CONFIG,
    PATH_LENGTH,
    STEPS_FOR,
    SUBJECT_FIELDS,
    USAGES,
)

_STEP_OF_FIELD = {
    "name": "identifier",
    "create_type": "identifier",
    "profile": "identifier",
    "key_type": "options",
    "key_length": "options",
    "ec_curve": "options",
    "digest_algorithm": "options",
    "CSR": "import",
    "privatekey": "import",
    "passphrase": "import",
    "passphrase2": "import",
    **dict.fromkeys((*SUBJECT_FIELDS, "san"), "subject"),
}


@dataclass(frozen=True)
class PlacedErrors:
    """Field errors grouped by the control (or group of controls) that shows them."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    step: str = "identifier"

    def get(self, name: str) -> list[str]:
        return self.by_field.get(name, [])


def _anchor(path: str) -> tuple[str, str]:
    """The control (or group) that shows an error on ``path``, and a prefix for its message."""
    head, _, rest = path.partition(".")
    if head == "san" and rest.isdigit():
        return "san", f"Entry {int(rest) + 1}: "
    if path in _STEP_OF_FIELD:
        return path, ""
    if path == PATH_LENGTH:
        return path, ""
    if path.startswith(USAGES):
        return USAGES, ""
    if path in (f"{BC}.ca", f"{BC}.extension_critical", BC_CONFIG):
        return BC_CONFIG, ""
    if path == KU_CONFIG or (path.startswith(f"{KU}.") and path != f"{KU}.enabled"):
        return KU_CONFIG, ""
    for group in (BC, AKI, EKU, KU):
        if path == group or path.startswith(group + "."):
            return group, ""
    return "", ""


def step_of(anchor: str) -> str | None:
    if anchor.startswith(EXT):
        return "constraints"
    return _STEP_OF_FIELD.get(anchor)


def place_errors(errors: Sequence[FieldError], create_type: str) -> PlacedErrors:
    """Put each error beside its control; the step to open is the first step with an error."""
    placed = PlacedErrors()
    steps: set[str] = set()
    for error in errors:
        anchor, prefix = _anchor(error.field)
        step = step_of(anchor)
        if not anchor or step not in STEPS_FOR[create_type]:
            label = f"{error.field}: " if error.field else ""
            placed.general.append(label + error.message)
            continue
        placed.by_field.setdefault(anchor, []).append(prefix + error.message)
        steps.add(step)
    order = STEPS_FOR[create_type]
    first = next((s for s in order if s in steps), order[0])
    return replace(placed, step=first)
