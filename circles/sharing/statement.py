"""The words of a consent record and of the notice that goes with every disclosure.

Stored with each record exactly as the member saw them, so a printed record shows what was signed.
The elements follow 42 CFR § 2.31 (who discloses, to whom, what, why, until when, the right to revoke,
signature and date); the notice follows § 2.32. The wording is ours.
"""

import datetime as dt

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from circles.sharing import logic

DISCLOSER = "Circles"

# In full on its own page (sharing:part2_notice) and with every disclosure through the API; each page a
# supporter sees carries the short statement § 2.32(a)(2) allows instead, linking to that page
# (sharing/includes/notice.html).
REDISCLOSURE_NOTICE = gettext_lazy(
    "This information comes from records protected by federal confidentiality rules (42 CFR part 2). "
    "Those rules do not allow you to share it any further unless the person it is about agrees in "
    "writing, or the rules themselves permit it. A general permission to release medical information "
    "is not enough for this. The rules also restrict using it to investigate or prosecute anyone "
    "for a substance use condition."
)

RIGHT_TO_REVOKE = gettext_lazy(
    "You may revoke this consent at any time: choose “Stop sharing” next to this person on your "
    "Sharing page in Circles, or change what you share there. It takes effect immediately, on their "
    "next request; only what they already saw cannot be taken back. Your care and your use of Circles "
    "do not depend on signing it."
)

# The same for a consent to an organization the member is enrolled with, in the first person like the
# rest of its statement: its care team is not a person on the Sharing page, and leaving the program ends it.
ORGANIZATION_RIGHT_TO_REVOKE = gettext_lazy(
    "I may revoke this consent at any time: I choose “Stop sharing” for the organization on my Sharing "
    "page in Circles, change what I share there, or leave the program on My care. It takes effect "
    "immediately, on my care team's next request; only what they already saw cannot be taken back. My "
    "care and my use of Circles do not depend on signing it."
)


def expiry_event_text(recipient: str, to_organization: bool = False) -> str:
    if to_organization:
        return _("when I leave the program or revoke it")
    return _("when you revoke it, or when you end %(name)s's place in your circle in Circles") % {
        "name": recipient
    }


def consent_statement(
    *,
    member_name: str,
    recipient: str,
    relationship: str,
    scopes: list[str],
    purpose: str,
    expires_on: dt.date | None,
    to_organization: bool = False,
) -> str:
    """The full text of one consent record (or, with no scopes, of a revocation). `to_organization`: the
    recipient is an organization the member is enrolled with (the relationship names its program)."""
    if not scopes:
        return _(
            "I, %(member)s, revoke my consent for %(discloser)s to disclose information about me to "
            "%(recipient)s (%(relationship)s). From now on nothing is shared with them."
        ) % {
            "member": member_name,
            "discloser": DISCLOSER,
            "recipient": recipient,
            "relationship": relationship,
        }
    items = "\n".join(f"- {logic.SCOPE_BY_CODE[code].description_for(to_organization)}" for code in scopes)
    event = expiry_event_text(recipient, to_organization)
    if expires_on:
        ends = _("This consent ends on %(date)s, or earlier %(event)s.") % {
            "date": date_format(expires_on, "DATE_FORMAT"),
            "event": event,
        }
    else:
        ends = _("This consent ends %(event)s.") % {"event": event}
    return "\n\n".join(
        [
            (
                _(
                    "I, %(member)s, consent to %(discloser)s disclosing the following information about "
                    "me, which may include information about my substance use and my recovery, to "
                    "%(recipient)s (%(relationship)s), to be read by the members of my care team there "
                    "through their own Circles accounts:"
                )
                if to_organization
                else _(
                    "I, %(member)s, consent to %(discloser)s disclosing the following information about "
                    "me, which may include information about my substance use and my recovery, to "
                    "%(recipient)s (%(relationship)s), through their own Circles account:"
                )
            )
            % {
                "member": member_name,
                "discloser": DISCLOSER,
                "recipient": recipient,
                "relationship": relationship,
            },
            items,
            _("Purpose: %(purpose)s") % {"purpose": purpose},
            ends,
            str(ORGANIZATION_RIGHT_TO_REVOKE if to_organization else RIGHT_TO_REVOKE),
            _(
                "They will see each disclosure with a notice that they may not share it further. I "
                "understand that a person who is not bound by the federal confidentiality rules could "
                "still pass it on, and that it would then no longer be protected by those rules."
            ),
        ]
    )


# The purpose every consent to an organization states (issue 15; docs/care.md).
ORGANIZATION_PURPOSE = gettext_lazy("Treatment and care coordination.")


def default_purpose(recipient: str) -> str:
    return _("So that %(name)s can support me in my recovery.") % {"name": recipient}
