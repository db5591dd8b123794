"""Test settings: fast hashers, a temporary data directory, jobs run by a real worker or inline."""
import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = "test-only-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEFT_DATA_DIR = Path(os.environ.get("DEFT_TEST_DATA_DIR", tempfile.mkdtemp(prefix="deft-test-")))
DEFT_RUNS_DIR = DEFT_DATA_DIR / "runs"
ALLOWED_HOSTS = ["*"]
AXES_VERBOSE = False
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # noqa: F405 (one INFO line per test login otherwise)
