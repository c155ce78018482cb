"""API clients signed in with real tokens, on an agency's host."""

from __future__ import annotations

import pytest
from django.db import connection
from knox.models import AuthToken
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.tenants.models import Agency
from apps.tenants.services import agency_host


def api_client(agency: Agency, user: User | None = None) -> APIClient:
    """A client on ``agency``'s host, carrying a token of ``user`` (made in that agency)."""
    client = APIClient(HTTP_HOST=agency_host(agency.slug))
    if user is not None:
        current = connection.tenant
        connection.set_tenant(agency)
        try:
            _, token = AuthToken.objects.create(user=user)
        finally:
            connection.set_tenant(current)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def owner(in_agency_a) -> User:
    return User.objects.get(email="owner@alpha.test")


@pytest.fixture
def api(in_agency_a, agency_a, owner) -> APIClient:
    """The owner of agency A, through the API."""
    return api_client(agency_a, owner)
