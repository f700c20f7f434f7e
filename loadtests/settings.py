"""Settings for benchmark runs: the service's own settings plus the benchmark-only baselines.

The runner starts gunicorn with ``DJANGO_SETTINGS_MODULE=loadtests.settings``; production code
never imports this module or the baselines app.
"""

from catalog_service.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "loadtests.baselines"]  # noqa: F405
ROOT_URLCONF = "loadtests.urls"
ASGI_URLCONF = "loadtests.urls_asgi"
# The baselines are measured like the API: without the browser middleware, no thread hops.
API_PATH_PREFIXES = (*API_PATH_PREFIXES, "/bench/")  # noqa: F405
