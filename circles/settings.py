"""Circles settings, read from environment variables (see .env.example for every one of them)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from circles.lib.vapid import VapidKeyError, check_vapid_keys


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in env(name, default).split(",") if part.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent

# "development" (the default, used by `make run` and the tests) or "production".
# Production turns on secure cookies, HSTS and HTTPS redirects, insists on a real SECRET_KEY,
# and refuses to create demo users.
CIRCLES_ENV = env("CIRCLES_ENV", "development")
if CIRCLES_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("CIRCLES_ENV must be 'development' or 'production'")
PRODUCTION = CIRCLES_ENV == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when CIRCLES_ENV=production")

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("Set SECRET_KEY (50+ random characters) in production")
    SECRET_KEY = "development-only-secret-key-not-for-production-use-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "circles.accounts",
    "circles.network",
    "circles.checkins",
    "circles.sharing",
    "circles.audit",
    "circles.alerts",
    "circles.notices",
    "circles.care",
    "circles.records",
    "circles.worker",
    "circles.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "circles.lib.middleware.PermissionsPolicyMiddleware",
    # Before anything reads the body: a body over DATA_UPLOAD_MAX_MEMORY_SIZE gets 413, not 400.
    "circles.lib.middleware.RequestTooLargeMiddleware",
    "circles.lib.client.RequestAddressMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user verified once a second factor is given in this session (two-factor sign-in).
    "django_otp.middleware.OTPMiddleware",
    # Until that factor is given (or, for staff roles, set up), the session reaches only the page asking.
    "circles.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "circles.accounts.sessions.SessionLimitsMiddleware",
    "circles.lib.middleware.UserTimezoneMiddleware",
    "circles.lib.middleware.PrivateNoStoreMiddleware",
    "circles.lib.ratelimit.RateLimitedMiddleware",
    # Last, as django-axes asks, so it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "circles.urls"
WSGI_APPLICATION = "circles.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "circles" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                # The header's menu for the person and the mode they are in.
                "circles.menus.menu",
            ],
        },
    },
]

# --- Database: SQLite (WAL) when DATABASE_URL is unset, else whatever it names (PostgreSQL).
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "circles.sqlite3")),
            "OPTIONS": {
                # WAL lets the web server and the worker read while one of them writes.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_MINUTES", 60) * 60

# Idle timeout: a session's lifetime restarts with activity (circles/accounts/sessions.py), so it
# ends after this many minutes without any; and however active, it ends SESSION_ABSOLUTE_MINUTES after
# sign-in. Professionals and organization administrators get the shorter STAFF figures (automatic
# logoff, HIPAA 164.312(a)(2)(iii)).
SESSION_IDLE_TIMEOUT_MINUTES = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 60)
SESSION_ABSOLUTE_MINUTES = env_int("SESSION_ABSOLUTE_MINUTES", 12 * 60)
SESSION_IDLE_TIMEOUT_STAFF_MINUTES = env_int("SESSION_IDLE_TIMEOUT_STAFF_MINUTES", 15)
SESSION_ABSOLUTE_STAFF_MINUTES = env_int("SESSION_ABSOLUTE_STAFF_MINUTES", 8 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# Login throttling (django-axes): five failures for one account *from one client address* lock that
# pair out for the cool-off period, so someone else's typos on a shared network (a shelter, a clinic)
# lock nobody else out, and nobody can lock Riley out from elsewhere.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "circles.accounts.views.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "circles.lib.client.client_address_group"
AXES_USERNAME_CALLABLE = "circles.accounts.auth.login_username"
# How many reverse proxies of ours stand in front of the app and append to X-Forwarded-For.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Personal access tokens for the API: a default and a longest lifetime, in days.
TOKEN_DEFAULT_DAYS = env_int("TOKEN_DEFAULT_DAYS", 90)
TOKEN_MAX_DAYS = env_int("TOKEN_MAX_DAYS", 365)

# Two-factor sign-in (django-otp): the name an authenticator app shows beside the code.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Circles")

# Rate limits on what reaches someone's inbox or guesses a password: "count/seconds" per client address
# and per email address (circles/lib/ratelimit.py). Counted in the cache below.
RATE_LIMIT_SIGNUP = env("RATE_LIMIT_SIGNUP", "5/3600")
RATE_LIMIT_PASSWORD_RESET = env("RATE_LIMIT_PASSWORD_RESET", "3/3600")
RATE_LIMIT_INVITATION_SEND = env("RATE_LIMIT_INVITATION_SEND", "10/3600")
RATE_LIMIT_PASSWORD_REENTRY = env("RATE_LIMIT_PASSWORD_REENTRY", "5/900")
# Not a limit: past this many wrong passwords for one account from anywhere, its owner is emailed.
RATE_LIMIT_SIGNIN_FAILURES = env("RATE_LIMIT_SIGNIN_FAILURES", "20/3600")
for _name in ("SIGNUP", "PASSWORD_RESET", "INVITATION_SEND", "PASSWORD_REENTRY", "SIGNIN_FAILURES"):
    _count, _slash, _seconds = globals()[f"RATE_LIMIT_{_name}"].partition("/")
    if not (_count.isdigit() and _seconds.isdigit() and int(_count) > 0 and int(_seconds) > 0):
        raise ImproperlyConfigured(f"RATE_LIMIT_{_name} must be 'count/seconds', both at least 1")

# --- Cache: rate-limit counters must be seen by every web process on every machine, never kept in one
# process's memory. Redis in production (CACHE_URL=redis://…); the database otherwise (`make run`
# creates its table with `manage.py createcachetable`).
CACHE_URL = env("CACHE_URL")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "circles_cache"}
    }

# --- Keys kept outside the database. Each is a comma-separated list, newest first: the first is used for
# new data, the others still read older data until it is rotated (docs/deploy.md, "Keys").
# FIELD_ENCRYPTION_KEYS: Fernet keys (32 bytes, url-safe base64) for free text at rest.
# AUDIT_HMAC_KEYS: "id:secret" pairs that key the audit trail's hash chain and sign its checkpoints.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", "")
AUDIT_HMAC_KEYS = env_list("AUDIT_HMAC_KEYS", "")
if PRODUCTION and not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEYS in production (docs/deploy.md, Keys)")
if PRODUCTION and not AUDIT_HMAC_KEYS:
    raise ImproperlyConfigured("Set AUDIT_HMAC_KEYS in production (docs/deploy.md, Keys)")
if not FIELD_ENCRYPTION_KEYS:
    FIELD_ENCRYPTION_KEYS = ["ZGV2ZWxvcG1lbnQtb25seS1maWVsZC1rZXktMDAwMDA="]  # development only
if not AUDIT_HMAC_KEYS:
    AUDIT_HMAC_KEYS = ["dev:development-only-audit-key-not-for-production"]  # development only
# Where the signed head of the audit chain is written on a schedule: a file path, or "log" for a log line.
AUDIT_CHECKPOINT_PATH = env("AUDIT_CHECKPOINT_PATH", str(BASE_DIR / "audit-checkpoints.jsonl"))
AUDIT_CHECKPOINT_MINUTES = env_int("AUDIT_CHECKPOINT_MINUTES", 60)
# How long audit rows are kept: six years by default (HIPAA 164.316(b)(2)).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 6 * 366)

# --- Security headers. Everything is served from our own origin; no inline script anywhere.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
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
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Email: the console in development, SMTP in production (docs/deploy.md).
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Circles <no-reply@circles.invalid>")

# --- Sharing: how long an emailed invitation to a supporter stays valid.
INVITATION_EXPIRY_DAYS = env_int("INVITATION_EXPIRY_DAYS", 7)

# --- Alerts (docs/alerts.md). SITE_URL is where acknowledgement links in emails and texts point.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
ALERT_ANSWER_LINK_HOURS = env_int("ALERT_ANSWER_LINK_HOURS", 24)
ALERT_ANSWERED_OPEN_HOURS = env_int("ALERT_ANSWERED_OPEN_HOURS", 24)
# A message to the ladder still unsent after this long: the member's alert page says sending is
# delayed and offers the phone numbers and emails they saved for the people on their ladder.
ALERT_DELAYED_SECONDS = env_int("ALERT_DELAYED_SECONDS", 60)
# Delivery: a claimed notification is the worker's for the lease; failures retry with capped
# exponential backoff and jitter until ALERT_MAX_ATTEMPTS, then the notification is marked dead.
# Short, so a dead worker's rows are due again within seconds; a live worker renews it while it sends.
ALERT_LEASE_SECONDS = env_int("ALERT_LEASE_SECONDS", 10)
# The defaults keep trying for about half an hour (12 attempts, waits from 5 s up to 5 minutes).
ALERT_MAX_ATTEMPTS = env_int("ALERT_MAX_ATTEMPTS", 12)
ALERT_RETRY_BASE_SECONDS = float(env("ALERT_RETRY_BASE_SECONDS", "5"))
ALERT_RETRY_CAP_SECONDS = float(env("ALERT_RETRY_CAP_SECONDS", "300"))
ALERT_HTTP_TIMEOUT = float(env("ALERT_HTTP_TIMEOUT", "10"))
# How often an idle worker looks for due rows (PostgreSQL also wakes it at once with NOTIFY).
ALERT_POLL_SECONDS = float(env("ALERT_POLL_SECONDS", "0.2"))
# Sending inside one worker: this many threads, and at most so many sends at once to one webhook host,
# to the mail server or the SMS provider, and for one member's alerts, so one slow destination or one
# member's ladder never takes every thread. A destination whose sends fail this many times in a row
# (no answer in time, no connection, a server error) is backed off: its messages wait, growing up to
# the cap in seconds, while the others go on (docs/alerts.md, "One bad destination").
ALERT_SEND_THREADS = env_int("ALERT_SEND_THREADS", 8)
ALERT_SEND_PER_HOST = env_int("ALERT_SEND_PER_HOST", 2)
ALERT_SEND_PER_PROVIDER = env_int("ALERT_SEND_PER_PROVIDER", 6)
ALERT_SEND_PER_MEMBER = env_int("ALERT_SEND_PER_MEMBER", 2)
ALERT_DESTINATION_FAILURES = env_int("ALERT_DESTINATION_FAILURES", 5)
ALERT_DESTINATION_BLOCK_CAP_SECONDS = float(env("ALERT_DESTINATION_BLOCK_CAP_SECONDS", "60"))
for _name in ("THREADS", "PER_HOST", "PER_PROVIDER", "PER_MEMBER"):
    if globals()[f"ALERT_SEND_{_name}"] < 1:
        raise ImproperlyConfigured(f"ALERT_SEND_{_name} must be a whole number, at least 1")
if ALERT_DESTINATION_FAILURES < 1:
    raise ImproperlyConfigured("ALERT_DESTINATION_FAILURES must be a whole number, at least 1")
if ALERT_SEND_THREADS > 64:  # each thread holds a database connection
    raise ImproperlyConfigured("ALERT_SEND_THREADS must be at most 64")
if ALERT_DESTINATION_BLOCK_CAP_SECONDS <= 0:
    raise ImproperlyConfigured("ALERT_DESTINATION_BLOCK_CAP_SECONDS must be more than 0")
# Each send's deadline and the lease: zero, negative or not a finite number would make every send fail
# at once, or a claim never end.
for _name in ("ALERT_LEASE_SECONDS", "EMAIL_TIMEOUT", "ALERT_HTTP_TIMEOUT"):
    if not 0 < globals()[_name] < float("inf"):
        raise ImproperlyConfigured(f"{_name} must be a number of seconds, more than 0")
if ALERT_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("ALERT_MAX_ATTEMPTS must be a whole number, at least 1")
# Webhooks to this machine or a private network are refused in production (server-side request forgery).
ALERT_WEBHOOK_ALLOW_PRIVATE = env_bool("ALERT_WEBHOOK_ALLOW_PRIVATE", not PRODUCTION)
# Text messages: "twilio" (Twilio's REST API) or "console" (printed; the default without credentials).
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID")
TWILIO_API_BASE = env("TWILIO_API_BASE", "https://api.twilio.com")
SMS_PROVIDER = env("SMS_PROVIDER", "twilio" if TWILIO_ACCOUNT_SID else "console")

# --- Web Push (docs/push.md; docs/deploy.md, "VAPID keys"). `manage.py make_vapid_keys` prints a pair:
# the public key goes to browsers when they subscribe, the private key signs every push (RFC 8292).
# All three or none: without them the settings page says notifications are not set up here.
VAPID_PUBLIC_KEY = env("VAPID_PUBLIC_KEY")
VAPID_PRIVATE_KEY = env("VAPID_PRIVATE_KEY")
VAPID_SUBJECT = env("VAPID_SUBJECT")  # mailto:… or https://…: how a push service reaches whoever runs this
_vapid_set = [name for name in ("VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT") if globals()[name]]
if _vapid_set and len(_vapid_set) < 3:
    _missing = sorted({"VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT"} - set(_vapid_set))
    raise ImproperlyConfigured(
        f"Web Push is set up half-way: set {', '.join(_missing)} as well, or none of the VAPID_* settings "
        "(`manage.py make_vapid_keys` makes a pair)"
    )
if not _vapid_set and DEBUG and not PRODUCTION:
    # Development only (like the development field key above), so push works under `make run` on
    # localhost; never use this pair anywhere else.
    VAPID_PUBLIC_KEY = (
        "BL7Yxmn4MtelY1747DfzNMcXc042TzqeZWrY2dZTsMMXaQbXQIOATGweJTSJXtkokJ0rP_zcU4tuFgCEhwN_do4"
    )
    VAPID_PRIVATE_KEY = "tO8dF9o9cd0SoDrt7whN1MvTRhih0jiqoi9oEVxLlLY"  # noqa: S105
    VAPID_SUBJECT = "mailto:development@example.org"
if _vapid_set:
    try:
        check_vapid_keys(VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT)
    except VapidKeyError as _error:
        raise ImproperlyConfigured(str(_error)) from None
# A push endpoint on this machine (http or https) is accepted and sent to: for tests and development
# only; every other private or local address is always refused.
PUSH_ALLOW_LOOPBACK = env_bool("PUSH_ALLOW_LOOPBACK", DEBUG)
if PRODUCTION and PUSH_ALLOW_LOOPBACK:
    raise ImproperlyConfigured("PUSH_ALLOW_LOOPBACK must be off when CIRCLES_ENV=production")
# Devices per person; each push is one request to each of them.
PUSH_MAX_SUBSCRIPTIONS = env_int("PUSH_MAX_SUBSCRIPTIONS", 10)
# How long a push service keeps a message for a device that is offline, and the deadline of one send.
PUSH_TTL_SECONDS = env_int("PUSH_TTL_SECONDS", 3600)
PUSH_TIMEOUT = float(env("PUSH_TIMEOUT", "10"))
if PUSH_MAX_SUBSCRIPTIONS < 1 or PUSH_TTL_SECONDS < 0:
    raise ImproperlyConfigured("PUSH_MAX_SUBSCRIPTIONS must be at least 1 and PUSH_TTL_SECONDS not negative")
if not 0 < PUSH_TIMEOUT < float("inf"):
    raise ImproperlyConfigured("PUSH_TIMEOUT must be a number of seconds, more than 0")

# --- Language and time. Stored in UTC; shown in each person's own timezone.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "circles" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_USER_TIMEZONE = env("DEFAULT_USER_TIMEZONE", "UTC")

# Crisis resources shown at once when a member asks for help or a screen is positive: a JSON file of
# region -> language -> resources (see circles/checkins/crisis_resources.json, the default).
CRISIS_RESOURCES_PATH = env("CRISIS_RESOURCES_PATH") or str(
    BASE_DIR / "circles/checkins/crisis_resources.json"
)
CRISIS_REGION = env("CRISIS_REGION", "US")
# A refused form on the "I need help now" address still shows the crisis resources.
CSRF_FAILURE_VIEW = "circles.alerts.views.csrf_failure"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "circles" / "static"]
# Outside production, WhiteNoise serves straight from the apps' static folders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Demo data (`manage.py demo`): never under production settings.
CIRCLES_DEMO_PASSWORD = env("CIRCLES_DEMO_PASSWORD", "circles-demo-2026")

# --- Background worker: how often it wakes for its periodic jobs.
WORKER_POLL_SECONDS = float(env("WORKER_POLL_SECONDS", "5"))
if not WORKER_POLL_SECONDS > 0:  # 0 would make the scheduler and checkpoint threads look without a pause
    raise ImproperlyConfigured("WORKER_POLL_SECONDS must be more than 0")
# One worker at a time runs the periodic jobs (circles/worker/scheduler.py); it renews this lease every
# WORKER_POLL_SECONDS and between chunks, and another worker takes over once it has run out.
SCHEDULER_LEASE_SECONDS = env_int("SCHEDULER_LEASE_SECONDS", 60)
# /healthz answers 503 when no worker has written a heartbeat (every 5 s) for this long.
WORKER_STALE_SECONDS = env_int("WORKER_STALE_SECONDS", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
