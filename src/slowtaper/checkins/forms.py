"""The check-in forms: the daily diary with the red-flag questions, the self-rated CIWA-B, and the dose log.
Each builds the engine's check-in JSON, which the engine validates again before anything is saved."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from slowtaper.i18n import data_text
from slowtaper.taper import SCREENS, diary, instrument

from .models import DoseLog, new_key

YES_NO = [("no", _("No")), ("yes", _("Yes"))]
# How far back a member may fill in a missed check-in or dose log.
BACKFILL_DAYS = 7


def _anchored(anchors: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(str(i), f"{i} – {data_text(a)}") for i, a in enumerate(anchors)]


def key_field() -> forms.UUIDField:
    """The hidden idempotency key: fresh on each blank form, kept when a form comes back with errors."""
    return forms.UUIDField(required=False, initial=new_key, widget=forms.HiddenInput)


class CheckInForm(forms.Form):
    """Today's diary: the tracked symptoms (each optional: a blank stays blank, never 0), sleep and mood, and
    the red-flag questions, which must all be answered."""

    day = forms.DateField(label=_("Day"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    key = key_field()
    sleep_hours = forms.DecimalField(
        label=_("Hours slept last night"), min_value=0, max_value=24, decimal_places=1, required=False
    )

    def __init__(self, *args: Any, tracked: list[str], today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        book = diary()
        self.tracked = [s for s in tracked if s in book.symptoms]
        for sid in self.tracked:
            s = book.symptoms[sid]
            self.fields[f"s_{sid}"] = forms.TypedChoiceField(
                label=data_text(s.label),
                help_text=data_text(s.description),
                choices=_anchored(book.anchors),
                coerce=int,
                required=False,
                widget=forms.RadioSelect,
            )
        self.fields["mood"] = forms.TypedChoiceField(
            label=_("Your mood today"),
            choices=_anchored(book.mood_anchors),
            coerce=int,
            required=False,
            widget=forms.RadioSelect,
        )
        for fid, flag in book.red_flags.items():
            self.fields[f"f_{fid}"] = forms.ChoiceField(
                label=data_text(flag.question),
                choices=YES_NO,
                widget=forms.RadioSelect,
                error_messages={"required": _("Please answer this question: it keeps you safe.")},
            )

    def symptom_fields(self) -> list[forms.BoundField]:
        return [self[f"s_{sid}"] for sid in self.tracked]

    def flag_fields(self) -> list[forms.BoundField]:
        return [self[f"f_{fid}"] for fid in diary().red_flags]

    def clean_day(self) -> date:
        return _recent(self.cleaned_data["day"], self.today)

    def checkin_dict(self) -> dict[str, Any]:
        d = self.cleaned_data
        out: dict[str, Any] = {
            "date": d["day"].isoformat(),
            "symptoms": {sid: d[f"s_{sid}"] for sid in self.tracked if d.get(f"s_{sid}") not in (None, "")},
            "red_flags": {fid: d[f"f_{fid}"] == "yes" for fid in diary().red_flags},
        }
        if d.get("sleep_hours") is not None:
            out["sleep_hours"] = str(d["sleep_hours"])
        if d.get("mood") not in (None, ""):
            out["mood"] = d["mood"]
        return out


MAX_TRACKED = 20


class TrackedForm(forms.Form):
    """Which diary symptoms the member tracks, shown under the catalogue's groups."""

    tracked = forms.MultipleChoiceField(
        label=_("The symptoms you want to track each day"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Filled in here, not where the field is declared: `%` on a lazy text renders it at once, in the language
        # active when the module was imported.
        self.fields["tracked"].help_text = _(
            "Choose the ones that matter to you, up to %(n)s. The safety questions are always asked."
        ) % {"n": MAX_TRACKED}
        book = diary()
        self.fields["tracked"].choices = [
            (data_text(g.label), [(s.id, data_text(s.label)) for s in book.symptoms.values() if s.group == g.id])
            for g in book.groups.values()
        ]

    def clean_tracked(self) -> list[str]:
        chosen: list[str] = self.cleaned_data["tracked"]
        if len(chosen) > MAX_TRACKED:
            raise forms.ValidationError(
                _("Choose at most %(n)s symptoms: a long list each day is hard to keep up."), params={"n": MAX_TRACKED}
            )
        return chosen


class CiwaForm(forms.Form):
    """The CIWA-B's self-rated items, every one required (a partial questionnaire has no valid total)."""

    day = forms.DateField(label=_("Day"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    key = key_field()

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        scale = instrument("ciwa-b")
        self.items = [i for i in scale.items if i.rater == "self"]
        for item in self.items:
            self.fields[f"q_{item.id}"] = forms.TypedChoiceField(
                label=data_text(item.text),
                choices=[(str(v), str(v)) for v in range(item.low, item.high + 1)],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Please answer this question (0 if not at all).")},
            )

    def clean_day(self) -> date:
        return _recent(self.cleaned_data["day"], self.today)

    def checkin_dict(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"date": d["day"].isoformat(), "ciwa_b": {i.id: d[f"q_{i.id}"] for i in self.items}}


class ScaleForm(forms.Form):
    """A mood or alcohol screen (PHQ-9, GAD-7, AUDIT-C): every item required, each answer labelled in words."""

    day = forms.DateField(label=_("Day"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    key = key_field()

    def __init__(self, *args: Any, scale: str, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.scale = instrument(scale)
        self.json_key = next(k for k, v in SCREENS.items() if v == self.scale.id)
        for item in self.scale.items:
            labels = item.labels(self.scale.anchors)
            self.fields[f"q_{item.id}"] = forms.TypedChoiceField(
                label=data_text(item.text),
                choices=[(str(v), f"{v} – {data_text(labels[v - item.low])}") for v in range(item.low, item.high + 1)],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Please answer this question.")},
            )

    def clean_day(self) -> date:
        return _recent(self.cleaned_data["day"], self.today)

    def checkin_dict(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"date": d["day"].isoformat(), self.json_key: {i.id: d[f"q_{i.id}"] for i in self.scale.items}}


class DoseLogForm(forms.Form):
    key = key_field()
    day = forms.DateField()
    time = forms.TimeField()
    status = forms.ChoiceField(choices=DoseLog.Status.choices)
    # The account the page was shown to (a tap queued offline is sent later, perhaps after another person has
    # logged in on the same phone): when given, it must be the logged-in member (the view answers 409).
    member = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_day(self) -> date:
        return _recent(self.cleaned_data["day"], self.today)


def _recent(day: date, today: date) -> date:
    if day > today:
        raise forms.ValidationError(_("This day has not come yet: choose today or an earlier day."))
    if day < today - timedelta(days=BACKFILL_DAYS):
        raise forms.ValidationError(
            _("You can fill in the last %(n)s days only; talk to your clinician about earlier days."),
            params={"n": BACKFILL_DAYS},
        )
    return day
