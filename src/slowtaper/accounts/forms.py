from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from . import places
from .models import CareLink, Role, User, languages_in_their_own_words


class PlaceFields:  # a mixin for Form, ModelForm and UserCreationForm
    """A country picker and a short, plain time-zone picker (the zones of the served countries, grouped by
    country; static/slowtaper/zone-picker.js narrows them to the chosen country and proposes the browser's zone).

    `clean()` leaves `country` as a code and `time_zone` as a zone of that country. A country the program does
    not serve is refused with a plain reason, unless `serve_only` is False (the contact form: anyone may write),
    where the zone is then left blank."""

    serve_only = True
    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_place_fields(self) -> None:
        self.fields["country"] = forms.ChoiceField(
            label=_("Country where you live"),
            choices=places.country_choices,
            help_text=_("It decides the medicines we plan with and the emergency numbers we show."),
            error_messages={"required": _("Choose the country where you live.")},
        )
        self.fields["time_zone"] = forms.CharField(
            label=_("Your time zone"),
            required=False,
            widget=forms.Select(
                choices=places.zone_choices(), attrs={"data-zone-for": "country", "data-propose-browser": ""}
            ),
            help_text=_("Dose reminders and the days of your plan follow this clock."),
        )

    def clean_place(self) -> None:
        code = self.cleaned_data.get("country")
        zone = self.cleaned_data.get("time_zone") or ""
        country = places.countries().get(code or "")
        if country is None:
            return  # the country field has its own error
        if country.region is None:
            if self.serve_only:
                self.add_error("country", _not_served(country))  # type: ignore[attr-defined]
            self.cleaned_data["time_zone"] = ""
            return
        if not zone:
            self.add_error(  # type: ignore[attr-defined]
                "time_zone", _("Choose your time zone in %(country)s.") % {"country": country.shown}
            )
        elif zone not in country.all_zones:
            self.add_error(  # type: ignore[attr-defined]
                "time_zone",
                _("“%(zone)s” is not a time zone in %(country)s: choose one of its zones.")
                % {"zone": places.zone_label(zone), "country": country.shown},
            )


def _not_served(country: places.Country) -> str:
    return str(
        _(
            "slowtaper does not work in %(country)s yet: its medicines and emergency numbers cover only the "
            "United States, the United Kingdom, the European Union and Australia. No account can be made there."
        )
        % {"country": country.shown}
    )


class InviteForm(PlaceFields, forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_place_fields()
        self.fields["country"].label = _("Country where they live")
        self.fields["country"].choices = [("", _("Choose their country")), *places.country_choices()[1:]]  # type: ignore[attr-defined]
        self.fields["time_zone"].label = _("Their time zone")
        self.fields["time_zone"].help_text = _("They can check both when they join.")
        # This device is the staff member's, not the invitee's: do not propose its zone.
        self.fields["time_zone"].widget.attrs.pop("data-propose-browser")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_place()
        return data


class CareInviteForm(forms.Form):
    email = forms.EmailField(label=_("Their email address"))
    role = forms.ChoiceField(
        label=_("They are my"),
        choices=[
            (Role.CLINICIAN.value, _("clinician (doctor or prescriber)")),
            (Role.PHARMACIST.value, _("pharmacist")),
        ],
    )


def one_line(value: str) -> str:
    """A display name on one line: line breaks and runs of spaces become one space (a name travels in emails)."""
    return " ".join(value.split())


class OneLineNameMixin:
    cleaned_data: dict[str, Any]

    def clean_first_name(self) -> str:
        return one_line(self.cleaned_data.get("first_name", ""))


class SettingsForm(OneLineNameMixin, PlaceFields, forms.ModelForm):
    """Saving confirms the country (and so the region) and the time zone."""

    REPEAT_FIELDS = ("repeat_every", "repeat_times", "quiet_from", "quiet_until")

    class Meta:
        model = User
        fields = [
            "first_name",
            "email",
            "locale",
            "reminders",
            "repeat_every",
            "repeat_times",
            "quiet_from",
            "quiet_until",
        ]
        labels = {
            "first_name": _("Your name"),
            "locale": _("Language"),
            "repeat_every": _("Repeat a dose reminder until you log the dose"),
            "repeat_times": _("At most"),
            "quiet_from": _("Quiet from"),
            "quiet_until": _("Quiet until"),
        }
        help_texts = {
            # What the box does in both states (checkins.reminders.send_reminder); the model's own help text says
            # only the unticked one, and changing it would need a migration for a word.
            "reminders": _(
                "Reminders go to each device where you turn them on below. Ticked: an email at every dose time too. "
                "Not ticked: an email only when none of your devices could be reached."
            ),
            "repeat_every": _(
                "If a dose is not logged as taken, late or missed, the reminder comes again after this time. The "
                "repeats stop as soon as you log the dose, on any device, and never come once your next dose is due."
            ),
            "repeat_times": _("The most repeats for one dose."),
            "quiet_from": _(
                "No repeats between these two times on your clock, for example from 22:00 until 07:00. The reminder "
                "at the dose time itself still comes. Leave both empty for no quiet time."
            ),
            "quiet_until": _("A repeat that falls in the quiet time is not sent, and not sent later either."),
        }
        widgets = {
            "quiet_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_until": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        error_messages = {
            "quiet_from": {"invalid": _("Enter a time like 22:00.")},
            "quiet_until": {"invalid": _("Enter a time like 07:00.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_place_fields()
        self.order_fields(["first_name", "email", "country", "time_zone", "locale", "reminders", *self.REPEAT_FIELDS])
        if self.instance.role != Role.MEMBER:  # only members have doses to be reminded of
            for name in self.REPEAT_FIELDS:
                del self.fields[name]
        else:  # a page from before these settings existed posts none of them: they stay as they are
            self.fields["repeat_every"].required = self.fields["repeat_times"].required = False
        self.fields["locale"].choices = languages_in_their_own_words()
        user = self.instance
        if not self.is_bound and user.country:
            self.initial["country"] = user.country
        # An unconfirmed zone (the UTC placeholder) is not proposed as if the person had chosen it.
        if not self.is_bound and user.time_zone_confirmed:
            self.initial["time_zone"] = user.time_zone

    def _kept(self, name: str) -> Any:
        value = self.cleaned_data.get(name)
        return getattr(self.instance, name) if value in (None, "") else value

    def clean_repeat_every(self) -> Any:
        return self._kept("repeat_every")

    def clean_repeat_times(self) -> Any:
        return self._kept("repeat_times")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_place()
        if "quiet_from" in self.fields and not {"quiet_from", "quiet_until"} & set(self.errors):
            start, end = data.get("quiet_from"), data.get("quiet_until")
            if (start is None) != (end is None):
                missing = "quiet_until" if end is None else "quiet_from"
                self.add_error(
                    missing, _("Give both times of the quiet time (from and until), or leave both empty for none.")
                )
            elif start is not None and start == end:
                self.add_error(
                    "quiet_until",
                    _(
                        "The quiet time cannot start and end at the same time. For a quiet night, give for example "
                        "from 22:00 until 07:00."
                    ),
                )
        return data

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        user.set_place(self.cleaned_data["country"], self.cleaned_data["time_zone"])
        if commit:
            user.save()
        return user


class JoinForm(OneLineNameMixin, PlaceFields, UserCreationForm):
    """A new account from an invitation; the role comes from the invitation, not from this form. The country
    and time zone start from what staff wrote on the invitation, for the person to confirm or correct."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "first_name")
        labels = {"first_name": _("Your name")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_place_fields()
        self.fields["locale"] = forms.ChoiceField(label=_("Language"), choices=languages_in_their_own_words())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_place()
        return data

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        user.set_place(self.cleaned_data["country"], self.cleaned_data["time_zone"])
        user.locale = self.cleaned_data["locale"]
        if commit:
            user.save()
        return user


class MentorAssignForm(forms.Form):
    mentor = forms.ModelChoiceField(
        label=_("Mentor"),
        queryset=User.objects.none(),
        empty_label=_("Choose a mentor"),
        error_messages={
            "required": _("Choose a mentor."),
            "invalid_choice": _("That person is not an active mentor: choose one from the list."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mentors = User.objects.filter(role=Role.MENTOR, is_active=True).order_by("first_name", "username")
        self.fields["mentor"].queryset = mentors  # type: ignore[attr-defined]


class MentorSharingForm(forms.ModelForm):
    """What the member's mentor may see; both off until the member turns them on."""

    class Meta:
        model = CareLink
        fields = ["share_plan", "share_checkins"]
