"""One product identity from intake to dispensing: the engine takes the ids the web app stores, the builder
starts from the member's own products, and a plan that needs a product the member has not got says so to the
member, the clinician and the pharmacist before it is approved."""

import io
import re

import pytest
from pypdf import PdfReader

from conftest import TODAY, login
from slowtaper.programs.models import Fill, Intake, PlanRevision
from slowtaper.programs.products import products_to_obtain
from slowtaper.programs.status import member_day
from slowtaper.taper import build_plan, catalogue, plan_from_dict, plan_to_dict

TABLET_UK = "clonazepam-tablet-0.5mg-uk"
SOLUTION_UK = "clonazepam-solution-0.1mg-ml-uk"


# --- the engine ------------------------------------------------------------------------------------------------


def test_the_engine_takes_product_ids_as_well_as_labels(req):
    by_id = build_plan(req(region="UK", products=(TABLET_UK, SOLUTION_UK), stabilise_days=14))
    by_label = build_plan(req(region="UK", products=("0.5 mg tablet", "0.1 mg/mL solution"), stabilise_days=14))
    assert by_id.steps == by_label.steps
    # Crossover targets too.
    ids = ("diazepam-tablet-2mg-us", "diazepam-solution-1mg-ml-us")
    by_id = build_plan(req(method="crossover", equivalence="ashton", target_products=ids))
    by_label = build_plan(
        req(method="crossover", equivalence="ashton", target_products=("2 mg tablet", "1 mg/mL solution"))
    )
    assert by_id.steps == by_label.steps


def test_stored_plans_name_products_by_id_and_old_plans_by_label_still_read(req):
    plan = build_plan(req(region="UK", products=(TABLET_UK, SOLUTION_UK)))
    data = plan_to_dict(plan)
    portion = data["steps"][0]["doses"][0]["products"][0]
    assert portion["product_id"] in (TABLET_UK, SOLUTION_UK) and portion["product"].startswith("0.")
    assert plan_from_dict(data).steps == plan.steps
    # A plan stored before ids were written: labels only.
    for step in data["steps"]:
        for dose in step["doses"]:
            for p in dose["products"]:
                del p["product_id"]
    assert plan_from_dict(data).steps == plan.steps


def test_products_to_obtain_lists_what_the_plan_uses_that_the_member_lacks(req):
    plan = build_plan(req(region="UK", products=(TABLET_UK, SOLUTION_UK), stabilise_days=14))
    solution = catalogue().product(SOLUTION_UK)
    assert products_to_obtain(plan, {TABLET_UK}) == [solution]
    assert products_to_obtain(plan, {TABLET_UK, SOLUTION_UK}) == []
    # An id stored before ids were explicit counts as the same product.
    assert products_to_obtain(plan, {"clonazepam-tablet-0.5-2", "clonazepam-solution-0.1-1"}) == []


# --- the web journey: a UK member who ticked tablets only ------------------------------------------------------


def _uk_member_with_tablets(client, cast):
    member = cast.member
    member.region, member.time_zone = "UK", "Europe/London"
    member.save()
    login(client, member)
    data = {
        "drug": "clonazepam",
        "time_1": "08:00",
        "mg_1": "0.5",
        "time_2": "22:00",
        "mg_2": "0.5",
        "products": [TABLET_UK],
        "duration": "2",
        "duration_unit": "years",
        "days_per_week": "7",
        "age": "45",
    }
    assert client.post("/me/intake/", data).status_code == 302
    assert Intake.objects.get(member=member).products == [TABLET_UK]
    return member


def test_an_intake_with_tablets_only_counts_steady_days_and_asks_for_the_ciwa_b(client, cast):
    member = _uk_member_with_tablets(client, cast)
    day = member_day(member, TODAY)
    assert day.provisional and day.suggestion is not None and day.due is not None and day.due.ciwa_b
    body = client.get("/me/").content.decode()
    assert "Steady days so far: 0 of 7." in body
    assert "Withdrawal questionnaire" in body


def test_stable_days_are_still_counted_when_the_members_products_cannot_make_their_dose(client, cast):
    member = _uk_member_with_tablets(client, cast)
    # 0.25 mg cannot be made from unscored 0.5 mg tablets; the count of steady days does not depend on products.
    Intake.objects.filter(member=member).update(regimen={"22:00": "0.25"})
    day = member_day(member, TODAY)
    assert day.provisional and day.suggestion is not None


def test_the_builder_starts_from_the_members_own_products(client, cast):
    member = _uk_member_with_tablets(client, cast)
    login(client, cast.clinician)
    url = f"/members/{member.pk}/plans/new/"
    page = client.get(url).content.decode()
    assert re.search(rf'value="{TABLET_UK}"[^>]*checked', page)
    assert not re.search(rf'value="{SOLUTION_UK}"[^>]*checked', page)
    build = {"method": "percent", "step": "10", "every_days": "14", "start": "2027-02-11", "stabilise_days": "14"}
    build |= {"cut_order": "evening-last", "max_step_percent": "10", "min_step_days": "14"}
    # Nothing ticked: the member's tablets, not the region's defaults (which would add the solution and work).
    response = client.post(url, {**build, "preview": "1"})
    body = response.content.decode()
    assert "by at most 10% with 0.5 mg tablet," in body
    assert "add the 0.1 mg/mL solution" in body
    # The clinician adds the solution: the preview works and says plainly what the member must get first.
    response = client.post(url, {**build, "products": [TABLET_UK, SOLUTION_UK], "preview": "1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "This plan needs a product the member does not have:" in body
    assert "<strong>0.1 mg/mL solution</strong>" in body
    assert "Arrange it with the pharmacist before approval." in body


@pytest.mark.parametrize(
    "handed",
    [
        [{"product": SOLUTION_UK, "ml": "10"}],  # as fills are stored: the product's id and amounts
        [{"product": "0.1 mg/mL solution", "used": "10 mL", "supply": "10 mL"}],  # as they were, in English
    ],
)
def test_member_clinician_and_pharmacist_are_told_of_a_new_product_before_approval(client, cast, handed):
    member = _uk_member_with_tablets(client, cast)
    login(client, cast.clinician)
    build = {"method": "percent", "step": "10", "every_days": "14", "start": "2027-02-11", "stabilise_days": "14"}
    build |= {"cut_order": "evening-last", "max_step_percent": "10", "min_step_days": "14"}
    client.post(f"/members/{member.pk}/plans/new/", {**build, "products": [TABLET_UK, SOLUTION_UK], "save": "1"})
    rev = PlanRevision.objects.get(member=member)
    assert rev.status == "draft"
    first_day = rev.plan().steps[1].start  # the first cut, which needs the solution
    body = client.get(f"/members/{member.pk}/plans/{rev.number}/").content.decode()
    assert "This plan needs a product the member does not have:" in body
    assert "Arrange it with the pharmacist before approval." in body
    # The pharmacist learns of it from the draft, before approval.
    login(client, cast.pharmacist)
    body = client.get(f"/pharmacy/{member.pk}/").content.decode()
    assert "Draft revision 1, waiting for the clinician" in body
    assert "0.1 mg/mL solution" in body and f"first needed on {first_day:%-d %B %Y}" in body
    # The member is not shown the clinician's draft; once approved, they are told plainly.
    login(client, member)
    assert "A new form of your medicine" not in client.get("/me/").content.decode()
    login(client, cast.clinician)
    client.post(f"/members/{member.pk}/plans/1/approve/", {"reason": "Agreed with the pharmacist"})
    rev.refresh_from_db()
    assert rev.status == "approved"
    assert (
        "Arrange it with the pharmacist before then." in client.get(f"/members/{member.pk}/plans/1/").content.decode()
    )
    login(client, member)
    home = client.get("/me/").content.decode()
    assert "Your plan uses a new form of your medicine:" in home and "0.1 mg/mL solution" in home
    assert "do not start it until you have it" in home.lower()
    assert "Your plan uses a new form of your medicine:" in client.get(f"/members/{member.pk}/plans/").content.decode()
    # In Spanish the product is named in Spanish, its amount as Spanish writes it (it was the English label).
    member.locale = "es"
    member.save()
    home = client.get("/me/").content.decode()
    assert "solución de 0,1 mg/mL" in home and "0.1 mg/mL solution" not in home
    member.locale = "en"
    member.save()
    login(client, cast.pharmacist)
    body = client.get(f"/pharmacy/{member.pk}/").content.decode()
    assert "This plan needs products the member does not have at home:" in body
    sheet = client.get(f"/pharmacy/{member.pk}/fills/{rev.plan().start.isoformat()}.pdf").content
    words = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet)).pages).split())
    assert "New to this member: 0.1 mg/mL solution" in words
    # Once the pharmacist has handed it over, nobody is told to obtain it again.
    fill = Fill.objects.create(
        member=member,
        revision=rev,
        start=rev.plan().start,
        end=first_day,
        lines=handed,
        dispensed_by=cast.pharmacist,
    )
    assert fill.pk
    assert "does not have at home" not in client.get(f"/pharmacy/{member.pk}/").content.decode()
    login(client, member)
    assert "A new form of your medicine" not in client.get("/me/").content.decode()


def test_a_member_who_named_no_products_is_not_told_of_new_ones(client, cast, approved):
    # give_intake ticks nothing: what the member has is unknown, so nothing is called new.
    assert cast.member.intakes.get().products == []
    login(client, cast.member)
    assert "A new form of your medicine" not in client.get("/me/").content.decode()
