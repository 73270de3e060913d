"""`{{ key|footnote:numbers }}`: a source key as its numbered footnote link, so public pages show "[3]" and
never the catalogue's internal keys; `numbers` maps keys to numbers (`library.citations`)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def footnote(key: str, numbers: dict[str, int]) -> SafeString | str:
    n = numbers.get(key)
    if n is None:  # a key the page did not number: show nothing rather than an internal name
        return ""
    return format_html('<sup><a href="#source-{}">[{}]</a></sup>', key, n)
