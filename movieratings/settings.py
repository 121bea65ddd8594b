"""Settings for movieratings, read from the environment (12-factor).

With no environment at all the project runs locally on SQLite with an in-process
cache. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis. Every
variable is listed in the README's configuration table and in ``.env.example``.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

# production (the default, so that no deployment forgets it), development or test.
DJANGO_ENV = env.str("DJANGO_ENV", default="production")
if DJANGO_ENV not in {"production", "development", "test"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be production, development or test, not {DJANGO_ENV!r}."
    )
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env.bool("DJANGO_DEBUG", default=DJANGO_ENV == "development")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off when DJANGO_ENV=production.")

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be a random value of at least 50 characters in "
        "production (or set DJANGO_ENV=development for local runs)."
    )
SECRET_KEY = SECRET_KEY or "django-insecure-local-development-key-not-for-production"

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "movieratings.apps.MovieRatingsAdminConfig",  # django.contrib.admin, our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "csp",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "users",
    "movies",
    "ratings",
    "watchlist",
    "diary",
    "taste",
    "imports",
    "recommendations",
]

MIDDLEWARE = [
    "movieratings.middleware.RequestLogMiddleware",
    # Cacheable reads (catalogue, per user) answered from Redis in one round
    # trip, as the whole stack below answered them: before any of it runs.
    "movieratings.response_cache.ResponseCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "movieratings.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag from the response body, and 304 for a matching If-None-Match.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a locked-out admin sign-in into its page (users/brute_force.py).
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
    "movieratings.middleware.MethodNotAllowedMiddleware",
]

ROOT_URLCONF = "movieratings.urls"
WSGI_APPLICATION = "movieratings.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "movieratings" / "templates"],
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

# Database: SQLite by default, PostgreSQL (psycopg 3) through DATABASE_URL.
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool(
    "CONN_HEALTH_CHECKS", default=True
)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that needs no round trip.
    DATABASES["default"]["ENGINE"] = "movieratings.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {})
    # Fail fast instead of hanging when the database is unreachable.
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3)
    )
    # Notice a database that stops answering on an open connection within
    # seconds instead of leaving the request hanging until the worker timeout.
    DATABASES["default"]["OPTIONS"].setdefault("keepalives", 1)
    DATABASES["default"]["OPTIONS"].setdefault("keepalives_idle", 10)
    DATABASES["default"]["OPTIONS"].setdefault("keepalives_interval", 5)
    DATABASES["default"]["OPTIONS"].setdefault("keepalives_count", 2)
    # Parameters travel apart from the SQL ($1, $2...), so a statement run
    # again has the same text, and psycopg prepares it on its fifth run on a
    # connection: PostgreSQL then no longer parses and plans it each time,
    # which halved the database's CPU per request in the benchmark. Django
    # leaves preparing off because PgBouncer in transaction mode cannot carry
    # prepared statements (before 1.21, or without max_prepared_statements):
    # behind such a pooler set DATABASE_PREPARED_STATEMENTS=0.
    DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
    DATABASES["default"]["OPTIONS"].setdefault(
        "prepare_threshold",
        5 if env.bool("DATABASE_PREPARED_STATEMENTS", default=True) else None,
    )
    DATABASES["default"]["OPTIONS"].setdefault(
        "tcp_user_timeout", env.int("DATABASE_TCP_USER_TIMEOUT_MS", default=15000)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})
    # Wait for a concurrent writer instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")

DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **DATABASES["default"],
        **env.db_url_config(DATABASE_REPLICA_URL),
        "ENGINE": DATABASES["default"]["ENGINE"],  # A replica runs the primary's.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["movieratings.routers.PrimaryReplicaRouter"]
    MIDDLEWARE.insert(1, "movieratings.routers.PinWritesToPrimaryMiddleware")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: in-process by default, Redis through REDIS_URL.
REDIS_URL = env.str("REDIS_URL", default="")
# Seconds a process stops calling Redis after a call failed (connection error
# or timeout), before one call probes it again (movieratings/cache_breaker.py).
REDIS_BREAKER_SECONDS = env.float("REDIS_BREAKER_SECONDS", default=5.0)
# Seconds a cached catalogue entry lives. Writes through the server invalidate
# at once; writes from another process (manage.py import_movielens beside a
# running server) cannot reach an in-process cache, so its entries live briefly.
CACHE_TIMEOUT = env.int("CACHE_TIMEOUT", default=300 if REDIS_URL else 10)
REDIS_CACHE_OPTIONS = {
    "CLIENT_CLASS": "django_redis.client.DefaultClient",
    "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.25),
    "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.25),
    # A Redis outage means cache misses, never errors.
    "IGNORE_EXCEPTIONS": True,
    # And a hung Redis costs what a dead one does.
    "CONNECTION_POOL_CLASS": "movieratings.cache_breaker.CircuitBreakerConnectionPool",
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": CACHE_TIMEOUT,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="movieratings")
            # Parallel test processes share one Redis: keep their keys apart.
            + (
                f"-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
                if DJANGO_ENV == "test"
                else ""
            ),
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    # The circuit breaker logs an outage once when it starts and once when it
    # ends; a traceback per failed call would be several per request.
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "movieratings",
            "TIMEOUT": CACHE_TIMEOUT,
            # Room for every movie's detail and the throttles' counters: at
            # Django's default of 300 entries it would evict as it fills.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

AUTH_USER_MODEL = "users.User"
# Email, the login name, is unique case-insensitively through a functional
# constraint (users_user_email_ci_unique), which this check does not recognise.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = [
    # Refuses locked-out sign-ins before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "users.backends.RolePermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if DJANGO_ENV == "test":
    # Deliberately slow hashing would dominate the test suite's run time.
    PASSWORD_HASHERS.insert(0, "django.contrib.auth.hashers.MD5PasswordHasher")
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The project's own static files (the admin dashboard's stylesheet).
STATICFILES_DIRS = [BASE_DIR / "movieratings" / "static"]
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Request bodies: the API takes small JSON documents only.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BODY_BYTES", default=64 * 1024)
# ... and one file: a history import (POST users/me/imports/) of up to 5 MB, the
# only body let past the limit above (see movieratings.middleware). It is read
# whole anyway, so it is kept in memory rather than spooled to a temporary file.
IMPORT_MAX_FILE_BYTES = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_FILE_BYTES

# Security: safe by default, relaxed only for local development.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp) on every response. The pages are the
# docs and the admin, whose every asset this server serves: scripts from here
# or inline with the response's nonce (the docs' start-up scripts), no other
# origin for anything. Styles may be inline: ReDoc's styled-components and
# Swagger UI insert <style> elements that carry no nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        # ReDoc's search index runs in a worker started from a blob: URL.
        "worker-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# Django REST framework.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["drf_orjson_renderer.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["movieratings.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "movieratings.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "movieratings.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "movieratings.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "movieratings.throttling.AnonRateThrottle",
        "movieratings.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="600/min"),
        "user": env.str("THROTTLE_USER", default="1200/min"),
        "signup": env.str("THROTTLE_SIGNUP", default="20/hour"),
        "login": env.str("THROTTLE_LOGIN", default="30/min"),
        "rating_write": env.str("THROTTLE_RATING_WRITE", default="120/min"),
        "history_import": env.str("THROTTLE_HISTORY_IMPORT", default="30/hour"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": False,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

# Sign-in lock-out (django-axes, users/brute_force.py), the same for the API
# and the admin: failures per (account, client) and per client, each with its
# limit, counted in the database so that it holds while Redis is down.
LOGIN_MAX_FAILURES_PER_ACCOUNT = env.int("LOGIN_MAX_FAILURES_PER_ACCOUNT", default=5)
LOGIN_MAX_FAILURES_PER_CLIENT = env.int("LOGIN_MAX_FAILURES_PER_CLIENT", default=50)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=900)
AXES_HANDLER = "users.brute_force.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = "users.brute_force.failure_limit"
AXES_COOLOFF_TIME = "users.brute_force.cool_off"
# Refused sign-ins do not prolong a lock-out: its Retry-After counts down.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "users.brute_force.signin_username"
AXES_CLIENT_IP_CALLABLE = "users.brute_force.client_ip"
AXES_LOCKOUT_CALLABLE = "users.brute_force.lockout_response"
# Successful sign-ins are in the request log; axes's own log of them would
# need a session, which API clients do not have.
AXES_DISABLE_ACCESS_LOG = True

# Tokens are signed with the secret key unless a key of their own is set; in
# production that key must be as strong as the secret key.
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="")
if (
    PRODUCTION
    and JWT_SIGNING_KEY
    and (len(JWT_SIGNING_KEY) < 50 or JWT_SIGNING_KEY.startswith("django-insecure"))
):
    raise ImproperlyConfigured(
        "JWT_SIGNING_KEY must be a random value of at least 50 characters in "
        "production (or unset, to sign tokens with DJANGO_SECRET_KEY)."
    )

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=15)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        days=env.int("JWT_REFRESH_TOKEN_DAYS", default=7)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry their user's token version (users/tokens.py).
    "AUTH_TOKEN_CLASSES": ("users.tokens.AccessToken",),
    "SIGNING_KEY": JWT_SIGNING_KEY or SECRET_KEY,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "movieratings API",
    "DESCRIPTION": (
        "Rate movies, browse the catalogue and read exact rating aggregates. "
        "Authenticate with `POST /api/v1/auth/token/` and send "
        "`Authorization: Bearer <access>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "users.models.Role",
        "ErrorCodeEnum": "movieratings.exceptions.ERROR_CODE_CHOICES",
    },
    # After drf-spectacular's own enum hook: the document's default security,
    # required response fields and enum member names (movieratings/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "movieratings.openapi.postprocess_schema",
    ],
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "deepLinking": True},
}

RATINGS_MIN_VOTES = env.int("RATINGS_MIN_VOTES", default=10)
# Seconds a server trusts the recommender version it last looked up. Training
# announces a new version through the cache at once (Redis: every process);
# an in-process cache learns of it when this runs out.
RECOMMENDATIONS_VERSION_TTL = env.int("RECOMMENDATIONS_VERSION_TTL", default=10)

# Logging: one stdout handler; JSON lines in production, readable lines locally.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request": {"()": "movieratings.logging.RequestContextFilter"},
        "exceptions_only": {"()": "movieratings.logging.ExceptionsOnlyFilter"},
    },
    "formatters": {
        "json": {"()": "movieratings.logging.JsonFormatter"},
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s "
            "[%(request_id)s user=%(user_id)s] %(message)s"
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["request"],
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Django's records reach the root handler only: its own console
        # handler (DEBUG) would print each of them a second time.
        "django": {"handlers": [], "level": "INFO"},
        # Requests are logged once by movieratings.middleware; Django's own
        # request logger adds the traceback of 5xx only.
        "django.request": {"level": "ERROR", "filters": ["exceptions_only"]},
        # A forged Host header is the client's error: the request line says 400.
        "django.security.DisallowedHost": {"level": "CRITICAL"},
        "django.server": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
        # Failures and lock-outs are warnings; each step of them is not news.
        "axes": {"level": "WARNING"},
    },
}

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        send_default_pii=False,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
    )
