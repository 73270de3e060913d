"""Languages for people: the switch for visitors, the setting for members, and every email in the recipient's
own language whoever triggered it. Spanish has a catalogue but is not offered yet (see test_translations.py), so
tests that need it offered say so with override_settings."""

from __future__ import annotations

from datetime import time

import pytest
from django.core import mail
from django.test import override_settings
from django.utils.translation import gettext_lazy

from conftest import login
from slowtaper.checkins.models import Reminder
from slowtaper.checkins.reminders import send_reminder
from slowtaper.programs import alerts

WITH_SPANISH = [("en", "English"), ("en-gb", "English (UK)"), ("es", "Spanish")]


@override_settings(LANGUAGES=WITH_SPANISH)
def test_a_visitor_switches_language_and_the_login_page_follows(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert 'action="/language/"' in page and '<option value="es" lang="es">Español</option>' in page
    response = client.post("/language/", {"language": "es", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="es">' in page and "Iniciar sesión" in page and "Si está en peligro" in page


def test_a_language_not_offered_is_not_served_and_not_listed(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert 'value="fr"' not in page  # Django knows French; slowtaper has no catalogue for it
    client.post("/language/", {"language": "fr", "next": "/"})
    assert '<html lang="en">' in client.get("/accounts/login/").content.decode()


def test_spanish_is_offered_to_visitors(client, db):
    assert 'value="es"' in client.get("/accounts/login/").content.decode()
    client.post("/language/", {"language": "es", "next": "/"})
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="es">' in page and "Español" in page


def test_the_switch_goes_nowhere_outside_the_site(client, db):
    response = client.post("/language/", {"language": "en-gb", "next": "https://elsewhere.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_member_using_the_switch_saves_it_as_their_setting(client, cast):
    login(client, cast.member)
    client.post("/language/", {"language": "en-gb", "next": "/me/"})
    cast.member.refresh_from_db()
    assert cast.member.locale == "en-gb"
    assert '<html lang="en-gb">' in client.get("/me/").content.decode()


@override_settings(LANGUAGES=WITH_SPANISH)
def test_a_member_reads_their_pages_in_the_language_of_their_setting(client, cast):
    cast.member.locale = "es"
    cast.member.save(update_fields=["locale"])
    page = login(client, cast.member).get("/me/").content.decode()
    assert '<html lang="es">' in page and "Cerrar sesión" in page


def test_one_email_to_two_people_is_in_each_ones_language(cast, django_capture_on_commit_callbacks):
    """A clinician reading in English tells a member who reads Spanish: the member's email is Spanish."""
    cast.member.locale = "es"
    cast.member.save(update_fields=["locale"])
    with django_capture_on_commit_callbacks(execute=True):
        alerts.tell_member(cast.member, gettext_lazy("Your clinician has approved a new version of your plan."))
        alerts.notify(
            [cast.member, cast.other_member],
            gettext_lazy("slowtaper: your mentor"),
            gettext_lazy("%(mentor)s is now your peer mentor. Choose what they may see: %(link)s"),
            {"mentor": cast.mentor, "link": "https://example.org/me/care/"},
        )
    news, to_member, to_other = mail.outbox
    assert news.subject == "slowtaper: novedades de su profesional de salud"
    assert news.body.startswith("Su profesional de salud aprobó una nueva versión de su plan. Vea los detalles")
    assert to_member.subject == "slowtaper: su mentor o mentora" and "es ahora su mentor o mentora" in to_member.body
    assert to_other.subject == "slowtaper: your mentor" and "is now your peer mentor" in to_other.body


def test_an_alert_names_the_kind_of_task_in_the_clinicians_language(cast, approved, django_capture_on_commit_callbacks):
    cast.clinician.locale = "es"
    cast.clinician.save(update_fields=["locale"])
    with django_capture_on_commit_callbacks(execute=True):
        alerts.board_crisis(cast.member, "post-1", "crisis words")
    (email,) = mail.outbox
    assert email.to == [cast.clinician.email]
    assert email.subject == "slowtaper: un miembro necesita su atención"
    assert email.body.startswith(f"Señal de alarma de {cast.member}.")


@pytest.mark.parametrize(
    ("locale", "subject"), [("es", "slowtaper: su dosis de las 08:00"), ("en", "slowtaper: your 08:00 dose")]
)
def test_a_dose_reminder_is_in_the_members_language(cast, approved, locale, subject):
    from conftest import TODAY

    cast.member.locale = locale
    cast.member.save(update_fields=["locale"])
    reminder = Reminder.objects.create(member=cast.member, day=TODAY, time=time(8), due_at="2027-02-10T13:00:00Z")
    assert send_reminder.call(reminder.pk) is True
    assert mail.outbox[0].subject == subject


@override_settings(LANGUAGES=WITH_SPANISH)
def test_date_fields_keep_the_iso_value_browsers_need_whatever_the_language(client, cast, approved):
    """A Spanish page once sent the day as 10/02/2027, which a date input cannot show, so the check-in failed."""
    cast.member.locale = "es"
    cast.member.save(update_fields=["locale"])
    page = login(client, cast.member).get("/me/checkin/").content.decode()
    assert 'type="date" name="day" value="2027-02-10"' in page


@override_settings(LANGUAGES=WITH_SPANISH)
def test_a_spanish_member_confirms_erasure_with_the_words_they_are_shown(client, cast, approved):
    from conftest import PASSWORD
    from slowtaper.accounts.models import User

    cast.member.locale = "es"
    cast.member.save(update_fields=["locale"])
    login(client, cast.member)
    assert "«borrar mi cuenta»" in client.get("/me/data/").content.decode()
    refused = client.post("/me/data/erase/", {"password": PASSWORD, "confirm": "borrar"})
    assert refused.status_code == 400 and "Escriba exactamente: borrar mi cuenta" in refused.content.decode()
    client.post("/me/data/erase/", {"password": PASSWORD, "confirm": "Borrar mi cuenta"})
    assert not User.objects.filter(pk=cast.member.pk).exists()
