from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from slowtaper.taper import REGIONS

from .models import CareLink, Role, User


def _zones() -> list[tuple[str, str]]:
    return [(z, z.replace("_", " ")) for z in sorted(available_timezones()) if "/" in z and not z.startswith("Etc/")]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


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


class SettingsForm(OneLineNameMixin, forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_zones)

    class Meta:
        model = User
        fields = ["first_name", "email", "time_zone", "locale", "region", "reminders"]
        labels = {"first_name": _("Your name"), "locale": _("Language"), "region": _("Country or region")}
        help_texts = {"region": _("Used for medicines available there and emergency numbers.")}


class JoinForm(OneLineNameMixin, UserCreationForm):
    """A new account from an invitation; the role comes from the invitation, not from this form."""

    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_zones, initial="America/New_York")
    region = forms.ChoiceField(label=_("Country or region"), choices=[(r, r) for r in REGIONS])

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "first_name", "time_zone", "region")
        labels = {"first_name": _("Your name")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["locale"] = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class MentorSharingForm(forms.ModelForm):
    """What the member's mentor may see; both off until the member turns them on."""

    class Meta:
        model = CareLink
        fields = ["share_plan", "share_checkins"]
