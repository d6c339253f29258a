"""The notifier's OpenAPI document: every `$ref` resolves, and each app builds it from its own routes alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from herald.notifier.api_keys import PUBLISH_EVENTS, config_entry, new_key
from herald.notifier.app import create_app
from herald.notifier.config import NotifierSettings
from herald.notifier.openapi import install_openapi, schema_ref

pytestmark = pytest.mark.unit


def app_in(directory: Path) -> FastAPI:
    directory.mkdir()
    (directory / "keys.toml").write_text(config_entry("tests", new_key(), [PUBLISH_EVENTS]))
    return create_app(NotifierSettings(api_keys_file=directory / "keys.toml", state_db=directory / "state.sqlite3"))


def refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        own = {node["$ref"]} if "$ref" in node else set()
        return own.union(*map(refs, node.values()))
    if isinstance(node, list):
        return set().union(*map(refs, node))
    return set()


def test_every_ref_names_a_component_and_nothing_carried_is_left(tmp_path: Path) -> None:
    document = app_in(tmp_path / "one").openapi()
    components = {f"#/components/schemas/{name}" for name in document["components"]["schemas"]}
    named = refs(document)
    assert named <= components, named - components
    assert {"#/components/schemas/EventRequest", "#/components/schemas/ProblemDetails",
            "#/components/schemas/BatchAnswer", "#/components/schemas/UserTarget"} <= named
    assert "x-herald" not in json.dumps(document)  # openapi.py's carried schemas are all moved


class Elsewhere(BaseModel):
    """A model only another app's route names."""

    n: int


def test_an_apps_document_holds_the_models_of_its_own_routes_only(tmp_path: Path) -> None:
    # A module-level registry of schemas (as openapi.py once kept) would show this model in every app.
    other = FastAPI()
    install_openapi(other)

    @other.get("/elsewhere", responses={200: {"description": "x", "content": {
        "application/json": {"schema": schema_ref(Elsewhere)}}}})
    async def elsewhere() -> None: ...

    assert "Elsewhere" in other.openapi()["components"]["schemas"]
    assert "Elsewhere" not in app_in(tmp_path / "notifier").openapi()["components"]["schemas"]
