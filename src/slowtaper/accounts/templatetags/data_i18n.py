"""`{{ text|t }}`: show a text from the engine's data files, or an engine message (code and parameters), in the active
language (see slowtaper.i18n)."""

from django import template
from django.utils.translation import pgettext_lazy

from slowtaper.i18n import data_text, engine_text
from slowtaper.taper import Message, screening

register = template.Library()


@register.filter(name="t")
def translate_data(value: object) -> object:
    if isinstance(value, Message):
        return engine_text(value)
    return data_text(value) if isinstance(value, str) else value


# A plan step's kind (`Step.kind`) as a short tag in the reader's language; the English tag is the kind itself.
STEP_KINDS = {
    "stabilise": pgettext_lazy("step kind", "stabilise"),
    "reduce": pgettext_lazy("step kind", "reduce"),
    "micro": pgettext_lazy("step kind", "micro"),
    "hold": pgettext_lazy("step kind", "hold"),
    "crossover": pgettext_lazy("step kind", "crossover"),
    "custom": pgettext_lazy("step kind", "custom"),
    "maintain": pgettext_lazy("step kind", "maintain"),
}


@register.filter
def step_kind(kind: str) -> str:
    return str(STEP_KINDS.get(kind, kind))


# A screening finding's severity and the risk band, as short words for clinicians in the reader's language (the
# keys are the screening's own: data/screening.toml).
SEVERITIES = {
    "info": pgettext_lazy("finding severity", "info"),
    "caution": pgettext_lazy("finding severity", "caution"),
    "refer": pgettext_lazy("finding severity", "refer"),
    "urgent": pgettext_lazy("finding severity", "urgent"),
}
RISK_BANDS = {
    "rare": pgettext_lazy("withdrawal risk band", "rare"),
    "lower": pgettext_lazy("withdrawal risk band", "lower"),
    "likely": pgettext_lazy("withdrawal risk band", "likely"),
}


@register.filter
def severity(key: str) -> str:
    return str(SEVERITIES.get(key, key))


@register.filter
def risk_band(key: str) -> str:
    return str(RISK_BANDS.get(key, key))


@register.filter
def care_setting(key: str) -> str:
    """Where a taper is safest ("home", "specialist", "supervised") in the screening's words, translated."""
    return data_text(screening().settings.get(key, key))
