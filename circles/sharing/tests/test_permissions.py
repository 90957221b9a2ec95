"""Permission grid: every kind of information × every persona, through pages and the API.

Sam sees a scope only while Riley's live consent covers it: not without it, not after revocation,
not after expiry. Casey and Mallory, and Riley herself, get 404 for anything of the supporter side,
and every refusal is written to the audit trail.
"""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from circles.accounts.models import User
from circles.audit.models import AuditEvent
from circles.lib.time import local_today, user_zone
from circles.network.tests.factories import make_tie
from circles.network.tests.test_permissions import call
from circles.sharing import logic
from circles.sharing.actions import do_revoke_consent
from circles.sharing.tests.factories import grant, link, shared_records

SCOPES = logic.SCOPE_CODES


@pytest.fixture
def shared(riley, sam):
    tie = link(riley, sam)
    mum = make_tie(riley, "Mum", relationship="parent")
    shared_records(riley, tie, mum)
    return tie


def scope_url(member, scope):
    return f"/api/v1/supporting/{member.pk}/shared/{scope}"


# What text on the supporter's member page shows that a scope is being disclosed.
PAGE_MARKERS = {
    logic.CHECKED_IN: "Checked in today",
    logic.MOOD: "Mood, craving and stress",
    logic.RETURNS_TO_USE: "Returns to use",
    logic.STRUGGLES: "Evenings are hard",
    logic.PLAN: "Relapse-prevention and safety plan",
    logic.NETWORK_MAP: "network map",
    logic.ALERTS: "can ask you for support through Circles",
    logic.REACH: "mailto:",
    **{scope.code: str(scope.label) for scope in logic.RESULT_SCOPES},
}


@pytest.mark.parametrize("scope", SCOPES)
def test_sam_sees_a_scope_only_while_it_is_granted(riley, sam, shared, client_for, scope):
    client = client_for(sam)
    page = f"/supporting/{riley.pk}/"
    # Linked, nothing granted: the page says so; the scope is 404.
    assert client.get(scope_url(riley, scope)).status_code == 404
    assert PAGE_MARKERS[scope] not in client.get(page).content.decode()
    # Granted.
    grant(shared, [scope])
    response = client.get(scope_url(riley, scope))
    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == [scope]
    body = client.get(page).content.decode()
    assert PAGE_MARKERS[scope] in body
    # The short form of the redisclosure notice goes with every disclosure, linking to the full one.
    assert "42 CFR part 2 prohibits unauthorized use or disclosure of these records." in body
    assert 'href="/supporting/notice/"' in body
    # Every other scope stays closed.
    for other in SCOPES:
        if other != scope:
            assert client.get(scope_url(riley, other)).status_code == 404, other
    # Revoked: gone on the next request.
    do_revoke_consent(shared, acting_user=riley)
    assert client.get(scope_url(riley, scope)).status_code == 404
    assert PAGE_MARKERS[scope] not in client.get(page).content.decode()


@pytest.mark.parametrize("scope", SCOPES)
def test_a_granted_scope_ends_with_its_expiry_day(riley, sam, shared, client_for, scope):
    today = local_today(riley)
    grant(shared, [scope], expires_on=today + dt.timedelta(days=3))
    client = client_for(sam)
    assert client.get(scope_url(riley, scope)).status_code == 200
    last_minute = dt.datetime.combine(today + dt.timedelta(days=3), dt.time(23, 59), tzinfo=user_zone(riley))
    # A fresh sign-in each time: the session itself would have ended after days without activity.
    with time_machine.travel(last_minute, tick=False):
        assert client_for(sam).get(scope_url(riley, scope)).status_code == 200
    with time_machine.travel(last_minute + dt.timedelta(minutes=2), tick=False):
        client = client_for(sam)
        assert client.get(scope_url(riley, scope)).status_code == 404
        assert PAGE_MARKERS[scope] not in client.get(f"/supporting/{riley.pk}/").content.decode()


@pytest.mark.parametrize("persona", ["riley", "casey", "mallory", "olivia"])
def test_nobody_else_sees_anything_even_with_every_scope_granted(personas, shared, client_for, persona):
    riley = personas["riley"]
    grant(shared, SCOPES)
    client = client_for(personas[persona])
    urls = [scope_url(riley, scope) for scope in SCOPES] + [
        f"/api/v1/supporting/{riley.pk}",
        f"/supporting/{riley.pk}/",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, (persona, url)
    assert client.post(f"/supporting/{riley.pk}/encourage/", {"message": "hi"}).status_code == 404
    assert riley.interactions.filter(kind="encouragement").count() == 0
    assert client.get("/api/v1/supporting").json() == []
    refused = AuditEvent.objects.filter(actor=personas[persona], subject=riley, outcome="denied")
    assert refused.count() >= len(urls)


def test_an_ended_tie_sees_nothing(riley, sam, shared, client_for):
    from circles.network.actions import do_change_tie_status

    grant(shared, SCOPES)
    do_change_tie_status(shared, "ended", note="", acting_user=riley)
    client = client_for(sam)
    assert client.get(f"/supporting/{riley.pk}/").status_code == 404
    assert all(client.get(scope_url(riley, s)).status_code == 404 for s in SCOPES)


def test_a_struggle_is_seen_only_by_the_tie_it_was_addressed_to(riley, sam, mallory, shared, client_for):
    mum = riley.ties.get(display_name="Mum")
    mum.supporter = mallory
    mum.save(update_fields=["supporter"])
    grant(shared, [logic.STRUGGLES])
    grant(mum, [logic.STRUGGLES])
    sam_sees = client_for(sam).get(scope_url(riley, logic.STRUGGLES)).json()["struggles"]
    mum_sees = client_for(mallory).get(scope_url(riley, logic.STRUGGLES)).json()["struggles"]
    assert [s["text"] for s in sam_sees] == ["Evenings are hard"]
    assert [s["text"] for s in mum_sees] == ["Only for Mum"]


def test_returns_to_use_never_show_the_members_own_note(riley, sam, shared, client_for):
    grant(shared, SCOPES)
    client = client_for(sam)
    assert (
        client.get(scope_url(riley, logic.RETURNS_TO_USE)).json()["returns_to_use"][0]["substance"]
        == "alcohol"
    )
    for body in (
        client.get(f"/supporting/{riley.pk}/").content,
        client.get(f"/api/v1/supporting/{riley.pk}").content,
    ):
        assert b"Private note about the wedding" not in body


def test_mood_alone_does_not_reveal_use_or_checkin_status(riley, sam, shared, client_for):
    grant(shared, [logic.MOOD])
    data = client_for(sam).get(f"/api/v1/supporting/{riley.pk}").json()
    assert data["mood"] and data["returns_to_use"] is None and data["checked_in_today"] is None
    assert data["struggles"] is None and data["results"] is None


def test_every_read_by_sam_is_recorded(riley, sam, shared, client_for):
    grant(shared, [logic.MOOD, logic.CHECKED_IN, logic.NETWORK_MAP])
    before = timezone.now()
    client_for(sam).get(f"/supporting/{riley.pk}/")
    rows = AuditEvent.objects.filter(actor=sam, subject=riley, at__gte=before, outcome="allowed")
    assert sorted(rows.values_list("action", "object_ref")) == [
        ("shared.view", "scopes:checked_in,mood"),
        ("shared.view", "scopes:network_map"),
    ]


def test_signed_out_visitors_are_sent_to_log_in_or_get_401(riley, client):
    for url in [
        "/supporting/",
        f"/supporting/{riley.pk}/",
        "/sharing/",
        "/sharing/access/",
        "/sharing/consents/",
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    for url in [
        "/api/v1/supporting",
        f"/api/v1/supporting/{riley.pk}",
        "/api/v1/sharing",
        "/api/v1/consents",
    ]:
        assert client.get(url).status_code == 401, url


def member_routes(tie, consent, invitation):
    return [
        ("get", f"/sharing/ties/{tie.pk}/", {}, 200),
        ("post", f"/sharing/ties/{tie.pk}/", {"scopes": ["mood"], "purpose": ""}, 400),
        ("get", f"/sharing/consents/{consent.pk}/", {}, 200),
        ("get", f"/sharing/consents/{consent.pk}/fhir.json", {}, 200),
        ("post", f"/sharing/invitations/{invitation.pk}/resend/", {}, 302),
        ("post", f"/sharing/invitations/{invitation.pk}/cancel/", {}, 302),
        ("get", f"/api/v1/consents/{consent.pk}", None, 200),
        ("get", f"/api/v1/consents/{consent.pk}/fhir", None, 200),
        ("post", f"/api/v1/invitations/{invitation.pk}/resend", {}, 200),
        ("post", f"/api/v1/invitations/{invitation.pk}/cancel", {}, 200),
        (
            "put",
            f"/api/v1/ties/{tie.pk}/consent",
            {"scopes": ["mood"], "purpose": "To help", "signature_name": "Riley Example"},
            200,
        ),
        ("post", f"/sharing/ties/{tie.pk}/revoke/", {}, 302),
        ("delete", f"/api/v1/ties/{tie.pk}/consent", None, 204),
        ("post", f"/sharing/ties/{tie.pk}/unlink/", {}, 302),
        ("delete", f"/api/v1/ties/{tie.pk}/supporter", None, 204),
        # Once unlinked, they can be invited again.
        ("post", f"/sharing/ties/{tie.pk}/invite/", {"email": "not an address"}, 400),
        ("post", f"/api/v1/ties/{tie.pk}/invitations", {"email": "new@example.org"}, 201),
    ]


def _member_objects(riley):
    from circles.sharing.tests.factories import invite

    tie = link(
        riley, User.objects.create_user("alex@example.org", "x" * 12, display_name="Alex"), name="Alex"
    )
    consent = grant(tie, [logic.MOOD])
    invitation = invite(tie, "alex@example.org")
    return tie, consent, invitation


@pytest.mark.parametrize("persona", ["sam", "casey", "olivia", "mallory"])
def test_others_get_404_for_rileys_sharing_records(personas, client_for, persona):
    riley = personas["riley"]
    tie, consent, invitation = _member_objects(riley)
    client = client_for(personas[persona])
    for method, url, data, _expected in member_routes(tie, consent, invitation):
        assert call(client, method, url, data).status_code == 404, (persona, method, url)
    assert (
        riley.consents.count() == 1
        and invitation.__class__.objects.get(pk=invitation.pk).cancelled_at is None
    )


def test_riley_can_do_everything_on_her_sharing_records(riley, client_for):
    tie, consent, invitation = _member_objects(riley)
    client = client_for(riley)
    for method, url, data, expected in member_routes(tie, consent, invitation):
        response = call(client, method, url, data)
        assert response.status_code == expected, (method, url, response.content[:300])


def test_ending_a_tie_revokes_and_resuming_does_not_bring_sharing_back(riley, sam, shared, client_for):
    from circles.network.actions import do_change_tie_status

    grant(shared, [logic.MOOD])
    do_change_tie_status(shared, "ended", note="", acting_user=riley)
    do_change_tie_status(shared, "active", note="", acting_user=riley)
    assert client_for(sam).get(scope_url(riley, logic.MOOD)).status_code == 404
    assert AuditEvent.objects.filter(action="consent.revoke", subject=riley).exists()


def test_a_consent_never_passes_to_another_account(riley, sam, mallory, shared, client_for):
    """Unlinking (or the supporter erasing their account) and linking someone else starts from nothing."""
    from circles.sharing.actions import do_accept_invitation, do_unlink_supporter
    from circles.sharing.tests.factories import invite

    grant(shared, SCOPES)
    shared.supporter = None  # as when Sam's account is erased: the link is cleared, the consent stays
    shared.save(update_fields=["supporter"])
    invitation = invite(shared, "someone@example.org")
    do_accept_invitation(invitation.pk, invitation.nonce, acting_user=mallory)
    client = client_for(mallory)
    assert client.get(f"/supporting/{riley.pk}/").status_code == 200
    assert all(client.get(scope_url(riley, scope)).status_code == 404 for scope in SCOPES)
    assert "is not sharing anything" in client.get("/supporting/").content.decode()
    do_unlink_supporter(shared, acting_user=riley)
    assert client.get(f"/supporting/{riley.pk}/").status_code == 404


def test_sharing_is_chosen_only_once_the_person_has_joined(riley, client_for):
    tie = make_tie(riley, "Alex")
    client = client_for(riley)
    page = client.get(f"/sharing/ties/{tie.pk}/").content.decode()
    assert "Sign and save" not in page and "Once Alex has joined" in page
    response = client.post(
        f"/sharing/ties/{tie.pk}/", {"scopes": ["mood"], "purpose": "Help", "signature_name": "Riley Example"}
    )
    assert response.status_code == 400 and not tie.consents.exists()
    api = client.put(
        f"/api/v1/ties/{tie.pk}/consent",
        {"scopes": ["mood"], "purpose": "Help", "signature_name": "Riley Example"},
        content_type="application/json",
    )
    assert api.status_code == 400 and "tie" in api.json()["errors"]


@pytest.mark.parametrize(
    "url",
    [
        "/supporting/100000000000000000000000000/",
        "/api/v1/supporting/100000000000000000000000000",
        "/api/v1/supporting/100000000000000000000000000/shared/mood",
    ],
)
def test_huge_member_numbers_are_not_found(sam, client_for, url):
    assert client_for(sam).get(url).status_code == 404


def test_one_scope_from_the_api_says_nothing_about_the_others(riley, sam, shared, client_for):
    grant(shared, SCOPES)
    data = client_for(sam).get(scope_url(riley, logic.MOOD)).json()
    assert data["scopes"] == ["mood"] and data["mood"]
    assert data["checked_in_today"] is None and data["returns_to_use"] is None and data["results"] is None
