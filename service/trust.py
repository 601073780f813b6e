"""Which CDS clients the service trusts: the CDS_TRUSTED_ISSUERS file, and JWK Sets reduced to usable public keys.

Spec "Trusting CDS Clients" (https://cds-hooks.hl7.org/2.0/#trusting-cds-clients): services SHOULD keep an
allowlist of `iss` and `jku` URLs; a client SHOULD publish its JWK Set at a `jku` URL, else the keys are shared out
of band. The file maps each trusted issuer to where its keys come from:

    {"https://sandbox.cds-hooks.org": {"jwks_file": "sandbox-jwks.json",
                                       "jku_allowlist": ["https://sandbox.cds-hooks.org/.well-known/jwks.json"]}}

Members per issuer (at least one): `jwks_file` (a JWK Set on disk, relative to this file's folder), `jwks` (the
JWK Set inline), `jwks_url` (fetched over https and cached), `jku_allowlist` (exact https URLs a token's `jku`
header may name). Unknown members are refused, so a typo cannot silently drop a restriction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MAX_FILE_BYTES = 1024 * 1024
_MEMBERS = frozenset({"jwks_file", "jwks", "jwks_url", "jku_allowlist"})
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})
KEY_TYPES = frozenset({"EC", "RSA"})

Jwk = dict[str, Any]


@dataclass(frozen=True, slots=True)
class IssuerTrust:
    """One trusted CDS client issuer and where its public keys come from."""

    issuer: str
    keys: tuple[Jwk, ...] = field(default=(), repr=False)  # configured public keys: not secret, but long
    jwks_url: str | None = None
    jku_allowlist: tuple[str, ...] = ()


def public_keys(document: Any) -> tuple[Jwk, ...]:
    """Returns the usable public keys of a JWK Set; raises ValueError when it is not one or holds private keys.

    Keys without a `kid` cannot be picked (the spec makes `kid` required), nor can keys of a type no allowed
    algorithm uses, nor keys marked for encryption: those are left out.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK Set (an object with a keys array)")
    out = []
    for key in document["keys"]:
        if not isinstance(key, dict):
            raise ValueError("a JWK Set entry is not an object")
        if _PRIVATE_MEMBERS & set(key):
            raise ValueError("the JWK Set holds private or symmetric key material; publish public keys only")
        usable = key.get("kty") in KEY_TYPES and isinstance(key.get("kid"), str) and key.get("use", "sig") == "sig"
        if usable:
            out.append(key)
    return tuple(out)


def _https_url(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be an https URL string")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.fragment:
        raise ValueError(f"{what} must be an absolute https URL")
    return value


def _read_json(path: Path, what: str) -> Any:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"cannot read {what} {str(path)!r} ({exc.strerror or type(exc).__name__})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"{what} {str(path)!r} is larger than {MAX_FILE_BYTES} bytes")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ValueError(f"{what} {str(path)!r} is not valid JSON") from None


def _issuer(issuer: str, entry: Any, folder: Path) -> IssuerTrust:
    where = f"issuer {issuer!r}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected an object with jwks_file, jwks, jwks_url or jku_allowlist")
    unknown = set(entry) - _MEMBERS
    if unknown:
        raise ValueError(f"{where}: unknown member(s) {', '.join(sorted(unknown))}; use {', '.join(sorted(_MEMBERS))}")
    if not _MEMBERS & set(entry):
        raise ValueError(f"{where}: give at least one of {', '.join(sorted(_MEMBERS))}")
    keys: tuple[Jwk, ...] = ()
    if "jwks_file" in entry:
        if not isinstance(entry["jwks_file"], str):
            raise ValueError(f"{where}: jwks_file must be a path string")
        path = folder / entry["jwks_file"]
        keys += _keys(_read_json(path, "JWK Set file"), f"{where}: jwks_file")
    if "jwks" in entry:
        keys += _keys(entry["jwks"], f"{where}: jwks")
    jku = entry.get("jku_allowlist", [])
    if not isinstance(jku, list):
        raise ValueError(f"{where}: jku_allowlist must be an array of https URLs")
    return IssuerTrust(
        issuer=issuer,
        keys=keys,
        jwks_url=None if entry.get("jwks_url") is None else _https_url(entry["jwks_url"], f"{where}: jwks_url"),
        jku_allowlist=tuple(_https_url(url, f"{where}: jku_allowlist entry") for url in jku),
    )


def _keys(document: Any, where: str) -> tuple[Jwk, ...]:
    try:
        keys = public_keys(document)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    if not keys:
        raise ValueError(f"{where}: no usable public key (EC or RSA, with a kid, for signing)")
    return keys


def load_trusted_issuers(raw_path: str) -> tuple[IssuerTrust, ...]:
    """Returns the trusted issuers in the JSON file at `raw_path`; raises ValueError saying what is wrong."""
    path = Path(raw_path)
    document = _read_json(path, "trusted issuers file")
    if not isinstance(document, dict) or not document:
        raise ValueError("the trusted issuers file must be a non-empty object keyed by issuer (iss) URL")
    return tuple(_issuer(issuer, entry, path.parent) for issuer, entry in document.items())
