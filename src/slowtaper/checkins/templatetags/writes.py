"""`{% write_key %}`: a hidden idempotency key for a form the template writes by hand (the dose buttons)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from slowtaper.accounts.pagecache import PLACEHOLDERS, WRITE_KEY_PLACEHOLDER
from slowtaper.checkins.models import new_key

register = template.Library()


@register.simple_tag(takes_context=True)
def write_key(context: template.Context) -> SafeString:
    """A fresh key for each form on the page, so two doses logged in quick succession are two writes. A page
    rendered to be kept (accounts/pagecache.py) gets a placeholder, filled with a fresh key for every response."""
    value = WRITE_KEY_PLACEHOLDER if context.get(PLACEHOLDERS) else new_key()
    return format_html('<input type="hidden" name="key" value="{}">', value)
