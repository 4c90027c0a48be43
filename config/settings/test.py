"""Settings for the test suite: the same stack as base, fast password hashing."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Export files of the test run, never the project's private directory.
EXPORT_FILES_ROOT = Path(
    os.environ.get("EXPORT_FILES_ROOT") or Path(tempfile.gettempdir()) / "lvzhi-test-exports"
)

# A "replica" alias mirroring the test database, so the replica's tests
# (tests/test_replica.py) can turn READ_REPLICA on; off for every other test,
# whose transaction the mirror's connection would not see.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
READ_REPLICA = None
