"""The translations: every language the site offers is complete, and no translation drops a placeholder.

A language is offered once it is in settings.LANGUAGES; English is the language of the code and needs no
catalogue. A catalogue may exist for a language not offered yet (work in progress): its translated entries must
keep their placeholders, but it may be incomplete. An offered language is complete except for one documented
allow-list: the items and answers of published questionnaires awaiting a validated translation in that language
(slowtaper.i18n.AWAITING_VALIDATED_TRANSLATION), which are shown in English with a note saying why.
The freshness test extracts every marked string of the code again (GNU gettext's xgettext, installed by CI;
skipped where it is missing) and compares.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from slowtaper import i18n

SOURCE_LANGUAGES = {"en", "en-gb"}  # the code's own language: its msgids are the English texts
OFFERED = [code for code, _name in settings.LANGUAGES if code not in SOURCE_LANGUAGES]
IN_PROGRESS = sorted({po.parts[-3] for po in i18n.catalogues()})

# %(name)s, %s, %d (not %%), and {name} / {} (str.format); blocktrans variables become %(name)s.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")


def placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


def entries(language: str) -> list[polib.POEntry]:
    return [e for po in i18n.catalogues(language) for e in polib.pofile(str(po)) if not e.obsolete]


def dropped(entry: polib.POEntry) -> list[str]:
    """Problems with the placeholders of a translated entry: each as 'msgid: what'."""
    problems = []
    if entry.msgid_plural:
        for index, text in sorted(entry.msgstr_plural.items()):
            source = entry.msgid if index == 0 else entry.msgid_plural
            # The singular may spell out the number ("una dosis") but keeps every other placeholder.
            want = placeholders(source) - (placeholders(source) if index == 0 else Counter())
            if text and (want - placeholders(text) or placeholders(text) - placeholders(entry.msgid_plural)):
                problems.append(f"{entry.msgid!r}[{index}]: {text!r}")
    elif entry.msgstr and placeholders(entry.msgstr) != placeholders(entry.msgid):
        problems.append(f"{entry.msgid!r}: {entry.msgstr!r}")
    return problems


def test_placeholders_are_recognised():
    assert placeholders("%(kind)s for %(member)s, 100%% sure, {count} of {}") == Counter(
        {"%(kind)s": 1, "%(member)s": 1, "{count}": 1, "{}": 1}
    )
    good = polib.POEntry(msgid="%(n)s doses by %(day)s", msgstr="%(n)s dosis antes del %(day)s")
    bad = polib.POEntry(msgid="%(n)s doses by %(day)s", msgstr="dosis antes del %(day)s")
    assert dropped(good) == [] and len(dropped(bad)) == 1
    plural = polib.POEntry(
        msgid="%(n)s dose on %(day)s",
        msgid_plural="%(n)s doses on %(day)s",
        msgstr_plural={0: "una dosis el %(day)s", 1: "%(n)s dosis el %(day)s"},
    )
    assert dropped(plural) == []
    plural.msgstr_plural[1] = "varias dosis el %(day)s"
    assert len(dropped(plural)) == 1


@pytest.mark.parametrize("language", IN_PROGRESS)
def test_no_translation_drops_or_invents_a_placeholder(language):
    problems = [p for e in entries(language) if e.translated() for p in dropped(e)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("language", OFFERED)
def test_every_offered_language_is_translated_completely(language):
    assert i18n.catalogues(language), f"{language} is offered in LANGUAGES but has no catalogue"
    awaiting = i18n.awaiting_validated_texts(language)
    missing = [e.msgid for e in entries(language) if not e.translated() and e.msgid not in awaiting]
    assert missing == [], f"{len(missing)} messages without a (non-fuzzy) {language} translation: {missing[:20]}"


@pytest.mark.parametrize("language", OFFERED)
def test_questionnaires_awaiting_a_validated_translation_stay_in_english(language):
    """The allow-list holds exactly the items and answers of the questionnaires listed for the language, and no
    one has translated them by hand: a translation must come from the validated version, and then the
    questionnaire leaves the list."""
    awaiting = i18n.awaiting_validated_texts(language)
    names = i18n.AWAITING_VALIDATED_TRANSLATION.get(language, ())
    assert awaiting == {t for name in names for t in i18n.questionnaire_texts(name)}
    in_catalogue = {e.msgid: e for e in entries(language) if e.msgid in awaiting}
    assert set(in_catalogue) == awaiting, "every awaiting text is in the catalogue, for its translator to find"
    translated = sorted(m for m, e in in_catalogue.items() if e.translated())
    assert translated == [], f"translated without taking the questionnaire off the allow-list: {translated}"
    # Titles and our notes about a questionnaire are ordinary texts: they are not on the list.
    assert "Patient Health Questionnaire (depression)" not in awaiting
    assert "How tense do you feel?" in awaiting and "several days" in awaiting


def test_catalogues_are_compiled_for_every_language():
    """What the set-up builds is what the app reads: a translated entry comes out of gettext."""
    for language in IN_PROGRESS:
        done = [e for e in entries(language) if e.translated() and not e.msgid_plural and "%" not in e.msgid]
        assert done, f"the {language} catalogue has no translation yet"
        with translation.override(language):
            assert translation.gettext(done[0].msgid) == done[0].msgstr


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext's xgettext is not installed")
@pytest.mark.parametrize("language", IN_PROGRESS)
def test_catalogues_hold_every_message_of_the_code(language, tmp_path, monkeypatch, capsys):
    """Extract afresh (a copy of the package, so the committed catalogues stay as they are) and compare: a
    string marked in the code but missing from the catalogue fails here for every language, offered or not,
    because `make messages` was not run; for offered languages the test above then wants its translation."""
    package = tmp_path / "slowtaper"
    shutil.copytree(i18n.PACKAGE, package, ignore=shutil.ignore_patterns("static", "taper", "*.mo", "__pycache__"))
    call_command("datamessages")
    (package / "_data_messages.py").write_text(capsys.readouterr().out)
    monkeypatch.chdir(package)
    with override_settings(LOCALE_PATHS=[package / "locale"]):
        call_command("makemessages", locale=[language], no_obsolete=True, add_location="file", verbosity=0)

    def ids(root: Path) -> set[str]:
        return {
            e.msgid
            for po in root.glob(f"**/locale/{language}/LC_MESSAGES/django.po")
            for e in polib.pofile(str(po))
            if not e.obsolete
        }

    fresh, committed = ids(package), {e.msgid for e in entries(language)}
    assert sorted(fresh - committed) == [], "run `make messages`: new strings are missing from the catalogues"
    assert sorted(committed - fresh) == [], "run `make messages`: the catalogues hold strings the code lost"
