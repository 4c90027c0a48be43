"""The embedded default for a newcomer's machine: SQLite, eager Celery, DEBUG on."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
