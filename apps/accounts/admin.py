from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class RapportUserAdmin(UserAdmin):
    list_display = ("email", "role", "is_active", "is_superuser")
    fieldsets = (*UserAdmin.fieldsets, ("Rapport", {"fields": ("role",)}))
