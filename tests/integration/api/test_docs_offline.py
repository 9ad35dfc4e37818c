"""``/api/docs`` works without Internet: over HTTP against the live server, the page and the
Swagger UI files it loads need a login or token, the page names no other host, the files are
served by certdesk with long-lived cache headers, and no request target reaches a file outside
the asset directory (raw targets through ``http.client``, which sends them as written). The page
comes with a strict Content-Security-Policy whose one script hash is that of the page's inline
script, recomputed here from the served HTML."""

from __future__ import annotations

import base64
import hashlib
import http.client
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest

from certdesk.api.docs import ASSETS_PATH, find_assets, inline_scripts, script_hash, swagger_assets
from tests.fixtures.live_server import LiveServer

URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""", re.IGNORECASE)
SRC_OR_HREF = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


@pytest.fixture
def docs_html(shared_live_server: LiveServer) -> str:
    with shared_live_server.client() as client:
        response = client.get(shared_live_server.base_url + "/api/docs")
    assert response.status_code == 200, response.text
    return response.text


#: ``<script>`` elements without attributes, i.e. inline ones (written independently of
#: certdesk's own HTML parsing).
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def asset_urls(html: str) -> list[str]:
    """The ``src``/``href`` URLs of the page."""
    return SRC_OR_HREF.findall(html)


@contextmanager
def session_cookie_client(server: LiveServer) -> Iterator[httpx.Client]:
    """A client holding the session cookie of a login, as the browser does."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        login = client.post(
            "/api/v1/auth/login", json={"username": server.username, "password": server.password}
        )
        assert login.status_code == 200, login.text
        assert client.cookies
        yield client


def test_the_page_loads_the_three_files_from_certdesk(docs_html: str) -> None:
    urls = asset_urls(docs_html)
    assert sorted(urlsplit(u).path for u in urls) == sorted(
        f"{ASSETS_PATH}/{name}"
        for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")
    )
    assert all(urlsplit(u).query.startswith("v=") for u in urls), urls
    assert "'/api/v1/openapi.json'" in docs_html


def test_the_page_names_no_other_host(shared_live_server: LiveServer, docs_html: str) -> None:
    own = urlsplit(shared_live_server.base_url).netloc
    foreign = [url for url in URL.findall(docs_html) if urlsplit(url).netloc != own]
    assert foreign == [], foreign
    assert "cdn" not in docs_html.lower()
    assert '"validatorUrl": null' in docs_html


def test_page_and_files_answer_401_without_credentials_and_200_with_them(
    shared_live_server: LiveServer, docs_html: str
) -> None:
    base = shared_live_server.base_url
    urls = ["/api/docs", *asset_urls(docs_html)]
    with httpx.Client(base_url=base, timeout=30) as anonymous:
        for url in urls:
            response = anonymous.get(url)
            assert response.status_code == 401, url
            assert response.headers["content-type"].startswith("application/problem+json")
        bad_token = anonymous.get(urls[1], headers={"Authorization": "Bearer not-a-token"})
        assert bad_token.status_code == 401
    with shared_live_server.client() as bearer, session_cookie_client(shared_live_server) as web:
        for url in urls:
            assert bearer.get(base + url).status_code == 200, url
            assert web.get(url).status_code == 200, url


def test_files_are_swagger_ui_5_with_their_types_and_cache_headers(
    shared_live_server: LiveServer, docs_html: str
) -> None:
    expected_types = {
        "swagger-ui-bundle.js": "text/javascript",
        "swagger-ui.css": "text/css",
        "favicon.png": "image/png",
    }
    with shared_live_server.client() as client:
        for url in asset_urls(docs_html):
            name = urlsplit(url).path.rsplit("/", 1)[1]
            response = client.get(shared_live_server.base_url + url)
            assert response.status_code == 200, url
            assert response.headers["content-type"].startswith(expected_types[name])
            assert response.headers["x-content-type-options"] == "nosniff"
            cache = response.headers["cache-control"]
            assert "max-age=31536000" in cache and "immutable" in cache and "private" in cache
            assert response.content == swagger_assets()[name].path.read_bytes()
            # Without the current version the browser must ask again.
            unversioned = client.get(shared_live_server.base_url + urlsplit(url).path)
            assert unversioned.status_code == 200
            assert "immutable" not in unversioned.headers["cache-control"]
            assert "no-cache" in unversioned.headers["cache-control"]
        bundle = client.get(shared_live_server.base_url + f"{ASSETS_PATH}/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    assert re.search(r'PACKAGE_VERSION:"5\.\d+\.\d+"', bundle.text), "not Swagger UI 5.x"


def _traversal_targets() -> Iterator[str]:
    real = swagger_assets()["swagger-ui.css"].path
    yield from (
        ASSETS_PATH,
        ASSETS_PATH + "/",
        ASSETS_PATH + "/.",
        ASSETS_PATH + "/..",
        ASSETS_PATH + "/%2E%2E",
        ASSETS_PATH + "/../../../../../../etc/passwd",
        ASSETS_PATH + "/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        ASSETS_PATH + "/%2E%2E%2F%2E%2E%2Fapp.py",
        ASSETS_PATH + "/..%5C..%5C..%5Cetc%5Cpasswd",
        ASSETS_PATH + "/%2Fetc%2Fpasswd",
        ASSETS_PATH + "//etc/passwd",
        ASSETS_PATH + "/" + quote(str(real), safe=""),
        ASSETS_PATH + "/" + str(real),
        ASSETS_PATH + "/../static/swagger-ui.css",
        ASSETS_PATH + "/swagger-ui.css%00.png",
        ASSETS_PATH + "/static",
        # In the package's folder, but not one of the files the page needs.
        ASSETS_PATH + "/redoc.standalone.js",
        ASSETS_PATH + "/__init__.py",
        ASSETS_PATH + "/..%2F__init__.py",
    )


def test_traversal_attempts_answer_404(shared_live_server: LiveServer) -> None:
    host = urlsplit(shared_live_server.base_url)
    assert host.hostname is not None and host.port is not None
    auth = {"Authorization": f"Bearer {shared_live_server.token}"}
    for target in _traversal_targets():
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        try:
            connection.request("GET", target, headers=auth)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        assert response.status == 404, (target, response.status, body[:200])
        assert b"root:" not in body and b"SwaggerUIBundle" not in body, target


def test_find_assets_keeps_only_regular_files_directly_inside(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("not for the browser")
    (assets / "plain.js").write_text("// ok")
    (assets / "inside-target.css").write_text("body {}")
    (assets / "link-out.js").symlink_to(outside)
    (assets / "link-in.css").symlink_to(assets / "inside-target.css")
    (assets / "folder.js").mkdir()
    (assets / "sub").mkdir()
    (assets / "sub" / "nested.js").write_text("// nested")
    wanted = {
        name: "text/plain"
        for name in (
            "plain.js",
            "link-out.js",
            "link-in.css",
            "folder.js",
            "missing.js",
            "sub/nested.js",
            "../secret.txt",
            str(outside),
            "..",
            ".",
            "",
        )
    }
    found = find_assets(assets, wanted)
    assert set(found) == {"plain.js"}
    assert found["plain.js"].path == (assets / "plain.js").resolve()
    assert len(found["plain.js"].version) == 16


def test_the_asset_directory_may_itself_be_reached_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.css").write_text("a {}")
    (tmp_path / "alias").symlink_to(real)
    assert set(find_assets(tmp_path / "alias", {"a.css": "text/css"})) == {"a.css"}


def policy_directives(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as ``{directive: [source, ...]}``."""
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} twice in {header}"
        directives[name] = sources
    return directives


def test_the_page_sends_a_strict_policy_allowing_exactly_its_inline_script(
    shared_live_server: LiveServer,
) -> None:
    with shared_live_server.client() as client:
        response = client.get(shared_live_server.base_url + "/api/docs")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    policy = policy_directives(response.headers["content-security-policy"])
    scripts = INLINE_SCRIPT.findall(response.text)
    assert len(scripts) == 1 and "SwaggerUIBundle(" in scripts[0]
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert policy == {
        "default-src": ["'none'"],
        "script-src": ["'self'", f"'sha256-{digest}'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
    # The policy is computed once: a second request gets the same page and header.
    with shared_live_server.client() as client:
        again = client.get(shared_live_server.base_url + "/api/docs")
    assert again.text == response.text
    assert again.headers["content-security-policy"] == response.headers["content-security-policy"]


def test_script_hash_is_the_csp_source_expression() -> None:
    # The example of the CSP Level 3 specification (section "Hash usage for script elements").
    assert script_hash("alert('Hello, world.');") == (
        "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
    )


def test_inline_scripts_are_found_exactly_and_scripts_with_src_skipped() -> None:
    html = (
        '<html><head><script src="/a.js"></script>'
        '<script type="module">\n  let a = "</div>";\n</script></head>'
        "<body><SCRIPT>b &amp;&amp; c()</SCRIPT><p>text</p></body></html>"
    )
    assert inline_scripts(html) == ['\n  let a = "</div>";\n', "b &amp;&amp; c()"]
