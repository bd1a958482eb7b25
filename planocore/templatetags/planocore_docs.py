"""The documentation pages' one piece of markup: `code` in purposes, descriptions and messages.

Purposes, param descriptions and status texts are written once, for the API, the
OpenAPI schema and these pages, with backticks around names (`page[after]`); the
pages show them as <code>, everything else escaped.
"""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_CODE = re.compile(r"`([^`\n]+)`")


@register.filter
def inline_code(text) -> SafeString:
    """Escape `text` and show each `backticked` span as <code>."""
    escaped = escape("" if text is None else str(text))
    return mark_safe(_CODE.sub(r"<code>\1</code>", escaped))  # noqa: S308 - escaped above
