"""The DNS half of an issuance: the configured authenticators loaded and decrypted, every TXT
record of an order written (in parallel across authenticators; within one, one after another, or
per name at the same time for the types in ``PARALLEL_TYPES``), one propagation check for all of
them, and every record removed again — also for a job that a crash interrupted, from the list the
job row keeps.

Records are described by ``PlannedRecord``: which authenticator writes which value at which name
for which label of the CSR. The JSON form of that list is what a job stores before it writes
anything, so that nothing can be written that the clean-up does not know about.
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from certdesk.dns.base import Authenticator, TXTRecord
from certdesk.dns.propagation import Nameserver, PropagationProgress, PropagationResult
from certdesk.errors import CertdeskError, DNSError, NotFound
from certdesk.services import authenticators
from certdesk.services.context import AppContext
from certdesk.storage.models import DNSAuthenticatorRow


@dataclass(frozen=True)
class PlannedRecord:
    """One TXT record an authenticator writes for one authorization."""

    authenticator_id: int
    #: The identifier as the CSR names it (``*.example.com`` for a wildcard).
    label: str
    record: TXTRecord

    def as_json(self) -> dict[str, Any]:
        return {
            "authenticator_id": self.authenticator_id,
            "label": self.label,
            "domain": self.record.domain,
            "fqdn": self.record.fqdn,
            "value": self.record.value,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlannedRecord:
        return cls(
            authenticator_id=int(data["authenticator_id"]),
            label=str(data.get("label") or data["domain"]),
            record=TXTRecord(str(data["domain"]), str(data["fqdn"]), str(data["value"])),
        )


@dataclass(frozen=True)
class LoadedAuthenticator:
    id: int
    name: str
    authenticator: Authenticator


# -- looking authenticators up -------------------------------------------------------------------


def authenticator_names(ctx: AppContext, ids: Iterable[int]) -> dict[int, str]:
    """Names of the authenticators with ``ids`` that exist."""
    wanted = set(ids)
    if not wanted:
        return {}
    with ctx.db.session() as session:
        rows = session.execute(
            select(DNSAuthenticatorRow.id, DNSAuthenticatorRow.name).where(
                DNSAuthenticatorRow.id.in_(wanted)
            )
        ).all()
    return {int(row_id): str(name) for row_id, name in rows}


def resolve_authenticator(ctx: AppContext, name_or_id: str) -> int:
    """The id of the authenticator called ``name_or_id`` (or with that id)."""
    text = name_or_id.strip()
    try:
        return authenticators.id_for_name(ctx, text)
    except NotFound:
        if not text.isdigit():
            raise
    return authenticators.get(ctx, int(text)).id


def load_authenticators(ctx: AppContext, ids: Iterable[int]) -> dict[int, LoadedAuthenticator]:
    """The authenticators with ``ids``, decrypted and instantiated."""
    loaded: dict[int, LoadedAuthenticator] = {}
    names = authenticator_names(ctx, ids)
    for auth_id in sorted(set(ids)):
        try:
            instance = authenticators.load_authenticator(ctx, auth_id)
        except NotFound:
            raise DNSError(
                f"The DNS authenticator with id {auth_id} no longer exists: edit the "
                "certificate's domain mapping, or create the authenticator again."
            ) from None
        loaded[auth_id] = LoadedAuthenticator(auth_id, names.get(auth_id, str(auth_id)), instance)
    return loaded


# -- writing, checking, removing ------------------------------------------------------------------


#: Most records written or removed at the same time by one job.
MAX_THREADS = 16
#: Types whose records for different names may be written at the same time (each RFC 2136
#: update is atomic on the server); other types write one record after another, as providers'
#: APIs and users' scripts may read, change and write a whole record set.
PARALLEL_TYPES = frozenset({"rfc2136"})


def _groups(
    loaded: Mapping[int, LoadedAuthenticator], planned: Sequence[PlannedRecord]
) -> list[builtins.list[PlannedRecord]]:
    """Records that must be handled one after another: per authenticator, or for the types in
    ``PARALLEL_TYPES`` per authenticator and name (a wildcard and its base share a name)."""
    groups: dict[tuple[int, str], list[PlannedRecord]] = defaultdict(list)
    for item in planned:
        auth = loaded.get(item.authenticator_id)
        parallel = auth is not None and auth.authenticator.type in PARALLEL_TYPES
        groups[(item.authenticator_id, item.record.fqdn if parallel else "")].append(item)
    return list(groups.values())


def write_records(
    loaded: Mapping[int, LoadedAuthenticator],
    planned: Sequence[PlannedRecord],
    on_written: Callable[[PlannedRecord], None],
) -> None:
    """Write every record, groups (``_groups``) in parallel, each group's records in turn. The first
    failure is raised (as ``DNSError`` naming the domain and authenticator) once all stopped."""

    def write_group(items: list[PlannedRecord]) -> None:
        for item in items:
            auth = loaded[item.authenticator_id]
            try:
                auth.authenticator.perform(item.record)
            except CertdeskError as exc:
                raise DNSError(
                    f"Writing the TXT record {item.record.fqdn} for {item.label} with DNS "
                    f"authenticator '{auth.name}' failed: {exc.message}"
                ) from exc
            on_written(item)

    _run_parallel(write_group, _groups(loaded, planned))


def remove_records(
    loaded: Mapping[int, LoadedAuthenticator], planned: Sequence[PlannedRecord]
) -> list[PlannedRecord]:
    """Remove every record (all attempted, grouped as they were written); returns those
    that could not be removed."""
    left: list[PlannedRecord] = []

    def remove_group(items: list[PlannedRecord]) -> None:
        for item in items:
            auth = loaded.get(item.authenticator_id)
            try:
                if auth is None:
                    raise DNSError("the authenticator no longer exists")
                auth.authenticator.cleanup(item.record)
            except CertdeskError:
                left.append(item)

    _run_parallel(remove_group, _groups(loaded, planned))
    return left


def remove_saved_records(ctx: AppContext, saved: Sequence[Mapping[str, Any]]) -> list[str]:
    """Remove records listed by a job row (after a crash); returns what could not be removed."""
    planned = [PlannedRecord.from_json(item) for item in saved]
    if not planned:
        return []
    loaded: dict[int, LoadedAuthenticator] = {}
    for auth_id in {p.authenticator_id for p in planned}:
        try:
            loaded.update(load_authenticators(ctx, [auth_id]))
        except CertdeskError:
            continue
    return [f"{p.record.fqdn} ({p.label})" for p in remove_records(loaded, planned)]


def wait_until_visible(
    ctx: AppContext,
    loaded: Mapping[int, LoadedAuthenticator],
    planned: Sequence[PlannedRecord],
    progress: Callable[[PropagationProgress], None] | None = None,
) -> PropagationResult:
    """One propagation check for every record: each on the nameservers its authenticator
    names (or its zone's), with the longest timeout and settle delay among the authenticators."""
    nameservers: dict[str, list[Nameserver]] = {}
    for item in planned:
        explicit = loaded[item.authenticator_id].authenticator.nameservers()
        if explicit and item.record.fqdn not in nameservers:
            nameservers[item.record.fqdn] = list(explicit)
    used = [loaded[i].authenticator for i in {p.authenticator_id for p in planned}]
    timeout = max(authenticators.propagation_timeout(ctx.settings, type(a)) for a in used)
    settle = max(a.settle_delay for a in used)
    return authenticators.propagation_checker(ctx).check(
        [p.record for p in planned],
        nameservers=nameservers,
        timeout=timeout,
        settle_delay=settle,
        progress=progress,
    )


def _run_parallel(work: Callable[[list[PlannedRecord]], None], groups: list[Any]) -> None:
    if not groups:
        return
    if len(groups) == 1:
        work(groups[0])
        return
    with ThreadPoolExecutor(
        max_workers=min(len(groups), MAX_THREADS), thread_name_prefix="dns"
    ) as pool:
        futures = [pool.submit(work, group) for group in groups]
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
