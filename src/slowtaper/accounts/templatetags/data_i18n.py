"""`{{ text|t }}`: show a text from the engine's data files in the active language (see slowtaper.i18n)."""

from django import template

from slowtaper.i18n import data_text

register = template.Library()


@register.filter(name="t")
def translate_data(value: object) -> object:
    return data_text(value) if isinstance(value, str) else value
