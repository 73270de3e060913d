"""Board text: Markdown to safe HTML, and the crisis-phrase check. Pure functions, no database.

Rendering is two locks, not one: markdown-it-py with raw HTML, images and headings switched off (raw HTML is
shown as text, not passed through), then nh3 (the Rust `ammonia` sanitiser) with an explicit allowlist of tags
and attributes and only http, https and mailto links. Whatever the first lets through, the second removes:
no script, style, iframe, image, form, event-handler attribute or `javascript:` link survives.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import nh3
from markdown_it import MarkdownIt

TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
SCHEMES = {"http", "https", "mailto"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(
    ["image", "heading", "lheading", "html_block", "html_inline"]
)


def render(source: str) -> str:
    """Markdown from a member, as HTML that is safe to show to everyone."""
    return nh3.clean(
        _md.render(source),
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
        strip_comments=True,
    )


@dataclass(frozen=True)
class CrisisKind:
    id: str
    label: str
    pattern: re.Pattern[str]


@cache
def crisis_kinds() -> tuple[CrisisKind, ...]:
    raw = tomllib.loads(files("slowtaper.community").joinpath("data/crisis.toml").read_text(encoding="utf-8"))
    out = []
    for kid, kind in raw["kinds"].items():
        words = sorted((" ".join(p.lower().split()) for p in kind["phrases"]), key=len, reverse=True)
        alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
        out.append(CrisisKind(kid, kind["label"], re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.I)))
    return tuple(out)


def crisis_in(*texts: str) -> list[CrisisKind]:
    """The kinds of danger these texts speak of (empty when none). Curly apostrophes count as straight ones."""
    text = " ".join(texts).replace("\u2019", "'")
    return [k for k in crisis_kinds() if k.pattern.search(text)]
