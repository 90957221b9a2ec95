"""The installable app: manifest, service worker, offline crisis page and install page (docs/install.md)."""

import json
import re
import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from circles.alerts import app_shell

PUBLIC = ["/manifest.webmanifest", "/sw.js", "/offline/", "/install/"]


def png_size(path: str) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, which the signature must be followed by."""
    head = Path(path).read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    return struct.unpack(">II", head[16:24])


def static_file(url: str) -> str:
    assert url.startswith(settings.STATIC_URL), url
    found = finders.find(url.removeprefix(settings.STATIC_URL))
    assert found, f"{url} is not a static file"
    return str(found)


def test_manifest_has_what_installing_needs(client, db):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    assert response["Cache-Control"] == "no-cache"
    manifest = json.loads(response.content)
    assert manifest["name"] == manifest["short_name"] == "Circles"
    assert (manifest["start_url"], manifest["scope"], manifest["id"]) == ("/", "/", "/")
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#1f2a44" and manifest["background_color"] == "#f4f7fb"
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes


def test_every_declared_icon_exists_with_its_declared_size(client, db):
    icons = json.loads(client.get("/manifest.webmanifest").content)["icons"]
    for icon in icons:
        width, height = (int(n) for n in icon["sizes"].split("x"))
        assert icon["type"] == "image/png"
        assert png_size(static_file(icon["src"])) == (width, height), icon["src"]


def test_theme_colours_match_the_stylesheet_and_the_page_head(client, db):
    css = Path(static_file("/static/circles/circles.css")).read_text()
    assert f"--ink: {app_shell.THEME_COLOUR};" in css
    assert f"--wash: {app_shell.BACKGROUND_COLOUR};" in css
    page = client.get("/accounts/login/").content.decode()
    assert f'<meta name="theme-color" content="{app_shell.THEME_COLOUR}">' in page


def test_every_page_links_the_manifest_and_registers_the_worker_once(client, riley, client_for):
    for page in (client.get("/accounts/login/"), client_for(riley).get("/network/")):
        html = page.content.decode()
        assert html.count('<link rel="manifest" href="/manifest.webmanifest">') == 1
        assert html.count('src="/static/circles/sw-register.js" data-worker="/sw.js" defer') == 1
        match = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', html)
        assert match and png_size(static_file(match.group(1))) == (180, 180)


def test_service_worker_is_javascript_at_the_root_never_cached_and_under_the_csp(client, db):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == "/"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp


def worker_config(client) -> dict:
    source = client.get("/sw.js").content.decode()
    match = re.search(r"^var CONFIG = (\{.*\});$", source, re.MULTILINE)
    assert match, "the worker's configuration line"
    return json.loads(match.group(1))


def test_worker_precaches_only_the_offline_page_and_its_assets(client, db):
    config = worker_config(client)
    assert config["offline"] == "/offline/"
    assert config["assets"] == [
        "/static/circles/circles.css",
        "/static/circles/favicon.svg",
        "/static/circles/icons/icon-192.png",
    ]
    for url in config["assets"]:
        static_file(url)
    assert config["icon"] == "/static/circles/icons/icon-192.png" and config["title"] == "Circles"
    assert config["cache"].startswith(f"circles-offline-v{app_shell.CACHE_VERSION}-")


def test_the_cache_name_follows_the_version_and_the_crisis_resources(client, db, settings, tmp_path):
    first = worker_config(client)["cache"]
    assert worker_config(client)["cache"] == first  # the same bytes: browsers keep the installed worker
    settings.CRISIS_RESOURCES_PATH = str(tmp_path / "resources.json")
    Path(settings.CRISIS_RESOURCES_PATH).write_text('{"US": {"en": []}}')
    changed = worker_config(client)["cache"]
    assert changed != first
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app_shell, "CACHE_VERSION", app_shell.CACHE_VERSION + 1)
        bumped = worker_config(client)["cache"]
    assert bumped.startswith(f"circles-offline-v{app_shell.CACHE_VERSION + 1}-") and bumped != changed


def test_worker_handles_push_and_notification_clicks_and_stores_nothing_but_its_list(client, db):
    source = client.get("/sw.js").content.decode()
    for event in ("install", "activate", "fetch", "push", "notificationclick"):
        assert f'addEventListener("{event}"' in source
    # The only writes to a cache are the precache at install: never cache.put of a page it fetched.
    assert ".put(" not in source and source.count("addAll(") == 1


def test_offline_page_shows_the_crisis_lines_with_call_and_text_links(client, db):
    response = client.get("/offline/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-cache"
    html = response.content.decode()
    assert "You are offline" in html and "“I need help now” button needs a connection" in html
    assert 'href="tel:988"' in html and 'href="sms:988"' in html and 'href="tel:911"' in html


def test_offline_page_is_the_same_for_a_signed_in_person_and_leaves_their_messages(riley, client, client_for):
    signed_out = client.get("/offline/").content.decode()
    member = client_for(riley)
    # A notice waiting for Riley's next page must neither show up here nor be used up by the worker.
    member.post("/accounts/settings/", {"display_name": "Riley R", "timezone": riley.timezone})
    response = member.get("/offline/")
    html = response.content.decode()
    assert "Riley" not in html and "riley@example.org" not in html and "saved" not in html
    assert "Log out" not in html and "csrfmiddlewaretoken" not in html
    assert _strip_tokens(html) == _strip_tokens(signed_out)
    assert "no-store" in response["Cache-Control"]  # still never stored by a browser for a signed-in person
    assert "Your settings are saved." in member.get("/network/").content.decode()


def _strip_tokens(html: str) -> str:
    return re.sub(r"csrfmiddlewaretoken[^>]*>", "", html)


def test_offline_page_in_spanish(client, db):
    html = client.get("/offline/", headers={"accept-language": "es"}).content.decode()
    assert "Línea" in html and 'lang="es"' in html


def test_install_page_explains_both_phones_and_loads_its_script(client, db):
    response = client.get("/install/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Add to Home Screen" in html and "Install app" in html
    assert 'id="install-offer" hidden' in html  # the button appears only when the browser offers it
    assert 'src="/static/circles/install.js" defer' in html


def test_help_page_and_settings_link_to_installing(client, riley, client_for):
    assert 'href="/install/"' in client.get("/help-now/").content.decode()
    assert 'href="/install/"' in client_for(riley).get("/accounts/settings/").content.decode()


@pytest.mark.parametrize("persona", [None, "riley", "sam", "mallory"])
def test_the_app_shell_is_public_and_read_only(personas, client_for, persona):
    browser = client_for(personas[persona] if persona else None)
    for url in PUBLIC:
        assert browser.get(url).status_code == 200, url
        assert browser.head(url).status_code == 200, url
        assert browser.post(url).status_code == 405, url


def test_to_a_signed_in_person_the_worker_and_manifest_are_never_stored(riley, client_for):
    client = client_for(riley)
    for url in ("/sw.js", "/manifest.webmanifest"):
        assert client.get(url)["Cache-Control"] == "no-store, private", url
