"""The one settings module. Every value that differs between machines comes from the environment, read here
through a few strict readers that stop with a clear message on a bad value.

With no environment at all (a fresh clone) this is a development setup: DEBUG on, SQLite in the checkout, email
printed to the console. Production sets SLOWTAPER_ENV=production, which turns DEBUG off and then needs
SLOWTAPER_SECRET_KEY, SLOWTAPER_ALLOWED_HOSTS and usually DATABASE_URL.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default).strip()


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None


def _env_list(name: str, default: str) -> list[str]:
    return [x.strip() for x in _env(name, default).split(",") if x.strip()]


ENVIRONMENT = _env("SLOWTAPER_ENV", "development")
if ENVIRONMENT not in ("development", "production"):
    raise ImproperlyConfigured(f"SLOWTAPER_ENV must be development or production; got {ENVIRONMENT!r}")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = _env_bool("SLOWTAPER_DEBUG", not PRODUCTION)

SECRET_KEY = _env("SLOWTAPER_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SLOWTAPER_SECRET_KEY must be set when DEBUG is off (50+ random characters)")
    SECRET_KEY = "development-only-key-never-used-with-debug-off-" + "x" * 20

# The audit trail's hashes are HMACs under a key of its own (not SECRET_KEY, which signs cookies and may be
# rotated for other reasons): whoever can write the database cannot re-forge the chain without it. Each event
# records the id of the key that signed it; older keys stay listed in SLOWTAPER_AUDIT_OLD_KEYS ("id:secret,...")
# so the trail they signed still verifies after a rotation.
AUDIT_KEY_ID = _env("SLOWTAPER_AUDIT_KEY_ID", "k1")
AUDIT_KEYS: dict[str, str] = {}
for _pair in _env_list("SLOWTAPER_AUDIT_OLD_KEYS", ""):
    _kid, _sep, _secret = _pair.partition(":")
    if not _sep or not _kid or not _secret:
        raise ImproperlyConfigured("SLOWTAPER_AUDIT_OLD_KEYS must be id:secret pairs separated by commas")
    AUDIT_KEYS[_kid] = _secret
_audit_key = _env("SLOWTAPER_AUDIT_KEY", "")
if not _audit_key:
    if not DEBUG:
        raise ImproperlyConfigured("SLOWTAPER_AUDIT_KEY must be set when DEBUG is off (32+ random characters)")
    _audit_key = "development-only-audit-key-" + "y" * 20
AUDIT_KEYS[AUDIT_KEY_ID] = _audit_key

ALLOWED_HOSTS = _env_list("SLOWTAPER_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
SITE_URL = _env("SLOWTAPER_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "js_lib_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "slowtaper.accounts",
    "slowtaper.programs",
    "slowtaper.checkins",
    "slowtaper.community",
]

MIDDLEWARE = [
    "slowtaper.accounts.middleware.client_address",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "slowtaper.accounts.middleware.no_store",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "slowtaper.accounts.middleware.member_locale_and_zone",
    "django.contrib.messages.middleware.MessageMiddleware",
    "slowtaper.accounts.security.sessions_and_mfa",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "slowtaper.urls"
WSGI_APPLICATION = "slowtaper.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates" / "web"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "slowtaper.accounts.context.crisis",
                "slowtaper.community.context.unread",
            ],
        },
    }
]

# SQLite by default, in WAL mode so readers never wait for a writer, with a busy timeout and transactions that
# take the write lock when they begin (no "database is locked" on upgrading a read to a write).
_sqlite_path = Path(_env("SLOWTAPER_SQLITE", str(BASE_DIR.parent.parent / "slowtaper.sqlite3")))
DATABASE_URL = _env("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _sqlite_path,
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "slowtaper.accounts.security.PatternPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]

# Lockout (django-axes, in the database): 5 wrong passwords for one username from one address lock that pair
# for 15 minutes. Keyed on the pair, so one address cannot lock everyone out and a username stays usable from
# its owner's own device. Rate limits (django-ratelimit, counted in the database cache) slow whole addresses.
AXES_FAILURE_LIMIT = _env_int("SLOWTAPER_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=_env_int("SLOWTAPER_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False
RATELIMIT_VIEW = "slowtaper.accounts.views.rate_limited"
LOGIN_RATE = _env("SLOWTAPER_LOGIN_RATE", "30/10m")
RESET_RATE = _env("SLOWTAPER_RESET_RATE", "5/h")
CONTACT_RATE = _env("SLOWTAPER_CONTACT_RATE", "5/h")
# Per account, counted from the rows themselves (no cache to lose): board posts and private messages in any 10
# minutes, and care invitations a member sends in a day. Words of crisis are never refused by these limits.
BOARD_POSTS_PER_10_MINUTES = _env_int("SLOWTAPER_BOARD_POSTS_PER_10_MINUTES", 10)
MESSAGES_PER_10_MINUTES = _env_int("SLOWTAPER_MESSAGES_PER_10_MINUTES", 20)
CARE_INVITATIONS_PER_DAY = _env_int("SLOWTAPER_CARE_INVITATIONS_PER_DAY", 5)
# "pages": a member's rendered pages, kept until something they show changes (accounts/pagecache.py). In each
# process's memory: it is a cache, never the only copy of anything, and every entry is checked against the
# member's stamp in the database, so several processes or hosts each keep their own. About 20 kB a page;
# SLOWTAPER_PAGE_CACHE_ENTRIES=0 keeps none.
_PAGE_ENTRIES = _env_int("SLOWTAPER_PAGE_CACHE_ENTRIES", 2000)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "slowtaper_cache"},
    "pages": (
        {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "slowtaper-pages",
            "TIMEOUT": 24 * 3600,
            "OPTIONS": {"MAX_ENTRIES": _PAGE_ENTRIES},
        }
        if _PAGE_ENTRIES > 0
        else {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    ),
}

# Sessions: logged out after SESSION_IDLE_MINUTES without a request, and SESSION_MAX_HOURS after logging in
# whatever happens (both checked on the server against the session's record; see accounts/security.py).
SESSION_IDLE_MINUTES = _env_int("SLOWTAPER_SESSION_IDLE_MINUTES", 30)
SESSION_MAX_HOURS = _env_int("SLOWTAPER_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
OTP_TOTP_ISSUER = "slowtaper"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("en-gb", _("English (UK)")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(_env("SLOWTAPER_STATIC_ROOT", str(BASE_DIR.parent.parent / "staticfiles")))

EMAIL_BACKEND = _env("SLOWTAPER_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = _env("SLOWTAPER_FROM_EMAIL", "slowtaper <no-reply@slowtaper.invalid>")
EMAIL_HOST = _env("SLOWTAPER_EMAIL_HOST", "localhost")
EMAIL_PORT = _env_int("SLOWTAPER_EMAIL_PORT", 25)

TASKS = {"default": {"BACKEND": _env("SLOWTAPER_TASK_BACKEND", "django_tasks_db.DatabaseBackend")}}

# How early and how late a dose reminder may go out around its dose time, in minutes (the tick runs every
# minute; a late tick still sends, a very late one does not, so nobody is told to take a dose hours late).
REMINDER_WINDOW_MINUTES = _env_int("SLOWTAPER_REMINDER_WINDOW_MINUTES", 30)

# Push reminders (Web Push, RFC 8030) signed with this server's VAPID key pair (RFC 8292): the public key as the
# browser's applicationServerKey (base64url, 65 bytes uncompressed P-256), the private key (base64url, 32 bytes) and a
# subject the push services may contact (mailto: or https:). `python manage.py vapid_keys` makes a pair. With none,
# push is off (email only) and the settings page says so. In development only (DEBUG), a pair written by
# `manage.py vapid_keys --local` to the git-ignored file below is read when the environment has none.
VAPID_LOCAL_FILE = BASE_DIR.parent.parent / "vapid-keys.local.env"


def _vapid(name: str) -> str:
    value = _env(f"SLOWTAPER_{name}", "")
    if value or not DEBUG or not VAPID_LOCAL_FILE.is_file():
        return value
    for line in VAPID_LOCAL_FILE.read_text().splitlines():
        key, sep, found = line.partition("=")
        if sep and key.strip() == f"SLOWTAPER_{name}":
            return found.strip()
    return ""


VAPID_PUBLIC_KEY = _vapid("VAPID_PUBLIC_KEY")
VAPID_PRIVATE_KEY = _vapid("VAPID_PRIVATE_KEY")
VAPID_SUBJECT = _vapid("VAPID_SUBJECT")
if any((VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT)):
    import base64 as _b64

    def _b64url_len(value: str) -> int:
        try:
            return len(_b64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        except ValueError:
            return -1

    if _b64url_len(VAPID_PUBLIC_KEY) != 65 or _b64url_len(VAPID_PRIVATE_KEY) != 32:
        raise ImproperlyConfigured(
            "SLOWTAPER_VAPID_PUBLIC_KEY and SLOWTAPER_VAPID_PRIVATE_KEY must both be set, as printed by "
            "`manage.py vapid_keys` (base64url: 65 and 32 bytes)"
        )
    if not VAPID_SUBJECT.startswith(("mailto:", "https://")):
        raise ImproperlyConfigured("SLOWTAPER_VAPID_SUBJECT must be a mailto: or https: address push services may use")
# Push endpoints on this machine (http://127.0.0.1, localhost) are accepted in development and tests only; real
# push services are https.
PUSH_ALLOW_LOCAL_ENDPOINTS = DEBUG
# The push services a subscription's endpoint may name (the server POSTs to it, so never any other host: it could
# resolve to an internal address): a host as it is, or ".name" for any host under it. The browsers' own: Chrome,
# Opera, Samsung Internet and Brave (Firebase Cloud Messaging), Firefox (Mozilla autopush), Safari (Apple), Edge
# (Windows Push Notification Services). A self-hosted push service is added here, comma-separated.
PUSH_SERVICE_HOSTS = _env_list(
    "SLOWTAPER_PUSH_SERVICE_HOSTS",
    "fcm.googleapis.com,updates.push.services.mozilla.com,.push.apple.com,.notify.windows.com",
)

# The board: a topic nobody has answered goes to the mentor on duty after this many minutes, and to staff after
# this many minutes from when it was started.
BOARD_NO_REPLY_MINUTES = _env_int("SLOWTAPER_BOARD_NO_REPLY_MINUTES", 120)
BOARD_STAFF_MINUTES = _env_int("SLOWTAPER_BOARD_STAFF_MINUTES", 360)

# Messages live in the session, which is flushed when someone else logs in on the same device: one person's
# "saved" notes never show to the next (a cookie would outlive the logout).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
# A form from an out-of-date page says plainly that nothing was saved (accounts/views.py), in the reader's language.
CSRF_FAILURE_VIEW = "slowtaper.accounts.views.csrf_failure"
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HTTPS only in production: redirect plain HTTP, and tell browsers to never try it again for a year. Behind a
# proxy that ends TLS, set SLOWTAPER_PROXY_SSL_HEADER=1 so Django trusts its X-Forwarded-Proto.
SECURE_SSL_REDIRECT = _env_bool("SLOWTAPER_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = _env_int("SLOWTAPER_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
# The reverse proxies in front of the app (addresses or networks, comma-separated). Only a connection from one of
# them has its client taken from X-Forwarded-For (accounts/middleware.client_address); empty: never.
TRUSTED_PROXIES = _env_list("SLOWTAPER_TRUSTED_PROXIES", "")
for _net in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_net, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"SLOWTAPER_TRUSTED_PROXIES: {_net!r} is not an address or network") from exc
if _env_bool("SLOWTAPER_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Our own scripts and styles only: no inline script or style anywhere (plots are images), no frames, no plugins,
# forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env("SLOWTAPER_LOG_LEVEL", "WARNING")},
}
