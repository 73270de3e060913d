"""The education library: pages from Markdown files with front matter, and a page per drug from the catalogue,
public, every figure with its source."""

from __future__ import annotations

import re

import pytest

from slowtaper.community import library
from slowtaper.taper import catalogue, screening


def test_every_page_loads_and_cites_only_known_sources():
    pages = library.pages()
    assert {"program", "withdrawal"} <= set(pages)
    for page in pages.values():
        assert page.title and page.summary and page.citations, page.slug
        known = catalogue().sources
        assert all(c.key in known for c in page.citations)


def test_a_page_that_cites_an_unknown_source_or_lacks_front_matter_is_refused():
    with pytest.raises(ValueError, match="unknown source 'made_up'"):
        library.parse("x", '+++\ntitle = "x"\nsummary = "y"\norder = 1\n+++\nA claim {cite:made_up}.')
    with pytest.raises(ValueError, match="front matter needs summary"):
        library.parse("x", '+++\ntitle = "x"\norder = 1\n+++\nText')
    with pytest.raises(ValueError, match="starts with"):
        library.parse("x", "No front matter")


def test_the_withdrawal_page_is_public_and_links_each_figure_to_its_source(client, db):
    body = client.get("/learn/withdrawal/").content.decode()
    assert "5 to 10 percent" in body and '<a href="#source-joint2025">[1]</a>' in body
    assert 'id="source-joint2025"' in body and "Brunner E" in body
    for heading in ("Why slow tapering", "What a hold is", "The symptoms", "The timeline", "When to get help"):
        assert heading in body
    assert "style=" not in body and "<script>" not in body  # the strict CSP holds (htmx is an external file)


def test_the_library_says_it_does_not_replace_a_doctor(client, db):
    assert "not a substitute" in client.get("/learn/").content.decode()
    assert "your own physician decides" in client.get("/learn/program/").content.decode()


@pytest.mark.parametrize("drug", sorted(catalogue().drugs))
def test_each_drug_has_a_page_with_sourced_figures(client, db, drug):
    d = catalogue().drug(drug)
    body = client.get(f"/learn/drugs/{drug}/").content.decode()
    assert d.name.capitalize() in body
    half = d.half_life_h
    assert (
        f"{half.value} h" in body and f'href="#source-{half.source}"' in body and f'id="source-{half.source}"' in body
    )
    for key, figure in d.equivalence.items():
        name = library.EQUIVALENCE_NAMES[key]  # the table's name, not the catalogue's key
        if figure.value is None:  # a published range (Medscape): shown as a range, never as one number
            assert f"{name}: {figure.low:g}–{figure.high:g} mg (a range only" in body
        else:
            assert f"{name}: {figure.value} mg" in body
    assert "None mg" not in body
    assert f"[{half.source}]" not in body and f"{key}:" not in body  # sources are numbered footnotes, never keys
    assert "You told us" not in body and "your answers" not in body  # a reader who was never screened
    if any(not f.verified for f in d.equivalence.values()) or not half.verified:
        assert "[unverified]" in body


def test_clonazepam_lists_interactions_and_warnings_from_the_screening_data(client, db):
    body = client.get("/learn/drugs/clonazepam/").content.decode()
    rules = {r.id: r for r in screening().rules}
    opioid = screening().comedications["opioid"].label
    assert f"<strong>{opioid}</strong>" in body and rules["opioid"].reader in body
    assert "Valproate" in body and rules["valproate"].reader in body  # clonazepam only
    epilepsy = screening().conditions["epilepsy"].label
    assert f"<strong>{epilepsy}</strong>" in body and "at home, with a specialist involved" in body
    assert "<strong>Age 65 or over</strong>" in body and "<strong>Pregnancy</strong>" in body
    alprazolam = client.get("/learn/drugs/alprazolam/").content.decode()
    assert "Valproate" not in alprazolam and rules["cyp3a_inhibitor_alprazolam"].reader in alprazolam
    assert "0.5 mg tablet" in body and "<h3>US</h3>" in body


def test_an_unknown_drug_or_page_is_404(client, db):
    assert client.get("/learn/drugs/heroin/").status_code == 404
    assert client.get("/learn/nothing-here/").status_code == 404


def test_a_visitor_finds_stories_contact_and_log_in_from_every_public_page(client, db):
    for path in ("/learn/", "/stories/", "/contact/", "/learn/drugs/diazepam/"):
        body = client.get(path).content.decode()
        for href in ('href="/stories/"', 'href="/contact/"', 'href="/accounts/login/"', 'href="/learn/"'):
            assert href in body, (path, href)


# Words from the clinicians' notes a lay reader should not meet unexplained on a Learn page.
JARGON = ("CNS", "potentiated", "CYP", "SmPC", "label)", "Rec 5", "Table 2", "PI)", "contraindicat", "For clinicians")


# Where a reason for every drug's page may name one drug: a switch to diazepam, and what a source covers.
ABOUT_THE_CLASS = (
    "switch to diazepam",
    "diazepam and chlordiazepoxide stay in the body",
    "for clonazepam and alprazolam only",
    "for clonazepam only",
)


def test_every_rule_a_learn_page_shows_has_a_plain_reason_naming_no_other_drug():
    drugs = set(catalogue().drugs)
    for rule in screening().rules:
        if not library._who(rule.when):
            continue
        assert rule.reader, rule.id
        assert not any(word in rule.reader for word in JARGON), (rule.id, rule.reader)
        text = rule.reader.lower()
        for phrase in ABOUT_THE_CLASS:
            text = text.replace(phrase, "")
        named = {d for d in drugs if re.search(rf"\b{d}\b", text)}
        # A reason about one drug belongs to a rule for that drug only (clozapine's delirium is clonazepam's).
        assert named <= set(rule.when.get("drugs", [])), (rule.id, named)


@pytest.mark.parametrize("drug", sorted(catalogue().drugs))
def test_drug_pages_give_plain_reasons_and_never_another_drugs_interaction(client, db, drug):
    body = client.get(f"/learn/drugs/{drug}/").content.decode()
    cautions = body[body.index("Taken with other medicines") : body.index('id="sources"')]
    for rule in screening().rules:
        assert rule.clinician not in cautions, (drug, rule.id)  # the clinicians' notes stay in the clinic
    for word in JARGON:
        # Outside the screening's own labels of whom a rule concerns (kept: "... (strong CYP3A inhibitors)").
        reasons = re.sub(r"<strong>.*?</strong>", "", cautions)
        assert word not in reasons, (drug, word)
    if drug != "clonazepam":
        assert "clozapine and clonazepam" not in body  # zolpidem's page once listed it under delirium
