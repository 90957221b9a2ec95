"""Permission grid of the enrolment routes (circles/care/views/enrolment.py).

Staff routes of one enrolment (care team, ending): the care team and the organization's administrator
get 200/302; a colleague not on the team, another organization's administrator and outsiders get 404 and
a refused row; so does the care team once the consent is revoked or expired or the enrolment ended.
Invitation routes: any current staff of the organization; others 404 and a refused row. The member's
routes: only the member. Every route sends a signed-out visitor to sign in."""

import pytest
from django.urls import reverse

from circles.care.actions import do_invite_to_enrol
from circles.care.tests.grid import LOSSES, assert_refused, lose_access
from circles.network.tests.test_permissions import call


def invitation_of(harbor):
    return do_invite_to_enrol(
        harbor.organization,
        program=harbor.organization.programs.get(),
        email="",
        primary_staff=harbor.counselor,
        origin="http://testserver/",
        acting_user=harbor.admin.user,
    )


def team_routes(enrolment):
    row = enrolment.care_team.get()
    return [
        ("get", reverse("care:care_team", args=[enrolment.pk]), None),
        ("post", reverse("care:care_team_add", args=[enrolment.pk]), {"staff": row.staff_id}),
        ("post", reverse("care:care_team_primary", args=[enrolment.pk, row.pk]), {}),
        ("post", reverse("care:care_team_remove", args=[enrolment.pk, row.pk]), {}),
        ("get", reverse("care:enrolment_end", args=[enrolment.pk]), None),
        ("post", reverse("care:enrolment_end", args=[enrolment.pk]), {"reason": ""}),
    ]


def invitation_routes(harbor, invitation):
    org = harbor.organization.pk
    return [
        ("get", reverse("care:enrol_invite", args=[org]), None),
        ("post", reverse("care:enrol_invite", args=[org]), {"program": 0}),
        ("get", reverse("care:enrol_invitations", args=[org]), None),
        ("get", reverse("care:enrol_invitation", args=[invitation.pk]), None),
        ("post", reverse("care:enrol_invitation_resend", args=[invitation.pk]), {}),
        ("post", reverse("care:enrol_invitation_cancel", args=[invitation.pk]), {}),
    ]


def member_routes(enrolment):
    return [
        ("get", reverse("care:leave", args=[enrolment.pk]), None),
        ("post", reverse("care:leave", args=[enrolment.pk]), {}),
    ]


def test_the_care_team_and_the_administrator_reach_the_team_routes(enrolment, casey, olivia, client_for):
    for user in (casey, olivia):
        client = client_for(user)
        for method, url, _data in team_routes(enrolment)[:1] + team_routes(enrolment)[4:5]:
            assert call(client, method, url, None).status_code == 200, (user.email, url)


@pytest.mark.parametrize("who", ["colleague", "elsewhere", "outsider", "member"])
def test_others_are_refused_the_team_routes(enrolment, colleague, elsewhere, sam, riley, client_for, who):
    actor = {
        "colleague": colleague.user,
        "elsewhere": elsewhere.admin.user,
        "outsider": sam,
        "member": riley,
    }[who]
    assert_refused(client_for(actor), actor, team_routes(enrolment))
    enrolment.refresh_from_db()
    assert enrolment.is_active and enrolment.care_team.count() == 1


@pytest.mark.parametrize("how", LOSSES)
def test_the_care_team_is_refused_after_losing_access(enrolment, casey, olivia, client_for, how):
    routes = team_routes(enrolment)
    at = lose_access(enrolment, how)
    assert_refused(client_for(casey), casey, routes, at=at)
    assert_refused(client_for(olivia), olivia, routes, at=at)


def test_staff_of_the_organization_reach_the_invitation_routes(harbor, casey, olivia, colleague, client_for):
    invitation = invitation_of(harbor)
    for user in (casey, olivia, colleague.user):
        client = client_for(user)
        for method, url, data in invitation_routes(harbor, invitation)[:4]:
            response = call(client, method, url, data)
            assert response.status_code in (200, 400), (user.email, method, url, response.status_code)
        assert call(client, "post", invitation_routes(harbor, invitation)[4][1], {}).status_code == 302


@pytest.mark.parametrize("who", ["elsewhere", "outsider", "member"])
def test_others_are_refused_the_invitation_routes(harbor, elsewhere, sam, riley, client_for, who):
    invitation = invitation_of(harbor)
    actor = {"elsewhere": elsewhere.admin.user, "outsider": sam, "member": riley}[who]
    assert_refused(client_for(actor), actor, invitation_routes(harbor, invitation))
    invitation.refresh_from_db()
    assert invitation.cancelled_at is None


def test_a_former_staff_member_is_refused_the_invitation_routes(harbor, casey, client_for):
    invitation = invitation_of(harbor)
    harbor.counselor.__class__.objects.filter(pk=harbor.counselor.pk).update(ended_at=invitation.created_at)
    assert_refused(client_for(casey), casey, invitation_routes(harbor, invitation))


def test_the_member_reaches_their_own_routes_and_nobody_else_does(
    enrolment, riley, casey, olivia, sam, mallory, client_for
):
    assert client_for(riley).get(reverse("care:my_care")).status_code == 200
    assert client_for(riley).get(member_routes(enrolment)[0][1]).status_code == 200
    for actor in (casey, olivia, sam, mallory):
        assert_refused(client_for(actor), actor, member_routes(enrolment))
    enrolment.refresh_from_db()
    assert enrolment.is_active


def test_signed_out_visitors_are_sent_to_sign_in(enrolment, harbor, client):
    invitation = invitation_of(harbor)
    routes = team_routes(enrolment) + invitation_routes(harbor, invitation) + member_routes(enrolment)
    routes += [
        ("get", reverse("care:my_care"), None),
        ("get", reverse("care:join"), None),
        ("post", reverse("care:join"), {"code": invitation.code}),
        ("post", reverse("care:join_link", args=[invitation.token]), {}),
    ]
    for method, url, data in routes:
        response = call(client, method, url, data)
        assert response.status_code == 302 and "/login" in response["Location"], (method, url)


def test_the_emailed_link_signed_out_offers_to_sign_up_or_in_and_come_back(harbor, client):
    invitation = invitation_of(harbor)
    url = reverse("care:join_link", args=[invitation.token])
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "Harbor Recovery Center" in text
    assert reverse("accounts:signup") + "?next=" in text and reverse("accounts:login") + "?next=" in text
    assert "Intensive outpatient" not in text  # what is asked is shown once signed in
    # A used, cancelled or altered link tells a signed-out visitor nothing.
    invitation.cancelled_at = invitation.created_at
    invitation.save(update_fields=["cancelled_at"])
    assert "/login" in client.get(url)["Location"]
