"""Private messages between a member and their own mentor (the pair comes from the member's care link), and
from the mentors on duty and staff to a member who wrote words of crisis; anyone else gets a 404 for a
conversation, exactly as if it did not exist. A member's message that speaks of a crisis
still reaches their mentor, shows the member the crisis numbers at once, and alerts whoever is on duty."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from slowtaper.accounts.models import CareLink, Role, User
from slowtaper.programs.alerts import notify

from . import board, notices
from .forms import PostForm
from .models import Message
from .text import crisis_in
from .text import render as render_md


def partners(user: User) -> list[User]:
    """Whom `user` may write to: a member and their own mentor; and, so that a crisis can reach the person, the
    mentors and staff may write to any member who wrote words of crisis in the last CRISIS_REACH_DAYS (a mentor
    only while on the board as a moderator); a member may answer anyone who wrote to them."""
    if user.role == Role.MEMBER:
        link = CareLink.objects.filter(member=user, kind=Role.MENTOR).select_related("carer").first()
        own = [link.carer] if link and link.carer.is_active else []
        wrote = User.objects.filter(
            is_active=True, role__in=(Role.MENTOR, Role.STAFF), messages_sent__recipient=user
        ).distinct()
        return _unique([*own, *wrote.order_by("pk")])
    if user.role not in (Role.MENTOR, Role.STAFF):
        return []
    mentees = [
        link.member
        for link in CareLink.objects.filter(carer=user, kind=Role.MENTOR, member__is_active=True).select_related(
            "member"
        )
    ]
    written = User.objects.filter(is_active=True, role=Role.MEMBER, messages_received__sender=user).distinct()
    return _unique([*mentees, *board.crisis_members().order_by("pk"), *written.order_by("pk")])


def _unique(people: list[User]) -> list[User]:
    return list({p.pk: p for p in people}.values())


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.role not in (Role.MEMBER, Role.MENTOR, Role.STAFF):
        raise PermissionDenied
    return user


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = []
    for other in partners(user):
        unread = Message.objects.filter(sender=other, recipient=user, read__isnull=True).count()
        rows.append({"other": other, "unread": unread})
    return render(request, "community/inbox.html", {"rows": rows})


@login_required
def conversation(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _user(request)
    other = next((p for p in partners(user) if p.pk == user_id), None)
    if other is None:
        raise Http404
    form = PostForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        body = form.cleaned_data["body"]
        kinds = [k.id for k in crisis_in(body)] if user.role == Role.MEMBER else []
        recent = Message.objects.filter(sender=user, created__gte=timezone.now() - timedelta(minutes=10)).count()
        if recent >= settings.MESSAGES_PER_10_MINUTES and not kinds:
            form.add_error(None, _("You have sent many messages in the last 10 minutes: wait a little, then send."))
            return render(
                request, "community/conversation.html", {"other": other, "thread": [], "form": form}, status=429
            )
        with transaction.atomic():
            message = Message.objects.create(
                sender=user, recipient=other, body=body, html=render_md(body), crisis_kinds=kinds
            )
            notices.message_sent(message, other, user, crisis=bool(kinds))
            if kinds:
                # Their own mentor hears at once, whatever their email choice; the duty rota covers the hours
                # their mentor is away (without the words: a private message stays between the two of them).
                notify(
                    [other],
                    gettext_lazy("slowtaper: a message needs you now"),
                    gettext_lazy(
                        "%(member)s wrote to you about something that may be a crisis. Please read it now: %(link)s"
                    ),
                    {"member": user, "link": settings.SITE_URL + reverse("conversation", args=[user.pk])},
                )
                on_duty = board.alert_on_duty(anchor="#crisis-messages")
                message.alerted = [{"pk": other.pk, "name": str(other), "as": "own_mentor"}] + [
                    {"pk": u.pk, "name": str(u), "as": u.role} for u in on_duty if u.pk != other.pk
                ]
                message.alerted += board.tell_clinician(
                    user, f"message-{message.pk}", kinds, "message", message.alerted
                )
                message.save(update_fields=["alerted"])
        if kinds:
            return render(request, "community/held_crisis.html", {"message": message, "told": message.alerted})
        return redirect(reverse("conversation", args=[other.pk]) + f"#m-{message.pk}")
    thread = Message.objects.filter(Q(sender=user, recipient=other) | Q(sender=other, recipient=user)).select_related(
        "sender"
    )
    Message.objects.filter(sender=other, recipient=user, read__isnull=True).update(read=timezone.now())
    return render(
        request,
        "community/conversation.html",
        {"other": other, "thread": thread, "form": form},
        status=400 if form.errors else 200,
    )
