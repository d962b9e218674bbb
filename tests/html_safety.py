"""What a page of the archive may contain, whatever a document or a request put into it:
checked by parsing the HTML as a browser would tokenise it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# An event handler, a style or a name no template writes means that input broke out of an
# attribute value (the hostile inputs use names with "injected" in them).
_ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9-]*(:[a-z]+)?$")
FORBIDDEN_ATTRIBUTES = {"style", "srcdoc", "formaction"}
SAFE_URL_PREFIXES = ("/", "#", "?", "http://", "https://")
URL_ATTRIBUTES = {"href", "src", "action", "cite", "formaction"}


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if (
                name.startswith("on")
                or name in FORBIDDEN_ATTRIBUTES
                or "injected" in name
                or not _ATTRIBUTE_NAME.match(name)
            ):
                self.problems.append(f"<{tag}> has attribute {name}={value!r}")
            if name in URL_ATTRIBUTES and value is not None:
                url = value.strip()
                if not url.lower().startswith(SAFE_URL_PREFIXES):
                    self.problems.append(f"<{tag} {name}={value!r}>: not a web or page URL")
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_script = True
        if tag in ("iframe", "object", "embed", "base", "style", "img", "svg:script"):
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and dict(attrs).get("http-equiv"):
            self.problems.append(f"<meta http-equiv={dict(attrs)['http-equiv']!r}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data[:80]!r}")


def html_problems(html: str) -> list[str]:
    """Everything in `html` that only injected markup could have put there: unknown
    attributes (event handlers), URLs that are not http(s) or the site's own, inline or
    foreign scripts, frames. An empty list for a safe page."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    for script in checker.scripts:
        if script.get("src") != "/static/app.js":
            checker.problems.append(f"<script> that is not the app's own: {script}")
    return checker.problems
