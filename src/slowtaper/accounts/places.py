"""Countries, the program's regions, and each country's time zones, in plain words.

A member chooses a country; the country decides the region (the products on offer and the emergency numbers,
`slowtaper.taper.REGIONS`) and narrows the time zones to that country's few, each with a plain label. Nobody is
shown the ~600 raw zone names.

The country list and each country's zones come from the tz database's `zone.tab` and `iso3166.tab` in
/usr/share/zoneinfo when the machine has them (kept fresh by the operating system), else from the copy built from
them into `data/zones.tsv` (`python -m slowtaper.accounts.places > src/slowtaper/accounts/data/zones.tsv`
rebuilds it). Zones the installed zoneinfo does not know are dropped. For the United States and Australia, whose
zone.tab lists many zones that differ only in past years, members see the short list in `PLAIN` below; any other
zone of theirs is still accepted when saved.

Those tables name countries in English. A reader in another language sees a served country's name from the
catalogues (`SERVED_TEXTS`) and any other country's from CLDR through Babel (`territory_name`), sorted as that
reader looks names up (`_in_name_order`).
"""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from django.utils.translation import get_language, gettext, gettext_noop, to_locale
from django.utils.translation import gettext_lazy as _

SYSTEM = Path("/usr/share/zoneinfo")

EU = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()  # noqa: SIM905
# The region each served country belongs to; a country not here is one the program does not serve yet.
COUNTRY_REGION: dict[str, str] = {"US": "US", "GB": "UK", "AU": "AU"} | dict.fromkeys(EU, "EU")

REGION_NAMES = {
    "US": _("the United States"),
    "UK": _("the United Kingdom"),
    "EU": _("the European Union"),
    "AU": _("Australia"),
}

# Plain labels, and for US and AU the whole short list (today's clocks; zones that differ only in past years
# are left out). Other countries' zones are labelled from zone.tab's comment or the city name.
PLAIN: dict[str, dict[str, str]] = {
    "US": {
        "America/New_York": "Eastern time (New York, Atlanta, Miami, Detroit)",
        "America/Chicago": "Central time (Chicago, Dallas, Houston)",
        "America/Denver": "Mountain time (Denver, Salt Lake City, Boise)",
        "America/Phoenix": "Arizona (no daylight saving)",
        "America/Los_Angeles": "Pacific time (Los Angeles, Seattle)",
        "America/Anchorage": "Alaska",
        "America/Adak": "Aleutian Islands",
        "Pacific/Honolulu": "Hawaii",
    },
    "AU": {
        "Australia/Sydney": "New South Wales, ACT (Sydney, Canberra)",
        "Australia/Melbourne": "Victoria (Melbourne)",
        "Australia/Brisbane": "Queensland (Brisbane; no daylight saving)",
        "Australia/Adelaide": "South Australia (Adelaide)",
        "Australia/Darwin": "Northern Territory (Darwin)",
        "Australia/Perth": "Western Australia (Perth)",
        "Australia/Hobart": "Tasmania (Hobart)",
        "Australia/Broken_Hill": "Broken Hill",
        "Australia/Lord_Howe": "Lord Howe Island",
    },
    "GB": {"Europe/London": "United Kingdom (London)"},
    "ES": {"Europe/Madrid": "Mainland Spain and the Balearic Islands (Madrid)"},
    "PT": {"Europe/Lisbon": "Mainland Portugal (Lisbon)"},
}
# The names of the served countries and of their zones as listed today, for the catalogues: each is shown in the
# reader's language when it has a translation (`Country.shown`, `Zone.shown`). Countries not served yet take
# their name in the reader's language from CLDR (Babel); a zone label the tz database adds later shows in
# English. Regenerate when the served list or PLAIN changes: every name and label `served()` shows.
SERVED_TEXTS = (
    gettext_noop("Australia"),
    gettext_noop("New South Wales, ACT (Sydney, Canberra)"),
    gettext_noop("Victoria (Melbourne)"),
    gettext_noop("Queensland (Brisbane; no daylight saving)"),
    gettext_noop("South Australia (Adelaide)"),
    gettext_noop("Northern Territory (Darwin)"),
    gettext_noop("Western Australia (Perth)"),
    gettext_noop("Tasmania (Hobart)"),
    gettext_noop("Broken Hill"),
    gettext_noop("Lord Howe Island"),
    gettext_noop("Austria"),
    gettext_noop("Vienna"),
    gettext_noop("Belgium"),
    gettext_noop("Brussels"),
    gettext_noop("Bulgaria"),
    gettext_noop("Sofia"),
    gettext_noop("Croatia"),
    gettext_noop("Zagreb"),
    gettext_noop("Cyprus"),
    gettext_noop("most of Cyprus (Nicosia)"),
    gettext_noop("Northern Cyprus (Famagusta)"),
    gettext_noop("Czechia"),
    gettext_noop("Prague"),
    gettext_noop("Denmark"),
    gettext_noop("Copenhagen"),
    gettext_noop("Estonia"),
    gettext_noop("Tallinn"),
    gettext_noop("Finland"),
    gettext_noop("Helsinki"),
    gettext_noop("France"),
    gettext_noop("Paris"),
    gettext_noop("Germany"),
    gettext_noop("most of Germany (Berlin)"),
    gettext_noop("Busingen"),
    gettext_noop("Greece"),
    gettext_noop("Athens"),
    gettext_noop("Hungary"),
    gettext_noop("Budapest"),
    gettext_noop("Ireland"),
    gettext_noop("Dublin"),
    gettext_noop("Italy"),
    gettext_noop("Rome"),
    gettext_noop("Latvia"),
    gettext_noop("Riga"),
    gettext_noop("Lithuania"),
    gettext_noop("Vilnius"),
    gettext_noop("Luxembourg"),
    gettext_noop("Malta"),
    gettext_noop("Netherlands"),
    gettext_noop("Amsterdam"),
    gettext_noop("Poland"),
    gettext_noop("Warsaw"),
    gettext_noop("Portugal"),
    gettext_noop("Mainland Portugal (Lisbon)"),
    gettext_noop("Madeira Islands"),
    gettext_noop("Azores"),
    gettext_noop("Romania"),
    gettext_noop("Bucharest"),
    gettext_noop("Slovakia"),
    gettext_noop("Bratislava"),
    gettext_noop("Slovenia"),
    gettext_noop("Ljubljana"),
    gettext_noop("Spain"),
    gettext_noop("Mainland Spain and the Balearic Islands (Madrid)"),
    gettext_noop("Ceuta, Melilla"),
    gettext_noop("Canary Islands"),
    gettext_noop("Sweden"),
    gettext_noop("Stockholm"),
    gettext_noop("United Kingdom"),
    gettext_noop("United Kingdom (London)"),
    gettext_noop("United States"),
    gettext_noop("Eastern time (New York, Atlanta, Miami, Detroit)"),
    gettext_noop("Central time (Chicago, Dallas, Houston)"),
    gettext_noop("Mountain time (Denver, Salt Lake City, Boise)"),
    gettext_noop("Arizona (no daylight saving)"),
    gettext_noop("Pacific time (Los Angeles, Seattle)"),
    gettext_noop("Alaska"),
    gettext_noop("Aleutian Islands"),
    gettext_noop("Hawaii"),
)

# Names people use where iso3166.tab's differ.
NAMES = {"GB": "United Kingdom", "CZ": "Czechia"}
SHORT_ONLY = {"US", "AU"}


@dataclass(frozen=True)
class Zone:
    name: str  # the tz database name, e.g. "Europe/London"
    label: str  # what a person reads, e.g. "United Kingdom (London)"

    @property
    def shown(self) -> str:
        """The label in the reader's language ("Reino Unido (Londres)"), where it has a translation."""
        return gettext(self.label)


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166 alpha-2, e.g. "GB"
    name: str
    zones: tuple[Zone, ...]  # the short list a person picks from (may be empty)
    all_zones: frozenset[str]  # every zone accepted for this country

    @property
    def shown(self) -> str:
        """The name in the reader's language ("España", "Japón"): the catalogues' translation for a served
        country, else CLDR's name for the code (`territory_name`); in English, the name as listed."""
        translated = gettext(self.name)
        return translated if translated != self.name else territory_name(self.code, self.name)

    @property
    def region(self) -> str | None:
        """The program's region, or None when the program does not serve this country."""
        return COUNTRY_REGION.get(self.code)


@cache
def _cldr_territories(locale: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(locale).territories)
    except (UnknownLocaleError, ValueError):
        return {}


def territory_name(code: str, english: str) -> str:
    """CLDR's name for the country `code` in the reader's language ("JP" -> "Japón" in Spanish); `english` (the
    tz database's name, or ours in `NAMES`) for an English reader or a code CLDR does not know."""
    language = get_language() or "en"
    if language.split("-")[0] == "en":
        return english
    return _cldr_territories(to_locale(language)).get(code, english)


def _rows_from(zone_tab: str, iso_tab: str) -> list[tuple[str, str, str, str]]:
    """(country code, country name, zone, comment) for every zone.tab row; countries without a zone too."""
    names = {}
    for line in iso_tab.splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t")[:2]
            names[code] = name
    rows, seen = [], set()
    for line in zone_tab.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            code, zone, comment = parts[0], parts[2], parts[3] if len(parts) > 3 else ""
            rows.append((code, names.get(code, code), zone, comment))
            seen.add(code)
    rows += [(code, name, "", "") for code, name in names.items() if code not in seen]
    return rows


def _read() -> list[tuple[str, str, str, str]]:
    try:
        return _rows_from(
            (SYSTEM / "zone.tab").read_text(encoding="utf-8"), (SYSTEM / "iso3166.tab").read_text(encoding="utf-8")
        )
    except OSError:
        text = files("slowtaper.accounts").joinpath("data/zones.tsv").read_text(encoding="utf-8")
        return [tuple(line.split("\t")) for line in text.splitlines() if line]  # type: ignore[misc]


def _label(code: str, zone: str, comment: str, only_one: bool) -> str:
    if zone in PLAIN.get(code, {}):
        return PLAIN[code][zone]
    city = zone.rsplit("/", 1)[-1].replace("_", " ")
    if only_one or not comment:
        return city
    return f"{comment} ({city})" if city.lower() not in comment.lower() else comment


@cache
def countries() -> dict[str, Country]:
    """Every country by code, in name order."""
    known = available_timezones()
    grouped: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for code, name, zone, comment in _read():
        entry = grouped.setdefault(code, (NAMES.get(code, name), []))
        if zone and zone in known:
            entry[1].append((zone, comment))
    out = {}
    for code, (name, zones) in sorted(grouped.items(), key=lambda kv: kv[1][0]):
        shown = [(z, c) for z, c in zones if code not in SHORT_ONLY or z in PLAIN[code]]
        if code in PLAIN:  # the plain list's order (east to west), not zone.tab's
            order = list(PLAIN[code])
            shown.sort(key=lambda zc: order.index(zc[0]) if zc[0] in order else len(order))
        listed = tuple(Zone(z, _label(code, z, c, len(shown) == 1)) for z, c in shown)
        out[code] = Country(code, name, listed, frozenset(z for z, _c in zones))
    return out


def served() -> list[Country]:
    return [c for c in countries().values() if c.region is not None]


def _in_name_order(pairs: list[tuple[Any, Any]], by: int = 1) -> list[tuple[Any, Any]]:
    """`pairs` sorted by their name (item `by`) as the reader would look it up: accents and case aside, so
    "Éire" sits among the E's ("España" after "Eslovenia")."""

    def key(pair: tuple[Any, Any]) -> str:
        text = unicodedata.normalize("NFKD", str(pair[by]))
        return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()

    return sorted(pairs, key=key)


def country_choices() -> list[tuple[str, object]]:
    """Grouped choices for a country picker: the countries the program serves, then every other country."""
    return [
        ("", _("Choose your country")),
        (_("Where slowtaper works"), _in_name_order([(c.code, c.shown) for c in served()])),
        (_("Other countries"), _in_name_order([(c.code, c.shown) for c in countries().values() if c.region is None])),
    ]


def zone_choices(country: str | None = None) -> list[tuple[str, object]]:
    """Grouped choices for a time-zone picker: one country's short list, or (no country yet) every served
    country's, grouped by country. A few dozen plain names, never the whole database."""
    picked = [countries()[country]] if country in countries() else served()  # type: ignore[index]
    groups = _in_name_order([(c.shown, [(z.name, z.shown) for z in c.zones]) for c in picked], by=0)
    return [("", _("Choose a time zone")), *groups]


def zone_label(zone: str) -> str:
    """The plain label for a zone name, wherever it is listed; else the name with spaces."""
    for country in countries().values():
        for z in country.zones:
            if z.name == zone:
                return z.shown
    return zone.replace("_", " ")


def country_for_zone(zone: str) -> str | None:
    """The country whose short list offers `zone` (a served country first), for proposing a country."""
    for c in [*served(), *countries().values()]:
        if any(z.name == zone for z in c.zones):
            return c.code
    return None


def main() -> None:
    """Print the packaged fallback table from this machine's tz database."""
    zone_tab = (SYSTEM / "zone.tab").read_text(encoding="utf-8")
    iso_tab = (SYSTEM / "iso3166.tab").read_text(encoding="utf-8")
    for row in _rows_from(zone_tab, iso_tab):
        sys.stdout.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()
