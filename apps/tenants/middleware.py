"""Host → agency schema routing (django-tenants), case-insensitive as host names are."""

from django_tenants.middleware.main import TenantMainMiddleware


class AgencyHostMiddleware(TenantMainMiddleware):
    """``DEMO.localhost`` is ``demo.localhost``: domains are stored and looked up in lower case."""

    @staticmethod
    def hostname_from_request(request) -> str:
        return TenantMainMiddleware.hostname_from_request(request).lower()
