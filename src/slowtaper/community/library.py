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
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from slowtaper.i18n import data_text
from slowtaper.taper import catalogue, screening

from .text import ATTRIBUTES, SCHEMES, TAGS

_md = MarkdownIt("commonmark", {"html": False}).disable(["image", "html_block", "html_inline"])
PAGE_TAGS = TAGS | {"h2", "h3", "sup"}
CITE = re.compile(r" ?\{cite:([a-z0-9_]+)\}")  # the footnote sits against the word it follows


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


def footnotes(keys: list[str]) -> tuple[tuple[Citation, ...], dict[str, int]]:
    """Numbered sources for a page that cites the catalogue's source keys, in order of first use: the list to
    show at the foot of the page and each key's number (pages show "[1]", never a key like "joint2025")."""
    sources = catalogue().sources
    numbers: dict[str, int] = {}
    for key in keys:
        if key in sources:
            numbers.setdefault(key, len(numbers) + 1)
    cites = tuple(
        Citation(n, key, sources[key].citation, sources[key].url, sources[key].verified) for key, n in numbers.items()
    )
    return cites, numbers


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


def pages(folder_name: str = "education", language: str | None = None) -> dict[str, Page]:
    """The Markdown pages of one folder of this package: `education` (the Learn library) or `site` (the
    public site's own pages), by slug, in their front matter's order. Each page in the reader's language (the
    active one unless `language` is given) where the folder has it as `<slug>.<language>.md` (`withdrawal.es.md`),
    else in English (`withdrawal.md`)."""
    return _pages(folder_name, (language or get_language() or "en").split("-")[0])


@cache  # per folder and language: the cache must not hand one reader's language to the next
def _pages(folder_name: str, code: str) -> dict[str, Page]:
    folder = files("slowtaper.community").joinpath(folder_name)
    names = {f.name for f in folder.iterdir()}
    found = []
    for name in sorted(names):
        slug, _dot, kind = name.partition(".")
        if kind != "md":  # a translation ("withdrawal.es.md") is read in place of its English page
            continue
        chosen = f"{slug}.{code}.md" if f"{slug}.{code}.md" in names else name
        found.append(parse(slug, folder.joinpath(chosen).read_text(encoding="utf-8")))
    return {p.slug: p for p in sorted(found, key=lambda p: (p.order, p.slug))}


@dataclass(frozen=True)
class Caution:
    """A screening rule told to a reader who has not been screened: whom it concerns (from the rule's
    conditions, co-medications, age or pregnancy), how much care it asks for, and why in plain words (the rule's
    `reader` text: the clinicians' notes are for clinicians)."""

    who: str
    care: str
    setting: str
    reason: str
    source: str


# How much care each severity asks for, in words for the public (the severities are the screening's own).
CARE = {
    "info": gettext_lazy("Good to know"),
    "caution": gettext_lazy("Take extra care"),
    "refer": gettext_lazy("A clinician reviews this before the taper"),
    "urgent": gettext_lazy("Get help before any change"),
}


def _applies(when: dict[str, Any], drug: str) -> bool:
    if "drugs" in when and drug not in when["drugs"]:
        return False
    return not ("drugs_except" in when and drug in when["drugs_except"])


def _mid(label: str) -> str:
    """A label as it reads inside a sentence: "Alcohol, even ..." becomes "alcohol, even ..."; acronyms
    such as "COPD" keep their capitals."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _who(when: dict[str, Any]) -> str:
    """Whom a rule concerns, in the screening's own labels; "" for rules about a member's dose or history of
    use, which mean nothing without their answers."""
    data = screening()
    parts = [data_text(data.conditions[c].label) for c in when.get("conditions", [])]
    taken = [data_text(data.comedications[c].label) for c in when.get("comedications", [])]
    if taken:
        parts.append(_(" or ").join([*taken[:1], *map(_mid, taken[1:])]))
    if "comedications_all" in when:
        together = [data_text(data.comedications[c].label) for c in when["comedications_all"]]
        parts.append(_(", together with ").join([*together[:1], *map(_mid, together[1:])]))
    if "age_min" in when:
        parts.append(_("Age %(n)s or over") % {"n": when["age_min"]})
    if "age_max" in when:
        parts.append(_("Age %(n)s or under") % {"n": when["age_max"]})
    if when.get("pregnant"):
        parts.append(_("Pregnancy"))
    if when.get("breastfeeding"):
        parts.append(_("Breastfeeding"))
    if "dose_band" in when or "risk" in when:
        return ""
    return _("; and ").join([*parts[:1], *map(_mid, parts[1:])])


def _cautions(drug: str, medicines: bool) -> list[Caution]:
    data = screening()
    out = []
    for r in data.rules:
        about_medicines = "comedications" in r.when or "comedications_all" in r.when
        who = _who(r.when)
        if who and about_medicines == medicines and _applies(r.when, drug):
            out.append(
                Caution(who, str(CARE[r.severity]), data_text(data.settings[r.setting]), data_text(r.reader), r.source)
            )
    return out


# The equivalence tables by the names a reader knows them by (the catalogue keys them "ashton", "vadod", ...).
EQUIVALENCE_NAMES = {
    "ashton": gettext_lazy("Ashton Manual"),
    "vadod": gettext_lazy("US VA/DoD guideline"),
    "nhsscot": gettext_lazy("NHS Scotland"),
    "medscape": gettext_lazy("Medscape"),
}


def drug_page(drug_id: str) -> dict[str, Any]:
    """Everything the drug's page shows, each figure with its source key (resolved by the template). Warnings
    and interactions come from the screening rules, told generally (the rules' own texts speak to a member
    about their answers)."""
    cat = catalogue()
    drug = cat.drug(drug_id)
    interactions = _cautions(drug.id, medicines=True)
    warnings = _cautions(drug.id, medicines=False)
    by_region: dict[str, list[Any]] = {}
    for product in cat.products:
        if product.drug == drug.id:
            for region in product.regions:
                by_region.setdefault(region, []).append(product)
    equivalence = [(EQUIVALENCE_NAMES.get(k, k), f) for k, f in sorted(drug.equivalence.items())]
    products = sorted(by_region.items())
    # Numbered in the order the page shows them, so a reader meets [1], [2], ... and never a source key.
    used = [f.source for f in (drug.half_life_h, drug.tmax_h, *(f for _k, f in equivalence)) if f is not None]
    used += [p.source for _r, ps in products for p in ps] + [r.source for r in (*interactions, *warnings)]
    cites, numbers = footnotes(used)
    return {
        "drug": drug,
        "equivalence": equivalence,
        "products": products,
        "interactions": interactions,
        "warnings": warnings,
        "citations": cites,
        "numbers": numbers,
    }


@dataclass(frozen=True)
class Circumstance:
    """A screening rule told to someone deciding whether the program suits them: whom it concerns and the
    source; the group it sits in says where a taper is safest and how much care it asks."""

    who: str
    source: str


# The groups of the "who it is for" page, most careful first: (setting, severities) of the screening's rules.
GROUPS = {
    "supervised": ("supervised", ("urgent", "refer", "caution")),
    "specialist": ("specialist", ("urgent", "refer", "caution")),
    "review": ("home", ("refer",)),
    "care": ("home", ("caution",)),
}


def circumstances() -> dict[str, list[Circumstance]]:
    """The screening's rules that hold whatever the drug and the dose, by group (see GROUPS). Rules about one
    drug are on that drug's page; rules about the dose or history of use need a person's own answers."""
    out: dict[str, list[Circumstance]] = {g: [] for g in GROUPS}
    for r in screening().rules:
        who = _who(r.when)
        if not who or "drugs" in r.when or "drugs_except" in r.when:
            continue
        for group, (setting, severities) in GROUPS.items():
            if r.setting == setting and r.severity in severities:
                out[group].append(Circumstance(who, r.source))
    return out
