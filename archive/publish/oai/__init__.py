"""OAI-PMH 2.0 (`OaiProvider`): the protocol (`protocol`), its arguments (`requests`),
signed resumption tokens (`tokens`, keyed by `token_key`) and the oai_dc format
(`dublin_core`). The catalogue one level up says which records exist."""

from archive.publish.oai.protocol import OaiProvider, OaiSettings
from archive.publish.oai.tokens import token_key

__all__ = ["OaiProvider", "OaiSettings", "token_key"]
