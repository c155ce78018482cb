"""Writes on people: creating users and teams in the current agency's schema."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from .models import Team, User


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str,
    role: str = User.Role.RESPONDER,
    first_name: str = "",
    last_name: str = "",
    check_password_strength: bool = False,
) -> User:
    """Create a user whose username is their e-mail address."""
    email = User.objects.normalize_email(email.strip()).lower()
    validate_email(email)
    if role not in User.Role.values:
        raise ValidationError(f"Unknown role '{role}'.")
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(f"A user with e-mail '{email}' already exists.")
    user = User(username=email, email=email, role=role, first_name=first_name, last_name=last_name)
    if check_password_strength:
        validate_password(password, user)
    elif not password:
        raise ValidationError("Password must not be empty.")
    user.set_password(password)
    user.save()
    return user


def team_create(*, name: str, members: list[User] | None = None) -> Team:
    team = Team.objects.create(name=name, slug=slugify(name))
    if members:
        team.members.set(members)
    return team
