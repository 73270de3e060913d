from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path
from django_ratelimit.decorators import ratelimit

from slowtaper.accounts import mfa
from slowtaper.accounts import views as accounts
from slowtaper.checkins import push_views
from slowtaper.checkins import views as checkins
from slowtaper.community import contact, forum, learn, messages_views, site, stories
from slowtaper.community import views as board
from slowtaper.programs import data_views, installable
from slowtaper.programs import views as programs


# Whole addresses are slowed on login and reset; a reset is also limited per email address asked for.
def _login_rate(group: str, request: object) -> str:
    return str(settings.LOGIN_RATE)


def _reset_rate(group: str, request: object) -> str:
    return str(settings.RESET_RATE)


login_view = ratelimit(key="ip", rate=_login_rate, method="POST")(auth_views.LoginView.as_view())
reset_view = ratelimit(key="ip", rate=_reset_rate, method="POST")(
    ratelimit(key="post:email", rate=_reset_rate, method="POST")(auth_views.PasswordResetView.as_view())
)

urlpatterns = [
    path("", site.home, name="home"),
    path("how-it-works/", site.how_it_works, name="how_it_works"),
    path("who-it-is-for/", site.who_it_is_for, name="who_it_is_for"),
    path("about/", site.about, name="about"),
    path("help/", site.crisis_numbers, name="crisis_numbers"),
    path("favicon.ico", site.favicon, name="favicon"),
    path("manifest.webmanifest", installable.manifest, name="manifest"),
    path("sw.js", installable.service_worker, name="service_worker"),
    path("offline/", installable.offline_notice, name="offline_notice"),
    path("accounts/login/", login_view, name="login"),
    path("accounts/logout/", accounts.log_out, name="logout"),
    path("accounts/password-reset/", reset_view, name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("accounts/settings/", accounts.account_settings, name="settings"),
    path("language/", accounts.set_language, name="set_language"),
    path("accounts/email/<str:token>/", accounts.confirm_email, name="confirm_email"),
    path("accounts/sessions/<int:pk>/end/", accounts.end_session, name="end_session"),
    path("accounts/sessions/end-others/", accounts.end_other_sessions, name="end_other_sessions"),
    path("accounts/mfa/", mfa.verify, name="mfa_verify"),
    path("accounts/mfa/setup/", mfa.setup, name="mfa_setup"),
    path("accounts/mfa/recovery/", mfa.recovery, name="mfa_recovery"),
    path("accounts/mfa/off/", mfa.disable, name="mfa_disable"),
    path("join/<str:token>/", accounts.join, name="join"),
    path("contact/", contact.contact, name="contact"),
    path("stories/", stories.public_list, name="stories"),
    path("stories/<int:pk>/", stories.public_story, name="story"),
    path("me/stories/", stories.mine, name="my_stories"),
    path("me/stories/<int:pk>/withdraw/", stories.withdraw, name="withdraw_story"),
    path("staff/stories/", stories.review, name="review_stories"),
    path("staff/stories/<int:pk>/decide/", stories.decide, name="decide_story"),
    path("learn/", learn.index, name="learn"),
    path("learn/drugs/<str:drug_id>/", learn.drug, name="learn_drug"),
    path("learn/<slug:slug>/", learn.page, name="learn_page"),
    path("staff/", accounts.staff, name="staff"),
    path("staff/carers/<int:pk>/verify/", accounts.verify_carer, name="verify_carer"),
    path("staff/requests/", contact.requests, name="contact_requests"),
    path("staff/requests/<int:pk>/", contact.request_detail, name="contact_request"),
    path("staff/requests/<int:pk>/invite/", contact.invite, name="contact_invite"),
    path("staff/requests/<int:pk>/reply/", contact.reply, name="contact_reply"),
    path("staff/members/<int:member_id>/", programs.staff_member, name="staff_member"),
    path("staff/members/<int:member_id>/mentor/", accounts.staff_mentor, name="staff_mentor"),
    path("me/", programs.member_home, name="member_home"),
    path("me/offline/", installable.offline_copy, name="offline_copy"),
    path("me/care/", accounts.care, name="care"),
    path("me/access/", accounts.access_log, name="access_log"),
    path("me/data/", data_views.my_data, name="my_data"),
    path("me/data/download/", data_views.my_data_download, name="my_data_download"),
    path("me/data/erase/", data_views.erase_account, name="erase_account"),
    path("me/care/<str:kind>/end/", accounts.end_link, name="end_link"),
    path("me/care/mentor/sharing/", accounts.mentor_sharing, name="mentor_sharing"),
    path("me/care/mentor/ask/", accounts.ask_for_mentor, name="ask_for_mentor"),
    path("me/intake/", programs.intake, name="intake"),
    path("me/intake/result/", programs.intake_result, name="intake_result"),
    path("me/hold/", programs.hold_form, name="hold_form"),
    path("me/hold/request/", programs.hold_request, name="hold_request"),
    path("me/checkin/", checkins.checkin, name="checkin"),
    path("me/checkin/ciwa-b/", checkins.ciwa, name="ciwa"),
    path("me/checkin/screen/<slug:name>/", checkins.scale, name="scale"),
    path("me/symptoms/", checkins.tracked, name="tracked"),
    path("me/checkin/<int:pk>/", checkins.checkin_saved, name="checkin_saved"),
    path("me/doses/", checkins.log_dose, name="log_dose"),
    path("me/chart/", checkins.chart, name="chart"),
    path("me/push/subscribe/", push_views.subscribe, name="push_subscribe"),
    path("me/push/<int:pk>/remove/", push_views.remove, name="push_remove"),
    path("me/push/<int:pk>/rename/", push_views.rename, name="push_rename"),
    path("members/<int:member_id>/plans/", programs.plans, name="plans"),
    path("members/<int:member_id>/plans/new/", programs.builder, name="builder"),
    path("members/<int:member_id>/plans/<int:number>/", programs.revision, name="revision"),
    path("members/<int:member_id>/plans/<int:number>/approve/", programs.approve, name="approve"),
    path("members/<int:member_id>/plans/<int:number>/withdraw/", programs.withdraw, name="withdraw"),
    path("members/<int:member_id>/export/<str:fmt>/", programs.export, name="export"),
    path("clinic/", programs.clinic, name="clinic"),
    path("clinic/<int:member_id>/", programs.clinic_member, name="clinic_member"),
    path("clinic/<int:member_id>/first-cut/", programs.first_cut, name="first_cut"),
    path("clinic/<int:member_id>/return/", programs.draft_return, name="draft_return"),
    path("clinic/<int:member_id>/signals/", programs.signal_decide, name="signal_decide"),
    path("clinic/<int:member_id>/thresholds/", programs.member_thresholds, name="thresholds"),
    path("clinic/<int:member_id>/holds/<int:pk>/", programs.hold_decide, name="hold_decide"),
    path("clinic/<int:member_id>/tasks/<int:pk>/done/", programs.task_done, name="task_done"),
    path("pharmacy/", programs.pharmacy, name="pharmacy"),
    path("pharmacy/<int:member_id>/", programs.pharmacy_member, name="pharmacy_member"),
    path("pharmacy/<int:member_id>/fills/<str:start>.pdf", programs.fill_pdf, name="fill_pdf"),
    path("pharmacy/<int:member_id>/dispensed/", programs.fill_dispense, name="fill_dispense"),
    path("board/", board.home, name="board_home"),
    path("board/c/<slug:slug>/", board.category, name="board_category"),
    path("board/c/<slug:slug>/new/", board.new_topic, name="board_new_topic"),
    path("board/t/<int:pk>/", board.topic, name="board_topic"),
    path("board/p/<int:pk>/", board.post_link, name="board_post"),
    path("board/p/<int:pk>/edit/", board.edit, name="board_edit"),
    path("board/p/<int:pk>/held/", board.held, name="board_held"),
    path("board/p/<int:pk>/delete/", board.delete, name="board_delete"),
    path("board/p/<int:pk>/report/", board.report, name="board_report"),
    path("board/p/<int:pk>/moderate/", board.moderate, name="board_moderate"),
    path("board/search/", board.search, name="board_search"),
    path("board/moderation/", board.queue, name="board_queue"),
    path("board/rota/", board.rota, name="board_rota"),
    path("board/t/<int:pk>/follow/", board.follow, name="board_follow"),
    path("board/t/<int:pk>/read/", forum.mark_read, name="board_read"),
    path("board/t/<int:pk>/unread/", forum.unread, name="board_unread"),
    path("board/t/<int:pk>/pin/", forum.pin, name="board_pin"),
    path("board/latest/", forum.latest, name="board_latest"),
    path("board/preview/", forum.preview, name="board_preview"),
    path("board/p/<int:pk>/hear/", forum.hear, name="board_hear"),
    path("board/u/<int:pk>/", forum.profile, name="board_profile"),
    path("board/people/", forum.people, name="board_people"),
    path("board/notifications/", board.notifications, name="board_notifications"),
    path("board/settings/", board.board_settings, name="board_settings"),
    path("board/rota/<int:pk>/remove/", board.rota_remove, name="board_rota_remove"),
    path("board/members/<int:pk>/lift/", board.lift, name="board_lift"),
    path("messages/", messages_views.inbox, name="inbox"),
    path("messages/<int:user_id>/", messages_views.conversation, name="conversation"),
    path("mentor/", programs.mentor, name="mentor"),
    path("mentor/<int:member_id>/", programs.mentee, name="mentee"),
]
