"""Result lines written in Python (webui/hits.py) against the Jinja macro they replaced,
kept here as the reference: byte for byte, over generated hits (odd characters, every
optional part) and over every hit the bundled corpus gives for a few searches.

The generated hits are invented text, not documents.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.search import Hit, SearchRequest
from webui import create_app
from webui.hits import hit_facts, hit_items
from webui.urls import Urls

# The macro as templates/_hits.html held it, and the search page's loop around it.
MACRO = """{% macro hit_facts(hit) -%}
    <p class="hit-meta"><span class="hit-type">{{ hit.doc_type|replace('-', ' ')|capitalize }}</span>
      · <span class="hit-date">{{ hit.issued|replace(' (uncertain)', '') }}</span>{% if hit.issued_uncertain %} <span class="uncertain">uncertain date</span>{% endif %}
      {%- if hit.catalogue_record %} · <span class="catalogue-mark" title="The archive describes this document but holds no text of it">catalogue record, no text</span>{% endif %}
      {%- if hit.version > 1 %} · version {{ hit.version }}{% endif %}</p>
    {% if hit.signatories %}
      <p class="hit-by">Signed by {{ hit.signatories[:4]|join(', ') }}{% if hit.signatories|length > 4 %} and {{ hit.signatories|length - 4 }} {{ 'other' if hit.signatories|length == 5 else 'others' }}{% endif %}</p>
    {% elif hit.issuers %}
      <p class="hit-by">Issued by {% for kind, id, name in hit.issuers %}{{ name }}{% if not loop.last %}, {% endif %}{% endfor %}</p>
    {% endif %}
    {% if hit.treaties %}
      <p class="hit-treaties">Cites {% for id, name in hit.treaties[:4] %}{{ name }}{% if not loop.last %}; {% endif %}{% endfor %}{% if hit.treaties|length > 4 %} and {{ hit.treaties|length - 4 }} more{% endif %}</p>
    {% endif %}
{%- endmacro %}"""
LOOP = """{% for hit in hits %}
          <li>
            <a class="hit-title" href="{{ urls.hit(url_for('documents.latest', doc_id=hit.id), first + loop.index0) }}">{{ hit.title }}</a>
            {{ hit_facts(hit) }}
            {% if hit.snippet %}<p class="snippet">{{ hit.snippet|safe }}</p>{% endif %}
          </li>
        {% endfor %}"""


@pytest.fixture(scope="module")
def app(indexed_config):
    # A template's own html file name turns autoescaping on, as for the real templates.
    application = create_app(indexed_config, testing=True)
    application.jinja_env.autoescape = True
    return application


def reference(app, template: str, **values) -> str:
    return app.jinja_env.from_string(MACRO + template).render(**values)


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
names = st.lists(text, max_size=7)
hits = st.builds(
    Hit,
    id=st.one_of(st.from_regex(r"[a-z0-9][a-z0-9-]{2,20}", fullmatch=True), text.filter(bool)),
    title=text,
    doc_type=st.one_of(st.sampled_from(["appeal", "open-letter", "joint-statement"]), text),
    issued=st.one_of(text, text.map(lambda t: t + " (uncertain)")),
    snippet=st.one_of(st.just(""), text.map(lambda t: f"…<mark>{t}</mark> and more")),
    score=st.none(),
    version=st.integers(1, 4),
    catalogue_record=st.booleans(),
    issued_uncertain=st.booleans(),
    signatories=names,
    issuers=st.lists(st.tuples(st.sampled_from(["org", "person"]), text, text), max_size=4),
    treaties=st.lists(st.tuples(text, text), max_size=7),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(hit=hits)
def test_facts_are_the_macros(app, hit):
    with app.test_request_context("/"):
        assert str(hit_facts(hit)) == reference(app, "{{ hit_facts(hit) }}", hit=hit)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(page=st.lists(hits, max_size=5), first=st.integers(1, 10_000), query=text)
def test_result_lines_are_the_loops(app, page, first, query):
    with app.test_request_context("/"):
        urls = Urls(SearchRequest(q=query.strip()))
        expected = reference(app, LOOP, hits=page, urls=urls, first=first)
        assert str(hit_items(page, urls, first)) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"q": "mine maps"},
        {},
        {"q": "", "page": 2, "page_size": 3},
        {"q": "convention", "sort": "date"},
    ],
)
def test_real_hits_are_the_macros(app, engine, params):
    search = SearchRequest(**params)
    result = engine.search(search)
    assert result.hits
    with app.test_request_context("/"):
        urls = Urls(search)
        first = (result.page - 1) * result.page_size + 1
        expected = reference(app, LOOP, hits=result.hits, urls=urls, first=first)
        assert str(hit_items(result.hits, urls, first)) == expected
