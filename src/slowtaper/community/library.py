"""The education library: pages kept as Markdown files with TOML front matter in `education/`, and a page per
drug generated from the catalogue and the screening data, every figure with its source.

A page cites with `{cite:KEY}`, where KEY is a source in the catalogue's sources.toml; the citation list at the
foot of the page comes from there, so a figure and its source cannot drift apart, and an unknown key stops the
page from loading (a test loads them all).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import nh3
from markdown_it import MarkdownIt

from slowtaper.taper import catalogue, screening

from .text import ATTRIBUTES, SCHEMES, TAGS

_md = MarkdownIt("commonmark", {"html": False}).disable(["image", "html_block", "html_inline"])
PAGE_TAGS = TAGS | {"h2", "h3", "sup"}
CITE = re.compile(r"\{cite:([a-z0-9_]+)\}")


@dataclass(frozen=True)
class Citation:
    n: int
    key: str
    text: str
    url: str
    verified: bool


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    summary: str
    order: int
    html: str
    citations: tuple[Citation, ...]


def _citations(html: str) -> tuple[str, tuple[Citation, ...]]:
    sources = catalogue().sources
    numbers: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in sources:
            raise ValueError(f"unknown source {key!r}: add it to taper/data/sources.toml")
        n = numbers.setdefault(key, len(numbers) + 1)
        return f'<sup><a href="#source-{key}">[{n}]</a></sup>'

    html = CITE.sub(number, html)
    cites = tuple(
        Citation(n, key, sources[key].citation, sources[key].url, sources[key].verified) for key, n in numbers.items()
    )
    return html, cites


def parse(slug: str, text: str) -> Page:
    if not text.startswith("+++\n"):
        raise ValueError(f"{slug}: a page starts with +++ front matter")
    front, _sep, body = text[4:].partition("\n+++\n")
    meta: dict[str, Any] = tomllib.loads(front)
    missing = {"title", "summary", "order"} - meta.keys()
    if missing:
        raise ValueError(f"{slug}: front matter needs {', '.join(sorted(missing))}")
    clean = nh3.clean(_md.render(body), tags=PAGE_TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES)
    html, cites = _citations(clean)
    return Page(slug, meta["title"], meta["summary"], int(meta["order"]), html, cites)


@cache
def pages() -> dict[str, Page]:
    folder = files("slowtaper.community").joinpath("education")
    found = [
        parse(f.name.removesuffix(".md"), f.read_text(encoding="utf-8"))
        for f in folder.iterdir()
        if f.name.endswith(".md")
    ]
    return {p.slug: p for p in sorted(found, key=lambda p: (p.order, p.slug))}


def _applies(when: dict[str, Any], drug: str) -> bool:
    if "drugs" in when and drug not in when["drugs"]:
        return False
    return not ("drugs_except" in when and drug in when["drugs_except"])


def drug_page(drug_id: str) -> dict[str, Any]:
    """Everything the drug's page shows, each figure with its source key (resolved by the template)."""
    cat = catalogue()
    drug = cat.drug(drug_id)
    rules = screening().rules
    interactions = [
        r for r in rules if ("comedications" in r.when or "comedications_all" in r.when) and _applies(r.when, drug.id)
    ]
    warnings = [
        r for r in rules if "conditions" in r.when and "comedications" not in r.when and _applies(r.when, drug.id)
    ]
    by_region: dict[str, list[Any]] = {}
    for product in cat.products:
        if product.drug == drug.id:
            for region in product.regions:
                by_region.setdefault(region, []).append(product)
    used = {f.source for f in (drug.half_life_h, drug.tmax_h, *drug.equivalence.values()) if f is not None}
    used |= {r.source for r in (*interactions, *warnings)} | {p.source for ps in by_region.values() for p in ps}
    sources = {k: cat.sources[k] for k in sorted(used) if k in cat.sources}
    return {
        "drug": drug,
        "equivalence": sorted(drug.equivalence.items()),
        "products": sorted(by_region.items()),
        "interactions": interactions,
        "warnings": warnings,
        "sources": sources,
    }
