"""Clientela settings: one file, driven by environment variables.

SQLite (WAL) under ``var/`` is the embedded default; set ``DATABASE_URL`` (postgres://...) for PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CLIENTELA_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """Use DJANGO_SECRET_KEY, else a random key kept in var/ so sessions survive restarts."""
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "clientela.core",
    "clientela.accounts",
    "clientela.parties",
    "clientela.interactions",
    "clientela.identity",
    "clientela.products",
    "clientela.sales",
    "clientela.orders",
    "clientela.activities",
    "clientela.integrations",
    "clientela.analytics",
    "clientela.segments",
    "clientela.imports",
    "clientela.api",
    "clientela.web",
    "clientela.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "clientela.core.middleware.RequestIdMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clientela.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# Django's template form renderer with its plain widgets drawn in Python (same HTML; clientela.core.widgets)
FORM_RENDERER = "clientela.core.widgets.FastWidgetRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
SQLITE_PATH = Path(os.environ.get("CLIENTELA_SQLITE_PATH", VAR_DIR / "clientela.sqlite3"))
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            # Persistent connections: the PRAGMAs below run once per connection, not per request.
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait (busy timeout)
                # instead of failing half-way through a transaction with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA temp_store=MEMORY;"
                    "PRAGMA cache_size=-65536;"
                    "PRAGMA mmap_size=268435456;"
                ),
            },
            # A file, not shared-cache memory: the browser tests' live server answers requests in threads,
            # and only a real WAL database lets them wait for each other instead of failing with "locked".
            # One file per test process, so parallel runs never share (and drop) each other's database.
            "TEST": {"NAME": str(VAR_DIR / f"test_clientela_{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["clientela.accounts.backends.RoleModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "parties:list"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's database sessions, their hot read compiled once (clientela.accounts.sessions)
SESSION_ENGINE = "clientela.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Internationalisation -------------------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("CLIENTELA_LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("CLIENTELA_TIME_ZONE", "Europe/Madrid")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# WhiteNoise serves app static files straight from the installed apps, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Background jobs ------------------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("CLIENTELA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Clientela ------------------------------------------------------------------------------------------
# PostgreSQL: the hottest reads (clientela.core.prepared) are prepared on the server once per connection;
# off for a pooler that drops prepared statements (PgBouncer before 1.21 or without max_prepared_statements)
CLIENTELA_PG_PREPARED_READS = env_bool("CLIENTELA_PG_PREPARED_READS", True)
# Region used to read phone numbers written without an international prefix (ISO 3166-1 alpha-2).
CLIENTELA_DEFAULT_REGION = os.environ.get("CLIENTELA_DEFAULT_REGION", "ES").upper()
CLIENTELA_DEFAULT_CURRENCY = os.environ.get("CLIENTELA_DEFAULT_CURRENCY", "EUR").upper()
# Days a soft-deleted party stays in the recycle bin before `clientela purge` removes it for good.
CLIENTELA_RECYCLE_DAYS = int(os.environ.get("CLIENTELA_RECYCLE_DAYS", "30"))
CLIENTELA_PAGE_SIZE = int(os.environ.get("CLIENTELA_PAGE_SIZE", "50"))
# Large imports parse and validate in a second process while the first writes (docs/import.md)
CLIENTELA_IMPORT_PARALLEL = env_bool("CLIENTELA_IMPORT_PARALLEL", True)
# Imports check new customers against existing ones and queue likely duplicates for review (docs/identity.md)
CLIENTELA_IMPORT_DUPLICATE_CHECK = env_bool("CLIENTELA_IMPORT_DUPLICATE_CHECK", True)
# The site's public address, for links in e-mails (reminder digests, quotes) sent outside a request
CLIENTELA_BASE_URL = os.environ.get("CLIENTELA_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Customer value models (clientela.analytics): the CLV horizon, the monthly discount rate applied to
# future purchases, and the fewest customers with repeat purchases a currency needs before it is fitted.
CLIENTELA_CLV_HORIZON_DAYS = int(os.environ.get("CLIENTELA_CLV_HORIZON_DAYS", "365"))
CLIENTELA_CLV_DISCOUNT_RATE = float(os.environ.get("CLIENTELA_CLV_DISCOUNT_RATE", "0.01"))
CLIENTELA_ANALYTICS_MIN_CUSTOMERS = int(os.environ.get("CLIENTELA_ANALYTICS_MIN_CUSTOMERS", "20"))
# Each refit also fits without the last N days and compares its forecast of them with what happened (0: off).
CLIENTELA_ANALYTICS_HOLDOUT_DAYS = int(os.environ.get("CLIENTELA_ANALYTICS_HOLDOUT_DAYS", "90"))

# The public lead form (docs/leads.md): submissions per client IP and in all, per window of seconds; the
# fastest a human fills it in; hosts a "next" URL may send the visitor to; the proxy's client-address header.
CLIENTELA_LEAD_FORM_RATE = {
    "per_ip": int(os.environ.get("CLIENTELA_LEAD_FORM_PER_IP", "5")),
    "ip_window": 600,
    "global": int(os.environ.get("CLIENTELA_LEAD_FORM_GLOBAL", "60")),
    "global_window": 60,
}
CLIENTELA_LEAD_FORM_MIN_SECONDS = int(os.environ.get("CLIENTELA_LEAD_FORM_MIN_SECONDS", "3"))
CLIENTELA_LEAD_FORM_REDIRECT_HOSTS = [
    h.strip() for h in os.environ.get("CLIENTELA_LEAD_FORM_REDIRECT_HOSTS", "").split(",") if h.strip()
]
CLIENTELA_LEAD_FORM_IP_HEADER = os.environ.get("CLIENTELA_LEAD_FORM_IP_HEADER", "")

# Outgoing mail (quotes, reminder digests). The default prints messages on the console, so a fresh
# install never tries a mail server it does not have; production sets the SMTP backend and host.
EMAIL_BACKEND = os.environ.get("CLIENTELA_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("CLIENTELA_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("CLIENTELA_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("CLIENTELA_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CLIENTELA_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CLIENTELA_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("CLIENTELA_FROM_EMAIL", "Clientela <no-reply@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CLIENTELA_LOG_LEVEL", "WARNING")},
}
