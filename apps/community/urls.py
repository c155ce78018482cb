"""People and community pages (``/people/``, ``/community/``)."""

from django.urls import path

from . import views

app_name = "community"

urlpatterns = [
    path("people/<int:person_id>/", views.person_detail, name="person"),
    path("people/<int:person_id>/merge/", views.person_merge, name="person-merge"),
    path("people/<int:person_id>/split/", views.person_split, name="person-split"),
    path(
        "people/suggestions/<int:suggestion_id>/<slug:decision>/",
        views.suggestion_decide,
        name="suggestion-decide",
    ),
    path("community/clients/<int:client_id>/", views.client_community, name="client"),
]
