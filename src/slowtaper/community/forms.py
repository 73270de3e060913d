from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from slowtaper.accounts.forms import PlaceFields
from slowtaper.accounts.models import Role, User

from .models import BoardSettings, Category, ContactRequest, Shift

BODY_HELP = _("Plain text; *italics*, **bold**, lists and links work. No pictures.")


class PostForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), help_text=BODY_HELP, max_length=10_000, widget=forms.Textarea(attrs={"rows": 6})
    )

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError(_("Write something first."))
        return body


class TopicForm(PostForm):
    title = forms.CharField(label=_("Title"), max_length=140, min_length=3)
    field_order = ["title", "body"]


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with this post?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A moderator reads every report. If someone is in danger now, call the numbers below."),
    )


class ModerateForm(forms.Form):
    ACTIONS = [
        ("approve", _("Approve")),
        ("hide", _("Hide")),
        ("restore", _("Restore")),
        ("lock", _("Lock the topic")),
        ("unlock", _("Unlock the topic")),
        ("move", _("Move the topic")),
        ("hide_topic", _("Hide the whole topic")),
        ("show_topic", _("Show the topic again")),
        ("warn", _("Warn the author")),
        ("suspend", _("Suspend the author from posting")),
        ("dismiss", _("Dismiss the reports")),
    ]
    # No action is preselected (the form starts on "Choose what to do"): a crisis post must never be one tap from
    # "approve".
    action = forms.ChoiceField(choices=ACTIONS, error_messages={"required": _("Choose what to do with the post.")})
    TOLD = ("hide", "hide_topic", "warn", "suspend")  # the author is told why, in the moderator's words
    note = forms.CharField(
        label=_("Note (the author sees it when you hide, warn or suspend)"), max_length=500, required=False
    )
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False, label=_("Move to"))
    days = forms.IntegerField(min_value=1, max_value=90, required=False, label=_("Suspend for how many days"))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") == "move" and not data.get("category"):
            self.add_error("category", _("Choose where to move the topic."))
        if data.get("action") == "suspend" and not data.get("days"):
            self.add_error("days", _("Say for how many days."))
        if data.get("action") in self.TOLD and not data.get("note"):
            self.add_error("note", _("Tell the member why, in a sentence."))
        return data


class ShiftForm(forms.ModelForm):
    """A weekly shift, in the mentor's own time zone."""

    class Meta:
        model = Shift
        fields = ["mentor", "weekday", "start", "end"]
        widgets = {
            "start": forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
            "end": forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        }
        labels = {"start": _("From (mentor's time)"), "end": _("To (mentor's time; past midnight is fine)")}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["mentor"].queryset = User.objects.filter(role=Role.MENTOR, is_active=True)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("start") is not None and data.get("start") == data.get("end"):
            self.add_error("end", _("A shift must end at a different time than it starts."))
        elif data.get("mentor") and data.get("start") is not None and data.get("end") is not None:
            new = _week_span(int(data["weekday"]), data["start"], data["end"])
            for other in Shift.objects.filter(mentor=data["mentor"]).exclude(pk=self.instance.pk):
                if _overlap(new, _week_span(other.weekday, other.start, other.end)):
                    self.add_error(
                        None,
                        _("%(who)s already has a shift then: %(day)s %(start)s to %(end)s.")
                        % {
                            "who": data["mentor"],
                            "day": other.get_weekday_display(),
                            "start": f"{other.start:%H:%M}",
                            "end": f"{other.end:%H:%M}",
                        },
                    )
                    break
        return data


WEEK = 7 * 24 * 60


def _week_span(weekday: int, start: time, end: time) -> tuple[int, int]:
    """A weekly shift as (minute of the week it starts, its length in minutes); past midnight runs on."""
    begin = weekday * 1440 + start.hour * 60 + start.minute
    length = (end.hour * 60 + end.minute - start.hour * 60 - start.minute) % 1440
    return begin, length


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two weekly spans share a minute (the week wraps: Sunday night runs into Monday)."""
    return (b[0] - a[0]) % WEEK < a[1] or (a[0] - b[0]) % WEEK < b[1]


class ContactForm(PlaceFields, forms.Form):
    """Anyone may write, from any country; a country the program does not serve is said plainly on the thank-you
    page and to staff, and no zone is kept for it."""

    serve_only = False
    name = forms.CharField(label=_("Your name"), max_length=120)
    email = forms.EmailField(label=_("Email"), help_text=_("We reply here. We never share it."))
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)
    medication = forms.CharField(
        label=_("Which medicine, and how much (optional)"),
        max_length=200,
        required=False,
        help_text=_("For example: clonazepam 0.5 mg twice a day."),
    )
    message = forms.CharField(label=_("Your message"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}))
    consent = forms.BooleanField(
        label=_("You may contact me about joining the program."),
        error_messages={"required": _("Tick this so we may answer you; we contact nobody without it.")},
    )
    # A field people never see (hidden by CSS and from screen readers); bots fill it in.
    website = forms.CharField(
        required=False,
        label=_("Leave this empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_place_fields()
        self.order_fields(["name", "email", "phone", "country", "time_zone", "medication", "message", "consent"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_place()
        return data


class TriageForm(forms.ModelForm):
    class Meta:
        model = ContactRequest
        fields = ["status", "owner", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["owner"].queryset = User.objects.filter(role=Role.STAFF, is_active=True)  # type: ignore[attr-defined]


class ContactReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"),
        max_length=4000,
        error_messages={"required": _("Write the answer before sending it.")},
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Sent by email from the program's address and kept with the request. Plain words; no health details "
            "beyond what they wrote to us."
        ),
    )


class BoardSettingsForm(forms.ModelForm):
    class Meta:
        model = BoardSettings
        fields = ["email", "digest_hour"]
        widgets = {"email": forms.RadioSelect}


class StoryForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=140)
    body = forms.CharField(
        label=_("Your story"), max_length=20_000, help_text=BODY_HELP, widget=forms.Textarea(attrs={"rows": 12})
    )
    anonymous = forms.BooleanField(label=_("Publish without my name"), required=False, initial=True)
    consent = forms.BooleanField(
        label=_("I agree that slowtaper may publish this story on its public website. I can withdraw it at any time."),
        error_messages={"required": _("We publish nothing without your agreement: tick the box to send it.")},
    )


class StoryDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("publish", _("Publish")), ("decline", _("Do not publish"))])
    note = forms.CharField(label=_("Note to the author"), max_length=500, required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("decision") == "decline" and not data.get("note"):
            self.add_error("note", _("Tell the author why, in a sentence."))
        return data
