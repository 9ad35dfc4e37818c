"""The Add CSR wizard end to end in a real browser: RSA and EC CSRs checked by openssl, an
import of an encrypted key made by openssl, server-side validation errors shown on the right
step with nothing typed lost, profiles filling the form, and the policy of each option."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import csr_by_name


def step(page: Page, title: str) -> Locator:
    """The wizard step with this title (its fieldset)."""
    return page.get_by_role("group", name=title, exact=True)


def next_step(page: Page, title: str) -> Locator:
    page.get_by_role("button", name="Next").click()
    current = step(page, title)
    expect(current).to_be_visible()
    return current


def add_sans(page: Page, *names: str) -> None:
    field = page.get_by_label("Subject Alternate Names", exact=True)
    for name in names:
        field.fill(name)
        field.press("Enter")


def openssl_text(pem: bytes) -> str:
    """``openssl req -verify -text`` of a CSR: openssl checks the signature independently."""
    result = subprocess.run(
        ["openssl", "req", "-verify", "-noout", "-text"],
        input=pem,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def summary(page: Page) -> dict[str, str]:
    rows = page.locator("#wizard-summary > div")
    return {row.locator("dt").inner_text(): row.locator("dd").inner_text() for row in rows.all()}


def test_rsa_csr_end_to_end(logged_in: Page, api: httpx.Client) -> None:
    page = logged_in
    page.get_by_role("region", name="Certificate Signing Requests").get_by_role(
        "link", name="Add"
    ).click()
    expect(page.get_by_role("heading", name="Add CSR")).to_be_visible()
    first = step(page, "Identifier and Type")
    expect(first).to_be_visible()
    expect(page.get_by_role("button", name="Back")).to_be_hidden()
    expect(page.get_by_role("button", name="Save")).to_be_hidden()
    page.get_by_label("Name", exact=True).fill("web-rsa")
    expect(page.get_by_label("Type", exact=True)).to_have_value("CERTIFICATE_CREATE_CSR")

    options = next_step(page, "Certificate Options")
    expect(page.get_by_label("Key Type", exact=True)).to_have_value("RSA")
    expect(page.get_by_label("EC Curve", exact=True)).to_be_hidden()
    page.get_by_label("Key Length", exact=True).select_option("3072")
    page.get_by_label("Digest Algorithm", exact=True).select_option("SHA384")
    expect(options).to_be_visible()

    next_step(page, "Certificate Subject")
    page.get_by_label("Filter countries").fill("nl")
    expect(page.get_by_label("Country", exact=True)).to_have_value("NL")
    page.get_by_label("Filter countries").fill("germ")
    expect(page.get_by_label("Country", exact=True)).to_have_value("DE")
    page.get_by_label("State", exact=True).fill("Berlin")
    page.get_by_label("Locality", exact=True).fill("Berlin")
    page.get_by_label("Organization", exact=True).fill("Example GmbH")
    page.get_by_label("Organizational Unit", exact=True).fill("Ops")
    page.get_by_label("Email", exact=True).fill("ops@example.com")
    page.get_by_label("Common Name", exact=True).fill("www.example.com")
    add_sans(page, "www.example.com", "typo.example.com", "IP:192.0.2.10")
    page.get_by_role("button", name="Remove typo.example.com").click()
    expect(page.get_by_role("button", name=re.compile("^Remove "))).to_have_count(2)

    constraints = next_step(page, "Extra Constraints")
    expect(constraints.get_by_label("Authority Key Identifier")).to_be_disabled()
    expect(constraints).to_contain_text("cannot be requested in a CSR")
    expect(constraints.get_by_label("Path Length")).to_be_hidden()
    constraints.get_by_label("Basic Constraints", exact=True).check()
    constraints.get_by_label("Basic Constraints Config").select_option("Critical Extension")
    constraints.get_by_label("Extended Key Usage", exact=True).check()
    usages = constraints.get_by_label("Usages")
    usages.select_option(["SERVER_AUTH", "CLIENT_AUTH"])
    # With the script, a click adds or removes one option without Ctrl.
    usages.locator("option[value=CLIENT_AUTH]").click()
    expect(usages).to_have_values(["SERVER_AUTH"])
    constraints.get_by_label("Key Usage", exact=True).check()
    constraints.get_by_label("Key Usage Config").select_option(
        ["Digital Signature", "Key Encipherment"]
    )

    next_step(page, "Confirm Options")
    shown = summary(page)
    assert shown["Name"] == "web-rsa"
    assert shown["Type"] == "Certificate Signing Request"
    assert shown["Key Type"] == "RSA"
    assert shown["Key Length"] == "3072"
    assert shown["Digest Algorithm"] == "SHA384"
    assert shown["Country"] == "Germany"
    assert shown["Subject Alternate Names"] == "www.example.com, IP:192.0.2.10"
    assert shown["Basic Constraints Config"] == "Critical Extension"
    assert shown["Path Length"] == "No limit"
    assert shown["Usages"] == "SERVER_AUTH"
    assert shown["Key Usage Config"] == "Digital Signature, Key Encipherment"
    page.get_by_role("button", name="Back").click()
    expect(step(page, "Extra Constraints")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Certificate signing request created")
    row = page.get_by_role("row", name=re.compile("web-rsa"))
    expect(row).to_contain_text("RSA 3072")
    details = csr_by_name(api, "web-rsa")
    assert details["key_length"] == 3072
    assert details["country"] == "DE"
    assert details["san"] == ["DNS:www.example.com", "IP Address:192.0.2.10"]
    text = openssl_text(api.get(f"/csrs/{details['id']}/csr").content)
    assert "Public-Key: (3072 bit)" in text
    assert "sha384WithRSAEncryption" in text
    assert "C = DE, ST = Berlin, L = Berlin, O = Example GmbH, OU = Ops" in text
    assert "TLS Web Server Authentication" in text
    assert "Digital Signature, Key Encipherment" in text


def test_ec_csr_end_to_end(logged_in: Page, api: httpx.Client) -> None:
    page = logged_in
    page.goto("/csrs/new")
    page.get_by_label("Name", exact=True).fill("web-ec")
    next_step(page, "Certificate Options")
    page.get_by_label("Key Type", exact=True).select_option("EC")
    expect(page.get_by_label("Key Length", exact=True)).to_be_hidden()
    page.get_by_label("EC Curve", exact=True).select_option("SECP256R1")
    next_step(page, "Certificate Subject")
    page.get_by_label("Common Name", exact=True).fill("ec.example.com")
    add_sans(page, "ec.example.com")
    # Typed but not entered: Next adds it (and the click still reaches Next).
    page.get_by_label("Subject Alternate Names", exact=True).fill("*.ec.example.com")
    next_step(page, "Extra Constraints")
    next_step(page, "Confirm Options")
    shown = summary(page)
    assert shown["EC Curve"] == "SECP256R1 (P-256)"
    assert "Key Length" not in shown
    assert shown["Basic Constraints Config"] == "Disabled"
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("row", name=re.compile("web-ec"))).to_contain_text("EC SECP256R1")
    details = csr_by_name(api, "web-ec")
    assert details["key_type"] == "EC"
    assert details["ec_curve"] == "SECP256R1"
    text = openssl_text(api.get(f"/csrs/{details['id']}/csr").content)
    assert "ASN1 OID: prime256v1" in text
    assert "DNS:ec.example.com, DNS:*.ec.example.com" in text


def _openssl_key_and_csr(tmp_path: Path, passphrase: str) -> tuple[str, str]:
    key = tmp_path / "import.key"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384",
         "-aes-256-cbc", "-pass", f"pass:{passphrase}", "-out", str(key)],
        check=True, capture_output=True,
    )  # fmt: skip
    csr = subprocess.run(
        ["openssl", "req", "-new", "-key", str(key), "-passin", f"pass:{passphrase}",
         "-subj", "/CN=imported.example.com",
         "-addext", "subjectAltName=DNS:imported.example.com", "-sha384"],
        check=True, capture_output=True,
    ).stdout.decode()  # fmt: skip
    return key.read_text(), csr


def test_import_with_passphrase(logged_in: Page, api: httpx.Client, tmp_path: Path) -> None:
    passphrase = "s3cret pass phrase"
    key_pem, csr_pem = _openssl_key_and_csr(tmp_path, passphrase)
    assert "ENCRYPTED PRIVATE KEY" in key_pem
    page = logged_in
    page.goto("/csrs/new")
    page.get_by_label("Name", exact=True).fill("imported")
    page.get_by_label("Type", exact=True).select_option(label="Import Certificate Signing Request")
    expect(page.get_by_label("Profile", exact=True)).to_be_hidden()
    markers = page.get_by_role("list", name="Steps")
    expect(markers.get_by_role("listitem").filter(has_text="Certificate Subject")).to_be_hidden()
    expect(markers.get_by_role("listitem").filter(has_text="Import Certificate")).to_be_visible()

    next_step(page, "Import Certificate")
    page.get_by_label("Signing Request", exact=True).fill(csr_pem)
    page.get_by_label("Private Key", exact=True).fill(key_pem)
    page.get_by_label("Passphrase", exact=True).fill(passphrase)
    page.get_by_label("Confirm Passphrase", exact=True).fill(passphrase + "x")
    page.get_by_role("button", name="Next").click()
    expect(step(page, "Import Certificate")).to_be_visible()
    assert page.get_by_label("Confirm Passphrase", exact=True).evaluate(
        "el => el.validationMessage"
    ) == ("Confirm Passphrase must match Passphrase.")
    page.get_by_label("Confirm Passphrase", exact=True).fill(passphrase)

    next_step(page, "Confirm Options")
    shown = summary(page)
    assert shown == {
        "Name": "imported",
        "Type": "Import Certificate Signing Request",
        "Signing Request": "provided",
        "Private Key": "provided",
        "Passphrase": "provided",
    }
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Certificate signing request imported")
    details = csr_by_name(api, "imported")
    assert details["source"] == "imported"
    assert details["common"] == "imported.example.com"
    stored_key = api.get(f"/csrs/{details['id']}/private-key").content
    ours = subprocess.run(
        ["openssl", "pkey", "-pubout"], input=stored_key, capture_output=True, check=True
    ).stdout
    theirs = subprocess.run(
        ["openssl", "pkey", "-pubout", "-passin", f"pass:{passphrase}"],
        input=key_pem.encode(), capture_output=True, check=True,
    ).stdout  # fmt: skip
    assert ours == theirs


def test_import_error_asks_for_the_key_again_and_never_echoes_it(
    logged_in: Page, api: httpx.Client, tmp_path: Path
) -> None:
    key_pem, csr_pem = _openssl_key_and_csr(tmp_path, "right passphrase")
    page = logged_in
    page.goto("/csrs/new")
    page.get_by_label("Name", exact=True).fill("wrong-pass")
    page.get_by_label("Type", exact=True).select_option("CERTIFICATE_CREATE_IMPORTED_CSR")
    next_step(page, "Import Certificate")
    page.get_by_label("Signing Request", exact=True).fill(csr_pem)
    page.get_by_label("Private Key", exact=True).fill(key_pem)
    page.get_by_label("Passphrase", exact=True).fill("wrong passphrase")
    page.get_by_label("Confirm Passphrase", exact=True).fill("wrong passphrase")
    next_step(page, "Confirm Options")
    page.get_by_role("button", name="Save").click()

    current = step(page, "Import Certificate")
    expect(current).to_be_visible()
    expect(current.locator(".field-error")).not_to_have_count(0)
    expect(current).to_contain_text("paste the Private Key and type the Passphrase again")
    expect(page.get_by_label("Name", exact=True)).to_have_value("wrong-pass")
    expect(page.get_by_label("Signing Request", exact=True)).to_have_value(csr_pem.strip())
    expect(page.get_by_label("Private Key", exact=True)).to_have_value("")
    html = page.content()
    key_body = key_pem.splitlines()[1]
    assert key_body not in html
    assert "wrong passphrase" not in html
    assert api.get("/csrs", params={"search": "wrong-pass"}).json()["total"] == 0


def test_server_errors_open_the_step_they_belong_to(logged_in: Page, api: httpx.Client) -> None:
    page = logged_in
    page.goto("/csrs/new")
    page.get_by_label("Name", exact=True).fill("needs-ca")
    next_step(page, "Certificate Options")
    next_step(page, "Certificate Subject")
    page.get_by_label("Organization", exact=True).fill("Kept Org")
    page.get_by_label("Common Name", exact=True).fill("kept.example.com")
    add_sans(page, "kept.example.com")
    constraints = next_step(page, "Extra Constraints")
    constraints.get_by_label("Key Usage", exact=True).check()
    constraints.get_by_label("Key Usage Config").select_option("Key Cert Sign")
    next_step(page, "Confirm Options")
    page.get_by_role("button", name="Save").click()

    constraints = step(page, "Extra Constraints")
    expect(constraints).to_be_visible()
    error = constraints.locator("#f-cert-extensions-KeyUsage-config-error")
    expect(error).to_contain_text("Key Cert Sign needs Basic Constraints")
    expect(page.get_by_role("alert")).to_contain_text("correct the fields marked below")
    ku_config = constraints.get_by_label("Key Usage Config")
    expect(ku_config).to_have_values(["key_cert_sign"])
    expect(ku_config).to_have_accessible_description(re.compile("Key Cert Sign needs"))
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_label("Organization", exact=True)).to_have_value("Kept Org")
    expect(page.get_by_role("button", name="Remove kept.example.com")).to_be_visible()

    # A bad SAN sends the wizard to Certificate Subject, the name taken to Identifier and Type.
    page.get_by_label("Subject Alternate Names", exact=True).fill("bad!name.example.com")
    page.get_by_label("Subject Alternate Names", exact=True).press("Enter")
    constraints = next_step(page, "Extra Constraints")
    constraints.get_by_label("Key Usage", exact=True).uncheck()
    next_step(page, "Confirm Options")
    page.get_by_role("button", name="Save").click()
    subject = step(page, "Certificate Subject")
    expect(subject).to_be_visible()
    expect(subject.locator("#f-san-error")).to_contain_text("Entry 2")

    expect(subject.locator("#f-san-error")).to_contain_text("bad!name.example.com")
    expect(page.get_by_label("Subject Alternate Names", exact=True)).to_be_focused()
    page.get_by_role("button", name="Remove bad!name.example.com").click()
    api.post("/csrs", json={"name": "needs-ca", "create_type": "CERTIFICATE_CREATE_CSR",
                            "key_type": "EC", "common": "x.example.com"})  # fmt: skip
    next_step(page, "Extra Constraints")
    next_step(page, "Confirm Options")
    page.get_by_role("button", name="Save").click()
    first = step(page, "Identifier and Type")
    expect(first).to_be_visible()
    expect(first.locator("#f-name-error")).to_contain_text("already exists")
    expect(page.get_by_label("Name", exact=True)).to_be_focused()


def test_profiles_fill_the_options_and_constraints(logged_in: Page) -> None:
    page = logged_in
    page.goto("/csrs/new")
    page.get_by_label("Profile", exact=True).select_option("HTTPS ECC Certificate")
    page.get_by_label("Name", exact=True).fill("profiled")
    next_step(page, "Certificate Options")
    expect(page.get_by_label("Key Type", exact=True)).to_have_value("EC")
    expect(page.get_by_label("EC Curve", exact=True)).to_have_value("SECP384R1")
    expect(page.get_by_label("Digest Algorithm", exact=True)).to_have_value("SHA256")
    next_step(page, "Certificate Subject")
    constraints = next_step(page, "Extra Constraints")
    ku = constraints.get_by_label("Key Usage Config")
    expect(constraints.get_by_label("Basic Constraints", exact=True)).to_be_checked()
    expect(constraints.get_by_label("Basic Constraints Config")).to_have_values(
        ["extension_critical"]
    )
    expect(constraints.get_by_label("Extended Key Usage", exact=True)).to_be_checked()
    expect(constraints.get_by_label("Usages")).to_have_values(["CLIENT_AUTH", "SERVER_AUTH"])
    expect(ku).to_have_values(["digital_signature", "extension_critical"])

    page.get_by_role("button", name="Back").click()
    page.get_by_role("button", name="Back").click()
    page.get_by_role("button", name="Back").click()
    page.get_by_label("Profile", exact=True).select_option("HTTPS RSA Certificate")
    next_step(page, "Certificate Options")
    expect(page.get_by_label("Key Type", exact=True)).to_have_value("RSA")
    expect(page.get_by_label("Key Length", exact=True)).to_have_value("2048")
    next_step(page, "Certificate Subject")
    next_step(page, "Extra Constraints")
    expect(ku).to_have_values(
        ["digital_signature", "key_encipherment", "key_agreement", "extension_critical"]
    )
    next_step(page, "Confirm Options")
    shown = summary(page)
    assert shown["Key Usage Config"] == (
        "Digital Signature, Key Encipherment, Key Agreement, Critical Extension"
    )
    assert shown["Basic Constraints Config"] == "Critical Extension"
    assert shown["Usages"] == "CLIENT_AUTH, SERVER_AUTH (Critical Extension)"


def test_options_show_their_policy(logged_in: Page) -> None:
    page = logged_in
    page.goto("/csrs/new")
    page.get_by_label("Name", exact=True).fill("policy")
    options = next_step(page, "Certificate Options")
    digest = page.get_by_label("Digest Algorithm", exact=True)
    sha1 = digest.locator("option[value=SHA1]")
    expect(sha1).to_be_disabled()
    expect(options).to_contain_text("SHA1 is not available: SHA-1 signatures are broken")
    page.get_by_label("Key Length", exact=True).select_option("1024")
    expect(options.locator("[data-policy-for=f-key-length]")).to_contain_text(
        "1024-bit RSA keys are too weak"
    )
    page.get_by_label("Key Length", exact=True).select_option("2048")
    expect(options.locator("[data-policy-for=f-key-length]")).to_be_hidden()
    page.get_by_label("Key Type", exact=True).select_option("EC")
    page.get_by_label("EC Curve", exact=True).select_option("SECP521R1")
    expect(options.locator("[data-policy-for=f-ec-curve]")).to_contain_text("Let's Encrypt")


def test_confirm_summary_shows_the_documented_settings(logged_in: Page) -> None:
    """csr-screens.md: Confirm Options shows Type, Key Type, Key Length, Digest Algorithm,
    Country and Basic Constraints Config (in that order), here with the multiple selects' values."""
    page = logged_in
    page.goto("/csrs/new")
    page.get_by_label("Name", exact=True).fill("summary")
    next_step(page, "Certificate Options")
    page.get_by_label("Key Length", exact=True).select_option("4096")
    page.get_by_label("Digest Algorithm", exact=True).select_option("SHA512")
    next_step(page, "Certificate Subject")
    page.get_by_label("Country").select_option("FR")
    page.get_by_label("Common Name").fill("summary.example.com")
    add_sans(page, "summary.example.com")
    constraints = next_step(page, "Extra Constraints")
    constraints.get_by_label("Basic Constraints", exact=True).check()
    constraints.get_by_label("Path Length").fill("0")
    constraints.get_by_label("Basic Constraints Config").select_option(["CA", "Critical Extension"])
    constraints.get_by_label("Key Usage", exact=True).check()
    constraints.get_by_label("Key Usage Config").select_option(["Key Cert Sign", "CRL Sign"])
    next_step(page, "Confirm Options")
    shown = summary(page)
    documented = ["Type", "Key Type", "Key Length", "Digest Algorithm", "Country"]
    documented.append("Basic Constraints Config")
    assert [k for k in shown if k in documented] == documented
    assert shown["Type"] == "Certificate Signing Request"
    assert shown["Key Type"] == "RSA"
    assert shown["Key Length"] == "4096"
    assert shown["Digest Algorithm"] == "SHA512"
    assert shown["Country"] == "France"
    assert shown["Basic Constraints Config"] == "CA, Critical Extension"
    assert shown["Path Length"] == "0"
    assert shown["Usages"] == "Disabled"
    assert shown["Key Usage Config"] == "Key Cert Sign, CRL Sign"

    # Changing a select on an earlier step changes the summary.
    page.get_by_role("button", name="Back").click()
    page.get_by_label("Basic Constraints Config").select_option([])
    next_step(page, "Confirm Options")
    assert summary(page)["Basic Constraints Config"] == "None selected"
    page.get_by_role("button", name="Save").click()
    # CA unset but Key Cert Sign asked for: the server refuses, beside Key Usage Config.
    constraints = step(page, "Extra Constraints")
    expect(constraints.get_by_label("Key Usage Config")).to_have_values(
        ["key_cert_sign", "crl_sign"]
    )
    expect(constraints.get_by_label("Basic Constraints Config")).to_have_values([])
    expect(constraints.get_by_label("Path Length")).to_have_value("0")
