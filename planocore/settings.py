"""PlanoCore settings: one file, read from environment variables only.

Every variable has a safe local default (SQLite file database, in-process tasks,
sandbox providers, locmem cache), so a fresh clone runs with none set. Production
differs only by environment. The README's table lists every variable read here.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from planocore.cache import cache_config
from planocore.ops.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# No built-in key, whatever DJANGO_DEBUG says: `make run` writes a random one to the
# git-ignored .env on its first run; every other start must be given one.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set it in the environment to 50 or more random characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), or put it in the "
        "checkout's .env; `make run` writes one there on its first run."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django-unfold: its templates and static files come before the admin's (the theme).
    "unfold.apps.BasicAppConfig",  # its theme only: PlanoCore names the admin site (planocore.apps)
    "unfold.contrib.filters",
    "planocore.apps.PlanocoreAdminConfig",  # django.contrib.admin with PlanoCore's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
    "planocore.apps.PlanocoreConfig",
    "planocore.outbox.apps.OutboxConfig",
    "planocore.providers.ringcentral.apps.RingCentralConfig",
    "glip.apps.GlipConfig",
    "notifications.apps.NotificationsConfig",
    "cancelations.apps.CancelationsConfig",
    "messaging.apps.MessagingConfig",
    "inbound.apps.InboundConfig",
]

MIDDLEWARE = [
    "planocore.api.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ (the admin's files) under gunicorn, where Django does not.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "planocore.admin_query.AdminQueryGuardMiddleware",
    "planocore.api.middleware.ApiRouteMiddleware",
]

ROOT_URLCONF = "planocore.urls"
WSGI_APPLICATION = "planocore.wsgi.application"
APPEND_SLASH = False

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# A kept connection is checked (one cheap round trip) at its first use in each request or
# task, and replaced when the server has closed it: a restarted database costs no request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL + a busy timeout let the web process and a worker share the file; IMMEDIATE
    # transactions take the write lock at BEGIN, so one that reads then writes waits for
    # another writer instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------
# A Redis cache gets a connect and read timeout and fails soft (planocore/cache.py):
# while it does not answer it is skipped for CACHE_RETRY_SECONDS, lookups read the
# database and rate limits let requests through.
CACHE_TIMEOUT_SECONDS = env.float("CACHE_TIMEOUT_SECONDS", default=0.25)
CACHE_RETRY_SECONDS = env.float("CACHE_RETRY_SECONDS", default=5.0)
CACHES = {
    "default": cache_config(
        env.cache("CACHE_URL", default="locmemcache://planocore"),
        timeout=CACHE_TIMEOUT_SECONDS,
        retry=CACHE_RETRY_SECONDS,
    )
}

# --- Auth, sessions, security -----------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
# Only sent when SECURE_HSTS_SECONDS > 0 (docs/operations.md has the production values).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# A load balancer's plain-HTTP health probe must not be redirected to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Keys that encrypt secrets at rest (provider credentials, rc_password in the
# outbox). Comma-separated Fernet keys, newest first, so keys can be rotated.
# With none set, one key is derived from SECRET_KEY (fine locally, not in prod).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# --- API --------------------------------------------------------------------
# How deeply arrays and objects may nest in a JSON body (API, webhooks); deeper is refused.
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)
# Bytes an API request body may hold (a route's Endpoint may take fewer); a larger declared
# Content-Length is refused before any of it is read, a chunked body is cut there.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "planocore.api.authentication.TokenAuthentication",
        "planocore.api.authentication.AdminSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["planocore.api.permissions.HasRoutePermission"],
    "DEFAULT_RENDERER_CLASSES": [
        "planocore.api.renderers.EnvelopeJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "planocore.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "planocore.api.parsers.FieldsOnlyMultiPartParser",
    ],
    "EXCEPTION_HANDLER": "planocore.api.exceptions.api_exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "planocore.api.schema.ApiAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Every datetime the API answers, in data and in messages: UTC, microseconds, `Z`
    # (planocore.api.fields.api_datetime for values outside serializers; TIME_ZONE is UTC).
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PlanoCore API",
    "DESCRIPTION": "PlanoCore's HTTP API. Every response is the JSON envelope.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "planocore.api.schema.apply_rules",
        "planocore.api.schema.token_only",
        "planocore.api.schema.strip_optional_slash",
    ],
}

API_SESSION_MAX_AGE_DAYS = env.int("API_SESSION_MAX_AGE_DAYS", default=7)
API_SESSION_IDLE_HOURS = env.int("API_SESSION_IDLE_HOURS", default=72)
# Failed token attempts allowed per client address per minute before
# `too-many-requests`.
API_TOKEN_FAILURES_PER_MINUTE = env.int("API_TOKEN_FAILURES_PER_MINUTE", default=30)
# Sign-in attempts per client address (the API's and the admin login's, counted apart).
SIGN_IN_RATE = env.str("SIGN_IN_RATE", default="10/min")
# Notifications a client (a session acting through the Client role) may create.
API_CLIENT_SEND_RATE = env.str("API_CLIENT_SEND_RATE", default="60/hour")
# --- Tasks (Celery) -----------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# kombu's Redis transport, publishing through one client per channel (planocore/outbox/broker.py).
CELERY_BROKER_TRANSPORT = (
    "planocore.outbox.broker:Transport" if CELERY_BROKER_URL.startswith("redis://") else None
)
# No broker: every task runs in the calling process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A committed outbox id is published on the request's thread: a broker that is down
# fails that publish at once (the row waits for the sweep) instead of retrying for seconds.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
# Celery's Django fix-up closes every database connection before and after each task
# unless this is set (then once every N tasks); a new PostgreSQL connection per send
# cost more than the send's own queries. planocore/celery.py gives tasks the request
# cycle's connection handling instead (CONN_MAX_AGE honoured).
CELERY_DB_REUSE_MAX = 1000
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "process-external-requests": {
        "task": "planocore.outbox.tasks.process_due_requests",
        "schedule": 60.0,
    },
    "import-glip-teams": {
        "task": "glip.tasks.import_default_extensions_glip_teams",
        "schedule": 24 * 60 * 60.0,
    },
    # Renews the RingCentral webhook subscriptions well before they expire (docs/inbound.md).
    "renew-ringcentral-webhooks": {
        "task": "inbound.tasks.renew_ringcentral_subscriptions",
        "schedule": 24 * 60 * 60.0,
    },
}

# --- Outbox -----------------------------------------------------------------
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=120)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_MAX_AGE_HOURS = env.int("OUTBOX_MAX_AGE_HOURS", default=48)
OUTBOX_RETRY_PRIORITY = 5  # the seeds' rule: priority >= 5 is retried automatically
# Work due and no sweep for this long: the dashboard and /healthz say the sweep has stopped.
OUTBOX_SWEEP_STALE_SECONDS = env.int("OUTBOX_SWEEP_STALE_SECONDS", default=120)
# /metrics counts recent requests and attempts over this window (bounded reads, never history).
METRICS_WINDOW_SECONDS = env.int("METRICS_WINDOW_SECONDS", default=300)
# Retry delays: exponential from BASE, capped at MAX, with jitter (docs/outbox.md).
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
# A 429 without Retry-After keeps every worker off that provider account this long.
OUTBOX_DEFAULT_PENALTY_SECONDS = env.int("OUTBOX_DEFAULT_PENALTY_SECONDS", default=60)
# The rolling window of every provider budget (a provider's X-Rate-Limit-Window
# can only lengthen it). Shorter only to make tests and drills quick.
PROVIDER_BUDGET_WINDOW_SECONDS = env.float("PROVIDER_BUDGET_WINDOW_SECONDS", default=60.0)
# Claiming: rows per batch; the share of each batch reserved for requests due
# longer than OUTBOX_STARVATION_SECONDS, whatever their priority (anti-starvation).
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)
OUTBOX_AGED_SHARE = env.float("OUTBOX_AGED_SHARE", default=0.25)
OUTBOX_STARVATION_SECONDS = env.int("OUTBOX_STARVATION_SECONDS", default=600)
# Outcomes are written in groups of at most RECORD_EVERY, and never held longer
# than RECORD_SECONDS (what a crash could make us send twice).
OUTBOX_RECORD_EVERY = env.int("OUTBOX_RECORD_EVERY", default=100)
OUTBOX_RECORD_SECONDS = env.float("OUTBOX_RECORD_SECONDS", default=0.25)

# --- Providers ----------------------------------------------------------------
PROVIDER_TIMEOUT_SECONDS = env.float("PROVIDER_TIMEOUT_SECONDS", default=15.0)
# URLs fetched on a caller's behalf (an MMS's media_url; planocore/providers/fetch.py):
# https only unless MEDIA_URL_ALLOW_HTTP; only public addresses; when the list is
# set, only its hosts (`host`, `host:port`, `*.example.com`). An IP-literal entry
# (`10.0.0.7:8080`) is the one way to permit a private address.
MEDIA_URL_ALLOW_HTTP = env.bool("MEDIA_URL_ALLOW_HTTP", default=False)
MEDIA_URL_ALLOWED_HOSTS = env.list("MEDIA_URL_ALLOWED_HOSTS", default=[])

RINGCENTRAL_SERVER_URL = env.str("RINGCENTRAL_SERVER_URL", default="https://platform.ringcentral.com")
RINGCENTRAL_CLIENT_ID = env.str("RINGCENTRAL_CLIENT_ID", default="")
RINGCENTRAL_CLIENT_SECRET = env.str("RINGCENTRAL_CLIENT_SECRET", default="")
RINGCENTRAL_JWT = env.str("RINGCENTRAL_JWT", default="")
# Calls per extension per rolling window, by RingCentral API group (its default
# plan: Light 50, Medium 40, Heavy 10, Auth 5). Medium holds SMS, MMS, Glip posts
# and the team list; Auth the token requests. RINGCENTRAL_REQUESTS_PER_MINUTE is
# the older name of the Medium budget, still read. The X-Rate-Limit-* headers
# RingCentral answers can only tighten these (planocore/providers/ratelimit.py).
RINGCENTRAL_BUDGETS = {
    "Light": env.int("RINGCENTRAL_BUDGET_LIGHT", default=50),
    "Medium": env.int(
        "RINGCENTRAL_BUDGET_MEDIUM", default=env.int("RINGCENTRAL_REQUESTS_PER_MINUTE", default=40)
    ),
    "Heavy": env.int("RINGCENTRAL_BUDGET_HEAVY", default=10),
    "Auth": env.int("RINGCENTRAL_BUDGET_AUTH", default=5),
}
# Refused password logins (`rc_password` on POST /api/v1/glip/messages) allowed per
# extension, across workers, before the API answers too-many-requests ("N/period").
RINGCENTRAL_PASSWORD_FAILURE_RATE = env.str("RINGCENTRAL_PASSWORD_FAILURE_RATE", default="5/hour")

MANDRILL_API_KEY = env.str("MANDRILL_API_KEY", default="")
MANDRILL_API_URL = env.str("MANDRILL_API_URL", default="https://mandrillapp.com/api/1.0")
MANDRILL_WEBHOOK_KEY = env.str("MANDRILL_WEBHOOK_KEY", default="")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="notifications@planocore.local")
ANYMAIL = {
    "MANDRILL_API_KEY": MANDRILL_API_KEY,
    "MANDRILL_API_URL": MANDRILL_API_URL,
    "MANDRILL_WEBHOOK_KEY": MANDRILL_WEBHOOK_KEY,
    "MANDRILL_WEBHOOK_URL": env.str("MANDRILL_WEBHOOK_URL", default=""),
    # Every call anymail makes to Mandrill gives up after this many seconds.
    "REQUESTS_TIMEOUT": PROVIDER_TIMEOUT_SECONDS,
}
EMAIL_BACKEND = (
    "planocore.providers.email.MandrillBackend"  # anymail's, on the providers' transport
    if MANDRILL_API_KEY
    else env.str("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
)

SUNSHINE_CONVERSATIONS_HOST = env.str("SUNSHINE_CONVERSATIONS_HOST", default="https://api.smooch.io")
SUNSHINE_CONVERSATIONS_APP_ID = env.str("SUNSHINE_CONVERSATIONS_APP_ID", default="")
SUNSHINE_CONVERSATIONS_KEY_ID = env.str("SUNSHINE_CONVERSATIONS_KEY_ID", default="")
SUNSHINE_CONVERSATIONS_SECRET = env.str("SUNSHINE_CONVERSATIONS_SECRET", default="")
SUNSHINE_CONVERSATIONS_WEBHOOK_SECRET = env.str("SUNSHINE_CONVERSATIONS_WEBHOOK_SECRET", default="")

# --- Inbound messages and consent (docs/inbound.md) ---------------------------------
# The public URL RingCentral posts inbound SMS to (https://<host>/webhooks/ringcentral),
# and the secret it must send back on every event (Verification-Token).
RINGCENTRAL_WEBHOOK_ADDRESS = env.str("RINGCENTRAL_WEBHOOK_ADDRESS", default="")
RINGCENTRAL_WEBHOOK_VERIFICATION_TOKEN = env.str("RINGCENTRAL_WEBHOOK_VERIFICATION_TOKEN", default="")
# A subscription lives this long and is renewed (beat, daily) when it expires within RENEW_BEFORE.
RINGCENTRAL_WEBHOOK_EXPIRES_IN = env.int("RINGCENTRAL_WEBHOOK_EXPIRES_IN", default=30 * 24 * 3600)
RINGCENTRAL_WEBHOOK_RENEW_BEFORE_SECONDS = env.int(
    "RINGCENTRAL_WEBHOOK_RENEW_BEFORE_SECONDS", default=7 * 24 * 3600
)
# A reply is linked to the latest notification to the same address sent this many hours before it.
INBOUND_REPLY_WINDOW_HOURS = env.int("INBOUND_REPLY_WINDOW_HOURS", default=72)
# The answer to HELP (sent through the outbox from the number that received it).
INBOUND_HELP_TEXT = env.str(
    "INBOUND_HELP_TEXT",
    default="PlanoCore notifications about your shoot. Reply STOP to stop texts, START to resume. "
    "Msg&data rates may apply.",
)
# Numbers written without + and a country code are read in this region (phonenumbers).
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="US")

_ringcentral_configured = bool(RINGCENTRAL_CLIENT_ID and RINGCENTRAL_CLIENT_SECRET)
_sunshine_configured = bool(
    SUNSHINE_CONVERSATIONS_APP_ID and SUNSHINE_CONVERSATIONS_KEY_ID and SUNSHINE_CONVERSATIONS_SECRET
)
_SANDBOX = "planocore.providers.sandbox.SandboxBackend"
_RINGCENTRAL = "planocore.providers.ringcentral.backends."
# Which backend serves each outbox channel (dotted paths, like EMAIL_BACKEND),
# plus the two calls made inside a request rather than through the outbox:
# `glip_teams` (the Glip team import) and `messaging_clients` (a user's
# Sunshine Conversations clients). A provider whose credentials are set uses its
# real backend; otherwise the sandbox's stand-in (planocore/providers/sandbox.py).
# Each entry can be forced with PROVIDER_BACKEND_<NAME> (e.g. PROVIDER_BACKEND_GLIP_TEAMS).
PROVIDER_BACKENDS = {
    "glip": env.str(
        "PROVIDER_BACKEND_GLIP",
        default=f"{_RINGCENTRAL}GlipBackend" if _ringcentral_configured else _SANDBOX,
    ),
    "sms": env.str(
        "PROVIDER_BACKEND_SMS",
        default=f"{_RINGCENTRAL}SmsBackend" if _ringcentral_configured else _SANDBOX,
    ),
    "mms": env.str(
        "PROVIDER_BACKEND_MMS",
        default=f"{_RINGCENTRAL}MmsBackend" if _ringcentral_configured else _SANDBOX,
    ),
    "email": env.str(
        "PROVIDER_BACKEND_EMAIL",
        default="planocore.providers.email.EmailBackend" if MANDRILL_API_KEY else _SANDBOX,
    ),
    "conversation": env.str(
        "PROVIDER_BACKEND_CONVERSATION",
        default="planocore.providers.sunshine.ConversationBackend" if _sunshine_configured else _SANDBOX,
    ),
    "glip_teams": env.str(
        "PROVIDER_BACKEND_GLIP_TEAMS",
        default=(
            f"{_RINGCENTRAL}TeamsBackend"
            if _ringcentral_configured
            else "planocore.providers.sandbox.SandboxTeamsBackend"
        ),
    ),
    "messaging_clients": env.str(
        "PROVIDER_BACKEND_MESSAGING_CLIENTS",
        default=(
            "planocore.providers.sunshine.ClientsBackend"
            if _sunshine_configured
            else "planocore.providers.sandbox.SandboxClientsBackend"
        ),
    ),
    # Applications' callbacks (docs/inbound.md): real HTTP to the URL an application set, fenced.
    "callback": env.str("PROVIDER_BACKEND_CALLBACK", default="planocore.providers.callback.CallbackBackend"),
}

# --- Domain settings ----------------------------------------------------------
# Which models may be canceled: cancelable_type values accepted by the API.
CANCELABLE_TYPES = env.list("CANCELABLE_TYPES", default=["Order", "Tour"])
# Glip team that hears about cancelations and reinstatements.
CANCELATION_NOTICE_GLIP_TEAM = env.str("CANCELATION_NOTICE_GLIP_TEAM", default="Cancelations")
# Email recipients of cancelation notices per cancelable type, e.g.
# CANCELATION_NOTICE_EMAILS=Order=orders@example.com,Tour=tours@example.com
CANCELATION_NOTICE_EMAILS = env.dict("CANCELATION_NOTICE_EMAILS", default={})
# The outbox priority of a notification's send: at OUTBOX_RETRY_PRIORITY (5) or more,
# a send that failed for a reason that may heal is retried automatically.
NOTIFICATION_PRIORITY = env.int("NOTIFICATION_PRIORITY", default=5)

# --- Static files, i18n -----------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# STATIC_MANIFEST=true (the Docker image sets it; set it wherever `collectstatic`
# runs before deploying): collectstatic writes hashed, compressed files and
# WhiteNoise serves those, cached for ever. Off (a fresh clone, tests): WhiteNoise
# finds the files in the apps, nothing to collect.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
# Uncollected: look the files up per request (no startup scan of a STATIC_ROOT that is not there).
WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST

# --- Operations (docs/operations.md) -------------------------------------------
# When set, /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Seconds /healthz waits for the broker before calling it down.
HEALTHZ_BROKER_TIMEOUT = env.float("HEALTHZ_BROKER_TIMEOUT", default=2.0)
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# One format for every time the admin shows, to the second (retries happen in seconds):
# "2026-12-07 06:05:09" (planocore/formats/en/formats.py; the locale's own would win over a setting).
FORMAT_MODULE_PATH = ["planocore.formats"]
USE_I18N = True
USE_TZ = True

# --- Logging ------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()  # `info` works as gunicorn takes it
# plain: one readable line per record; json: one JSON object per line, for a
# log collector (planocore.ops.logging.JsonFormatter).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")  # anything else stops the start
LOGGING = logging_config(level=LOG_LEVEL, log_format=LOG_FORMAT)
# In JSON mode Celery's worker and beat keep this configuration (one format for
# every process) instead of installing their own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# --- Admin theme (django-unfold; planocore/admin_navigation.py) ------------------
# The admin's sidebar, by what staff do: (group, [(title, icon, "app_label.model", badge)]).
# badge: what its open-problem count counts (planocore.admin_navigation.open_problems): an
# "app_label.model" counts the failed or abandoned requests that model's records caused,
# "outbox" all of them, any other name what an app registered (register_badge).
ADMIN_SIDEBAR = [
    (
        "Sending",
        [
            ("Notifications", "mail", "notifications.notification", "notifications.notification"),
            ("Email failures (Mandrill)", "unsubscribe", "notifications.productionnotification", None),
            ("Glip messages", "forum", "glip.glipmessage", "glip.glipmessage"),
            ("Glip teams", "groups", "glip.glipteam", None),
            ("RingCentral extensions", "call", "ringcentral.ringcentralextension", None),
            ("Outbox: outgoing requests", "outbox", "outbox.externalrequest", "outbox"),
        ],
    ),
    (
        "Cancelations",
        [
            ("Cancelations", "event_busy", "cancelations.cancelation", None),
            (
                "Notice problems",
                "report",
                "cancelations.cancelationnoticeproblem",
                "cancelations.notice_problems",
            ),
            ("Reasons", "list", "cancelations.cancelationreason", None),
        ],
    ),
    (
        "Inbound and consent",
        [
            ("Inbox (replies, STOP, HELP)", "inbox", "inbound.inboundmessage", None),
            ("Suppressions", "block", "inbound.suppression", None),
            ("Application callbacks", "send", "inbound.applicationcallback", None),
        ],
    ),
    (
        "Messaging",
        [
            ("Messaging clients", "smartphone", "messaging.messagingclient", None),
            ("Webhook events", "webhook", "messaging.processedwebhookevent", None),
        ],
    ),
    (
        "API and access",
        [
            ("Applications", "apps", "planocore.application", None),
            ("Application tokens", "key", "planocore.applicationtoken", None),
            ("API sessions", "login", "planocore.apisession", None),
            ("Users", "person", "auth.user", None),
            ("Groups", "group", "auth.group", None),
            ("API services", "hub", "planocore.apiservice", None),
            ("Routes", "route", "planocore.route", None),
        ],
    ),
    ("Sandbox", [("Sandbox failure switches", "science", "outbox.sandboxfailure", None)]),
]
UNFOLD = {
    "SITE_TITLE": "PlanoCore admin",
    "SITE_HEADER": "PlanoCore",
    "SITE_SYMBOL": "hub",
    "SITE_FAVICONS": [
        {"rel": "icon", "type": "image/svg+xml", "href": "planocore.admin_navigation.favicon_url"},
    ],
    # Always visible beside the site name: whether the providers are the sandbox or live.
    "ENVIRONMENT": "planocore.admin_navigation.environment",
    "SHOW_VIEW_ON_SITE": False,
    "STYLES": ["planocore.admin_navigation.stylesheet_url"],
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
        "navigation": "planocore.admin_navigation.navigation",
    },
}
