"""Daily check-ins, questionnaires and their scores, and safety signals."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circles.checkins import logic, timing
from circles.lib.encryption import EncryptedCharField, EncryptedTextField
from circles.lib.time import user_zone


def zero_to_ten(label):
    return models.PositiveSmallIntegerField(label, validators=[MinValueValidator(0), MaxValueValidator(10)])


class SleepQuality(models.IntegerChoices):
    VERY_POOR = 1, _("Very poor")
    POOR = 2, _("Poor")
    OKAY = 3, _("Okay")
    GOOD = 4, _("Good")
    VERY_GOOD = 5, _("Very good")


class CheckIn(models.Model):
    """One day's check-in, on the member's own calendar. A return to use is a fact, never a failure."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkins")
    day = models.DateField(_("day"))
    mood = zero_to_ten(_("mood"))
    craving = zero_to_ten(_("craving"))
    stress = zero_to_ten(_("stress"))
    sleep_quality = models.PositiveSmallIntegerField(_("sleep"), choices=SleepQuality.choices)
    used = models.BooleanField(_("any use since your last check-in"), default=False)
    substance = EncryptedCharField(_("what you used"), max_length=80, blank=True)
    use_note = EncryptedTextField(_("anything you want to note about it"), max_length=2000, blank=True)
    helped = EncryptedTextField(_("what helped today"), max_length=1000, blank=True)
    struggling = EncryptedTextField(_("what I'm struggling with"), max_length=2000, blank=True)
    # Who the member means the struggle for. Stored now; disclosure is governed by consent (sharing app).
    struggling_for = models.ManyToManyField("network.Tie", blank=True, related_name="+")
    late = models.BooleanField(default=False)  # filled in after its day had passed
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # The ties it was just saved with (do_save_checkin), so an answer need not read back what was written.
    saved_ties: list | None = None

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["member", "day"], name="one_checkin_per_day")]
        # What changed since a moment (within the hour), for the members of a caseload: how it knows its
        # kept facts are out of date. Both ways round: PostgreSQL reads the few rows changed since (by
        # moment), SQLite, which plans without statistics, looks each member up (by member).
        indexes = [
            models.Index(fields=["member", "updated_at"], name="checkin_member_updated"),
            models.Index(fields=["updated_at", "member"], name="checkin_updated_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member} on {self.day}"

    def clean(self):
        errors = {}
        if self.day and self.member_id:
            today = timing.local_day(timezone.now(), user_zone(self.member))
            problem = timing.checkin_day_problem(self.day, today)
            if problem:
                errors["day"] = problem
        if not self.used and (self.substance or self.use_note):
            errors["used"] = _("Tick this if you want to note a use, or clear the note.")
        if errors:
            raise ValidationError(errors)

    def is_editable(self, today: dt.date) -> bool:
        """A check-in can be changed on its own day; a late one on the day it was filled in."""
        if self.day == today:
            return True
        created = timing.local_day(self.created_at, user_zone(self.member))
        return self.late and created == today


RECOVERY_SPAN = dt.timedelta(days=100 * 366)  # how far back a recovery date may be


class CheckInSettings(models.Model):
    """A member's choices about check-ins. No row means every default."""

    class ScreeningSex(models.TextChoices):
        NOT_SAID = "", _("I'd rather not say (the lower cut-off is used)")
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkin_settings"
    )
    count_days = models.BooleanField(
        _("count my time in recovery"),
        default=False,
        help_text=_("Shows days since the date you choose, with any returns to use and your notes."),
    )
    recovery_started_on = models.DateField(_("my recovery date"), null=True, blank=True)
    screening_sex = models.CharField(
        _("sex for the alcohol screen's cut-off"),
        max_length=8,
        choices=ScreeningSex.choices,
        blank=True,
        help_text=_("AUDIT-C uses a cut-off of 4 for men and 3 for women."),
    )

    def __str__(self) -> str:
        return f"Check-in settings of {self.member}"

    def clean(self):
        if self.count_days and not self.recovery_started_on:
            raise ValidationError({"recovery_started_on": _("Choose the date to count from.")})
        started = self.recovery_started_on
        if started and self.member_id and started > timing.local_day(timezone.now(), user_zone(self.member)):
            raise ValidationError({"recovery_started_on": _("This date is in the future.")})
        # A lifetime back, not a fixed year: 1900-01-01 is a date picker left at its start, not a recovery.
        if started and started < timezone.localdate() - RECOVERY_SPAN:
            message = _("Please check the date: a recovery date can be up to 100 years back.")
            raise ValidationError({"recovery_started_on": message})


class MeasureSchedule(models.Model):
    """How often the member wants a questionnaire; no row means the instrument's default."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    instrument = models.CharField(max_length=16, choices=[(code, code) for code in logic.INSTRUMENTS])
    # None: not scheduled (the member can still fill it in whenever they like).
    interval_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "instrument"], name="one_schedule_per_instrument")
        ]

    def __str__(self) -> str:
        return f"{self.instrument} every {self.interval_days} days for {self.member}"


class QuestionnaireDefinition(models.Model):
    """One wording of an instrument: Circles' own (built in) or imported by an organization.

    Scoring never reads the wording; every definition of an instrument has the structure its
    scoring expects (checked on import), so scores are the same whichever wording was used.
    """

    instrument = models.CharField(max_length=16, choices=[(code, code) for code in logic.INSTRUMENTS])
    version = models.CharField(max_length=40)
    language = models.CharField(max_length=16, default="en")
    title = models.CharField(max_length=200)
    resource = models.JSONField()  # the FHIR Questionnaire
    builtin = models.BooleanField(default=False)
    active = models.BooleanField(default=True)  # imported ones: offered to members in this language
    # Whom an imported wording is for: "" is every member of the deployment; anything else names a group
    # of members that an app above checkins defines and answers for (definitions.audiences_of), e.g.
    # "organization:12" for the members enrolled with one organization (docs/measures.md).
    audience = models.CharField(max_length=40, blank=True, default="")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "language", "version", "builtin", "audience"],
                name="one_definition_per_version_and_audience",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.version} ({self.language})"

    @property
    def canonical(self) -> str:
        return f"{self.resource.get('url', '')}|{self.version}"


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def completed(self):
        return self.filter(status=Assessment.Status.COMPLETED)


class Assessment(models.Model):
    """One filling-in of a questionnaire: its answers and, once complete, its score."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("Saved part-way")
        COMPLETED = "completed", _("Completed")

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessments")
    instrument = models.CharField(max_length=16, choices=[(code, code) for code in logic.INSTRUMENTS])
    definition = models.ForeignKey(QuestionnaireDefinition, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    answers = models.JSONField(default=dict)  # linkId -> ordinal value (choice) or true/false (boolean)
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    day = models.DateField(null=True, blank=True)  # the member's local day of completion
    total = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=32, blank=True)
    subscales = models.JSONField(default=dict)
    flags = models.JSONField(default=list)
    scoring_version = models.CharField(max_length=16, blank=True)
    offered_after = models.ForeignKey(  # the C-SSRS screener offered because of a PHQ-9 answer
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["member", "instrument", "completed_at"]),
            # Questionnaires completed since a moment: a caseload's kept facts are then out of date.
            models.Index(fields=["completed_at", "member"], name="assessment_completed_member"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} for {self.member} ({self.status})"

    @property
    def spec(self) -> logic.Instrument:
        return logic.INSTRUMENTS[self.instrument]

    @property
    def is_complete(self) -> bool:
        return self.status == self.Status.COMPLETED

    @property
    def band_label(self) -> str:
        if self.instrument == "cssrs":
            return str(CSSRS_TIERS.get(self.band, ""))
        band = next((b for b in self.spec.bands if b.code == self.band), None)
        return str(band.label) if band else ""

    @property
    def subscale_rows(self) -> list[tuple[str, float]]:
        """Each subscale's label and value, in the instrument's order (BAM's use, risk, protective)."""
        order = list(SUBSCALE_LABELS)  # not the order the database happens to keep JSON keys in
        rank = {name: order.index(name) if name in order else len(order) for name in self.subscales or {}}
        names = sorted(rank, key=rank.__getitem__)
        return [(str(SUBSCALE_LABELS.get(name, name)), self.subscales[name]) for name in names]

    @property
    def safety(self) -> bool:
        """A self-harm answer or a positive suicide-risk screen, from the answers saved so far."""
        if self.is_complete:
            return "safety_item" in self.flags or "positive_screen" in self.flags
        instrument, link_id = logic.SAFETY_ITEM
        if self.instrument == instrument:
            return (self.answers.get(link_id) or 0) > 0
        return self.instrument == "cssrs" and logic.risk_tier(self.answers) != logic.RISK_NONE


SUBSCALE_LABELS = {
    "significant_other": _("A special person"),
    "family": _("Family"),
    "friends": _("Friends"),
    "use": _("Use"),
    "risk": _("Risk factors"),
    "protective": _("Protective factors"),
    "raw": _("Raw score (0–25)"),
}

CSSRS_TIERS = {
    "none": _("No risk named"),
    "low": _("Lower risk"),
    "moderate": _("Moderate risk"),
    "high": _("High risk"),
}


class SafetySignal(models.Model):
    """A durable record that the member may be in danger; the alerts work turns these into notifications.

    Written in the same transaction as the answer or button press that raised it, before the
    response returns, so it never depends on a background process.
    """

    class Source(models.TextChoices):
        SAFETY_ITEM = "phq9_item9", _("A depression questionnaire answer about self-harm")
        SCREEN = "cssrs", _("A positive suicide-risk screen")
        HELP_NOW = "help_now", _("Pressed “I need help now”")

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=16, choices=Source.choices)
    tier = models.CharField(max_length=16, blank=True)  # C-SSRS risk tier when the screen raised it
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="safety_signals"
    )
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)  # set by the alerts work

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["handled_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.source} for {self.member} at {self.created_at:%Y-%m-%d %H:%M}"
