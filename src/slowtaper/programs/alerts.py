"""Telling people: a task on the clinician's dashboard and an email, through one seam (`send`).

Each email is written in its recipient's language (their `locale`): callers pass texts marked with
`gettext_lazy` and their parameters apart, and `send` renders them once per recipient under that language.

Emails carry no drug names and no health details in their subject lines; the body points to the app, where the
detail is shown after login. Tests read Django's in-memory outbox; production sets an SMTP backend.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy, override

from slowtaper.accounts.models import Role, User
from slowtaper.said import Stored, label, say
from slowtaper.taper import Message, Reason, Suggestion, Triage

from .models import HoldRequest, Intake, PlanRevision, Task

Text = str | Promise  # a lazy translation (gettext_lazy) is rendered in each recipient's language


def render(text: Text, params: Mapping[str, object] | None = None) -> str:
    """`text` in the active language, its %(name)s placeholders filled (lazy parameters rendered too)."""
    # A lazy text's own `%` renders it now (ngettext_lazy picks the plural form from `params`); lazy parameters
    # render as they are formatted, so everything is in the language active here.
    return str(text % params if params is not None else text)


def send(to: Iterable[User], subject: Text, body: Text, params: Mapping[str, object] | None = None) -> int:
    """Email each person with an address, now, in their own language; returns how many were sent. Raises if
    the mail server fails."""
    sent = 0
    for user in to:
        if user.email and user.is_active:
            with override(user.locale or settings.LANGUAGE_CODE):
                title, text = render(subject, params), render(body, params)
            sent += send_mail(title, text, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=False)
    return sent


def notify(to: Iterable[User], subject: Text, body: Text, params: Mapping[str, object] | None = None) -> None:
    """Email after the current transaction commits, so a mail server that is down never undoes what the
    person just saved (the task on the dashboard is already recorded); a failure is logged, not raised.
    Pass `gettext_lazy` texts and their `params` so each recipient reads it in their language."""
    people = list(to)
    transaction.on_commit(lambda: send(people, subject, body, params), robust=True)


def _member_link(member: User) -> str:
    return settings.SITE_URL + reverse("clinic_member", args=[member.pk])


# Kinds of task that ask someone to reach the member now: with no clinician linked, the mentors on duty hear of
# them as well as staff. The other kinds are decisions (holds, approvals, first cuts) that only staff can route.
REACH_NOW = {Task.Kind.RED_FLAG, Task.Kind.SCREEN, Task.Kind.SUGGESTION}


def recipients(member: User, kind: str) -> list[tuple[User, str]]:
    """Who hears of an alert about `member`, each with the capacity in which they are told: the member's
    clinician; without an active clinician, the mentors on duty (for kinds in REACH_NOW) and every active staff
    member. An alert never waits for a clinician to join."""
    clinician = member.carer(Role.CLINICIAN)
    if clinician is not None and clinician.is_active and not clinician.needs_verification:
        return [(clinician, "clinician")]
    from slowtaper.community.board import mentors_on_duty  # the board imports this module: import when needed

    people: list[tuple[User, str]] = []
    if clinician is not None and clinician.is_active:
        # Not verified yet: they may reach the member, but cannot record a decision, so others hear too.
        people.append((clinician, "clinician"))
    if kind in REACH_NOW:
        people += [(m, "mentor") for m in mentors_on_duty()]
    people += [(s, "staff") for s in User.objects.filter(role=Role.STAFF, is_active=True).order_by("pk")]
    return people


def _tell_clinician(member: User, task: Task, new: bool) -> None:
    """Tell whoever must hear of a new task (see `recipients`), and record on the task who that was, so what
    the member is told names the people actually alerted."""
    if not new:
        return
    people = recipients(member, task.kind)
    kind = capfirst(Task.Kind(task.kind).label)  # lazy: rendered in each recipient's language
    body: Text
    for person, capacity in people:
        if capacity == "clinician":
            link = _member_link(member)
            body = gettext_lazy("%(kind)s for %(member)s. Details after you log in: %(link)s")
        elif capacity == "mentor":
            link = settings.SITE_URL + reverse("inbox")
            body = gettext_lazy(
                "A member without a clinician needs someone to reach them now (%(kind)s): %(member)s. "
                "You can write to them from your messages: %(link)s"
            )
        else:
            link = settings.SITE_URL + reverse("staff")
            body = gettext_lazy(
                "%(kind)s for %(member)s, who has no clinician linked. Contact them and find them a clinician: %(link)s"
            )
        notify(
            [person],
            gettext_lazy("slowtaper: a member needs your attention"),
            body,
            {"kind": kind, "member": member, "link": link},
        )
    task.told = [{"pk": p.pk, "name": str(p), "as": capacity} for p, capacity in people]
    task.save(update_fields=["told"])


def red_flag(member: User, day: str, triage: Triage) -> Task:
    task, new = Task.raise_(member, Task.Kind.RED_FLAG, f"{day}", triage.clinician_messages)
    if not new and task.done_at is not None:
        # A new "yes" on a day whose alert was already dealt with opens it again.
        task.done_at = None
        task.text, task.messages = "", [m.to_dict() for m in triage.clinician_messages]
        task.save(update_fields=["done_at", "text", "messages"])
        new = True
    _tell_clinician(member, task, new)
    return task


def board_crisis(member: User, key: str, said: Stored) -> Task:
    """Words of suicide, overdose or a seizure in a member's board post or message: a red-flag task, told like
    any red flag (the clinician, else the mentors on duty and staff)."""
    task, new = Task.raise_(member, Task.Kind.RED_FLAG, key, [said])
    _tell_clinician(member, task, new)
    return task


def screen_blocked(member: User, intake: Intake) -> Task:
    lines = [
        say(f"task.screen-{f['severity']}", finding=label(f["clinician"]))
        for f in intake.findings
        if f["severity"] in ("refer", "urgent")
    ]
    task, new = Task.raise_(member, Task.Kind.SCREEN, f"intake-{intake.pk}", lines)
    _tell_clinician(member, task, new)
    if new and any(t["as"] == "clinician" for t in task.told):
        # Staff find such members a setting that fits, so they hear of it even when a clinician is linked.
        staff = list(User.objects.filter(role=Role.STAFF, is_active=True).order_by("pk"))
        notify(
            staff,
            gettext_lazy("slowtaper: an intake needs review"),
            gettext_lazy(
                "A new member's safety screen asks for a specialist or supervised setting. Log in to see who."
            ),
        )
        task.told += [{"pk": s.pk, "name": str(s), "as": "staff"} for s in staff]
        task.save(update_fields=["told"])
    return task


def intake_changed(member: User, intake: Intake, changes: list[Stored], plan_daily_mg: str | None) -> Task:
    """The member answered the intake again and something that matters changed: the clinician sees what."""
    lines = list(changes)
    if plan_daily_mg is not None:
        lines.append(say("intake.plan-unchanged", mg=plan_daily_mg))
    task, new = Task.raise_(member, Task.Kind.INTAKE, f"intake-{intake.pk}", lines)
    _tell_clinician(member, task, new)
    return task


def hold_requested(member: User, hold: HoldRequest) -> Task:
    if hold.message:
        said = say("task.hold-wrote", days=hold.days, message=hold.message)
    else:
        said = say("task.hold", days=hold.days)
    task, new = Task.raise_(member, Task.Kind.HOLD, f"hold-{hold.pk}", [said])
    _tell_clinician(member, task, new)
    return task


def approval_needed(member: User, revision: PlanRevision) -> Task:
    # The plan's summary is stored as its message, so it too is read in the reader's language.
    summary = revision.summary_message or revision.summary
    said = say("task.approval", number=revision.number, summary=summary)
    task, new = Task.raise_(member, Task.Kind.APPROVAL, f"revision-{revision.pk}", [said])
    _tell_clinician(member, task, new)
    return task


def task_reasons(s: Suggestion) -> list[Reason]:
    """The reasons that make a suggestion task: hold, return or contact, red flags left out (each already has
    its own task and alert)."""
    return [r for r in s.reasons if r.action != "continue" and not r.rule.startswith("red-flag:")]


def suggestion_key(s: Suggestion, reasons: list[Reason]) -> str:
    """What makes a trend suggestion the same one on a later day: its action, the rules that fired and the
    plan change they are measured from. Once its task is dealt with, the same suggestion stays dealt with;
    a new rule, a more cautious action or a later change of dose is something new and raises a new task."""
    rules = ",".join(sorted({r.rule for r in reasons}))
    since = s.last_change.isoformat() if s.last_change else "start"
    return f"{reasons[0].action}-{since}-{hashlib.sha256(rules.encode()).hexdigest()[:12]}"


def _task_of(s: Suggestion) -> tuple[str, str, list[Reason]] | None:
    """The task `s` stands for, as (kind, key, the reasons behind it): a suggestion task for a hold, return or
    contact (see `suggestion_key`); before the first cut, when nothing but "still stabilising" fired, the
    first-cut task; else None."""
    reasons = task_reasons(s)
    if s.phase == "stabilisation":
        reasons = [r for r in reasons if r.rule != "stabilising"]
        if not reasons:
            return Task.Kind.FIRST_CUT, "first-cut", []
    if not reasons:
        return None
    return Task.Kind.SUGGESTION, suggestion_key(s, reasons), reasons


def raises_task(s: Suggestion) -> bool:
    """Whether `suggestion` could raise a task for `s` (False: it writes nothing)."""
    return _task_of(s) is not None


def suggestion(member: User, s: Suggestion, notify: bool = True) -> Task | None:
    """A hold, return or contact suggestion becomes one task per member and suggestion (see
    `suggestion_key`). Before the first cut, "still stabilising" is not a task, but reaching the stable days
    needed asks for the first-cut approval."""
    found = _task_of(s)
    if found is None:
        return None
    kind, key, reasons = found
    if kind == Task.Kind.FIRST_CUT:
        if s.stable_days is not None and s.stable_days_needed and s.stable_days >= s.stable_days_needed:
            return first_cut_due(member, key, s.headline, notify)
        return None
    top = reasons[0]  # most cautious first
    task, new = Task.raise_(member, kind, key, [top.headed])
    _tell_clinician(member, task, new and notify)
    return task


def suggestion_task(member: User, s: Suggestion) -> Task | None:
    """The task `suggestion` raised (or would raise) for `s`, if it exists: a read that writes nothing, for
    pages that show whether it was dealt with."""
    found = _task_of(s)
    return None if found is None else member.tasks.filter(kind=found[0], key=found[1]).first()


def first_cut_due(member: User, on: str, headline: Message | str, notify: bool = True) -> Task:
    said = [Message.legacy(headline) if isinstance(headline, str) else headline]
    task, new = Task.raise_(member, Task.Kind.FIRST_CUT, on, said)
    _tell_clinician(member, task, new and notify)
    return task


def close_tasks(member: User, kind: str, by: User, key: str | None = None) -> None:
    for task in Task.objects.filter(member=member, kind=kind, done_at__isnull=True):
        if key is None or task.key == key:
            task.close(by)


def tell_member(member: User, what: Text) -> None:
    """A short email to the member that something changed (`what`: a gettext_lazy sentence, so it is in the
    member's language); the detail is in the app after login."""
    notify(
        [member],
        gettext_lazy("slowtaper: news from your clinician"),
        gettext_lazy("%(what)s See the details when you log in: %(link)s"),
        {"what": what, "link": settings.SITE_URL},
    )
