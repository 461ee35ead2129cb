"""Every security limit in one place, each with the reason it has that value."""

from datetime import timedelta

# TOTP (RFC 6238 §5.2): SHA-1, 6 digits and 30 s are what every authenticator app
# supports; one step of drift either way absorbs clock skew and typing time.
TOTP_DIGITS = 6
TOTP_PERIOD_SECONDS = 30
TOTP_DRIFT_STEPS = 1
TOTP_SECRET_BYTES = 20  # 160 bits, RFC 4226 R6's recommendation
TOTP_ALGORITHM = "SHA1"

# Email codes (ASVS 2.7.2/2.7.6): 6 digits (about 20 bits), valid 10 minutes.
EMAIL_CODE_DIGITS = 6
EMAIL_CODE_LIFETIME = timedelta(minutes=10)
# A resend of the same set-up or sign-in challenge waits this long, so one user cannot be
# mail-bombed through the API (the first code of a new one goes out at once).
RESEND_COOLDOWN = timedelta(seconds=30)
# At most this many code mails per user per hour for set-ups, confirmations and sign-ins from
# a known device (sign-ins from other sessions have SIGN_IN_SENDS_PER_HOUR of their own, below).
SENDS_PER_HOUR = 5
SEND_WINDOW = timedelta(hours=1)

# Wrong codes: 5 lock one set-up or one sign-in challenge, so a guesser has to start again.
ATTEMPTS_PER_VERIFICATION = 5
# Failures in a row for one user, across sessions and processes (RFC 4226 §7.3),
# before verification is refused for a growing wait.
USER_FAILURES_BEFORE_WAIT = 10
# The first wait, doubled at each further lock, capped (NIST 800-63B §5.2.2: "30 s up to an hour").
USER_WAIT_FIRST = timedelta(seconds=30)
USER_WAIT_MAX = timedelta(hours=1)

# A pending set-up lives as long as an email code, so an abandoned one does not linger.
SETUP_LIFETIME = timedelta(minutes=10)
# A sign-in that still owes a second factor (or a set-up) is short-lived.
PENDING_SESSION_LIFETIME = timedelta(minutes=10)
# A full session.
SESSION_LIFETIME = timedelta(days=7)
# Removing an authenticator needs a current code when the session proved a factor longer ago.
FRESH_FACTOR_WINDOW = timedelta(minutes=15)

# Security keys (WebAuthn): a challenge is answered within 5 minutes (the browser's prompt
# times out then too), so a challenge seen by someone else is soon worth nothing.
WEBAUTHN_CHALLENGE_LIFETIME = timedelta(minutes=5)

# Recovery codes: ten, each 10 characters of a 32-letter alphabet (50 bits), single use.
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10

# Authenticator names.
NAME_MAX_LENGTH = 64

# Session tokens: 256 bits from `secrets`, stored only as a SHA-256 hash.
SESSION_TOKEN_BYTES = 32

# Passwords: argon2id with explicit parameters at least OWASP's minimum (m=19 MiB, t=2, p=1).
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024  # a longer one only costs us hashing time

# Production secret keys must carry at least this much: 32 bytes of randomness.
SECRET_KEY_MIN_LENGTH = 32

# Per-user bounds, so one account (or whoever holds its password) cannot grow the tables or the
# server's work without limit.
# Open set-ups at once: a user finishes one or two; more is a script. A further one is refused
# (RATE_LIMITED) rather than cancelling an older one a user may still be scanning in another tab.
MAX_OPEN_SETUPS_PER_USER = 5
# Signed-in sessions (devices) per user: a sign-in beyond ends the oldest, never refuses the owner.
MAX_SESSIONS_PER_USER = 50
# Sign-ins still owing a second factor (or a set-up): the password alone opens these, so fewer.
MAX_PENDING_SESSIONS_PER_USER = 10
# Live subscriptions of one user in one server process (across connections): each event wakes
# every one of them. Per process, because that is what can be counted without a shared store.
MAX_SUBSCRIPTIONS_PER_USER = 20

# Clean-up, run on a schedule inside the server: rows past their use are deleted.
PURGE_INTERVAL = timedelta(minutes=10)
# An ended set-up stays this long after its expiry, so a client can still read how it ended.
SETUP_KEPT_AFTER_END = timedelta(days=1)
# Sent or given-up mail stays this long, to answer "did my code go out?".
OUTBOX_KEPT = timedelta(days=7)
# A used recovery code stays this long (the count left reads only unused ones).
USED_RECOVERY_CODE_KEPT = timedelta(days=30)

# Sessions follow the account (sessions page, DESIGN's "Sessions follow the account").
# A session's "last seen" is written at most this often: a list of devices needs no finer
# time, and every request writing it would cost a database write per request.
SESSION_SEEN_EVERY = timedelta(minutes=1)

# GraphQL documents: every document within these limits is parsed and validated in milliseconds.
# A document's text may have at most this many bytes (UTF-8): parsing reads every character
# (comments too), and the project's largest documents (GraphiQL's introspection query) are under 3 KiB.
MAX_DOCUMENT_BYTES = 16 * 1024
# Only texts this short (in characters) enter the parse and validation caches (schema/operation_checks.py,
# 128 entries), so the caches cannot be filled with big texts and their trees (a parsed
# document keeps every token: about 400 bytes each). The project's documents are under 400.
CACHED_DOCUMENT_MAX_CHARS = 1024
# Selections (fields, fragment spreads, inline fragments) with every fragment spread expanded,
# counted before validation: validation walks each of them. GraphiQL's introspection query has
# about 240, the project's own documents fewer than 40.
MAX_SELECTIONS = 400
# Fields of one response name at one place of the result (fragments expanded): validation
# compares them pairwise, so repeating one field hundreds of times costs seconds.
MAX_SAME_FIELD = 8
# Operations in one document: a request runs one of them, and validation walks each on its own
# (a few, as in a GraphiQL tab, are fine; a hundred cost more than all other limits allow).
MAX_OPERATIONS = 10
# Selection sets inside each other, through fields, inline fragments and fragment spreads:
# bounds the recursion of the checks (introspection's type references nest about 15 deep).
MAX_NESTING = 40
# A production secret key must also look random: its characters' Shannon entropy times its
# length at least this many bits (`secrets.token_urlsafe(32)` and `openssl rand -base64 32`
# estimate 170 or more, 32 random hex digits about 86 at the least, "a" repeated 32 times 0) ...
SECRET_KEY_MIN_BITS = 75
# ... and no stretch of this many characters repeated ("passwordpassword") or in a run
# ("abcdefgh", "87654321", "aaaaaaaa"); random keys have either about once in a million.
SECRET_KEY_PATTERN_LENGTH = 8

# No stranger can lock the owner out (OWASP "device cookies", NIST 800-63B §5.2.2): throttles
# slow a guesser down with a growing wait instead of closing the account, and a device that
# signed in before keeps an allowance of its own.
# Wrong passwords in a row for one account from clients without a device token: the first
# ones are free, then each further one doubles a wait, up to a cap. A streak is forgotten
# after a day, so a guesser gets at most `throttle.login_guesses_per_day()` a day (README).
LOGIN_FAILURES_BEFORE_WAIT = 10
LOGIN_WAIT_FIRST = timedelta(minutes=1)
LOGIN_WAIT_MAX = timedelta(minutes=15)
LOGIN_STREAK_LIFETIME = timedelta(days=1)
# The same for one client address, against one guesser trying many accounts: a proxy's many
# users share it, so more free failures in a shorter streak (what the old window allowed).
LOGIN_FAILURES_BEFORE_WAIT_PER_ADDRESS = 50
LOGIN_ADDRESS_STREAK_LIFETIME = timedelta(minutes=15)
# A known device (its token from an earlier sign-in with the password): this many wrong
# passwords in a row and the token is no longer trusted (it signs in like any other client).
DEVICE_LOGIN_FAILURES = 10
# A device token lasts this long after its last use. A user keeps at most this many that never
# passed a second factor, and apart from them this many that did (only the owner makes those).
DEVICE_LIFETIME = timedelta(days=180)
DEVICES_PER_USER = 20
PROVEN_DEVICES_PER_USER = 50
DEVICE_TOKEN_BYTES = 32  # 256 bits, like a session token
# Sign-in code mails of sessions not from a device that passed a second factor before: a
# budget of their own, so a stranger with the password cannot spend the owner's set-up sends.
SIGN_IN_SENDS_PER_HOUR = 5
