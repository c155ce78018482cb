"""``/api/v1/``: the resources of SPEC §7, the OpenAPI schema and its interactive docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import community, views

app_name = "api"

router = DefaultRouter()
router.register("clients", views.ClientViewSet, basename="client")
router.register("channels", views.ChannelViewSet, basename="channel")
router.register("queries", views.QueryViewSet, basename="query")
router.register("mentions", views.MentionViewSet, basename="mention")
router.register("acknowledgements", views.AcknowledgementViewSet, basename="acknowledgement")
router.register("webhooks", views.WebhookViewSet, basename="webhook")
router.register("people", community.PersonViewSet, basename="person")

urlpatterns = [
    path("auth/token/", views.AuthTokenView.as_view(), name="auth-token"),
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    # The split view serves its start-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("clients/<int:pk>/community/", community.CommunityView.as_view(), name="community"),
    path("", include(router.urls)),
]
