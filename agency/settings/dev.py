"""Local development: debug on, loopback URLs allowed so the demo's local feeds work."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
RAPPORT_ALLOW_LOOPBACK_URLS = env.bool("RAPPORT_ALLOW_LOOPBACK_URLS", default=True)
