"""Inbox pages: the list, its counts (polled), bulk actions, a conversation and its actions."""

from django.urls import path

from . import conversation_views, views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox_list, name="list"),
    path("counts/", views.inbox_counts, name="counts"),
    path("bulk/", views.inbox_bulk, name="bulk"),
    path("<int:mention_id>/", conversation_views.conversation, name="conversation"),
    path("<int:mention_id>/retry/", conversation_views.acknowledgement_retry, name="retry"),
    path("<int:mention_id>/labels/", conversation_views.mention_labels, name="labels"),
    path("<int:mention_id>/presence/", conversation_views.presence, name="presence"),
    path("<int:mention_id>/notes/", conversation_views.note_add, name="note"),
    path("notifications/", conversation_views.notifications, name="notifications"),
    path("<int:mention_id>/<slug:action>/", conversation_views.mention_act, name="act"),
]
