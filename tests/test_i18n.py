"""Translation: the web app's own strings and the data files' texts both go through gettext, so a second
language is a translation file away; `datamessages` lists the data texts for makemessages."""

from __future__ import annotations

from django.core.management import call_command

from conftest import login
from slowtaper import i18n
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
    assert out.count("gettext_noop(") == len(i18n.data_strings()) + len(i18n.engine_strings())


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
