"""What a member can share, and the rules about a consent's life, as plain values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Scope codes. Stored in consent records: never rename one, only add.
CHECKED_IN = "checked_in"
MOOD = "mood"
RETURNS_TO_USE = "returns_to_use"
STRUGGLES = "struggles"
PLAN = "plan"
NETWORK_MAP = "network_map"
ALERTS = "alerts"  # not information to read: permission to be asked for help (circles/alerts)
REACH = "reach"  # the member's phone number, email and preferred way, turned into call/text/email links
RESULTS = "results."  # prefix of the instrument-family scopes

# The audit action of a supporter reading what a member shares; its object names the scopes read.
SHARED_VIEW = "shared.view"


def scopes_ref(codes) -> str:
    return "scopes:" + ",".join(codes)


def scopes_in_ref(object_ref: str) -> list[str]:
    kind, _sep, codes = object_ref.partition(":")
    return [code for code in codes.split(",") if code] if kind == "scopes" else []


@dataclass(frozen=True)
class Scope:
    code: str
    label: StrOrPromise  # what the member ticks
    description: StrOrPromise  # the information, as the consent record describes it
    instruments: tuple[str, ...] = ()  # for results.* scopes: the instrument codes in the family
    # Where the words name a person, the ones used when the recipient is an organization's care team.
    organization_label: StrOrPromise | None = None
    organization_description: StrOrPromise | None = None

    def label_for(self, to_organization: bool) -> StrOrPromise:
        return (self.organization_label if to_organization else None) or self.label

    def description_for(self, to_organization: bool) -> StrOrPromise:
        return (self.organization_description if to_organization else None) or self.description


SCOPES: tuple[Scope, ...] = (
    Scope(
        CHECKED_IN,
        _("That I checked in today"),
        _("whether I completed my daily check-in today, and the date of my last one"),
    ),
    Scope(
        MOOD,
        _("My mood, craving and stress"),
        _("my daily mood, craving and stress ratings for the last 30 days"),
    ),
    Scope(
        RETURNS_TO_USE,
        _("Returns to use"),
        _("the days in the last 90 on which I recorded a return to use, and the substance if I named it"),
    ),
    Scope(
        RESULTS + "depression",
        _("Depression questionnaires (PHQ-9, PHQ-2)"),
        _("my PHQ-9 and PHQ-2 scores, their bands and dates"),
        ("phq9", "phq2"),
    ),
    Scope(
        RESULTS + "anxiety",
        _("Anxiety questionnaires (GAD-7, GAD-2)"),
        _("my GAD-7 and GAD-2 scores, their bands and dates"),
        ("gad7", "gad2"),
    ),
    Scope(
        RESULTS + "wellbeing",
        _("Wellbeing (WHO-5)"),
        _("my WHO-5 wellbeing scores and dates"),
        ("who5",),
    ),
    Scope(
        RESULTS + "support",
        _("Perceived support (MSPSS)"),
        _("my MSPSS perceived-support scores, with family, friends and significant-other parts, and dates"),
        ("mspss",),
    ),
    Scope(
        RESULTS + "recovery_capital",
        _("Recovery capital (BARC-10)"),
        _("my BARC-10 recovery-capital scores and dates"),
        ("barc10",),
    ),
    Scope(
        RESULTS + "recovery_monitor",
        _("Recovery check-up (BAM)"),
        _("my Brief Addiction Monitor results (use, risk and protective factors) and dates"),
        ("bam",),
    ),
    Scope(
        RESULTS + "craving",
        _("Craving questionnaire (PACS)"),
        _("my PACS craving scores and dates"),
        ("pacs",),
    ),
    Scope(
        RESULTS + "alcohol",
        _("Alcohol questionnaire (AUDIT-C)"),
        _("my AUDIT-C scores and dates"),
        ("auditc",),
    ),
    Scope(
        RESULTS + "safety_screen",
        _("Safety screening (C-SSRS screener)"),
        _("the risk level of my C-SSRS screener results and their dates"),
        ("cssrs",),
    ),
    Scope(
        STRUGGLES,
        _("What I'm struggling with, when I address it to this person"),
        _("what I wrote I am struggling with in the last 30 days, when I chose this person to see it"),
        organization_label=_("What I'm struggling with, when I address it to my care team"),
        organization_description=_(
            "what I wrote I am struggling with in the last 30 days, when I chose my care team to see it"
        ),
    ),
    Scope(
        PLAN,
        _("My relapse-prevention and safety plan"),
        _("my relapse-prevention and safety plan, when I have written one"),
    ),
    Scope(
        NETWORK_MAP,
        _("My network map"),
        _("the map of my support network: the names I gave people, their circles and pillars"),
    ),
    Scope(
        ALERTS,
        _("Ask this person for support when I could use it (my crisis ladder)"),
        _(
            "that I could use support now, when an alert of mine reaches this person on my crisis ladder, "
            "with any message I add when I ask for support, and who else has answered"
        ),
        organization_label=_("Ask my care team for support when I could use it (my crisis ladder)"),
        organization_description=_(
            "that I could use support now, when an alert of mine reaches my care team on my crisis ladder, "
            "with any message I add when I ask for support, and who else has answered"
        ),
    ),
    Scope(
        REACH,
        _("How to reach me (my phone number, email and the way I prefer)"),
        _(
            "the phone number I entered in Circles, my email address, and whether I prefer a call, a text "
            "or an email, shown to this person as buttons to call, text or email me"
        ),
        organization_description=_(
            "the phone number I entered in Circles, my email address, and whether I prefer a call, a text "
            "or an email, shown to my care team as buttons to call, text or email me"
        ),
    ),
)
SCOPE_BY_CODE = {scope.code: scope for scope in SCOPES}
SCOPE_CODES = tuple(scope.code for scope in SCOPES)
RESULT_SCOPES = tuple(scope for scope in SCOPES if scope.instruments)
SCOPE_FOR_INSTRUMENT = {code: scope.code for scope in RESULT_SCOPES for code in scope.instruments}


def viewers_by_instrument(grants: Iterable[tuple[str, Iterable[str]]]) -> dict[str, list[str]]:
    """Who sees each questionnaire's results: instrument code -> names, in the order given, from the
    (name, scopes) of each consent that discloses now."""
    seen: dict[str, list[str]] = {}
    for name, scopes in grants:
        for scope in RESULT_SCOPES:
            if scope.code in scopes:
                for code in scope.instruments:
                    seen.setdefault(code, []).append(name)
    return seen


def ordered_scopes(codes) -> list[str]:
    """Known codes in the order of SCOPES, each once."""
    wanted = set(codes)
    return [code for code in SCOPE_CODES if code in wanted]


def expiry_moment(expires_on: dt.date | None, zone) -> dt.datetime | None:
    """A consent that expires "on" a day lasts to the end of that day in the member's timezone."""
    if expires_on is None:
        return None
    return dt.datetime.combine(expires_on + dt.timedelta(days=1), dt.time(), tzinfo=zone)


def is_live(
    *,
    superseded: bool,
    scopes: list[str],
    expires_at: dt.datetime | None,
    tie_ended: bool,
    recipient_linked: bool,
    now,
) -> bool:
    """A consent discloses only while it is the newest record, names something, has not expired, the
    tie it was given for has not ended (the expiry event every consent carries), and the account it
    names is still the one linked to that tie."""
    return (
        not superseded
        and bool(scopes)
        and not tie_ended
        and recipient_linked
        and (expires_at is None or now < expires_at)
    )


# Guidance for supporters, by the kind of relationship the member recorded. A professional the member
# invites as a supporter (not through an organization's enrolment) gets guidance of their own.
FAMILY, FRIEND, SPONSOR, PEER, PROFESSIONAL = "family", "friend", "sponsor", "peer", "professional"
GUIDANCE_FOR_RELATIONSHIP = {
    "partner": FAMILY,
    "parent": FAMILY,
    "sibling": FAMILY,
    "child": FAMILY,
    "other_family": FAMILY,
    "friend": FRIEND,
    "coworker": FRIEND,
    "neighbour": FRIEND,
    "faith_leader": FRIEND,
    "other": FRIEND,
    "sponsor": SPONSOR,
    "peer_mentor": SPONSOR,
    "peer": PEER,
    "group": PEER,
    "counselor": PROFESSIONAL,
    "therapist": PROFESSIONAL,
    "physician": PROFESSIONAL,
    "case_manager": PROFESSIONAL,
}


def guidance_kind(relationship: str) -> str:
    return GUIDANCE_FOR_RELATIONSHIP.get(relationship, FRIEND)
