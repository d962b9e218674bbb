"""The web face of the archive: a Flask app factory with one blueprint per area.

Views are thin: they call `archive/` and render. Every page that shows data has a JSON twin
(`.json`, or `Accept: application/json`), and the URL is the state of every page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.config import Config

if TYPE_CHECKING:
    from flask import Flask

# Flask and the search engine are imported by `create_app`, not by the package: `archive
# --help` loads `webui.cli` (the `serve` command) and must not pay for them.

# The largest request body (an OAI-PMH POST is a few hundred bytes): larger answers 413.
MAX_REQUEST_BYTES = 64 * 1024
# Exports streaming at once per process when the server does not say (see webui.export).
EXPORT_SLOTS = 2


def export_slots_for(threads: int) -> int:
    """A quarter of a process's threads for exports, at least one."""
    return max(1, threads // 4)


def create_app(
    config: Config | None = None, *, testing: bool = False, export_slots: int = EXPORT_SLOTS
) -> Flask:
    """Build the app for one corpus and instance folder (default: from the environment);
    `export_slots` exports may stream at once, more are answered 503."""
    from flask import Flask

    from webui.context import ArchiveContext
    from webui.json_provider import OrjsonProvider

    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    app.config.update(TESTING=testing, JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES)
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    config = config or Config.from_env()
    app.extensions["archive"] = ArchiveContext.open(config)

    from webui import converters, errors, security

    converters.register(app)
    errors.register(app)
    security.register(app)

    from webui.hits import hit_facts, hit_items
    from webui.links import endpoint_url, entity_url, web_url

    app.jinja_env.globals.update(endpoint_url=endpoint_url, entity_url=entity_url, web_url=web_url)
    app.jinja_env.globals.update(hit_facts=hit_facts, hit_items=hit_items)

    from webui.browse import bp as browse_bp
    from webui.documents import bp as documents_bp
    from webui.search import bp as search_bp

    app.register_blueprint(search_bp)
    app.register_blueprint(documents_bp)

    from webui.compare import bp as compare_bp

    app.register_blueprint(compare_bp)

    from webui.export import bp as export_bp
    from webui.export import export_links
    from webui.export import register as register_exports

    register_exports(app, export_slots)
    app.register_blueprint(export_bp)
    app.jinja_env.globals.update(export_links=export_links)

    from webui.oai import bp as oai_bp

    app.register_blueprint(oai_bp)

    from webui.feed import bp as feed_bp

    app.register_blueprint(feed_bp)
    app.register_blueprint(browse_bp)

    from webui.about import bp as about_bp

    app.register_blueprint(about_bp)

    from webui.api import bp as api_bp

    app.register_blueprint(api_bp)
    return app
