"""Fixtures for connector tests: a local fake platform server and loopback URLs allowed.

Works with pytest-django (its ``settings`` fixture) and without it (``-p no:django``), in which
case a minimal ``settings.configure`` is made so ``apps.channels.ssrf`` can read the flag.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def loopback_settings(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Django settings with ``RAPPORT_ALLOW_LOOPBACK_URLS = True``; tests may switch it off."""
    if request.config.pluginmanager.hasplugin("django"):
        settings = request.getfixturevalue("settings")
        settings.RAPPORT_ALLOW_LOOPBACK_URLS = True
        yield settings  # pytest-django restores the settings afterwards
        return
    from django.conf import settings

    if not settings.configured:
        settings.configure(RAPPORT_ALLOW_LOOPBACK_URLS=True, USE_TZ=True)
    previous = getattr(settings, "RAPPORT_ALLOW_LOOPBACK_URLS", False)
    settings.RAPPORT_ALLOW_LOOPBACK_URLS = True
    yield settings
    settings.RAPPORT_ALLOW_LOOPBACK_URLS = previous
