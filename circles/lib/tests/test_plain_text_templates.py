"""Plain-text templates (email subjects and bodies, push titles, text messages) are not HTML: a name
such as "O'Brien & co" must read as written, not as "O&#x27;Brien &amp; co"."""

import datetime as dt
import pathlib
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

CIRCLES = pathlib.Path(__file__).resolve().parents[2]
PLAIN_TEXT = sorted(CIRCLES.glob("*/templates/**/*.txt"))
NAME = "O'Brien & co"


def test_there_are_plain_text_templates_to_check():
    assert len(PLAIN_TEXT) > 10


@pytest.mark.parametrize("path", PLAIN_TEXT, ids=lambda p: str(p.relative_to(CIRCLES)))
def test_every_plain_text_template_turns_html_escaping_off(path):
    text = path.read_text()
    assert "{% autoescape off %}" in text and "{% endautoescape %}" in text


def test_an_account_email_keeps_names_as_written():
    context = {
        "user": SimpleNamespace(display_name=NAME),
        "token": SimpleNamespace(name="Jo's laptop & phone", can_write=False, expires_at=None),
        "when": dt.datetime(2026, 3, 10, 18, 0, tzinfo=dt.UTC),
        "client_address": None,
    }
    body = render_to_string("accounts/email/token_created.txt", context)
    assert f"Hello {NAME}," in body
    assert "“Jo's laptop & phone”" in body
