"""The ACME client against a real Pebble that validates DNS-01 through a real BIND9: accounts,
orders for several names and for a wildcard with its base name, the chain checked by openssl,
revocation seen by Pebble, a wrong TXT value reported with the CA's problem, and an order that
succeeds although Pebble rejects 30 % of nonces and delays validation at random."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from certdesk.acme.account import AccountKey
from certdesk.acme.client import ACMEClient
from certdesk.errors import ACMEError, InvalidInput
from tests.fixtures.bind import BindServer
from tests.fixtures.pebble import EAB_KEYS, PebbleServer
from tests.integration.acme.helpers import (
    bundle_text,
    make_csr,
    openssl_verify,
    publish,
    san_names,
    unique_domain,
)

pytestmark = [pytest.mark.pebble, pytest.mark.bind]


def connect(pebble: PebbleServer) -> ACMEClient:
    return ACMEClient.connect(pebble.directory_url, ca_bundle=bundle_text(pebble.ca_bundle))


def registered(pebble: PebbleServer) -> ACMEClient:
    client = connect(pebble)
    client.register(AccountKey.generate(), tos_agreed=True)
    return client


def soon(seconds: float = 60) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_terms_of_service_come_from_the_directory(pebble: PebbleServer) -> None:
    assert connect(pebble).terms_of_service() == "data:text/plain,Do%20what%20thou%20wilt"


def test_register_refuses_without_agreeing_to_the_terms(pebble: PebbleServer) -> None:
    client = connect(pebble)
    with pytest.raises(InvalidInput) as caught:
        client.register(AccountKey.generate(), tos_agreed=False, contact_email="not an address")
    fields = {error.field: error.message for error in caught.value.errors}
    assert set(fields) == {"tos", "contact_email"}
    assert "terms of service" in fields["tos"]
    assert "Do%20what%20thou%20wilt" in fields["tos"]


@pytest.mark.parametrize("key_type", ["EC", "RSA"])
def test_register_then_login_finds_the_same_account(pebble: PebbleServer, key_type: str) -> None:
    key = AccountKey.generate(key_type)  # type: ignore[arg-type]
    first = connect(pebble).register(key, tos_agreed=True, contact_email="admin@example.org")
    assert first.account_url.startswith(pebble.directory_url.rsplit("/", 1)[0])
    assert first.tos_url == "data:text/plain,Do%20what%20thou%20wilt"
    assert first.contact == "admin@example.org"
    assert first.eab_kid is None

    again = connect(pebble).register(key, tos_agreed=True)
    assert again.account_url == first.account_url

    client = connect(pebble)
    found = client.login(key, first.account_url)
    assert found.account_url == first.account_url
    assert found.contact == "admin@example.org"


def test_login_with_an_unknown_key_says_the_account_does_not_exist(pebble: PebbleServer) -> None:
    account = connect(pebble).register(AccountKey.generate(), tos_agreed=True)
    with pytest.raises(ACMEError) as caught:
        connect(pebble).login(AccountKey.generate(), account.account_url)
    assert caught.value.problem is not None
    assert caught.value.problem.type.endswith(":accountDoesNotExist")
    assert "Looking up the ACME account" in caught.value.message


def test_order_for_two_names_issues_a_chain_that_openssl_verifies(
    pebble: PebbleServer, bind_server: BindServer, tmp_path: Path
) -> None:
    client = registered(pebble)
    base = unique_domain()
    names = (base, f"www.{base}")
    csr = make_csr(*names)

    order = client.new_order(csr)
    assert set(order.identifiers) == set(names)
    assert {task.label for task in order.authorizations} == set(names)
    for task in order.authorizations:
        assert task.fqdn == f"_acme-challenge.{task.domain}."
        assert not task.wildcard
        assert len(task.value) == 43  # base64url SHA-256 without padding

    publish(bind_server, order)
    client.answer(order)
    issued = client.finalize(order, deadline=soon())

    assert san_names(issued.leaf_pem) == set(names)
    assert issued.order_url == order.url
    assert issued.not_before < datetime.now(UTC) + timedelta(minutes=1) < issued.not_after
    assert issued.not_after.tzinfo is not None
    assert "Pebble Intermediate CA" in issued.issuer
    assert issued.chain_pem.startswith(issued.leaf_pem)
    assert issued.intermediates_pem.count(b"BEGIN CERTIFICATE") >= 1
    output = openssl_verify(pebble.root_pem(), issued.chain_pem, tmp_path)
    assert output.strip().endswith(": OK")


def test_an_order_is_resumed_by_url_after_a_restart(
    pebble: PebbleServer, bind_server: BindServer
) -> None:
    key = AccountKey.generate()
    first = connect(pebble)
    account = first.register(key, tos_agreed=True)
    csr = make_csr(unique_domain())
    placed = first.new_order(csr)

    resumed_client = connect(pebble)  # a new process: only the stored URLs and key remain
    resumed_client.login(key, account.account_url)
    resumed = resumed_client.load_order(placed.url, csr)
    assert resumed.url == placed.url
    assert [(t.fqdn, t.value) for t in resumed.authorizations] == [
        (t.fqdn, t.value) for t in placed.authorizations
    ]

    publish(bind_server, resumed)
    resumed_client.answer(resumed)
    resumed_client.answer(resumed_client.load_order(placed.url, csr))  # answered: skipped
    issued = resumed_client.finalize(resumed, deadline=soon())
    assert issued.order_url == placed.url

    again = resumed_client.load_order(placed.url, csr)
    assert again.authorizations == ()
    assert again.already_valid == resumed.identifiers


def test_wildcard_and_its_base_name_need_two_values_at_one_name(
    pebble: PebbleServer, bind_server: BindServer
) -> None:
    client = registered(pebble)
    base = unique_domain()
    order = client.new_order(make_csr(f"*.{base}", base))

    tasks = sorted(order.authorizations, key=lambda task: task.wildcard)
    assert [(t.domain, t.wildcard) for t in tasks] == [(base, False), (base, True)]
    assert tasks[0].fqdn == tasks[1].fqdn == f"_acme-challenge.{base}."
    assert tasks[0].value != tasks[1].value
    assert tasks[1].label == f"*.{base}"

    publish(bind_server, order)
    assert set(bind_server.query_txt(tasks[0].fqdn)) == {tasks[0].value, tasks[1].value}
    client.answer(order)
    issued = client.finalize(order, deadline=soon())
    assert san_names(issued.leaf_pem) == {base, f"*.{base}"}


def test_revoked_certificate_is_reported_revoked_by_pebble(
    pebble: PebbleServer, bind_server: BindServer
) -> None:
    client = registered(pebble)
    order = client.new_order(make_csr(unique_domain()))
    publish(bind_server, order)
    client.answer(order)
    issued = client.finalize(order, deadline=soon())
    assert not pebble.is_revoked(issued.serial)

    client.revoke(issued.chain_pem, reason=4)
    status = pebble.cert_status(issued.serial_hex)
    assert status is not None
    assert status.revoked
    assert status.reason == 4
    client.revoke(issued.leaf_pem)  # already revoked: still no error


def test_wrong_txt_value_fails_with_the_problem_kept_whole(
    pebble: PebbleServer, bind_server: BindServer
) -> None:
    client = registered(pebble)
    good, bad = unique_domain(), unique_domain()
    order = client.new_order(make_csr(good, bad))
    for task in order.authorizations:
        value = task.value if task.domain == good else "not-the-key-authorization-digest"
        bind_server.update_txt(task.fqdn, value)
    client.answer(order)

    with pytest.raises(ACMEError) as caught:
        client.finalize(order, deadline=soon())

    problem = caught.value.problem
    assert problem is not None
    assert problem.identifier == bad
    assert problem.type == "urn:ietf:params:acme:error:unauthorized"
    assert problem.detail
    assert bad in caught.value.message
    assert problem.detail in caught.value.message
    assert good not in caught.value.message


def test_missing_record_times_out_at_the_deadline_naming_the_domain(pebble: PebbleServer) -> None:
    client = registered(pebble)
    domain = unique_domain()
    order = client.new_order(make_csr(domain))
    # Not answered: the authorization stays pending, so only the deadline ends the wait.
    with pytest.raises(ACMEError) as caught:
        client.finalize(order, deadline=soon(0.5), poll_interval=0.05)
    assert domain in caught.value.message
    assert "deadline" in caught.value.message


def test_order_succeeds_despite_nonce_rejection_and_validation_delay(
    pebble_noisy: PebbleServer, bind_server: BindServer
) -> None:
    assert pebble_noisy.env.get("PEBBLE_WFE_NONCEREJECT") == "30"
    assert "PEBBLE_VA_NOSLEEP" not in pebble_noisy.env
    client = registered(pebble_noisy)
    base = unique_domain()
    order = client.new_order(make_csr(base, f"*.{base}", f"api.{base}"))
    publish(bind_server, order)
    client.answer(order)
    issued = client.finalize(order, deadline=soon(120))
    assert san_names(issued.leaf_pem) == {base, f"*.{base}", f"api.{base}"}
    assert client.retries > 0  # badNonce answers were retried, not reported


def test_register_without_eab_where_the_ca_requires_it_says_so(pebble_eab: PebbleServer) -> None:
    client = connect(pebble_eab)
    assert client.external_account_required
    with pytest.raises(InvalidInput) as caught:
        client.register(AccountKey.generate(), tos_agreed=True)
    fields = {error.field: error.message for error in caught.value.errors}
    assert set(fields) == {"eab_kid", "eab_hmac_key"}
    assert "requires External Account Binding" in fields["eab_kid"]


def test_register_with_half_an_eab_names_the_missing_half(pebble_eab: PebbleServer) -> None:
    with pytest.raises(InvalidInput) as caught:
        connect(pebble_eab).register(AccountKey.generate(), tos_agreed=True, eab_kid="kid-x")
    assert [error.field for error in caught.value.errors] == ["eab_hmac_key"]


def test_register_with_eab_binds_the_account(pebble_eab: PebbleServer) -> None:
    kid, hmac_key = next(iter(EAB_KEYS.items()))
    account = connect(pebble_eab).register(
        AccountKey.generate(), tos_agreed=True, eab_kid=kid, eab_hmac_key=hmac_key
    )
    assert account.eab_kid == kid
    assert account.account_url.startswith("https://")


def test_register_with_a_wrong_eab_key_keeps_the_cas_problem(pebble_eab: PebbleServer) -> None:
    kid, hmac_key = next(iter(EAB_KEYS.items()))
    wrong = hmac_key[::-1]
    with pytest.raises(ACMEError) as caught:
        connect(pebble_eab).register(
            AccountKey.generate(), tos_agreed=True, eab_kid=kid, eab_hmac_key=wrong
        )
    assert caught.value.problem is not None
    assert caught.value.problem.type.startswith("urn:ietf:params:acme:error:")
    assert "Registering an account" in caught.value.message
    assert wrong not in caught.value.message
