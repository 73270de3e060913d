"""`{{ text|t }}`: show a text from the engine's data files, or an engine message (code and parameters), in the active
language (see slowtaper.i18n)."""

from django import template

from slowtaper.i18n import data_text, engine_text
from slowtaper.taper import Message

register = template.Library()


@register.filter(name="t")
def translate_data(value: object) -> object:
    if isinstance(value, Message):
        return engine_text(value)
    return data_text(value) if isinstance(value, str) else value
