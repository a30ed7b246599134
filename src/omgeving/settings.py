"""Omgeving settings: one module, every value from the environment with a safe default.

Environment variables (all optional):

OMGEVING_BASE_DOMAIN        base domain; organisations live at <slug>.<base domain>  (localhost)
OMGEVING_VAR_DIR            where the embedded database and generated secret live     (./var)
DATABASE_URL                database; default an SQLite file under OMGEVING_VAR_DIR
OMGEVING_SECRET_KEY         signing secret; default generated once under OMGEVING_VAR_DIR
OMGEVING_DEBUG              "1"/"true" turns Django debug on (never in production)
OMGEVING_SECURE             "1" when served behind TLS: secure cookies, HSTS, HTTPS redirect
OMGEVING_JWT_LIFETIME       token lifetime in seconds                                 (300)
OMGEVING_JWT_LEEWAY         clock leeway in seconds, at most 30                       (10)
OMGEVING_JWT_REFRESH_CAP    seconds after the password login beyond which a token
                            can no longer be refreshed with a token                  (3600)
OMGEVING_PAGE_SIZE_MAX      maximum page_size of list endpoints                       (100)
OMGEVING_INVITATION_LIFETIME  seconds an invitation link stays valid               (1209600)
OMGEVING_CHANGES_RETENTION  seconds change-feed events are kept                 (2592000)
OMGEVING_IDEMPOTENCY_TTL    seconds an Idempotency-Key and its answer are kept     (86400)
OMGEVING_IDEMPOTENCY_LEASE  seconds a running key is held; then a retry runs again    (60)
OMGEVING_BULK_CONCURRENCY   bulk requests of one application at once per process;
                            more are answered 429                                     (2)
OMGEVING_CONN_MAX_AGE       seconds a database connection is kept between requests    (60)
OMGEVING_LOG_LEVEL          root log level                                          (INFO)
OMGEVING_METRICS_TOKEN      set: GET /metrics with `Bearer <token>` (Prometheus)       (off)
OMGEVING_LOG_FORMAT         `json`: one JSON object per log line (granian's too)    (text)
OMGEVING_OTP_ISSUER         the issuer name authenticator apps show             (Omgeving)
OMGEVING_MAX_BODY           largest request body in bytes; token endpoints 8 KiB (1048576)
OMGEVING_TRUSTED_PROXIES    reverse proxies that append to X-Forwarded-For              (0)
OMGEVING_BEHIND_PROXY       "1": `omgeving serve` may listen beyond loopback, behind a
                            buffering proxy that limits connections per client       (off)
OMGEVING_BODIES_PER_ADDRESS request bodies arriving at once from one client address,
                            per server process; more are answered 429               (16)
OMGEVING_MEDIA_DIR          where uploaded documents are stored            (OMGEVING_VAR_DIR/media)
OMGEVING_DOCUMENT_MAX_BYTES a document's largest file                               (20 MiB)
OMGEVING_VIRUS_SCANNER      dotted path of a callable(file) that refuses infected files  (none)
OMGEVING_LOCKOUT_FAILURES   failures of a username from one address before a lock      (5)
OMGEVING_LOCKOUT_COOLOFF    seconds such a lock (and an address lock) lasts          (900)
OMGEVING_LOCKOUT_USER_FAILURES  failures of a username from anywhere before a lock    (20)
OMGEVING_LOCKOUT_USER_WINDOW    seconds that count and its lock last                (3600)
OMGEVING_LOCKOUT_ADDRESS_FAILURES  failures from one address at one organisation      (30)
OMGEVING_LOGIN_SUCCESS_LIMIT    successful logins of one user per window              (10)
OMGEVING_LOGIN_SUCCESS_WINDOW   that window in seconds                               (300)
OMGEVING_LOGIN_HASH_SLOTS   password hashes checked at once per process                (2)
OMGEVING_WEBHOOK_ALLOW_PRIVATE  "1": webhooks may go to private and loopback addresses
                            (development, tests; metadata addresses stay refused)    (off)
OMGEVING_WEBHOOK_ALLOW_HTTP "1": webhooks may go to http:// URLs (development, tests) (off)
OMGEVING_WEBHOOK_TIMEOUT    seconds one delivery attempt may take                      (5)
OMGEVING_WEBHOOK_RETRY_FOR  seconds a failing event is retried before the webhook is
                            switched off                                         (86400)
OMGEVING_WEBHOOK_BACKOFF_BASE  seconds before the first retry; doubled each time       (5)
OMGEVING_WEBHOOK_BACKOFF_MAX   longest wait between two retries in seconds          (3600)
OMGEVING_WEBHOOK_LEASE      seconds a worker holds a webhook before another may take it
                            over (a worker that died)                                 (60)
OMGEVING_WEBHOOK_SWEEP_INTERVAL  seconds between sweeps for missed or due deliveries  (30)

Read by `omgeving serve` (omgeving/cli.py, omgeving/serving.py) and the CLI:

OMGEVING_BIND               address:port to listen on                      (127.0.0.1:8000)
OMGEVING_WORKERS            server processes                                            (2)
OMGEVING_THREADS            Django threads per process                                  (4)
OMGEVING_BACKPRESSURE       requests in progress per process, slow ones included      (256)
OMGEVING_HEADER_TIMEOUT     seconds a client has to send its headers                   (10)
OMGEVING_BODY_TIMEOUT       seconds a client has to send its body (then 408)           (30)
OMGEVING_WORKER_INTERVAL    seconds `omgeving worker` waits on an empty queue        (0.1)
OMGEVING_PASSWORD           the password for `omgeving user create` (else a prompt)

A test fails when a variable read anywhere under src/omgeving is missing here.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from omgeving.api.limits import document_max_bytes, max_body_bytes


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


VAR_DIR = Path(os.environ.get("OMGEVING_VAR_DIR", Path.cwd() / "var")).resolve()


def _private_var_dir() -> None:
    """The embedded database holds BSNs, password hashes and TOTP secrets: its folder is
    0700 and the database files 0600, whatever the umask (SQLite gives its -wal and -shm
    files the database file's mode)."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    try:
        VAR_DIR.chmod(0o700)
    except PermissionError:  # a folder someone else owns: leave it, but never loosen files
        pass


def _secret_key() -> str:
    key = os.environ.get("OMGEVING_SECRET_KEY")
    if key:
        return key
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        # Written once with owner-only permissions; every process after reads the same key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("OMGEVING_DEBUG")
BASE_DOMAIN = os.environ.get("OMGEVING_BASE_DOMAIN", "localhost").strip().lower()
ALLOWED_HOSTS = [BASE_DOMAIN, "." + BASE_DOMAIN]

INSTALLED_APPS = [
    "omgeving.accounts.admin_apps.OmgevingAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "omgeving.accounts.admin_apps.TOTPConfig",  # django_otp.plugins.otp_totp, named
    "omgeving.tenancy",
    "omgeving.accounts",
    "omgeving.tokens",
    "omgeving.api",
    "omgeving.network",
    "omgeving.audit",
    "omgeving.changes",
    "django_tasks",
    "django_tasks_db",
    "omgeving.webhooks",
    "omgeving.care",
]

MIDDLEWARE = [
    "omgeving.logs.RequestIdMiddleware",
    "omgeving.metrics.MetricsMiddleware",  # off unless OMGEVING_METRICS_TOKEN
    "omgeving.health.HealthMiddleware",
    # The request's language first, so that every refusal (a body too large, an unknown
    # host, a path without its slash) is in it too.
    "django.middleware.locale.LocaleMiddleware",
    "omgeving.timestamps.UTCMiddleware",
    "omgeving.api.limits.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "omgeving.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "omgeving.tenancy.middleware.OrganizationMiddleware",
    # The admin's middleware, passed by for /api/ (omgeving/accounts/middleware.py).
    "omgeving.accounts.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "omgeving.accounts.middleware.AuthenticationMiddleware",
    "omgeving.accounts.middleware.OTPMiddleware",
    "omgeving.accounts.middleware.MessageMiddleware",
    "omgeving.accounts.middleware.LoginRefusedMiddleware",
    "omgeving.api.slots.DatabaseBusyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "omgeving.urls"
WSGI_APPLICATION = "omgeving.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

_default_db = f"sqlite:///{VAR_DIR / 'omgeving.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _database_file = Path(str(DATABASES["default"]["NAME"]))
    if str(_database_file) not in ("", ":memory:") and "mode=memory" not in str(_database_file):
        if _database_file.parent == VAR_DIR:
            _private_var_dir()
        _database_file.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(_database_file, os.O_CREAT | os.O_RDWR, 0o600))
        for _suffix in ("", "-wal", "-shm"):
            _path = Path(f"{_database_file}{_suffix}")
            if _path.exists() and _path.stat().st_mode & 0o077:
                _path.chmod(0o600)
    # WAL lets readers run beside a writer; the pragmas are applied on every new connection.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
    # Tests on a file too, not SQLite's shared-cache memory database: there concurrent
    # writers fail at once ("table is locked") instead of waiting their turn as in production.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-omgeving.sqlite3")}
# Keep connections between requests (per thread): opening one, and for SQLite setting its
# pragmas, on every request costs more than most requests themselves.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("OMGEVING_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "omgeving.accounts.backends.OrganizationBackend",
]
PASSWORD_HASHERS = [
    "omgeving.accounts.hashers.ServerArgon2PasswordHasher",  # 19 MiB, 2 passes, 1 lane
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Usernames are unique per organisation, not globally; our backend looks users up by
# (organisation, username), which Django's check cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"]

# English and Dutch: the admin follows the browser's language, the API's `detail` texts follow
# Accept-Language (codes and titles stay English); English when neither asks for Dutch.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise looks here; finders serve the files
# Uploaded files (documents): Django's storage API, the local var/media by default; in
# production any django-storages backend (see docs/content.md). Never served by a URL: only
# through the API's download, as an attachment.
MEDIA_ROOT = Path(os.environ.get("OMGEVING_MEDIA_DIR", VAR_DIR / "media")).resolve()
MEDIA_URL = "/media/"  # no URL serves it (urls.py has none): files leave only by the API
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(MEDIA_ROOT), "file_permissions_mode": 0o600,
                            "directory_permissions_mode": 0o700}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- security -----------------------------------------------------------------------------
SECURE = env_bool("OMGEVING_SECURE")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE  # every organisation is a subdomain
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- two-factor authentication for the admin (django-otp, TOTP) -----------------------------
OTP_TOTP_ISSUER = os.environ.get("OMGEVING_OTP_ISSUER", "Omgeving")


def OTP_TOTP_ISSUER(device, _name=OTP_TOTP_ISSUER):  # noqa: N802  (a setting that is callable)
    """The authenticator app shows which organisation a code is for."""
    organization = device.user.organization
    return f"{_name} {organization.slug}" if organization else f"{_name} platform"


OTP_ADMIN_HIDE_SENSITIVE_DATA = False  # the admin shows a new device's QR code once set up

# --- login throttling (omgeving/accounts/lockout.py) -----------------------------------------
TRUSTED_PROXIES = env_int("OMGEVING_TRUSTED_PROXIES", 0)
LOCKOUT_FAILURES = env_int("OMGEVING_LOCKOUT_FAILURES", 5)  # per username + address
LOCKOUT_COOLOFF = env_int("OMGEVING_LOCKOUT_COOLOFF", 900)  # seconds
LOCKOUT_USER_FAILURES = env_int("OMGEVING_LOCKOUT_USER_FAILURES", 20)  # per username
LOCKOUT_USER_WINDOW = env_int("OMGEVING_LOCKOUT_USER_WINDOW", 3600)
LOCKOUT_ADDRESS_FAILURES = env_int("OMGEVING_LOCKOUT_ADDRESS_FAILURES", 30)  # per address
LOGIN_SUCCESS_LIMIT = env_int("OMGEVING_LOGIN_SUCCESS_LIMIT", 10)  # per user
LOGIN_SUCCESS_WINDOW = env_int("OMGEVING_LOGIN_SUCCESS_WINDOW", 300)
LOGIN_KNOWN_DAYS = 30  # an address a user logged in from stays "known" this long
LOGIN_HASH_SLOTS = env_int("OMGEVING_LOGIN_HASH_SLOTS", 2)  # concurrent hashes per process
LOGIN_HASH_WAIT = 10  # seconds a login waits for a slot before 503

# --- API ------------------------------------------------------------------------------------
JWT_LIFETIME = env_int("OMGEVING_JWT_LIFETIME", 300)
JWT_LEEWAY = min(env_int("OMGEVING_JWT_LEEWAY", 10), 30)
JWT_REFRESH_CAP = env_int("OMGEVING_JWT_REFRESH_CAP", 3600)
IDEMPOTENCY_TTL = env_int("OMGEVING_IDEMPOTENCY_TTL", 24 * 3600)  # seconds a key is kept
# seconds a running key is held by its request; after a crash a retry runs it again
IDEMPOTENCY_LEASE = env_int("OMGEVING_IDEMPOTENCY_LEASE", 60)
BULK_CONCURRENCY = env_int("OMGEVING_BULK_CONCURRENCY", 2)  # per application and process
CHANGES_RETENTION = env_int("OMGEVING_CHANGES_RETENTION", 30 * 24 * 3600)  # seconds
INVITATION_LIFETIME = env_int("OMGEVING_INVITATION_LIFETIME", 14 * 24 * 3600)  # seconds

# --- Webhooks (omgeving/webhooks) and the task worker ----------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                     "QUEUES": ["default", "webhooks"]}}
WEBHOOK_ALLOW_PRIVATE = env_bool("OMGEVING_WEBHOOK_ALLOW_PRIVATE")
WEBHOOK_ALLOW_HTTP = env_bool("OMGEVING_WEBHOOK_ALLOW_HTTP")
WEBHOOK_TIMEOUT = env_int("OMGEVING_WEBHOOK_TIMEOUT", 5)
WEBHOOK_RETRY_FOR = env_int("OMGEVING_WEBHOOK_RETRY_FOR", 24 * 3600)
WEBHOOK_BACKOFF_BASE = env_int("OMGEVING_WEBHOOK_BACKOFF_BASE", 5)
WEBHOOK_BACKOFF_MAX = env_int("OMGEVING_WEBHOOK_BACKOFF_MAX", 3600)
WEBHOOK_LEASE = env_int("OMGEVING_WEBHOOK_LEASE", 60)
WEBHOOK_SWEEP_INTERVAL = env_int("OMGEVING_WEBHOOK_SWEEP_INTERVAL", 30)
# Request limits (omgeving/api/limits.py): bodies, parameters, form fields.
MAX_BODY = max_body_bytes()
DOCUMENT_MAX_BYTES = document_max_bytes()
# A dotted path to a callable(file) that raises omgeving.care.files.FileRejected for a file
# that must not be stored (a virus scanner); empty: none.
VIRUS_SCANNER = os.environ.get("OMGEVING_VIRUS_SCANNER", "")
# Bodies are limited per path before anything reads them (RequestLimitsMiddleware); Django's
# own check only needs to let the largest (a document upload) through, which the idempotency
# fingerprint reads whole.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(MAX_BODY, DOCUMENT_MAX_BYTES + 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY
PAGE_SIZE_DEFAULT = 25
PAGE_SIZE_MAX = env_int("OMGEVING_PAGE_SIZE_MAX", 100)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["omgeving.tokens.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["omgeving.api.permissions.ApplicationPermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],  # JSON only
    # Resources take JSON only; the token endpoints also take form data (see tokens/api).
    "DEFAULT_PARSER_CLASSES": ["omgeving.api.parsers.StrictJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "omgeving.api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["omgeving.api.filters.StrictFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "omgeving.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "omgeving.api.errors.exception_handler",
    # OPTIONS is not part of the API (no CORS, the schema describes everything): 405.
    "DEFAULT_METADATA_CLASS": None,
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "iso-8601",
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
}

from omgeving.api.schema_tags import TAGS  # noqa: E402  (data only)

SPECTACULAR_SETTINGS = {
    "TITLE": "Omgeving API",
    "DESCRIPTION": (
        "An open implementation of the Jouw Omgeving platform API. Each organisation has its "
        "own host, `https://[organization].<domain>/api/`. An Application user POSTs its "
        "username and password to `/api/token-auth/` and receives a JSON Web Token that lives "
        "5 minutes; every call carries `Authorization: JWT <token>`. Errors are RFC 9457 "
        "problem+json documents."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    },
    "ENUM_NAME_OVERRIDES": {
        "RelationAuthorisationEnum": "omgeving.network.models.RelationAuthorisation",
        "PersonAuthorisationEnum": "omgeving.accounts.models.Authorisation",
        "GroupKindEnum": "omgeving.network.models.Group.Kind",
        "InvitationKindEnum": "omgeving.network.models.Invitation.Kind",
        "InvitationStateEnum": "omgeving.network.models.Invitation.State",
        "ContentCategoryEnum": "omgeving.network.access.CONTENT",
    },
    "TAGS": [{"name": name, "description": description} for name, description in TAGS],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "omgeving.api.schema.add_problem_responses",
    ],
    "SERVERS": [{"url": "https://{organization}.example.org", "variables": {
        "organization": {"default": "demo", "description": "the organisation's subdomain"}}}],
}

# OMGEVING_LOG_FORMAT=json: one JSON object per line (omgeving/logs.py); else plain text.
# Every line carries the request's id; `omgeving.request` writes one line per request.
LOG_FORMAT = os.environ.get("OMGEVING_LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_security": {"()": "omgeving.logs.OneLineSecurityRecords"},
                "request_id": {"()": "omgeving.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "omgeving.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "filters": ["request_id", "one_line_security"],
                             "formatter": "json" if LOG_FORMAT == "json" else "text"}},
    "root": {"handlers": ["console"], "level": os.environ.get("OMGEVING_LOG_LEVEL", "INFO")},
    "loggers": {
        # Every 4xx is a documented answer, not a server problem worth a warning line.
        "django.request": {"level": "ERROR"},
        # The webhook worker writes its own line per attempt (omgeving.webhooks).
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
