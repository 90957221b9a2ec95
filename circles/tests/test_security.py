"""The security baseline: headers on every response, no caching of personal pages, deploy checks."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_headers_on_a_public_page(client, db):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "csrfmiddlewaretoken" in response.content.decode()


def test_personal_pages_and_the_api_are_never_cached(riley, client_for):
    client = client_for(riley)
    for url in ("/network/", "/accounts/settings/", "/api/v1/ties"):
        assert "no-store" in client.get(url)["Cache-Control"], url


def test_templates_have_no_inline_script_and_no_third_party_requests():
    for template in ROOT.glob("circles/**/templates/**/*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"inline script in {template}"
        assert not re.search(r"\son[a-z]+=", text), f"inline event handler in {template}"
        assert not re.search(r"(src|href)=\"(https?:)?//", text), f"third-party resource in {template}"
        assert "style=" not in text, f"inline style in {template}"


def manage_in_production(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Runs a manage.py command in a fresh process under production settings."""
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    environment.update(
        CIRCLES_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="circles.example.org",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        AUDIT_HMAC_KEYS="k1:" + secrets.token_urlsafe(32),
    )
    environment.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


ALERT_DELIVERY = {
    "SITE_URL": "https://circles.example.org",
    "TWILIO_ACCOUNT_SID": "AC0000",
    "TWILIO_AUTH_TOKEN": "x",
    "TWILIO_FROM_NUMBER": "+15550100",
}


def test_check_deploy_is_clean_under_production_settings():
    result = manage_in_production(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DATABASE_URL="postgres://circles@db.invalid:5432/circles",  # not connected to by the checks
        EMAIL_USE_TLS="true",
        **ALERT_DELIVERY,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_alert_links_or_texts_cannot_reach_anyone():
    result = manage_in_production("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "circles.W101" in result.stderr and "circles.W102" in result.stderr


def test_production_refuses_demo_users_and_a_missing_secret(tmp_path):
    demo = manage_in_production("demo", SQLITE_PATH=str(tmp_path / "prod.sqlite3"))
    assert demo.returncode != 0 and "never created under production settings" in demo.stderr
    no_secret = manage_in_production("check", SECRET_KEY="")
    assert no_secret.returncode != 0 and "SECRET_KEY" in no_secret.stderr


def test_argon2_hashes_passwords():
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_migrations_match_the_models(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
