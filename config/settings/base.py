"""Settings shared by every environment, fed by the environment.

With nothing set the app runs on SQLite with Celery tasks executed eagerly (the
embedded default). DATABASE_URL and REDIS_URL switch it to PostgreSQL, Redis and
real Celery workers. A malformed value stops the start with a clear message.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()


def env_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default="")
    if raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env.str(name, default="")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_url(name: str, schemes: tuple[str, ...]) -> str:
    raw = env.str(name, default="")
    if raw and not raw.startswith(tuple(f"{s}://" for s in schemes)):
        raise ImproperlyConfigured(f"{name} must start with one of {schemes}, not {raw!r}")
    return raw


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-embedded-default-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

DATABASE_URL = env_url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss"))

if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        # Our queries are short; PostgreSQL's JIT compiled some list queries for
        # 20-85 ms to save a few (bench/README.md, "findings").
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "OPTIONS": {"timeout": 20},
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A streaming read replica of the primary (config/replica.py): read-only pages
# that opt in read from it; nothing changes without it.
DATABASE_REPLICA_URL = env_url("DATABASE_REPLICA_URL", ("postgres", "postgresql"))
READ_REPLICA = None
if DATABASE_REPLICA_URL:
    if not DATABASE_URL:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL (the primary)")
    DATABASES["replica"] = {
        **DATABASES["default"],
        **env.db_url_config(DATABASE_REPLICA_URL),
        "TEST": {"MIRROR": "default"},
    }
    READ_REPLICA = "replica"
DATABASE_ROUTERS = ["config.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open when Redis is down (config/cache.py says why).
            "BACKEND": "config.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "lvzhi",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "import_export",
    "simple_history",
    "django_htmx",
    "csp",
    "bootstrap",
    "sectors",
    "members",
    "duties",
    "proposals",
    "summaries",
    "consultations",
    "reports",
    "scoring",
    "config",  # management commands only: backup, restore
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.csp.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "members.context_processors.navigation",
                "proposals.context_processors.handling",
            ],
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # Members log in with a username or their mobile number (members/backends.py).
    "members.backends.UsernameOrMobileBackend",
]

LANGUAGE_CODE = "zh-hans"
# Only Chinese until a translation exists: offering "en" made an English browser
# get Django's own messages in English inside our Chinese pages.
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"

# Sessions live in the database and end after this much inactivity.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 2 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Content Security Policy (django-csp), the same in every environment so a page
# that breaks it breaks in development and in the tests first. No inline script,
# handler or style anywhere in our pages (static/js/app.js carries the small
# behaviours); the admin's few inline styles are allowed there only
# (config/csp.py). Charts are inline SVG elements, which the policy does not
# govern; the QR code is an inline SVG too. img-src allows data: for Bootstrap's
# own icons (the menu button, select arrows, check marks are data: SVGs in its CSS).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# allauth: no open sign-up (members/adapters.py); login by username or mobile.
ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "members.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Never mail an address that is not on file (it would be someone else's inbox).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Per client address: at a plenary session hundreds of phones may sign in
# through the venue's network behind one NAT address, so an install raises these
# there (docs/deployment.md); the per-account limit (5 failures in 5 minutes)
# still stops anyone guessing one member's password.
LOGIN_POSTS_PER_ADDRESS = env_int("LOGIN_POSTS_PER_ADDRESS_PER_MINUTE", 30)
FAILED_LOGINS_PER_ADDRESS = env_int("FAILED_LOGINS_PER_ADDRESS_PER_MINUTE", 10)
if min(LOGIN_POSTS_PER_ADDRESS, FAILED_LOGINS_PER_ADDRESS) < 1:
    raise ImproperlyConfigured(
        "LOGIN_POSTS_PER_ADDRESS_PER_MINUTE and FAILED_LOGINS_PER_ADDRESS_PER_MINUTE "
        "must be at least 1"
    )
ACCOUNT_RATE_LIMITS = {
    "login": f"{LOGIN_POSTS_PER_ADDRESS}/m/ip",
    "login_failed": f"{FAILED_LOGINS_PER_ADDRESS}/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
# The addresses rate limits count and the security log shows (members/login_log.py):
# REMOTE_ADDR, unless this many reverse proxies of ours each add an entry to
# X-Forwarded-For (then the entry the outermost one added). 0 = no proxy trusted.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
PASSWORD_RESET_TIMEOUT = env_int("SET_PASSWORD_LINK_SECONDS", 7 * 24 * 60 * 60)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="lvzhi@localhost")

# Celery: eager without Redis, real workers with it.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not (REDIS_URL or env.str("CELERY_BROKER_URL", default=""))
CELERY_TASK_EAGER_PROPAGATES = True
# One queue name per install: installs sharing a broker (or test runs sharing
# RabbitMQ) must not take each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# With the broker down a request that queues work must not hang: it gives up
# within seconds, and the job it recorded is sent again by the sweepers
# (scoring/jobs.py, summaries/jobs.py) once the broker is back.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}

# Score computation jobs (scoring/jobs.py): how often a running job's worker
# writes its heartbeat; how long a job may wait unstarted, or run without a
# heartbeat where no lock tells (SQLite), before it is queued again; how many
# runs a job gets. SCORE_JOB_PAUSE_SECONDS is fault injection for the
# robustness tests only: a run sleeps that long between evaluating and writing.
SCORE_JOB_HEARTBEAT_SECONDS = env_int("SCORE_JOB_HEARTBEAT_SECONDS", 5)
SCORE_JOB_STALE_SECONDS = env_int("SCORE_JOB_STALE_SECONDS", 60)
SCORE_JOB_MAX_ATTEMPTS = env_int("SCORE_JOB_MAX_ATTEMPTS", 3)
SCORE_JOB_PAUSE_SECONDS = env_int("SCORE_JOB_PAUSE_SECONDS", 0)
# A computation still running after this long is stopped (a province's year
# takes seconds; a stuck worker must not hold a job for ever).
SCORE_JOB_TIME_LIMIT_SECONDS = env_int("SCORE_JOB_TIME_LIMIT_SECONDS", 900)
# Exports (summaries/exports.py, summaries/jobs.py): an export of more rows
# than this runs as a background job; its file stays this many hours in a
# private directory (never under MEDIA_ROOT) and is then deleted. The job's
# heartbeat, staleness and attempts work as the score jobs' do;
# EXPORT_JOB_PAUSE_SECONDS is fault injection for the robustness tests only (a
# run sleeps that long after each EXPORT_JOB_PROGRESS_ROWS rows).
EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 3000)
EXPORT_FILE_TTL_HOURS = env_int("EXPORT_FILE_TTL_HOURS", 24)
EXPORT_FILES_ROOT = Path(
    env.str("EXPORT_FILES_ROOT", default=str(BASE_DIR / "private" / "exports"))
)
EXPORT_JOB_PROGRESS_ROWS = env_int("EXPORT_JOB_PROGRESS_ROWS", 1000)
EXPORT_JOB_HEARTBEAT_SECONDS = env_int("EXPORT_JOB_HEARTBEAT_SECONDS", 5)
EXPORT_JOB_STALE_SECONDS = env_int("EXPORT_JOB_STALE_SECONDS", 60)
EXPORT_JOB_MAX_ATTEMPTS = env_int("EXPORT_JOB_MAX_ATTEMPTS", 3)
EXPORT_JOB_PAUSE_SECONDS = env_int("EXPORT_JOB_PAUSE_SECONDS", 0)
EXPORT_JOB_TIME_LIMIT_SECONDS = env_int("EXPORT_JOB_TIME_LIMIT_SECONDS", 1800)
# The quarterly review (scoring/review.py): days members have to dispute a
# line once a period is published (or reopened).
SCORE_DISPUTE_DAYS = env_int("SCORE_DISPUTE_DAYS", 7)

# Roster import limits (members/roster.py).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 5000)
# History imports (summaries/imports.py): a workbook of several years' attendance
# is larger than a roster; its rows are written in batches of IMPORT_BATCH_SIZE.
IMPORT_HISTORY_MAX_ROWS = env_int("IMPORT_HISTORY_MAX_ROWS", 20000)
IMPORT_BATCH_SIZE = env_int("IMPORT_BATCH_SIZE", 1000)

# Proposal handling (proposals/services/handling.py): days a unit has to object
# to a routing, months it has to reply, and months for re-handling after 不满意.
PROPOSAL_OBJECTION_DAYS = env_int("PROPOSAL_OBJECTION_DAYS", 7)
PROPOSAL_REPLY_MONTHS = env_int("PROPOSAL_REPLY_MONTHS", 3)
PROPOSAL_REHANDLING_MONTHS = env_int("PROPOSAL_REHANDLING_MONTHS", 1)

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Failed logins (members/login_log.py): kept whatever LOG_LEVEL says.
        "lvzhi.security": {"level": "INFO"},
        # The PDF renderer warns of every Bootstrap media query it does not
        # parse (about 370 lines a PDF), none about the pack's own layout.
        "weasyprint": {"level": "ERROR"},
    },
}
