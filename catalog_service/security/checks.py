"""Django's deploy checks, run as if MIDDLEWARE named Django's own classes.

Several of Django's security checks look for their middleware's exact dotted path in
``MIDDLEWARE`` and say nothing when it is absent: HSTS and the SSL redirect need
``SecurityMiddleware``, secure session and CSRF cookies need those middleware. The service
lists subclasses that run without thread hops under ASGI (``catalog_service.django_middleware``),
so those checks would fall silent, and W001-W003 ("not in your MIDDLEWARE") would fire. This
check runs Django's security checks again with each subclass replaced by the Django class it
extends, and reports what that run finds and the plain run did not; the settings silence
W001-W003, which this run then covers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.checks.registry import registry
from django.test.utils import override_settings
from django.utils.module_loading import import_string

DJANGO_CHECKS = "django.core.checks.security"


def django_path(dotted_path: str) -> str:
    """The Django middleware that a class of ``catalog_service.django_middleware`` extends;
    any other path as it is."""
    cls = import_string(dotted_path)
    if cls.__module__ != "catalog_service.django_middleware":
        return dotted_path
    base = next(b for b in cls.__mro__[1:] if b.__module__.startswith("django."))
    return f"{base.__module__}.{base.__qualname__}"


def _django_security_checks() -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    for check in registry.get_checks(include_deployment_checks=True):
        if check.__module__.startswith(DJANGO_CHECKS):
            found += check(app_configs=None)
    return found


@checks.register(checks.Tags.security, deploy=True)
def check_as_django_middleware(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    translated = [django_path(path) for path in settings.MIDDLEWARE]
    if translated == list(settings.MIDDLEWARE):
        return []  # Django's own classes: its checks see them
    plain = {message.id for message in _django_security_checks()}
    with override_settings(MIDDLEWARE=translated):
        found = _django_security_checks()
    # What only the translated run finds, and W001-W003, which the settings silence for the plain
    # run (where they are wrong) but which are true when the translated run finds them too: those
    # under ids of ours, as Django drops a silenced id whoever reports it.
    silenced = set(settings.SILENCED_SYSTEM_CHECKS)
    return [
        _renamed(message) if message.id in silenced else message
        for message in found
        if message.id not in plain or message.id in silenced
    ]


def _renamed(message: checks.CheckMessage) -> checks.CheckMessage:
    return type(message)(message.msg, hint=message.hint, obj=message.obj, id=f"catalog_service.{message.id}")
