import pytest
from pymongo.errors import AutoReconnect

from catalog.models import Product
from catalog_service.documents.client import get_collection
from catalog_service.documents.monitoring import recorder


@pytest.fixture
def products_collection(transactional_db):
    """The products collection, emptied around the test (rows are flushed by Django)."""
    collection = get_collection(Product)
    collection.delete_many({})
    yield collection
    try:
        collection.delete_many({})
    except AutoReconnect:  # a socket from before a test restarted MongoDB; a new one works
        collection.delete_many({})


@pytest.fixture
def mongo_commands():
    """Record the MongoDB commands sent inside ``with mongo_commands() as commands:``."""
    return recorder.record


def finds(commands):
    return [c for c in commands if c["name"] == "find"]
