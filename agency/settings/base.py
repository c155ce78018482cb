"""Rapport settings shared by every environment; the environment is read here and only here."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ

from agency.embedded import embedded_database, filesystem_broker

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
VAR_DIR = Path(env("RAPPORT_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
BASE_DOMAIN = env("BASE_DOMAIN", default="localhost")
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}"]

# --- Tenancy (django-tenants: one PostgreSQL schema per agency) --------------------------------
SHARED_APPS = [
    "apps.tenants",  # before django_tenants so our migrate command (which keeps the template) wins
    "django_tenants",
    "apps.core",
    "apps.demo",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "apps.accounts",
    "apps.api",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "apps.accounts",
    "apps.clients",
    "apps.channels",
    "apps.listening",
    "apps.acknowledgements",
    "apps.webhooks",
    "apps.reporting",
    "apps.alerts",
    "apps.community",
    "apps.privacy",  # a client's data exported or erased (no models)
    "apps.inbox",
    "apps.workspace",
    "axes",  # failed sign-ins and lock-outs, per agency
    "django_otp",  # optional two-factor sign-in (TOTP), per agency
    "django_otp.plugins.otp_totp",
    "knox",  # API tokens, stored hashed, per agency
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Agency"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "agency.public_urls"
ROOT_URLCONF = "agency.urls"
# New agencies are cloned from this schema instead of replaying every migration.
TENANT_BASE_SCHEMA = "agency_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# DATABASE_POOLER=1: DATABASE_URL (and DATABASE_REPLICA_URL) is a transaction-mode pooler
# (PgBouncer): every statement carries its agency's SET search_path (apps.core.pooled_postgresql)
# and no server-side cursor outlives its transaction.
DATABASE_POOLER = env.bool("DATABASE_POOLER", default=False)
# Set the search_path only when the tenant changes (django-tenants forgets it on every rollback);
# never behind a pooler, where the next transaction may run on another server connection.
TENANT_LIMIT_SET_CALLS = env.bool("TENANT_LIMIT_SET_CALLS", default=not DATABASE_POOLER)
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

if env("DATABASE_URL", default=""):
    _database = env.db_url("DATABASE_URL")
    # A Unix-socket directory may be given percent-encoded as the host: %2Fvar%2Frun%2Fpostgresql
    _database["HOST"] = unquote(_database.get("HOST") or "")
else:
    _database = embedded_database(VAR_DIR)
_BACKEND = "apps.core.pooled_postgresql" if DATABASE_POOLER else "django_tenants.postgresql_backend"


def _configured(database: dict) -> dict:
    database["ENGINE"] = _BACKEND
    database.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
    database.setdefault("CONN_HEALTH_CHECKS", True)
    return database


DATABASES = {"default": _configured(_database)}
# A streaming replica for the read-only report, export and overview selectors (apps.core.replica);
# unreachable, they read from the primary. Tests mirror it onto the primary's test database.
if env("DATABASE_REPLICA_URL", default=""):
    _replica = env.db_url("DATABASE_REPLICA_URL")
    _replica["HOST"] = unquote(_replica.get("HOST") or "")
    _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _configured(_replica)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MIDDLEWARE = [
    "apps.core.middleware.HealthCheckMiddleware",
    "apps.tenants.middleware.AgencyHostMiddleware",  # host → agency schema
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out sign-in
]

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
                "apps.core.context_processors.agency",
                "apps.inbox.context_processors.notifications",
            ]
        },
    },
    {  # the partials a page renders many times (``*.jinja``; see agency/templating.py)
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "agency.templating.environment"},
    },
]
WSGI_APPLICATION = "agency.wsgi.application"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "apps.accounts.backends.LockoutBackend",  # first: refuses locked-out sign-ins
    "django.contrib.auth.backends.ModelBackend",
]
# Lock an account after this many wrong passwords in a row, for this long (per agency: the
# attempts live in the agency's schema). The API's token endpoint counts too.
AXES_FAILURE_LIMIT = env.int("RAPPORT_LOGIN_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("RAPPORT_LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username"]  # the account, wherever the guesses come from
SILENCED_SYSTEM_CHECKS = ["axes.W006"]  # which is that choice: rotating addresses do not help
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "locked_out.html"
AXES_VERBOSE = False
# Content-Security-Policy: scripts only from our own static files (no inline script anywhere;
# the API docs use the split Swagger view). Inline style attributes remain allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Session cookies stay host-only: no SESSION_COOKIE_DOMAIN shared by all agency subdomains.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True

# Keys carry the agency's schema (django-tenants' key function): no agency reads another's.
# Set CACHE_URL (redis://…) when several processes serve the web: rate limits are then shared.
CACHES = {
    "default": {
        **env.cache("CACHE_URL", default="locmemcache://"),
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
# The languages a client's reports (PDF, e-mails, figures) are written in (locale/<code>/)
RAPPORT_REPORT_LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"),
                            ("es", "Español")]  # fmt: skip
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it even before collectstatic
WHITENOISE_USE_FINDERS = True

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Rapport <no-reply@rapport.test>")
# SMTP (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend): sign-up verification,
# invitations, password resets, alerts and monthly reports go through it.
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)

# --- Rapport -----------------------------------------------------------------------------------
# --- REST API v1 (apps.api) ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.authentication.TokenAuthentication",
        "apps.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["apps.api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.PagePagination",
    # A body or a query the database would refuse is a 400 naming the field, never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "apps.api.parsers.DatabaseSafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["apps.api.filters.DatabaseSafeFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "apps.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
# Requests per token (or per signed-in session) and minute; over it: 429 with Retry-After.
RAPPORT_API_RATE_PER_MINUTE = env.int("RAPPORT_API_RATE_PER_MINUTE", default=600)
# Agency sign-ups accepted from one IP address per hour on the public host.
RAPPORT_SIGNUPS_PER_HOUR = env.int("RAPPORT_SIGNUPS_PER_HOUR", default=5)
REST_KNOX = {
    "TOKEN_TTL": None,  # tokens live until revoked (DELETE /api/v1/auth/token/)
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_PREFIX": "rpt_",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rapport API",
    "DESCRIPTION": "Listen to what customers say and acknowledge every one of them. "
    "Authenticate with `Authorization: Token <key>` (POST /api/v1/auth/token/).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "ENUM_NAME_OVERRIDES": {
        "MentionKindEnum": "apps.listening.models.Mention.Kind",
        "AcknowledgementKindEnum": "apps.acknowledgements.models.Acknowledgement.Kind",
        "WebhookEventEnum": "apps.webhooks.models.Event",
    },
}

RAPPORT_ENCRYPTION_KEYS = env.list("RAPPORT_ENCRYPTION_KEYS", default=[])
RAPPORT_ALLOW_LOOPBACK_URLS = env.bool("RAPPORT_ALLOW_LOOPBACK_URLS", default=False)
# Helper processes that enrich the next page (sentiment, language, queries) while one is stored;
# 0 enriches in the fetching process itself.
RAPPORT_ENRICH_PROCESSES = env.int("RAPPORT_ENRICH_PROCESSES", default=1)
# Any class with score(texts) -> list[float] in -1..1 (apps.listening.sentiment.SentimentModel).
RAPPORT_SENTIMENT_MODEL = env("RAPPORT_SENTIMENT_MODEL", default="apps.listening.care.CareModel")
RAPPORT_RESERVED_SLUGS = frozenset(
    {
        "www",
        "api",
        "admin",
        "public",
        "static",
        "media",
        "mail",
        "app",
        "status",
        "help",
        "support",
        "docs",
        "auth",
        "login",
        "hooks",
        "agency-template",
        "information-schema",
    }
)

# --- Celery ------------------------------------------------------------------------------------
BROKER_VISIBILITY_TIMEOUT = 3900  # seconds; see CELERY_BROKER_TRANSPORT_OPTIONS
# A running fetch or re-match stamps its row this often; a stamp older than the stale limit means
# its worker died, and beat runs it again (apps.core.heartbeat).
RAPPORT_HEARTBEAT_SECONDS = env.float("RAPPORT_HEARTBEAT_SECONDS", default=15.0)
RAPPORT_HEARTBEAT_STALE_SECONDS = env.float("RAPPORT_HEARTBEAT_STALE_SECONDS", default=90.0)
# Fair sharing (apps.core.fairshare): fetch and re-match tasks of one agency running at once;
# keep it below the fetch workers' total concurrency so other agencies always find a worker.
RAPPORT_AGENCY_TASK_SLOTS = env.int("RAPPORT_AGENCY_TASK_SLOTS", default=4)
RAPPORT_AGENCY_RETRY_SECONDS = env.float("RAPPORT_AGENCY_RETRY_SECONDS", default=15.0)
if env("CELERY_BROKER_URL", default=""):
    CELERY_BROKER_URL = env("CELERY_BROKER_URL")
    # Redis hands an unacknowledged task (acks_late: a worker died, or an ETA not yet due) to
    # another worker after visibility_timeout. It must outlast the longest task (time_limit up to
    # 3,660 s: the retention purge) and the longest retry countdown (webhooks: 1,800 s), or a
    # running task would be run twice. Fetches and re-matches do not wait for it: their
    # heartbeat shows a dead run within RAPPORT_HEARTBEAT_STALE_SECONDS (apps.core.heartbeat).
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": 5,
    }
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="") or (
        CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "rpc://"
    )
else:
    CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_RESULT_BACKEND = filesystem_broker(
        VAR_DIR
    )
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_DEFAULT_QUEUE", default="celery")
# Separate worker pools (RAPPORT_TASK_QUEUES=1, as in production): fetching, outbound replies
# and webhooks, and reports each get a queue of their own, so a slow platform never delays a
# reply; everything else stays on the default queue. Off, every task uses the default queue
# (one worker does it all: development, tests).
TASK_QUEUES = {
    "apps.channels.tasks.fetch_channel": "fetch",
    "apps.acknowledgements.tasks.deliver_acknowledgement": "outbound",
    "apps.webhooks.tasks.deliver_webhook": "outbound",
    "apps.reporting.tasks.send_scheduled_reports": "reports",
    "apps.alerts.tasks.detect_spikes": "reports",
    "apps.listening.tasks.rematch_query": "reports",
}
CELERY_TASK_ROUTES = (
    {task: {"queue": queue} for task, queue in TASK_QUEUES.items()}
    if env.bool("RAPPORT_TASK_QUEUES", default=False)
    else {}
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the task queued for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-fetches": {
        "task": "apps.channels.tasks.dispatch_due_fetches",
        "schedule": env.float("RAPPORT_DISPATCH_INTERVAL_SECONDS", default=60.0),
    },
    "check-slas": {"task": "apps.acknowledgements.tasks.check_slas", "schedule": 60.0},
    # Fetches and re-matches whose worker died (stale heartbeat): run again (apps.core.heartbeat).
    "recover-dead-fetches": {"task": "apps.channels.tasks.recover_dead_fetches", "schedule": 60.0},
    "recover-dead-rematches": {
        "task": "apps.listening.tasks.recover_dead_rematches",
        "schedule": 60.0,
    },
    # The transactional outbox (apps.core.outbox): tasks left by a broker outage, or delayed.
    "publish-outbox": {
        "task": "apps.core.tasks.publish_outbox",
        "schedule": env.float("RAPPORT_OUTBOX_SWEEP_SECONDS", default=30.0),
    },
    # Every 15 minutes: time zones with 30- and 45-minute offsets start their period on time.
    # Monthly reports to each client's members and report schedules; once per period each.
    "send-scheduled-reports": {
        "task": "apps.reporting.tasks.send_scheduled_reports",
        "schedule": 15 * 60.0,
    },
    # The inbox's status counters and the reports' daily figures are delta rows: merged.
    "compact-mention-counts": {
        "task": "apps.listening.tasks.compact_mention_counts",
        "schedule": 5 * 60.0,
    },
    "compact-mention-days": {
        "task": "apps.reporting.tasks.compact_mention_days",
        "schedule": 5 * 60.0,
    },
    "detect-spikes": {"task": "apps.alerts.tasks.detect_spikes", "schedule": 15 * 60.0},
    "refresh-influence": {
        "task": "apps.listening.tasks.refresh_influence",
        "schedule": 24 * 3600.0,
    },
    # Daily: authors still without a person get one (apps.community.services.people_refresh).
    "refresh-people": {"task": "apps.community.tasks.refresh_people", "schedule": 24 * 3600.0},
    # Daily: mentions older than their agency's retention_days go (apps.listening.services).
    "purge-expired-mentions": {
        "task": "apps.listening.tasks.purge_expired_mentions",
        "schedule": 24 * 3600.0,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # One JSON object a line (RAPPORT_LOG_FORMAT=json, as in production) for log shippers.
        "json": {"()": "apps.core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("RAPPORT_LOG_FORMAT", default="text"),
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},  # INFO lines carry full URLs, API keys included
        "httpcore": {"level": "WARNING"},  # its INFO lines at interpreter exit are noise
    },
}
