"""The member's support network: ties, the contact they log, and the commitments they keep."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from circles.lib import contact_links
from circles.lib.encryption import EncryptedCharField, EncryptedTextField
from circles.lib.time import user_zone
from circles.lib.validators import refuse_invisible_characters
from circles.network import logic


class Pillar(models.TextChoices):
    FAMILY_FRIENDS = logic.FAMILY_FRIENDS, _("Family & friends")
    PROFESSIONAL = logic.PROFESSIONAL, _("Professional")
    PEER = logic.PEER, _("Peer")


class Relationship(models.TextChoices):
    PARTNER = "partner", _("Partner")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Sibling")
    CHILD = "child", _("Child")
    OTHER_FAMILY = "other_family", _("Other family")
    FRIEND = "friend", _("Friend")
    COWORKER = "coworker", _("Co-worker")
    NEIGHBOUR = "neighbour", _("Neighbour")
    SPONSOR = "sponsor", _("Sponsor")
    PEER_MENTOR = "peer_mentor", _("Peer mentor")
    PEER = "peer", _("Peer")
    GROUP = "group", _("Peer group or meeting")
    COUNSELOR = "counselor", _("Counselor")
    THERAPIST = "therapist", _("Therapist")
    PHYSICIAN = "physician", _("Physician")
    CASE_MANAGER = "case_manager", _("Case manager")
    # An organization the member is enrolled with (circles/care): made by enrolling, never on the tie form.
    CARE_ORGANIZATION = "care_organization", _("Treatment or care organization")
    FAITH_LEADER = "faith_leader", _("Faith or community leader")
    OTHER = "other", _("Other")


class Circle(models.TextChoices):
    INNER = logic.INNER, _("Inner circle — closest")
    MIDDLE = logic.MIDDLE, _("Middle circle")
    OUTER = logic.OUTER, _("Outer circle")


class SupportKind(models.TextChoices):
    EMOTIONAL = "emotional", _("Emotional")
    PRACTICAL = "practical", _("Practical")
    INFORMATIONAL = "informational", _("Information and advice")
    FINANCIAL = "financial", _("Financial")
    COMPANIONSHIP = "companionship", _("Companionship")


class ContactFrequency(models.TextChoices):
    DAILY = logic.DAILY, _("Daily")
    WEEKLY = logic.WEEKLY, _("Weekly")
    MONTHLY = logic.MONTHLY, _("Monthly")
    LESS_OFTEN = logic.LESS_OFTEN, _("Less often")


class SubstanceUse(models.TextChoices):
    ABSTINENT = logic.ABSTINENT, _("Doesn't use, or in recovery")
    LIGHT = logic.LIGHT, _("Light use")
    HEAVY = logic.HEAVY, _("Heavy use")
    UNKNOWN = logic.UNKNOWN, _("Don't know")


class Stance(models.TextChoices):
    SUPPORTS_RECOVERY = logic.SUPPORTS_RECOVERY, _("Supports my recovery")
    NEUTRAL = logic.NEUTRAL, _("Neutral")
    SUPPORTS_USE = logic.SUPPORTS_USE, _("Supports my use")


class Strain(models.TextChoices):
    NEGATIVITY = "negativity", _("Negativity or criticism")
    CONFLICT = "conflict", _("Conflict")
    PRESSURE_TO_USE = "pressure_to_use", _("Pressure to use")
    BOUNDARY_CROSSING = "boundary_crossing", _("Crosses my boundaries")


class TieStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


@deconstructible
class ChoiceListValidator:
    """A JSON list whose items all come from `allowed`, each at most once."""

    def __init__(self, allowed: list[str]):
        self.allowed = sorted(allowed)

    def __call__(self, value):
        if not isinstance(value, list) or any(item not in self.allowed for item in value):
            raise ValidationError(_("Choose from: %(options)s."), params={"options": ", ".join(self.allowed)})
        if len(set(value)) != len(value):
            raise ValidationError(_("Each option can be chosen once."))

    def __eq__(self, other):
        return isinstance(other, ChoiceListValidator) and other.allowed == self.allowed

    def __hash__(self):
        return hash(tuple(self.allowed))


EARLIEST_DATE = dt.date(1900, 1, 1)  # older dates are typing mistakes, and break timezone arithmetic
COMMITMENT_HORIZON = dt.timedelta(days=10 * 366)  # how far ahead a commitment may start or end
# How far back contact may be logged and a commitment may start: further is a mistyped year (a date
# picker left at 1900), and the network's health looks at weeks and months, not decades.
HISTORY_SPAN = dt.timedelta(days=10 * 366)


def plausible_contact_time(value: dt.datetime) -> None:
    # A minute of grace for clocks that run a little ahead of ours.
    now = timezone.now()
    if value > now + dt.timedelta(minutes=1):
        raise ValidationError(_("This is in the future. Log contact after it has happened."))
    if value.date() < EARLIEST_DATE:
        raise ValidationError(_("Please check the date: it is before 1900."))


def recorded_within_history(record, when: dt.datetime | dt.date | None) -> bool:
    """Whether a date lies within HISTORY_SPAN before the record was first saved (now, for a new one).

    Measured from when the record was made, so that a contact or commitment kept for years can still be
    edited (a note, an end date) without its date turning into a mistake.
    """
    if when is None:
        return True
    made = record.created_at or timezone.now()
    if isinstance(when, dt.datetime):
        return when >= made - HISTORY_SPAN
    return when >= timezone.localdate(made) - HISTORY_SPAN


@deconstructible
class NotBlank:
    """A field validator refusing text that is only spaces.

    A field validator, not a check in clean(): a form leaves a field it already refused (too long,
    say) out of the model, and clean() would then add a second, wrong message about it being empty.
    """

    def __init__(self, message):
        self.message = message

    def __call__(self, value: str) -> None:
        if not (value or "").strip():
            raise ValidationError(self.message)

    def __eq__(self, other) -> bool:
        return isinstance(other, NotBlank) and self.message == other.message


NAME_GIVEN = NotBlank(_("Please enter a name."))
TITLE_GIVEN = NotBlank(_("Please say what you intend, e.g. “Tuesday group”."))


def refuse_ended_tie(record) -> None:
    """New contact or commitments go to current ties only; old records of an ended tie stay editable."""
    if record._state.adding and record.tie_id and record.tie.status == TieStatus.ENDED:
        raise ValidationError({"tie": _("This tie has ended. Resume it first to add to it.")})


class TieQuerySet(models.QuerySet["Tie"]):
    def current(self):
        return self.exclude(status=TieStatus.ENDED)

    def with_last_contact(self):
        """`last_contact`: when the latest contact with each tie happened (kept on the tie, not summed)."""
        return self.annotate(last_contact=models.F("last_contact_at"))


class Tie(models.Model):
    """A person, group or meeting in the member's life, and what the member knows about the tie."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ties")
    display_name = models.CharField(
        _("name"),
        max_length=80,
        validators=[NAME_GIVEN, refuse_invisible_characters],
        error_messages={"blank": NAME_GIVEN.message},
    )
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    # Stored resolved (for queries); it follows the relationship unless pillar_override is set.
    pillar = models.CharField(max_length=20, choices=Pillar.choices, editable=False)
    pillar_override = models.CharField(
        _("pillar"),
        max_length=20,
        choices=Pillar.choices,
        blank=True,
        help_text=_("Leave on “based on relationship” unless this person belongs elsewhere for you."),
    )
    circle = models.CharField(_("closeness"), max_length=10, choices=Circle.choices, default=Circle.MIDDLE)
    support_kinds = models.JSONField(
        _("kinds of support they give"),
        default=list,
        blank=True,
        validators=[ChoiceListValidator(SupportKind.values)],
    )
    contact_frequency = models.CharField(
        _("how often you are in contact"),
        max_length=12,
        choices=ContactFrequency.choices,
        default=ContactFrequency.WEEKLY,
    )
    importance = models.PositiveSmallIntegerField(
        _("how important they are to you (1–5)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    substance_use = models.CharField(
        _("their own substance use"),
        max_length=12,
        choices=SubstanceUse.choices,
        default=SubstanceUse.UNKNOWN,
    )
    stance = models.CharField(
        _("their stance toward your recovery"), max_length=20, choices=Stance.choices, default=Stance.NEUTRAL
    )
    quality = models.PositiveSmallIntegerField(
        _("quality of the relationship (1–5)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    strain_flags = models.JSONField(
        _("strain in the relationship"),
        default=list,
        blank=True,
        validators=[ChoiceListValidator(Strain.values)],
    )
    boundaries = EncryptedTextField(_("your boundaries with them"), max_length=2000, blank=True)
    email = models.EmailField(_("email (optional)"), blank=True)
    phone = models.CharField(_("phone (optional)"), max_length=32, blank=True)
    # The Circles account of this person, once they accept the member's invitation (circles.sharing).
    # What it may see is decided by the member's live consent, never by this link alone.
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="supported_ties",
    )
    status = models.CharField(
        max_length=10, choices=TieStatus.choices, default=TieStatus.ACTIVE, editable=False
    )
    status_since = models.DateTimeField(default=timezone.now, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Kept by circles/network/rollup.py as contacts are logged, changed or removed, never by a form:
    # the latest contact's time, and the time zone the tie's WeeklyContact rows were counted in
    # (blank: not counted yet). Rows counted in another zone than the member's are counted again.
    last_contact_at = models.DateTimeField(null=True, blank=True, editable=False)
    contacts_zone = models.CharField(max_length=64, blank=True, editable=False)

    objects = TieQuerySet.as_manager()

    class Meta:
        ordering = ["display_name", "id"]
        indexes = [
            models.Index(fields=["member", "status"]),
            # Ties changed since a moment: a caseload's kept facts are then out of date.
            models.Index(fields=["updated_at", "member"], name="tie_updated_member"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        self.pillar = self.pillar_override or logic.pillar_for_relationship(self.relationship)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "pillar_override" in update_fields:
            kwargs["update_fields"] = {*update_fields, "pillar"}
        if self._state.adding:
            # No contact yet: nothing to count, in the zone the member is in now.
            self.contacts_zone = user_zone(self.member).key
        elif update_fields is None:
            # A tie read before a contact was logged must not put back the old latest contact.
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in ROLLUP_FIELDS
            ]
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        self.display_name = (self.display_name or "").strip()
        if self.phone and not contact_links.is_phone_number(self.phone):
            raise ValidationError({"phone": _("Use digits, spaces and + - ( ) only.")})

    @property
    def is_care_organization(self) -> bool:
        """An organization the member is enrolled with (circles/care): its status follows the enrolment."""
        return self.relationship == Relationship.CARE_ORGANIZATION

    @property
    def support_labels(self) -> list[str]:
        return [str(SupportKind(kind).label) for kind in self.support_kinds if kind in SupportKind.values]

    @property
    def strain_labels(self) -> list[str]:
        return [str(Strain(flag).label) for flag in self.strain_flags if flag in Strain.values]

    def facts(self, *, last_contact: dt.date | None, contacts_28_days: int) -> logic.TieFacts:
        """The plain values the network-health functions work on."""
        return logic.TieFacts(
            id=self.pk,
            name=self.display_name,
            pillar=self.pillar,
            circle=self.circle,
            status=self.status,
            contact_frequency=self.contact_frequency,
            importance=self.importance,
            substance_use=self.substance_use,
            stance=self.stance,
            quality=self.quality,
            strain_flags=tuple(self.strain_flags),
            last_contact=last_contact,
            contacts_28_days=contacts_28_days,
        )


ROLLUP_FIELDS = ("last_contact_at", "contacts_zone")


class TieStatusChange(models.Model):
    """History of a tie being paused, resumed or ended. Rows are only ever added."""

    tie = models.ForeignKey(Tie, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=10, choices=TieStatus.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    note = EncryptedCharField(_("note (optional)"), max_length=500, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.tie} {self.status} at {self.changed_at:%Y-%m-%d}"


class InteractionKind(models.TextChoices):
    CALL = "call", _("Call")
    MESSAGE = "message", _("Message")
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video call")
    GROUP_MEETING = "group_meeting", _("Group meeting")
    THERAPY_SESSION = "therapy_session", _("Therapy session")
    # Sent by a supporter through Circles; never chosen on the contact form.
    ENCOURAGEMENT = "encouragement", _("Encouragement in Circles")


# The kinds a member logs by hand (encouragement arrives from a supporter).
LOGGED_KINDS = [kind for kind in InteractionKind if kind != InteractionKind.ENCOURAGEMENT]


class InteractionQuality(models.TextChoices):
    HELPFUL = logic.HELPFUL, _("Helpful")
    NEUTRAL = logic.NEUTRAL_CONTACT, _("Neutral")
    HARD = logic.HARD, _("Hard")


class InteractionQuerySet(models.QuerySet["Interaction"]):
    """Writes in bulk recount the ties they touch (circles/network/rollup.py), in the same transaction."""

    def bulk_create(self, objs, *args, **kwargs):
        from circles.network import rollup

        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            made = super().bulk_create(objs, *args, **kwargs)
            rollup.recount_ties({obj.tie_id for obj in objs})
        return made

    def update(self, **kwargs):
        from circles.network import rollup

        if not ({"tie", "tie_id", "occurred_at"} & set(kwargs)):
            return super().update(**kwargs)
        moved_to = kwargs.get("tie_id", kwargs.get("tie"))
        with transaction.atomic(using=self.db, savepoint=False):
            rows = list(self.values_list("pk", "tie_id"))
            ties = {tie_id for _pk, tie_id in rows}
            changed = super().update(**kwargs)
            if hasattr(moved_to, "resolve_expression"):
                # Moved by an expression (bulk_update's CASE, an F or a subquery): read where they went.
                ids = [pk for pk, _tie_id in rows]
                for first in range(0, len(ids), rollup.TIES_PER_STATEMENT):
                    chunk = ids[first : first + rollup.TIES_PER_STATEMENT]
                    ties |= set(Interaction.objects.filter(pk__in=chunk).values_list("tie_id", flat=True))
            else:
                ties |= {getattr(moved_to, "pk", moved_to)} - {None}
            rollup.recount_ties(ties)
        return changed

    update.alters_data = True  # type: ignore[attr-defined]

    def delete(self):
        from circles.network import rollup

        with transaction.atomic(using=self.db, savepoint=False):
            ties = set(self.values_list("tie_id", flat=True))
            deleted = super().delete()
            rollup.recount_ties(ties)
        return deleted

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class Interaction(models.Model):
    """One contact the member had with a tie.

    Saving or deleting one keeps the contact rollup (WeeklyContact, Tie.last_contact_at) exact in the
    same transaction; so does writing them in bulk through Interaction.objects.
    """

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interactions"
    )
    tie = models.ForeignKey(Tie, on_delete=models.CASCADE, related_name="interactions")
    occurred_at = models.DateTimeField(_("when"), default=timezone.now, validators=[plausible_contact_time])
    kind = models.CharField(_("kind of contact"), max_length=20, choices=InteractionKind.choices)
    duration_minutes = models.PositiveIntegerField(
        _("how long, in minutes (optional)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    quality = models.CharField(
        _("how it went"),
        max_length=10,
        choices=InteractionQuality.choices,
        default=InteractionQuality.HELPFUL,
    )
    note = EncryptedTextField(_("private note (only you see it)"), max_length=2000, blank=True)
    # Encouragement: the supporter who sent it and their words (the member's own note stays theirs).
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="encouragements_sent",
    )
    message = EncryptedCharField(_("message"), max_length=500, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = InteractionQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["member", "occurred_at"]),
            models.Index(fields=["tie", "occurred_at"]),
            # Serves "last contact per tie" for a member without sorting every contact.
            models.Index(fields=["member", "tie", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return _("%(kind)s with %(name)s") % {"kind": self.get_kind_display(), "name": self.tie}

    def save(self, *args, **kwargs):
        from circles.network import rollup

        with transaction.atomic(savepoint=False), rollup.contact_change(self):
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        from circles.network import rollup

        with transaction.atomic(savepoint=False), rollup.contact_change(self, deleting=True):
            return super().delete(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.tie_id and self.member_id and self.tie.member_id != self.member_id:
            raise ValidationError({"tie": _("Choose one of your own ties.")})
        if not recorded_within_history(self, self.occurred_at):
            raise ValidationError(
                {"occurred_at": _("Please check the date: contact can be logged up to ten years back.")}
            )
        refuse_ended_tie(self)


class WeeklyContact(models.Model):
    """How many contacts with a tie fell in one of the member's own weeks (Monday to Sunday, local time).

    A rollup of Interaction, kept exact as contacts are logged, changed, moved or removed
    (circles/network/rollup.py), so the pages that chart contact per week read a few rows per week
    instead of counting every contact ever logged. Rebuilt from the log by `manage.py rebuild_contacts`.
    """

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tie = models.ForeignKey(Tie, on_delete=models.CASCADE, related_name="weekly_contacts")
    week_start = models.DateField()  # a Monday in the zone named by tie.contacts_zone
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tie", "week_start"], name="network_weeklycontact_one_per_week"),
            models.CheckConstraint(condition=models.Q(count__gt=0), name="network_weeklycontact_not_empty"),
        ]
        indexes = [models.Index(fields=["member", "week_start"])]

    def __str__(self) -> str:
        return f"{self.tie_id} week of {self.week_start}: {self.count}"


class Cadence(models.TextChoices):
    WEEKDAYS = logic.WEEKDAYS, _("Every week on chosen days")
    EVERY_N_DAYS = logic.EVERY_N_DAYS, _("Every few days")
    TIMES_PER_WEEK = logic.TIMES_PER_WEEK, _("A number of times each week")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Commitment(models.Model):
    """A recurring intention toward a tie, e.g. "Tuesday group every week" or "call Mum 3 times a week".

    Adherence, next due date and missed occurrences are derived from interactions, never stored.
    """

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="commitments")
    tie = models.ForeignKey(Tie, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("with"))
    title = models.CharField(
        _("what you intend"),
        max_length=120,
        validators=[TITLE_GIVEN, refuse_invisible_characters],
        error_messages={"blank": TITLE_GIVEN.message},
    )
    cadence = models.CharField(_("how often"), max_length=20, choices=Cadence.choices)
    weekdays = models.JSONField(_("on these days"), default=list, blank=True)
    interval_days = models.PositiveSmallIntegerField(
        _("every how many days"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    times_per_week = models.PositiveSmallIntegerField(
        _("times per week"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(21)]
    )
    starts_on = models.DateField(_("starting"), default=timezone.localdate)
    ends_on = models.DateField(_("ending (optional)"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        super().clean()
        self.title = (self.title or "").strip()
        errors: dict[str, str] = {}
        if self.cadence == Cadence.WEEKDAYS:
            days = self.weekdays
            if (
                not isinstance(days, list)
                or not days
                or any(type(d) is not int or d not in range(7) for d in days)
            ):
                errors["weekdays"] = _("Choose at least one day of the week.")
            else:
                self.weekdays = sorted(set(days))
            self.interval_days = self.times_per_week = None
        elif self.cadence == Cadence.EVERY_N_DAYS:
            if not self.interval_days:
                errors["interval_days"] = _("Say every how many days (1–90).")
            self.weekdays, self.times_per_week = [], None
        elif self.cadence == Cadence.TIMES_PER_WEEK:
            if not self.times_per_week:
                errors["times_per_week"] = _("Say how many times each week (1–21).")
            self.weekdays, self.interval_days = [], None
        latest = timezone.localdate() + COMMITMENT_HORIZON
        for name in ("starts_on", "ends_on"):
            day = getattr(self, name)
            if day and not (recorded_within_history(self, day) and day <= latest):
                errors[name] = _("Choose a date within ten years of today.")
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on and "ends_on" not in errors:
            errors["ends_on"] = _("The end date comes before the start date.")
        if self.tie_id and self.member_id and self.tie.member_id != self.member_id:
            errors["tie"] = _("Choose one of your own ties.")
        if errors:
            raise ValidationError(errors)
        refuse_ended_tie(self)

    @property
    def schedule(self) -> logic.Schedule:
        return logic.Schedule(
            cadence=self.cadence,
            weekdays=tuple(self.weekdays),
            interval_days=self.interval_days,
            times_per_week=self.times_per_week,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
        )
