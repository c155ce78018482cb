"""Host → agency schema routing (django-tenants), case-insensitive as host names are; the
agency's logo (up to a few hundred kB) is left in the database until something shows it."""

from django_tenants.middleware.main import TenantMainMiddleware


class AgencyHostMiddleware(TenantMainMiddleware):
    """``DEMO.localhost`` is ``demo.localhost``: domains are stored and looked up in lower case."""

    @staticmethod
    def hostname_from_request(request) -> str:
        return TenantMainMiddleware.hostname_from_request(request).lower()

    def get_tenant(self, domain_model, hostname):
        domain = domain_model.objects.select_related("tenant").defer("tenant__logo")
        return domain.get(domain=hostname).tenant
