"""Bad input gets a 400 naming the parameter; nothing reaches MongoDB as an operator."""

import pytest

from catalog import cursors
from tests.catalog.api.conftest import listing

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "W10"}, "cursor"),  # valid base64 of []
        ({"cursor": cursors.encode(cursors.Cursor("price", "1.00", 5)), "ordering": "newest"}, "cursor"),
        ({"cursor": "x" * 1000}, "cursor"),
        ({"cursor": cursors.encode(cursors.Cursor("price", "1E+7000", 1)), "ordering": "price"}, "cursor"),
        ({"cursor": cursors.encode(cursors.Cursor("newest", "0001-01-01T00:00:00+05:00", 1))}, "cursor"),
        (
            {
                "cursor": cursors.encode(cursors.Cursor("newest", "9999-12-31T23:59:59-05:00", 1)),
                "min_price": "1",
            },
            "cursor",
        ),
        ({"min_price": "cheap"}, "min_price"),
        ({"max_price": "NaN"}, "max_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"min_price": "1.001"}, "min_price"),
        ({"min_price": "1e999"}, "min_price"),
        ({"min_price": "20", "max_price": "10"}, "min_price"),
        ({"ordering": "popularity"}, "ordering"),
        ({"ordering": "price; DROP TABLE"}, "ordering"),
        ({"fields": "id,secret"}, "fields"),
        ({"fields": ","}, "fields"),
        ({"attr": "color"}, "attr"),
        ({"attr": "color:"}, "attr"),
        ({"attr": "$where:1"}, "attr"),
        ({"attr": "a.b:1"}, "attr"),
        ({"attr": ["c:1"] * 11}, "attr"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"page_size": ["10", "20"]}, "page_size"),
        ({"include_descendants": "perhaps"}, "include_descendants"),
        ({"attr[$ne]": "x"}, "attr[$ne]"),
        ({"price": "1"}, "price"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(client, params, parameter, mongo_commands):
    with mongo_commands() as commands:
        response = listing(client, **params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert parameter in body and isinstance(body[parameter], list) and body[parameter][0]
    assert commands == []  # refused before any query


@pytest.mark.parametrize(
    "value",
    ['price:{"$ne":null}', "color:.*", "color:^r", "color:{$gt: ''}", "color:red|blue", "color:$ne"],
)
def test_operator_lookalikes_are_literal_values(client, shop, mongo_commands, value):
    with mongo_commands() as commands:
        response = listing(client, attr=value)
    assert response.status_code == 200
    assert response.json()["results"] == []  # no product has such a literal value
    (find,) = commands
    key, literal = value.split(":", 1)
    conditions = find["command"]["filter"]["$and"]
    assert conditions[-1] == {f"attributes.{key}": {"$in": [literal]}}
    assert_only_our_operators(find["command"]["filter"])


def assert_only_our_operators(node):
    ours = {"$and", "$or", "$in", "$gte", "$lte", "$gt", "$lt"}
    if isinstance(node, dict):
        for key, value in node.items():
            assert not key.startswith("$") or key in ours, key
            assert_only_our_operators(value)
    elif isinstance(node, list):
        for value in node:
            assert_only_our_operators(value)


def test_no_input_yields_a_500(client, shop):
    nasty = ["", " ", "\x00", "%", "💥", "'", '"', "\\", "{}", "[]", "a" * 5000, "-0", "0x10", "1_000"]
    for name in (
        "cursor",
        "page_size",
        "ordering",
        "min_price",
        "max_price",
        "attr",
        "fields",
        "include_descendants",
    ):
        for value in nasty:
            response = listing(client, **{name: value})
            assert response.status_code in (200, 400), (name, value, response.status_code)
    for path in ("/api/v1/products/0/", "/api/v1/products/-1/", "/api/v1/categories/%00/products/"):
        assert client.get(path).status_code == 404
