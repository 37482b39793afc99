"""Settings for the Design Toolkit, read from environment variables with safe development defaults.

One module for every environment. Debug is off unless a developer asks for it (``DT_DEBUG=1``):
its error pages list every route and setting. With debug off a real ``DT_SECRET_KEY`` is required
(a weak or missing key is refused); ``scripts/run.sh`` makes one per checkout in ``var/``.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from designtoolkit.production import check as check_production
from omotes.influx import DEV_PASSWORD as DEV_INFLUX_PASSWORD
from omotes.influx import DEV_USERNAME as DEV_INFLUX_USERNAME
from omotes.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


DEBUG = env_bool("DT_DEBUG", False)
# pytest sets PYTEST_VERSION (also for the servers a test starts): a test run needs no real key,
# and its settings are loaded before any test code could set one.
TESTING = "PYTEST_VERSION" in os.environ
SECRET_KEY = env_str("DT_SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "DT_SECRET_KEY must be set when DT_DEBUG is off "
            "(scripts/run.sh makes one; a developer may run with DT_DEBUG=1)"
        )
    SECRET_KEY = "development-only-insecure-key-do-not-use-in-production-0123456789"
elif len(SECRET_KEY) < 40 and not DEBUG:
    raise ImproperlyConfigured("DT_SECRET_KEY is too short: use at least 40 random characters")

ALLOWED_HOSTS = env_str("DT_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in env_str("DT_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "guardian",
    "channels",
    "health_check",
    "apps.accounts",
    "apps.models",
    "apps.profiles",
    "apps.jobs",
    "apps.results",
    "apps.comparison",
    "apps.retention",
    "apps.sharing",
    "apps.influxaccess",
    "apps.helpdesk",
    "apps.notifications",
    "apps.keyfigures",
    "apps.outside",
    "apps.dashboard",
    "apps.network",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "designtoolkit.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "designtoolkit.urls"
ASGI_APPLICATION = "designtoolkit.asgi.application"

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

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": env_str("DT_DB_NAME", "designtoolkit"),
        "USER": env_str("DT_DB_USER", "postgres"),
        "PASSWORD": env_str("DT_DB_PASSWORD", ""),
        "HOST": env_str("DT_DB_HOST", "127.0.0.1"),
        "PORT": env_str("DT_DB_PORT", "5432"),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        # Parameters bound by PostgreSQL, and a query run five times on a connection prepared:
        # planned once, not at every run. Planning was most of PostgreSQL's work (the access
        # rule's queries: 1-3.7 ms to plan, 0.1-0.3 ms to run); its CPU per page fell to a quarter
        # (bench/README.md). Django turns prepared statements off for poolers such as PgBouncer
        # in transaction mode, which the product does not use.
        "OPTIONS": {"prepare_threshold": 5, "server_side_binding": True},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("DT_REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    # Django's own, over one client and pool a process, not a connection a request
    # (designtoolkit.redis_pools).
    "default": {"BACKEND": "designtoolkit.redis_pools.RedisCache", "LOCATION": REDIS_URL}
}
# The copies of series kept for charts take at most this much of Redis, least recently used
# evicted first (apps/results/series_cache.py): Redis also carries the channel layer, whose
# messages a global maxmemory policy could drop.
SERIES_CACHE_MAX_BYTES = env_int("DT_SERIES_CACHE_MAX_BYTES", 256 * 1024 * 1024)
SERIES_CACHE_PREFIX = env_str("DT_SERIES_CACHE_PREFIX", "dt:results:points")
# Each open websocket waits for its next message with a blocking pop that Redis answers after at
# most 5 s (channels_redis' brpop_timeout). redis-py 8 gives up reading after 5 s by default, so
# that wait lost the race on every idle socket and daphne closed it with 1011. The read timeout
# must be longer than the pop; finite, so a dead Redis connection is still noticed.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 5}],
            "prefix": env_str("DT_CHANNELS_PREFIX", "asgi"),
        },
    }
}

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Argon2id at OWASP's baseline (apps.accounts.hashers says why); the others verify the hashes
# stored before, each rewritten as Argon2id at its owner's next login.
PASSWORD_HASHERS = [
    "apps.accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: e-mail + password; the username is the e-mail address, so HTTP Basic auth on
# the API takes the same credentials as the login form.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# "mandatory": no login until the address is confirmed through the e-mailed link (production
# default); "optional" sends the link but lets the user in (development default); "none".
ACCOUNT_EMAIL_VERIFICATION = env_str("DT_EMAIL_VERIFICATION", "optional" if DEBUG else "mandatory")
# Failed logins (form and HTTP Basic on the API alike) count per client IP ("ip") and per
# (client IP, address) pair ("key", see apps.accounts.adapter), never per address alone, so nobody
# can lock the owner out from another client. The pair's allowance shrinks as failures pile up
# (5 in 5 minutes, 10 in an hour, 20 in a day); one IP may fail 10 times a minute, 50 an hour
# over all addresses it tries. Counters live in the cache (Redis), across web processes.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str(
        "DT_LOGIN_FAILED_RATE_LIMIT", "10/m/ip,50/h/ip,5/5m/key,10/h/key,20/d/key"
    ),
}
# Client IP behind a reverse proxy: the number of proxies that append to X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("DT_TRUSTED_PROXY_COUNT", 0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("DT_MFA_ISSUER", "Design Toolkit")
# OpenID Connect login through an outside identity provider (Keycloak ...): set the server URL
# (the issuer, e.g. https://sso.example.org/realms/energy), client id and secret. Without a server
# URL the login page offers no such button.
OIDC_SERVER_URL = env_str("DT_OIDC_SERVER_URL", "")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": env_str("DT_OIDC_PROVIDER_ID", "idp"),
                "name": env_str("DT_OIDC_NAME", "Single sign-on"),
                "client_id": env_str("DT_OIDC_CLIENT_ID", ""),
                "secret": env_str("DT_OIDC_CLIENT_SECRET", ""),
                "settings": {"server_url": OIDC_SERVER_URL},
            }
        ]
        if OIDC_SERVER_URL
        else [],
    }
}
# An IdP login whose verified e-mail matches an existing account signs in to that account.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = env_bool("DT_OIDC_EMAIL_AUTHENTICATION", False)
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = SOCIALACCOUNT_EMAIL_AUTHENTICATION
ACCOUNT_SESSION_REMEMBER = None  # the user chooses with the "remember me" box
ACCOUNT_ADAPTER = "apps.accounts.adapter.AccountAdapter"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"  # the dashboard
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
# Sessions are read from Redis (the cache) and written through to PostgreSQL: one query less on
# every request (bench/load.py), and a session outlives a flushed or restarted Redis.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# "Remember me" keeps the session this long after the browser closes (R9).
SESSION_COOKIE_AGE = env_int("DT_SESSION_DAYS", 30) * 24 * 3600
# Session and CSRF cookies go over HTTPS only, unless the server is reached over plain HTTP on
# purpose: scripts/run.sh on 127.0.0.1 sets DT_SECURE_COOKIES=0, since clients other than
# browsers (python-requests, curl's cookie jar) do not send a Secure cookie back over http://.
SECURE_COOKIES = env_bool("DT_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
# Mail goes out through SMTP once DT_EMAIL_HOST names a server (scripts/run.sh starts a local mail
# catcher); without one it is printed to the console of the process that sends it.
EMAIL_HOST = env_str("DT_EMAIL_HOST", "")
EMAIL_PORT = env_int("DT_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("DT_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("DT_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DT_EMAIL_TLS", False)  # STARTTLS (usually port 587)
EMAIL_USE_SSL = env_bool("DT_EMAIL_SSL", False)  # TLS from the start (usually port 465)
EMAIL_TIMEOUT = env_int("DT_EMAIL_TIMEOUT_S", 20)
EMAIL_BACKEND = env_str(
    "DT_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DT_FROM_EMAIL", "Design Toolkit <noreply@localhost>")
# Where users reach the web app: the links in e-mails start with it.
PUBLIC_URL = env_str("DT_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Jobs one user submits with less than this between one and the next form a batch: its end is one
# e-mail (a digest), sent when the last of them ended (apps.notifications.batches).
NOTIFY_BATCH_WINDOW_S = env_int("DT_NOTIFY_BATCH_WINDOW_S", 60)
# A mail the SMTP server keeps refusing is tried again (at most every 15 minutes) for this long.
NOTIFY_MAIL_MAX_AGE_H = env_int("DT_NOTIFY_MAIL_MAX_AGE_H", 72)
# Support tickets: attachments at most this large, of the types apps.helpdesk.attachments allows.
HELPDESK_ATTACHMENT_MAX_BYTES = env_int("DT_HELPDESK_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)

# API tokens (django-rest-knox): only a SHA-512 digest is stored; each token has its own expiry.
KNOX_TOKEN_MODEL = "accounts.ApiToken"
REST_KNOX = {"TOKEN_TTL": None, "TOKEN_PREFIX": "dt_", "AUTH_HEADER_PREFIX": "Token"}
# knox's own migrations create its default token table even when the model is swapped for ours,
# and that orphan table (referencing auth_user) breaks flushing the database: no knox migrations.
MIGRATION_MODULES = {"knox": None}

ANONYMOUS_USER_NAME = None  # guardian: no anonymous object permissions

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "apps.accounts.authentication.RateLimitedBasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "designtoolkit.parsers.JSONBodyParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "designtoolkit.api_errors.ApiSchema",
    "EXCEPTION_HANDLER": "designtoolkit.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Design Toolkit API",
    "DESCRIPTION": "Projects, ESDL models, workflows, jobs and their result time series.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui/favicon-32x32.png",
    "COMPONENT_SPLIT_REQUEST": True,
}

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploads: an ESDL is at most this large. The largest request body is the largest upload (an ESDL,
# or a 10 MiB profile CSV: apps.profiles.services.MAX_CSV_BYTES) with room for the form around
# it; a larger body is answered 413 before Django reads it (designtoolkit.request_limits).
ESDL_MAX_BYTES = env_int("DT_ESDL_MAX_BYTES", 20 * 1024 * 1024)
REQUEST_BODY_MAX_BYTES = max(ESDL_MAX_BYTES, 10 * 1024 * 1024) + 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
# The longest URL (path and query string) answered; longer ones get 414. Below daphne's 16 KiB
# request line, past which daphne drops the connection unanswered.
URL_MAX_BYTES = env_int("DT_URL_MAX_BYTES", 8 * 1024)

# InfluxDB (v1 HTTP API): results live in one database per job, input profiles in their own.
INFLUX_URL = env_str("OMOTES_INFLUX_URL", "http://127.0.0.1:8086")
# The product's own InfluxDB account (an admin: it creates databases and the read-only users of
# R22); the development defaults are the account scripts/setup.sh creates (omotes.influx).
INFLUX_USERNAME = env_str("OMOTES_INFLUX_USERNAME", DEV_INFLUX_USERNAME)
INFLUX_PASSWORD = env_str("OMOTES_INFLUX_PASSWORD", DEV_INFLUX_PASSWORD)
# Where people outside reach InfluxDB with their read credentials (shown on the account page).
INFLUX_PUBLIC_URL = env_str("DT_INFLUX_PUBLIC_URL", INFLUX_URL)
INFLUX_PROFILES_DATABASE = env_str("DT_INFLUX_PROFILES_DB", "profiles")
# /health/ writes a point here and reads it back (designtoolkit.health.InfluxDB).
INFLUX_HEALTH_DATABASE = env_str("DT_INFLUX_HEALTH_DB", "health")
# What one model, one input profile and one job may write (why these numbers: apps.profiles.limits).
PROFILE_MAX_YEARS = env_int("DT_PROFILE_MAX_YEARS", 10)
PROFILE_MAX_POINTS = env_int("DT_PROFILE_MAX_POINTS", 5 * 366 * 24)
MODEL_MAX_PROFILES = env_int("DT_MODEL_MAX_PROFILES", 2_000)
MODEL_MAX_PROFILE_POINTS = env_int("DT_MODEL_MAX_PROFILE_POINTS", 20_000_000)
# A model whose profile binder sent no progress for this long is claimed again (the binder died).
PROFILE_BINDING_STALE_S = env_int("DT_PROFILE_BINDING_STALE_S", 120)
# Outside data (apps.outside): the only servers the profile binder fetches from (JSON list of
# {"name", "url", "username_env", "password_env", "allow_private", "ca_file"}; credentials in the
# environment), and how long and how much one fetch may take (all of it within the deadline,
# which stays well below DT_PROFILE_BINDING_STALE_S). Empty: nothing outside is asked.
OUTSIDE_SERVERS = env_str("DT_OUTSIDE_SERVERS", "[]")
OUTSIDE_TIMEOUT_S = float(env_str("DT_OUTSIDE_TIMEOUT_S", "10"))
OUTSIDE_DEADLINE_S = float(env_str("DT_OUTSIDE_DEADLINE_S", "30"))
OUTSIDE_RETRIES = env_int("DT_OUTSIDE_RETRIES", 2)
OUTSIDE_BACKOFF_S = float(env_str("DT_OUTSIDE_BACKOFF_S", "1"))
# 4 MiB: a profile of DT_PROFILE_MAX_POINTS (43,920) points is about 1.5 MB of InfluxDB's JSON.
OUTSIDE_MAX_BYTES = env_int("DT_OUTSIDE_MAX_BYTES", 4 * 1024 * 1024)
# The Energy Data Repository for size-only pipes (kept in the pipe catalogue 30 days), and a
# heat-profile generator for stand-in profiles; each must be on DT_OUTSIDE_SERVERS. Empty: the
# local catalogue and the built-in BDEW profiles only.
EDR_URL = env_str("DT_EDR_URL", "")
PROFILE_GENERATOR_URL = env_str("DT_PROFILE_GENERATOR_URL", "")
# The network map draws on a plain background: no outside tile server is asked unless one is
# named here ({z}/{x}/{y} URL template, e.g. of the operator's own tile server), with the
# attribution its licence requires. Browsers fetch the tiles, not the server.
MAP_TILE_URL = env_str("DT_MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env_str("DT_MAP_TILE_ATTRIBUTION", "")

# RabbitMQ (Dramatiq); OMOTES_NAMESPACE (read by omotes.broker) prefixes the queue names.
BROKER_URL = env_str("OMOTES_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")

# Jobs: a worker that sends no heartbeat for this long is gone; its running jobs fail (R26).
WORKER_TIMEOUT_S = env_int("DT_WORKER_TIMEOUT_S", 30)
# Extra time a job gets past its workflow's time limit before the reconciler fails it.
JOB_DEADLINE_GRACE_S = env_int("DT_JOB_DEADLINE_GRACE_S", 60)
# A job whose worker vanished is queued again, at most this many runs in all (R26).
JOB_MAX_ATTEMPTS = env_int("DT_JOB_MAX_ATTEMPTS", 3)
# A job sent to a worker queue but not started this long after is sent again: its message was
# lost (broker restart without persistence, or a restore from a backup taken before it ran).
JOB_DISPATCH_TIMEOUT_S = env_int("DT_JOB_DISPATCH_TIMEOUT_S", 120)
# A queued job fails when no live worker offered its workflow for this long, so every job ends
# (R26); per workflow in admin (WorkflowSetting).
JOB_NO_WORKER_TIMEOUT_S = env_int("DT_JOB_NO_WORKER_TIMEOUT_S", 3600)

# -- operations (issue 15): JSON log lines, Prometheus metrics, request ids ---------------------
# Every process logs JSON lines to stdout with the ids in context (omotes.logs).
LOGGING = logging_config(env_str("DT_LOG_LEVEL", "INFO"))
LOGGING_CONFIG = "omotes.logs.apply"
INSTALLED_APPS += ["django_prometheus", "apps.operations"]
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.operations.middleware.RequestContextMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# /metrics answers a client on these networks, or one with "Authorization: Bearer <token>".
METRICS_TOKEN = env_str("DT_METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = [
    n for n in env_str("DT_METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128").split(",") if n
]
# A connection pool per process (DT_DB_POOL_MAX connections at most; scripts/run.sh and
# compose.yaml set it). Under ASGI each concurrent request runs in a thread of its own, and with
# persistent connections each kept one open: 100 users exhausted PostgreSQL (bench/load.py).
if env_int("DT_DB_POOL_MAX", 0) > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] |= {
        "pool": {"min_size": 1, "max_size": env_int("DT_DB_POOL_MAX", 0), "timeout": 20}
    }
# HTTP requests one web process serves at once (the others wait, in order): fewer than its
# database connections, so none waits for one (designtoolkit.request_slots).
WEB_REQUEST_SLOTS = env_int(
    "DT_WEB_REQUEST_SLOTS",
    max(1, env_int("DT_DB_POOL_MAX", 0) - 2) if env_int("DT_DB_POOL_MAX", 0) else 8,
)
# Production (DT_ENV=production, compose.yaml): no default or example password or secret.
if env_str("DT_ENV", "development") == "production":
    check_production(globals())
