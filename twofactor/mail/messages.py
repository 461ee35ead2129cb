"""What each mail says: one builder per kind, each with a plain-text and an HTML part.

Every line of a message is a block rendered twice, as text and as escaped HTML, so no
user-supplied string (an authenticator's name, a user's name) can reach the HTML part
unescaped. Subjects never carry a code: the outbox stores them in clear.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

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
    text: str
    html: str


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


def to_mime(email: Email, mail_from: str) -> EmailMessage:
    """A multipart/alternative message (text, then HTML, the part mail clients prefer)."""
    message = EmailMessage()
    # The default policy refuses CR/LF in header values, so a header cannot be injected.
    message["From"] = mail_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    # An explicit domain: the default looks up this host's FQDN, which can block on DNS.
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    # RFC 3834: asks mail servers and clients not to send vacation auto-replies.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message
