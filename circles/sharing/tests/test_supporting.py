"""The supporter home: the people a supporter supports, guidance, encouragement, in bounded queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circles.accounts.models import User
from circles.checkins.tests.factories import complete, make_checkin
from circles.sharing import logic
from circles.sharing.tests.factories import grant, link


def add_supported_member(supporter, n: int) -> User:
    member = User.objects.create_user(f"member{n}@example.org", "x" * 12, display_name=f"Member {n}")
    tie = link(member, supporter)
    make_checkin(member, struggling="A hard week")
    member.checkins.get().struggling_for.set([tie])
    complete(member, "phq9")
    complete(member, "barc10")
    grant(tie, logic.SCOPE_CODES)
    return member


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/supporting/", "/api/v1/supporting"])
def test_query_count_is_the_same_for_2_and_20_members(sam, mallory, client_for, url):
    for n in range(2):
        add_supported_member(sam, n)
    for n in range(2, 22):
        add_supported_member(mallory, n)
    small = count_queries(client_for(sam), url)
    large = count_queries(client_for(mallory), url)
    assert small == large, f"{url}: {small} queries for 2 members, {large} for 20"


def test_the_home_shows_each_members_shared_information(sam, client_for):
    member = add_supported_member(sam, 1)
    body = client_for(sam).get("/supporting/").content.decode()
    assert "Member 1" in body and "A hard week" in body and "42 CFR part 2 prohibits unauthorized use" in body
    assert f"/supporting/{member.pk}/" in body


@pytest.mark.parametrize(
    "relationship, heading",
    [("parent", "as family"), ("friend", "as a friend"), ("sponsor", "sponsor"), ("peer", "peer")],
)
def test_guidance_fits_the_relationship(riley, sam, client_for, relationship, heading):
    link(riley, sam, relationship=relationship)
    body = client_for(sam).get(f"/supporting/{riley.pk}/").content.decode()
    assert 'id="guidance-heading"' in body and heading in body.lower()
    assert "988" in body


def test_encouragement_lands_in_the_members_contact_log(riley, sam, client_for):
    tie = link(riley, sam)
    response = client_for(sam).post(f"/supporting/{riley.pk}/encourage/", {"message": "  Thinking of you  "})
    assert response.status_code == 302
    interaction = riley.interactions.get()
    assert (interaction.tie, interaction.kind, interaction.message, interaction.sent_by) == (
        tie,
        "encouragement",
        "Thinking of you",
        sam,
    )
    log = client_for(riley).get("/network/contacts/").content.decode()
    assert "Thinking of you" in log
    # An empty or overlong message is refused with a message, and nothing is added.
    assert client_for(sam).post(f"/supporting/{riley.pk}/encourage/", {"message": "   "}).status_code == 400
    api = client_for(sam).post(
        f"/api/v1/supporting/{riley.pk}/encouragement",
        {"message": "x" * 501},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert riley.interactions.count() == 1


def test_a_member_cannot_log_encouragement_by_hand(riley, client_for):
    from circles.network.tests.factories import make_tie

    tie = make_tie(riley)
    response = client_for(riley).post(
        "/api/v1/interactions", {"tie_id": tie.pk, "kind": "encouragement"}, content_type="application/json"
    )
    assert response.status_code == 400


def test_a_shared_bam_result_shows_its_scores(riley, sam, client_for):
    """BAM has no total: the supporter sees its use, risk and protective factors, as the consent says."""
    tie = link(riley, sam)
    bam = complete(riley, "bam")
    grant(tie, [logic.RESULTS + "recovery_monitor"])
    page = client_for(sam).get(f"/supporting/{riley.pk}/").content.decode()
    for label, value in bam.subscale_rows:
        assert f"{label} {value:g}" in page
