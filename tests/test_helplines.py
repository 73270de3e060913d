"""Emergency and crisis numbers by country (accounts/data/helplines.toml): every number carries the page that
states it, an unchecked one is never shown, and a member whose country we hold sees its numbers on every page."""

from __future__ import annotations

import tomllib
from importlib.resources import files

from conftest import login
from slowtaper.accounts.helplines import Helpline, for_place, helplines, parse
from slowtaper.taper import diary

RAW = tomllib.loads(files("slowtaper.accounts").joinpath("data/helplines.toml").read_text(encoding="utf-8"))


def test_every_number_names_the_page_that_states_it():
    for code, entry in RAW.items():
        assert len(code) == 2 and code.isupper(), code
        for item in [entry, *entry.get("crisis", [])]:
            assert str(item["source"]).startswith(("https://", "http://")), (code, item)


def test_the_countries_the_issue_names_have_their_numbers():
    h = helplines()
    assert (h["ES"].number, [x.number for x in h["ES"].lines]) == ("112", ["024"])
    assert (h["MX"].number, [x.number for x in h["MX"].lines]) == ("911", ["800 911 2000"])
    assert (h["US"].number, [x.number for x in h["US"].lines]) == ("911", ["988"])
    assert (h["GB"].number, [x.number for x in h["GB"].lines]) == ("999", ["116 123"])
    assert h["CA"].number == "911" and h["AU"].number == "000" and h["IE"].number == "112"


def test_an_unchecked_number_is_never_shown():
    data = parse(
        """
[XA]
emergency = "111"
source = "https://example.org/a"
checked = 2026-01-01
[[XA.crisis]]
name = "Checked line"
number = "222"
source = "https://example.org/b"
checked = 2026-01-01
[[XA.crisis]]
name = "Unchecked line"
number = "333"
source = "https://example.org/c"
[XB]
emergency = "444"
source = "https://example.org/d"
"""
    )
    assert list(data) == ["XA"]
    assert [line.number for line in data["XA"].lines] == ["222"]
    assert data["XA"].crisis == "Checked line 222"


def test_a_country_without_a_crisis_line_says_to_call_its_emergency_number():
    assert Helpline("PT", "112", "https://example.org", ()).crisis == "112"


def test_a_country_we_do_not_hold_falls_back_to_its_region():
    assert for_place("SE", "EU") == diary().emergency["EU"]
    assert for_place("", None) is None
    assert for_place("ES", "EU") == helplines()["ES"]


def test_a_member_in_spain_sees_112_and_the_024_line_on_every_page(client, cast):
    cast.member.country, cast.member.region = "ES", "EU"
    cast.member.save(update_fields=["country", "region"])
    page = login(client, cast.member).get("/me/").content.decode()
    assert "<strong>112</strong>" in page and "Línea 024 de atención a la conducta suicida 024" in page


def test_the_help_page_lists_numbers_by_country_with_their_sources(client, db):
    page = client.get("/help/").content.decode()
    assert "Línea de la Vida: call 800 911 2000, any hour" in page
    assert "988 Suicide &amp; Crisis Lifeline: call or text 988, any hour" in page
    assert helplines()["ES"].lines[0].source in page
