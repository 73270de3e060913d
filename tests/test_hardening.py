"""Hardening: Django's deployment checks pass with production settings, every rendered page forbids caching and
inline script, production insists on HTTPS, and bandit finds nothing of medium severity or worse in our code."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import login
from test_settings import ROOT, run_django
from test_web_clinician import BUILD

PRODUCTION = {
    "SLOWTAPER_ENV": "production",
    "SLOWTAPER_SECRET_KEY": "a-long-random-production-secret-" + "Qz8pL2xR" * 6,
    "SLOWTAPER_ALLOWED_HOSTS": "slowtaper.example.org",
    "SLOWTAPER_AUDIT_KEY": "an-audit-key-kept-apart-" + "Vb7kN3qW" * 4,
}


def test_check_deploy_is_clean_with_production_settings():
    result = run_django(
        "from django.core.management import call_command; call_command('check', deploy=True, fail_level='WARNING')",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_sends_hsts_and_redirects_plain_http():
    result = run_django(
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)",
        **PRODUCTION,
    )
    assert result.stdout.split() == ["True", "True", "True"], result.stderr


@pytest.mark.parametrize("url", ["/accounts/login/", "/me/", "/me/chart/", "/members/{m}/plans/1/"])
def test_pages_are_never_cached_and_allow_no_inline_script(client, cast, approved, url):
    login(client, cast.member)
    response = client.get(url.format(m=cast.member.pk))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    body = response.content.decode()
    assert "style=" not in body
    assert "<script>" not in body and "onclick" not in body


def test_exports_are_never_cached_either(client, cast, approved):
    login(client, cast.member)
    response = client.get(f"/members/{cast.member.pk}/export/csv/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_plan_preview_is_an_image_so_the_policy_holds(client, cast, approved):
    login(client, cast.clinician)
    response = client.post(f"/members/{cast.member.pk}/plans/new/", BUILD, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert '<img class="plot" src="data:image/svg+xml;base64,' in body
    assert "<style" not in body and "style=" not in body


def test_bandit_finds_nothing_of_medium_severity_or_worse():
    bandit = shutil.which("bandit", path=str(ROOT / ".venv" / "bin")) or shutil.which("bandit")
    assert bandit, "bandit is a dev dependency"
    result = subprocess.run(
        [bandit, "-q", "-r", str(ROOT / "src"), "-ll", "-f", "txt"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_logs_carry_no_health_data_even_when_mail_fails(transactional_db, client, cast, approved, settings, caplog):
    """What production logs (WARNING and up) when a red-flag alert cannot be emailed and a page is refused:
    paths and errors, never the drug, the dose or the symptom. Dose data is in the URL of nothing."""
    from test_web_member import checkin_post

    settings.EMAIL_BACKEND = "conftest.FailingMailBackend"
    caplog.set_level("WARNING")
    login(client, cast.member)
    client.post("/me/checkin/", checkin_post(f_seizure="yes", s_anxiety="4"))
    client.get(f"/members/{cast.other_member.pk}/plans/")  # a 404 is logged with its path
    logged = " ".join(r.getMessage() + " " + str(r.exc_info or "") for r in caplog.records).lower()
    assert caplog.records  # the failed email and the 404 were logged...
    for secret in ("seizure", "clonazepam", "anxiety", " mg"):
        assert secret not in logged  # ...without health content
