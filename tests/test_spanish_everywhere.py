"""Spanish everywhere: every page of the role x URL matrix and every email the app sends, read by someone whose
language is Spanish, holds no English sentence.

Catalogue completeness (test_translations.py) cannot see a string that was never marked for translation, nor
English put together into a sentence while the page runs. This looks at what a person actually reads: the visible
text of each page (scripts and styles left out; alt, title, placeholder and aria-label texts and button values
included) and the subject and body of each email, and fails on common English function words standing as whole
words ("the", "your", "with", ...). Allowed: the items and answer labels of questionnaires awaiting a validated
translation (slowtaper.i18n.AWAITING_VALIDATED_TRANSLATION), shown in English on purpose, and what the test's own
people wrote (a post, a hold request): people write in their own words.

A member or carer reads in the language of their setting (`User.locale`); a visitor in the language of the
language cookie that the switch sets.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail

from conftest import login
from slowtaper import i18n
from slowtaper.accounts.places import _in_name_order as places_in_name_order
from slowtaper.accounts.places import countries
from slowtaper.taper import catalogue
from test_web_access import ROLES, ROUTES, world  # noqa: F401  (world is a fixture used here)

# Words that stand in almost every English sentence and in no Spanish one, and the words of a dose (product names
# and amounts are put together at run time, so they are where English slips through) ("a", "no", "me", "he", "has" and
# "son" are Spanish words too, and Spanish writes May as "may" in short dates, so they are not here).
ENGLISH = frozenset(
    """
    the your you yours and with this that these those have will would should could please when what which who
    whom whose where why how are is was were been being its it's they their them there here our we from into
    about after before than then only also just yet not don't can't won't isn't of for to by on at or an if do
    does did can might must shall
    tablet tablets capsule capsules drops dose doses days weeks today
    """.split()  # noqa: SIM905 (a paragraph of words reads better than a list of 70 quoted strings)
)
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")  # letters, accented ones too ("oído" is one word, not "do")

# What the test's own people wrote (tests/test_web_access.py `world`): their words, not the program's.
WRITTEN_BY_PEOPLE = ("Thank you, week two now.", "Welcome, everyone.", "My taper", "not ready")
# Citations written out in a template's own sentence (a published title is cited as it was published).
CITED_IN_TEMPLATES = (
    "Busto UE, Sykora K, Sellers EM. A clinical scale to assess benzodiazepine withdrawal. "
    "Journal of Clinical Psychopharmacology, 1989.",
)

# Pages known to show English in Spanish, with what is missing. Each is an expected failure that must still fail
# (strict): when the gap is closed, the test says so, and the row goes.
KNOWN_GAPS: dict[str, str] = {}

SPANISH = "es"


class _VisibleText(HTMLParser):
    """The text a reader sees or hears from a page: text nodes outside script, style and template, and the
    attributes a screen reader or the browser shows (alt, title, placeholder, aria-label, a button's value).
    Text in `<code>` is left out too: keys and usernames in no language (a random key can spell "IS")."""

    SHOWN_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")
    HIDDEN = ("script", "style", "template", "code")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
            return
        values = dict(attrs)
        self.parts += [values[a] or "" for a in self.SHOWN_ATTRIBUTES if values.get(a)]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    """Each text node and shown attribute of `html`, whitespace made single, empty ones left out."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return [t for t in (_normal(p) for p in parser.parts) if t]


def _normal(text: str) -> str:
    return " ".join(text.split())


def _allowed() -> list[str]:
    """Texts that may stay in English, longest first: questionnaire items awaiting a validated translation, the
    titles of published sources as they were published (a citation is not translated), and the cast's words."""
    sources = catalogue().sources.values()
    texts = {*i18n.awaiting_validated_texts(SPANISH), *WRITTEN_BY_PEOPLE, *CITED_IN_TEMPLATES}
    texts |= {s.citation for s in sources} | {s.url for s in sources if s.url}
    return sorted({_normal(t) for t in texts if t}, key=len, reverse=True)


ALLOWED = _allowed()


def english_in(texts: list[str] | str) -> list[str]:
    """The texts (text nodes of a page, or lines of an email) that read as English: those with an English function
    word, once each. Allowed texts are taken out first, longest first (an answer label inside an item goes with
    the item)."""
    found: list[str] = []
    for text in [texts] if isinstance(texts, str) else texts:
        rest = _normal(text)
        for allowed in ALLOWED:
            rest = rest.replace(allowed, " ")
        if any(w.lower() in ENGLISH for w in WORD.findall(rest)) and text not in found:
            found.append(text)
    return found


def test_the_detector_finds_english_and_passes_spanish():
    assert english_in(["Su plan está listo.", "Please check  your doses."]) == ["Please check  your doses."]
    assert english_in("Hable con su profesional de salud si no se siente bien. Sí, me ayudó.") == []
    awaiting = max(i18n.awaiting_validated_texts(SPANISH), key=len)
    assert english_in(f"Preguntas: {awaiting}") == []
    page = "<html><head><style>.the{}</style><script>var your = 1;</script></head><body><p>Hola</p>"
    assert visible_text(page + '<img alt="the chart"> <input type="submit" value="Send it"></body></html>') == [
        "Hola",
        "the chart",
        "Send it",
    ]
    assert english_in(visible_text(page + "</body></html>")) == []


@pytest.fixture(autouse=True)
def _english_afterwards():
    """A request leaves its reader's language active in the thread (the middleware activates it and nothing
    resets it): tests after these ones expect the default."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


def _in_spanish(client, person) -> None:
    """`person` (None: a visitor) reads in Spanish from now on, as their setting or the switch's cookie says."""
    if person is None:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = SPANISH
    else:
        person.locale = SPANISH
        person.save(update_fields=["locale"])


def _everyone_in_spanish(cast) -> None:
    from slowtaper.accounts.models import User
    from slowtaper.community.models import ContactRequest

    User.objects.update(locale=SPANISH)
    ContactRequest.objects.update(language=SPANISH)  # those who wrote read the contact form in Spanish
    for name in vars(cast):
        getattr(cast, name).refresh_from_db()


GET_ROUTES = [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[n])) if n in KNOWN_GAPS else n
    for n in sorted(n for n, row in ROUTES.items() if row[0] == "GET")
]


def test_known_gaps_are_pages_of_the_matrix():
    assert set(KNOWN_GAPS) <= set(ROUTES)


@pytest.mark.parametrize("name", GET_ROUTES)
def test_every_page_reads_in_spanish(client, cast, world, name):  # noqa: F811
    """Each page, opened by every role that may open it (and by a visitor when visitors may), in Spanish."""
    _method, path, _data, allowed, default, anonymous = ROUTES[name]
    readers = [r for r in ROLES if allowed.get(r, default) == 200] + (["anonymous"] if anonymous == 200 else [])
    _everyone_in_spanish(cast)
    problems: dict[str, list[str]] = {}
    for role in readers:
        client.logout()
        client.cookies.clear()
        if role == "anonymous":
            _in_spanish(client, None)
        else:
            login(client, getattr(cast, role))
        response = client.get(path.format(**world))
        assert response.status_code == 200, (name, role)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue  # downloads (CSV, PDF, ZIP) and the icon: the exports have their own tests
        page = response.content.decode()
        assert f'<html lang="{SPANISH}">' in page, (name, role)
        if found := english_in(visible_text(page)):
            problems[role] = found
    assert problems == {}, _report(name, problems)


def _report(where: str, problems: dict[str, list[str]]) -> str:
    lines = [f"English read in Spanish on {where}:"]
    for who, found in problems.items():
        lines += [f"  {who}: {stretch!r}" for stretch in found]
    return "\n".join(lines)


POST_ROUTES = sorted(n for n, row in ROUTES.items() if row[0] == "POST")


@pytest.mark.parametrize("name", POST_ROUTES)
def test_what_each_action_says_and_emails_reads_in_spanish(client, cast, world, name):  # noqa: F811
    """Each action of the matrix, done by every role that may do it, with everyone reading Spanish: the message
    shown after it and every email it sends (to anyone) hold no English."""
    _method, path, data, allowed, default, _anonymous = ROUTES[name]
    doers = [r for r in ROLES if allowed.get(r, default) in (200, 302)]
    _everyone_in_spanish(cast)
    problems: dict[str, list[str]] = {}
    for role in doers:
        client.logout()
        login(client, getattr(cast, role))
        mail.outbox.clear()
        response = client.post(path.format(**world), data)
        said = [str(m) for m in get_messages(response.wsgi_request)]
        if found := english_in(said):
            problems[f"{role}, message"] = found
        for email in mail.outbox:
            if found := english_in([email.subject, *email.body.splitlines()]):
                problems[f"{role}, email to {', '.join(email.to)}"] = found
    assert problems == {}, _report(name, problems)


def test_someone_who_writes_in_spanish_is_answered_and_welcomed_in_spanish(client, cast):
    """A visitor reading the contact form in Spanish: the acknowledgement, staff's answer, the account made for
    them and its welcome email are all Spanish, though the staff member reads English."""
    from slowtaper.community.models import ContactRequest

    _in_spanish(client, None)
    words = "Tomo clonazepam desde hace seis años y quiero dejarlo despacio."
    form = {"name": "Ana López", "email": "ana@example.org", "country": "ES", "time_zone": "Europe/Madrid"}
    form |= {"medication": "clonazepam 0,5 mg dos veces al día", "message": words, "consent": "on"}
    assert client.post("/contact/", form).status_code == 200
    item = ContactRequest.objects.get()
    assert item.language == SPANISH
    staff = login(client, cast.staff)
    staff.post(f"/staff/requests/{item.pk}/reply/", {"body": "Hola Ana, gracias por escribir."})
    staff.post(f"/staff/requests/{item.pk}/invite/")
    to_ana = [m for m in mail.outbox if m.to == ["ana@example.org"]]
    assert [m.subject for m in to_ana] == [
        "slowtaper: recibimos su mensaje",
        "slowtaper: respuesta a su mensaje",
        "slowtaper: su cuenta está lista",
    ]
    for email in to_ana:
        assert english_in([email.subject, *email.body.splitlines()]) == [], email.body
    item.refresh_from_db()
    assert item.member is not None and item.member.locale == SPANISH


def test_the_flows_that_alert_people_read_in_spanish(client, cast, approved):
    """A red flag in a check-in, a crisis on the board, a private message, an @mention and a password reset,
    with everyone reading Spanish: the pages the member lands on and every email anyone is sent."""
    from datetime import time

    from slowtaper.community.models import Category, Shift
    from test_web_member import checkin_post

    _everyone_in_spanish(cast)
    Shift.objects.create(mentor=cast.mentor, weekday=2, start=time(9), end=time(17))  # on duty now
    login(client, cast.member)
    pages = {
        "red flag": client.post("/me/checkin/", checkin_post(f_seizure="yes"), follow=True),
        "crisis post": client.post(
            f"/board/c/{Category.objects.get(slug='tapering').slug}/new/",
            {"title": "Anoche", "body": "Anoche tuve una convulsión y tengo miedo."},
            follow=True,
        ),
        "message": client.post(f"/messages/{cast.mentor.pk}/", {"body": "Semana difícil. ¿Hablamos?"}, follow=True),
        "mention": client.post(
            f"/board/c/{Category.objects.get(slug='coping').slug}/new/",
            {"title": "Dormir", "body": "@mentor ¿qué le ayudó a dormir?"},
            follow=True,
        ),
    }
    client.logout()
    client.cookies.clear()
    _in_spanish(client, None)
    pages["password reset"] = client.post("/accounts/password-reset/", {"email": cast.member.email}, follow=True)
    problems: dict[str, list[str]] = {}
    for what, response in pages.items():
        assert response.status_code == 200, what
        if found := english_in(visible_text(response.content.decode())):
            problems[f"page after {what}"] = found
    # The clinician (the red flag, the seizure on the board), the mentor on duty (the crisis post), the member (reset).
    told = {address for m in mail.outbox for address in m.to}
    assert {cast.clinician.email, cast.mentor.email, cast.member.email} <= told, told
    for email in mail.outbox:
        if found := english_in([email.subject, *email.body.splitlines()]):
            problems[f"email to {', '.join(email.to)}: {email.subject}"] = found
    assert problems == {}, _report("the alerting flows", problems)


def test_someone_who_chose_spanish_and_joins_has_a_spanish_account(client, cast):
    """The join form offers the language the visitor is reading in, so creating the account without touching the
    language field keeps them in Spanish (it was English: the walk found a new member's first page in English)."""
    from slowtaper.accounts.models import Invitation, User

    token = Invitation.objects.create(email="lucia@example.org", role="member", invited_by=cast.staff).token
    _in_spanish(client, None)
    page = client.get(f"/join/{token}/").content.decode()
    assert re.search(r'<select name="locale"[^>]*>(?:(?!</select>).)*<option value="es"[^>]* selected>', page, re.S)
    form = {"username": "lucia", "first_name": "Lucía", "country": "ES", "time_zone": "Europe/Madrid", "locale": "es"}
    form |= {"password1": "una frase larga para entrar", "password2": "una frase larga para entrar"}
    assert client.post(f"/join/{token}/", form).status_code == 302
    assert User.objects.get(username="lucia").locale == SPANISH
    assert '<html lang="es">' in client.get("/me/").content.decode()


def test_a_new_member_reads_their_products_in_spanish_with_spanish_numbers(client, cast):
    """The intake's list of products: "comprimido de 0,5 mg", not "0.5 mg tablet" (the walk found it)."""
    _in_spanish(client, cast.member)
    page = login(client, cast.member).get("/me/intake/").content.decode()
    assert "comprimido de 0,5 mg" in page and "comprimido bucodispersable de 0,125 mg (ODT)" in page
    assert "0.5 mg tablet" not in page


def test_the_clinician_reads_the_safety_screen_in_words_not_keys(client, cast, approved):
    """The intake summary on a member's page named the setting, the risk band and each finding's severity by the
    screening's keys ("home", "likely", "caution"), in English whatever the language (the walk found it)."""
    from django.utils import translation

    from slowtaper.taper import screening

    _in_spanish(client, cast.clinician)
    page = login(client, cast.clinician).get(f"/clinic/{cast.member.pk}/").content.decode()
    with translation.override(SPANISH):
        home = translation.gettext(screening().settings["home"])
    assert home != screening().settings["home"]
    assert f"<strong>{home}</strong>" in page and "<strong>home</strong>" not in page


def test_no_text_is_marked_for_translation_inside_an_f_string():
    """xgettext does not read a call inside an f-string, so `f"{_('diary')}"` never reaches the catalogues and
    stays English in every language (the chart's axis did). Look texts up before the f-string."""
    import ast
    from pathlib import Path

    lookups = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
    found = []
    for path in Path(i18n.PACKAGE).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                found += [
                    f"{path.name}:{call.lineno}"
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in lookups
                ]
    assert found == []


def test_the_chart_reads_in_spanish(client, cast, approved):
    _in_spanish(client, cast.member)
    page = login(client, cast.member).get("/me/chart/").content.decode()
    assert 'class="label score">diario</text>' in page
    assert " mg al día" in page
    # Its dates as Spanish writes them ("Del 5 de diciembre de 2026 al ..."), in the summary, the title and on the
    # points, not ISO; the axis with the day and the month.
    (caption,) = re.findall(r"<figcaption>(.*?)</figcaption>", page, re.S)
    assert re.match(r"Del \d{1,2} de [a-z]+ de \d{4} al \d{1,2} de [a-z]+ de \d{4}", caption), caption
    (svg,) = re.findall(r"<svg.*?</svg>", page, re.S)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", caption + svg), caption + svg
    assert re.search(r'class="label">\d{1,2} de [a-z]+</text>', svg), svg


def test_the_served_countries_and_their_zones_are_named_in_spanish(client, db):
    """The pickers of the join, contact and settings forms: 'España' and 'España peninsular e Islas Baleares
    (Madrid)', not 'Spain' and 'Mainland Spain and the Balearic Islands (Madrid)' (the walk found them)."""
    _in_spanish(client, None)
    page = client.get("/contact/").content.decode()
    assert '<option value="ES">España</option>' in page
    assert "España peninsular e Islas Baleares (Madrid)" in page and '<optgroup label="España">' in page
    assert "Mainland Spain" not in page


def _picker_groups(page: str) -> dict[str, list[tuple[str, str]]]:
    select = re.search(r'<select name="country".*?</select>', page, re.S).group(0)
    return {
        label: re.findall(r'<option value="([A-Z]{2})">([^<]+)</option>', body)
        for label, body in re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    }


def test_the_countries_not_served_are_named_in_spanish_in_name_order(client, db):
    """'Other countries' in the picker reads 'Alemania', 'Francia', 'Japón' (CLDR's names, through Babel), sorted as
    a Spanish reader looks them up, and no country CLDR names is listed under its English name."""
    from babel import Locale

    _in_spanish(client, None)
    others = _picker_groups(client.get("/contact/").content.decode())["Otros países"]
    names = dict(others)
    assert (names["JP"], names["CA"], names["KR"], names["CH"]) == ("Japón", "Canadá", "Corea del Sur", "Suiza")
    spanish, english = Locale.parse("es").territories, Locale.parse("en").territories
    english_names = {c.name for c in countries().values()} | {english[code] for code in names if code in english}
    assert [
        (code, name) for code, name in others if code in spanish and name in english_names and name != spanish[code]
    ] == []
    assert [name for _code, name in others] == [name for _code, name in places_in_name_order(others)]
    order = [name for _code, name in others]
    assert order.index("Islandia") < order.index("Japón") < order.index("México") < order.index("Suiza")
    assert order.index("Egipto") < order.index("Emiratos Árabes Unidos") < order.index("Etiopía")
    served = _picker_groups(client.get("/contact/").content.decode())["Dónde funciona slowtaper"]
    served_names = [name for _code, name in served]
    assert served_names.index("Alemania") < served_names.index("España") < served_names.index("Francia")


def test_the_numbers_by_country_are_listed_by_their_spanish_names(client, db):
    _in_spanish(client, None)
    page = client.get("/help/?region=all").content.decode()
    by_country = page.split("<h2>Números por país</h2>")[1].split("</ul>")[0]
    listed = re.findall(r"<li><strong>([^<]+)</strong>: ", by_country)
    assert {"Canadá", "México", "Alemania", "Francia", "Irlanda", "Países Bajos", "Reino Unido"} <= set(listed)
    assert listed == [name for name, _n in places_in_name_order([(name, 0) for name in listed], by=0)]
    assert "Canada" not in listed and "Germany" not in listed


def test_english_readers_see_the_countries_as_before(client, db):
    others = dict(_picker_groups(client.get("/contact/").content.decode())["Other countries"])
    assert (others["JP"], others["CA"], others["KR"]) == ("Japan", "Canada", countries()["KR"].name)
    served = dict(_picker_groups(client.get("/contact/").content.decode())["Where slowtaper works"])
    assert (served["FR"], served["DE"], served["GB"], served["CZ"]) == (
        "France",
        "Germany",
        "United Kingdom",
        "Czechia",
    )


def test_every_served_name_and_zone_label_is_in_the_catalogues():
    """A served country or a zone label added later must be added to SERVED_TEXTS, or it shows in English."""
    from slowtaper.accounts.places import SERVED_TEXTS, served

    shown = {c.name for c in served()} | {z.label for c in served() for z in c.zones}
    assert shown - set(SERVED_TEXTS) == set()


def test_the_markdown_pages_are_read_in_the_readers_language(client, db):
    """The Learn library and the site's pages have a Spanish file beside each English one (`<slug>.es.md`), with
    the same sources; a language without one reads the English page."""
    from slowtaper.community import library

    for folder in ("education", "site"):
        english, spanish = library.pages(folder, "en"), library.pages(folder, SPANISH)
        assert set(english) == set(spanish)
        for slug, page in english.items():
            assert spanish[slug].title != page.title
            assert [c.key for c in spanish[slug].citations] == [c.key for c in page.citations], slug
        assert library.pages(folder, "fr") == english
    _in_spanish(client, None)
    assert "La abstinencia: qué esperar" in client.get("/learn/withdrawal/").content.decode()
    client.cookies.clear()  # the next reader, in English, is not served the cached Spanish page
    assert "Withdrawal: what to expect" in client.get("/learn/withdrawal/").content.decode()


def test_every_trend_threshold_has_a_label():
    """The thresholds page named each field by the engine's key ("return after days (days)"); a threshold added
    to the engine needs its label, or it is named that way again."""
    from slowtaper.programs.forms import THRESHOLD_LABELS
    from slowtaper.taper import thresholds

    assert set(THRESHOLD_LABELS) == set(thresholds())
