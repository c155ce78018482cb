"""The public landing page and an agency's home page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def landing(request):
    return render(request, "core/landing.html")


@login_required
def home(request):
    return render(request, "core/home.html")
