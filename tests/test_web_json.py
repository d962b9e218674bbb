"""The JSON answers' encoder (webui/json_provider.py, orjson) against the standard library's,
which Flask's own provider uses: the same text for every kind of value an answer can hold,
and for the real search answers of the bundled corpus.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from webui import create_app


@pytest.fixture(scope="module")
def app(indexed_config):
    return create_app(indexed_config, testing=True)


def standard(app, obj) -> str:
    """What Flask's default provider writes for a response: `json.dumps`, compact."""
    return json.dumps(
        obj,
        default=app.json.default,
        ensure_ascii=False,
        sort_keys=False,
        separators=(",", ":"),
    )


@dataclasses.dataclass
class Point:
    name: str
    when: datetime.date


def scalars_with(floats):
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        floats,
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs",))),
        st.dates(),
        st.datetimes(),
        st.builds(Point, st.text(max_size=5), st.dates()),
        st.text(max_size=5).map(Markup),
        st.uuids(),
    )


def values_with(floats):
    return st.recursive(
        scalars_with(floats),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(st.text(max_size=6), st.integers(-5, 5)), inner, max_size=4),
        ),
        max_leaves=20,
    )


# Floats as the standard encoder writes them without an exponent (the archive's are
# scores rounded to four places); orjson spells an exponent without "+" or a leading zero.
plain_floats = st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: "e" not in repr(f))
any_floats = st.floats(allow_nan=False, allow_infinity=False)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=values_with(plain_floats))
def test_the_same_text_as_the_standard_encoder(app, value):
    with app.app_context():
        assert app.json.dumps(value, separators=(",", ":")) == standard(app, value)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=values_with(any_floats))
def test_the_same_values_with_any_float(app, value):
    with app.app_context():
        ours = app.json.dumps(value, separators=(",", ":"))
        assert json.loads(ours) == json.loads(standard(app, value))


def test_types_neither_writes_are_refused_alike(app):
    with app.app_context(), pytest.raises(TypeError):
        app.json.dumps({"x": object()}, separators=(",", ":"))


def test_uuid_and_indented_answers(app):
    value = {"id": uuid.UUID(int=7), "n": [1, 2]}
    with app.app_context():
        assert app.json.dumps(value, separators=(",", ":")) == standard(app, value)
        assert app.json.dumps(value, indent=2) == json.dumps(
            value, default=app.json.default, ensure_ascii=False, indent=2
        )


@pytest.mark.parametrize("path", ["/search.json?q=mine+maps", "/search.json", "/doc/{id}.json"])
def test_real_answers_are_the_standard_text(app, engine, path):
    client = app.test_client()
    if "{id}" in path:
        path = path.format(id=engine.top(__import__("archive.search").search.SearchRequest())[1][0])
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == standard(app, response.get_json()) + "\n"
