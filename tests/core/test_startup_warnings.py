"""Generating the OpenAPI document and connecting to the broker print no warnings.

Both used to: drf-spectacular named colliding choice sets with made-up hashes ("Object238Enum")
and said so on every schema build, and kombu warned "No hostname was supplied" each time a
worker or beat connected to the ``filesystem://`` broker."""

import logging
import re

from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from config.celery import app


def test_openapi_document_builds_without_warnings_or_errors():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["paths"]
    assert dict(GENERATOR_STATS._warn_cache) == {}
    assert dict(GENERATOR_STATS._error_cache) == {}
    # A name spectacular had to invent ends in a three-character hash before "Enum".
    invented = re.compile(r"[0-9A-F]{3}Enum$")
    assert [name for name in schema["components"]["schemas"] if invented.search(name)] == []


def test_broker_connection_names_its_host(caplog):
    caplog.set_level(logging.WARNING, logger="kombu")
    with app.connection_for_write() as connection:
        info = connection.info()
    assert info["hostname"]
    assert [r.getMessage() for r in caplog.records if r.name.startswith("kombu")] == []
