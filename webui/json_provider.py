"""JSON answers written by orjson: the standard library's encoder's text, in a sixth of the
time.

A search page's JSON twin is ~40 KB; `json.dumps` took ~0.57 ms of it at 100,000 documents
(a sixth of the web layer's own time for that page), orjson ~0.10 ms (docs/performance.md,
target 2). What Flask's provider does is kept: keys in the order given, UTF-8 rather than
\\u escapes, dates as HTTP dates, dataclasses as dicts (both through Flask's `default`).
Anything orjson cannot write (an indented answer in debug mode, integers past 64 bits, a
type neither knows) goes to the standard encoder. Two differences are left, in floats
no answer of the archive holds (its floats are scores rounded to four places): one written
with an exponent is spelt `1e16` rather than `1e+16` (the same number), and NaN would be
`null` (valid JSON) rather than `NaN`.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

# Dates and dataclasses to Flask's `default`, as the standard encoder hands them; int keys
# written as strings, as it writes them.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_OPTIONS |= orjson.OPT_NON_STR_KEYS
_COMPACT = {"separators": (",", ":")}


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider with orjson for compact answers."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs == _COMPACT and not self.sort_keys and not self.ensure_ascii:
            try:
                text = orjson.dumps(obj, default=self.default, option=_OPTIONS)
            except (orjson.JSONEncodeError, TypeError):
                pass
            else:
                return text.decode()
        return super().dumps(obj, **kwargs)
