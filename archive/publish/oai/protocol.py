"""OAI-PMH 2.0: the protocol as plain functions over a repository of records (no web here).

`OaiProvider.respond(args)` takes the request's arguments as (name, value) pairs, exactly as
they arrived (GET query or POST form), and returns the XML response. All six verbs; metadata
formats `oai_dc` (mapped from the model) and `tei` (the stored TEI of the current version);
sets by document type and by treaty with the treaty hierarchy (see `archive.publish.catalogue`);
`from`/`until` at day or seconds granularity; stateless signed resumption tokens
(`archive.publish.oai.tokens`); withdrawn documents as deleted records, kept for ever.

Errors are answered as the protocol says, in the response body with HTTP 200: badVerb,
badArgument, badResumptionToken, cannotDisseminateFormat, idDoesNotExist, noRecordsMatch.
Two codes of the protocol never arise here: noMetadataFormats (every item, deleted ones
included, is available in both formats) and noSetHierarchy (the repository has sets).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from lxml import etree

from archive.config import ARCHIVE_NAME, Config
from archive.document import DOC_ID_RE, Document, Registers, parse_tei
from archive.errors import Gone, NotFound
from archive.publish.catalogue import SET_SPEC_RE, CatalogueRecord, treaty_set_spec
from archive.publish.oai import tokens as oai_tokens
from archive.publish.oai.dublin_core import XSI_NS, oai_dc
from archive.publish.oai.requests import (
    METADATA_FORMATS,
    OaiError,
    check_arguments,
    date_range,
    metadata_prefix,
)
from archive.storage import Corpus

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_IDENTIFIER_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"


class OaiRepository(Protocol):
    """What the protocol needs to list records; `archive.publish.catalogue.Catalogue` is one.

    Datestamps are `YYYY-MM-DDThh:mm:ssZ` strings (they sort as they compare); lists are
    ordered by (datestamp, id) and `after` is an exclusive (datestamp, id) position.
    """

    def earliest_datestamp(self) -> str | None: ...

    def list(
        self,
        from_: str | None = None,
        until: str | None = None,
        set_spec: str | None = None,
        after: tuple[str, str] | None = None,
        limit: int = 100,
    ) -> list[CatalogueRecord]: ...

    def count(
        self, from_: str | None = None, until: str | None = None, set_spec: str | None = None
    ) -> int: ...

    def get(self, doc_id: str) -> CatalogueRecord | None: ...

    def doc_types(self) -> list[str]: ...


@dataclass(frozen=True)
class OaiSettings:
    """How the repository presents itself."""

    base_url: str  # the address of the OAI endpoint as harvesters reach it
    admin_email: str
    repository_name: str = ARCHIVE_NAME
    page_size: int = 100
    token_lifetime: timedelta = timedelta(hours=24)


def repository_identifier(config: Config) -> str:
    """The namespace of OAI identifiers: the canonical host, so identifiers are the same
    whichever address serves them ('appeals-archive.org')."""
    return urlsplit(config.canonical_base).hostname or "appeals-archive.org"


class OaiProvider:
    """Answers OAI-PMH requests for one corpus.

    `document` turns stored bytes into the model (e.g. `ModelCache.document`), so that
    oai_dc pages do not read TEI into the model again and again.
    """

    def __init__(
        self,
        repository: OaiRepository,
        corpus: Corpus,
        registers: Registers,
        settings: OaiSettings,
        key: bytes,
        document: Callable[[bytes], Document],
    ) -> None:
        self.repository = repository
        self.corpus = corpus
        self.config = corpus.config
        self.registers = registers
        self.settings = settings
        self.key = key
        self.document = document
        self.prefix = f"oai:{repository_identifier(self.config)}:"

    # -- the entry point --------------------------------------------------------------

    def respond(self, args: Sequence[tuple[str, str]], now: datetime | None = None) -> bytes:
        """The XML response (UTF-8 bytes) to a request with these arguments."""
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
        root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
        _text(root, "responseDate", _stamp(now))
        request = _text(root, "request", self.settings.base_url)
        try:
            verb, params = check_arguments(args)
            for name, value in ([("verb", verb)] if verb else []) + sorted(params.items()):
                if _echoable(name, value):
                    request.set(name, value)
            answer = {
                "Identify": self._identify,
                "ListMetadataFormats": self._list_metadata_formats,
                "ListSets": self._list_sets,
                "GetRecord": self._get_record,
                "ListIdentifiers": self._list_identifiers,
                "ListRecords": self._list_records,
            }[verb]
            body = answer(params, now)
            root.append(body)
        except OaiError as error:
            if error.code in ("badVerb", "badArgument"):
                request.attrib.clear()  # the protocol: echo no arguments of a bad request
            _text(root, "error", error.message).set("code", error.code)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    # -- verbs ------------------------------------------------------------------------

    def _identify(self, params: dict[str, str], now: datetime) -> etree._Element:
        identify = etree.Element(f"{{{OAI_NS}}}Identify")
        _text(identify, "repositoryName", self.settings.repository_name)
        _text(identify, "baseURL", self.settings.base_url)
        _text(identify, "protocolVersion", "2.0")
        _text(identify, "adminEmail", self.settings.admin_email)
        earliest = self.repository.earliest_datestamp() or _stamp(now)
        _text(identify, "earliestDatestamp", earliest)
        _text(identify, "deletedRecord", "persistent")
        _text(identify, "granularity", GRANULARITY)
        description = etree.SubElement(identify, f"{{{OAI_NS}}}description")
        ident = etree.SubElement(
            description, f"{{{OAI_IDENTIFIER_NS}}}oai-identifier", nsmap={None: OAI_IDENTIFIER_NS}
        )
        ident.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_IDENTIFIER_NS} {OAI_IDENTIFIER_SCHEMA}")
        for name, value in (
            ("scheme", "oai"),
            ("repositoryIdentifier", repository_identifier(self.config)),
            ("delimiter", ":"),
            ("sampleIdentifier", f"{self.prefix}ngo-appeal-mine-maps-2021"),
        ):
            etree.SubElement(ident, f"{{{OAI_IDENTIFIER_NS}}}{name}").text = value
        return identify

    def _list_metadata_formats(self, params: dict[str, str], now: datetime) -> etree._Element:
        if "identifier" in params:
            self._record(params["identifier"])  # idDoesNotExist if unknown
        formats = etree.Element(f"{{{OAI_NS}}}ListMetadataFormats")
        for prefix, (schema, namespace) in METADATA_FORMATS.items():
            entry = etree.SubElement(formats, f"{{{OAI_NS}}}metadataFormat")
            _text(entry, "metadataPrefix", prefix)
            _text(entry, "schema", schema)
            _text(entry, "metadataNamespace", namespace)
        return formats

    def _list_sets(self, params: dict[str, str], now: datetime) -> etree._Element:
        if "resumptionToken" in params:
            raise OaiError(
                "badResumptionToken", "ListSets is answered whole: it issues no resumptionToken"
            )
        sets = etree.Element(f"{{{OAI_NS}}}ListSets")

        def add(spec: str, name: str) -> None:
            entry = etree.SubElement(sets, f"{{{OAI_NS}}}set")
            _text(entry, "setSpec", spec)
            _text(entry, "setName", name)

        add("type", "Documents by type")
        for doc_type in self.repository.doc_types():
            if SET_SPEC_RE.match(doc_type):
                add(f"type:{doc_type}", f"Document type: {doc_type.replace('-', ' ')}")
        add("treaty", "Documents by treaty cited")
        for treaty in self.registers.treaties:
            add(treaty_set_spec(treaty.id, self.registers), f"Treaty: {treaty.name}")
        return sets

    def _get_record(self, params: dict[str, str], now: datetime) -> etree._Element:
        prefix = metadata_prefix(params)
        record = self._record(params["identifier"])
        get = etree.Element(f"{{{OAI_NS}}}GetRecord")
        get.append(self._full_record(record, prefix))
        return get

    def _list_identifiers(self, params: dict[str, str], now: datetime) -> etree._Element:
        return self._list("ListIdentifiers", params, now)

    def _list_records(self, params: dict[str, str], now: datetime) -> etree._Element:
        return self._list("ListRecords", params, now)

    # -- lists ------------------------------------------------------------------------

    def _list(self, verb: str, params: dict[str, str], now: datetime) -> etree._Element:
        if "resumptionToken" in params:
            try:
                position = oai_tokens.read(self.key, params["resumptionToken"], now)
            except oai_tokens.BadToken as exc:
                raise OaiError("badResumptionToken", str(exc)) from None
            if position.verb != verb:
                raise OaiError(
                    "badResumptionToken", f"this resumptionToken continues {position.verb}"
                )
        else:
            from_, until = date_range(params.get("from"), params.get("until"))
            set_spec = params.get("set")
            if set_spec is not None and not SET_SPEC_RE.match(set_spec):
                raise OaiError("badArgument", f"set {set_spec!r} is not a valid setSpec")
            position = oai_tokens.ListPosition(
                verb, metadata_prefix(params), set_spec, from_, until, ("", ""), 0, 0
            )
        size = self.settings.page_size
        records = self.repository.list(
            position.from_, position.until, position.set_spec, position.after, size + 1
        )
        if not records:
            # Also for a resumed list whose remaining records all left its range or set
            # since the previous page (a list element may not be empty).
            raise OaiError("noRecordsMatch", "no record matches these arguments")
        page, more = records[:size], len(records) > size
        element = etree.Element(f"{{{OAI_NS}}}{verb}")
        for record in page:
            if verb == "ListRecords":
                element.append(self._full_record(record, position.metadata_prefix))
            else:
                element.append(self._header(record))
        if more or position.cursor:
            total = self.repository.count(position.from_, position.until, position.set_spec)
            token = _text(element, "resumptionToken", "")
            token.set("completeListSize", str(max(total, position.cursor + len(page))))
            token.set("cursor", str(position.cursor))
            if more:
                last = page[-1]
                expires = int((now + self.settings.token_lifetime).timestamp())
                following = oai_tokens.ListPosition(
                    verb,
                    position.metadata_prefix,
                    position.set_spec,
                    position.from_,
                    position.until,
                    (last.datestamp, last.id),
                    position.cursor + len(page),
                    expires,
                )
                token.text = oai_tokens.issue(self.key, following)
                token.set("expirationDate", following.expiration_date)
        return element

    # -- records ----------------------------------------------------------------------

    def _record(self, identifier: str) -> CatalogueRecord:
        doc_id = identifier[len(self.prefix) :] if identifier.startswith(self.prefix) else ""
        record = self.repository.get(doc_id) if DOC_ID_RE.match(doc_id) else None
        if record is None:
            raise OaiError(
                "idDoesNotExist",
                f"no item {identifier!r}: identifiers here are {self.prefix}<document id>",
            )
        return record

    def _header(self, record: CatalogueRecord, deleted: bool | None = None) -> etree._Element:
        header = etree.Element(f"{{{OAI_NS}}}header")
        if record.deleted if deleted is None else deleted:
            header.set("status", "deleted")
        _text(header, "identifier", self.prefix + record.id)
        _text(header, "datestamp", record.datestamp)
        for spec in record.set_specs:
            _text(header, "setSpec", spec)
        return header

    def _full_record(self, record: CatalogueRecord, prefix: str) -> etree._Element:
        element = etree.Element(f"{{{OAI_NS}}}record")
        data = None
        if not record.deleted:
            try:
                data = self.corpus.read_bytes(record.id)
            except (Gone, NotFound):  # withdrawn since the catalogue was read
                data = None
        element.append(self._header(record, deleted=data is None))
        if data is not None:
            metadata = etree.SubElement(element, f"{{{OAI_NS}}}metadata")
            if prefix == "tei":
                metadata.append(parse_tei(data, self.corpus.path(record.id)).getroot())
            else:
                metadata.append(oai_dc(self.document(data), self.registers, self.config))
        return element


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{OAI_NS}}}{name}")
    element.text = text
    return element


# The types OAI-PMH.xsd gives the attributes of <request>: an argument is echoed only in a
# form the schema accepts, so that the answer to `metadataPrefix=oai dc`
# (cannotDisseminateFormat) still validates. The protocol asks for the echo, not for
# invalid XML.
_ECHO_FORMS = {
    "metadataPrefix": re.compile(r"[A-Za-z0-9\-_.!~*'()]+"),
    "set": SET_SPEC_RE,
    "from": re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}Z)?"),
    "until": re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}Z)?"),
    "identifier": re.compile(r"[^\s<>\"{}|\\^`]+"),
}


def _echoable(name: str, value: str) -> bool:
    form = _ECHO_FORMS.get(name)
    return form is None or form.fullmatch(value) is not None
