"""The per-process MongoClient: fails fast when MongoDB is away, and is never shared across fork."""

import os
import time

import pytest
from pymongo.errors import PyMongoError

from catalog.models import Product
from catalog_service.documents.client import get_client, get_collection
from tests.factories import make_products


@pytest.mark.stack
def test_a_read_fails_fast_when_mongodb_is_down(products_collection, stack_component):
    make_products(3)
    stack_component("mongo")
    start = time.monotonic()
    with pytest.raises(PyMongoError):
        [p.name for p in Product.objects.all()]
    assert time.monotonic() - start < 4  # server selection bounded at 2 s, not pymongo's 30 s


def test_a_forked_child_builds_its_own_client(products_collection):
    parent = get_client()
    product = make_products(1)[0]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: must not reuse the parent's sockets and monitor threads
        try:
            # (No SQL here: the child shares the parent's Postgres socket.)
            ok = (
                get_client() is not parent
                and get_collection(Product).find_one(product.pk)["name"] == "Product 0"
            )
        except BaseException:
            ok = False
        finally:
            os.write(write, b"1" if ok else b"0")
            os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"1"
    os.waitpid(pid, 0)
    assert get_client() is parent
