"""Template context: the agency whose host served the request."""

from django.db import connection


def agency(request):
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    if tenant is None or getattr(tenant, "schema_name", "public") == "public":
        return {"agency": None}
    return {"agency": tenant}
