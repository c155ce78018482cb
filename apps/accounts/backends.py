"""Sign-in backends: lock-outs (django-axes) for every sign-in that comes with a request."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Refuses sign-ins to a locked-out account. Sign-ins without a request (a management
    command, Django's test client) are not counted and are left to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
