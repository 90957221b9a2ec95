"""`manage.py demo`: every persona, Riley's realistic circle, and idempotence."""

from django.core.management import call_command
from django.db.models import Max, Min

from circles.accounts.models import User
from circles.demo.personas import PERSONAS
from circles.network.health import load_network


def test_demo_builds_every_persona_and_rileys_circle(db, settings):
    call_command("demo")
    assert set(User.objects.values_list("email", flat=True)) == {p.email for p in PERSONAS}
    riley = User.objects.get(email="riley@example.org")
    assert riley.check_password(settings.CIRCLES_DEMO_PASSWORD)
    network = load_network(riley)
    assert len(network.ties) == 12
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
    assert (User.objects.count(), riley.ties.count(), riley.commitments.count()) == (6, 12, 3)
    contacts = riley.interactions.count()
    call_command("demo", "--reset")
    assert riley.ties.count() == 12 and riley.interactions.count() == contacts


def test_rileys_ties_were_added_when_her_contact_log_begins(db):
    """A tie with eight weeks of contact was not added yesterday (its page would say so)."""
    call_command("demo")
    riley = User.objects.get(email="riley@example.org")
    first_contact = riley.interactions.aggregate(first=Min("occurred_at"))["first"]
    for tie in riley.ties.all():
        assert abs((first_contact - tie.created_at).days) <= 1
        assert tie.status_changes.get().changed_at == tie.created_at == tie.status_since
