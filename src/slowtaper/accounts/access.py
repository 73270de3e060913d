"""Who may see and change what: the one place that decides.

Actions on a member's record, and who may take them:

    view_health     the member; their linked clinician;         check-ins, dose log, scores, timeline, intake
                    their mentor if the member shares check-ins
    view_plan       the member; linked clinician, pharmacist;   approved plans (drafts: clinician, and the member
                    their mentor if the member shares the plan  for drafts they proposed)
    write_checkin   the member                                   check-ins, dose log, hold requests, intake
    propose_plan    the member; linked clinician                 a draft plan revision
    decide          linked clinician                             approve plans and first cuts, decide holds, tasks
    dispense        linked pharmacist                            dispensing sheets, mark fills dispensed

A clinician or pharmacist reads with these rights from the moment they are linked, but approves and dispenses
only once staff have verified their licence or registration (`require_verified`, called by every transition
that decides: plan approval, the first cut, thresholds, marking a task such as a red flag dealt with, marking a
fill dispensed).
    export          the member; linked clinician                 PDF, CSV, ICS, FHIR of the member's record
    care_team       staff                                        choose or change the member's mentor (staff
                                                                 see who the mentor is, not the record)

A mentor sees nothing of a member's record until the member chooses to share (MENTOR_CONSENT): their plan
(view_plan), their check-ins and chart (view_health), or both; the member can take it back at any time.
Staff see who is blocked from self-service, not check-ins, except by break-glass: a stated reason opens one
member's record (view_health, view_plan) for BREAK_GLASS_MINUTES, recorded and told.

Views never test roles themselves: they call `member_for(request, member_id, action)`, which returns the member
or raises Http404, so another member's record looks exactly like one that does not exist, and records the
access in the audit trail when it is not the member's own; pages for one role (the clinician's dashboard, the
pharmacy list, the member's own pages) call `require_role`, which 403s.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .models import BreakGlass, Role, User

BREAK_GLASS_MINUTES = 60
BREAK_GLASS = ("view_health", "view_plan")

ACTIONS = ("view_health", "view_plan", "write_checkin", "propose_plan", "decide", "dispense", "export", "care_team")
# Actions staff take on any active member, without break-glass (nothing of the record is shown).
STAFF_ACTIONS = {"care_team"}

# Which carer kinds may take each action for a member they are linked to; the member may take those in SELF.
LINKED: dict[str, tuple[str, ...]] = {
    "view_health": (Role.CLINICIAN,),
    "view_plan": (Role.CLINICIAN, Role.PHARMACIST),
    "write_checkin": (),
    "propose_plan": (Role.CLINICIAN,),
    "decide": (Role.CLINICIAN,),
    "dispense": (Role.PHARMACIST,),
    "export": (Role.CLINICIAN,),
    "care_team": (),
}
SELF = {"view_health", "view_plan", "write_checkin", "propose_plan", "export"}
# What a linked mentor may do, each only while the member's care link says they share it.
MENTOR_CONSENT = {"view_plan": "share_plan", "view_health": "share_checkins"}


def require_verified(user: User) -> None:
    """Raise ValidationError when `user` is a clinician or pharmacist staff have not verified: they read what a
    member shares, but approve no plan, first cut, hold or threshold, and dispense nothing, until then."""
    if user.needs_verification:
        raise ValidationError(
            _(
                "Your licence or registration has not been verified by the program yet. You can read what the "
                "member shares, but approvals and dispensing wait until our staff have checked it."
            )
        )


def can(user: User, action: str, member: User) -> bool:
    """May `user` take `action` on `member`'s record?"""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if not user.is_authenticated or not user.is_active or member.role != Role.MEMBER:
        return False
    if user.pk == member.pk:
        return action in SELF
    if user.role == Role.STAFF:
        if action in STAFF_ACTIONS:
            return True
        return action in BREAK_GLASS and glass_for(user, member) is not None
    if user.role == Role.MENTOR:
        consent = MENTOR_CONSENT.get(action)
        return consent is not None and member.carers.filter(carer=user, kind=Role.MENTOR, **{consent: True}).exists()
    kinds = LINKED[action]
    return user.role in kinds and member.carers.filter(carer=user, kind=user.role).exists()


def glass_for(user: User, member: User) -> BreakGlass | None:
    """The staff member's open break-glass grant on this member's record, if any."""
    return BreakGlass.objects.filter(actor=user, member=member, until__gt=timezone.now()).order_by("-at").first()


def break_glass(user: User, member: User, reason: str) -> BreakGlass:
    """Open `member`'s record to staff `user` for a short time; the reason goes into the audit trail."""
    if user.role != Role.STAFF or member.role != Role.MEMBER:
        raise PermissionDenied
    now = timezone.now()
    grant = BreakGlass.objects.create(
        actor=user, member=member, reason=reason, at=now, until=now + timedelta(minutes=BREAK_GLASS_MINUTES)
    )
    audit.record(user, [member], "break_glass", "POST break_glass", why=reason)
    return grant


def members_for(user: User, action: str) -> QuerySet[User]:
    """The members on whose record `user` may take `action` (agrees with `can`; a test checks both)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    members = User.objects.filter(role=Role.MEMBER, is_active=True)
    if not user.is_authenticated or not user.is_active:
        return members.none()
    if user.role == Role.MEMBER:
        return members.filter(pk=user.pk) if action in SELF else members.none()
    if user.role == Role.STAFF:
        if action in STAFF_ACTIONS:
            return members
        if action not in BREAK_GLASS:
            return members.none()
        return members.filter(break_glass__actor=user, break_glass__until__gt=timezone.now()).distinct()
    if user.role == Role.MENTOR:
        consent = MENTOR_CONSENT.get(action)
        if consent is None:
            return members.none()
        return members.filter(carers__carer=user, carers__kind=Role.MENTOR, **{f"carers__{consent}": True})
    if user.role not in LINKED[action]:
        return members.none()
    return members.filter(carers__carer=user, carers__kind=user.role)


def member_for(request: HttpRequest, member_id: int | str, action: str) -> User:
    """The member `member_id` if the logged-in user may take `action` on their record; otherwise 404.
    Anyone but the member is recorded in the audit trail (with the break-glass reason for staff)."""
    user: User = request.user  # type: ignore[assignment]
    try:
        pk = int(member_id)
    except (TypeError, ValueError):
        raise Http404 from None
    member = User.objects.filter(pk=pk, role=Role.MEMBER, is_active=True).first()
    if member is None or not can(user, action, member):
        raise Http404
    if user.pk != member.pk:
        grant = glass_for(user, member) if user.role == Role.STAFF else None
        audit.record(user, [member], action, audit.what(request), why=grant.reason if grant else "")
    return member


def require_role(request: HttpRequest, *roles: str) -> User:
    """The logged-in user if their role is one of `roles`; otherwise 403 (role pages, not member records)."""
    user = request.user
    if not isinstance(user, User) or user.role not in roles:
        raise PermissionDenied
    return user
