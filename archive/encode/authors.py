"""Authors in prose: who speaks for a statement when no signature block says so.

Real statements rarely close with a signature. A press release or a news agency's report
names its author in running text: "said Lama Fakih, crisis and conflict director at Human
Rights Watch"; "Daniel Messerli, Regional Delegate for the Missing at ICRC said"; "Secretary-
General of the IFRC, Jagan Chapagain, says"; "ICMP's Director-General, Ms Kathryne
Bomberger"; "The OSCE Minsk Group Co-Chairs (Igor Popov of the Russian Federation, ...)";
"UN Secretary-General Ban Ki-moon's message". On the development set of 62 real statements
the signature forms found 0 of 49 authors; these forms are what the set showed.

Who is an author and who is merely mentioned: a person counts when the sentence makes them
speak (said, stated, urged ...) with a role, or speak for a body the text issues from, or
when the statement is theirs ("statement by", "message of", "the Co-Chairs (...)"). People
the text talks about ("met with Prime Minister X", "the President of Y said" quoted inside
someone else's words) are not authors: a quoted passage is skipped, and a speaker without a
role or body is kept only if they speak for the issuing organisation. Someone who reads out
or delivers another's words ("as delivered by", "read out by") is not the author.

The issuing organisations follow: the bodies of the authors, the body in a dateline
("Geneva (ICRC) -"), and a body that is the subject of a statement verb ("Human Rights Watch
said", "The ICRC urges", "Amnesty International said in a statement").
"""

from __future__ import annotations

import re

from archive.encode.results import DetectedSignatory, Detection
from archive.encode.signatories import _trim_to_name
from archive.encode.signer_words import ROLE_NOUNS

_VERBS = (
    r"(?:said|says|stated|states|noted|notes|told|added|adds|urged|urges|warned|emphasi[sz]ed|"
    r"stressed|explained|declared|announced|recalled|reminded|called|insisted|concluded|"
    r"tweeted|wrote|commented|underlined|highlighted|stated|observed|pointed\s+out|"
    r"issued\s+a\s+statement|made\s+a\s+statement|has\s+said|has\s+stated|"
    r"read\s+(?:out\s+)?the\s+following\s+statement|sent\s+a\s+(?:joint\s+)?(?:letter|statement|appeal))"
)
_NAME = r"(?:(?:Dr|Prof|Mr|Mrs|Ms|Mx)\.?\s*)?(?P<name>[A-ZÀ-ÖØ-ÞĀ-ŽƏ][\w'’-]+(?:[ \u00a0](?:(?:de|da|van|von|al|el|bin)[ \u00a0])?[A-ZÀ-ÖØ-ÞĀ-ŽƏ][\w'’-]+){1,3})"
# "X, ROLE at ORG, said" / "X, ROLE at ORG said"
_APPOSITIVE = r"(?:(?!\.\s)[^\"“”\n]){3,160}?"
_NAME_FIRST_RE = re.compile(rf"{_NAME},\s+(?P<app>{_APPOSITIVE}),?\s+(?:has\s+)?(?:{_VERBS})\b")
# "said X, ROLE at ORG." / "says X, ROLE"
_VERB_FIRST_RE = re.compile(
    rf"\b(?:said|says|stated|noted|added|urged|stressed|warned)\s+{_NAME},\s+(?P<app>{_APPOSITIVE})"
    r"(?=\.(?:\s|$)|;|\n|$|[\"“”]|,\s+(?:speaking|adding|who|in|at|on|during|as)\b)"
)
# "Secretary-General of the IFRC, Jagan Chapagain, says"
_ROLE_FIRST_RE = re.compile(
    rf"(?:^|[.!?]\s+|\n)(?P<app>(?:the\s+)?[A-Z][^,\"“”\n]{{2,100}}?),\s+{_NAME},\s+(?:{_VERBS})\b"
)
# "ICMP's Director-General, Ms.Kathryne Bomberger" / "ICRC's acting regional director X said"
_ORG_POSSESSIVE_RE = re.compile(
    rf"(?P<app>\b[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){{0,6}}['’]s\s+[^,\"“”\n]{{2,80}}?),\s*{_NAME}"
)
# "UN Secretary-General Ban Ki-moon's message", "statement by UN Secretary-General Ban Ki-moon",
# "Armenian Human Rights Defender Arman Tatoyan said"
_ROLE_BEFORE_RE = re.compile(
    rf"(?P<app>(?:\b[A-Z][\w.-]*\s+(?:and\s+)?){{0,5}}?(?:{'|'.join(sorted((re.escape(n.title()) for n in ROLE_NOUNS), key=len, reverse=True))}))"
    rf"\s+{_NAME}(?=['’]s\s+(?:message|statement|remarks)|,?\s+(?:{_VERBS})\b|:|\s+was\s+issued|,\s+as\s+(?:delivered|read))"
)
# "The Co-Chairs of the OSCE Minsk Group (Igor Popov of the Russian Federation, ...)"
_PAREN_LIST_RE = re.compile(
    r"(?P<role>Co-Chairs|Co-Chairmen|Chairs|Presidents|Ministers|Heads|Representatives)"
    r"(?P<of>\s+of\s+(?:the\s+)?[^()\n]{2,80}?)?\s*\((?P<list>[^()\n]{10,400})\)"
)
_OFFICE_NAME_RE = re.compile(
    rf"\s+{_NAME}(?=,?\s+(?:(?:{_VERBS})|appeals|appealed|issued|addressed)\b)"
)
_OFFICE_LEAD_RE = re.compile(
    r"^(?:the\s+|[A-Z][\w-]*['’]s\s+|[A-Z][a-z]+(?:ian|ani|ese|ish)\s+"
    r"|[A-Z][\w-]*\s+(?=Human\s+Rights|Ombuds|Commissioner|Defender))",
    re.I,
)
_OFFICE_TAIL_RE = re.compile(r"\s+of\s+(?:the\s+)?(?:Republic\s+of\s+)?[A-Z][\w-]+$")
_DELIVERED_RE = re.compile(r"(?:delivered|read\s+out|read|presented)\s+by\s+$", re.IGNORECASE)
_QUOTE_CHARS = '"“”«»'
_ISSUER_VERBS = (
    r"(?:said|says|stated|states|urges|urged|calls|called|welcomes|welcomed|condemns|condemned|"
    r"appeals|appealed|reminds|reminded|recalls|issued|released|published|is\s+concerned|"
    r"is\s+appalled|expressed|expresses|has\s+(?:issued|released|documented|registered|called|urged|"
    r"condemned|reported|confirmed)|documented|confirms|confirmed|reported|hailed|stated|"
    r"would\s+like|ended|estimates|takes\s+note|took\s+note|has\s+made\s+an\s+appeal|"
    r"made\s+an\s+appeal|makes\s+an\s+appeal|issues|is\s+calling|hails)"
)


class AuthorFinder:
    """Speakers for a statement named in running text, and the statement's issuing bodies."""

    def detect(
        self, text: str, known: list[Detection], taken: list[tuple[int, int]]
    ) -> list[DetectedSignatory]:
        orgs = [d for d in known if d.kind == "org" and d.ref]
        persons = [d for d in known if d.kind == "person"]
        quotes = _quoted_spans(text)
        found: dict[tuple[int, int], DetectedSignatory] = {}

        def add(
            start: int, end: int, app: tuple[int, int] | None, role_hint: str | None = None
        ) -> None:
            name_start, name_end = start, end
            words = text[name_start:name_end]
            a, b = _trim_to_name(words, 0, len(words))
            if b - a == 0:
                return
            name_start, name_end = name_start + a, name_start + b
            if any(x <= name_start < y for x, y in quotes) or any(
                x < name_end and name_start < y for x, y in taken
            ):
                return
            if _DELIVERED_RE.search(text[max(0, name_start - 30) : name_start]):
                return
            if any(name_start < d.end and d.start < name_end for d in orgs):
                return
            person = next(
                (d for d in persons if d.start <= name_start and name_end <= d.end), None
            ) or Detection(
                "person",
                text[name_start:name_end],
                name_start,
                name_end,
                confidence=0.7,
                evidence="speaks for the statement in running text; not in the person register",
                needs_review=True,
                proposed=True,
            )
            if app is not None and any(c in text[app[0] : app[1]] for c in _QUOTE_CHARS + "\n"):
                return
            role, org = _role_and_org(text, app, orgs, role_hint)
            if role is None and org is None:
                return
            key = (person.start, person.end)
            if key not in found:
                found[key] = DetectedSignatory(person, role, org, "prose")

        for match in _PAREN_LIST_RE.finditer(text):
            role = match.group("role")
            singular = re.sub(r"(?:s|men)$", lambda m: "man" if m.group() == "men" else "", role)
            body = _org_in(orgs, match.start("of"), match.end("of")) if match.group("of") else None
            body = body or _org_before(text, orgs, match.start())
            for item in re.finditer(
                rf"(?:^|,\s*|\band\s+){_NAME}(?=\s+(?:of|from|for)\b|\s*,|\s*$)",
                match.group("list"),
            ):
                start = match.start("list") + item.start("name")
                end = match.start("list") + item.end("name")
                self_role = Detection(
                    "role",
                    role,
                    match.start("role"),
                    match.end("role"),
                    confidence=0.8,
                    evidence="named in a list after their role",
                )
                self_role = _with_text(self_role, singular)
                person = Detection(
                    "person",
                    text[start:end],
                    start,
                    end,
                    confidence=0.7,
                    evidence="named in a list of the statement's authors",
                    needs_review=True,
                    proposed=True,
                )
                if any(x < end and start < y for x, y in taken):
                    continue
                found.setdefault((start, end), DetectedSignatory(person, self_role, body, "prose"))
        for pattern in (_NAME_FIRST_RE, _VERB_FIRST_RE, _ROLE_FIRST_RE, _ORG_POSSESSIVE_RE):
            position = 0
            while (match := pattern.search(text, position)) is not None:
                position = match.end("name")  # a list "A, role, and B, role, said" holds two
                add(*match.span("name"), match.span("app"))
        for match in _ROLE_BEFORE_RE.finditer(text):
            add(*match.span("name"), match.span("app"))
        for office in orgs:
            # "Armenian Human Rights Defender Arman X said": an office is body and role.
            match = _OFFICE_NAME_RE.match(text, office.end)
            role = _office_role(office)
            if match is None or role is None:
                continue
            earlier = found.get((match.start("name"), match.end("name")))
            if earlier is not None and earlier.role is not None:
                continue
            start, end = match.span("name")
            if any(x <= start < y for x, y in quotes) or any(
                x < end and start < y for x, y in taken
            ):
                continue
            person = Detection(
                "person",
                text[start:end],
                start,
                end,
                confidence=0.7,
                evidence="named after the office they hold, speaking for it",
                needs_review=True,
                proposed=True,
            )
            found[(start, end)] = DetectedSignatory(person, role, office, "prose")
        return sorted(found.values(), key=lambda s: s.person.start)

    def issuers(
        self, text: str, known: list[Detection], authors: list[DetectedSignatory]
    ) -> list[Detection]:
        """The bodies a statement issues from: its authors', a dateline's, a speaking subject's."""
        out: list[Detection] = [s.org for s in authors if s.org is not None and s.org.ref]
        orgs = [d for d in known if d.kind == "org" and d.ref]
        quotes = _quoted_spans(text)
        for org in orgs:
            if any(x <= org.start < y for x, y in quotes):
                continue
            before = text[max(0, org.start - 40) : org.start]
            after = text[org.end : org.end + 60]
            dateline = (
                (re.search(r"(?:^|\n)[A-Z][\w ./-]{1,40}\($", before) and after.startswith(")"))
                or (
                    re.search(r"(?:^|\n)$", before)
                    and re.match(r"\s*\([A-Z][\w ./-]{1,30}\)\s*[-–—]", after)
                )
                or re.search(
                    r"(?i)\b(?:statement|message|press\s+release)\s+(?:attributable\s+to|by|of|from)\s+"
                    r"(?:the\s+)?(?:[\w-]+\s+){0,3}?(?:of\s+the\s+)?$",
                    before,
                )
            )
            subject = re.match(
                rf"(?:\s*\([A-Z][\w-]+\))?,?\s+(?:(?:today|also|on\s+\w+(?:\s+\d+)?|in\s+a\s+statement|"
                rf"once\s+again|hereby)\s+)*{_ISSUER_VERBS}\b",
                after,
                re.IGNORECASE,
            ) and not re.search(r"\b(?:of|the|by|with|to|from|and|'s)\s+(?:the\s+)?$", before)
            reporting = subject and re.search(r",\s*$", before) and re.match(r"\s+said\b", after)
            if dateline or reporting or (subject and _leads_sentence(text, org.start)):
                out.append(org)
        seen: dict[str, Detection] = {}
        for org in out:
            seen.setdefault(org.ref or "", org)
        return list(seen.values())


def _office_role(office: Detection) -> Detection | None:
    """The role an office's name holds ("Human Rights Defender" in "Armenian Human Rights
    Defender", "ombudsman" in "Armenia's ombudsman"); None for a body that is no office."""
    words = office.text
    lead = _OFFICE_LEAD_RE.match(words)
    a = lead.end() if lead and lead.end() < len(words) else 0
    tail = _OFFICE_TAIL_RE.search(words[a:])
    b = a + tail.start() if tail else len(words)
    role = words[a:b]
    last = re.findall(r"[\w-]+", role.casefold())
    if not last or not ({"defender", "ombudsman", "ombudsperson", "commissioner"} & set(last)):
        return None
    return Detection(
        "role",
        role,
        office.start + a,
        office.start + b,
        confidence=0.7,
        evidence="the office's own name",
    )


def _leads_sentence(text: str, start: int) -> bool:
    """An organisation that opens its sentence (after "The" at most) is its subject."""
    before = text[max(0, start - 200) : start]
    cut = max(before.rfind(". "), before.rfind("\n"), before.rfind('" '), before.rfind("” "))
    lead = before[cut + 1 :].strip() if cut >= 0 else before.strip()
    return lead in ("", "The", "the", "And", "But") or bool(
        re.fullmatch(r"(?:[A-Z][\w ]*,\s*)?(?:the|The)?", lead)
    )


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in re.finditer(r"[\"“]([^\"“”]{1,2000})[\"”]", text):
        spans.append(match.span(1))
    return spans


def _with_text(detection: Detection, words: str) -> Detection:
    from dataclasses import replace

    return replace(detection, text=words) if words != detection.text else detection


def _org_in(orgs: list[Detection], start: int, end: int) -> Detection | None:
    inside = [d for d in orgs if start <= d.start and d.end <= end]
    return max(inside, key=lambda d: d.end - d.start) if inside else None


def _org_before_sentence(orgs: list[Detection], start: int) -> Detection | None:
    """'the group's director': the body named last before."""
    before = [d for d in orgs if d.end <= start]
    return before[-1] if before else None


def _org_before(text: str, orgs: list[Detection], start: int) -> Detection | None:
    near = [d for d in orgs if d.end <= start and start - d.end <= 3]
    return near[-1] if near else None


def _role_and_org(
    text: str, app: tuple[int, int] | None, orgs: list[Detection], hint: str | None
) -> tuple[Detection | None, Detection | None]:
    """Split an appositive ("crisis and conflict director at Human Rights Watch", "IFRC
    Regional Director for Africa", "the Coordinator of the ICBL") into role and body."""
    if app is None:
        return None, None
    a, b = app
    cut = re.search(
        r",\s+(?:speaking|who|writing|quoted|in\s+a|during|adding)\b|,\s+and\s+[A-Z]", text[a:b]
    )
    if cut:
        b = a + cut.start()
    org = _org_in(orgs, a, b)
    outside = None
    if org is None and re.match(
        r"(?:the\s+(?:group|organi[sz]ation|committee|agency|campaign)|its)['’]?s?\s", text[a:b]
    ):
        outside = _org_before_sentence(orgs, a)
    role_a, role_b = a, b
    if org is not None:
        tail = text[org.end : b]
        head = text[a : org.start]
        if (
            not tail.strip(" ,.()–—-")
            or re.fullmatch(r"\s*\([A-Z][\w-]*\)\s*", tail)
            or re.fullmatch(r"\s*[–—-]\s*[A-Z]+\s*", tail)
        ):
            connector = re.search(r"\s*(?:,\s*)?\b(?:at|of|for|with|in)\s+(?:the\s+)?$", head)
            if connector:
                role_b = a + connector.start()
            elif not head.strip():
                return None, org
            else:
                role_b = org.start
        elif head.strip() and re.match(r"['’]s\s", tail):  # "director for HRW's Europe division"
            connector = re.search(r"\s*\b(?:at|of|for|with|in)\s+(?:the\s+)?$", head)
            role_b = a + connector.start() if connector else org.start
        elif not head.strip(" ") or re.fullmatch(r"\s*(?:the\s+)?", head):
            role_a = org.end
            possessive = re.match(r"['’]s\s+", text[role_a:b])
            if possessive:
                role_a += possessive.end()
    role_a, role_b = _strip_role(text, role_a, role_b)
    if role_b <= role_a:
        return None, org or outside
    words = text[role_a:role_b]
    org = org or outside
    if not any(noun in words.casefold() for noun in ROLE_NOUNS) and hint is None:
        return None, org
    role = Detection(
        "role",
        words,
        role_a,
        role_b,
        confidence=0.75,
        evidence="the speaker's role as the sentence gives it",
    )
    return role, org


def _strip_role(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in " ,;:–—-":
        a += 1
    while b > a and text[b - 1] in " ,;:–—-.":
        b -= 1
    lead = re.match(
        r"(?:the\s+group['’]s\s+|the\s+|its\s+|his\s+|her\s+|their\s+|[A-Z][\w-]*['’]s\s+)",
        text[a:b],
    )
    if lead:
        a += lead.end()
    return a, b
