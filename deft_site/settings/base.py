"""Shared settings. Every value a deployment changes comes from the environment, with a safe default."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("DEFT_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "deft_site.jobs",
    "selection",
    "annotation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "deft_site.outage.DatabaseOutageMiddleware",
    "deft_site.uploads.UploadLimitMiddleware",  # before anything reads the body (CSRF does)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "deft_site.urls"
WSGI_APPLICATION = "deft_site.wsgi.application"
ASGI_APPLICATION = "deft_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "deft_site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "deft_site.roles.roles_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'deft.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A fresh clone has no var/ yet: `manage.py migrate` (or any command) must not fail on the missing folder.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server and the worker read while the other writes; IMMEDIATE transactions take the
    # write lock up front, so two writers wait for each other instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "deft_site" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT failures for one account, or from one address,
# that account / address is refused, even with the right password, until AXES_COOLOFF_TIME has passed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "deft_site.accounts.lockout_response"
AXES_CLIENT_IP_CALLABLE = "deft_site.accounts.client_ip"  # NUM_PROXIES-aware, like the API throttles
AXES_VERBOSE = False  # our lockout page logs each lockout; axes would log a banner on every command

# Content-Security-Policy (django-csp): scripts only from this site's static files, no inline script, no
# framing. Inline style attributes stay allowed (progress bars set their width), inline script does not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Crowd invite links: new participant accounts per address, and per invite link (see annotation.views.rater).
DEFT_JOIN_RATE_PER_ADDRESS = os.environ.get("JOIN_RATE_PER_ADDRESS", "10/hour")
DEFT_JOIN_RATE_PER_INVITE = os.environ.get("JOIN_RATE_PER_INVITE", "120/hour")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Uploads of datasets and outputs can be large; the import streams from a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Refused (413, a clear message) before a byte is read or written: deft_site/uploads.py.
DEFT_UPLOAD_MAX_BYTES = int(float(os.environ.get("DEFT_UPLOAD_MAX_MB", "200")) * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "deft_site.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

REST_FRAMEWORK = {
    # Browsers use their session (with CSRF); scripts send "Authorization: Token <key>" made on /account/tokens/.
    # Token first: a bad or revoked token is a 401 with "WWW-Authenticate: Token", not a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Every API route is throttled (per user when signed in, per address otherwise); see SECURITY.md.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # Addresses for throttling: REMOTE_ADDR, or the client's address from X-Forwarded-For behind this many
    # trusted proxies (never a header a client can forge while no proxy is declared).
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "0")),
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "600/minute"),
    },
    "DEFAULT_PARSER_CLASSES": ["deft_site.parsers.SafeJSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "deft_site.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DEFT evaluation platform API",
    "DESCRIPTION": "Datasets, core-set selection, training, systems, metrics and blinded human evaluation.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # One name for the left/right/tie/both_bad vocabulary, whichever field carries it (a rater's preference,
    # a reviewer's final label in the sides they saw).
    "ENUM_NAME_OVERRIDES": {"PreferenceEnum": "annotation.models.Preference.values"},
}

# Background jobs: Django's tasks API (django-tasks backport). The embedded default is the
# database-backed worker; set TASKS_BACKEND=rq to run the same jobs on RQ workers. `manage.py jobs_worker`
# runs either (deft_site/jobs/).
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# The job queues: `interactive` (imports, scoring, exports), `long` (training, generation, embedding), `gpu`
# (training a worker opts into), and `default` for anything not routed. Each is one RQ queue on Redis.
DEFT_QUEUES = ["default", "interactive", "long", "gpu"]
RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 24 * 3600} for name in DEFT_QUEUES}
_TASK_BACKENDS = {
    "db": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": DEFT_QUEUES},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": DEFT_QUEUES},
    "immediate": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": DEFT_QUEUES},
}
TASKS = {"default": _TASK_BACKENDS[os.environ.get("TASKS_BACKEND", "db")]}
# A running job's lease: renewed by its worker every third of it; when it lapses (the worker died) the job is
# re-queued, up to DEFT_JOB_MAX_ATTEMPTS starts in all, then failed with the reason.
DEFT_JOB_LEASE_SECONDS = float(os.environ.get("DEFT_JOB_LEASE_SECONDS", "60"))
DEFT_JOB_MAX_ATTEMPTS = int(os.environ.get("DEFT_JOB_MAX_ATTEMPTS", "3"))
# Where training jobs go: "long" (CPU workers) or "gpu" (only workers started with --queue gpu take them).
DEFT_TRAINING_QUEUE = os.environ.get("DEFT_TRAINING_QUEUE", "long")

# Where the platform keeps what it makes: model runs, embeddings, exports.
DEFT_DATA_DIR = Path(os.environ.get("DEFT_DATA_DIR", VAR_DIR / "data"))
DEFT_RUNS_DIR = DEFT_DATA_DIR / "runs"
# Default embedder spec (see selection.core.embedders.get_embedder): the packaged all-MiniLM-L6-v2.
DEFT_EMBEDDER = os.environ.get("DEFT_EMBEDDER", "minilm")
# Default base model for training: "tiny-t5" builds a small T5 from a config (no download needed);
# any Hugging Face model id or local path (e.g. google/flan-t5-large) also works.
DEFT_BASE_MODEL = os.environ.get("DEFT_BASE_MODEL", "tiny-t5")
# Training steps of each of the demo's two models (the same for both): 800 finishes in minutes on two cores;
# 2000 learns the demo's edits much better (README, "Two commands").
DEFT_DEMO_STEPS = int(os.environ.get("DEFT_DEMO_STEPS", "800"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# No network at run time: libraries must load models from local paths only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
