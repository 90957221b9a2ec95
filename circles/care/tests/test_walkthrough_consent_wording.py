"""A consent to an organization's care team speaks of the care team, not of "this person", and its
statement stays in the first person (walk-through, issue 15). Statements already signed are not rewritten;
a person's consent keeps its own words."""

from django.urls import reverse

from circles.care.forms import EnrolmentConsentForm
from circles.care.tests.factories import CASELOAD_SCOPES
from circles.network.tests.factories import make_tie
from circles.sharing import logic
from circles.sharing.models import Consent
from circles.sharing.statement import consent_statement

PERSON_WORDS = ("this person", "you ", "your ", "You ", "Your ")


def test_the_organization_statement_names_the_care_team_in_the_first_person(enrolment):
    consent = Consent.objects.current().get(tie=enrolment.tie)
    statement = consent.statement
    assert "reaches my care team on my crisis ladder" in statement
    assert "when I leave the program or revoke it" in statement
    assert "I may revoke this consent at any time" in statement
    for words in PERSON_WORDS:
        assert words not in statement, words
    assert consent.expiry_event == "when I leave the program or revoke it"


def test_a_persons_statement_keeps_its_words(riley):
    statement = consent_statement(
        member_name="Riley",
        recipient="Sam",
        relationship="Friend",
        scopes=[logic.ALERTS],
        purpose="Support",
        expires_on=None,
    )
    assert "reaches this person" in statement and "next to this person" in statement


def test_the_organization_labels_on_every_page(enrolment, riley, olivia, harbor, client_for):
    consent = Consent.objects.current().get(tie=enrolment.tie)
    assert "Ask my care team for support when I could use it (my crisis ladder)" in consent.scope_labels
    form = EnrolmentConsentForm(member=riley)
    labels = [str(label) for _code, label in form.fields["scopes"].choices]
    assert "What I'm struggling with, when I address it to my care team" in labels
    assert not any("this person" in label for label in labels)
    page = client_for(riley).get(reverse("sharing:tie", args=[enrolment.tie_id])).content.decode()
    assert "Ask my care team for support" in page and "this person" not in page
    assert "Everything is off until you tick it" not in page  # a change of a consent in force
    assert "What you share now is ticked" in page
    listing = client_for(olivia).get(reverse("care:organization_consents", args=[harbor.organization.pk]))
    assert "Ask my care team for support" in listing.content.decode()


def test_a_new_consent_to_a_person_still_starts_with_nothing_ticked(riley, sam, client_for):
    tie = make_tie(riley, "Sam", supporter=sam)
    page = client_for(riley).get(reverse("sharing:tie", args=[tie.pk])).content.decode()
    assert "Everything is off until you tick it" in page and "Ask this person for support" in page


def test_the_caseload_scopes_used_here_include_the_reworded_ones():
    assert logic.ALERTS in CASELOAD_SCOPES
