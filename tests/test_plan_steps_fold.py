"""A plan's steps on its revision page: a plan with daily micro-steps has hundreds, so the page shows the
member's step today (with the next change above it), the next few and the last, and folds the rest behind
<details> (no JavaScript), as the pharmacy page folds later fills."""

from __future__ import annotations

import re

from conftest import give_intake, give_plan, login
from slowtaper.programs.views import FOLD_NEXT, FOLD_OVER


def outside_details(page: str) -> str:
    return re.sub(r"<details.*?</details>", "", page, flags=re.S)


def body_rows(html: str) -> list[str]:
    """The table rows of steps (not the header rows)."""
    return re.findall(r"<tr(?: class=\"today\")?><td>.*?</tr>", html, flags=re.S)


def test_a_micro_step_plan_shows_today_the_next_change_and_the_last_step_and_folds_the_rest(client, cast):
    give_intake(cast.member)
    # From 27 Jan: 7 days' stabilisation, then daily micro-steps; TODAY (10 Feb) is the eighth day of cuts.
    rev = give_plan(cast.member, cast.clinician, micro_steps=True)
    steps = rev.plan().steps
    assert len(steps) > 300
    page = login(client, cast.member).get(f"/members/{cast.member.pk}/plans/{rev.number}/").content.decode()

    assert "Today, Wednesday 10 February: step 9" in page
    assert steps[8].doses[0].how() in page
    change = re.search(r"<p data-next-change>(.*?)</p>", page, flags=re.S)
    assert change and "Planned for Thursday 11 February" in change.group(1)

    visible = outside_details(page)
    rows = body_rows(visible)
    assert len(rows) == 1 + FOLD_NEXT + 1  # today's step, the next few, the last
    assert 'class="today"' in rows[0] and "10 Feb 2027" in rows[0]
    assert rows[-1].startswith(f"<tr><td>{len(steps)} ")
    assert len(body_rows(page)) == len(steps)  # every step is still on the page, one click away
    assert "8 earlier steps" in page and f"{len(steps) - 1 - FOLD_NEXT - 1 - 8} more steps" in page
    assert len(visible) < 20_000 < len(page)  # what loads open stays small, however long the plan


def test_a_plan_of_ordinary_length_shows_every_step_and_marks_today(client, cast):
    give_intake(cast.member)
    rev = give_plan(cast.member, cast.clinician)  # 10% cuts every 14 days: about 30 steps
    steps = rev.plan().steps
    assert 20 < len(steps) <= FOLD_OVER
    page = login(client, cast.clinician).get(f"/members/{cast.member.pk}/plans/{rev.number}/").content.decode()
    assert "<details" not in page
    rows = body_rows(page)
    assert len(rows) == len(steps)
    today = [r for r in rows if 'class="today"' in r]
    assert len(today) == 1 and today[0].startswith('<tr class="today"><td>2 ')  # the first cut, 3 Feb


def test_a_revision_not_in_force_has_no_today(client, cast):
    give_intake(cast.member)
    first = give_plan(cast.member, cast.clinician, micro_steps=True)
    give_plan(cast.member, cast.clinician)  # supersedes the first
    page = login(client, cast.member).get(f"/members/{cast.member.pk}/plans/{first.number}/").content.decode()
    assert "Today," not in page and 'class="today"' not in page
    rows = body_rows(outside_details(page))
    assert rows[0].startswith("<tr><td>1 ") and len(rows) == 1 + FOLD_NEXT + 1
