from django.urls import path

from . import views

app_name = "listening"

urlpatterns = [
    path("mentions/", views.mention_search, name="mentions"),
    path("queries/", views.query_list, name="list"),
    path("queries/new/", views.query_create, name="create"),
    path("queries/check/", views.query_check, name="check"),
    path("queries/<int:query_id>/", views.query_detail, name="detail"),
    path("queries/<int:query_id>/edit/", views.query_edit, name="edit"),
    path("rematches/<int:rematch_id>/", views.rematch_status, name="rematch-status"),
]
