"""The public contact form, and the staff's triage queue for what comes in.

Spam: a honeypot field (a filled one gets the same thank-you page and stores nothing) and rate limits per
address and per email (django-ratelimit, in the database cache). Everyone who writes sees the crisis numbers on
the form and again on the thank-you page: people in trouble use contact forms.
"""

from __future__ import annotations

import logging
import re
import statistics
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, Q, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import get_language, gettext_lazy, override
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from slowtaper.accounts import places
from slowtaper.accounts.access import require_role
from slowtaper.accounts.models import Role, User
from slowtaper.i18n import data_text
from slowtaper.programs.alerts import notify
from slowtaper.programs.models import enrol
from slowtaper.taper import diary

from . import library
from .forms import ContactForm, ContactReplyForm, TriageForm
from .models import ContactReply, ContactRequest, wait_text
from .text import crisis_in


def _rate(group: str, request: HttpRequest) -> str:
    return str(settings.CONTACT_RATE)


# What the pages say to someone who already stopped suddenly, each statement with its source (see
# community/_stopped_suddenly.html).
STOPPED_SUDDENLY_SOURCES = ["clonazepam_label_us", "racgp_withdrawal", "joint2025"]


def _stopped_suddenly() -> dict[str, object]:
    citations, numbers = library.footnotes(STOPPED_SUDDENLY_SOURCES)
    return {"stopped_numbers": numbers, "citations": citations}


MEDIAN_OF = 200  # answered requests the median time to first response is taken over, the latest first
SHOWN = 200  # requests listed at once; crisis requests come first, so none is ever cut off behind routine ones


RESENT_WITHIN = timedelta(hours=1)  # the same words from the same address this soon are a reload, not a new request


def _thanks_context(country_code: str, kinds: list[str]) -> dict[str, object]:
    country = places.countries()[country_code]
    context: dict[str, object] = {"crisis": bool(kinds), "country": country, **_stopped_suddenly()}
    # The numbers for where they live; a country the program does not serve gets the international list.
    context["emergency"] = diary().emergency[country.region] if country.region else None
    return context


@ratelimit(key="ip", rate=_rate, method="POST")
@ratelimit(key="post:email", rate=_rate, method="POST")
def contact(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if d["website"]:  # the honeypot: a person never sees this field
            return render(request, "community/contact_thanks.html", _stopped_suddenly())
        kinds = [k.id for k in crisis_in(d["message"], d["medication"])]
        # The thank-you page answers the POST itself, so reloading it sends the form again: the same words from the
        # same address within the hour are that resend, shown the same page, not a second request and emails.
        resent = ContactRequest.objects.filter(
            email__iexact=d["email"],
            message=d["message"],
            medication=d["medication"],
            created__gte=timezone.now() - RESENT_WITHIN,
        ).exists()
        if resent:
            return render(request, "community/contact_thanks.html", _thanks_context(d["country"], kinds))
        with transaction.atomic():
            item = ContactRequest.objects.create(
                name=d["name"],
                email=d["email"],
                phone=d["phone"],
                medication=d["medication"],
                message=d["message"],
                country=d["country"],
                time_zone=d["time_zone"],
                language=get_language() or "",
                consent=True,
                crisis_kinds=kinds,
            )
            notify(
                [User(email=d["email"], is_active=True, locale=get_language())],
                gettext_lazy("slowtaper: we received your message"),
                gettext_lazy(
                    "Thank you for writing to us, %(name)s. A member of our team will answer you by email. "
                    "If you are in danger or thinking of harming yourself, do not wait for us: call your local "
                    "emergency number now."
                ),
                {"name": d["name"]},
            )
            link = settings.SITE_URL + reverse("contact_request", args=[item.pk])
            notify(
                User.objects.filter(role=Role.STAFF, is_active=True),
                gettext_lazy("slowtaper: a contact request needs an answer today")
                if kinds
                else gettext_lazy("slowtaper: a new contact request"),
                (
                    gettext_lazy(
                        "The message may describe a crisis (it is first in the queue). Please answer today: %(link)s"
                    )
                    if kinds
                    else "%(link)s"
                ),
                {"link": link},
            )
        return render(request, "community/contact_thanks.html", _thanks_context(d["country"], kinds))
    # A message that speaks of danger but could not be sent (a missing tick, a mistyped address): the crisis
    # numbers come first on the page, whatever else is wrong, before any "fix these answers".
    words = (
        f"{request.POST.get('message', '')} {request.POST.get('medication', '')}" if request.method == "POST" else ""
    )
    unsent_crisis = bool(form.errors) and bool(crisis_in(words))
    context = {"form": form, "unsent_crisis": unsent_crisis, **_stopped_suddenly()}
    return render(request, "community/contact.html", context, status=400 if form.errors else 200)


@login_required
def requests(request: HttpRequest) -> HttpResponse:
    require_role(request, Role.STAFF)
    status = request.GET.get("status", "open")
    items = ContactRequest.objects.select_related("owner")
    if status == "open":
        items = items.exclude(status=ContactRequest.Status.CLOSED)
    elif status in ContactRequest.Status.values:
        items = items.filter(status=status)
    # Crisis requests nobody has answered first, in the database, before any limit: an old crisis request must never
    # fall off the list. Then the oldest waiting first (newest first among closed ones).
    unanswered_crisis = Q(status=ContactRequest.Status.NEW) & ~Q(crisis_kinds=[])
    items = items.annotate(crisis_first=Case(When(unanswered_crisis, then=0), default=1))
    items = items.order_by("crisis_first", "-created" if status == ContactRequest.Status.CLOSED else "created", "pk")
    total = items.count()
    items = list(items[:SHOWN])
    # The median of the latest answered requests: what staff manage now, at a cost that does not grow with the years.
    answered = ContactRequest.objects.exclude(first_response=None).order_by("-first_response")
    waits = [first - created for created, first in answered.values_list("created", "first_response")[:MEDIAN_OF]]
    median = wait_text(statistics.median(waits)) if waits else None
    return render(
        request,
        "community/requests.html",
        {
            "items": items,
            "total": total,
            "status": status,
            "median": median,
            "median_of": len(waits),
            "statuses": ContactRequest.Status.choices,
        },
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    staff = require_role(request, Role.STAFF)
    item = get_object_or_404(ContactRequest, pk=pk)
    form = TriageForm(request.POST if request.method == "POST" else None, instance=item)
    if request.method == "POST" and form.is_valid():
        updated = form.save(commit=False)
        if updated.status != ContactRequest.Status.NEW and updated.first_response is None:
            updated.first_response = timezone.now()
        if updated.owner is None:
            updated.owner = staff
        updated.save()
        messages.success(request, _("Saved."))
        return redirect("contact_request", item.pk)
    return _detail_page(request, item, form=form)


def _detail_page(
    request: HttpRequest, item: ContactRequest, form: TriageForm | None = None, reply: ContactReplyForm | None = None
) -> HttpResponse:
    form = form or TriageForm(instance=item)
    reply = reply or ContactReplyForm()
    place = {"country": places.countries().get(item.country), "zone": places.zone_label(item.time_zone)}
    return render(
        request,
        "community/request.html",
        {
            "item": item,
            "form": form,
            "reply_form": reply,
            "replies": item.replies.select_related("by"),
            "place": place,
        },
        status=400 if form.errors or reply.errors else 200,
    )


log = logging.getLogger(__name__)
# The same words sent to the same request within this time are one answer: a double tap sends one email.
RESEND_WINDOW = timedelta(minutes=10)


def _reply_text(item: ContactRequest, staff: User, body: str) -> str:
    """The email: the staff member's words, who wrote them, and for a message that spoke of danger the numbers
    for where the writer lives (or, for a country the program does not serve, their local emergency number)."""
    name = staff.get_full_name() or staff.username
    text = f"{body}\n\n{name}, slowtaper"
    if item.crisis_kinds:
        country = places.countries().get(item.country)
        help_now = diary().emergency.get(country.region) if country is not None and country.region else None
        text += "\n\n" + (
            _("If you are in danger or thinking of harming yourself: call %(number)s now, or %(crisis)s.")
            % {"number": help_now.number, "crisis": data_text(help_now.crisis)}
            if help_now is not None
            else _("If you are in danger or thinking of harming yourself: call your local emergency number now.")
        )
    return text


@login_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a contact request by email from the app: sent now (so staff learn at once if it failed), then
    recorded with the request; the request counts as answered."""
    staff = require_role(request, Role.STAFF)
    item = get_object_or_404(ContactRequest, pk=pk)
    form = ContactReplyForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, item, reply=form)
    body = form.cleaned_data["body"]
    earlier = item.replies.filter(body=body, sent_at__gte=timezone.now() - RESEND_WINDOW).first()
    if earlier is not None:
        messages.info(request, _("This answer was already sent; it was not sent again."))
        return redirect("contact_request", item.pk)
    with override(_language_of(item)):  # the writer's language, not the staff member's
        subject, text = _("slowtaper: an answer to your message"), _reply_text(item, staff, body)
    try:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [item.email], fail_silently=False)
    except Exception:
        log.exception("contact reply %s could not be sent", item.pk)
        form.add_error(
            None, _("The email could not be sent, so nothing was recorded. Your words are kept here: try again.")
        )
        return _detail_page(request, item, reply=form)
    with transaction.atomic():
        ContactReply.objects.create(request=item, by=staff, to=item.email, body=body)
        if item.status == ContactRequest.Status.NEW:
            item.status = ContactRequest.Status.CONTACTED
        item.first_response = item.first_response or timezone.now()
        item.owner = item.owner or staff
        item.save(update_fields=["status", "first_response", "owner"])
    messages.success(request, _("Sent to %(email)s and kept with the request.") % {"email": item.email})
    return redirect("contact_request", item.pk)


def _username_for(email: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "", email.split("@")[0].lower())[:20] or "member"
    name, n = base, 1
    while User.objects.filter(username=name).exists():
        n += 1
        name = f"{base}{n}"
    return name


def _language_of(item: ContactRequest) -> str:
    """The language the writer read the contact form in, if the site still offers it; else the default."""
    return item.language if item.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


@login_required
@require_POST
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Create the requester's member account and email them a link to choose their password."""
    staff = require_role(request, Role.STAFF)
    item = get_object_or_404(ContactRequest, pk=pk)
    if item.member_id is not None or User.objects.filter(email__iexact=item.email).exists():
        messages.error(request, _("An account with this email already exists; nothing was created."))
        return redirect("contact_request", item.pk)
    country = places.countries().get(item.country)
    if country is None or country.region is None or item.time_zone not in country.all_zones:
        messages.error(
            request,
            _("%(country)s is not a country slowtaper serves; no account was created. Answer them by email.")
            % {"country": country.shown}
            if country is not None and country.region is None
            else _(
                "This request does not say where they live; no account was created. Invite them from the Staff "
                "page with their country and time zone."
            ),
        )
        return redirect("contact_request", item.pk)
    with transaction.atomic():
        member = User(
            username=_username_for(item.email),
            email=item.email,
            first_name=item.name[:150],
            role=Role.MEMBER,
            locale=_language_of(item),  # they read the form in it: their pages and emails start in it too
        )
        member.set_place(item.country, item.time_zone)  # they chose both on the contact form
        member.set_unusable_password()
        member.save()
        enrol(member)  # the program row exists from joining: pages read it and never create it
        item.member, item.status = member, ContactRequest.Status.INVITED
        item.owner = item.owner or staff
        item.first_response = item.first_response or timezone.now()
        item.save()
        link = settings.SITE_URL + reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(member.pk)),
                "token": default_token_generator.make_token(member),
            },
        )
        notify(
            [member],
            gettext_lazy("slowtaper: your account is ready"),
            gettext_lazy("Welcome, %(name)s. Your username is %(user)s. Choose your password here: %(link)s"),
            {"name": item.name, "user": member.username, "link": link},
        )
    messages.success(
        request, _("Account %(user)s created; the requester was emailed a link.") % {"user": member.username}
    )
    return redirect("contact_request", item.pk)
