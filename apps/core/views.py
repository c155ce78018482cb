"""The public landing page (an agency's home page is ``apps.inbox.home``)."""

from django.shortcuts import render


def landing(request):
    return render(request, "core/landing.html")
