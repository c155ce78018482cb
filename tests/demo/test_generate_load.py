"""``generate_load`` provisions synthetic agencies with mentions, and keeps what exists."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from apps.clients.models import Client
from apps.listening.models import Mention
from apps.tenants.models import Agency


def test_generate_load_provisions_agencies_with_mentions_once(db):
    out = StringIO()
    call_command("generate_load", agencies=2, mentions=300, clients=2, prefix="gl", stdout=out)
    assert "2 agencies (2 new), 600 mentions stored." in out.getvalue()
    for slug in ("gl-1", "gl-2"):
        agency = Agency.objects.get(slug=slug)
        with schema_context(agency.schema_name):
            assert Client.objects.count() == 2
            mentions = Mention.objects.all()
            assert mentions.count() == 300
            assert mentions.filter(status="acknowledged").count() == 240  # four in five
            assert set(mentions.values_list("sentiment", flat=True)) == {
                "positive", "neutral", "negative",
            }  # fmt: skip
    again = StringIO()
    call_command("generate_load", agencies=2, mentions=300, prefix="gl", stdout=again)
    assert "2 agencies (0 new), 0 mentions stored." in again.getvalue()


def test_generate_load_refuses_nonsense(db):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_load", agencies=0)
