"""Board text: Markdown to safe HTML, and the crisis-phrase check. Pure functions, no database.

Rendering is two locks, not one: markdown-it-py with raw HTML, images and headings switched off (raw HTML is
shown as text, not passed through), then nh3 (the Rust `ammonia` sanitiser) with an explicit allowlist of tags
and attributes and only http, https and mailto links. Whatever the first lets through, the second removes:
no script, style, iframe, image, form, event-handler attribute or `javascript:` link survives.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
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
    pattern: re.Pattern[str]  # every phrase and pattern of the kind, as one alternation
    unnegatable: re.Pattern[str] | None = None  # phrases a "not" before them does not excuse


def _phrase(text: str) -> str:
    """A literal phrase as a regular expression: any run of spaces matches, and an apostrophe may be left out
    ("dont", "cant") or typed as a curly one (curly ones are straightened before matching)."""
    words = " ".join(text.lower().split())
    return re.escape(words).replace(r"\ ", r"\s+").replace("'", "'?")


def _alternation(phrases: list[str], patterns: list[str]) -> str:
    literal = sorted(phrases, key=len, reverse=True)
    return "|".join([*(_phrase(p) for p in literal), *patterns])


@dataclass(frozen=True)
class CrisisRules:
    kinds: tuple[CrisisKind, ...]
    negation: re.Pattern[str]  # matched against the text just before a phrase
    guidance: re.Pattern[str]  # matched against the sentence holding a phrase
    fold_accents: bool = False  # phrases and text both read without accents ("convulsion" is "convulsión")


# Each language has its own phrase list, negation words and guidance (data/crisis.toml is English, the others
# data/crisis.<code>.toml with the same kinds). A text is read with every list, whatever language the page was
# in: a member may write Spanish on an English page. The kinds' labels come from the English file.
CRISIS_LANGUAGES = ("en", "es")


def fold_accents(text: str) -> str:
    """`text` without accents or other combining marks ("sé" → "se", "ñ" → "n"), for languages whose writers
    often leave them out."""
    return unicodedata.normalize(
        "NFC", "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    )


@cache
def crisis_rules(language: str = "en") -> CrisisRules:
    name = "data/crisis.toml" if language == "en" else f"data/crisis.{language}.toml"
    source = files("slowtaper.community").joinpath(name).read_text(encoding="utf-8")
    fold = bool(tomllib.loads(source).get("fold_accents", False))
    raw = tomllib.loads(fold_accents(source) if fold else source)
    kinds = []
    for kid, kind in raw["kinds"].items():
        body = _alternation(kind["phrases"], kind.get("patterns", []))
        whole = re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.I)
        never = kind.get("unnegatable", [])
        unneg = re.compile(rf"(?:{_alternation(never, [])})\Z", re.I) if never else None
        kinds.append(CrisisKind(kid, kind.get("label", kid), whole, unneg))
    neg = raw["negation"]
    negators = "|".join(_phrase(w) for w in sorted(neg["words"], key=len, reverse=True))
    # The negator, then at most `gap` plain words (no punctuation: a comma ends the clause), then the phrase.
    negation = re.compile(rf"(?<![\w'])(?:{negators})(?:\s+[\w']+){{0,{int(neg['gap'])}}}\s+\Z", re.I)
    guidance = re.compile("|".join(raw["guidance"]["patterns"]), re.I)
    return CrisisRules(tuple(kinds), negation, guidance, fold)


def crisis_kinds() -> tuple[CrisisKind, ...]:
    return crisis_rules("en").kinds


_SENTENCE_END = re.compile(r"[.!?\n]")


def _sentence(text: str, start: int, end: int) -> str:
    before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, end)
    return text[(before[-1] if before else 0) : (after.start() if after else len(text))]


def _counts(kind: CrisisKind, rules: CrisisRules, text: str, guidance_ok: bool) -> bool:
    for match in kind.pattern.finditer(text):
        phrase = match.group(0)
        negatable = kind.unnegatable is None or not kind.unnegatable.search(phrase)
        if negatable and rules.negation.search(text[: match.start()]):
            continue  # "not suicidal", "never had a seizure"
        if guidance_ok and rules.guidance.search(_sentence(text, match.start(), match.end())):
            continue  # "If you ever feel suicidal, call 988" from a mentor or staff member
        return True
    return False


# Letters from other scripts that look like Latin ones, as people (or a keyboard) slip them into words; folded
# before matching so "dіe" with a Cyrillic і is read as "die". NFKC folds full-width and styled letters already.
_CONFUSABLES = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "һ": "h",
        "ӏ": "l",
        "ք": "q",
        "ԝ": "w",
        "А": "A",
        "В": "B",
        "Е": "E",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "O",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "Х": "X",
        "І": "I",
        "Ј": "J",
        "Ѕ": "S",
        "α": "a",
        "ο": "o",
        "ρ": "p",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "τ": "t",
        "υ": "u",
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\uff07": "'",
    }
)


def normalise(text: str) -> str:
    """Text as the crisis matcher reads it: compatibility forms folded (NFKC), invisible format characters
    (zero-width spaces and joiners, soft hyphens, direction marks) removed, look-alike letters folded to Latin,
    curly apostrophes straightened. "d\u200bie" and "kіll myself" with a Cyrillic і are read as they look."""
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return visible.translate(_CONFUSABLES)


def crisis_in(*texts: str, guidance_ok: bool = False) -> list[CrisisKind]:
    """The kinds of danger these texts speak of (empty when none), read after `normalise`; a phrase right after
        a negation does not count ("I am not suicidal"); with `guidance_ok` (a mentor's or staff member's post), nor
        does one in a sentence of safety guidance ("if you feel suicidal, call 988"). Every language's list is read
    (CRISIS_LANGUAGES), each with its own negations and guidance."""
    text = normalise(" ".join(texts))
    found = set()
    for language in CRISIS_LANGUAGES:
        rules = crisis_rules(language)
        read = fold_accents(text) if rules.fold_accents else text
        found |= {k.id for k in rules.kinds if _counts(k, rules, read, guidance_ok)}
    return [k for k in crisis_kinds() if k.id in found]
