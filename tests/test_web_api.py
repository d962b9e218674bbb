"""The read API as documented: every JSON answer of the real app validates against its JSON
Schema as served under /schemas/, the OpenAPI 3.1 document at /openapi.json is valid, and it
lists every route the app has (and nothing it does not have).

The schemas are fetched from the app itself (a `referencing` registry that retrieves through
the test client), so their relative references are resolved as a client resolves them.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urljoin

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource

from tests.conftest import SEED_ID
from tests.page_types import WITHDRAWN_ID, corpus_with_every_page_type
from webui import create_app
from webui.api import OPENAPI, SCHEMA_DIR

BASE = "http://localhost/"
JSON_TYPES = ("application/json", "application/vnd.citationstyles.csl+json")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    config = corpus_with_every_page_type(tmp_path_factory.mktemp("api"))
    return create_app(config, testing=True)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def spec(client) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


@pytest.fixture(scope="module")
def schema_for(client):
    """name -> a validator of the schema /schemas/<name>.json, references resolved over HTTP."""

    def retrieve(uri: str) -> Resource:
        response = client.get(uri.removeprefix(BASE[:-1]))
        assert response.status_code == 200, uri
        assert response.mimetype == "application/schema+json"
        return Resource.from_contents(response.get_json())

    registry = Registry(retrieve=retrieve)

    def validator(name_or_url: str) -> Draft202012Validator:
        url = name_or_url if "/" in name_or_url else f"{BASE}schemas/{name_or_url}.json"
        return Draft202012Validator(
            {"$ref": url}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )

    return validator


def check(validator: Draft202012Validator, data: Any, where: str) -> None:
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, f"{where}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:5]
    )


def test_every_schema_is_a_valid_draft_2020_12_schema():
    names = sorted(p.stem for p in SCHEMA_DIR.glob("*.json"))
    assert names == [
        "citation",
        "compare",
        "csl-items",
        "document",
        "document-page",
        "error",
        "record-page",
        "register",
        "search-result",
    ]
    for name in names:
        schema = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)


def test_searches_validate(client, schema_for):
    validator = schema_for("search-result")
    for query in [
        "",
        "?q=mines&type=appeal&not_treaty=gc-1949&from=2020&to=2022",
        '?q=treaty:"Ottawa Treaty" OR mines',
        "?q=mnies",  # a suggestion
        "?q=xyzzyq",  # nothing
        "?sort=-date&size=1&page=2",  # no scores, paged
        "?year=2021&not_lang=de",
    ]:
        response = client.get("/search.json" + query)
        assert response.status_code == 200
        check(validator, response.get_json(), "/search.json" + query)
        # The page itself answers the same data to a program that asks for JSON.
        accepted = client.get("/" + query, headers={"Accept": "application/json"})
        assert accepted.get_json()["hits"] == response.get_json()["hits"]
        check(validator, accepted.get_json(), "/" + query)


def test_every_document_version_and_its_citation_validate(client, schema_for):
    page, model, csl = (schema_for(n) for n in ("document-page", "document", "csl-items"))
    pages = 0
    for hit in client.get("/search.json?size=100").get_json()["hits"]:
        latest = client.get(f"/doc/{hit['id']}.json").get_json()
        for v in latest["versions"]:
            url = f"/doc/{hit['id']}/v{v['n']}"
            data = client.get(url + ".json").get_json()
            check(page, data, url + ".json")
            check(model, data["document"], url + ".json document")
            check(csl, client.get(url + ".csl.json").get_json(), url + ".csl.json")
            pages += 1
    withdrawn_version = client.get(f"/doc/{WITHDRAWN_ID}/v1.json").get_json()
    check(page, withdrawn_version, f"/doc/{WITHDRAWN_ID}/v1.json")
    assert withdrawn_version["withdrawn"]["reason"] == "Duplicate record"
    assert pages >= 5


def test_every_register_and_record_validates(client, schema_for):
    register, record = schema_for("register"), schema_for("record-page")
    records = 0
    for plural, single in [
        ("treaties", "treaty"),
        ("people", "person"),
        ("organisations", "org"),
        ("places", "place"),
    ]:
        data = client.get(f"/{plural}.json").get_json()
        check(register, data, f"/{plural}.json")
        for row in data["records"]:
            url = f"/{single}/{row['id']}.json"
            check(record, client.get(url).get_json(), url)
            records += 1
    assert records > 60


def test_error_answers_validate(client, schema_for):
    validator = schema_for("error")
    for url, status in [
        ('/search.json?q=treaty:"Fourth Genva Convention"', 400),
        ("/search.json?page=0", 400),
        ("/search.json?type=apeal", 400),
        ("/search.json?from=2021-13", 400),
        (f"/doc/{SEED_ID}/compare.json?a=x", 400),
        (f"/doc/{SEED_ID}/compare.json?a=9", 404),
        ("/doc/no-such-document.json", 404),
        (f"/doc/{SEED_ID}/v99.json", 404),
        ("/treaty/no-such-treaty.json", 404),
        (f"/doc/{WITHDRAWN_ID}.json", 410),
        ("/schemas/no-such-schema.json", 404),
        ("/export?format=pdf", 400),
        ("/export?format=jsonl&versions=all", 400),
    ]:
        response = client.get(url, headers={"Accept": "application/json"})
        assert response.status_code == status, url
        check(validator, response.get_json(), url)
    gone = client.get(f"/doc/{WITHDRAWN_ID}.json").get_json()["error"]
    assert gone["doc_id"] == WITHDRAWN_ID and gone["versions"] == [1]
    bad = client.get('/search.json?q=treaty:"Fourth Genva Convention"').get_json()["error"]
    assert "Fourth Geneva Convention" in bad["suggestions"]
    assert bad["suggested_searches"][0]["label"] == 'treaty:"Fourth Geneva Convention"'


def test_version_comparisons_validate(client, schema_for):
    validator = schema_for("compare")
    for url in [
        f"/doc/{SEED_ID}/compare.json",
        f"/doc/{SEED_ID}/compare.json?a=2&b=1",
        f"/doc/{SEED_ID}/compare.json?a=1&b=1",
        "/doc/petition-minefield-maps-2021/compare.json",
        f"/doc/{WITHDRAWN_ID}/compare.json",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        check(validator, response.get_json(), url)
    assert client.get(f"/doc/{SEED_ID}/compare.json").get_json()["text_changed"] is True


def test_each_line_of_a_json_lines_export_is_a_document(client, schema_for):
    validator = schema_for("document")
    lines = client.get("/export?format=jsonl").get_data(as_text=True).splitlines()
    assert len(lines) >= 4
    for line in lines:
        check(validator, json.loads(line), "export jsonl")


def test_the_schemas_refuse_a_shape_they_do_not_describe(client, schema_for):
    """Drift is caught: a field the schema does not know, or one missing, fails."""
    data = client.get(f"/doc/{SEED_ID}.json").get_json()
    with pytest.raises(ValidationError):
        schema_for("document-page").validate({**data, "unknown_field": "2026-11-27T10:00:00Z"})
    document = dict(data["document"])
    del document["issued"]
    with pytest.raises(ValidationError):
        schema_for("document").validate(document)


def test_openapi_document_is_valid_openapi_3_1(spec):
    assert spec["openapi"] == "3.1.0"
    # The schemas' files sit where /openapi.json's relative references point.
    validate_openapi(spec, base_uri=OPENAPI.as_uri())


def example_url(path: str, operation: dict[str, Any]) -> str:
    """The documented path with its parameters' documented examples filled in."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path":
            path = path.replace("{" + parameter["name"] + "}", str(parameter["example"]))
    return path


def operations(spec: dict[str, Any]):  # type: ignore[no-untyped-def]
    for path, item in spec["paths"].items():
        get = item.get("get")
        if get is not None:
            get = {
                **get,
                "parameters": [resolve_parameter(spec, p) for p in get.get("parameters", [])],
            }
            yield path, get


def resolve_parameter(spec: dict[str, Any], parameter: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in parameter:
        return spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
    return parameter


def response_schema_url(spec: dict[str, Any], media: dict[str, Any]) -> str | None:
    ref = media.get("schema", {}).get("$ref")
    if ref is None:
        return None
    target = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]["$ref"]
    return urljoin(BASE + "openapi.json", target)


def test_every_documented_json_answer_validates_against_its_schema(client, spec, schema_for):
    checked = []
    for path, operation in operations(spec):
        url = example_url(path, operation)
        if path == "/export":
            url += "?format=jsonl"
        content = operation["responses"]["200"]["content"]
        json_media = [m for m in content if m in JSON_TYPES]
        for media in json_media:
            response = client.get(url, headers={"Accept": media})
            assert response.status_code == 200, url
            assert response.mimetype == media, (url, response.mimetype)
            schema_url = response_schema_url(spec, content[media])
            if path not in ("/openapi.json", "/schemas/{name}.json"):
                assert schema_url, f"{path}: {media} without a schema"
                check(schema_for(schema_url), response.get_json(), url)
                checked.append(url)
        if not json_media:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.mimetype in content, (url, response.mimetype)
    assert len(checked) >= 20


def rule_template(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


RECORD_EXAMPLES = {
    "treaty": "gc-1949",
    "person": "umud-mirzayev",
    "org": "iepf",
    "place": "azerbaijan",
}
FORMATS = ["json", "csl.json", "xml", "bib", "ris", "html", "atom", "txt"]


def test_openapi_lists_every_route_of_the_app_and_nothing_else(app, client, spec):
    """Each rule of app.url_map (static files aside) is a documented path; a rule ending in
    `.<fmt>` is documented for every format it really answers 200 to, found by asking."""
    adapter = app.url_map.bind("localhost")
    documented = set(spec["paths"])
    expected: set[str] = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        template = rule_template(rule.rule)
        if "{fmt}" not in template:
            expected.add(template)
            continue
        values: dict[str, Any] = {"doc_id": SEED_ID, "version": 1}
        kind = rule.rule.split("/")[1]
        if kind in RECORD_EXAMPLES:
            values["record_id"] = RECORD_EXAMPLES[kind]
        for fmt in FORMATS:
            url = adapter.build(rule.endpoint, {**values, "fmt": fmt})
            if client.get(url).status_code == 200:
                expected.add(template.replace("{fmt}", fmt))
    assert sorted(expected - documented) == [], "routes the OpenAPI document does not list"
    assert sorted(documented - expected) == [], "documented paths the app does not have"
    for path, item in spec["paths"].items():
        methods = {m.upper() for m in item} | {"HEAD", "OPTIONS"}
        url = example_url(
            path,
            next(iter(item.values()))
            | {
                "parameters": [
                    resolve_parameter(spec, p)
                    for p in next(iter(item.values())).get("parameters", [])
                ]
            },
        )
        rule, _ = adapter.match(url, method="GET", return_rule=True)
        assert methods == set(rule.methods), path


def test_schemas_are_served_and_listed(client, spec):
    served = spec["paths"]["/schemas/{name}.json"]["get"]["parameters"][0]["schema"]["enum"]
    assert sorted(served) == sorted(p.stem for p in SCHEMA_DIR.glob("*.json"))
    for name in served:
        response = client.get(f"/schemas/{name}.json")
        assert response.status_code == 200
        assert response.get_json() == json.loads(
            (SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8")
        )
    assert set(spec["components"]["schemas"]) >= {"SearchResult", "DocumentPage", "Error"}
