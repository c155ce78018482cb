"""An agency's home page: the onboarding checklist until it is done, then each person's work."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.accounts.selectors import can_manage_people

from . import selectors


@login_required
@require_GET
def home(request):
    user = request.user
    if user.is_client_user:
        return render(request, "workspace/home_client.html", selectors.client_home(user=user))
    steps = selectors.onboarding_steps() if can_manage_people(user) else []
    context = {
        "steps": steps,
        "onboarding": any(not step.done for step in steps),
        "steps_done": sum(step.done for step in steps),
        **selectors.staff_home(user=user),
    }
    return render(request, "workspace/home.html", context)
