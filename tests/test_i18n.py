"""Translation: the web app's own strings and the data files' texts both go through gettext, so a second
language is a translation file away; `datamessages` lists the data texts for makemessages."""

from __future__ import annotations

from django.core.management import call_command
from django.utils import translation

from conftest import login
from slowtaper import i18n
from slowtaper.cli._i18n import help_texts
from slowtaper.taper import MESSAGE_TEMPLATES, Message, diary


def test_data_texts_are_looked_up_in_the_active_language(client, cast, approved, monkeypatch):
    question = diary().red_flags["seizure"].question
    label = diary().symptoms["anxiety"].label
    fake = {question: "¿Ha tenido una convulsión?", label: "Ansiedad"}
    monkeypatch.setattr(i18n, "gettext", lambda text: fake.get(text, text))
    body = login(client, cast.member).get("/me/checkin/").content.decode()
    assert "¿Ha tenido una convulsión?" in body and "Ansiedad" in body
    assert question not in body


def test_datamessages_lists_every_data_text_once(capsys):
    call_command("datamessages")
    out = capsys.readouterr().out
    compile(out, "data_messages.py", "exec")  # valid Python for makemessages to read
    assert f"gettext_noop({diary().red_flags['suicidal'].question!r})" in out
    assert out.count("gettext_noop(") == len(i18n.data_strings()) + len(i18n.engine_strings()) + len(help_texts())


def test_datamessages_lists_the_command_lines_help_texts(capsys):
    call_command("datamessages")
    out = capsys.readouterr().out
    assert f"gettext_noop({'Print the plan as JSON.'!r})" in out  # an option's help
    assert "Build a taper plan and print it" in out  # a command's


def test_datamessages_lists_the_english_template_of_every_engine_message(capsys):
    call_command("datamessages")
    out = capsys.readouterr().out
    template = MESSAGE_TEMPLATES["trend.missed-hold"]
    assert f"gettext_noop({template!r})" in out
    assert len(i18n.engine_strings()) == len(set(MESSAGE_TEMPLATES.values())) - 1  # all but the stored-text one


def test_an_engine_message_is_rendered_from_its_translated_template(monkeypatch):
    inner = MESSAGE_TEMPLATES["member.daily"]
    outer = MESSAGE_TEMPLATES["member.return"]
    fake = {
        inner: "%(mg)s mg al día de %(drug)s",
        outer: "Hable con su clínico sobre volver a su dosis anterior (%(doses)s).",
    }
    monkeypatch.setattr(i18n, "gettext", lambda text: fake.get(text, text))
    message = Message("member.return", {"doses": (Message("member.daily", {"mg": "0.5", "drug": "alprazolam"}),)})
    assert (
        i18n.engine_text(message)
        == "Hable con su clínico sobre volver a su dosis anterior (0.5 mg al día de alprazolam)."
    )
    # A translation that drops a placeholder is not shown broken: the English is.
    fake[outer] = "Hable con su clínico (%(dosis)s)."
    assert i18n.engine_text(message) == message.english()


def test_amounts_in_engine_messages_are_written_as_the_reader_writes_numbers():
    daily = Message("member.daily", {"mg": "0.5", "drug": "clonazepam"})
    message = Message("member.return", {"doses": (daily,)})
    with translation.override("es"):
        spanish = i18n.engine_text(message)
        tablets = i18n.engine_text(Message("portion.tablets", {"count": "2", "strength_mg": "0.25"}))
        day = i18n.engine_text(Message("trend.planned-for", {"day": "2027-01-04"}))
    assert "(0,5 mg al día de clonazepam)" in spanish and "0.5" not in spanish
    assert tablets == "2 comprimidos de 0,25 mg"
    assert day == "prevista para el 4 de enero de 2027"  # a date is not a number: it is written as a date

    with translation.override("en"):
        assert "(0.5 mg a day of clonazepam)" in i18n.engine_text(message)
    assert message.english() == i18n.engine_text(message)  # English unchanged, no thousands separator
    assert i18n.engine_text(Message("member.daily", {"mg": "1250", "drug": "x"})) == "1250 mg a day of x"


def test_dates_in_engine_messages_are_written_in_the_readers_language_and_english_keeps_iso():
    message = Message("revise.first-cut-moved", {"old": "2027-01-04", "new": "2027-02-01"})
    with translation.override("es"):
        spanish = i18n.engine_text(message)
    with translation.override("en"):
        english = i18n.engine_text(message)
    assert "4 de enero de 2027" in spanish and "1 de febrero de 2027" in spanish and "2027-" not in spanish
    assert english == message.english() and "2027-01-04" in english


def test_published_questionnaires_say_why_they_are_in_english(client, cast, approved):
    """No validated Spanish version is in the program yet: the page says so in Spanish and shows the English items,
    marked as English for screen readers; the title and our note are translated."""
    cast.member.locale = "es"
    cast.member.save()
    login(client, cast.member)
    for url, item in (
        ("/me/checkin/screen/phq-9/", "Little interest or pleasure in doing things"),
        ("/me/checkin/ciwa-b/", "How tense do you feel?"),
    ):
        body = client.get(url).content.decode()
        assert "versión validada en español" in body, url
        assert item in body and 'lang="en" class="field' in body, url
    assert "Cuestionario sobre la salud del paciente" in client.get("/me/checkin/screen/phq-9/").content.decode()
    cast.member.locale = "en"
    cast.member.save()
    body = client.get("/me/checkin/screen/gad-7/").content.decode()
    assert "validated" not in body and 'lang="en" class' not in body
    assert i18n.awaiting_validated_translation("gad-7", "es") and not i18n.awaiting_validated_translation("gad-7", "en")
