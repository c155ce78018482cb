"""Answers ``/healthz`` on every host, before tenant routing (load balancers use bare IPs)."""

from django.http import JsonResponse

from .health import system_health


class HealthCheckMiddleware:
    path = "/healthz"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.rstrip("/") != self.path:
            return self.get_response(request)
        services = system_health()
        healthy = all(service.ok for service in services)
        body = {
            "status": "ok" if healthy else "unavailable",
            **{s.name: {"ok": s.ok, **({"error": s.detail} if s.detail else {})} for s in services},
        }
        return JsonResponse(body, status=200 if healthy else 503)
