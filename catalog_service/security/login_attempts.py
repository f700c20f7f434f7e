"""django-axes' database handler, with one change: a successful login forgives only the account
that proved its password.

Axes counts failures per address and per username here (``AXES_LOCKOUT_PARAMETERS``). Its
stock reset on success deletes every attempt that matches any of those parameters, so a good
login to one account cleared the guesses made from the same address at every other account:
one valid editor login allowed unlimited guesses at a superuser's password.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.http import HttpRequest


class LoginAttemptsHandler(AxesDatabaseHandler):
    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """Delete the failed attempts of the account that just logged in, from any address."""
        username = get_client_username(request, credentials)
        deleted, _ = AccessAttempt.objects.filter(username=username).delete()
        return deleted
