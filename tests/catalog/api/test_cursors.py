"""Cursors are signed: a minted or altered one is a 400 naming ``cursor`` before any cache or
database work, and one signed under a key being rotated out still works."""

import pytest
from django.core import signing

from catalog import cursors
from catalog_service.caching import counters
from tests.catalog.api.conftest import listing
from tests.conftest import queries_by_alias

pytestmark = pytest.mark.django_db(transaction=True)

OLD_KEY = "an-old-secret-key-" + "o" * 40
NEW_KEY = "a-new-secret-key-" + "n" * 40


def refused_before_any_io(client, mongo_commands, **params):
    seen = counters.local_counts()
    with queries_by_alias() as queries, mongo_commands() as commands:
        response = listing(client, **params)
    assert response.status_code == 400, response.content
    assert "cursor" in response.json() and response.json()["cursor"][0]
    assert queries == {} and commands == [] and counters.local_counts() == seen


def test_minted_and_altered_cursors_are_refused_before_any_io(client, shop, mongo_commands):
    issued = listing(client, page_size=5).json()["next"].split("cursor=")[1]
    assert listing(client, page_size=5, cursor=issued).status_code == 200
    boundary = cursors.Cursor("newest", "2030-01-01T00:00:00+00:00", 5)
    payload, signature = issued.rsplit(".", 1)
    minted = [
        cursors.canonical(boundary),  # the old, unsigned format
        signing.Signer(key="a guess", salt="catalog.cursors", sep=".").sign(cursors.canonical(boundary)),
        f"{cursors.canonical(boundary)}.{signature}",  # another cursor's signature
        f"{payload[:-1]}{'A' if payload[-1] != 'A' else 'B'}.{signature}",  # altered
        f"{payload}.{signature[:-1]}",
    ]
    for token in minted:
        refused_before_any_io(client, mongo_commands, page_size=5, cursor=token)


def test_a_cursor_signed_under_a_key_being_rotated_out_still_works(client, shop, settings, mongo_commands):
    settings.SECRET_KEY = OLD_KEY
    next_url = listing(client, page_size=5).json()["next"]
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    page = client.get(next_url)
    assert page.status_code == 200 and len(page.json()["results"]) == 5
    assert cursors.decode(page.json()["next"].split("cursor=")[1], ordering="newest")  # the new key
    settings.SECRET_KEY_FALLBACKS = []  # rotated out
    refused_before_any_io(client, mongo_commands, cursor=next_url.split("cursor=")[1], page_size=5)
