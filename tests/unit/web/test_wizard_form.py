"""The wizard form without a browser: form fields to service requests, what the web form refuses
itself, and where each service error is shown."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from certdesk.errors import FieldError, InvalidInput
from certdesk.services.choices import choices
from certdesk.services.schemas import CSRCreate, CSRImport
from certdesk.web.wizard_errors import place_errors
from certdesk.web.wizard_form import (
    CREATE,
    IMPORT,
    ImportSecrets,
    WizardValues,
    build_request,
    profile_fields,
    profiles_json,
)


def form(*pairs: tuple[str, str]) -> FormData:
    return FormData(list(pairs))


def test_create_form_becomes_a_csr_create() -> None:
    data = form(
        ("name", " web "),
        ("create_type", CREATE),
        ("key_type", "RSA"),
        ("key_length", "3072"),
        ("ec_curve", "SECP384R1"),
        ("digest_algorithm", "SHA384"),
        ("country", "DE"),
        ("common", "www.example.com"),
        ("san", "www.example.com\r\n\r\n IP:192.0.2.1 \n"),
        ("cert_extensions.BasicConstraints.enabled", "on"),
        ("cert_extensions.BasicConstraints.config", "extension_critical"),
        ("cert_extensions.BasicConstraints.config", "enabled"),  # not an option: ignored
        ("cert_extensions.ExtendedKeyUsage.enabled", "on"),
        ("cert_extensions.ExtendedKeyUsage.usages", "SERVER_AUTH"),
        ("cert_extensions.ExtendedKeyUsage.usages", "CLIENT_AUTH"),
        ("cert_extensions.KeyUsage.enabled", "on"),
        ("cert_extensions.KeyUsage.config", "digital_signature"),
        ("cert_extensions.KeyUsage.config", "extension_critical"),
        ("cert_extensions.KeyUsage.key_encipherment", "on"),  # no such control: ignored
    )
    values = WizardValues.from_form(data)
    request = build_request(values, ImportSecrets.from_form(data))
    assert isinstance(request, CSRCreate)
    assert request.name == "web"
    assert request.key_length == 3072
    assert request.ec_curve is None  # only the option of the chosen key type is sent
    assert request.state is None
    assert request.san == ["www.example.com", "IP:192.0.2.1"]
    ext = request.cert_extensions
    assert ext is not None
    assert ext.BasicConstraints.enabled and ext.BasicConstraints.extension_critical
    assert not ext.BasicConstraints.ca
    assert ext.ExtendedKeyUsage.usages == ["SERVER_AUTH", "CLIENT_AUTH"]
    assert ext.KeyUsage.digital_signature and not ext.KeyUsage.key_encipherment
    assert ext.KeyUsage.extension_critical


def test_ec_sends_the_curve_and_no_length() -> None:
    values = WizardValues(name="ec", key_type="EC", ec_curve="SECP256R1", key_length="2048")
    request = build_request(values, ImportSecrets("", "", ""))
    assert isinstance(request, CSRCreate)
    assert (request.key_length, request.ec_curve) == (None, "SECP256R1")


def test_bad_path_length_is_refused_by_the_form() -> None:
    values = WizardValues(name="x", path_length="two")
    with pytest.raises(InvalidInput) as info:
        build_request(values, ImportSecrets("", "", ""))
    assert [e.field for e in info.value.errors] == ["cert_extensions.BasicConstraints.path_length"]


def test_import_needs_matching_passphrases_and_both_pems() -> None:
    values = WizardValues(name="imp", create_type=IMPORT)
    with pytest.raises(InvalidInput) as info:
        build_request(values, ImportSecrets("", "one", "two"))
    assert [e.field for e in info.value.errors] == ["CSR", "privatekey", "passphrase2"]
    ok = build_request(
        WizardValues(name="imp", create_type=IMPORT, CSR="-----BEGIN"),
        ImportSecrets("-----BEGIN KEY", "pw", "pw"),
    )
    assert isinstance(ok, CSRImport)
    assert ok.passphrase == "pw"


def test_too_long_values_become_field_errors() -> None:
    with pytest.raises(InvalidInput) as info:
        build_request(WizardValues(name="n", state="x" * 2000), ImportSecrets("", "", ""))
    assert [e.field for e in info.value.errors] == ["state"]


def test_errors_are_placed_beside_their_control_and_open_the_first_step() -> None:
    placed = place_errors(
        [
            FieldError("cert_extensions.KeyUsage.key_cert_sign", "needs CA"),
            FieldError("san.1", "not a name"),
            FieldError("cert_extensions.ExtendedKeyUsage.usages.0", "unknown"),
            FieldError("cert_extensions.BasicConstraints.path_length", "only with CA"),
            FieldError("", "something general"),
        ],
        CREATE,
    )
    assert placed.step == "subject"
    assert placed.get("san") == ["Entry 2: not a name"]
    assert placed.get("cert_extensions.KeyUsage.config") == ["needs CA"]
    assert placed.get("cert_extensions.ExtendedKeyUsage.usages") == ["unknown"]
    assert placed.get("cert_extensions.BasicConstraints.path_length") == ["only with CA"]
    assert placed.general == ["something general"]


def test_import_errors_open_the_import_step() -> None:
    placed = place_errors([FieldError("passphrase", "wrong"), FieldError("name", "taken")], IMPORT)
    assert placed.step == "identifier"
    placed = place_errors([FieldError("privatekey", "does not match the CSR")], IMPORT)
    assert placed.step == "import"
    assert placed.get("privatekey") == ["does not match the CSR"]


def test_a_profile_fills_the_values() -> None:
    ecc = next(p for p in choices().profiles if p.name == "HTTPS ECC Certificate")
    values = WizardValues(name="keep", common="keep.example.com").with_profile(ecc)
    assert (values.key_type, values.ec_curve, values.digest_algorithm) == (
        "EC",
        "SECP384R1",
        "SHA256",
    )
    assert values.name == "keep" and values.common == "keep.example.com"
    assert "cert_extensions.KeyUsage.digital_signature" in values.flags
    assert "cert_extensions.KeyUsage.key_encipherment" not in values.flags
    assert values.usages == ("SERVER_AUTH", "CLIENT_AUTH")
    assert values.profile_applied == ecc.name


def test_profiles_json_is_safe_in_a_script_element() -> None:
    text = profiles_json(choices())
    assert "<" not in text
    assert '"HTTPS RSA Certificate"' in text


def test_profile_fields_set_the_config_selects_by_option() -> None:
    rsa = next(p for p in choices().profiles if p.name == "HTTPS RSA Certificate")
    fields = profile_fields(rsa)
    assert fields["cert_extensions.BasicConstraints.config"] == ["extension_critical"]
    assert fields["cert_extensions.KeyUsage.config"] == [
        "digital_signature",
        "key_encipherment",
        "key_agreement",
        "extension_critical",
    ]
    assert fields["cert_extensions.ExtendedKeyUsage.usages"] == ["SERVER_AUTH", "CLIENT_AUTH"]
    assert fields["cert_extensions.BasicConstraints.enabled"] is True
    assert "cert_extensions.KeyUsage.digital_signature" not in fields  # no such control


def test_basic_constraints_errors_go_beside_basic_constraints_config() -> None:
    placed = place_errors(
        [FieldError("cert_extensions.BasicConstraints.ca", "CA needs a path length")], CREATE
    )
    assert placed.step == "constraints"
    assert placed.get("cert_extensions.BasicConstraints.config") == ["CA needs a path length"]
