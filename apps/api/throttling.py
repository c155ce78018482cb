"""Per-token rate limits: over ``RAPPORT_API_RATE_PER_MINUTE`` a caller gets 429 + Retry-After.

Cache keys carry the agency's schema (django-tenants' cache key function), so tokens of two
agencies never share a counter.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_rate(self) -> str:
        return f"{settings.RAPPORT_API_RATE_PER_MINUTE}/min"

    def get_cache_key(self, request, view) -> str:
        if request.auth is not None and hasattr(request.auth, "token_key"):
            ident = f"token:{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"address:{self.get_ident(request)}"
        return f"api-rate:{ident}"
