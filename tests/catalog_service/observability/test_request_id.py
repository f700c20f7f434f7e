"""Request ids: taken when sane, else made; echoed in the response; on every log line."""

import asyncio
import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from catalog_service.observability.request_id import RequestIdMiddleware, get_request_id

log = logging.getLogger("tests.request_id")


def test_a_request_without_an_id_gets_a_new_one(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(
    "sent", ["3f2a9c1e-7d4b-4e0a-9b61-2c8d5e7f1a30", "Root=1-67891233-abcdef012345678912345678"]
)
def test_a_sane_id_from_the_caller_is_kept(client, sent):
    assert client.get("/healthz", headers={"X-Request-ID": sent})["X-Request-ID"] == sent


@pytest.mark.parametrize("sent", ["", "has space", 'quote"d', "x" * 129, "new\\nline", "é"])
def test_an_insane_id_is_replaced(client, sent):
    answered = client.get("/healthz", headers={"X-Request-ID": sent})["X-Request-ID"]
    assert answered != sent
    assert len(answered) == 32


@pytest.mark.django_db
def test_log_lines_of_a_request_carry_its_id(client, json_log_lines):
    response = client.post(
        "/admin/login/", {"username": "nobody", "password": "wrong"}, headers={"X-Request-ID": "req-abc-123"}
    )
    assert response["X-Request-ID"] == "req-abc-123"
    axes_lines = json_log_lines("axes.handlers.database")
    assert axes_lines  # django-axes logs the failed login
    assert {line["request_id"] for line in axes_lines} == {"req-abc-123"}
    assert get_request_id() is None  # not leaked past the request


def test_the_id_follows_each_async_request_through_its_awaits(json_log_lines):
    async def view(request):
        await asyncio.sleep(0)  # let the other request run in between
        log.warning("serving %s", request.path)
        await asyncio.sleep(0)
        return HttpResponse(get_request_id())

    middleware = RequestIdMiddleware(view)
    factory = RequestFactory()

    async def serve_both():
        return await asyncio.gather(
            middleware(factory.get("/a", headers={"X-Request-ID": "id-a"})),
            middleware(factory.get("/b", headers={"X-Request-ID": "id-b"})),
        )

    responses = asyncio.run(serve_both())
    assert [r.content.decode() for r in responses] == ["id-a", "id-b"]
    assert [r["X-Request-ID"] for r in responses] == ["id-a", "id-b"]
    lines = {line["message"]: line["request_id"] for line in json_log_lines("tests.request_id")}
    assert lines == {"serving /a": "id-a", "serving /b": "id-b"}
