"""A brand-new member's first weeks, end to end, in a real browser (Playwright driving Debian's Chromium).

One journey through every role, as issue 13 asks: a visitor in London writes in; staff (password and a code from
their authenticator) create the account; the member sets a password, does the intake with the tablets they have,
checks in, invites their clinician and pharmacist (who join from the emailed links) and asks for a mentor; a week
passes; the clinician builds a plan whose first cut is today, approves it and lets the cut go ahead; the
pharmacist dispenses; on the day of the cut the member's home page says so and nothing on it contradicts it;
staff assign a mentor, who sees what the member shares. Every page visited on the phone is checked with axe
(nothing serious or critical) and for sideways overflow, and the key pages again at desktop width.

The browser cannot wait a week: the member's earlier check-ins are written through the ORM (said where it is
done). Everything the member does is done through the pages.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import mail

from conftest import PASSWORD, authenticator_code, make_user
from slowtaper.taper import diary
from test_browser import serious

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ZONE = "Europe/London"
COUNTRY, REGION = "GB", "UK"
# Diazepam 5 mg morning and evening, from 2 mg tablets (scored: halves) and 5 mg tablets: the member's own.
DOSES = (("08:00", "5"), ("22:00", "5"))
TABLETS = ("2 mg tablet", "5 mg tablet")
STEADY_DAYS = 7
# Pages that every carer meets in the same state: axe runs on the first visit only (the test stays quick).
ONCE = {"log in", "two-step login", "join", "two-step login setup", "recovery codes"}
CHECKED_ONCE: set[str] = set()


class Person:
    """One person on their own phone: a browser context of their own (cookies are not shared), and the pages
    they visited, walked again at desktop width at the end."""

    def __init__(self, browser, base: str, who: str) -> None:
        self.context = browser.new_context(viewport=PHONE, timezone_id=ZONE, locale="en-GB")
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.base = base
        self.who = who
        self.desktop: list[str] = []  # the key pages, walked again at desktop width at the end

    def go(self, path: str, desktop: bool = False) -> None:
        self.page.goto(self.base + path)
        self.check(path, desktop)

    def check(self, where: str = "", desktop: bool = False) -> None:
        """Axe finds nothing serious and nothing is wider than the screen, on the page as it is now. A page
        that every carer passes the same way (joining, two-step login) is run through axe once."""
        page = self.page
        page.wait_for_load_state()
        label = f"{self.who}: {where or page.url}"
        if where not in CHECKED_ONCE:
            assert serious(page) == [], label
        if where in ONCE:
            CHECKED_ONCE.add(where)
        assert overflow(page) <= 0, f"{label}: {overflow(page)} px wider than the screen"
        if desktop:
            self.desktop.append(page.url.removeprefix(self.base))

    def says(self, *texts: str) -> str:
        """The page's text (the crisis footer too), after asserting that it says each of `texts`."""
        body = self.page.inner_text("body")
        for text in texts:
            assert text in body, f"{self.who} at {self.page.url}: {text!r} not on the page"
        return body


def overflow(page) -> int:
    """How many pixels the page is wider than its viewport (0 or less: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def link_in_mail(to: str, pattern: str) -> str:
    """The path of the newest link matching `pattern` emailed to `to` (emails carry SITE_URL, not the live
    server's address)."""
    for message in reversed(mail.outbox):
        if to in message.to:
            found = re.search(r"https?://[^/\s]+(" + pattern + r")", message.body)
            if found:
                return found.group(1)
    raise AssertionError(f"no email to {to} with a link like {pattern}")


def code_for(user, confirmed: bool = True) -> str:
    """The authenticator app's code now, as `manage.py demo --code` computes it; one window later when this
    window's code was already used (django-otp refuses a code twice)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=confirmed)
    now = (int(time.time()) - device.t0) // device.step
    drift = 1 if device.last_t is not None and device.last_t >= now else 0
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"


def log_in(person: Person, username: str, password: str = PASSWORD) -> None:
    person.page.goto(person.base + "/accounts/login/")
    person.check("log in")
    person.page.get_by_label("Username").fill(username)
    person.page.get_by_label("Password").fill(password)
    person.page.get_by_role("button", name="Log in").click()
    person.page.wait_for_load_state()


def pass_code(person: Person, user) -> None:
    """Password done: the second step asks for the code from the authenticator app."""
    person.page.wait_for_url("**/accounts/mfa/**")
    person.check("two-step login")
    person.page.get_by_label("Code").fill(code_for(user))
    person.page.get_by_role("button", name="Continue").click()
    person.page.wait_for_load_state()


def join(person: Person, path: str, username: str, name: str) -> None:
    """Accept an emailed invitation: a new account, then two-step login set up before anything else opens."""

    page = person.page
    page.goto(person.base + path)
    person.check("join")
    person.says("Choose a username and a password")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Country where you live").select_option(COUNTRY)
    page.get_by_label("Your time zone").select_option(ZONE)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation:").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/accounts/mfa/setup/")
    person.check("two-step login setup")
    page.get_by_label("Code").fill(authenticator_code(page.locator("#totp-key").inner_text()))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    person.check("recovery codes")


def test_a_new_member_in_the_uk_from_first_contact_to_the_first_cut(live_server, browser, transactional_db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from slowtaper.accounts.models import Role, User
    from slowtaper.checkins.models import CheckInRecord, DoseLog
    from slowtaper.community.models import ContactRequest
    from slowtaper.programs.models import Fill, PlanRevision, Program, local_today

    CHECKED_ONCE.clear()
    base = live_server.url
    # Staff exist before anyone writes in, with two-step login already set up on their phone.
    staff_user = make_user("sam", Role.STAFF)
    TOTPDevice.objects.create(user=staff_user, name="authenticator", confirmed=True)

    # --- 1. A visitor in London finds the program and writes in ---------------------------------------------
    visitor = Person(browser, base, "visitor")
    visitor.go("/", desktop=True)
    visitor.says("Come off benzodiazepines slowly", "Get steady first.", "Your own clinician decides.")
    visitor.page.get_by_role("link", name="Write to us").first.click()
    visitor.page.wait_for_url("**/contact/")
    visitor.check("contact form", desktop=True)
    form = visitor.page
    # The phone is in London: the form proposes the United Kingdom and its zone.
    assert form.get_by_label("Country where you live").input_value() == COUNTRY
    assert form.get_by_label("Your time zone").input_value() == ZONE
    form.get_by_label("Your name").fill("Harriet Ellis")
    form.get_by_label("Email").fill("harriet@example.org")
    form.get_by_label("Phone (optional)").fill("+44 7700 900123")
    form.get_by_label("Which medicine, and how much (optional)").fill("diazepam 5 mg twice a day")
    form.get_by_label("Your message").fill("I have taken diazepam for two years and want to come off it slowly.")
    form.get_by_label("You may contact me about joining the program.").check()
    form.get_by_role("button", name="Send").click()
    form.get_by_role("heading", name="Thank you: we have your message").wait_for()
    visitor.check("contact thanks")
    visitor.says("999")  # the UK's emergency number, not 911
    request = ContactRequest.objects.get()
    assert (request.email, request.country, request.time_zone) == ("harriet@example.org", COUNTRY, ZONE)

    # --- 2. Staff (password and authenticator code): the request in the queue, an account for the person ----
    staff = Person(browser, base, "staff")
    log_in(staff, "sam")
    pass_code(staff, staff_user)
    staff.go("/staff/requests/", desktop=True)
    staff.page.get_by_role("link", name="Harriet Ellis").click()
    staff.page.wait_for_url(f"**/staff/requests/{request.pk}/")
    staff.check("contact request", desktop=True)
    staff.says("diazepam 5 mg twice a day", "+44 7700 900123")
    staff.page.get_by_role("button", name="Create their member account and email them").click()
    staff.page.get_by_text("Account harriet created; the requester was emailed a link.").wait_for()
    staff.check("contact request, invited")
    member = User.objects.get(username="harriet")
    assert (member.role, member.region, member.time_zone) == (Role.MEMBER, REGION, ZONE)

    # --- 3. The member: a password, the intake with the tablets they have, a check-in, their carers --------
    me = Person(browser, base, "member")
    me.go(link_in_mail("harriet@example.org", r"/accounts/reset/\S+/"))
    me.says("Choose a new password")
    me.page.get_by_label("New password:", exact=True).fill(PASSWORD)
    me.page.get_by_label("New password confirmation:").fill(PASSWORD)
    me.page.get_by_role("button", name="Save the new password").click()
    me.page.wait_for_load_state()
    me.check("password saved")
    log_in(me, "harriet")
    me.page.wait_for_url("**/me/")
    me.check("member home, new")
    assert me.page.locator("[data-state]").count() == 1
    assert me.page.locator("[data-state=no_intake]").count() == 1
    me.says("999")  # the crisis numbers of their own country
    today = local_today(member)

    me.page.get_by_role("link", name="Start intake").click()
    me.page.wait_for_url("**/me/intake/")
    me.check("intake", desktop=True)
    page = me.page
    page.get_by_label("Which medicine do you take?").select_option("diazepam")
    for i, (at, mg) in enumerate(DOSES, start=1):
        page.get_by_label(f"Dose {i}: time").fill(at)
        page.get_by_label(f"Dose {i}: mg").fill(mg)
    # Only the tablets they have: diazepam's own 2 mg and 5 mg tablets, not the liquid listed beside them.
    products = page.locator("div.field", has_text="Which forms do you have at home?").last
    diazepam = products.locator("div", has=page.get_by_text("Diazepam", exact=True)).last
    for label in TABLETS:
        diazepam.get_by_label(label, exact=True).check()
    page.get_by_label("How long have you taken it?").fill("2")
    page.get_by_label("Weeks, months or years").select_option("years")
    page.get_by_label("Your age in years").fill("52")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url("**/me/intake/result/")
    me.check("intake result")
    me.says("Your safety check", "At home, with your own physician")
    intake = member.intakes.get()
    assert intake.drug == "diazepam"
    assert sorted(intake.products) == sorted(p for p in intake.products if "tablet" in p) and len(intake.products) == 2

    me.go("/me/")
    body = me.says("Getting steady first", "keep taking your medicine exactly as you do now")
    assert me.page.locator("[data-state]").count() == 1
    assert me.page.locator("[data-state=stabilising]").count() == 1
    assert "08:00: 5 mg diazepam" in body and "22:00: 5 mg diazepam" in body
    # The member's own tablets make their current doses, so the steady days are counted from the first day.
    assert f"Steady days so far: 0 of {STEADY_DAYS}." in body

    # The day's diary, every safety question answered "No".
    me.page.get_by_role("link", name="Check in now").first.click()
    me.page.wait_for_url("**/me/checkin/")
    me.check("check-in", desktop=True)
    for group in me.page.locator("fieldset").all():
        no = group.get_by_label("No", exact=True)
        if no.count():
            no.check()
    me.page.locator("fieldset", has_text="Anxiety").get_by_label("1 – mild").check()
    me.page.get_by_role("button", name="Save my check-in").click()
    me.page.get_by_text("your check-in is saved").wait_for()
    me.check("check-in saved")
    assert CheckInRecord.objects.get(member=member, day=today).data["symptoms"] == {"anxiety": 1}

    # The member invites their own clinician and pharmacist, and asks for a mentor.
    me.go("/me/care/")
    me.says("Nobody linked yet.")
    for email, role in (("dr.okafor@example.org", "clinician"), ("lee.pharmacy@example.org", "pharmacist")):
        me.page.get_by_label("Their email address").fill(email)
        me.page.get_by_label("They are my").select_option(role)
        me.page.get_by_role("button", name="Send invitation").click()
        me.page.get_by_text(f"Invitation sent to {email}.").wait_for()
    me.page.get_by_role("button", name="Ask for a mentor").click()
    me.page.get_by_text("Our staff will choose one and email you.").wait_for()
    me.check("care team, invitations sent", desktop=True)

    clinician = Person(browser, base, "clinician")
    join(clinician, link_in_mail("dr.okafor@example.org", r"/join/\S+/"), "okafor", "Dr Ada Okafor")
    pharmacist = Person(browser, base, "pharmacist")
    join(pharmacist, link_in_mail("lee.pharmacy@example.org", r"/join/\S+/"), "lee", "Lee Pharmacist")
    doctor, chemist = User.objects.get(username="okafor"), User.objects.get(username="lee")
    assert member.carer(Role.CLINICIAN) == doctor and member.carer(Role.PHARMACIST) == chemist
    # Until staff have checked their licence, carers a member invited can read but not approve or dispense.
    clinician.go("/clinic/")
    assert clinician.page.locator("[data-unverified]").count() == 1
    staff.go("/staff/")
    staff.says("Clinicians and pharmacists to verify", "invited by the member Harriet Ellis")
    for name, licence, opens in (
        ("Dr Ada Okafor", "GMC 7012345", "they can now approve plans"),
        ("Lee Pharmacist", "GPhC 2087654", "they can now dispense"),
    ):
        card = staff.page.locator("div.card", has_text=name)
        card.get_by_label("Licence or registration number").fill(licence)
        card.get_by_label("Where it was issued").fill("United Kingdom")
        card.get_by_role("button", name="Record as verified").click()
        staff.page.get_by_text(f"{name} is verified: {opens}.").wait_for()
    staff.check("carers verified")
    doctor.refresh_from_db()
    chemist.refresh_from_db()
    assert doctor.verified_at is not None and chemist.verified_at is not None

    # --- 4. A week passes -----------------------------------------------------------------------------------
    # The browser cannot wait a week: the member's check-ins of the past days are written here, steady ones
    # (no danger sign, the same mild anxiety as today's), so that seven steady days exist.
    no = dict.fromkeys(tuple(diary().red_flags), False)
    for back in range(1, STEADY_DAYS + 1):
        day = today - timedelta(days=back)
        CheckInRecord.objects.create(
            member=member, day=day, data={"date": day.isoformat(), "symptoms": {"anxiety": 1}, "red_flags": no}
        )

    # --- 5. The clinician builds a plan whose first cut is today, approves it and lets the cut go ahead -----
    clinician.go("/clinic/", desktop=True)
    clinician.page.get_by_role("link", name="Harriet Ellis").click()
    clinician.page.wait_for_url(f"**/clinic/{member.pk}/")
    clinician.check("the member's page", desktop=True)
    clinician.says("Where they are: stabilising; no plan approved yet.")
    clinician.says("+44 7700 900123")  # how to reach them
    clinician.page.get_by_role("link", name="Build a revision").click()
    clinician.page.wait_for_url(f"**/members/{member.pk}/plans/new/")
    clinician.check("builder", desktop=True)
    clinician.says("Plan builder for Harriet Ellis", "diazepam")
    b = clinician.page
    # The builder starts from the member's own products.
    for label in TABLETS:
        assert b.get_by_label(label, exact=True).is_checked(), label
    start = today - timedelta(days=STEADY_DAYS)
    b.get_by_label("First day of the plan").fill(start.isoformat())
    b.get_by_label("Stabilisation before the first cut (days)").fill(str(STEADY_DAYS))
    b.get_by_role("button", name="Preview").click()
    preview = b.locator("#preview")
    # Tablets alone cannot make 10% cuts below 9 mg a day: the builder says which product to add.
    preview.get_by_text("add the 0.4 mg/mL solution").wait_for()
    clinician.check("builder, tablets only")
    b.get_by_label("0.4 mg/mL solution", exact=True).check()
    b.get_by_role("button", name="Preview").click()
    preview.get_by_text("steps from").wait_for()
    clinician.check("builder with preview")
    assert preview.locator("tbody tr").count() > 2
    # ...and says that the member does not have it.
    assert "Products the member does not have" in preview.inner_text()
    assert "0.4 mg/mL solution" in preview.inner_text()
    b.get_by_role("button", name="Save as draft").click()
    b.wait_for_url(f"**/members/{member.pk}/plans/1/")
    clinician.check("draft revision", desktop=True)
    clinician.says("Plan revision 1 (draft)", "Products the member does not have", "before approval")
    b.get_by_label("Reason (recorded)").fill("Steady for a week on 10 mg a day; 10% cuts every two weeks.")
    b.get_by_role("button", name="Approve this revision").click()
    b.get_by_text("Revision 1 approved.").wait_for()
    clinician.check("approved revision")
    rev = PlanRevision.objects.get(member=member, number=1)
    assert rev.status == PlanRevision.Status.APPROVED
    assert rev.plan().steps[1].start == today  # the first cut is today

    # The member sees the approved plan waiting for the clinician's word on the first cut, and the new product.
    me.go("/me/")
    body = me.says(
        "Your plan is approved", "It goes ahead only when your clinician says so.", "A new form of your medicine"
    )
    assert me.page.locator("[data-state]").count() == 1
    assert me.page.locator("[data-state=approved_waiting]").count() == 1
    assert "0.4 mg/mL solution" in body and "has not approved a plan yet" not in body

    clinician.go(f"/clinic/{member.pk}/")
    first_cut = b.locator("form", has=b.get_by_role("button", name="Approve the first cut"))
    first_cut.get_by_label("Reason (recorded)").fill("Seven steady days; no danger signs.")
    first_cut.get_by_role("button", name="Approve the first cut").click()
    b.get_by_text("First cut approved.").wait_for()
    clinician.check("first cut approved")
    assert Program.objects.get(member=member).first_cut_approved_at is not None
    # The clinician's page names the same state as the member's home will.
    body = clinician.says("Where they are: cut day today.")
    assert b.locator("[data-state=cut_day]").count() == 1
    assert "Approve the first cut" not in body and "once the clinician approves it" not in body

    # --- 6. The pharmacist dispenses the first fill: the member's tablets, and what they must get ----------
    pharmacist.go("/pharmacy/", desktop=True)
    pharmacist.page.get_by_role("link", name="Harriet Ellis").click()
    pharmacist.page.wait_for_url(f"**/pharmacy/{member.pk}/")
    pharmacist.check("dispensing", desktop=True)
    pharmacist.says("Products the member does not have", "0.4 mg/mL solution", "first needed on")
    first_fill = pharmacist.page.locator(
        "section.card", has=pharmacist.page.get_by_role("button", name="Mark as dispensed")
    ).first
    products_used = first_fill.locator("tbody td:first-child").all_inner_texts()
    assert set(products_used) <= {*TABLETS, "0.4 mg/mL solution"}, products_used
    first_fill.get_by_role("button", name="Mark as dispensed").click()
    pharmacist.page.get_by_text("Marked as dispensed.").wait_for()
    pharmacist.check("dispensed")
    assert Fill.objects.filter(member=member, dispensed_by=chemist).count() == 1

    # --- 7. The member, on the day of the first cut ---------------------------------------------------------
    me.go("/me/", desktop=True)
    body = me.says("Today your dose goes down", "goes down today")
    assert "A new form of your medicine" not in body  # the pharmacist has handed it over with the first fill
    assert me.page.locator("[data-state]").count() == 1
    assert me.page.locator("[data-state=cut_day]").count() == 1
    for contradiction in ("has not approved a plan yet", "Getting steady first", "Start intake"):
        assert contradiction not in body
    cut = rev.plan().steps[1]
    # The first cut is made with the member's own tablets (the liquid comes in two weeks later).
    assert all("tablet" in d.how() and "mL" not in d.how() for d in cut.doses), [d.how() for d in cut.doses]
    dose = cut.doses[0]
    me.page.get_by_role("button", name=f"Taken: the {dose.time:%H:%M} dose").click()
    me.page.locator("#doses .logged").first.wait_for()
    me.check("dose logged")
    assert DoseLog.objects.get(member=member, day=today, time=dose.time).status == "taken"
    me.page.get_by_role("link", name="My plan").click()
    me.page.wait_for_url(f"**/members/{member.pk}/plans/")
    me.check("my plan", desktop=True)
    me.says("Approved revision 1, by Dr Ada Okafor")
    me.page.get_by_role("link", name="See every step").click()
    me.page.wait_for_url(f"**/members/{member.pk}/plans/1/")
    me.check("every step", desktop=True)
    me.says("2 tablets of 2 mg")

    # --- 8. A mentor: staff invite one, and assign them to the member who asked -----------------------------
    staff.go("/staff/", desktop=True)
    staff.says("Members asking for a mentor", "Harriet Ellis")
    staff.page.get_by_label("Email address").fill("jo.mentor@example.org")
    staff.page.get_by_label("Role").select_option("mentor")
    staff.page.get_by_label("Country where they live").select_option(COUNTRY)
    staff.page.get_by_label("Their time zone").select_option(ZONE)
    staff.page.get_by_role("button", name="Send invitation").click()
    staff.page.get_by_text("Invitation sent.").wait_for()
    staff.check("staff, mentor invited")
    mentor = Person(browser, base, "mentor")
    join(mentor, link_in_mail("jo.mentor@example.org", r"/join/\S+/"), "jo", "Jo Mentor")
    staff.page.get_by_role("link", name="choose a mentor").click()
    staff.page.wait_for_url(f"**/staff/members/{member.pk}/mentor/")
    staff.check("choose a mentor", desktop=True)
    staff.page.get_by_label("Mentor").select_option(label="Jo Mentor")
    staff.page.get_by_role("button", name="Make them the mentor").click()
    staff.page.get_by_text("Jo Mentor is now Harriet Ellis's mentor.").wait_for()
    assert member.carer(Role.MENTOR) == User.objects.get(username="jo")

    me.go("/me/care/")
    me.says("Jo Mentor")
    me.page.get_by_label(re.compile("plan", re.I)).first.check()
    me.page.get_by_role("button", name="Save what my mentor may see").click()
    me.page.get_by_text("Saved. Your mentor can now see").wait_for()
    me.check("mentor sharing saved")
    mentor.go("/mentor/")
    mentor.page.get_by_role("link", name="Harriet Ellis").click()
    mentor.page.wait_for_url(f"**/mentor/{member.pk}/")
    mentor.check("mentee", desktop=True)
    mentor.says("Through their plan")

    # --- The key pages again at desktop width: nothing wider than the window, axe clean ---------------------
    for person in (visitor, staff, me, clinician, pharmacist, mentor):
        wide = browser.new_context(viewport=DESKTOP, storage_state=person.context.storage_state())
        page = wide.new_page()
        for path in person.desktop:
            page.goto(base + path)
            assert serious(page) == [], f"{person.who} at 1280 px: {path}"
            assert overflow(page) <= 0, f"{person.who} at 1280 px: {path} is {overflow(page)} px too wide"
        wide.close()
    for person in (visitor, staff, me, clinician, pharmacist, mentor):
        person.context.close()
