"""The words that tell a signer's role and organisation from a person's name.

Kept apart from the parsing so that an editor can extend the lists (a new role, a word
that marks an organisation) without reading the parser.
"""

# A role is zero or more modifiers and at least one noun ("Executive Director", "Field
# Coordinator", "Secretary-General"); a modifier alone ("International") is no role.
ROLE_NOUNS = {
    "president",
    "vice-president",
    "chairman",
    "chairwoman",
    "chairperson",
    "chair",
    "co-chair",
    "head",
    "director",
    "director-general",
    "general",
    "secretary",
    "secretary-general",
    "coordinator",
    "co-ordinator",
    "founder",
    "co-founder",
    "member",
    "representative",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "minister",
    "ambassador",
    "envoy",
    "commissioner",
    "ombudsman",
    "ombudsperson",
    "adviser",
    "advisor",
    "manager",
    "officer",
    "editor",
    "editor-in-chief",
    "chief",
    "rector",
    "dean",
    "professor",
    "lawyer",
    "counsel",
    "activist",
    "researcher",
    "rapporteur",
    "campaigner",
    "treasurer",
    "trustee",
    "delegate",
    "defender",
    "ceo",
    "deputy",
}
ROLE_MODIFIERS = {
    "vice", "executive", "deputy", "prime", "board", "senior", "legal", "programme", "program",
    "acting", "honorary", "permanent", "special", "lead", "founding", "country", "regional",
    "national", "international", "policy", "advocacy", "research", "field", "medical", "project",
    "general", "managing", "associate", "assistant",
}  # fmt: skip
ROLE_WORDS = ROLE_NOUNS | ROLE_MODIFIERS
# Words that make a run of capitalised words an organisation's name, not a person's.
ORG_WORDS = {
    "association", "union", "fund", "foundation", "committee", "campaign", "centre", "center",
    "council", "network", "institute", "society", "organisation", "organization", "coalition",
    "league", "alliance", "agency", "office", "ministry", "group", "initiative", "movement",
    "federation", "watch", "forum", "university", "bureau", "commission", "trust", "party",
    "clinic", "project", "service", "services", "mission", "ngo", "action", "house", "club",
    "company", "press", "voices", "partners", "survivors", "victims", "mothers", "women",
    "lawyers", "doctors", "aid", "relief", "rights", "red", "crescent", "cross", "school",
    "academy", "bar", "chamber", "platform", "collective", "assembly", "parliament",
    "studies", "law", "justice", "peace", "development", "humanitarian", "families",
    "missing", "demining", "mine", "mines", "landmines", "affairs", "defence", "defense",
    "kingdom", "interior", "embassy",
}  # fmt: skip
NOT_NAME_WORDS = {
    "the", "signed", "signatories", "signatures", "on", "behalf", "of", "we", "sincerely",
    "respectfully", "regards", "yours", "and", "with", "dear", "to", "by", "contact", "email",
    "tel", "phone", "date", "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december", "republic", "government",
    "state", "national", "public", "ngo", "un", "our", "their", "this", "these",
}  # fmt: skip
