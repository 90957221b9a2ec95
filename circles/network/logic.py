"""Network health as pure functions: plain values in, plain values out. No ORM, no I/O.

The formulas and the research behind them are written up in docs/network-health.md.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Pillars of support.
FAMILY_FRIENDS = "family_friends"
PROFESSIONAL = "professional"
PEER = "peer"
PILLARS = (FAMILY_FRIENDS, PROFESSIONAL, PEER)

# Closeness circles of the convoy model, innermost first.
INNER, MIDDLE, OUTER = "inner", "middle", "outer"
CIRCLES = (INNER, MIDDLE, OUTER)

# How often the member is in contact with a tie.
DAILY, WEEKLY, MONTHLY, LESS_OFTEN = "daily", "weekly", "monthly", "less_often"
# Approximate contacts per month, used to weight composition shares by contact frequency.
FREQUENCY_WEIGHT = {DAILY: 30.0, WEEKLY: 4.0, MONTHLY: 1.0, LESS_OFTEN: 0.25}
FREQUENT = (DAILY, WEEKLY)

# The tie's own substance use.
ABSTINENT, LIGHT, HEAVY, UNKNOWN = "abstinent", "light", "heavy", "unknown"
# The tie's stance toward the member's recovery.
SUPPORTS_RECOVERY, NEUTRAL, SUPPORTS_USE = "supports_recovery", "neutral", "supports_use"
# How a contact went.
HELPFUL, NEUTRAL_CONTACT, HARD = "helpful", "neutral", "hard"
# Commitment cadences.
WEEKDAYS, EVERY_N_DAYS, TIMES_PER_WEEK = "weekdays", "every_n_days", "times_per_week"

ACTIVE = "active"
IMPORTANT = 4  # importance at or above this counts as a "very important person"
LOW_QUALITY = 2  # relationship quality at or below this is flagged
QUIET_PILLAR_DAYS = 14  # a pillar with no contact for this long gets a suggestion
ADHERENCE_WINDOW_DAYS = 28
MAX_SUGGESTIONS = 8  # a few clear next steps, not a wall of advice; the flagged list names every tie

RELATIONSHIP_PILLAR = {
    "partner": FAMILY_FRIENDS,
    "parent": FAMILY_FRIENDS,
    "sibling": FAMILY_FRIENDS,
    "child": FAMILY_FRIENDS,
    "other_family": FAMILY_FRIENDS,
    "friend": FAMILY_FRIENDS,
    "coworker": FAMILY_FRIENDS,
    "neighbour": FAMILY_FRIENDS,
    "faith_leader": FAMILY_FRIENDS,
    "other": FAMILY_FRIENDS,
    "sponsor": PEER,
    "peer_mentor": PEER,
    "peer": PEER,
    "group": PEER,
    "counselor": PROFESSIONAL,
    "therapist": PROFESSIONAL,
    "physician": PROFESSIONAL,
    "case_manager": PROFESSIONAL,
    "care_organization": PROFESSIONAL,
}


def pillar_for_relationship(relationship: str) -> str:
    """The pillar a relationship belongs to unless the member says otherwise."""
    return RELATIONSHIP_PILLAR.get(relationship, FAMILY_FRIENDS)


def pillar_label(pillar: str) -> str:
    return {FAMILY_FRIENDS: _("family & friends"), PROFESSIONAL: _("professional"), PEER: _("peer")}[pillar]


@dataclass(frozen=True)
class TieFacts:
    id: int
    name: str
    pillar: str
    circle: str
    status: str
    contact_frequency: str
    importance: int
    substance_use: str
    stance: str
    quality: int
    strain_flags: tuple[str, ...] = ()
    last_contact: dt.date | None = None  # the member's local date of the latest contact
    contacts_28_days: int = 0

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


# --- Per pillar ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PillarHealth:
    pillar: str
    active_ties: int
    days_since_contact: int | None  # None: no contact logged with anyone in the pillar
    contacts_per_week: float  # over the last 28 days
    mean_quality: float | None  # mean relationship quality (1–5) of the active ties

    @property
    def label(self) -> str:
        return pillar_label(self.pillar)


def pillar_health(ties: Iterable[TieFacts], today: dt.date) -> list[PillarHealth]:
    """Coverage, recency, regularity and quality of contact for each pillar."""
    by_pillar: dict[str, list[TieFacts]] = {pillar: [] for pillar in PILLARS}
    for tie in ties:
        if tie.active and tie.pillar in by_pillar:
            by_pillar[tie.pillar].append(tie)
    result = []
    for pillar, members in by_pillar.items():
        contact_dates = [tie.last_contact for tie in members if tie.last_contact is not None]
        last = max(contact_dates) if contact_dates else None
        result.append(
            PillarHealth(
                pillar=pillar,
                active_ties=len(members),
                days_since_contact=max(0, (today - last).days) if last else None,
                contacts_per_week=round(sum(tie.contacts_28_days for tie in members) / 4, 2),
                mean_quality=round(sum(tie.quality for tie in members) / len(members), 2)
                if members
                else None,
            )
        )
    return result


# --- Composition -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Composition:
    network_size: int
    daily_network_size: int
    abstinent_share: float | None  # weighted by contact frequency; None for an empty network
    heavy_use_share: float | None
    unknown_use_share: float | None
    important_ties: int
    important_supporting_recovery: int
    important_supporting_use: int

    @property
    def important_recovery_share(self) -> float | None:
        return self.important_supporting_recovery / self.important_ties if self.important_ties else None

    @property
    def important_use_share(self) -> float | None:
        return self.important_supporting_use / self.important_ties if self.important_ties else None


def weighted_share(ties: Sequence[TieFacts], substance_use: str) -> float | None:
    """Share of the network with this substance use, each tie weighted by how often they are in contact."""
    total = sum(FREQUENCY_WEIGHT[tie.contact_frequency] for tie in ties)
    if not total:
        return None
    matching = sum(
        FREQUENCY_WEIGHT[tie.contact_frequency] for tie in ties if tie.substance_use == substance_use
    )
    return round(matching / total, 4)


def composition(ties: Iterable[TieFacts]) -> Composition:
    """Network composition in the terms of the Important People instrument and network-support research."""
    active = [tie for tie in ties if tie.active]
    important = [tie for tie in active if tie.importance >= IMPORTANT]
    return Composition(
        network_size=len(active),
        daily_network_size=sum(1 for tie in active if tie.contact_frequency == DAILY),
        abstinent_share=weighted_share(active, ABSTINENT),
        heavy_use_share=weighted_share(active, HEAVY),
        unknown_use_share=weighted_share(active, UNKNOWN),
        important_ties=len(important),
        important_supporting_recovery=sum(1 for tie in important if tie.stance == SUPPORTS_RECOVERY),
        important_supporting_use=sum(1 for tie in important if tie.stance == SUPPORTS_USE),
    )


# --- Flagged ties ----------------------------------------------------------------------------

FLAG_SUPPORTS_USE = "supports_use"
FLAG_HEAVY_USE_FREQUENT = "heavy_use_frequent_contact"
FLAG_STRAIN = "strain"
FLAG_LOW_QUALITY = "low_quality"


@dataclass(frozen=True)
class FlaggedTie:
    tie_id: int
    name: str
    circle: str
    reasons: tuple[str, ...]  # FLAG_* codes
    strain_flags: tuple[str, ...]

    def describe(self) -> list[str]:
        texts = {
            FLAG_SUPPORTS_USE: _("supports your use"),
            FLAG_HEAVY_USE_FREQUENT: _("uses heavily and you are in frequent contact"),
            FLAG_STRAIN: _("strain in the relationship"),
            FLAG_LOW_QUALITY: _("low relationship quality"),
        }
        return [texts[reason] for reason in self.reasons]


def flagged_ties(ties: Iterable[TieFacts]) -> list[FlaggedTie]:
    """Active ties that carry a risk to recovery or a strain, with every reason that applies."""
    flagged = []
    for tie in ties:
        if not tie.active:
            continue
        reasons = []
        if tie.stance == SUPPORTS_USE:
            reasons.append(FLAG_SUPPORTS_USE)
        if tie.substance_use == HEAVY and tie.contact_frequency in FREQUENT:
            reasons.append(FLAG_HEAVY_USE_FREQUENT)
        if tie.strain_flags:
            reasons.append(FLAG_STRAIN)
        if tie.quality <= LOW_QUALITY:
            reasons.append(FLAG_LOW_QUALITY)
        if reasons:
            flagged.append(FlaggedTie(tie.id, tie.name, tie.circle, tuple(reasons), tie.strain_flags))
    circle_order = {circle: index for index, circle in enumerate(CIRCLES)}
    flagged.sort(key=lambda f: (circle_order.get(f.circle, 3), -len(f.reasons), f.name))
    return flagged


# --- Commitments -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    cadence: str
    starts_on: dt.date
    weekdays: tuple[int, ...] = ()  # Monday = 0
    interval_days: int | None = None
    times_per_week: int | None = None
    ends_on: dt.date | None = None


@dataclass(frozen=True)
class Adherence:
    expected: int  # occurrences due in the window (pending ones today are left out)
    met: int
    missed_dates: tuple[dt.date, ...]  # due dates of missed occurrences, oldest first
    next_due: dt.date | None
    missed_in_a_row: int  # latest occurrences missed back to back

    @property
    def ratio(self) -> float | None:
        return round(self.met / self.expected, 4) if self.expected else None

    @property
    def missed_by_day(self) -> tuple[tuple[dt.date, int], ...]:
        """Each due date with how many occurrences were missed on it, oldest first.

        Several occurrences of an N-times-a-week commitment share their week's Sunday as due date.
        """
        return tuple(Counter(self.missed_dates).items())

    @property
    def off_track(self) -> bool:
        """Drift noticed early: two misses in a row, or under half kept over the window."""
        return self.missed_in_a_row >= 2 or (self.expected >= 2 and self.met / self.expected < 0.5)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def adherence(
    schedule: Schedule,
    contact_dates: Iterable[dt.date],
    today: dt.date,
    window_days: int = ADHERENCE_WINDOW_DAYS,
) -> Adherence:
    """How well a commitment was kept over the last `window_days`, and when it is next due.

    An occurrence is kept by any contact with the commitment's tie on its day (chosen weekdays),
    from its due day until the next one is due (every N days), or within its Monday-to-Sunday week
    (N times per week). `next_due` may lie in the past: an every-N-days occurrence still open.
    """
    contacts = Counter(contact_dates)
    window_start = max(today - dt.timedelta(days=window_days - 1), schedule.starts_on)
    last_day = min(today, schedule.ends_on) if schedule.ends_on else today
    # (due date, kept?) for each occurrence that counts, in order; a pending occurrence is left out.
    outcomes: list[tuple[dt.date, bool]] = []
    next_due: dt.date | None = None

    def within_end(day: dt.date) -> bool:
        return schedule.ends_on is None or day <= schedule.ends_on

    if schedule.cadence == WEEKDAYS and schedule.weekdays:
        day = window_start
        while day <= last_day:
            if day.weekday() in schedule.weekdays:
                kept = contacts[day] > 0
                if day < today or kept:
                    outcomes.append((day, kept))
            day += dt.timedelta(days=1)
        candidate = today if contacts[today] == 0 else today + dt.timedelta(days=1)
        candidate = max(candidate, schedule.starts_on)
        for offset in range(7):
            day = candidate + dt.timedelta(days=offset)
            if day.weekday() in schedule.weekdays:
                next_due = day if within_end(day) else None
                break

    elif schedule.cadence == EVERY_N_DAYS and schedule.interval_days:
        # Occurrence k is due on starts_on + k·N and is kept by any contact before the next one is due.
        n = schedule.interval_days
        index = max(0, (window_start - schedule.starts_on).days // n)
        while True:
            due = schedule.starts_on + dt.timedelta(days=index * n)
            period_end = due + dt.timedelta(days=n - 1)
            if due > last_day:
                break
            kept = any(contacts[due + dt.timedelta(days=k)] for k in range(n))
            if due >= window_start and (period_end < today or kept):
                outcomes.append((due, kept))
            if due <= today <= period_end:
                next_due = due if not kept else due + dt.timedelta(days=n)
            index += 1
        if today < schedule.starts_on:
            next_due = schedule.starts_on
        if next_due is not None and not within_end(next_due):
            next_due = None

    elif schedule.cadence == TIMES_PER_WEEK and schedule.times_per_week:
        target = schedule.times_per_week
        week = _monday(window_start)
        if week < schedule.starts_on:
            week += dt.timedelta(days=7)  # a week that began before the commitment is not held against it
        while week <= last_day:
            sunday = week + dt.timedelta(days=6)
            count = sum(contacts[week + dt.timedelta(days=k)] for k in range(7))
            kept_count = min(count, target)
            if sunday < today and within_end(sunday):
                outcomes.extend([(sunday, True)] * kept_count)
                outcomes.extend([(sunday, False)] * (target - kept_count))
            elif week <= today <= sunday:
                outcomes.extend([(sunday, True)] * kept_count)  # the rest are still pending
            week += dt.timedelta(days=7)
        this_sunday = _monday(max(today, schedule.starts_on)) + dt.timedelta(days=6)
        this_week_count = sum(contacts[_monday(today) + dt.timedelta(days=k)] for k in range(7))
        next_due = this_sunday if this_week_count < target else this_sunday + dt.timedelta(days=7)
        if not within_end(next_due):
            next_due = None

    missed_in_a_row = 0
    for _due, kept in reversed(outcomes):
        if kept:
            break
        missed_in_a_row += 1
    return Adherence(
        expected=len(outcomes),
        met=sum(1 for _due, kept in outcomes if kept),
        missed_dates=tuple(due for due, kept in outcomes if not kept),
        next_due=next_due,
        missed_in_a_row=missed_in_a_row,
    )


@dataclass(frozen=True)
class CommitmentFacts:
    id: int
    title: str
    adherence: Adherence


# --- Weekly contact chart --------------------------------------------------------------------


@dataclass(frozen=True)
class WeekOfContact:
    week_start: dt.date  # a Monday
    counts: dict[str, int]  # pillar -> contacts that week

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --- Suggestions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    code: str
    text: str
    reason: str
    priority: int  # 1 comes first
    tie_id: int | None = None
    pillar: str | None = None


def suggestions(
    ties: Sequence[TieFacts],
    pillars: Sequence[PillarHealth],
    mix: Composition,
    flags: Sequence[FlaggedTie],
    commitments: Sequence[CommitmentFacts],
) -> list[Suggestion]:
    """Plain-language next steps, each with the reason it was made, most pressing first."""
    found: list[Suggestion] = []
    if mix.network_size == 0:
        found.append(
            Suggestion(
                "empty_network",
                _("Add the people and groups in your life"),
                _("Your map has no active ties yet. Start with the people you feel closest to."),
                1,
            )
        )
        return found

    for pillar in pillars:
        label = pillar.label
        if pillar.active_ties == 0:
            reasons = {
                PEER: _(
                    "You have no one from the peer pillar — a group, a sponsor or a peer mentor. "
                    "People with lived experience of recovery are one of the three pillars of support."
                ),
                PROFESSIONAL: _(
                    "You have no one from the professional pillar — a counselor, therapist, "
                    "doctor or case manager."
                ),
                FAMILY_FRIENDS: _("You have no one from the family & friends pillar in your circle."),
            }
            found.append(
                Suggestion(
                    "pillar_missing",
                    _("Add someone from your %(pillar)s pillar") % {"pillar": label},
                    reasons[pillar.pillar],
                    2,
                    pillar=pillar.pillar,
                )
            )
        elif pillar.days_since_contact is None:
            found.append(
                Suggestion(
                    "pillar_quiet",
                    _("Reach out to someone from your %(pillar)s pillar") % {"pillar": label},
                    _("No contact logged with anyone from your %(pillar)s pillar yet.") % {"pillar": label},
                    3,
                    pillar=pillar.pillar,
                )
            )
        elif pillar.days_since_contact >= QUIET_PILLAR_DAYS:
            found.append(
                Suggestion(
                    "pillar_quiet",
                    _("Reach out to someone from your %(pillar)s pillar") % {"pillar": label},
                    ngettext(
                        "No contact with anyone from your %(pillar)s pillar in %(days)d day.",
                        "No contact with anyone from your %(pillar)s pillar in %(days)d days.",
                        pillar.days_since_contact,
                    )
                    % {"pillar": label, "days": pillar.days_since_contact},
                    2,
                    pillar=pillar.pillar,
                )
            )

    for flag in flags:
        if flag.circle == INNER and FLAG_STRAIN in flag.reasons:
            found.append(
                Suggestion(
                    "strained_inner_tie",
                    _("Think about the boundaries you want with %(name)s") % {"name": flag.name},
                    _("%(name)s is in your inner circle and the relationship is marked as strained.")
                    % {"name": flag.name},
                    2,
                    tie_id=flag.tie_id,
                )
            )
        if FLAG_SUPPORTS_USE in flag.reasons or FLAG_HEAVY_USE_FREQUENT in flag.reasons:
            why = (
                _("%(name)s supports your use.")
                if FLAG_SUPPORTS_USE in flag.reasons
                else _("%(name)s uses heavily and you are in frequent contact.")
            )
            found.append(
                Suggestion(
                    "pro_use_tie",
                    _("Consider how much time you spend with %(name)s") % {"name": flag.name},
                    (why + " " + _("Ties that support use tend to make recovery harder."))
                    % {"name": flag.name},
                    2,
                    tie_id=flag.tie_id,
                )
            )

    for commitment in commitments:
        result = commitment.adherence
        if result.off_track:
            missed = len(result.missed_dates)
            found.append(
                Suggestion(
                    "commitment_off_track",
                    _("Get back to “%(title)s”") % {"title": commitment.title},
                    ngettext(
                        "Missed %(missed)d of %(expected)d times in the last 4 weeks.",
                        "Missed %(missed)d of %(expected)d times in the last 4 weeks.",
                        missed,
                    )
                    % {"missed": missed, "expected": result.expected},
                    2,
                )
            )

    mostly_unknown = (mix.unknown_use_share or 0) >= 0.5  # then the share says more about what is unknown
    if (
        mix.network_size >= 3
        and mix.abstinent_share is not None
        and mix.abstinent_share < 0.5
        and not mostly_unknown
    ):
        found.append(
            Suggestion(
                "few_recovery_ties",
                _("Spend more of your time with people who don't use or are in recovery"),
                _(
                    "Weighted by how often you are in touch, %(share)d%% of your circle doesn't use or is in "
                    "recovery. Networks with more such people go with better outcomes."
                )
                % {"share": round(mix.abstinent_share * 100)},
                3,
            )
        )
    if mix.important_ties and mix.important_supporting_recovery == 0:
        found.append(
            Suggestion(
                "no_important_recovery_support",
                _("Tell someone important to you about your recovery goals"),
                _(
                    "None of the people you rated most important (4 or 5) is marked as supporting "
                    "your recovery."
                ),
                3,
            )
        )
    if mix.network_size < 3:
        found.append(
            Suggestion(
                "small_network",
                _("Add a few more people to your circle"),
                ngettext(
                    "You have %(count)d active tie. A wider circle gives you more people to turn to.",
                    "You have %(count)d active ties. A wider circle gives you more people to turn to.",
                    mix.network_size,
                )
                % {"count": mix.network_size},
                3,
            )
        )
    found.sort(key=lambda s: s.priority)
    return found[:MAX_SUGGESTIONS]


# --- Everything together ---------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkHealth:
    pillars: list[PillarHealth]
    composition: Composition
    flags: list[FlaggedTie]
    commitments: list[CommitmentFacts]
    suggestions: list[Suggestion]
    weeks: list[WeekOfContact] = field(default_factory=list)

    @property
    def commitment_adherence(self) -> float | None:
        """Kept occurrences over due occurrences across all commitments in the window."""
        expected = sum(c.adherence.expected for c in self.commitments)
        met = sum(c.adherence.met for c in self.commitments)
        return round(met / expected, 4) if expected else None


def network_health(
    ties: Sequence[TieFacts],
    commitments: Sequence[CommitmentFacts],
    weeks: Sequence[WeekOfContact],
    today: dt.date,
) -> NetworkHealth:
    pillars = pillar_health(ties, today)
    mix = composition(ties)
    flags = flagged_ties(ties)
    return NetworkHealth(
        pillars=pillars,
        composition=mix,
        flags=flags,
        commitments=list(commitments),
        suggestions=suggestions(ties, pillars, mix, flags, commitments),
        weeks=list(weeks),
    )
