"""The public site as an anonymous visitor sees it: the front door at `/`, the pages it links, the crisis
numbers for the visitor's chosen country, and the favicon. A crawl follows every link from the home page and
fails on a broken link or one that points into the repository."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from conftest import login, make_user
from slowtaper.accounts.models import Role
from slowtaper.community import library
from slowtaper.community.models import Story
from slowtaper.taper import REGIONS, catalogue, diary, screening

PUBLIC = ("/", "/how-it-works/", "/who-it-is-for/", "/learn/", "/stories/", "/contact/", "/help/", "/about/")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action") and value is not None:
                self.found.append(value)


def links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.found


def into_the_repository(href: str) -> bool:
    """A link a reader cannot follow: a path to a file of the source tree rather than a page or a web
    address (the Learn page once linked `shared/reference/symptoms.md`)."""
    if href.startswith(("http://", "https://", "mailto:", "tel:", "#", "?")):
        return False
    path = urlsplit(href).path
    return (
        not href.startswith("/")
        or path.endswith((".md", ".toml", ".py"))
        or any(part in path for part in ("shared/", "reference/", "src/"))
    )


@pytest.fixture
def published(db):
    author = make_user("writer", Role.MEMBER)
    now = timezone.now()
    return Story.objects.create(
        author=author, title="Two years, one slow step at a time", body="b", html="<p>b</p>", consent=now,
        status=Story.Status.PUBLISHED, published=now,
    )  # fmt: skip


def test_a_visitor_lands_on_the_programs_front_door_not_the_login_form(client, db):
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Come off benzodiazepines slowly" in body and 'type="password"' not in body
    assert 'class="button big" href="/contact/">Write to us' in body  # the page's one main action
    for path in ("/how-it-works/", "/who-it-is-for/", "/stories/", "/about/", "/help/"):
        assert f'href="{path}"' in body


@pytest.mark.parametrize(("role", "start"), [("member", "/me/"), ("clinician", "/clinic/"), ("staff", "/staff/")])
def test_logged_in_people_still_get_their_roles_home(client, db, role, start):
    login(client, make_user(role, role))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == start


def test_every_link_on_every_public_page_works_and_none_points_into_the_repository(client, db, published):
    """Crawl as an anonymous visitor from the home page (and the pages of PUBLIC, in case a link to one is
    removed): every page and link on this site answers without a 404 or 500."""
    seen: set[str] = set()
    queue = list(PUBLIC)
    crawled = 0
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        if response.status_code == 302 or "text/html" not in response["Content-Type"]:
            continue
        crawled += 1
        for href in links(response.content.decode()):
            assert not into_the_repository(href), (url, href)
            target, _fragment = urldefrag(urljoin(url, href))
            if not target or target.startswith(("http://", "https://", "mailto:", "tel:")):
                continue
            if target.startswith("/static/"):
                assert finders.find(target.removeprefix("/static/")), (url, href)
            elif target not in ("/accounts/logout/", "/language/"):  # forms that only take a POST
                queue.append(target)
    assert {"/learn/withdrawal/", "/learn/drugs/clonazepam/", f"/stories/{published.pk}/", "/accounts/login/"} <= seen
    assert crawled >= 20


def test_every_source_address_is_a_web_address():
    for source in catalogue().sources.values():
        assert source.url == "" or source.url.startswith(("https://", "http://")), source.key


def test_a_visitor_who_has_not_chosen_a_country_sees_a_short_international_list(client, db):
    body = client.get("/contact/").content.decode()
    for region in REGIONS:
        assert f"<strong>{diary().emergency[region].number}</strong>" in body
    assert "call <strong>911</strong> now" not in body  # not pretending the visitor is in the US
    assert "Anywhere else: your local emergency number." in body


def test_choosing_a_country_shows_its_numbers_and_is_remembered_without_javascript(client, db):
    response = client.get("/help/", {"region": "UK"})
    body = response.content.decode()
    assert response.cookies["region"].value == "UK" and response.cookies["region"]["httponly"]
    assert 'href="tel:999"' in body and "Samaritans on 116 123" in body
    assert '<option value="UK" selected>' in body
    # Every page after that shows the UK's numbers first, in the footer and on the contact form.
    contact = client.get("/contact/").content.decode()
    assert "Call <strong>999</strong> in an emergency" in contact
    assert "<strong>911</strong>" not in contact
    home = client.get("/").content.decode()
    assert "call <strong>999</strong> now" in home
    # Australia, by query alone (a link can carry the choice too).
    assert 'href="tel:000"' in client.get("/help/?region=AU").content.decode()
    # "Show every country" forgets the choice.
    forget = client.get("/help/", {"region": "all"})
    assert forget.cookies["region"].value == "" and "<strong>911</strong>" in forget.content.decode()


def test_an_unknown_country_is_not_a_choice(client, db):
    response = client.get("/help/", {"region": "XX"})
    assert response.status_code == 200 and "region" not in response.cookies
    assert "Choose your country below" in response.content.decode()


def test_a_logged_in_person_sees_their_own_regions_numbers(client, db):
    member = make_user("member", Role.MEMBER)
    member.region = "AU"
    member.save()
    login(client, member)
    body = client.get("/learn/").content.decode()
    assert "call <strong>000</strong> now" in body and "Lifeline on 13 11 14" in body


def test_the_help_page_lists_every_red_flag_and_cites_its_numbers(client, db):
    body = client.get("/help/").content.decode()
    for flag in diary().red_flags.values():
        assert flag.label in body
    assert 'id="source-emergency_numbers"' in body and "[emergency_numbers]" not in body


def test_who_it_is_for_comes_from_the_screening_rules_with_numbered_sources(client, db):
    body = client.get("/who-it-is-for/").content.decode()
    groups = library.circumstances()
    assert groups["supervised"] and groups["specialist"]
    for items in groups.values():
        for c in items:
            assert c.who in body.replace("&#x27;", "'")
    assert screening().settings["supervised"] in body
    suicidal = screening().conditions["suicidal"].label
    assert suicidal in body.split('id="specialist"')[0]  # in the supervised group, the first
    assert "more than 15 mg of diazepam" in body  # the guideline's high-dose band, from the data
    assert 'id="source-joint2025"' in body and "[joint2025]" not in body


def test_the_site_pages_cite_known_sources_and_say_nothing_of_a_price(client, db):
    pages = library.pages("site")
    assert set(pages) == {"how-it-works", "about"}
    how = client.get("/how-it-works/").content.decode()
    assert "You do not reduce until you feel better" in how and 'id="source-joint2025"' in how
    for body in (how, client.get("/").content.decode()):
        assert "What it costs" in body and "$" not in body and "£" not in body and "€" not in body


def test_the_favicon_is_linked_and_served_at_the_root(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an icon file's header
    body = client.get("/").content.decode()
    assert 'rel="icon" href="/static/slowtaper/favicon.svg"' in body
    assert finders.find("slowtaper/favicon.svg") and finders.find("slowtaper/favicon.ico")
    assert client.post("/favicon.ico").status_code == 405
