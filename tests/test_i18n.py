"""Translation: the web app's own strings and the data files' texts both go through gettext, so a second
language is a translation file away; `datamessages` lists the data texts for makemessages."""

from __future__ import annotations

from django.core.management import call_command

from conftest import login
from slowtaper import i18n
from slowtaper.taper import diary


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
    assert out.count("gettext_noop(") == len(i18n.data_strings())
