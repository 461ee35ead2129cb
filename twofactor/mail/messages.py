"""What each mail says: one builder per kind, each with a plain-text and an HTML part.

Every line of a message is a block rendered twice, as text and as escaped HTML, so no
user-supplied string (an authenticator's name, a user's name) can reach the HTML part
unescaped. Subjects never carry a code: the outbox stores them in clear.

`to_mime` writes a message's bytes for SMTP itself: the email package, much slower (measured
by bench/run), serves only an address that is not plain ASCII.
"""

from __future__ import annotations

import binascii
import html
import re
import secrets
from dataclasses import dataclass, field
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from functools import lru_cache

_FOOTER = "This is an automatic security message from your account. Replies are not read."
_IF_NOT_YOU = (
    "If this wasn't you, change your password now and review your two-factor "
    "authentication settings, or contact your administrator."
)
_PURPOSES = {
    "sign-in": ("Your sign-in code", "Use this code to finish signing in:"),
    "confirmation": (
        "Your code to confirm a change to your two-factor authentication",
        "Use this code to confirm adding or removing an authenticator on your account:",
    ),
}


@dataclass(frozen=True)
class Email:
    """One message to one address, before it becomes MIME."""

    to: str
    subject: str
    # Out of the repr: they may carry a code.
    text: str = field(repr=False)
    html: str = field(repr=False)


@dataclass(frozen=True)
class _Code:
    """A one-time code, set apart so it is easy to read and to copy."""

    value: str


_Block = str | _Code


def _text(blocks: tuple[_Block, ...]) -> str:
    lines = [f"    {b.value}" if isinstance(b, _Code) else b for b in (*blocks, _FOOTER)]
    return "\n\n".join(lines) + "\n"


def _html_block(block: _Block) -> str:
    if isinstance(block, _Code):
        return (
            '<p style="font-size:28px;font-weight:bold;letter-spacing:6px;'
            f'font-family:monospace">{html.escape(block.value)}</p>'
        )
    return f"<p>{html.escape(block)}</p>"


def _html(subject: str, blocks: tuple[_Block, ...]) -> str:
    body = "\n".join(_html_block(b) for b in blocks)
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">\n'
        f"<title>{html.escape(subject)}</title></head>\n"
        '<body style="font-family:sans-serif;line-height:1.5;color:#222">\n'
        f"{body}\n"
        f'<p style="color:#777;font-size:12px">{html.escape(_FOOTER)}</p>\n'
        "</body></html>\n"
    )


def _compose(to: str, subject: str, *blocks: _Block) -> Email:
    return Email(to=to, subject=subject, text=_text(blocks), html=_html(subject, blocks))


def _minutes(minutes: int) -> str:
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def setup_code(to: str, name: str, code: str, minutes: int) -> Email:
    """The code that confirms a new email authenticator."""
    return _compose(
        to,
        "Confirm your new email authenticator",
        f'Use this code to finish setting up the email authenticator "{name}":',
        _Code(code),
        f"It expires in {_minutes(minutes)} and works once. Never share it with anyone.",
        _IF_NOT_YOU,
    )


def login_code(to: str, code: str, minutes: int, purpose: str) -> Email:
    """A code for signing in ("sign-in") or for confirming an added or removed authenticator ("confirmation")."""
    if purpose not in _PURPOSES:
        raise ValueError(f"unknown code purpose {purpose!r}; expected one of {sorted(_PURPOSES)}")
    subject, lead = _PURPOSES[purpose]
    return _compose(
        to,
        subject,
        lead,
        _Code(code),
        f"It expires in {_minutes(minutes)} and works once. Never share it with anyone.",
        "If this wasn't you, someone may know your password: change it now.",
    )


def authenticator_added(to: str, name: str, method_label: str) -> Email:
    """Notice that an authenticator was added."""
    return _compose(
        to,
        "An authenticator was added to your account",
        f'The authenticator "{name}" ({method_label}) was added to your two-factor '
        "authentication. It can now be used to sign in.",
        _IF_NOT_YOU,
    )


def authenticator_removed(to: str, name: str, method_label: str) -> Email:
    """Notice that an authenticator was removed."""
    return _compose(
        to,
        "An authenticator was removed from your account",
        f'The authenticator "{name}" ({method_label}) was removed from your two-factor '
        "authentication. It can no longer be used to sign in.",
        _IF_NOT_YOU,
    )


def security_key_suspended(to: str, name: str) -> Email:
    """Notice that a security key was suspended: its signature counter went backwards."""
    return _compose(
        to,
        "A security key of yours was suspended",
        f'The security key "{name}" answered with a signature counter that did not go up since its last use. '
        "That can mean the key was copied, so it is suspended: it can no longer be used. If you still have "
        "the key, remove it from your two-factor authentication and set it up again.",
        _IF_NOT_YOU,
    )


def recovery_codes_used(to: str, remaining: int) -> Email:
    """Notice that a recovery code was used; says how many are left."""
    if remaining == 0:
        left = "You have no recovery codes left: generate new ones from your profile now."
    elif remaining == 1:
        left = "You have 1 recovery code left. Consider generating new ones."
    else:
        left = f"You have {remaining} recovery codes left."
    return _compose(
        to,
        "A recovery code was used on your account",
        "A recovery code was just used on your account, to sign in or to confirm a change to "
        "your two-factor authentication. Each code works once.",
        left,
        _IF_NOT_YOU,
    )


def recovery_codes_regenerated(to: str) -> Email:
    """Notice that new recovery codes replaced the old ones."""
    return _compose(
        to,
        "New recovery codes were generated for your account",
        "New recovery codes were generated for your account. Your previous codes no longer work.",
        _IF_NOT_YOU,
    )


def two_factor_reset(to: str) -> Email:
    """Notice that an administrator reset the user's two-factor authentication."""
    return _compose(
        to,
        "Your two-factor authentication was reset",
        "An administrator reset your two-factor authentication: all your authenticators and "
        "recovery codes were removed and you were signed out everywhere.",
        "Set up two-factor authentication again the next time you sign in.",
        "If you did not ask for this, contact your administrator.",
    )


# The wire form


@dataclass(frozen=True)
class WireMessage:
    """One message as the SMTP server receives it: the envelope, then the message's bytes."""

    sender: str
    recipient: str
    data: bytes = field(repr=False)  # it may carry a code
    # An address is not ASCII: only a server that accepts UTF-8 (SMTPUTF8) can take it.
    smtputf8: bool = False


_CRLF = "\r\n"
# An address written as is: ASCII dot-atoms, which every parser reads back unchanged.
# Anything else (non-ASCII, quoted, a domain literal) goes through the email package.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*")
_MAX_ADDRESS = 254  # RFC 5321's longest path, less its angle brackets
# A subject written as is: printable ASCII, with no space at either end (unfolding would
# drop it), on one line of at most 78 characters with "Subject: ".
_PLAIN_SUBJECT = re.compile(r"[!-~](?:[ -~]{0,67}[!-~])?")
# Both parts are quoted-printable: 7-bit lines of at most 76 characters, so the message
# needs no SMTP extension and no line comes near the limit of 998.
_TEXT_PART = b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
_HTML_PART = b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'


@dataclass(frozen=True)
class _Sender:
    address: str  # the envelope sender
    domain: str  # for Message-IDs
    header: bytes | None  # the From line; None if the address is not plain ASCII


def to_mime(email: Email, mail_from: str) -> WireMessage:
    """A multipart/alternative message (text, then HTML, the part mail clients prefer).

    Written directly rather than built as an EmailMessage, for a fraction of the CPU.
    Raises ValueError on a line break in a header value: it could inject a header.
    """
    _refuse_line_breaks(email.to, email.subject, mail_from)
    sender = _sender(mail_from)
    if sender.header is None or not _is_plain(email.to):
        return _to_mime_slowly(email, mail_from, sender)
    # "=_" never occurs in quoted-printable text, so neither can the boundary.
    boundary = f"=_{secrets.token_hex(16)}"
    head = (
        f"To: {email.to}\r\n{_subject(email.subject)}"
        f"Date: {formatdate(usegmt=True)}\r\n"
        f"Message-ID: {make_msgid(domain=sender.domain)}\r\n"
        # RFC 3834: asks mail servers and clients not to send vacation auto-replies.
        "Auto-Submitted: auto-generated\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\n"
    )
    data = b"".join(
        (
            sender.header,
            head.encode("ascii"),
            _TEXT_PART,
            _quoted_printable(email.text),
            f"\r\n--{boundary}\r\n".encode("ascii"),
            _HTML_PART,
            _quoted_printable(email.html),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        )
    )
    return WireMessage(sender.address, email.to, data)


def _refuse_line_breaks(*values: str) -> None:
    # Every line break str.splitlines knows, as the email package checks, and a final one
    # too (which it lets through).
    for value in values:
        if "".join(value.splitlines()) != value:
            raise ValueError("a header value may not contain a line break")


def _is_plain(address: str) -> bool:
    return len(address) <= _MAX_ADDRESS and _PLAIN_ADDRESS.fullmatch(address) is not None


@lru_cache(maxsize=8)
def _sender(mail_from: str) -> _Sender:
    """The From setting, parsed and rendered once: the header registry is slow."""
    address = parseaddr(mail_from)[1]
    # An explicit domain: the default looks up this host's FQDN, which can block on DNS.
    domain = address.rpartition("@")[2] or "localhost"
    header = None
    if _is_plain(address):
        # The default policy encodes a non-ASCII display name (RFC 2047) and folds the line.
        value = policy.SMTP.header_store_parse("From", mail_from)[1]
        header = policy.SMTP.fold("From", value).encode("ascii")
    return _Sender(address, domain, header)


def _subject(subject: str) -> str:
    if "=?" not in subject and _PLAIN_SUBJECT.fullmatch(subject):
        return f"Subject: {subject}\r\n"
    # RFC 2047 encoded words, folded under 78 characters a line.
    encoded = Header(subject, "utf-8", header_name="Subject").encode(linesep=_CRLF)
    return f"Subject: {encoded}\r\n"


def _quoted_printable(text: str) -> bytes:
    # A line ends as the email package reads it (CR, LF or CRLF), and goes as CRLF.
    data = text.encode("utf-8").replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n")


def _to_mime_slowly(email: Email, mail_from: str, sender: _Sender) -> WireMessage:
    """Through EmailMessage, for an address that is not plain ASCII: rare, and correct first."""
    message = EmailMessage()
    # The default policy refuses CR/LF in header values, so a header cannot be injected.
    message["From"] = mail_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the bodies 7-bit: only the headers may need SMTPUTF8.
    message.set_content(email.text, cte="quoted-printable")
    message.add_alternative(email.html, subtype="html", cte="quoted-printable")
    # The envelope goes to email.to: the To header must name that address and no other.
    if [address.addr_spec for address in message["To"].addresses] != [email.to]:
        raise ValueError("the recipient is not a single address")
    smtputf8 = not (sender.address + email.to).isascii()
    data = message.as_bytes(policy=policy.SMTPUTF8 if smtputf8 else policy.SMTP)
    return WireMessage(sender.address, email.to, data, smtputf8)
