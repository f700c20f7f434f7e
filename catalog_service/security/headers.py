"""Headers for static files, which WhiteNoise serves before the security middleware runs.

SecurityMiddleware and XFrameOptionsMiddleware never see a static file's response, so an HTML
page among the static files (Swagger UI's oauth2-redirect.html) could be framed by any site.
WhiteNoise calls this once per file when it builds its table (WHITENOISE_ADD_HEADERS_FUNCTION).
"""

from __future__ import annotations

from wsgiref.headers import Headers

STATIC_FILE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


def add_static_file_headers(headers: Headers, path: str, url: str) -> None:
    """Give every static file the frame protection the rest of the site has."""
    for name, value in STATIC_FILE_HEADERS.items():
        headers[name] = value
