"""The board as a forum: what is new since your last visit, Latest, pinned topics, category order."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from conftest import login
from slowtaper.community import board
from slowtaper.community.models import Category, Post, Topic, TopicRead


@pytest.fixture
def tapering(db):
    return Category.objects.get(slug="tapering")


def visible(author, topic, body):
    post = board.write(author, topic, body)
    Post.objects.filter(pk=post.pk).update(status="visible", held_for="")
    post.refresh_from_db()
    return post


@pytest.fixture
def thread(cast, tapering):
    """A topic by the mentor with two posts, written after the member joined."""
    topic = Topic.objects.create(category=tapering, title="Holding at 0.5", author=cast.mentor)
    first = visible(cast.mentor, topic, "How is everyone?")
    second = visible(cast.staff, topic, "Welcome back.")
    return topic, first, second


def item(html: str, title: str) -> str:
    """The topic list's line for `title`."""
    found = re.search(rf"<li[^>]*>(?:(?!</li>).)*{re.escape(title)}(?:(?!</li>).)*</li>", html, re.S)
    assert found, title
    return found.group(0)


def test_a_topic_list_shows_replies_last_poster_and_what_is_new(client, cast, thread):
    topic, _first, _second = thread
    login(client, cast.member)
    line = item(client.get("/board/c/tapering/").content.decode(), "Holding at 0.5")
    assert "1 reply" in line
    assert "last post by Staff" in line
    assert "new topic" in line and f"/board/t/{topic.pk}/unread/" in line
    assert 'class="unread"' in line


def test_viewing_a_topic_changes_nothing_until_the_page_posts_its_read_marker(client, cast, thread):
    topic, _first, second = thread
    login(client, cast.member)
    page = client.get(f"/board/t/{topic.pk}/").content.decode()
    assert not TopicRead.objects.filter(
        user=cast.member
    ).exists()  # a GET (a prefetch, a link preview) marks nothing read
    assert f'name="upto" value="{second.pk}"' in page and 'hx-trigger="load"' in page
    assert page.count(">New</strong>") == 2
    # The page's POST (htmx on load; a button without JS) moves the marker: the form swaps itself away.
    response = client.post(f"/board/t/{topic.pk}/read/", {"upto": second.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    assert TopicRead.objects.get(user=cast.member, topic=topic).upto == second.pk
    page = client.get(f"/board/t/{topic.pk}/").content.decode()
    assert 'name="upto"' not in page and ">New</strong>" not in page  # nothing new: nothing sent
    line = item(client.get("/board/c/tapering/").content.decode(), "Holding at 0.5")
    assert "new" not in line.replace("Holding", "")
    # A reply by someone else is new again, with the jump to it.
    third = visible(cast.mentor, topic, "A reply since.")
    line = item(client.get("/board/c/tapering/").content.decode(), "Holding at 0.5")
    assert "1 new post" in line
    assert client.get(f"/board/t/{topic.pk}/unread/")["Location"] == f"/board/t/{topic.pk}/#post-{third.pk}"


def test_the_read_marker_only_moves_forward_and_refuses_posts_of_other_topics(client, cast, thread, tapering):
    topic, first, second = thread
    login(client, cast.member)
    assert client.post(f"/board/t/{topic.pk}/read/", {"upto": second.pk}).status_code == 302  # without JS
    client.post(f"/board/t/{topic.pk}/read/", {"upto": first.pk})  # page 1 read again later
    assert TopicRead.objects.get(user=cast.member, topic=topic).upto == second.pk
    elsewhere = Topic.objects.create(category=tapering, title="Other", author=cast.mentor)
    other = visible(cast.mentor, elsewhere, "Elsewhere")
    for bad in (str(other.pk), "x", "", "-3"):
        assert client.post(f"/board/t/{topic.pk}/read/", {"upto": bad}).status_code == 400
    assert TopicRead.objects.get(user=cast.member, topic=topic).upto == second.pk
    assert client.get(f"/board/t/{topic.pk}/read/").status_code == 405


def test_the_jump_lands_on_the_page_holding_the_first_new_post(client, cast, tapering):
    from slowtaper.community.views import PAGE

    topic = Topic.objects.create(category=tapering, title="Long", author=cast.mentor)
    posts = [visible(cast.mentor, topic, f"post {i}") for i in range(2 * PAGE + 3)]
    login(client, cast.member)
    client.post(f"/board/t/{topic.pk}/read/", {"upto": posts[2 * PAGE].pk})
    first_new = posts[2 * PAGE + 1]
    assert client.get(f"/board/t/{topic.pk}/unread/")["Location"] == (
        f"/board/t/{topic.pk}/?page=3#post-{first_new.pk}"
    )
    # Nothing new: to the newest post.
    client.post(f"/board/t/{topic.pk}/read/", {"upto": posts[-1].pk})
    assert client.get(f"/board/t/{topic.pk}/unread/")["Location"].endswith(f"#post-{posts[-1].pk}")


def test_own_posts_and_old_topics_are_never_new(client, cast, tapering):
    old = Topic.objects.create(category=tapering, title="From before", author=cast.mentor)
    before = visible(cast.mentor, old, "Written before the member joined.")
    Post.objects.filter(pk=before.pk).update(created=cast.member.date_joined - timedelta(days=3))
    mine = Topic.objects.create(category=tapering, title="My own", author=cast.member)
    Post.objects.create(topic=mine, author=cast.member, body="mine", html="<p>mine</p>", status="visible")
    started = Topic.objects.create(category=tapering, title="Started by me", author=cast.member)
    board.write(cast.member, started, "My question")  # held (a first post), still read by its writer
    login(client, cast.member)
    html = client.get("/board/c/tapering/").content.decode()
    assert 'class="unread"' not in item(html, "From before")
    assert 'class="unread"' not in item(html, "My own")
    assert 'class="unread"' not in item(html, "Started by me")
    visible(cast.mentor, started, "An answer")
    assert "1 new post" in item(client.get("/board/c/tapering/").content.decode(), "Started by me")


def test_latest_lists_every_category_and_can_keep_only_what_is_new(client, cast, thread):
    topic, _first, second = thread
    intro = Topic.objects.create(category=Category.objects.get(slug="introductions"), title="Hi all", author=cast.staff)
    visible(cast.staff, intro, "Hello")
    login(client, cast.member)
    html = client.get("/board/latest/").content.decode()
    assert html.index("Hi all") < html.index("Holding at 0.5")  # newest activity first, across categories
    assert "Introductions" in item(html, "Hi all")
    client.post(f"/board/t/{topic.pk}/read/", {"upto": second.pk})
    html = client.get("/board/latest/?show=unread").content.decode()
    assert "Hi all" in html and "Holding at 0.5" not in html
    TopicRead.objects.create(user=cast.member, topic=intro, upto=10**9)
    assert "Nothing new since your last visit." in client.get("/board/latest/?show=unread").content.decode()


def test_staff_pin_a_topic_to_the_top_of_its_category_and_others_cannot(client, cast, thread, tapering):
    topic, _first, _second = thread
    older = Topic.objects.create(category=tapering, title="Read this first", author=cast.staff)
    visible(cast.staff, older, "The rules")
    Topic.objects.filter(pk=older.pk).update(last_activity=topic.last_activity - timedelta(days=30))
    for who in (cast.member, cast.mentor):
        login(client, who)
        assert client.post(f"/board/t/{older.pk}/pin/").status_code == 403
    login(client, cast.staff)
    html = client.get("/board/c/tapering/").content.decode()
    assert html.index("Holding at 0.5") < html.index("Read this first")
    assert client.post(f"/board/t/{older.pk}/pin/").status_code == 302
    html = client.get("/board/c/tapering/").content.decode()
    assert html.index("Read this first") < html.index("Holding at 0.5")
    assert "Pinned" in item(html, "Read this first")
    client.post(f"/board/t/{older.pk}/pin/")  # unpin
    assert not Topic.objects.get(pk=older.pk).pinned


def test_categories_come_in_their_chosen_order_introductions_first(client, cast):
    login(client, cast.member)
    html = client.get("/board/").content.decode()
    names = [c.name for c in Category.objects.all()]
    assert names[0] == "Introductions"
    assert [html.index(f">{n}</a>") for n in names] == sorted(html.index(f">{n}</a>") for n in names)


# --- writing: preview and quote-reply -------------------------------------------------------------------------


def test_a_preview_renders_safely_saves_nothing_and_says_when_there_is_nothing(client, cast, thread):
    topic, _first, _second = thread
    login(client, cast.member)
    before = Post.objects.count()
    text = "**Day 3** and <script>alert(1)</script> [x](javascript:alert(1))"
    response = client.post("/board/preview/", {"body": text, "to": f"/board/t/{topic.pk}/"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<strong>Day 3</strong>" in html
    assert "<script>" not in html and 'href="javascript' not in html and "&lt;script&gt;" in html
    assert "<html" not in html  # the fragment only
    assert Post.objects.count() == before
    empty = client.post("/board/preview/", {"body": "  "}, HTTP_HX_REQUEST="true").content.decode()
    assert "Nothing to preview yet" in empty
    long = client.post("/board/preview/", {"body": "x" * 10_001}, HTTP_HX_REQUEST="true").content.decode()
    assert "longer than a post may be" in long


def test_without_js_the_preview_is_a_page_whose_form_posts_the_text_where_it_was_going(client, cast, thread):
    topic, _first, _second = thread
    login(client, cast.member)
    page = client.get(f"/board/t/{topic.pk}/").content.decode()
    assert 'formaction="/board/preview/"' in page and 'hx-post="/board/preview/"' in page
    html = client.post("/board/preview/", {"body": "*soft*", "to": f"/board/t/{topic.pk}/"}).content.decode()
    assert "<em>soft</em>" in html and f'action="/board/t/{topic.pk}/"' in html and "*soft*</textarea>" in html
    new = client.post("/board/preview/", {"body": "b", "title": "Hi", "to": "/board/c/tapering/new/"}).content.decode()
    assert 'name="title" value="Hi"' in new
    mine = visible(cast.member, topic, "typo")
    edit = client.post("/board/preview/", {"body": "fixed", "to": f"/board/p/{mine.pk}/edit/"}).content.decode()
    assert f'action="/board/p/{mine.pk}/edit/"' in edit and ">Save</button>" in edit
    for elsewhere in ("https://evil.example/", "/accounts/logout/", ""):
        assert client.post("/board/preview/", {"body": "b", "to": elsewhere}).status_code == 400


def test_quote_reply_puts_the_post_as_a_quote_in_the_reply_box(client, cast, thread, tapering):
    topic, first, _second = thread
    login(client, cast.member)
    html = client.get(f"/board/t/{topic.pk}/").content.decode()
    assert f'href="?quote={first.pk}#reply"' in html
    html = client.get(f"/board/t/{topic.pk}/?quote={first.pk}").content.decode()
    assert "&gt; **Mentor** wrote:\n&gt;\n&gt; How is everyone?\n\n</textarea>" in html
    assert "data-quoting" in html
    # A post of another topic, a hidden one, or nonsense quotes nothing.
    elsewhere = Topic.objects.create(category=tapering, title="Other", author=cast.mentor)
    other = visible(cast.mentor, elsewhere, "Not here")
    hidden = visible(cast.mentor, topic, "Hidden words")
    Post.objects.filter(pk=hidden.pk).update(status="hidden")
    for bad in (other.pk, hidden.pk, "x"):
        html = client.get(f"/board/t/{topic.pk}/?quote={bad}").content.decode()
        assert "wrote:" not in html and "data-quoting" not in html


# --- "I hear you", badges, profiles -------------------------------------------------------------------------


def test_i_hear_you_is_one_per_person_survives_a_double_tap_and_can_be_taken_back(client, cast, thread):
    from slowtaper.community.models import Reaction

    topic, first, _second = thread
    login(client, cast.member)
    html = client.get(f"/board/t/{topic.pk}/").content.decode()
    assert f'action="/board/p/{first.pk}/hear/"' in html and 'aria-pressed="false"' in html
    for _tap in range(2):  # a double tap says "on" twice: still one reaction
        response = client.post(f"/board/p/{first.pk}/hear/", {"on": "1"}, HTTP_HX_REQUEST="true")
    assert Reaction.objects.filter(post=first).count() == 1
    fragment = response.content.decode()
    assert 'aria-pressed="true"' in fragment and "you hear this" in fragment and 'name="on" value="0"' in fragment
    login(client, cast.other_member)
    client.post(f"/board/p/{first.pk}/hear/", {"on": "1"})
    html = client.get(f"/board/t/{topic.pk}/").content.decode()
    assert "2 people hear this, you too" in html
    assert client.post(f"/board/p/{first.pk}/hear/", {"on": "0"})["Location"] == f"/board/t/{topic.pk}/#post-{first.pk}"
    client.post(f"/board/p/{first.pk}/hear/", {"on": "0"})
    assert Reaction.objects.filter(post=first).count() == 1
    # Its author sees the count, and cannot react to their own post; there is nothing like a down-vote.
    login(client, cast.mentor)
    html = client.get(f"/board/t/{topic.pk}/").content.decode()
    assert "1 person hears you" in html and f'action="/board/p/{first.pk}/hear/"' not in html
    assert client.post(f"/board/p/{first.pk}/hear/", {"on": "1"}).status_code == 400
    login(client, cast.member)
    assert client.post(f"/board/p/{first.pk}/hear/", {"on": "-1"}).status_code == 400
    held = board.write(cast.other_member, topic, "Held first post")
    assert client.post(f"/board/p/{held.pk}/hear/", {"on": "1"}).status_code == 404
    assert Reaction.objects.filter(post=first).count() == 1


def test_posts_show_mentor_and_staff_badges_and_link_to_a_profile(client, cast, thread):
    topic, _first, _second = thread
    login(client, cast.member)
    html = client.get(f"/board/t/{topic.pk}/").content.decode()
    assert f'<a href="/board/u/{cast.mentor.pk}/">Mentor</a></strong> <span class="tag">Mentor</span>' in html
    assert f'<a href="/board/u/{cast.staff.pk}/">Staff</a></strong> <span class="tag">Staff</span>' in html


def test_a_profile_shows_nothing_private_and_only_board_people_exist_there(client, cast):
    cast.mentor.time_zone = "Europe/London"
    cast.mentor.save()
    login(client, cast.member)
    html = client.get(f"/board/u/{cast.mentor.pk}/").content.decode()
    assert "Peer mentor" in html and "Europe/London" in html and cast.mentor.date_joined.strftime("%B %Y") in html
    assert cast.mentor.email not in html
    for nobody in (cast.clinician, cast.pharmacist):
        assert client.get(f"/board/u/{nobody.pk}/").status_code == 404
    login(client, cast.clinician)
    assert client.get(f"/board/u/{cast.mentor.pk}/").status_code == 403


# --- mentions -------------------------------------------------------------------------------------------------


def test_suggestions_find_board_people_by_display_name_or_handle_and_nothing_else(client, cast):
    cast.mentor.last_name = "Okafor"
    cast.mentor.save()
    login(client, cast.member)
    found = client.get("/board/people/?q=men").json()["people"]
    assert found == [{"name": "Mentor Okafor", "handle": "mentor", "role": "mentor"}]
    assert client.get("/board/people/?q=oka").json()["people"][0]["handle"] == "mentor"
    assert client.get("/board/people/?q=Mentor Ok").json()["people"][0]["handle"] == "mentor"
    assert client.get("/board/people/?q=cli").json()["people"] == []  # a clinician is not on the board
    assert client.get("/board/people/?q=m").json()["people"] == []  # two letters at least
    assert client.get("/board/people/?q=mem").json()["people"] == []  # not oneself
    assert set(client.get("/board/people/?q=st").json()["people"][0]) == {"name", "handle", "role"}
    login(client, cast.clinician)
    assert client.get("/board/people/?q=men").status_code == 403


def test_suggestions_are_rate_limited_per_person(client, cast):
    from slowtaper.community import forum

    forum.SUGGEST_RATE = "3/m"
    try:
        login(client, cast.member)
        codes = [client.get("/board/people/?q=men").status_code for _ in range(4)]
    finally:
        forum.SUGGEST_RATE = "120/m"
    assert codes == [200, 200, 200, 429]


def test_a_mention_of_nobody_says_so_in_the_preview_and_after_posting(client, cast, thread):
    topic, _first, _second = thread
    login(client, cast.mentor)
    html = client.post(
        "/board/preview/", {"body": "Thanks @member and @nosuchperson"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Nobody on the board is called @nosuchperson" in html and "@member," not in html
    response = client.post(f"/board/t/{topic.pk}/", {"body": "Thanks @member and @clinician"}, follow=True)
    html = response.content.decode()
    assert "Nobody on the board is called @clinician, so nobody was told." in html
    response = client.post(f"/board/t/{topic.pk}/", {"body": "Thanks @Member"}, follow=True)
    assert "so nobody was told" not in response.content.decode()


def test_the_reply_box_offers_mentions_with_a_static_script(client, cast, thread):
    topic, _first, _second = thread
    login(client, cast.member)
    html = client.get(f"/board/t/{topic.pk}/").content.decode()
    assert 'data-mentions="/board/people/"' in html and "slowtaper/mentions.js" in html


def test_a_mention_at_the_end_of_a_sentence_reaches_the_person(client, cast, thread):
    from slowtaper.community.models import Notification

    topic, _first, _second = thread
    login(client, cast.mentor)
    response = client.post(f"/board/t/{topic.pk}/", {"body": "Well said, @staff."}, follow=True)
    assert "so nobody was told" not in response.content.decode()
    assert Notification.objects.filter(user=cast.staff, kind="mention").count() == 1


def test_a_members_reactions_and_read_markers_are_in_their_export_and_go_with_their_account(client, cast, thread):
    from slowtaper import rights
    from slowtaper.community.models import Reaction

    topic, first, second = thread
    login(client, cast.member)
    client.post(f"/board/p/{first.pk}/hear/", {"on": "1"})
    client.post(f"/board/t/{topic.pk}/read/", {"upto": second.pk})
    data = rights.everything(cast.member)
    assert [r["post"] for r in data["board_reactions_given"]] == [first.pk]
    assert [r["upto"] for r in data["board_read_markers"]] == [second.pk]
    rights.erase(cast.member)
    assert (
        not Reaction.objects.exists()
        and not TopicRead.objects.filter(topic=topic).exclude(user=cast.mentor).exclude(user=cast.staff).exists()
    )
