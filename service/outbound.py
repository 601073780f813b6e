"""The outbound guard: which URLs the service may call with a client's bearer, and reading replies within limits.

A hook request names its own `fhirServer`, so without a guard any caller could make the service fetch any URL
with its network position (SSRF) and could aim the lent bearer anywhere. The rules (issue #6, README "Security"):

- the URL must fall under an allowlisted base: same scheme, host and port, and a path under the base's path, with
  no `.`/`..` segments, backslashes or userinfo that would let it escape the prefix once normalised;
- a host that is a name must resolve only to public addresses, or to a network the operator listed as a trusted
  private network; the name is resolved once per hook call (a literal address needs no lookup: it matched an
  allowlist entry the operator wrote, which is the explicit opt-in). The check is made before connecting, and
  the connection resolves again, so a DNS answer that changes in between (rebinding) is not caught here: use an
  egress firewall where that matters;
- replies are read as a stream with a byte cap and against the hook call's deadline, because `requests`' read
  timeout bounds each socket read, not the whole body (a server that drips one byte a second never trips it).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], Sequence[str]]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_READ_CHUNK = 64 * 1024
LOOPBACK_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


class OutboundRefused(Exception):
    """A call the guard refused or a reply it would not read; `reason` is a fixed class name for the log."""

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True, slots=True)
class UrlParts:
    """The parts of an absolute http(s) URL that the allowlist compares."""

    scheme: str
    host: str  # lower case; an IPv6 literal without brackets
    port: int
    path: str


def split_url(url: str) -> UrlParts | None:
    """Returns the comparable parts of `url`, or None when it is not a plain absolute http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc or "\\" in url:
        return None
    path = parts.path
    decoded = unquote(path)
    if any(segment in (".", "..") for segment in decoded.split("/")) or "\\" in decoded:
        return None  # would be normalised away by the HTTP library and could climb out of an allowed prefix
    return UrlParts(scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme], path)


@dataclass(frozen=True, slots=True)
class AllowedBase:
    """One allowlist entry: scheme, host, port (None = any, written `:*`) and a path prefix matched by segment."""

    scheme: str
    host: str
    port: int | None
    path: str  # "" or "/r4" (no trailing slash)

    @classmethod
    def parse(cls, raw: str) -> AllowedBase:
        """Returns the entry for `raw` such as `https://fhir.example.org/r4` or `http://127.0.0.1:*`."""
        text = raw.strip()
        netloc = urlsplit(text).netloc
        any_port = netloc.endswith(":*")
        if any_port:
            text = text.replace(netloc, netloc[:-2], 1)
        split = split_url(text)
        if split is None or urlsplit(text).query or urlsplit(text).fragment:
            raise ValueError(
                f"{raw!r} is not a base URL; use scheme://host[:port|:*][/path] such as https://fhir.example.org/r4"
            )
        return cls(split.scheme, split.host, None if any_port else split.port, split.path.rstrip("/"))

    def matches(self, url: UrlParts) -> bool:
        """Returns True when `url` lies under this base."""
        if (url.scheme, url.host) != (self.scheme, self.host):
            return False
        if self.port is not None and url.port != self.port:
            return False
        return not self.path or url.path == self.path or url.path.startswith(self.path + "/")

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "*" if self.port is None else str(self.port)
        return f"{self.scheme}://{host}:{port}{self.path}"


def loopback_bases() -> tuple[AllowedBase, ...]:
    """Returns the open-mode default allowlist: http and https on any loopback name or address, any port."""
    hosts = ("127.0.0.1", "localhost", "[::1]")
    return tuple(AllowedBase.parse(f"{scheme}://{host}:*") for scheme in ("http", "https") for host in hosts)


def parse_networks(raw: str) -> tuple[IpNetwork, ...]:
    """Returns the networks of a comma list of CIDRs such as `10.20.0.0/16, fd00::/8`."""
    out = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not a network; use a comma list of CIDRs like 10.20.0.0/16") from None
    return tuple(out)


def _literal_address(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback, whatever its spelling
    return address.is_global and not address.is_multicast


def system_resolver(host: str) -> Sequence[str]:
    """Returns every address `host` resolves to for TCP (the system resolver; may raise OSError)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)]


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """The guard's rules: the allowlist, the private networks a resolved name may land in, and the resolver."""

    allowlist: tuple[AllowedBase, ...]
    private_networks: tuple[IpNetwork, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False)

    def allowed(self, url: str) -> UrlParts:
        """Returns the parts of `url` when an allowlist entry covers it; raises OutboundRefused("not-allowed")."""
        parts = split_url(url)
        if parts is None or not any(base.matches(parts) for base in self.allowlist):
            raise OutboundRefused("not-allowed")
        return parts

    def check_addresses(self, host: str) -> None:
        """Raises OutboundRefused unless `host` is a literal address or resolves only to allowed addresses."""
        if _literal_address(host) is not None:
            return  # it matched an allowlist entry naming this very address: the operator's explicit choice
        try:
            resolved = [ipaddress.ip_address(a.split("%", 1)[0]) for a in self.resolver(host)]
        except (OSError, UnicodeError, ValueError):
            raise OutboundRefused("dns", transient=True) from None
        if not resolved:
            raise OutboundRefused("dns", transient=True)
        for address in resolved:
            if not _is_public(address) and not any(address in net for net in self.private_networks):
                raise OutboundRefused("private-address")


@dataclass(frozen=True, slots=True)
class Deadline:
    """A point on the monotonic clock by which a hook call's outbound work must finish."""

    at: float
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Deadline:
        """Returns the deadline `seconds` from now."""
        return cls(clock() + seconds, clock)

    def remaining(self) -> float:
        """Returns the seconds left (negative once passed)."""
        return self.at - self.clock()

    def check(self) -> None:
        """Raises OutboundRefused("budget") once the deadline has passed."""
        if self.remaining() <= 0:
            raise OutboundRefused("budget", transient=True)


def _tighten_socket_timeout(reply: Any, seconds: float) -> None:
    # Best effort: each socket read may take the whole read timeout, so shrink it to what the budget has left.
    # urllib3 exposes the connection (and http.client its socket); a mocked reply has neither, which is fine.
    sock = getattr(getattr(getattr(reply, "raw", None), "connection", None), "sock", None)
    if sock is not None:
        try:
            sock.settimeout(max(0.01, seconds))
        except OSError:
            pass


def read_capped(reply: Any, max_bytes: int, deadline: Deadline, read_timeout: float) -> bytes:
    """Returns the (decoded) body of a streamed `requests` reply; raises OutboundRefused past the cap or deadline.

    Reads with `read1`, which returns after one underlying read, so the cap and the deadline are checked between
    reads; urllib3 (>= 2.6) bounds what one read may decompress, so a compression bomb stops at the cap too.
    """
    declared = reply.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise OutboundRefused("too-large")
    chunks: list[bytes] = []
    total = 0
    try:
        while True:
            deadline.check()
            _tighten_socket_timeout(reply, min(read_timeout, deadline.remaining()))
            chunk = reply.raw.read1(_READ_CHUNK, decode_content=True)
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                raise OutboundRefused("too-large")
            chunks.append(chunk)
    except ReadTimeoutError:
        deadline.check()
        raise OutboundRefused("timeout", transient=True) from None
    except (Urllib3Error, OSError):
        deadline.check()  # a socket the watchdog shut at the deadline: the budget ran out
        raise OutboundRefused("connection", transient=True) from None
    finally:
        reply.close()
    deadline.check()
    return b"".join(chunks)
