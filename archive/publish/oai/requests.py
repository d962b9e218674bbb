"""OAI-PMH request arguments: which verb, which arguments it may have, and what they mean.

The protocol's rules for a request, before any record is looked at: exactly one known verb;
no repeated, unknown or missing argument; `resumptionToken` alone; `from`/`until` as real
dates at day or seconds granularity, both the same, in order; a known metadataPrefix. A
broken rule is an `OaiError` with the protocol's code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from archive.document import TEI_NS
from archive.publish.oai.dublin_core import OAI_DC_NS, OAI_DC_SCHEMA

TEI_SCHEMA = "https://www.tei-c.org/release/xml/tei/custom/schema/xsd/tei_all.xsd"

METADATA_FORMATS = {
    "oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS),
    "tei": (TEI_SCHEMA, TEI_NS),
}
# Arguments each verb allows besides `verb`: (required, optional, exclusive).
VERBS: dict[str, tuple[frozenset[str], frozenset[str], str | None]] = {
    "Identify": (frozenset(), frozenset(), None),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"}), None),
    "ListSets": (frozenset(), frozenset(), "resumptionToken"),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset(), None),
    "ListIdentifiers": (
        frozenset({"metadataPrefix"}),
        frozenset({"from", "until", "set"}),
        "resumptionToken",
    ),
    "ListRecords": (
        frozenset({"metadataPrefix"}),
        frozenset({"from", "until", "set"}),
        "resumptionToken",
    ),
}
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECONDS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
# Characters XML 1.0 cannot carry: an argument holding one cannot even be echoed.
_NOT_XML_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class OaiError(Exception):
    """An OAI-PMH error condition: `code` is the protocol's, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_arguments(args: Sequence[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    """The verb and its arguments by name, from the (name, value) pairs as they arrived;
    OaiError (badVerb, badArgument) if the request breaks a rule of the protocol."""
    verbs = [value for name, value in args if name == "verb"]
    if len(verbs) == 1 and _NOT_XML_RE.search(verbs[0]):
        raise OaiError("badVerb", "the verb holds control characters")
    if len(verbs) != 1:
        raise OaiError("badVerb", "give exactly one verb" if verbs else "the verb is missing")
    verb = verbs[0]
    if verb not in VERBS:
        raise OaiError("badVerb", f"{verb!r} is not an OAI-PMH verb: use one of {', '.join(VERBS)}")
    required, optional, exclusive = VERBS[verb]
    params: dict[str, str] = {}
    for name, value in args:
        if _NOT_XML_RE.search(name) or _NOT_XML_RE.search(value):
            raise OaiError("badArgument", "arguments may not hold control characters")
        if name == "verb":
            continue
        if name in params:
            raise OaiError("badArgument", f"argument {name!r} is repeated")
        if name not in required | optional and name != exclusive:
            raise OaiError("badArgument", f"{verb} takes no argument {name!r}")
        params[name] = value
    if exclusive in params:
        if len(params) > 1:
            raise OaiError("badArgument", f"{exclusive} must be the only argument besides verb")
        return verb, params
    missing = sorted(required - params.keys())
    if missing:
        raise OaiError("badArgument", f"{verb} needs the argument {missing[0]!r}")
    return verb, params


def metadata_prefix(params: dict[str, str]) -> str:
    """The requested metadataPrefix, or cannotDisseminateFormat."""
    prefix = params["metadataPrefix"]
    if prefix not in METADATA_FORMATS:
        raise OaiError(
            "cannotDisseminateFormat",
            f"metadataPrefix {prefix!r} is not available: use {' or '.join(METADATA_FORMATS)}",
        )
    return prefix


def date_range(from_: str | None, until: str | None) -> tuple[str | None, str | None]:
    """`from` and `until` as inclusive seconds-granularity bounds."""
    granularities = set()
    bounds: list[str | None] = []
    for name, value, day_time in (("from", from_, "T00:00:00Z"), ("until", until, "T23:59:59Z")):
        if value is None:
            bounds.append(None)
            continue
        if _DAY_RE.match(value):
            granularities.add("day")
            value += day_time
        elif _SECONDS_RE.match(value):
            granularities.add("seconds")
        else:
            raise OaiError(
                "badArgument", f"{name} {value!r} is not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ"
            )
        try:
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise OaiError("badArgument", f"{name} {value!r} is not a real date") from None
        bounds.append(value)
    if len(granularities) > 1:
        raise OaiError("badArgument", "from and until must have the same granularity")
    low, high = bounds
    if low and high and low > high:
        raise OaiError("badArgument", "from is later than until")
    return low, high
