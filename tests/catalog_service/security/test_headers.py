"""Static files carry the frame protection the rest of the site has (WhiteNoise serves them
before SecurityMiddleware and XFrameOptionsMiddleware run)."""

from django.http import HttpResponse
from django.test import RequestFactory

from catalog_service.static_files import StaticFilesMiddleware

REDIRECT_PAGE = "/static/drf_spectacular_sidecar/swagger-ui-dist/oauth2-redirect.html"


def test_a_static_html_page_cannot_be_framed(settings):
    settings.WHITENOISE_USE_FINDERS = True  # the app's files, without a collectstatic run
    middleware = StaticFilesMiddleware(lambda request: HttpResponse("not static"))
    response = middleware(RequestFactory().get(REDIRECT_PAGE))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
