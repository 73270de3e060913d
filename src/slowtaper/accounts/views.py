"""Invitations, joining, linking carers, settings, and the staff page."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from slowtaper.programs.alerts import notify
from slowtaper.programs.models import enrol

from . import audit
from .access import member_for, require_role
from .forms import CareInviteForm, InviteForm, JoinForm, MentorAssignForm, MentorSharingForm, SettingsForm
from .models import (
    EMAIL_CHANGE_HOURS,
    AuditEvent,
    CareLink,
    EmailChange,
    Invitation,
    MentorRequest,
    Role,
    SessionRecord,
    User,
    assign_mentor,
)
from .security import confirmed_devices, end_sessions, mfa_required

log = logging.getLogger(__name__)


def _invite_link(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("join", args=[invitation.token])


def _send_invitation(invitation: Invitation) -> None:
    stranger = User(email=invitation.email, is_active=True)
    notify(
        [stranger],
        gettext_lazy("You are invited to slowtaper"),
        gettext_lazy("%(who)s invited you to join slowtaper as a %(role)s. Accept within 14 days: %(link)s"),
        {"who": invitation.invited_by, "role": Role(invitation.role).label, "link": _invite_link(invitation)},
    )


@login_required
def staff(request: HttpRequest) -> HttpResponse:
    user = require_role(request, Role.STAFF)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        invitation = Invitation.objects.create(
            email=d["email"], role=d["role"], invited_by=user, country=d["country"], time_zone=d["time_zone"]
        )
        _send_invitation(invitation)
        messages.success(request, _("Invitation sent. The link: %(link)s") % {"link": _invite_link(invitation)})
        return redirect("staff")
    blocked = (
        User.objects.filter(role=Role.MEMBER, tasks__kind="screen", tasks__done_at__isnull=True)
        .distinct()
        .order_by("pk")
    )
    audit.record(user, blocked, "view_screen", audit.what(request))
    # Alerts about members with no clinician come to staff (programs/alerts.recipients): listed here until done.
    from slowtaper.programs.models import Task

    alerts = (
        Task.objects.filter(done_at__isnull=True, member__is_active=True)
        .exclude(member__carers__kind=Role.CLINICIAN)
        .select_related("member")
        .order_by("created")
    )
    audit.record(user, sorted({t.member_id for t in alerts}), "view_alert", audit.what(request))
    invitations = Invitation.objects.order_by("-created")[:50]
    # Clinicians and pharmacists whose registration nobody has checked: those a member invited come first.
    to_verify = list(
        User.objects.filter(
            role__in=(Role.CLINICIAN, Role.PHARMACIST), verified_at__isnull=True, is_active=True
        ).order_by("date_joined")
    )
    accepted = Invitation.objects.filter(accepted_by__in=to_verify).select_related("invited_by").order_by("pk")
    invited = {}
    for invitation in accepted:
        invited.setdefault(invitation.accepted_by_id, invitation)
    for carer in to_verify:
        carer.invitation = invited.get(carer.pk)  # type: ignore[attr-defined]
    to_verify.sort(key=lambda c: not (c.invitation and c.invitation.for_member_id))  # type: ignore[attr-defined]
    q = request.GET.get("q", "").strip()[:150]
    found = (
        User.objects.filter(role=Role.MEMBER, is_active=True)
        .filter(Q(username__iexact=q) | Q(email__iexact=q))
        .order_by("pk")[:20]
        if q
        else []
    )
    asking = MentorRequest.objects.filter(done_at__isnull=True, member__is_active=True).select_related("member")
    # People who wrote through the contact form and have had no answer yet (their words stay on the requests page).
    from slowtaper.community.models import ContactRequest

    waiting = ContactRequest.objects.filter(status=ContactRequest.Status.NEW)
    contact = {"waiting": waiting.count(), "crisis": waiting.exclude(crisis_kinds=[]).count()}
    return render(
        request,
        "accounts/staff.html",
        {
            "form": form,
            "invitations": invitations,
            "blocked": blocked,
            "alerts": alerts,
            "to_verify": to_verify,
            "q": q,
            "found": found,
            "asking": asking,
            "contact": contact,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def verify_carer(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff record that they checked a clinician's or pharmacist's licence or registration."""
    staff = require_role(request, Role.STAFF)
    carer = get_object_or_404(User, pk=pk, role__in=(Role.CLINICIAN, Role.PHARMACIST))
    try:
        carer.verify(staff, request.POST.get("licence", "")[:64], request.POST.get("jurisdiction", "")[:64])
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        done = _("they can now approve plans") if carer.role == Role.CLINICIAN else _("they can now dispense")
        messages.success(request, _("%(c)s is verified: %(done)s.") % {"c": carer, "done": done})
    return redirect("staff")


@login_required
def staff_mentor(request: HttpRequest, member_id: int) -> HttpResponse:
    """Staff choose or change a member's mentor; the previous mentor, the new one and the member are told, and
    the change is in the member's audit trail."""
    staff_user = require_role(request, Role.STAFF)
    member = member_for(request, member_id, "care_team")
    current = member.carer(Role.MENTOR)
    form = MentorAssignForm(request.POST if request.method == "POST" else None, initial={"mentor": current})
    if request.method == "POST" and form.is_valid():
        mentor: User = form.cleaned_data["mentor"]
        if current is not None and current.pk == mentor.pk:
            messages.info(
                request, _("%(m)s is already %(who)s's mentor; nothing changed.") % {"m": mentor, "who": member}
            )
            return redirect("staff_mentor", member.pk)
        with transaction.atomic():
            previous = assign_mentor(member, mentor)
            _tell_mentor_change(member, mentor, previous, staff_user)
        messages.success(request, _("%(m)s is now %(who)s's mentor.") % {"m": mentor, "who": member})
        return redirect("staff")
    asked = MentorRequest.objects.filter(member=member, done_at__isnull=True).first()
    return render(
        request,
        "accounts/staff_mentor.html",
        {"member": member, "current": current, "form": form, "asked": asked},
        status=400 if form.errors else 200,
    )


def _tell_mentor_change(member: User, mentor: User, previous: User | None, by: User) -> None:
    care = settings.SITE_URL + reverse("care")
    if previous is not None:
        notify(
            [previous],
            gettext_lazy("slowtaper: you are no longer %(member)s's mentor"),
            gettext_lazy(
                "%(by)s (slowtaper staff) has made %(mentor)s %(member)s's mentor. Thank you for your support."
            ),
            {"by": by, "mentor": mentor, "member": member},
        )
    notify(
        [mentor],
        gettext_lazy("slowtaper: you are now %(member)s's mentor"),
        gettext_lazy(
            "%(by)s (slowtaper staff) has made you %(member)s's peer mentor. You see nothing of their plan or "
            "check-ins unless they choose to share it: %(link)s"
        ),
        {"by": by, "member": member, "link": settings.SITE_URL + reverse("mentor")},
    )
    notify(
        [member],
        gettext_lazy("slowtaper: your mentor"),
        (
            gettext_lazy(
                "%(mentor)s is now your peer mentor, in place of %(previous)s. Choose what they may see: %(link)s"
            )
            if previous is not None
            else gettext_lazy("%(mentor)s is now your peer mentor. Choose what they may see: %(link)s")
        ),
        {"mentor": mentor, "previous": previous, "link": care},
    )


@login_required
@require_POST
def ask_for_mentor(request: HttpRequest) -> HttpResponse:
    """A member asks staff for a peer mentor. Asking again while a request is open changes nothing."""
    member = require_role(request, Role.MEMBER)
    if member.carer(Role.MENTOR) is not None:
        messages.info(request, _("You already have a mentor."))
        return redirect("care")
    try:
        with transaction.atomic():
            MentorRequest.objects.create(member=member)
            notify(
                User.objects.filter(role=Role.STAFF, is_active=True),
                gettext_lazy("slowtaper: a member asks for a mentor"),
                gettext_lazy("%(member)s asks for a peer mentor. Choose one: %(link)s"),
                {"member": member, "link": settings.SITE_URL + reverse("staff_mentor", args=[member.pk])},
            )
    except IntegrityError:
        pass  # a request is already open (a double tap): one request is enough
    messages.success(request, _("We have asked our staff to choose a mentor for you. We will email you."))
    return redirect("care")


@login_required
def care(request: HttpRequest) -> HttpResponse:
    """A member invites their own clinician or pharmacist; accepting links them."""
    member = require_role(request, Role.MEMBER)
    form = CareInviteForm(request.POST if request.method == "POST" else None)
    since = timezone.now() - timedelta(days=1)
    if request.method == "POST" and Invitation.objects.filter(invited_by=member, created__gte=since).count() >= (
        settings.CARE_INVITATIONS_PER_DAY
    ):
        form.add_error(None, _("You have sent several invitations today: you can send more tomorrow."))
    if request.method == "POST" and form.is_valid():
        invitation = Invitation.objects.create(
            email=form.cleaned_data["email"], role=form.cleaned_data["role"], invited_by=member, for_member=member
        )
        _send_invitation(invitation)
        messages.success(request, _("Invitation sent to %(e)s.") % {"e": invitation.email})
        return redirect("care")
    links = member.carers.select_related("carer")
    pending = Invitation.objects.filter(for_member=member, accepted_at__isnull=True)
    mentor = next((link for link in links if link.kind == Role.MENTOR), None)
    sharing = MentorSharingForm(instance=mentor) if mentor else None
    asked = None if mentor else member.mentor_requests.filter(done_at__isnull=True).first()
    return render(
        request,
        "accounts/care.html",
        {
            "form": form,
            "links": links,
            "pending": pending,
            "sharing": sharing,
            "has_mentor": bool(mentor),
            "asked": asked,
        },
        status=400 if form.errors else 200,
    )


def _accept(invitation: Invitation, user: User) -> None:
    """Accept `invitation` for `user`. When it replaces a member's clinician or pharmacist, the one replaced and
    staff are told, and the change is in the member's audit trail: a carer never disappears silently."""
    previous = invitation.replaces()
    invitation.accept(user)
    if invitation.for_member is None or previous is None or previous.pk == user.pk:
        return
    member, kind = invitation.for_member, Role(invitation.role).label
    audit.record(user, [member], "replace_carer", f"{invitation.role}: {previous} replaced by {user}")
    staff = list(User.objects.filter(role=Role.STAFF, is_active=True))
    notify(
        [previous],
        gettext_lazy("slowtaper: a member changed their care team"),
        gettext_lazy("%(member)s has chosen another %(kind)s, so you no longer see their record in slowtaper."),
        {"member": member, "kind": kind},
    )
    notify(
        staff,
        gettext_lazy("slowtaper: a member changed their care team"),
        gettext_lazy(
            "%(member)s replaced their %(kind)s %(old)s with %(new)s, whom they invited. Verify %(new)s before "
            "they take any clinical decision: %(link)s"
        ),
        {"member": member, "kind": kind, "old": previous, "new": user, "link": settings.SITE_URL + reverse("staff")},
    )


def join(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: a logged-in person of the right role is linked; a visitor creates an account."""
    invitation = get_object_or_404(Invitation, token=token)
    if not invitation.usable:
        return render(request, "accounts/join.html", {"invitation": invitation, "unusable": True}, status=410)
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                _accept(invitation, request.user)  # type: ignore[arg-type]
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
                return redirect("join", token)
            messages.success(request, _("Invitation accepted."))
            return redirect("home")
        return render(request, "accounts/join.html", {"invitation": invitation})
    form = JoinForm(
        request.POST if request.method == "POST" else None,
        # The language they are reading this page in (the switch's choice), so they need not choose it again.
        initial={"country": invitation.country, "time_zone": invitation.time_zone, "locale": get_language()},
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save(commit=False)
            user.role = invitation.role
            user.email = invitation.email
            user.save()
            if user.role == Role.MEMBER:
                enrol(user)  # the program row exists from joining: pages read it and never create it
            _accept(invitation, user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(
        request, "accounts/join.html", {"invitation": invitation, "form": form}, status=400 if form.errors else 200
    )


def _hold_email_change(request: HttpRequest, user: User, old_email: str) -> None:
    """A new address in Settings is not the account's until its owner follows a link sent there; the old
    address is told. `user` keeps `old_email` meanwhile."""
    new_email = user.email
    user.email = old_email
    if not new_email or new_email.lower() == (old_email or "").lower():
        user.email = new_email or old_email
        return
    change = EmailChange.objects.create(user=user, new_email=new_email)
    link = settings.SITE_URL + reverse("confirm_email", args=[change.token])
    notify(
        [User(email=new_email, is_active=True, locale=user.locale)],
        gettext_lazy("slowtaper: confirm your new email address"),
        gettext_lazy("Follow this link within %(h)s hours to use this address for your slowtaper account: %(link)s"),
        {"h": EMAIL_CHANGE_HOURS, "link": link},
    )
    if old_email:
        notify(
            [User(email=old_email, is_active=True, locale=user.locale)],
            gettext_lazy("slowtaper: a change of email address was asked for"),
            gettext_lazy(
                "Someone logged in to your slowtaper account asked to use another email address. Nothing changes "
                "unless the link sent there is followed. If this was not you, change your password now: %(link)s"
            ),
            {"link": settings.SITE_URL + reverse("password_reset")},
        )
    messages.info(
        request,
        _("We sent a link to %(e)s. Your email address changes when you follow it; until then it stays %(o)s.")
        % {"e": new_email, "o": old_email},
    )


def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent to a new address shows it with one button; pressing it (a POST) makes it the account's
    address. Opening the link changes nothing: mail scanners and link previews open links too."""
    change = get_object_or_404(EmailChange, token=token)
    if request.method != "POST":
        return render(request, "accounts/confirm_email.html", {"change": change})
    try:
        change.confirm()
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Your email address is now %(e)s.") % {"e": change.new_email})
    return redirect("settings" if request.user.is_authenticated else "login")


def _replan_repeats_after_commit(member: User) -> None:
    """The repeats of reminders already sent follow the settings just saved (after the slots are rewritten, which
    `rewrite_after_commit` does first: the next dose bounds the repeats). A failure is logged, not raised: the
    settings are saved, and each repeat checks the settings again when it is due."""
    from slowtaper.checkins.reminders import replan_repeats

    def replan() -> None:
        try:
            replan_repeats(member)
        except Exception:
            log.exception("the repeats of member %s could not be replanned", member.pk)

    transaction.on_commit(replan)


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    old_email = request.user.email  # type: ignore[union-attr]
    form = SettingsForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        _hold_email_change(request, user, old_email)
        with transaction.atomic():
            user.save()
            if user.role == Role.MEMBER:
                from slowtaper.checkins.reminders import rewrite_after_commit  # the check-ins app builds on this one

                rewrite_after_commit(user)  # the time zone or the reminders setting may have changed
                _replan_repeats_after_commit(user)
        messages.success(request, _("Settings saved."))
        return redirect("settings")
    user: User = request.user  # type: ignore[assignment]
    context = {
        "form": form,
        "sessions": user.session_records.all(),
        "this_session": request.session.session_key,
        "mfa_on": bool(confirmed_devices(user)),
        "mfa_required": mfa_required(user),
    }
    if user.role == Role.MEMBER:
        from slowtaper.checkins import webpush  # the check-ins app builds on this one

        context["push"] = {
            "configured": webpush.configured(),
            "public_key": settings.VAPID_PUBLIC_KEY if webpush.configured() else "",
            "devices": list(user.push_subscriptions.all()),
        }
    return render(request, "accounts/settings.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def end_session(request: HttpRequest, pk: int) -> HttpResponse:
    """End one of your own sessions (another phone, a shared computer); someone else's is a 404."""
    record = get_object_or_404(SessionRecord, pk=pk, user=request.user)
    if record.session_key == request.session.session_key:
        logout(request)
        return redirect("login")
    end_sessions(SessionRecord.objects.filter(pk=record.pk))
    messages.success(request, _("That session has ended."))
    return redirect("settings")


@login_required
@require_POST
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    n = end_sessions(SessionRecord.objects.filter(user=request.user).exclude(session_key=request.session.session_key))
    messages.success(request, _("Logged out everywhere else (%(n)s sessions).") % {"n": n})
    return redirect("settings")


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Too many tries from one place: a plain page with status 429, and the crisis footer as on every page."""
    return render(request, "registration/rate_limited.html", status=429)


@login_required
@require_POST
def mentor_sharing(request: HttpRequest) -> HttpResponse:
    """The member decides what their mentor may see; saved at once, and taken back the same way."""
    member = require_role(request, Role.MEMBER)
    link = get_object_or_404(CareLink, member=member, kind=Role.MENTOR)
    form = MentorSharingForm(request.POST, instance=link)
    if form.is_valid():
        form.save()
        shared = [str(f.label) for name, f in form.fields.items() if form.cleaned_data[name]]
        messages.success(
            request,
            _("Saved. Your mentor can now see: %(what)s.") % {"what": "; ".join(shared)}
            if shared
            else _("Saved. Your mentor sees nothing of your plan or check-ins."),
        )
    return redirect("care")


@login_required
@require_POST
def end_link(request: HttpRequest, kind: str) -> HttpResponse:
    member = require_role(request, Role.MEMBER)
    member.carers.filter(kind=kind).delete()
    messages.success(request, _("Unlinked."))
    return redirect("care")


# What each recorded event means to the member whose record it is, said as it happened: a page opened is
# "opened", a form sent is "submitted" (an event is written before the outcome is known, so it never claims
# one). Keyed by the event's `what`, "METHOD route-name"; ACTION_LABELS covers events of any other page.
_lazy = gettext_lazy
PAGE_LABELS = {
    "GET clinic": _lazy("saw you in their list of members (latest check-in day and open tasks)"),
    "GET clinic_member": _lazy("opened your page: check-ins, plan and tasks"),
    "GET plans": _lazy("opened your list of plans"),
    "GET revision": _lazy("opened a version of your plan"),
    "GET builder": _lazy("opened the plan builder for you"),
    "POST builder": _lazy("worked in the plan builder for you (a preview, or a draft saved)"),
    "POST approve": _lazy("submitted an approval of a version of your plan"),
    "POST withdraw": _lazy("submitted the withdrawal of a draft of your plan"),
    "POST first_cut": _lazy("submitted an approval of your first cut"),
    "GET thresholds": _lazy("opened your trend thresholds"),
    "POST thresholds": _lazy("submitted changes to your trend thresholds"),
    "POST draft_return": _lazy("asked for a draft that returns you to your previous dose"),
    "POST signal_decide": _lazy("recorded a decision on what your check-ins showed"),
    "POST hold_decide": _lazy("submitted a decision on your request to pause"),
    "POST task_done": _lazy("marked a task about you as dealt with"),
    "GET pharmacy_member": _lazy("opened your dispensing page"),
    "GET fill_pdf": _lazy("downloaded a dispensing sheet for you"),
    "POST fill_dispense": _lazy("submitted that a supply was dispensed to you"),
    "GET export": _lazy("downloaded your record"),
    "GET mentee": _lazy("opened what you share with them"),
    "GET staff_member": _lazy("opened your record in an emergency"),
    "POST break_glass": _lazy("opened your record in an emergency"),
    "GET staff_mentor": _lazy("opened the page to choose your mentor"),
    "POST staff_mentor": _lazy("submitted a choice of mentor for you"),
    "POST erase_account": _lazy("erased the account"),
}
ACTION_LABELS = {
    "view_health": _lazy("opened a page with your check-ins and symptoms"),
    "view_plan": _lazy("opened a page with your plan"),
    "propose_plan": _lazy("opened or used the plan builder for you"),
    "decide": _lazy("opened or used a page about your care"),
    "dispense": _lazy("opened or used your dispensing page"),
    "export": _lazy("downloaded your record"),
    "view_screen": _lazy("saw that your safety screen needs review"),
    "view_alert": _lazy("saw that you need to be contacted (you have no clinician linked)"),
    "replace_carer": _lazy("joined your care team in place of your earlier carer"),
    "break_glass": _lazy("opened your record in an emergency"),
    "care_team": _lazy("opened or changed your care team"),
    "erase": _lazy("erased the account"),
}


# The staff page records several kinds of event at once: each is told by what was seen, not by the page.
SEEN_IN_LISTS = {"view_screen", "view_alert"}


def describe(action: str, what: str) -> str:
    """What an audit event tells the member: by the page and method when known, else by the action."""
    if action in SEEN_IN_LISTS or what not in PAGE_LABELS:
        return str(ACTION_LABELS.get(action, action))
    return str(PAGE_LABELS[what])


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    """The member's own view of the audit trail: everyone else who opened or changed their record."""
    member = require_role(request, Role.MEMBER)
    events = AuditEvent.objects.filter(member_id=member.pk).order_by("-pk")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    people = {u.pk: u for u in User.objects.filter(pk__in={e.actor_id for e in page.object_list})}
    for e in page.object_list:
        person = people.get(e.actor_id)
        e.who = str(person) if person else e.actor
        e.role = Role(e.actor_role).label if e.actor_role in Role.values else e.actor_role
        e.label = describe(e.action, e.what)
    return render(request, "accounts/access_log.html", {"page": page})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch (POST with CSRF; no JavaScript): Django's own view keeps the choice in a cookie and
    goes back to a safe `next`; someone logged in also has it saved as their setting, which decides their pages
    and emails. A language the site does not offer is ignored."""
    response = django_set_language(request)
    code = request.POST.get("language", "")
    if request.user.is_authenticated and code in dict(settings.LANGUAGES) and request.user.locale != code:
        request.user.locale = code
        request.user.save(update_fields=["locale"])
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from a page that is out of date (its security token ended, e.g. when the person logged in again
    or the page was open for a long time): nothing was saved, said plainly in the person's language, with the way
    back, rather than the framework's technical page (settings.CSRF_FAILURE_VIEW)."""
    return render(request, "accounts/csrf_failure.html", status=403)


_logout = auth_views.LogoutView.as_view()


def log_out(request: HttpRequest) -> HttpResponse:
    """Django's logout (POST only), which also tells the browser to drop its HTTP cache (`Clear-Site-Data:
    "cache"`). The copy of the member's doses that the installed app keeps for offline use (programs/
    installable.py) is deleted by the service worker when it sees the logout, even offline, and by the next page
    (nobody logged in). Not "storage": that would also end the service worker, and with it this device's push
    subscription, so a member who logs out would silently stop getting dose reminders on the phone they turned
    them on for (a missed reminder in a taper is the worse harm; the notification says only "Dose time", and the
    member removes a device in Settings), and it would wipe dose taps still waiting to be sent, another person's
    too on a shared phone (they are sent only under their own login)."""
    from slowtaper.checkins.models import PushSubscription  # (checkins builds on accounts: imported late)

    user = request.user
    pushed = (
        request.method == "POST"
        and user.is_authenticated
        and PushSubscription.objects.filter(member_id=user.pk).exists()
    )
    response = _logout(request)
    if request.method == "POST" and response.status_code in (200, 302):
        response["Clear-Site-Data"] = '"cache"'
        if pushed:
            # Said once, to the person who just logged out, on the page they land on: a shared phone's next user
            # should not be surprised by "Dose time", and the member should know logging out did not stop them.
            messages.info(
                request,
                _(
                    "Dose reminders still come to the devices you turned them on for, this one too if it is one "
                    "of them. To stop them on a device, log in and remove it in Settings."
                ),
            )
    return response
