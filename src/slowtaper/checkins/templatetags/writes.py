"""`{% write_key %}`: a hidden idempotency key for a form the template writes by hand (the dose buttons)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from slowtaper.checkins.models import new_key

register = template.Library()


@register.simple_tag
def write_key() -> SafeString:
    """A fresh key for each form on the page, so two doses logged in quick succession are two writes."""
    return format_html('<input type="hidden" name="key" value="{}">', new_key())
