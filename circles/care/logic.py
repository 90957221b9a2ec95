"""The caseload's ranking by need, as a pure function over plain values (docs/care.md, "The caseload and
its ranking").

Each member of a caseload arrives as `MemberSignals`: one value per signal, or `NOT_SHARED` when the
member's consent to the organization does not cover it. What is not shared never counts, and is never
read as zero: it is named as "not shared" on the caseload instead. `rank` turns the signals into named
components with documented weights, plain-language reasons with stable codes, and a total order: open
safety signals and open alerts always first, then the score, then a deterministic tie-break.

No ORM and no I/O here; circles/care/caseload.py loads the values through the disclosure layer.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from django.utils import formats
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from circles.alerts.logic import THRESHOLD_BY_FIELD
from circles.network import logic as network

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class _NotShared(enum.Enum):
    """The one value of a signal the member's consent does not cover."""

    NOT_SHARED = "not_shared"


NOT_SHARED: Final = _NotShared.NOT_SHARED
NotShared = Literal[_NotShared.NOT_SHARED]


# --- Components, their weights and thresholds ---------------------------------------------------------
#
# A component adds its weight to the score when its threshold is met. Weights order the need a counselor
# should see first; they are Circles' own clinical judgement (docs/care.md gives the reasoning and the
# published sources behind each threshold), chosen so that one clear sign outranks several soft ones.

SAFETY = "safety"  # a safety signal (PHQ-9 item 9, C-SSRS screen, "I need help now") not yet followed up
ALERT = "alert"  # an open alert of the member's that reached the care team
PHQ9_CHANGE = "phq9_change"  # PHQ-9 reliably worse
GAD7_CHANGE = "gad7_change"  # GAD-7 reliably worse
RETURN_TO_USE = "return_to_use"
CRAVING = "craving"
MOOD_FALLING = "mood_falling"
NO_CHECKIN = "no_checkin"
PILLAR_PREFIX = "no_contact_"
NO_CONTACT_PEER = PILLAR_PREFIX + network.PEER
NO_CONTACT_FAMILY_FRIENDS = PILLAR_PREFIX + network.FAMILY_FRIENDS
MISSED_SESSIONS = "missed_sessions"
BAM_RISK = "bam_risk"

# What each reason code is called in the caseload's filter, in the order reasons are shown.
REASON_LABELS: dict[str, StrOrPromise] = {
    SAFETY: _("Safety answer not yet followed up"),
    ALERT: _("Open alert"),
    PHQ9_CHANGE: _("Depression (PHQ-9) reliably worse"),
    GAD7_CHANGE: _("Anxiety (GAD-7) reliably worse"),
    RETURN_TO_USE: _("Return to use"),
    CRAVING: _("Strong craving"),
    MOOD_FALLING: _("Mood falling"),
    NO_CHECKIN: _("No recent check-in"),
    NO_CONTACT_PEER: _("No contact with peers"),
    NO_CONTACT_FAMILY_FRIENDS: _("No contact with family or friends"),
    MISSED_SESSIONS: _("Missed sessions"),
    BAM_RISK: _("Recovery check-up (BAM): risk above protection"),
}
REASON_CODES = tuple(REASON_LABELS)
URGENT_CODES = frozenset({SAFETY, ALERT})

SAFETY_WEIGHT = 100  # and the member ranks first whatever the rest
ALERT_WEIGHT = 80
PHQ9_CHANGE_WEIGHT = 30
GAD7_CHANGE_WEIGHT = 20
RETURN_TO_USE_WEIGHT = 25
RETURN_TO_USE_EXTRA_DAY = 5  # per further day of use in the window …
RETURN_TO_USE_CAP = 45  # … up to this
CRAVING_WEIGHT = 15
CRAVING_EXTRA_DAY = 3
CRAVING_CAP = 27
MOOD_FALLING_WEIGHT = 10
NO_CHECKIN_WEIGHT = 10
NO_CHECKIN_EXTRA_DAY = 1
NO_CHECKIN_CAP = 30
PILLAR_WEIGHT = 5  # per pillar gone quiet
MISSED_SESSION_WEIGHT = 8  # per missed session …
MISSED_SESSIONS_CAP = 32  # … up to this
BAM_RISK_WEIGHT = 10
BAM_RISK_LEVEL = 12  # the risk subscale's midpoint: its six items average 2 of 0–4 or more

# Reliable change (Jacobson & Truax 1991): the smallest rise in a total that measurement error alone
# would produce less than 5 % of the time, 1.96 × SD × √(2(1 − r)). For the PHQ-9 and GAD-7 the
# published values, with the test–retest reliability and standard deviation of the instruments'
# validation samples, are 6 and 4 points (McMillan, Gilbody & Richards 2010 for the PHQ-9; the NHS
# Talking Therapies manual for both). circles/checkins has no reliable-change figures of its own yet.
RELIABLE_CHANGE = {"phq9": 6, "gad7": 4}

RETURN_TO_USE_DAYS = 30  # a use in this many days ranks
CRAVING_LEVEL = THRESHOLD_BY_FIELD["craving_level"].default  # the craving alert's default level (7)
CRAVING_WINDOW_DAYS = 7
CRAVING_MIN_DAYS = THRESHOLD_BY_FIELD["craving_days"].default  # 3 of the last 7 days, not necessarily running
MOOD_WINDOW_DAYS = 7  # the last week's average mood against the week before
MOOD_FALL = 2.0  # points on the 0–10 scale
MOOD_MIN_CHECKINS = 3  # each week needs this many check-ins for an average to mean anything
NO_CHECKIN_DAYS = 7  # a week without a check-in ranks
PILLAR_QUIET_DAYS = 21  # three weeks without contact in a pillar ranks
MISSED_SESSION_DAYS = 60  # missed sessions in this many days count
BAM_DAYS = 60  # a BAM older than this says nothing about now (the BAM asks about the last 30 days)


@dataclass(frozen=True)
class Result:
    """One questionnaire total and the day it was completed on."""

    day: dt.date
    total: float


@dataclass(frozen=True)
class BamResult:
    day: dt.date
    risk: int  # BAM risk subscale (items 1, 2, 3, 8, 11, 15), 0–24
    protective: int  # BAM protective subscale (items 9, 10, 12, 13, 14, 16), 0–24


@dataclass(frozen=True)
class DayRatings:
    day: dt.date
    mood: int
    craving: int


@dataclass(frozen=True)
class MemberSignals:
    """What the ranking reads of one member; every consented signal as a value, the rest NOT_SHARED.

    Days are the member's own days (check-ins, questionnaires, contacts) or, for moments (safety
    signals, alerts, sessions), days in the viewer's timezone; `today` is the member's today.
    """

    key: int  # the enrolment's id: the last tie-break
    name: str
    today: dt.date
    open_safety: tuple[dt.date, ...] | NotShared = ()  # days of safety signals with no follow-up
    open_alerts: tuple[dt.date, ...] | NotShared = ()  # days open alerts started
    phq9: tuple[Result, ...] | NotShared = ()  # oldest first, within a year
    gad7: tuple[Result, ...] | NotShared = ()
    use_days: tuple[dt.date, ...] | NotShared = ()  # days a return to use was recorded
    ratings: tuple[DayRatings, ...] | NotShared = ()  # check-ins of the last 30 days
    last_checkin: dt.date | None | NotShared = None
    last_contact: Mapping[str, dt.date | None] | NotShared = field(default_factory=dict)  # pillar -> day
    missed_sessions: tuple[dt.date, ...] = ()  # the care relationship's own: always known
    bam: BamResult | None | NotShared = None  # the newest BAM
    enrolled_on: dt.date | None = None  # the enrolment's first day (member's days); None: long enough ago
    unread_messages: int = 0  # shown, not ranked


# Which signals a reason code reads, for "not shared" notes: code -> (signal field, its name to staff).
SIGNAL_NAMES: dict[str, StrOrPromise] = {
    "open_safety": _("safety answers"),
    "open_alerts": _("alerts"),
    "phq9": _("PHQ-9"),
    "gad7": _("GAD-7"),
    "use_days": _("returns to use"),
    "ratings": _("mood and craving"),
    "last_checkin": _("check-ins"),
    "last_contact": _("network contact"),
    "bam": _("recovery check-up (BAM)"),
}


@dataclass(frozen=True)
class Reason:
    code: str  # one of REASON_CODES: stable, for filtering
    weight: int
    # Says the reason in a plain, person-first sentence, in the language active when it is asked: only
    # the reasons on the page shown are ever put into words, however many members are ranked.
    say: Callable[[], str] = field(compare=False, repr=False)
    urgent: bool = False

    @property
    def text(self) -> str:
        return self.say()


@dataclass(frozen=True)
class Need:
    """One member's place on the caseload: the score, the reasons (heaviest first) and what is not shared."""

    signals: MemberSignals
    score: int
    urgent: bool  # an open safety signal or alert: ranks before everyone without one
    reasons: tuple[Reason, ...]
    not_shared: tuple[str, ...]  # SIGNAL_NAMES keys the consent does not cover

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(reason.code for reason in self.reasons)

    @property
    def not_shared_names(self) -> list[str]:
        return [str(SIGNAL_NAMES[name]) for name in self.not_shared]

    @property
    def standing(self) -> Standing:
        return Standing(
            key=self.signals.key,
            name=self.signals.name,
            score=self.score,
            urgent=self.urgent,
            oldest_open=min(_urgent_days(self.signals), default=dt.date.max),
            codes=self.codes,
        )

    def sort_key(self) -> tuple:
        return self.standing.sort_key()


def _shared(value) -> bool:
    return value is not NOT_SHARED


def _urgent_days(signals: MemberSignals) -> list[dt.date]:
    days: list[dt.date] = []
    for value in (signals.open_safety, signals.open_alerts):
        if _shared(value):
            days.extend(value)  # type: ignore[arg-type]
    return days


def day_words(day: dt.date) -> str:
    """A day as the caseload names it: "Nov 29"."""
    return formats.date_format(day, "M j")


def _safety(signals: MemberSignals) -> list[Reason]:
    reasons = []
    if _shared(signals.open_safety) and signals.open_safety:
        days = sorted(signals.open_safety)  # type: ignore[arg-type]
        reasons.append(Reason(SAFETY, SAFETY_WEIGHT, functools.partial(_safety_words, days), urgent=True))
    if _shared(signals.open_alerts) and signals.open_alerts:
        alert_days = sorted(signals.open_alerts)  # type: ignore[arg-type]
        reasons.append(Reason(ALERT, ALERT_WEIGHT, functools.partial(_alert_words, alert_days), urgent=True))
    return reasons


def _safety_words(days: list[dt.date]) -> str:
    if len(days) == 1:
        return gettext("Safety answer on %(day)s, not yet followed up") % {"day": day_words(days[0])}
    return ngettext(
        "%(count)d safety answer since %(day)s, not yet followed up",
        "%(count)d safety answers since %(day)s, not yet followed up",
        len(days),
    ) % {"count": len(days), "day": day_words(days[0])}


def _alert_words(days: list[dt.date]) -> str:
    return ngettext(
        "Open alert since %(day)s",
        "%(count)d open alerts since %(day)s",
        len(days),
    ) % {"count": len(days), "day": day_words(days[0])}


def reliable_worsening(results: Sequence[Result], instrument: str) -> tuple[Result, Result] | None:
    """(baseline, latest) when the latest total is reliably worse than the oldest one given (Jacobson &
    Truax 1991, with the instrument's published threshold); None otherwise."""
    if len(results) < 2:
        return None
    baseline, latest = results[0], results[-1]
    if latest.total - baseline.total >= RELIABLE_CHANGE[instrument]:
        return baseline, latest
    return None


def points_words(points: float) -> str:
    """A change in a total as the caseload says it: "6", or "6.5" only when it has a fraction."""
    points = round(points, 1)
    return formats.number_format(int(points) if points == int(points) else points)


def _change(signals: MemberSignals) -> list[Reason]:
    reasons = []
    for instrument, code, weight, name in (
        ("phq9", PHQ9_CHANGE, PHQ9_CHANGE_WEIGHT, "PHQ-9"),
        ("gad7", GAD7_CHANGE, GAD7_CHANGE_WEIGHT, "GAD-7"),
    ):
        results = getattr(signals, instrument)
        if not _shared(results):
            continue
        change = reliable_worsening(results, instrument)
        if change:
            reasons.append(Reason(code, weight, functools.partial(_change_words, name, *change)))
    return reasons


def _change_words(name: str, baseline: Result, latest: Result) -> str:
    return gettext("%(name)s up %(points)s points since %(day)s") % {
        "name": name,
        "points": points_words(latest.total - baseline.total),
        "day": day_words(baseline.day),
    }


def _return_to_use(signals: MemberSignals) -> list[Reason]:
    if not _shared(signals.use_days):
        return []
    days = sorted(
        {day for day in signals.use_days if 0 <= (signals.today - day).days < RETURN_TO_USE_DAYS}  # type: ignore[union-attr]
    )
    if not days:
        return []
    weight = min(RETURN_TO_USE_CAP, RETURN_TO_USE_WEIGHT + RETURN_TO_USE_EXTRA_DAY * (len(days) - 1))
    return [Reason(RETURN_TO_USE, weight, functools.partial(_return_to_use_words, days))]


def _return_to_use_words(days: list[dt.date]) -> str:
    if len(days) == 1:
        return gettext("Return to use on %(day)s") % {"day": day_words(days[0])}
    return gettext("Return to use on %(count)d days in the last %(window)d, most recently %(day)s") % {
        "count": len(days),
        "window": RETURN_TO_USE_DAYS,
        "day": day_words(days[-1]),
    }


def _within(day: dt.date, today: dt.date, days: int, *, offset: int = 0) -> bool:
    age = (today - day).days
    return offset <= age < offset + days


def _craving_and_mood(signals: MemberSignals) -> list[Reason]:
    if not _shared(signals.ratings):
        return []
    ratings: tuple[DayRatings, ...] = signals.ratings  # type: ignore[assignment]
    reasons = []
    week = [r for r in ratings if _within(r.day, signals.today, CRAVING_WINDOW_DAYS)]
    strong = sum(1 for r in week if r.craving >= CRAVING_LEVEL)
    if strong >= CRAVING_MIN_DAYS:
        weight = min(CRAVING_CAP, CRAVING_WEIGHT + CRAVING_EXTRA_DAY * (strong - CRAVING_MIN_DAYS))
        reasons.append(Reason(CRAVING, weight, functools.partial(_craving_words, strong)))
    this_week = [r.mood for r in ratings if _within(r.day, signals.today, MOOD_WINDOW_DAYS)]
    last_week = [
        r.mood for r in ratings if _within(r.day, signals.today, MOOD_WINDOW_DAYS, offset=MOOD_WINDOW_DAYS)
    ]
    if len(this_week) >= MOOD_MIN_CHECKINS and len(last_week) >= MOOD_MIN_CHECKINS:
        now, before = sum(this_week) / len(this_week), sum(last_week) / len(last_week)
        if before - now >= MOOD_FALL:
            reasons.append(
                Reason(MOOD_FALLING, MOOD_FALLING_WEIGHT, functools.partial(_mood_words, now, before))
            )
    return reasons


def _craving_words(strong: int) -> str:
    return gettext("Craving %(level)d or more on %(count)d of the last %(window)d days") % {
        "level": CRAVING_LEVEL,
        "count": strong,
        "window": CRAVING_WINDOW_DAYS,
    }


def _mood_words(now: float, before: float) -> str:
    return gettext("Mood falling: %(now)s on average this week, %(before)s the week before") % {
        "now": formats.number_format(round(now, 1), 1),
        "before": formats.number_format(round(before, 1), 1),
    }


def _last_checkin(signals: MemberSignals) -> dt.date | None | NotShared:
    """The last check-in day, from the check-ins date if shared, else from the mood ratings if shared."""
    if _shared(signals.last_checkin):
        return signals.last_checkin  # type: ignore[return-value]
    if _shared(signals.ratings):
        return max((r.day for r in signals.ratings), default=None)  # type: ignore[union-attr]
    return NOT_SHARED


def _disengagement(signals: MemberSignals) -> list[Reason]:
    reasons = []
    last = _last_checkin(signals)
    if _shared(last):
        days = None if last is None else (signals.today - last).days  # type: ignore[operator]
        if days is None and signals.enrolled_on is not None and _shared(signals.last_checkin):
            # No check-in ever: the gap counts from the enrolment, so a member enrolled this week has
            # not gone quiet yet, and one enrolled long ago weighs as much as any long gap.
            enrolled = (signals.today - signals.enrolled_on).days
            if enrolled >= NO_CHECKIN_DAYS:
                weight = min(
                    NO_CHECKIN_CAP, NO_CHECKIN_WEIGHT + NO_CHECKIN_EXTRA_DAY * (enrolled - NO_CHECKIN_DAYS)
                )
                reasons.append(Reason(NO_CHECKIN, weight, _no_checkin_yet))
        elif days is None:  # none at all (or none in the 30 days of ratings): the most a gap can weigh
            say = _no_checkin_yet if _shared(signals.last_checkin) else _no_checkin_in_30_days
            reasons.append(Reason(NO_CHECKIN, NO_CHECKIN_CAP, say))
        elif days >= NO_CHECKIN_DAYS:
            weight = min(NO_CHECKIN_CAP, NO_CHECKIN_WEIGHT + NO_CHECKIN_EXTRA_DAY * (days - NO_CHECKIN_DAYS))
            reasons.append(Reason(NO_CHECKIN, weight, functools.partial(_no_checkin_words, days)))
    return reasons + _pillars(signals)


def _pillars(signals: MemberSignals) -> list[Reason]:
    """Peers and family & friends gone quiet. The professional pillar is left out: on a care team's
    caseload the care team is in it, and its own sessions count as missed sessions instead."""
    reasons = []
    if _shared(signals.last_contact):
        contacts: Mapping[str, dt.date | None] = signals.last_contact  # type: ignore[assignment]
        for pillar, code, words in (
            (network.PEER, NO_CONTACT_PEER, _("any peer")),
            (network.FAMILY_FRIENDS, NO_CONTACT_FAMILY_FRIENDS, _("family or friends")),
        ):
            last_contact = contacts.get(pillar)
            if last_contact is None:
                reasons.append(Reason(code, PILLAR_WEIGHT, functools.partial(_quiet_words, words, None)))
                continue
            quiet = (signals.today - last_contact).days
            if quiet >= PILLAR_QUIET_DAYS:
                reasons.append(
                    Reason(code, PILLAR_WEIGHT, functools.partial(_quiet_words, words, quiet // 7))
                )
    return reasons


def _no_checkin_yet() -> str:
    return gettext("No check-in yet")


def _no_checkin_in_30_days() -> str:
    return gettext("No check-in in the last 30 days")


def _no_checkin_words(days: int) -> str:
    return ngettext("No check-in for %(days)d day", "No check-in for %(days)d days", days) % {"days": days}


def _quiet_words(whom: StrOrPromise, weeks: int | None) -> str:
    if weeks is None:
        return gettext("No contact with %(whom)s logged yet") % {"whom": whom}
    return ngettext(
        "No contact with %(whom)s for %(weeks)d week",
        "No contact with %(whom)s for %(weeks)d weeks",
        weeks,
    ) % {"whom": whom, "weeks": weeks}


def _missed_sessions(signals: MemberSignals) -> list[Reason]:
    missed = [day for day in signals.missed_sessions if _within(day, signals.today, MISSED_SESSION_DAYS)]
    if not missed:
        return []
    weight = min(MISSED_SESSIONS_CAP, MISSED_SESSION_WEIGHT * len(missed))
    return [Reason(MISSED_SESSIONS, weight, functools.partial(_missed_words, len(missed)))]


def _missed_words(count: int) -> str:
    return ngettext(
        "Missed %(count)d session in the last %(window)d days",
        "Missed %(count)d sessions in the last %(window)d days",
        count,
    ) % {"count": count, "window": MISSED_SESSION_DAYS}


def _bam(signals: MemberSignals) -> list[Reason]:
    bam = signals.bam
    if not _shared(bam) or bam is None or not _within(bam.day, signals.today, BAM_DAYS):  # type: ignore[union-attr]
        return []
    if bam.risk < BAM_RISK_LEVEL or bam.risk <= bam.protective:  # type: ignore[union-attr]
        return []
    return [Reason(BAM_RISK, BAM_RISK_WEIGHT, functools.partial(_bam_words, bam))]  # type: ignore[arg-type]


def _bam_words(bam: BamResult) -> str:
    return gettext(
        "Recovery check-up on %(day)s: risk factors %(risk)d, above protective factors %(protective)d"
    ) % {"day": day_words(bam.day), "risk": bam.risk, "protective": bam.protective}


COMPONENTS = (_safety, _change, _return_to_use, _craving_and_mood, _disengagement, _missed_sessions, _bam)
# The components that read only what the member's consent shares (check-ins, scores, contact), which the
# caseload keeps per member for a day (circles/care/caseload.py), and those read on every request (safety
# signals and alerts, which must show at once, and the care relationship's own sessions). Components
# add up, so the two parts' scores and reasons together are exactly assess(signals)'s.
KEPT_COMPONENTS = (_change, _return_to_use, _craving_and_mood, _disengagement, _bam)
LIVE_COMPONENTS = (_safety, _missed_sessions)


def not_shared(signals: MemberSignals) -> tuple[str, ...]:
    """The signals the consent does not cover, in SIGNAL_NAMES order (check-ins count as shared when
    either the check-in date or the mood ratings are)."""
    missing = [name for name in SIGNAL_NAMES if getattr(signals, name) is NOT_SHARED]
    if "last_checkin" in missing and _shared(signals.ratings):
        missing.remove("last_checkin")
    return tuple(missing)


def assess(signals: MemberSignals, components=COMPONENTS) -> Need:
    """One member's score, reasons (urgent first, then heaviest, then in the order of REASON_CODES); of
    only some of the components, when given."""
    reasons = [reason for component in components for reason in component(signals)]
    order = {code: index for index, code in enumerate(REASON_CODES)}
    reasons.sort(key=lambda r: (not r.urgent, -r.weight, order[r.code]))
    return Need(
        signals=signals,
        score=sum(reason.weight for reason in reasons),
        urgent=any(reason.urgent for reason in reasons),
        reasons=tuple(reasons),
        not_shared=not_shared(signals),
    )


@dataclass(frozen=True)
class Standing:
    """One member's place in the ranking, without the words: what a caseload of hundreds sorts and
    filters, putting into words only the reasons of the members on the page shown."""

    key: int
    name: str
    score: int
    urgent: bool
    oldest_open: dt.date  # the oldest open safety signal or alert; date.max without one
    codes: frozenset[str]

    def sort_key(self) -> tuple:
        return (not self.urgent, -self.score, self.oldest_open, self.name.casefold(), self.key)


def standing(signals: MemberSignals, kept_score: int, kept_codes: frozenset[str]) -> Standing:
    """A member's standing from the live components (LIVE_COMPONENTS) over `signals` and the score and
    reason codes of the kept ones (KEPT_COMPONENTS), both for the same member on the same day: the same
    place as assess(signals).standing would give. Only what the ranking needs is worked out: the
    caseload does this for hundreds of members on every request."""
    reasons = [reason for component in LIVE_COMPONENTS for reason in component(signals)]
    return Standing(
        key=signals.key,
        name=signals.name,
        score=sum(reason.weight for reason in reasons) + kept_score,
        urgent=any(reason.urgent for reason in reasons),
        oldest_open=min(_urgent_days(signals), default=dt.date.max),
        codes=kept_codes.union(reason.code for reason in reasons),
    )


def kept_standing(key: int, name: str, kept_score: int, kept_codes: frozenset[str]) -> Standing:
    """standing() for a member the live components have nothing to say about (no open safety signal
    or alert, no missed session): their kept score and codes alone."""
    return Standing(key, name, kept_score, False, dt.date.max, kept_codes)


def rank(members: Iterable[MemberSignals]) -> list[Need]:
    """Everyone by need: open safety signals and alerts first (the oldest open one first among equal
    scores), then by score, then by name and enrolment: a total order, the same every time."""
    return sorted((assess(signals) for signals in members), key=Need.sort_key)
