"""Validation: the project's RELAX NG profile, then the rules RELAX NG cannot state.

Rules checked here: every private reference (`treaty:`, `person:`, `org:`, `place:`,
`doc:`) is declared and resolves to a record; the file name, `TEI/@xml:id` and
`idno[@type="archive"]` agree, and the permalink ends in `/doc/<id>`; dates are real
calendar dates with `notBefore` <= `notAfter` and `from` <= `to`; every signatory has a
name and a person reference; revisionDesc numbers versions 1, 2, 3 ... without gaps.
Each problem is reported as `path:line: message`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree

from archive.config import SCHEMA_DIR, Config
from archive.document.authority import REGISTER_FILES, Registers
from archive.document.dates import parse_iso
from archive.document.tei import (
    NS,
    PRIVATE_REF_RE,
    TEI_NS,
    XML_ID,
    inline_text,
    parse_tei,
    read_bytes,
    t,
)
from archive.errors import InvalidDocument, Problem

DOCUMENT_SCHEMA = SCHEMA_DIR / "appeals-document.rng"
AUTHORITY_SCHEMA = SCHEMA_DIR / "appeals-authority.rng"
AUTHORITY_ID_PREFIX = "authority-"
XINCLUDE_NS = "http://www.w3.org/2001/XInclude"

_DATING_ATTRIBUTES = ("when", "from", "to", "notBefore", "notAfter")
# Parts every document must have, named as a person would look for them. RELAX NG enforces
# them too, but its messages say what it did not expect, not what is missing.
_REQUIRED_PARTS = (
    (
        "t:teiHeader/t:fileDesc/t:titleStmt",
        "t:title[@type='main']",
        'a main title (title type="main")',
    ),
    (
        "t:teiHeader/t:fileDesc/t:publicationStmt",
        "t:idno[@type='archive']",
        'the archive id (idno type="archive")',
    ),
    (
        "t:teiHeader/t:fileDesc/t:publicationStmt",
        "t:idno[@type='URI']",
        'the permalink (idno type="URI")',
    ),
    ("t:teiHeader/t:fileDesc/t:sourceDesc", "t:bibl", "a source (bibl)"),
    ("t:teiHeader/t:encodingDesc", "t:listPrefixDef", "the reference prefixes (listPrefixDef)"),
    ("t:teiHeader/t:profileDesc", "t:creation/t:date", "the issue date (creation/date)"),
    ("t:teiHeader/t:profileDesc", "t:langUsage/t:language", "the language (langUsage/language)"),
    (
        "t:teiHeader/t:profileDesc",
        "t:textClass/t:keywords[@scheme='archive:type']/t:term",
        "the document type",
    ),
    ("t:teiHeader", "t:revisionDesc/t:change", "a version record (revisionDesc/change)"),
)
_POINTER_ATTRIBUTES = ("ref", "target")


@cache
def relaxng(path: Path) -> etree.RelaxNG:
    """Compile a schema once per process."""
    return etree.RelaxNG(etree.parse(str(path)))


@cache
def document_types() -> tuple[str, ...]:
    """The closed list of document types, read from the schema that enforces it."""
    grammar = etree.parse(str(DOCUMENT_SCHEMA))
    rng = {"r": "http://relaxng.org/ns/structure/1.0"}
    return tuple(grammar.xpath("//r:define[@name='documentType']//r:value/text()", namespaces=rng))


@dataclass
class ValidationReport:
    """What `validate_paths` found: how many files it read and every problem in them."""

    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Validator:
    """Validates files against one corpus: its registers and its document ids."""

    def __init__(
        self, config: Config, document_ids: set[str], registers: Registers | None = None
    ) -> None:
        """`document_ids` are the ids `doc:` pointers may name: the storage layer knows them
        (`storage.corpus_validator` passes every id the corpus ever held, since a withdrawn
        document keeps its versions and old versions keep pointing at it)."""
        self.config = config
        self.registers = registers or Registers.load(config.authority_dir)
        self.document_ids = document_ids

    # -- entry points ---------------------------------------------------------------

    def validate_file(self, path: Path) -> list[Problem]:
        try:
            data = read_bytes(path)
        except InvalidDocument as exc:
            return exc.problems
        return self.validate_bytes(data, path)

    def validate_bytes(self, data: bytes, path: Path | str) -> list[Problem]:
        """Every problem of one file; an empty list means it is valid."""
        path = Path(path)
        try:
            tree = parse_tei(data, path)
        except InvalidDocument as exc:
            return exc.problems
        root = tree.getroot()
        if (root.get(XML_ID) or "").startswith(AUTHORITY_ID_PREFIX):
            schema_problems = self._schema_problems(tree, path, AUTHORITY_SCHEMA)
            rule_problems = self._authority_rules(tree, path)
        else:
            schema_problems = self._schema_problems(tree, path, DOCUMENT_SCHEMA)
            rule_problems = self._document_rules(tree, path)
        # Where a rule explains a line, lxml's generic words about it only add noise.
        explained = {p.line for p in rule_problems}
        schema_problems = [
            p
            for p in schema_problems
            if not (p.line in explained and _GENERIC_RE.search(p.message))
        ]
        return sorted(set(schema_problems + rule_problems), key=lambda p: (p.line or 0, p.message))

    def check(self, data: bytes, path: Path | str) -> None:
        """Raise InvalidDocument unless the file is valid."""
        problems = self.validate_bytes(data, path)
        if problems:
            raise InvalidDocument(problems)

    # -- RELAX NG -------------------------------------------------------------------

    def _schema_problems(self, tree: etree._ElementTree, path: Path, schema: Path) -> list[Problem]:
        grammar = relaxng(schema)
        if grammar.validate(tree):
            return []
        return [
            Problem(str(path), error.line, _explain(error.message, error.line, tree, schema))
            for error in grammar.error_log
        ]

    # -- rules for documents --------------------------------------------------------

    def _document_rules(self, tree: etree._ElementTree, path: Path) -> list[Problem]:
        root = tree.getroot()
        problems: list[Problem] = []

        def problem(element: etree._Element | None, message: str) -> None:
            problems.append(
                Problem(str(path), element.sourceline if element is not None else None, message)
            )

        for parent_path, part, description in _REQUIRED_PARTS:
            parent = root.find(parent_path, NS)
            if parent is None:
                problem(
                    root, f"missing {parent_path.replace('t:', '')}, which must hold {description}"
                )
            elif parent.find(part, NS) is None:
                problem(parent, f"{etree.QName(parent).localname} lacks {description}")

        doc_id = root.get(XML_ID) or ""
        archive_idno = root.find(
            "t:teiHeader/t:fileDesc/t:publicationStmt/t:idno[@type='archive']", NS
        )
        if archive_idno is not None and inline_text(archive_idno) != doc_id:
            problem(
                archive_idno,
                f'idno type="archive" is {inline_text(archive_idno)!r} but TEI/@xml:id is {doc_id!r}',
            )
        expected_name = _expected_id_from_path(path)
        if expected_name is not None and expected_name != doc_id:
            problem(
                root,
                f"file name says {expected_name!r} but TEI/@xml:id is {doc_id!r}: they must agree",
            )
        uri = root.find("t:teiHeader/t:fileDesc/t:publicationStmt/t:idno[@type='URI']", NS)
        if uri is not None and not inline_text(uri).endswith(f"/doc/{doc_id}"):
            problem(uri, f"permalink {inline_text(uri)!r} does not end in /doc/{doc_id}")

        type_term = root.find(
            "t:teiHeader/t:profileDesc/t:textClass/t:keywords[@scheme='archive:type']/t:term", NS
        )
        if type_term is not None and inline_text(type_term) not in document_types():
            problem(
                type_term,
                f"document type {inline_text(type_term)!r} is not one of: {', '.join(document_types())}",
            )

        for element in root.iter():
            if isinstance(element.tag, str) and not element.tag.startswith(f"{{{TEI_NS}}}"):
                qname = etree.QName(element)
                why = (
                    "XInclude is never processed"
                    if qname.namespace == XINCLUDE_NS
                    else "only TEI elements are allowed"
                )
                problem(
                    element, f"element <{qname.localname}> in namespace {qname.namespace}: {why}"
                )

        declared = _declared_prefixes(root)
        problems += self._reference_problems(root, path, declared, own_id=doc_id)
        problems += _date_problems(root, path)

        for person in root.iterfind(
            "t:teiHeader/t:profileDesc/t:particDesc/t:listPerson/t:person", NS
        ):
            name = person.find("t:persName", NS)
            if name is None or not inline_text(name):
                problem(person, "signatory without a name (persName)")
            elif not (name.get("ref") or "").strip():
                problem(name, f"signatory {inline_text(name)!r} has no person reference (@ref)")

        version_file = _version_from_path(path)
        changes = root.findall("t:teiHeader/t:revisionDesc/t:change", NS)
        if version_file is not None and changes and changes[-1].get("n") != str(version_file):
            problem(
                changes[-1],
                f'version file {version_file} must end its revisionDesc at n="{version_file}"',
            )

        numbers = []
        for change in root.iterfind("t:teiHeader/t:revisionDesc/t:change", NS):
            n = change.get("n") or ""
            if n.isascii() and n.isdigit():
                numbers.append((int(n), change))
        expected = 1
        for n, change in sorted(numbers, key=lambda pair: pair[0]):
            if n != expected:
                problem(
                    change,
                    f'revisionDesc numbers versions 1, 2, 3 ...: expected change n="{expected}", found n="{n}"',
                )
                break
            expected += 1
        return problems

    # -- rules for registers --------------------------------------------------------

    def _authority_rules(self, tree: etree._ElementTree, path: Path) -> list[Problem]:
        root = tree.getroot()
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            record_id = element.get(XML_ID)
            if record_id and element is not root:
                if record_id in seen:
                    problems.append(
                        Problem(
                            str(path),
                            element.sourceline,
                            f"duplicate id {record_id!r} (first on line {seen[record_id]})",
                        )
                    )
                seen.setdefault(record_id, element.sourceline or 0)
        for related in root.iter(t("relatedItem")):
            target = (related.get("target") or "").lstrip("#")
            if target and target not in seen:
                problems.append(
                    Problem(
                        str(path),
                        related.sourceline,
                        f"memberOf target #{target} is not a record of this register",
                    )
                )
        declared = _declared_prefixes(root)
        problems += self._reference_problems(root, path, declared, own_id=None)
        problems += _date_problems(root, path)
        return problems

    # -- shared ---------------------------------------------------------------------

    def _reference_problems(
        self, root: etree._Element, path: Path, declared: set[str], own_id: str | None
    ) -> list[Problem]:
        problems = []
        # A draft's proposed records point at each other and at proposals: they are checked
        # as register records when added, and the draft's own references say what is missing.
        proposals = set(root.iterfind("t:standOff[@type='review']", NS))
        for element in root.iter():
            if not isinstance(element.tag, str) or element.tag == t("prefixDef"):
                continue
            if proposals and any(a in proposals for a in element.iterancestors()):
                continue
            for attribute in _POINTER_ATTRIBUTES:
                for token in (element.get(attribute) or "").split():
                    message = self._unresolved(token, declared, own_id)
                    if message:
                        problems.append(Problem(str(path), element.sourceline, message))
        return problems

    def _unresolved(self, token: str, declared: set[str], own_id: str | None) -> str | None:
        pointer = token.split("#", 1)[0]
        match = PRIVATE_REF_RE.match(pointer)
        if not match:
            return None
        kind, record_id = match["kind"], match["id"]
        if kind not in declared:
            return f"{token}: prefix {kind!r} is not declared in encodingDesc/listPrefixDef"
        if kind == "doc":
            if record_id == own_id or record_id in self.document_ids:
                return None
            return f"{token} does not resolve: no document {record_id!r} in {self.config.documents_dir}"
        register = self.registers.by_kind(kind)
        if register.current_id(record_id) is not None:
            return None
        close = register.close_matches(record_id, limit=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        return f"{token} does not resolve: no record {record_id!r} in {REGISTER_FILES[kind]}{hint}"

    def validate_paths(self, paths: Iterable[Path]) -> ValidationReport:
        """Validate files and folders (folders are searched for *.xml at any depth)."""
        report = ValidationReport()
        for path in paths:
            if path.is_dir():
                files = sorted(p for p in path.rglob("*.xml") if p.is_file())
                if not files:
                    report.problems.append(Problem(str(path), None, "folder holds no .xml files"))
            else:
                files = [path]
            for file in files:
                report.files.append(str(file))
                report.problems.extend(self.validate_file(file))
        return report


def _declared_prefixes(root: etree._Element) -> set[str]:
    return set(
        root.xpath("t:teiHeader/t:encodingDesc/t:listPrefixDef/t:prefixDef/@ident", namespaces=NS)
    )


def _version_from_path(path: Path) -> int | None:
    """The version number a file's location implies (`versions/<id>/<n>.xml`), if any."""
    if path.parent.parent.name == "versions" and path.stem.isascii() and path.stem.isdigit():
        return int(path.stem)
    return None


def _expected_id_from_path(path: Path) -> str | None:
    """The id a file's place in a corpus implies: `documents/<id>.xml`, or
    `versions/<id>/<n>.xml`. Elsewhere (a draft) the name is the archivist's: `archive add`
    stores the file under the id its TEI gives."""
    if path.parent.parent.name == "versions" and path.stem.isascii() and path.stem.isdigit():
        return path.parent.name
    if path.parent.name == "documents" and path.suffix == ".xml":
        return path.stem
    return None


def _date_problems(root: etree._Element, path: Path) -> list[Problem]:
    problems = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        parsed = {}
        for attribute in _DATING_ATTRIBUTES:
            value = element.get(attribute)
            if value is None:
                continue
            try:
                parsed[attribute] = parse_iso(value)
            except ValueError as exc:
                problems.append(Problem(str(path), element.sourceline, f"@{attribute}: {exc}"))
        for low, high in (("notBefore", "notAfter"), ("from", "to")):
            if low in parsed and high in parsed and parsed[low].earliest > parsed[high].latest:
                problems.append(
                    Problem(
                        str(path),
                        element.sourceline,
                        f"@{low}={parsed[low].value} is later than @{high}={parsed[high].value}",
                    )
                )
    return problems


_GENERIC_RE = re.compile(
    r"failed to validate content|Error validating value|has extra content|Invalid attribute"
    r"|Did not expect element"
)
_INVALID_ATTRIBUTE_RE = re.compile(r"Invalid attribute (\S+) for element (\S+)")
# lxml's word when an element's only attribute fails its pattern (a ptr/@target, say).
_ELEMENT_ATTRIBUTES_RE = re.compile(r"Element (\S+) failed to validate attributes")
_ATTRIBUTE_HINTS = {
    **dict.fromkeys(_DATING_ATTRIBUTES, "expected an ISO date: YYYY, YYYY-MM or YYYY-MM-DD"),
    "ref": "expected treaty:, person:, org:, place: or doc: followed by a register id",
    "target": "expected a private reference or an http(s) URL",
    "xml:id": "expected a lowercase id: letters, digits and hyphens, 3 to 100 characters",
}


def _clark(attribute: str) -> str:
    return "{http://www.w3.org/XML/1998/namespace}id" if attribute == "xml:id" else attribute


def _explain(message: str, line: int, tree: etree._ElementTree, schema: Path) -> str:
    """Make lxml's terse RELAX NG messages say which value was wrong and what was expected."""
    match = _INVALID_ATTRIBUTE_RE.search(message)
    if match:
        attribute, local_name = match.groups()
        for element in tree.getroot().iter(t(local_name)):
            if element.sourceline == line and element.get(_clark(attribute)) is not None:
                hint = _ATTRIBUTE_HINTS.get(attribute, "")
                return f"{message}: {element.get(_clark(attribute))!r}" + (
                    f" ({hint})" if hint else ""
                )
        return message
    match = _ELEMENT_ATTRIBUTES_RE.search(message)
    if match:
        # lxml does not say which attribute failed: a required one missing, or one whose
        # value does not fit. Name it where it can be told.
        local_name = match.group(1)
        for element in tree.getroot().iter(t(local_name)):
            if element.sourceline != line:
                continue
            missing = [
                a
                for a in _required_attributes(schema, local_name)
                if element.get(_clark(a)) is None
            ]
            if missing:
                names = " and ".join(f"@{a}" for a in missing)
                return f"<{local_name}> lacks the required attribute{'s' if len(missing) > 1 else ''} {names}"
            wrong = [name for name in _attribute_names(element) if _looks_wrong(name, element)]
            if len(wrong) == 1 or len(element.attrib) == 1:
                name = wrong[0] if wrong else _attribute_names(element)[0]
                if name in _ATTRIBUTE_HINTS:
                    value = element.get(_clark(name))
                    return f"{message}: @{name}={value!r} ({_ATTRIBUTE_HINTS[name]})"
    return message


def _attribute_names(element: etree._Element) -> list[str]:
    return ["xml:id" if key == _clark("xml:id") else key for key in element.attrib]


def _looks_wrong(name: str, element: etree._Element) -> bool:
    """Whether an attribute's value is one the profile cannot accept, where that can be told
    without the schema (dates); an attribute with no such check is not blamed."""
    if name not in _DATING_ATTRIBUTES:
        return name in _ATTRIBUTE_HINTS
    try:
        parse_iso(element.get(name) or "")
    except ValueError:
        return True
    return False


@cache
def _required_attributes(schema: Path, local_name: str) -> tuple[str, ...]:
    """Attributes the schema requires on an element: those declared directly in its
    definition (not inside `optional`), in this schema or the common one it includes."""
    rng = {"r": "http://relaxng.org/ns/structure/1.0"}
    names: set[str] = set()
    for grammar_path in (schema, SCHEMA_DIR / "appeals-common.rng"):
        grammar = etree.parse(str(grammar_path))
        names.update(
            grammar.xpath(f"//r:element[@name='{local_name}']/r:attribute/@name", namespaces=rng)
        )
    return tuple(sorted(names))
