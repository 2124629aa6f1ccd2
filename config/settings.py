"""Nearbox settings: every knob is an environment variable (listed in README.md).

The defaults are safe for production (DEBUG off, secure cookies, HSTS); `make run`
sets DEBUG=1 and the embedded defaults (SQLite, embedded broker) for a newcomer.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from config.beat import beat_schedule
from config.queues import task_queues

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NEARBOX_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-nearbox-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "axes",  # sign-in throttling: lockout after AXES_FAILURE_LIMIT wrong passwords
    "merchant",
    "fulfillment",
    "lockers",
    "integrations",  # outgoing webhooks and the shop platform connectors
    "demo",  # `manage.py seed_demo`: the demo data, nothing the product needs
    "django_prometheus",  # request and database metrics at /metrics (config/observability)
    "config.observability",  # metrics, request ids, JSON logs, health for a load balancer
]

MIDDLEWARE = [
    "config.observability.requestid.RequestIdMiddleware",  # first: every log line carries it
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "config.observability.metrics.IncomingWebhookMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",  # the Content-Security-Policy header (CSP block below)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "merchant.middleware.CurrentMerchantMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into its answer
    "config.observability.metrics.PrometheusAfterMiddleware",  # metrics by view: innermost
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
                "merchant.context_processors.current_merchant",
            ],
        },
    },
]

# --- Database: SQLite file by default, PostgreSQL in production and tests -----------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'nearbox.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: wait for locks instead of failing at once,
    # and take the write lock at BEGIN so that two writers never deadlock on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache when REDIS_URL is set, embedded fallbacks otherwise -----------
# Every machine must see the same cache: rate limits, the checkout caches and webhook dedup
# keys live there. Redis when REDIS_URL is set; else the database (PostgreSQL: run
# `manage.py createcachetable` once after migrate); a local file only for the SQLite default,
# which is one machine by definition.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "nearbox",
        }
    }
elif DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "nearbox_cache",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# Sessions in the database, read through the shared cache when it is Redis: any web machine
# serves any signed-in merchant, and a Redis restart signs nobody out.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "merchant.User"
LOGIN_URL = "login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-in while locked out
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one IP, that pair waits AXES_COOLOFF_MINUTES; a success clears the count.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the sign-in form's field (it holds the email)
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # its start-up banner printed in every process of `make run`
AXES_LOCKOUT_CALLABLE = "merchant.views.auth.signin_locked_out"
# The client IP is REMOTE_ADDR unless a trusted proxy count is set: otherwise anyone could
# pick a new X-Forwarded-For per try and never be locked out.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# Password-reset mails per address an hour (and three times that per client IP).
PASSWORD_RESET_MAILS_PER_HOUR = int(os.environ.get("PASSWORD_RESET_MAILS_PER_HOUR", "3"))
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3

# --- Internationalisation: stored in UTC, shown in the merchant's time zone ---------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media: WhiteNoise serves vendored, versioned files ------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Labels, label batches, proofs of delivery, logos and staged imports go through Django's
# storage API only: MEDIA_ROOT on the local disk by default (one machine, or a shared mount),
# or any S3-compatible store with NEARBOX_STORAGE=s3 (AWS S3, MinIO, Ceph...). The bucket stays
# private: merchants get files through the signed-in views, which stream them from the store.
NEARBOX_STORAGE = os.environ.get("NEARBOX_STORAGE", "local").strip().lower()
if NEARBOX_STORAGE == "local":
    DEFAULT_FILE_STORAGE_BACKEND = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif NEARBOX_STORAGE == "s3":
    if not os.environ.get("NEARBOX_S3_BUCKET"):
        raise ImproperlyConfigured("NEARBOX_STORAGE=s3 needs NEARBOX_S3_BUCKET.")
    DEFAULT_FILE_STORAGE_BACKEND = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["NEARBOX_S3_BUCKET"],
            # Empty: AWS itself; e.g. http://minio.internal:9000 for MinIO.
            "endpoint_url": os.environ.get("NEARBOX_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("NEARBOX_S3_REGION") or None,
            # Empty: boto3's own chain (AWS_* variables, instance role).
            "access_key": os.environ.get("NEARBOX_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("NEARBOX_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("NEARBOX_S3_PREFIX", ""),  # a folder inside the bucket
            "addressing_style": os.environ.get("NEARBOX_S3_ADDRESSING_STYLE") or None,
            "default_acl": "private",
            "querystring_auth": True,  # any URL it makes is presigned and expires
            "querystring_expire": 300,
            "signature_version": "s3v4",
            # Like the local disk: a name already taken gets a suffix, never overwrites.
            "file_overwrite": False,
        },
    }
else:
    raise ImproperlyConfigured("NEARBOX_STORAGE must be local or s3.")
STORAGES = {
    "default": DEFAULT_FILE_STORAGE_BACKEND,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("STATIC_MANIFEST", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Email: console in development, SMTP by setting ----------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Nearbox <no-reply@localhost>")

# --- Security: production-safe unless DEBUG -------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Load balancers probe health and Prometheus scrapes each machine over the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^healthz/(live|ready)$", r"^metrics$"]
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# Map tiles for Leaflet maps, e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png" (respect the
# provider's usage policy). Empty: maps draw points and heat layers on a plain background.
NEARBOX_MAP_TILES_URL = os.environ.get("NEARBOX_MAP_TILES_URL", "")
NEARBOX_MAP_TILES_ATTRIBUTION = os.environ.get(
    "NEARBOX_MAP_TILES_ATTRIBUTION", "© OpenStreetMap contributors"
)


def _tile_origin(url: str) -> str:
    """The origin of a Leaflet tile URL template, for img-src ("{s}" is any subdomain)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].replace('{s}', '*')}" if rest else ""


# Content-Security-Policy (django-csp 4): scripts and stylesheets from this origin only;
# an inline <script> or <style> runs only with the request's nonce ({{ request.csp_nonce }}).
# Style *attributes* stay allowed (style-src-attr): they cannot run script, and the demand
# chart, brand colour and Leaflet use them. The checkout widget is unaffected: it runs on
# shops' pages under their policy, and its endpoints answer JSON or JavaScript.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", *filter(None, [_tile_origin(NEARBOX_MAP_TILES_URL)])],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get(
    "CELERY_BROKER_URL", REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_TASK_IGNORE_RESULT = True  # progress lives in Job rows, not in a result backend
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection after every task unless this is set:
# a new PostgreSQL connection per task cost more than a tracking batch's own queries. Workers
# still drop broken or CONN_MAX_AGE-old connections before each task (config/celery.py).
CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "1000"))
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "nearbox")
# Queues by work (tracking, webhooks, notifications, labels, imports, planning, default), all
# the routing in config/queues.py. A worker without -Q consumes them all.
CELERY_TASK_QUEUES = task_queues(CELERY_TASK_DEFAULT_QUEUE)
CELERY_TASK_ROUTES = ("config.queues.route_task",)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers an unacknowledged task after this long (a worker that vanished): a label
# batch whose machine died resumes then. Keep it above the longest task (jobs hold a lease too).
CELERY_VISIBILITY_TIMEOUT_SECONDS = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT_SECONDS", "3600"))
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS}
    if CELERY_BROKER_URL.startswith("redis")
    else {}
)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# With a Redis broker, beat keeps its schedule in Redis under a lock (celery-redbeat): a beat
# started on each machine is safe, one sends and the others wait to take over when it stops.
# The lock lives under the default queue's name, like the queues. The embedded broker keeps
# the local file scheduler (one machine by definition).
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = CELERY_BROKER_URL
    CELERY_REDBEAT_KEY_PREFIX = f"{CELERY_TASK_DEFAULT_QUEUE}:redbeat:"
    # A standby beat takes over this long after the holder stopped renewing the lock.
    CELERY_REDBEAT_LOCK_TIMEOUT = int(os.environ.get("BEAT_LOCK_TIMEOUT_SECONDS", "120"))
    CELERY_BEAT_MAX_LOOP_INTERVAL = min(30, max(1, CELERY_REDBEAT_LOCK_TIMEOUT // 4))
BEAT_HEARTBEAT_SECONDS = int(os.environ.get("BEAT_HEARTBEAT_SECONDS", "30"))
# Every periodic task, for every app, in one place (config/beat.py).
CELERY_BEAT_SCHEDULE = beat_schedule(heartbeat_seconds=BEAT_HEARTBEAT_SECONDS)
# Extra task modules to import in the worker (the tests add their own jobs this way).
CELERY_IMPORTS = env_list("CELERY_EXTRA_IMPORTS")

# --- Geocoding --------------------------------------------------------------------------------
# "offline" (US ZIP gazetteer shipped by the `zipcodes` package) or any geopy service name
# ("nominatim", "photon", ...), with its keyword options as JSON in NEARBOX_GEOCODER_OPTIONS.
NEARBOX_GEOCODER = os.environ.get("NEARBOX_GEOCODER", "offline")
NEARBOX_GEOCODER_OPTIONS = json.loads(os.environ.get("NEARBOX_GEOCODER_OPTIONS", "{}") or "{}")
NEARBOX_GEOCODE_CACHE_SECONDS = int(os.environ.get("NEARBOX_GEOCODE_CACHE_SECONDS", "2592000"))

# --- Observability (config/observability, docs/production.md) --------------------------------
# Log lines as JSON objects ("json") or plain text ("text", `make run`); both carry request ids.
NEARBOX_LOG_FORMAT = "json" if os.environ.get("NEARBOX_LOG_FORMAT") == "json" else "text"
# /metrics answers this bearer token (and staff sessions); empty: staff only, others 404.
NEARBOX_METRICS_TOKEN = os.environ.get("NEARBOX_METRICS_TOKEN", "")
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")  # error reporting, off when empty
if SENTRY_DSN:
    from config.observability.sentry import init_sentry

    init_sentry(SENTRY_DSN, environment=os.environ.get("SENTRY_ENVIRONMENT", ""))
# Query counts and durations for /metrics: django-prometheus's wrapper of the same backend
# (after every check of ENGINE above).
if env_bool("NEARBOX_DB_METRICS", True):
    DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
        "django.db.backends.", "django_prometheus.db.backends."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.observability.logging.RequestIdFilter"},
        "pdf_fallback_once": {
            "()": "config.logfilters.OncePerProcess",
            "prefixes": ["Using fontTools instead of HarfBuzz-Subset"],
        },
    },
    "formatters": {
        "text": {"()": "config.observability.logging.TextFormatter"},
        "json": {"()": "config.observability.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": NEARBOX_LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every step of every document at INFO ("Step 5 - Creating layout"), and
    # without libharfbuzz-subset warns for every font of every PDF (said once, see the filter);
    # fontTools logs every font subset at INFO (hundreds of lines per label batch).
    "loggers": {
        "weasyprint": {"level": "WARNING", "filters": ["pdf_fallback_once"]},
        "fontTools": {"level": "WARNING"},
    },
}

# Absolute address of the dashboard, for links in emails sent outside a request.
NEARBOX_BASE_URL = os.environ.get("NEARBOX_BASE_URL", "http://localhost:8000").rstrip("/")

# --- Pickup network (lockers/) ------------------------------------------------------------------
NEARBOX_HOLD_MINUTES = int(os.environ.get("NEARBOX_HOLD_MINUTES", "15"))
NEARBOX_PICKUP_DAYS = int(os.environ.get("NEARBOX_PICKUP_DAYS", "7"))
NEARBOX_PICKUP_WRONG_CODES = int(os.environ.get("NEARBOX_PICKUP_WRONG_CODES", "5"))
NEARBOX_PICKUP_WRONG_CODE_WINDOW = int(os.environ.get("NEARBOX_PICKUP_WRONG_CODE_WINDOW", "900"))
NEARBOX_PICKUP_MAX_DISTANCE_M = int(os.environ.get("NEARBOX_PICKUP_MAX_DISTANCE_M", "25000"))
NEARBOX_PICKUP_LEAD_MINUTES = int(os.environ.get("NEARBOX_PICKUP_LEAD_MINUTES", "180"))
NEARBOX_PICKUP_SPEED_KMH = float(os.environ.get("NEARBOX_PICKUP_SPEED_KMH", "30"))
# Requests per publishable key per window on the public checkout API.
NEARBOX_PUBLIC_RATE_LIMIT = int(os.environ.get("NEARBOX_PUBLIC_RATE_LIMIT", "1200"))
NEARBOX_PUBLIC_RATE_WINDOW = int(os.environ.get("NEARBOX_PUBLIC_RATE_WINDOW", "60"))

# --- Tracking (fulfillment/tracking/) -----------------------------------------------------------
# Shopper text messages: an import path (fulfillment/tracking/sms.py has console, file, locmem).
NEARBOX_SMS_BACKEND = os.environ.get(
    "NEARBOX_SMS_BACKEND", "fulfillment.tracking.sms.ConsoleSmsBackend"
)
NEARBOX_SMS_FILE_PATH = os.environ.get("NEARBOX_SMS_FILE_PATH", str(VAR_DIR / "sms.jsonl"))
# fulfillment.tracking.sms.TwilioSmsBackend: Twilio's Messages API (or a service speaking it).
NEARBOX_SMS_TWILIO_BASE_URL = os.environ.get(
    "NEARBOX_SMS_TWILIO_BASE_URL", "https://api.twilio.com"
)
NEARBOX_SMS_TWILIO_ACCOUNT_SID = os.environ.get("NEARBOX_SMS_TWILIO_ACCOUNT_SID", "")
NEARBOX_SMS_TWILIO_AUTH_TOKEN = os.environ.get("NEARBOX_SMS_TWILIO_AUTH_TOKEN", "")
NEARBOX_SMS_TWILIO_FROM = os.environ.get("NEARBOX_SMS_TWILIO_FROM", "")  # +1… or MG… service
# The email provider's delivery reports (POST /webhooks/messages/email-events) carry this as a
# Bearer token; empty: the endpoint is off (404).
NEARBOX_EMAIL_EVENTS_TOKEN = os.environ.get("NEARBOX_EMAIL_EVENTS_TOKEN", "")
# A claimed poll batch that never reports (worker killed) comes due again after this long.
NEARBOX_TRACKING_LEASE_SECONDS = int(os.environ.get("NEARBOX_TRACKING_LEASE_SECONDS", "600"))
# Queue of the tracking tasks (empty: the default queue).
NEARBOX_TRACKING_QUEUE = os.environ.get("NEARBOX_TRACKING_QUEUE", "")
# Seconds between refreshes of the public tracking page and the live shipments list.
NEARBOX_TRACKING_REFRESH_SECONDS = int(os.environ.get("NEARBOX_TRACKING_REFRESH_SECONDS", "30"))
# While a live courier carries the parcel, the tracking page refreshes this often instead.
NEARBOX_TRACKING_LIVE_REFRESH_SECONDS = int(
    os.environ.get("NEARBOX_TRACKING_LIVE_REFRESH_SECONDS", "5")
)
# A live courier is "nearby" (one message to the shopper) when it says it is arriving, or its
# ETA at the drop-off is under NEARBY_ETA_SECONDS, or it is within NEARBY_DISTANCE_M of it
# in a straight line. A position older than LIVE_POSITION_MAX_AGE_SECONDS is never live.
NEARBOX_NEARBY_ETA_SECONDS = int(os.environ.get("NEARBOX_NEARBY_ETA_SECONDS", "300"))
NEARBOX_NEARBY_DISTANCE_M = int(os.environ.get("NEARBOX_NEARBY_DISTANCE_M", "500"))
NEARBOX_LIVE_POSITION_MAX_AGE_SECONDS = int(
    os.environ.get("NEARBOX_LIVE_POSITION_MAX_AGE_SECONDS", "180")
)
# The file email backend's folder (tests run a worker that writes mail there).
if os.environ.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
# Read couriers' change feeds where they have one (off: per-shipment polling only, benchmarks).
NEARBOX_TRACKING_USE_FEEDS = env_bool("NEARBOX_TRACKING_USE_FEEDS", True)
# A file that gets one JSON line of phase timings per polled batch (empty: off; benchmarks).
NEARBOX_TRACKING_TIMINGS_FILE = os.environ.get("NEARBOX_TRACKING_TIMINGS_FILE", "")
# What a Shopify store's shoppers pay for pickup at a locker or shop (minor units of the
# merchant's currency); home services are priced from the courier rate cards.
NEARBOX_SHOPIFY_PICKUP_PRICE_MINOR = int(os.environ.get("NEARBOX_SHOPIFY_PICKUP_PRICE_MINOR", "0"))
# Exchange rates for amounts not in the merchant's currency (merchant/money.py), as JSON:
# {"EUR:USD": {"rate": "1.0842", "source": "ECB, 4 Dec 2026"}}; none: such amounts are refused.
NEARBOX_FX_RATES = json.loads(os.environ.get("NEARBOX_FX_RATES", "{}") or "{}")
NEARBOX_FX_SOURCE = os.environ.get("NEARBOX_FX_SOURCE", "")

# --- Outgoing webhooks (integrations/webhooks/) --------------------------------------------------
# Refuse endpoints on loopback, private and link-local addresses (a merchant could otherwise make
# Nearbox probe its own network). Tests and `make run` (DEBUG) allow them for local receivers.
NEARBOX_WEBHOOKS_ALLOW_PRIVATE = env_bool("NEARBOX_WEBHOOKS_ALLOW_PRIVATE", DEBUG)
# A delivery is retried with exponential backoff and jitter for this long, then given up.
NEARBOX_WEBHOOKS_RETRY_HOURS = float(os.environ.get("NEARBOX_WEBHOOKS_RETRY_HOURS", "24"))
# An endpoint is disabled (and its owners emailed) after this many failed attempts in a row,
# or when every attempt for NEARBOX_WEBHOOKS_RETRY_HOURS failed.
NEARBOX_WEBHOOKS_DISABLE_AFTER = int(os.environ.get("NEARBOX_WEBHOOKS_DISABLE_AFTER", "100"))
NEARBOX_WEBHOOKS_TIMEOUT_SECONDS = float(os.environ.get("NEARBOX_WEBHOOKS_TIMEOUT_SECONDS", "10"))

# --- Courier accounts --------------------------------------------------------------------------
# A courier account's API base URL may be on loopback or a private network (the courier sandbox of
# `make run` and the tests); in production it must be public (merchant/netguard.py).
NEARBOX_COURIERS_ALLOW_PRIVATE = env_bool("NEARBOX_COURIERS_ALLOW_PRIVATE", DEBUG)

# --- Shop platforms (integrations/platforms/) ----------------------------------------------------
# A connected store's address must be https and not a local one: Nearbox sends it tokens and
# calls it. Development (`make run`: the demo shop) and tests allow stores on 127.0.0.1.
NEARBOX_PLATFORMS_ALLOW_LOOPBACK = env_bool("NEARBOX_PLATFORMS_ALLOW_LOOPBACK", DEBUG)

# --- Checkout widget (lockers/views/widget.py) ----------------------------------------------------
# Map tiles of the pickup widget on shops' pages; empty: no tiles (the list still works).
NEARBOX_WIDGET_TILE_URL = os.environ.get(
    "NEARBOX_WIDGET_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
NEARBOX_WIDGET_TILE_ATTRIBUTION = os.environ.get(
    "NEARBOX_WIDGET_TILE_ATTRIBUTION", "© OpenStreetMap contributors"
)

# --- Data that grows (fulfillment/housekeeping/, docs/production.md) -----------------------------
# Days a row is kept; 0 keeps it for ever. An hourly task deletes older rows in small batches.
# Courier webhook receipts (replay nonces; signed timestamps are refused after 5 minutes anyway).
NEARBOX_RETENTION_WEBHOOK_RECEIPTS_DAYS = int(
    os.environ.get("NEARBOX_RETENTION_WEBHOOK_RECEIPTS_DAYS", "30")
)
# Store webhooks already processed (done, ignored, failed); a queued one is never deleted.
NEARBOX_RETENTION_INBOUND_WEBHOOKS_DAYS = int(
    os.environ.get("NEARBOX_RETENTION_INBOUND_WEBHOOKS_DAYS", "30")
)
# Outgoing webhook events and their deliveries, once no delivery of the event is still open.
NEARBOX_RETENTION_WEBHOOK_DELIVERIES_DAYS = int(
    os.environ.get("NEARBOX_RETENTION_WEBHOOK_DELIVERIES_DAYS", "30")
)
# Finished background jobs (the Jobs page).
NEARBOX_RETENTION_JOBS_DAYS = int(os.environ.get("NEARBOX_RETENTION_JOBS_DAYS", "90"))
# Tracking history is part of its shipment and kept as long as it (0). When set, a shipment
# finished that many days ago keeps only its last event and its proofs of delivery.
NEARBOX_RETENTION_TRACKING_EVENTS_DAYS = int(
    os.environ.get("NEARBOX_RETENTION_TRACKING_EVENTS_DAYS", "0")
)
# Rows per DELETE (one short transaction each) and seconds of deleting per run of the task.
NEARBOX_RETENTION_BATCH = int(os.environ.get("NEARBOX_RETENTION_BATCH", "1000"))
NEARBOX_RETENTION_SECONDS = int(os.environ.get("NEARBOX_RETENTION_SECONDS", "120"))

# Own fleet route planning (#16). The offline travel model: great-circle distance x circuity at a
# speed per vehicle kind (km/h) times an hour-of-day factor (local hour -> factor: rush hours).
# With NEARBOX_FLEET_OSRM_URL (an OSRM server's base URL) or NEARBOX_FLEET_VALHALLA_URL set, the
# planner asks that server for its travel matrix and falls back to the offline model if it fails.
NEARBOX_FLEET_CIRCUITY = float(os.environ.get("NEARBOX_FLEET_CIRCUITY", "1.3"))
_FLEET_RUSH = {"7": 0.75, "8": 0.7, "9": 0.85, "16": 0.85, "17": 0.7, "18": 0.8}
NEARBOX_FLEET_SPEEDS = (
    json.loads(os.environ["NEARBOX_FLEET_SPEEDS"])
    if os.environ.get("NEARBOX_FLEET_SPEEDS")
    else {
        "cargo_bike": {"kmh": 15.0, "hours": {}},
        "car": {"kmh": 30.0, "hours": _FLEET_RUSH},
        "van": {"kmh": 26.0, "hours": _FLEET_RUSH},
    }
)
NEARBOX_FLEET_OSRM_URL = os.environ.get("NEARBOX_FLEET_OSRM_URL", "")
NEARBOX_FLEET_VALHALLA_URL = os.environ.get("NEARBOX_FLEET_VALHALLA_URL", "")
NEARBOX_FLEET_MATRIX_TIMEOUT = float(os.environ.get("NEARBOX_FLEET_MATRIX_TIMEOUT", "10"))
# Seconds the planner may spend on one plan (VROOM, then the improvement phase).
NEARBOX_FLEET_PLAN_SECONDS = float(os.environ.get("NEARBOX_FLEET_PLAN_SECONDS", "10"))
# The shopper sees an own driver on the tracking page's map, and gets the "nearby" message once,
# from this many stops before theirs.
NEARBOX_FLEET_NEARBY_STOPS = int(os.environ.get("NEARBOX_FLEET_NEARBY_STOPS", "3"))
