"""Organizations, their staff, the members they enrol with consent, and the care around each enrolment:
the care team, sessions, clinical notes, messages and safety follow-ups (docs/care.md).

What staff may read of a member is never decided here: an enrolment links the member's circle to the
organization through a tie in the professional pillar, and the member's consent to that tie (a
`sharing.Consent` addressed to the organization) says what its care team sees (circles/care/access.py).
"""

import secrets
import unicodedata

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circles.checkins.models import SafetySignal
from circles.lib.encryption import EncryptedCharField, EncryptedTextField
from circles.lib.validators import refuse_invisible_characters
from circles.network.models import NAME_GIVEN, Interaction, Tie

STAFF_INVITATION_SALT = "circles.care.staff_invitation"
ENROLMENT_INVITATION_SALT = "circles.care.enrolment_invitation"
# Enrolment codes are read aloud and typed on a phone: no letters that look like digits or each other.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def new_enrolment_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def read_signed_token(token: str, salt: str) -> tuple[int, str]:
    """(id, nonce) from an emailed link; raises signing.BadSignature when the link was altered."""
    value = signing.loads(token, salt=salt)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or type(value[0]) is not int
        or not isinstance(value[1], str)
    ):
        raise signing.BadSignature("unexpected invitation payload")
    return value[0], value[1]


class OrganizationKind(models.TextChoices):
    TREATMENT_CENTRE = "treatment_centre", _("Treatment centre")
    RECOVERY_COMMUNITY = "recovery_community", _("Recovery community organization")
    SOBER_LIVING = "sober_living", _("Recovery residence (sober living)")


class Organization(models.Model):
    """A treatment centre, recovery community organization or recovery residence that uses Circles."""

    name = models.CharField(
        _("name"),
        max_length=120,
        validators=[NAME_GIVEN, refuse_invisible_characters],
        error_messages={"blank": NAME_GIVEN.message},
    )
    kind = models.CharField(_("kind of organization"), max_length=24, choices=OrganizationKind.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, editable=False, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        self.name = (self.name or "").strip()


class Program(models.Model):
    """A named program of an organization (e.g. "Intensive outpatient"), named in the member's consent."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="programs")
    name = models.CharField(
        _("program name"),
        max_length=120,
        validators=[NAME_GIVEN, refuse_invisible_characters],
        error_messages={"blank": NAME_GIVEN.message},
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="care_program_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class StaffRole(models.TextChoices):
    COUNSELOR = "counselor", _("Counselor")
    THERAPIST = "therapist", _("Therapist")
    PHYSICIAN = "physician", _("Physician")
    CASE_MANAGER = "case_manager", _("Case manager")
    PEER_SPECIALIST = "peer_specialist", _("Peer recovery specialist")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles that care for members (on care teams, with a caseload); an administrator manages the organization.
CARE_ROLES = tuple(role for role in StaffRole if role != StaffRole.ADMINISTRATOR)


class StaffMembershipQuerySet(models.QuerySet["StaffMembership"]):
    def current(self):
        return self.filter(ended_at__isnull=True)


class StaffMembership(models.Model):
    """A person working for an organization in one role. A person may belong to several organizations.

    Ending a membership (ended_at) keeps the row, so notes and sessions still name their author.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=StaffRole.choices)
    # May read every process note in the organization (45 CFR 164.501 "psychotherapy notes" stay with
    # their author otherwise).
    clinical_supervisor = models.BooleanField(_("clinical supervisor"), default=False)
    # Asked when a member's crisis ladder reaches "my care team".
    on_call = models.BooleanField(_("on call for care-team alerts"), default=True)
    joined_at = models.DateTimeField(default=timezone.now, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = StaffMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "user__display_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"],
                condition=Q(ended_at__isnull=True),
                name="care_one_current_membership",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} at {self.organization}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None

    @property
    def is_administrator(self) -> bool:
        return self.role == StaffRole.ADMINISTRATOR


class SignedInvitation(models.Model):
    """What every invitation of the care app has: a single-use link carrying its id and a nonce, signed
    with the SECRET_KEY under the subclass's `salt`; renewing makes a new nonce (older links stop
    working) and a new expiry; it is pending until accepted, cancelled or expired."""

    salt: str

    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, editable=False, related_name="+"
    )
    nonce = models.CharField(max_length=32, default=new_nonce, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def token(self) -> str:
        return signing.dumps([self.pk, self.nonce], salt=self.salt, compress=False)

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.cancelled_at is None and timezone.now() < self.expires_at

    def renew(self, lifetime) -> None:
        """A fresh link (earlier ones stop working) and a fresh expiry; a cancelled one is open again."""
        self.nonce = new_nonce()
        self.expires_at = timezone.now() + lifetime
        self.cancelled_at = None
        self.save(update_fields=["nonce", "expires_at", "cancelled_at"])

    def cancel(self) -> bool:
        """Cancels it unless it was accepted or cancelled already; whether anything changed."""
        if self.accepted_at is not None or self.cancelled_at is not None:
            return False
        self.cancelled_at = timezone.now()
        self.save(update_fields=["cancelled_at"])
        return True


class StaffInvitation(SignedInvitation):
    """An emailed, single-use link that makes the person who accepts it staff of the organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="staff_invitations")
    email = models.EmailField(_("their email address"))
    role = models.CharField(_("role"), max_length=20, choices=StaffRole.choices)
    clinical_supervisor = models.BooleanField(_("clinical supervisor"), default=False)

    salt = STAFF_INVITATION_SALT

    class Meta(SignedInvitation.Meta):
        pass

    def __str__(self) -> str:
        return f"Staff invitation {self.pk} to {self.organization}"


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("Enrolled")
    ENDED = "ended", _("Ended")


class EnrolmentQuerySet(models.QuerySet["Enrolment"]):
    def active(self):
        return self.filter(status=EnrolmentStatus.ACTIVE)


class Enrolment(models.Model):
    """A member enrolled with an organization.

    `tie` is the organization's place in the member's circle (professional pillar, relationship
    "care_organization"); the member's consent to that tie is what the care team may see. Ending the
    enrolment ends the tie, which revokes the consent for good (network.events.TieEnded).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="enrolments")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrolments")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    tie = models.OneToOneField(Tie, on_delete=models.SET_NULL, null=True, related_name="enrolment")
    status = models.CharField(max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(_("reason (optional)"), max_length=200, blank=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"]), models.Index(fields=["member", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "member"],
                condition=Q(status=EnrolmentStatus.ACTIVE),
                name="care_one_active_enrolment",
            )
        ]

    def __str__(self) -> str:
        return f"Enrolment {self.pk} of {self.member} at {self.organization}"

    @property
    def is_active(self) -> bool:
        return self.status == EnrolmentStatus.ACTIVE


class EnrolmentInvitation(SignedInvitation):
    """An invitation to enrol: emailed as a signed link, or handed over as a short code, or both.

    Either way the person opens it signed in, reads what the organization asks to see, and signs the
    consent; only then is there an enrolment. Single use; expires.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="enrolment_invitations"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField(_("their email address (optional)"), blank=True)
    code = models.CharField(max_length=16, unique=True, default=new_enrolment_code, editable=False)
    # The staff member who will be primary on the care team; the inviter unless they choose another.
    primary_staff = models.ForeignKey(StaffMembership, on_delete=models.SET_NULL, null=True, related_name="+")
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )

    salt = ENROLMENT_INVITATION_SALT

    class Meta(SignedInvitation.Meta):
        pass

    def __str__(self) -> str:
        return f"Enrolment invitation {self.pk} to {self.organization}"


class CareTeamMember(models.Model):
    """A staff member on one enrolled member's care team; exactly one is primary."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="care_team")
    staff = models.ForeignKey(StaffMembership, on_delete=models.CASCADE, related_name="care_teams")
    is_primary = models.BooleanField(default=False)
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-is_primary", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "staff"], name="care_team_member_once"),
            models.UniqueConstraint(
                fields=["enrolment"], condition=Q(is_primary=True), name="care_team_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} on the care team of enrolment {self.enrolment_id}"


class SessionKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual session")
    GROUP = "group", _("Group session")


class SessionMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video")
    PHONE = "phone", _("Phone")


class Attendance(models.TextChoices):
    ATTENDED = "attended", _("Attended")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class Appointment(models.Model):
    """A session staff scheduled with an enrolled member (a FHIR Appointment).

    Recording attendance as attended logs a therapy-session contact with the organization's tie, which
    counts in the member's engagement like any contact they log.
    """

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="appointments")
    staff = models.ForeignKey(
        StaffMembership, on_delete=models.SET_NULL, null=True, related_name="appointments"
    )
    kind = models.CharField(_("kind of session"), max_length=12, choices=SessionKind.choices)
    mode = models.CharField(_("how"), max_length=12, choices=SessionMode.choices)
    starts_at = models.DateTimeField(_("starts"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("length in minutes"), default=50, validators=[MinValueValidator(5), MaxValueValidator(8 * 60)]
    )
    # Where to go, or how to join (a room, an address, a video link, a phone number).
    place = EncryptedCharField(_("where, or how to join (optional)"), max_length=300, blank=True)
    attendance = models.CharField(max_length=12, choices=Attendance.choices, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)
    attendance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    interaction = models.OneToOneField(
        Interaction,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="appointment",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["enrolment", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.kind} session {self.pk} for enrolment {self.enrolment_id}"


class NoteKind(models.TextChoices):
    PROGRESS = "progress", _("Progress note (the member can read it)")
    PROCESS = "process", _("Private process note (you and the clinical supervisor only)")


def shows_text(text: str) -> bool:
    """Whether the text shows anything: zero-width and other format characters alone look empty."""
    return any(
        not char.isspace() and unicodedata.category(char) not in {"Cf", "Cc", "Zl", "Zp"} for char in text
    )


class ClinicalNote(models.Model):
    """A note staff write about an enrolled member, encrypted at rest and never part of any supporter's
    disclosure. Progress notes are the member's to read and export; process notes stay with their author
    and the organization's clinical supervisors (45 CFR 164.501, 164.524(a)(1)(i); docs/care.md).

    Notes are not edited: a correction is a new note that names the one it corrects.
    """

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    author_name = models.CharField(max_length=80)  # the author's name when written
    kind = models.CharField(_("kind of note"), max_length=10, choices=NoteKind.choices)
    body = EncryptedTextField(_("note"), max_length=20000)
    corrects = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="corrections"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["enrolment", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} note {self.pk} for enrolment {self.enrolment_id}"

    def clean(self):
        super().clean()
        self.body = (self.body or "").strip()
        if not shows_text(self.body):
            raise ValidationError({"body": _("Write the note before saving it.")})
        if self.corrects is not None and (
            self.corrects.enrolment_id != self.enrolment_id or self.corrects.kind != self.kind
        ):
            # A correction stays with the note it corrects: same member, same readers.
            raise ValidationError(_("A correction is of the same kind as the note it corrects."))


class Message(models.Model):
    """One message in the secure thread between an enrolled member and their care team."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sender_name = models.CharField(max_length=80)  # the sender's name when sent
    from_member = models.BooleanField()
    body = EncryptedTextField(_("message"), max_length=4000)
    sent_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["enrolment", "sent_at"])]

    def __str__(self) -> str:
        return f"Message {self.pk} in enrolment {self.enrolment_id}"


class ThreadRead(models.Model):
    """How far one person has read an enrolment's thread (the member, or one staff member)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "user"], name="care_thread_read_once")]

    def __str__(self) -> str:
        return f"{self.user} read enrolment {self.enrolment_id} up to {self.read_at}"


class SafetyFollowUp(models.Model):
    """A care team's acknowledgement of a member's safety signal, with what they did (a FHIR Flag while
    open). A signal with no row here is open in the care-team alert inbox."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="follow_ups")
    signal = models.ForeignKey(SafetySignal, on_delete=models.CASCADE, related_name="+")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    acknowledged_by_name = models.CharField(max_length=80)
    acknowledged_at = models.DateTimeField(default=timezone.now)
    note = EncryptedTextField(_("follow-up note"), max_length=4000, blank=True)

    class Meta:
        ordering = ["-acknowledged_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["enrolment", "signal"], name="care_follow_up_once")]

    def __str__(self) -> str:
        return f"Follow-up of signal {self.signal_id} by enrolment {self.enrolment_id}"


class CaseloadFacts(models.Model):
    """What the caseload last read of one enrolled member through their consent (circles/care/caseload.py):
    their check-in days, mood and craving, days of use, newest scores and latest contact in each pillar, as
    circles/sharing/access.py `collect_caseload_signals` returns them, so that a caseload of hundreds ranks
    from one small row each instead of reading a year of everyone's history on every request. A copy, never
    the source: it is read again when it is older than CASELOAD_FACTS_MAX_AGE, when the consent's scopes
    differ from `scopes`, and at once when the member has checked in, completed a questionnaire or changed a
    tie since `computed_at` (sharing.access.caseload_changes_since). Safety signals, alerts, sessions and
    messages are never kept here: the caseload reads them on every request. Who is shown a member's reasons is
    audited when they are shown.
    """

    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.CASCADE, primary_key=True, related_name="caseload_facts"
    )
    scopes = models.CharField(max_length=400)  # the consented scopes read, as sharing.logic.scopes_ref
    facts = models.JSONField()
    computed_at = models.DateTimeField(db_index=True)
    # The kept components' score and reason codes (care.logic.KEPT_COMPONENTS) on the member's day
    # `as_of`: what the caseload sorts and filters by without reading `facts`, while that is today.
    as_of = models.DateField()
    score = models.PositiveIntegerField()
    codes = models.CharField(max_length=400, blank=True)  # space-separated

    def __str__(self) -> str:
        return f"Caseload facts of enrolment {self.enrolment_id} at {self.computed_at}"
