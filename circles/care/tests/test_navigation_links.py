"""The care pages lead to one another: staff reach the enrolment invitation from their organization's
page and a member's sessions, messages and care team from the member's record; the member reaches their
progress notes, sessions and messages from My care. (Found missing by the browser journey.)"""

from django.urls import reverse


def links(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_staff_reach_the_enrolment_invitation_from_the_organization_page(harbor, client_for, casey):
    page = links(client_for(casey).get(reverse("care:organization", args=[harbor.organization.pk])))
    assert f'href="{reverse("care:enrol_invite", args=[harbor.organization.pk])}"' in page
    assert "Invite someone to enrol" in page


def test_the_record_links_to_sessions_messages_and_the_care_team(enrolment, client_for, casey):
    page = links(client_for(casey).get(reverse("care:record", args=[enrolment.pk])))
    for name in ("care:notes", "care:enrolment_sessions", "care:enrolment_messages", "care:care_team"):
        assert f'href="{reverse(name, args=[enrolment.pk])}"' in page, name


def test_my_care_links_to_notes_sessions_and_messages(enrolment, client_for, riley):
    page = links(client_for(riley).get(reverse("care:my_care")))
    assert f'href="{reverse("care:my_notes", args=[enrolment.pk])}"' in page
    assert f'href="{reverse("care:my_messages", args=[enrolment.pk])}"' in page
    assert f'href="{reverse("network:commitment_list")}"' in page
