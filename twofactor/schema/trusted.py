"""Trusted documents: a manifest of the only documents a deployment runs, keyed by their SHA-256.

The manifest is a JSON object `{"<sha256 hex of the text>": "<document text>"}`, the format of
graphql-codegen's client preset (`persisted-documents.json`) and GraphQL Yoga. A request sends
a document's text (`query`), or over HTTP only its hash, as Apollo's persisted queries do:
`"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}` without a query.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

PREFIX = "sha256:"


def document_hash(text: str) -> str:
    """The manifest's key for a document: the SHA-256 of its text in UTF-8, in hex."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def read_manifest(path: Path) -> dict[str, str]:
    """The manifest at `path`; ValueError saying what is wrong with it."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read {path} as JSON ({type(error).__name__})") from None
    if not isinstance(manifest, dict) or not all(isinstance(v, str) for v in manifest.values()):
        raise ValueError(f"{path} must be a JSON object of document texts keyed by their SHA-256")
    for key, text in manifest.items():
        if key.removeprefix(PREFIX) != document_hash(text):
            raise ValueError(f"{path}: the key {key!r} is not the SHA-256 of its document")
    return {key.removeprefix(PREFIX): text for key, text in manifest.items()}


def with_documents(manifest: Mapping[str, str], texts: Iterable[str]) -> dict[str, str]:
    """The manifest with `texts` added, keys sorted (so a file under version control changes little)."""
    added = {**manifest, **{document_hash(text): text for text in texts}}
    return dict(sorted(added.items()))


def persisted_hash(extensions: Mapping[str, object] | None) -> str | None:
    """The `sha256Hash` of a request's `extensions.persistedQuery`, if it has one."""
    persisted = (extensions or {}).get("persistedQuery")
    if isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
        return str(persisted["sha256Hash"]).removeprefix(PREFIX)
    return None
