"""People, their roles, who cares for whom, and invitations."""

from __future__ import annotations

import secrets
from datetime import time, timedelta
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from slowtaper.taper import REGIONS

INVITATION_DAYS = 14


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("Unknown time zone “%(tz)s”: use a name like Europe/London."), params={"tz": value})


def languages() -> list[tuple[str, str]]:
    """The languages offered (settings.LANGUAGES), read when asked, so offering one more needs no migration."""
    return list(settings.LANGUAGES)


def languages_in_their_own_words() -> list[tuple[str, str]]:
    """The languages offered, each named in itself ("Español"), for a reader who does not read the current one."""
    from django.utils.translation import get_language_info

    return [(code, get_language_info(code)["name_local"].capitalize()) for code, _name in settings.LANGUAGES]


# How often a dose reminder is repeated while the dose is not logged (minutes; 0 is never), and how many times.
REPEAT_EVERY_CHOICES = [
    (0, _("never")),
    (10, _("every 10 minutes")),
    (15, _("every 15 minutes")),
    (30, _("every 30 minutes")),
    (60, _("every hour")),
]
MAX_REPEATS = 6
REPEAT_TIMES_CHOICES = [
    (1, _("once")),
    (2, _("twice")),
    (3, _("3 times")),
    (4, _("4 times")),
    (5, _("5 times")),
    (6, _("6 times")),
]


class Role(models.TextChoices):
    MEMBER = "member", _("member")
    CLINICIAN = "clinician", _("clinician")
    PHARMACIST = "pharmacist", _("pharmacist")
    MENTOR = "mentor", _("mentor")
    STAFF = "staff", _("staff")


class User(AbstractUser):
    """Everyone who logs in. `role` decides what they can do; `time_zone` and `locale` how things are shown;
    `region` picks the member's products and emergency numbers."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    locale = models.CharField(max_length=16, choices=languages, default="en")
    region = models.CharField(max_length=4, choices=[(r, r) for r in REGIONS], default="US")
    # Email at dose times; push reminders go to every device the member turned them on for (checkins.webpush), and
    # an email goes too when this is set, or when no device took the push.
    reminders = models.BooleanField(
        _("Also email me at dose times"),
        default=True,
        help_text=_(
            "Reminders go to each device where you turn them on below; an email goes when no device can be reached."
        ),
    )
    # Repeat a dose reminder until the dose is logged (`checkins.reminders`): every `repeat_every` minutes (0:
    # never), at most `repeat_times` times; none inside the quiet window (local times, may cross midnight; both
    # blank: no window), except the reminder at the dose time itself.
    repeat_every = models.PositiveSmallIntegerField(
        _("repeat a reminder until I log the dose"), choices=REPEAT_EVERY_CHOICES, default=0
    )
    repeat_times = models.PositiveSmallIntegerField(
        _("at most"),
        choices=REPEAT_TIMES_CHOICES,
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REPEATS)],
    )
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet until"), null=True, blank=True)
    # A clinician's or pharmacist's professional registration, checked by staff: until `verified_at` is set they
    # read what a member shares but take no clinical decision and dispense nothing (see access.require_verified).
    licence = models.CharField(_("licence or registration number"), max_length=64, blank=True)
    licence_jurisdiction = models.CharField(_("where it was issued"), max_length=64, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The ISO country the person told us (blank: never asked); it decides `region`. The defaults above (UTC, US)
    # are placeholders only: until the person has chosen, these flags stay False and carers are warned.
    country = models.CharField(max_length=2, blank=True)
    time_zone_confirmed = models.BooleanField(default=False)
    region_confirmed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def quiet_at(self, at: time) -> bool:
        """Whether the local time `at` falls in the member's quiet window (from inclusive, until exclusive; a
        window whose `from` is after its `until` crosses midnight). No window: never quiet."""
        start, end = self.quiet_from, self.quiet_until
        if start is None or end is None or start == end:
            return False
        return start <= at < end if start < end else at >= start or at < end

    @property
    def needs_verification(self) -> bool:
        """A clinician or pharmacist whose registration staff have not checked yet."""
        return self.role in (Role.CLINICIAN, Role.PHARMACIST) and self.verified_at is None

    def verify(self, by: User, licence: str, jurisdiction: str) -> None:
        """Staff record that they checked this carer's licence or registration."""
        if by.role != Role.STAFF:
            raise ValidationError(_("Only the program's staff verify clinicians and pharmacists."))
        if self.role not in (Role.CLINICIAN, Role.PHARMACIST):
            raise ValidationError(_("Only clinicians and pharmacists are verified."))
        if not licence.strip() or not jurisdiction.strip():
            raise ValidationError(_("Give the licence or registration number and where it was issued."))
        self.licence, self.licence_jurisdiction = licence.strip(), jurisdiction.strip()
        self.verified_at, self.verified_by = timezone.now(), by
        self.save(update_fields=["licence", "licence_jurisdiction", "verified_at", "verified_by"])

    def set_place(self, country: str, zone: str) -> None:
        """Record the country (and so the region) and time zone the person chose, as confirmed. The caller
        has checked that the program serves `country` and that `zone` is one of its zones; not saved here."""
        from .places import COUNTRY_REGION

        self.country, self.region, self.time_zone = country, COUNTRY_REGION[country], zone
        self.time_zone_confirmed = self.region_confirmed = True

    @property
    def region_name(self) -> str:
        """The region in words ("the United Kingdom")."""
        from .places import REGION_NAMES

        return str(REGION_NAMES[self.region])

    @property
    def place_unconfirmed(self) -> list[str]:
        """What carers should check with the member: ["time zone", "country"], either, or nothing."""
        missing = []
        if not self.time_zone_confirmed:
            missing.append(str(_("time zone")))
        if not self.region_confirmed:
            missing.append(str(_("country")))
        return missing

    @property
    def place_unconfirmed_what(self) -> str:
        """What carers should check with the member, as words ("time zone and country"); "" when nothing.
        One phrase per case rather than a list joined with " and ", so each language words it whole."""
        tz, country = not self.time_zone_confirmed, not self.region_confirmed
        if tz and country:
            return str(_("time zone and country"))
        return str(_("time zone")) if tz else str(_("country")) if country else ""

    @property
    def place_unconfirmed_tag(self) -> str:
        """The short tag beside the member's name on carers' pages; "" when both are confirmed."""
        tz, country = not self.time_zone_confirmed, not self.region_confirmed
        if tz and country:
            return str(_("time zone and country not confirmed"))
        if tz:
            return str(_("time zone not confirmed"))
        return str(_("country not confirmed")) if country else ""

    def carer(self, kind: str) -> User | None:
        """This member's linked clinician, pharmacist or mentor, if any."""
        link = self.carers.filter(kind=kind).select_related("carer").first()
        return link.carer if link else None


class CareLink(models.Model):
    """A clinician, pharmacist or mentor linked to a member. One of each kind per member."""

    KINDS = (Role.CLINICIAN, Role.PHARMACIST, Role.MENTOR)

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="carers")
    carer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="cared_for")
    kind = models.CharField(max_length=16, choices=[(k.value, k.label) for k in KINDS])
    created = models.DateTimeField(default=timezone.now)
    # What a mentor may see, by the member's choice (nothing until they choose; clinicians and pharmacists see
    # what their role needs regardless).
    share_plan = models.BooleanField(_("my mentor may see my plan"), default=False)
    share_checkins = models.BooleanField(_("my mentor may see my check-ins and symptom chart"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "kind"], name="one_carer_of_each_kind")]

    def __str__(self) -> str:
        return f"{self.carer} is {self.member}'s {self.kind}"


def assign_mentor(member: User, mentor: User) -> User | None:
    """Make `mentor` the member's mentor (replacing any earlier one, whose sharing choices do not carry over)
    and close the member's open request for one. Returns the previous mentor, if any."""
    if member.role != Role.MEMBER or mentor.role != Role.MENTOR or not mentor.is_active:
        raise ValidationError(_("Choose an active mentor for a member."))
    with transaction.atomic():
        link = CareLink.objects.select_for_update().filter(member=member, kind=Role.MENTOR).first()
        previous = link.carer if link else None
        if link is not None and link.carer_id != mentor.pk:
            link.delete()
        if previous is None or previous.pk != mentor.pk:
            CareLink.objects.create(member=member, carer=mentor, kind=Role.MENTOR)
        MentorRequest.objects.filter(member=member, done_at__isnull=True).update(done_at=timezone.now())
    return previous


class MentorRequest(models.Model):
    """A member asking for a peer mentor; open until staff assign one. One open request per member."""

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mentor_requests")
    created = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(done_at__isnull=True), name="one_open_mentor_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} asks for a mentor"


def _token() -> str:
    return secrets.token_urlsafe(24)


class Invitation(models.Model):
    """An invitation to join with a role. Staff invite anyone; a member invites their own clinician or
    pharmacist (`for_member` set), which links them once accepted."""

    token = models.CharField(max_length=64, unique=True, default=_token)
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    invited_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations_sent")
    for_member = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Where the invited person lives, as staff were told; the join page starts from it (blank: not given).
    country = models.CharField(max_length=2, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"invitation for {self.email} as {self.role}"

    @property
    def expired(self) -> bool:
        return timezone.now() > self.created + timedelta(days=INVITATION_DAYS)

    @property
    def usable(self) -> bool:
        return self.accepted_at is None and not self.expired

    @transaction.atomic
    def accept(self, user: User) -> None:
        """Mark accepted by `user` and, for a member's invitation, link them (replacing an earlier carer of
        the same kind)."""
        if not self.usable:
            raise ValidationError(_("This invitation has been used or has expired. Ask for a new one."))
        if user.role != self.role:
            raise ValidationError(
                _("This invitation is for a %(role)s account; you are logged in as a %(mine)s."),
                params={"role": self.get_role_display(), "mine": user.get_role_display()},
            )
        self.accepted_at = timezone.now()
        self.accepted_by = user
        self.save(update_fields=["accepted_at", "accepted_by"])
        if self.for_member is not None:
            CareLink.objects.update_or_create(member=self.for_member, kind=self.role, defaults={"carer": user})

    def replaces(self) -> User | None:
        """The carer this member's invitation would replace when accepted (None when none, or not the member's)."""
        if self.for_member is None:
            return None
        link = CareLink.objects.filter(member=self.for_member, kind=self.role).select_related("carer").first()
        return link.carer if link is not None else None


EMAIL_CHANGE_HOURS = 24


class EmailChange(models.Model):
    """A change of address waiting for its owner to follow the link sent to the new address. Until then the
    account keeps its old address: an address nobody has proved they hold never names an account (data rights,
    erasure, invitations and password resets all go by the account's address)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_changes")
    new_email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, default=_token)
    created = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    @property
    def usable(self) -> bool:
        return self.confirmed_at is None and timezone.now() <= self.created + timedelta(hours=EMAIL_CHANGE_HOURS)

    @transaction.atomic
    def confirm(self) -> None:
        """Give the account its new address; refused when used, expired, or the address now names another
        account (compared case-insensitively)."""
        me = type(self).objects.select_for_update().get(pk=self.pk)
        if not me.usable:
            raise ValidationError(_("This link has been used or has expired. Change your email in Settings again."))
        if User.objects.filter(email__iexact=self.new_email).exclude(pk=self.user_id).exists():
            raise ValidationError(_("That address belongs to another account, so it cannot be yours here."))
        self.user.email = self.new_email
        self.user.save(update_fields=["email"])
        self.confirmed_at = timezone.now()
        self.save(update_fields=["confirmed_at"])


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("the audit trail is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit trail is append-only")

    def redact_why(self, member_id: int) -> int:
        """Blank the free-text reasons on a member's events when their account is erased (a break-glass
        reason may describe their health). The chain covers each reason's digest, not its text, so it still
        verifies; nothing else about an event can change."""
        return models.QuerySet.update(self.filter(member_id=member_id).exclude(why=""), why="")


class AuditEvent(models.Model):
    """One access to a member's record by someone else: who, what, when and, for break-glass access, why.

    Append-only and hash-chained: each row's `hash` covers its own fields and the previous row's hash, so a
    changed, removed or inserted row breaks the chain where it happened (`manage.py audit verify`); a free-text
    reason is chained by its digest, so erasing a member can blank it without breaking the chain. People are
    kept as plain ids, not foreign keys, so erasing an account never rewrites the trail; rows name pages and
    actions, never health content."""

    at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField()
    actor = models.CharField(max_length=150)  # the username at the time
    actor_role = models.CharField(max_length=16)
    member_id = models.BigIntegerField()  # indexed by the (member_id, seq) constraint below
    action = models.CharField(max_length=32)
    what = models.CharField(max_length=200)
    why = models.TextField(blank=True)
    why_digest = models.CharField(max_length=64, blank=True)  # sha256 of `why`, kept when `why` is redacted
    prev_hash = models.CharField(max_length=64)
    # Not indexed: an index on random hashes made every append write to pages all over it (slower as the trail
    # grew); the chain, not uniqueness, is what shows a copied or forged row.
    hash = models.CharField(max_length=64)
    # The id of the audit key whose HMAC `hash` is ("" for events written before the chain was keyed: a plain
    # sha256, accepted only before the first keyed event).
    key_id = models.CharField(max_length=16, blank=True)
    # The event's place in its member's chain (1, 2, ...); null for the events of the single shared chain that
    # every event joined before the chains were per member (`audit.py` explains both).
    seq = models.BigIntegerField(null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["member_id", "seq"], name="audit_one_event_per_place")]

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("the audit trail is append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit trail is append-only")


class AuditHead(models.Model):
    """A chain's last hash and length: one row per member's chain, locked while events are appended to it so its
    appends are strictly ordered (and one row with no member: the head of the shared chain of older events)."""

    member_id = models.BigIntegerField(null=True, blank=True, unique=True)
    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)


class BreakGlass(models.Model):
    """Emergency access by staff to one member's record for a short time, with the reason, recorded in the
    audit trail and told to the member and their clinician."""

    actor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="break_glass_grants")
    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="break_glass")
    reason = models.TextField()
    at = models.DateTimeField(default=timezone.now)
    until = models.DateTimeField()


class SessionRecord(models.Model):
    """One logged-in session, so a person can see where they are logged in and end any of it, and so idle and
    absolute lifetimes are enforced on the server. A session without its record is over."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="session_records")
    session_key = models.CharField(max_length=40, unique=True)
    created = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-last_seen"]


class PageStamp(models.Model):
    """A random number that changes whenever anything a member's own pages show changes (see
    `accounts/pagecache.py`): a cached page is kept under the stamp it was made from and is never served once the
    stamp has moved on. Random rather than counted, so a write never needs to read it first and two writers
    never collide."""

    member = models.OneToOneField(User, primary_key=True, on_delete=models.CASCADE, related_name="+")
    stamp = models.BigIntegerField()
