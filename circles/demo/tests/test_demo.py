"""`manage.py demo`: every persona, Riley's realistic circle, and idempotence."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Max, Min
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from circles.accounts.models import User
from circles.care.models import Enrolment, Organization
from circles.demo.harbor import MEMBERS, demo_member_email
from circles.demo.personas import PERSONAS
from circles.network.health import load_network
from circles.network.models import Tie


def test_demo_builds_every_persona_and_rileys_circle(db, settings):
    call_command("demo")
    members = {demo_member_email(spec.key) for spec in MEMBERS}
    assert set(User.objects.values_list("email", flat=True)) == {p.email for p in PERSONAS} | members
    riley = User.objects.get(email="riley@example.org")
    assert riley.check_password(settings.CIRCLES_DEMO_PASSWORD)
    assert User.objects.get(email="marcus@example.org").check_password(settings.CIRCLES_DEMO_PASSWORD)
    network = load_network(riley)
    assert len(network.ties) == 13  # her circle of 12, and Harbor Recovery Center since she enrolled
    assert {f.pillar for f in network.facts} == {"family_friends", "professional", "peer"}
    stances = [f.stance for f in network.facts]
    assert "supports_use" in stances
    assert any(f.strain_flags for f in network.facts)
    codes = {s.code for s in network.health.suggestions}
    assert {"strained_inner_tie", "pro_use_tie", "commitment_off_track"} <= codes
    off_track = [c.title for c in network.health.commitments if c.adherence.off_track]
    assert off_track == ["Call Mum three times a week"]
    span = riley.interactions.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
    assert (span["last"] - span["first"]).days >= 49  # eight weeks of contact


def test_demo_is_idempotent(db):
    call_command("demo")
    call_command("demo")
    riley = User.objects.get(email="riley@example.org")
    assert (User.objects.count(), riley.ties.count(), riley.commitments.count()) == (27, 13, 3)
    contacts = riley.interactions.count()
    call_command("demo", "--reset")
    assert riley.ties.count() == 13 and riley.interactions.count() == contacts
    assert User.objects.count() == 27
    # Harbor is built once too: one organization, Riley and twenty more enrolled, each once.
    assert Organization.objects.count() == 1
    assert (
        Enrolment.objects.active().count()
        == 21
        == Tie.objects.filter(relationship="care_organization").count()
    )


def test_rileys_ties_were_added_when_her_contact_log_begins(db):
    """A tie with eight weeks of contact was not added yesterday (its page would say so). Harbor came
    later: Riley enrolled there weeks after she began her contact log."""
    call_command("demo")
    riley = User.objects.get(email="riley@example.org")
    first_contact = riley.interactions.aggregate(first=Min("occurred_at"))["first"]
    for tie in riley.ties.exclude(relationship="care_organization"):
        assert abs((first_contact - tie.created_at).days) <= 1
        assert tie.status_changes.get().changed_at == tie.created_at == tie.status_since


def test_casey_and_olivia_sign_in_with_the_code_make_run_prints(db, settings):
    """Their roles need two-factor sign-in; the demo's fixed secrets keep them usable for a newcomer."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False):
        out = io.StringIO()
        call_command("demo", stdout=out)
        printed = out.getvalue()
        for email in ("casey@example.org", "drew@example.org", "olivia@example.org"):
            assert f"{email}: authenticator secret" in printed
            shown = re.search(rf"{email}.*?code right now: (\d{{6}})", printed, re.S).group(1)
            code = io.StringIO()
            call_command("demo_totp", email, stdout=code)
            assert code.getvalue().strip() == shown

            client = Client()
            client.post("/accounts/login/", {"username": email, "password": settings.CIRCLES_DEMO_PASSWORD})
            assert client.get("/network/")["Location"].startswith("/accounts/login/code/")
            assert client.post("/accounts/login/code/", {"code": shown}).status_code == 302
            assert client.get("/network/").status_code == 200
        assert "otpauth://totp/Circles%3Acasey%40example.org?secret=" in printed


def test_demo_recovery_codes_come_back_with_each_run(db, settings):
    call_command("demo", stdout=io.StringIO())
    casey = User.objects.get(email="casey@example.org")
    client = Client()
    client.post("/accounts/login/", {"username": casey.email, "password": settings.CIRCLES_DEMO_PASSWORD})
    assert client.post("/accounts/login/code/", {"code": "democasey1"}).status_code == 302
    call_command("demo", stdout=io.StringIO())
    assert StaticToken.objects.filter(device__user=casey, token="democasey1").exists()
    assert TOTPDevice.objects.filter(user=casey).count() == 1


def test_demo_codes_are_refused_under_production_settings(db, settings):
    call_command("demo", stdout=io.StringIO())
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never given under production"):
        call_command("demo_totp", "casey@example.org")
