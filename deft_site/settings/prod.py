"""Production: secrets and hosts must come from the environment; HTTPS everywhere."""
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import _TASK_BACKENDS, env_bool

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment when DEBUG is off.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]  # probes from inside the host speak plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Plain HTTP on loopback (`make prod`, the load benchmark) sets these to 0; behind a TLS proxy keep the defaults.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)

# Persistent database connections, health-checked before each request reuses one: opening a PostgreSQL
# connection per request cost more than the annotator's views themselves (bench/RESULTS.md, "Annotators under
# load"). After a database restart the stale connection fails its check and is replaced, not reused.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "300"))  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

# Static files are collected (`manage.py collectstatic`, run by `make prod`, the Procfile's release step and the
# Dockerfile) and served by WhiteNoise from STATIC_ROOT with content-hashed names, compressed, cached for a year.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", STATIC_ROOT))  # noqa: F405

# Jobs run on RQ workers on Redis in production (`manage.py rqworker --job-class django_tasks_rq.Job QUEUE...`);
# TASKS_BACKEND=db keeps the database worker instead.
TASKS = {"default": _TASK_BACKENDS[os.environ.get("TASKS_BACKEND", "rq")]}

# One cache for every gunicorn worker process (deft_site/cache.py): the API throttles and the invite links'
# new-account limits count there, so a per-process memory cache would multiply each limit by the worker count.
CACHES = {
    "default": {
        "BACKEND": "deft_site.cache.FailOpenRedisCache",
        "LOCATION": os.environ.get("CACHE_URL", REDIS_URL),  # noqa: F405
        "KEY_PREFIX": os.environ.get("DEFT_CACHE_PREFIX", "deft"),
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

# Sessions read from that cache, written through to the database (deft_site/sessions.py: what a Redis outage and a
# logout during one do). A cached copy stands for the database row at most SESSION_CACHE_SECONDS; 0 turns the
# cache off (database sessions).
SESSION_CACHE_SECONDS = int(os.environ.get("SESSION_CACHE_SECONDS", "60"))
if SESSION_CACHE_SECONDS > 0:
    SESSION_ENGINE = "deft_site.sessions"
