"""What the care app does when the apps below it announce a change (circles/lib/events.py)."""

from circles.alerts.events import CareTeamAsked
from circles.alerts.outbox import notify_accounts
from circles.care.actions import care_team_to_ask, do_end_enrolment
from circles.care.models import Enrolment, EnrolmentStatus
from circles.lib.events import receiver
from circles.network.events import TieEnded


@receiver(TieEnded)
def end_enrolment_when_tie_ends(event: TieEnded) -> None:
    """A member who ends (or deletes) the organization's place in their circle ends the enrolment with it."""
    enrolment = Enrolment.objects.filter(tie=event.tie, status=EnrolmentStatus.ACTIVE).first()
    if enrolment is not None:
        do_end_enrolment(enrolment, reason="", acting_user=event.acting_user)


@receiver(CareTeamAsked)
def ask_the_care_team(event: CareTeamAsked) -> None:
    """A member's crisis ladder reached "my care team": the staff to ask are the care app's to name."""
    accounts = care_team_to_ask(event.person.tie)
    notify_accounts(event.alert, event.person, event.channels, accounts, event.now)
