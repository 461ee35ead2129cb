"""The security core on its own (no database): TOTP, codes, names, keyring, throttling, passwords, QR."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import re
import struct
import unicodedata
from collections import Counter
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import zxingcpp
from PIL import Image

from twofactor.security import codes, qr, rules, throttle, tokens, totp
from twofactor.security.keyring import DecryptionError, Keyring
from twofactor.security.names import clean_name, name_key
from twofactor.security.passwords import hash_password, hash_password_sync, password_problem, verify_password

# --- An independent TOTP (RFC 4226 §5.3 + RFC 6238 §4), written from the RFCs, not from pyotp. ---


def hotp_reference(key: bytes, counter: int, digits: int = 6) -> str:
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def totp_reference(key: bytes, unix_time: float, digits: int = 6, period: int = 30) -> str:
    return hotp_reference(key, int(unix_time // period), digits)


def b32_key(secret: str) -> bytes:
    """The key bytes of a base32 secret as apps read it (spaces ignored, padding optional)."""
    text = secret.replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


# RFC 6238 Appendix B, SHA-1 rows: (time, 8-digit TOTP). The seed is the ASCII "12345678901234567890".
RFC_SEED = b"12345678901234567890"
RFC_SHA1_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
RFC_SECRET_B32 = base64.b32encode(RFC_SEED).decode().rstrip("=")


@pytest.mark.parametrize(("unix_time", "expected"), RFC_SHA1_VECTORS)
def test_reference_totp_matches_rfc6238_appendix_b(unix_time: int, expected: str) -> None:
    assert totp_reference(RFC_SEED, unix_time, digits=8) == expected


@pytest.mark.parametrize(("unix_time", "expected"), RFC_SHA1_VECTORS)
def test_totp_agrees_with_rfc_vectors_and_reference(unix_time: int, expected: str) -> None:
    step = unix_time // 30
    six = expected[-6:]
    assert totp_reference(RFC_SEED, unix_time) == six
    assert totp.current_step(unix_time) == step
    assert totp.code_at(RFC_SECRET_B32, step) == six
    assert totp.matching_step(RFC_SECRET_B32, six, now=unix_time) == step


def test_totp_matches_reference_on_a_random_secret() -> None:
    secret = totp.new_secret()
    key = b32_key(secret)
    for unix_time in (0, 29, 30, 1_700_000_000, 1_700_000_029.9, 4_102_444_800):
        step = int(unix_time // 30)
        assert totp.code_at(secret, step) == totp_reference(key, unix_time)
        if step >= 2 and _window_codes_distinct(key, step):  # near the epoch the window reaches before it
            assert totp.matching_step(secret, totp_reference(key, unix_time), now=unix_time) == step


def _window_codes_distinct(key: bytes, step: int) -> bool:
    return len({hotp_reference(key, step + offset) for offset in range(-2, 3)}) == 5


def test_drift_one_step_either_way_accepted_two_refused() -> None:
    now = 1_111_111_111.0
    step = int(now // 30)
    assert _window_codes_distinct(RFC_SEED, step)  # otherwise a refusal below could be a false accept
    for offset, expected in ((-2, None), (-1, step - 1), (0, step), (1, step + 1), (2, None)):
        code = hotp_reference(RFC_SEED, step + offset)
        assert totp.matching_step(RFC_SECRET_B32, code, now=now) == expected, offset
    # Exactly 30 s either side of a step's window: still one step of drift.
    assert totp.matching_step(RFC_SECRET_B32, hotp_reference(RFC_SEED, step), now=now + 30) == step
    assert totp.matching_step(RFC_SECRET_B32, hotp_reference(RFC_SEED, step), now=now - 30) == step
    assert totp.matching_step(RFC_SECRET_B32, hotp_reference(RFC_SEED, step), now=now + 90) is None
    assert totp.matching_step(RFC_SECRET_B32, hotp_reference(RFC_SEED, step), now=now - 90) is None


def test_wrong_code_matches_no_step() -> None:
    now = 1_234_567_890.0
    step = int(now // 30)
    window = {hotp_reference(RFC_SEED, step + offset) for offset in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)
    assert totp.matching_step(RFC_SECRET_B32, wrong, now=now) is None


def test_secrets_are_160_bit_base32_and_random() -> None:
    made = {totp.new_secret() for _ in range(200)}
    assert len(made) == 200
    for secret in made:
        assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
        assert len(b32_key(secret)) * 8 == 160 == rules.TOTP_SECRET_BYTES * 8


def test_setup_key_groups_the_secret() -> None:
    secret = totp.new_secret()
    key = totp.setup_key(secret)
    assert key.replace(" ", "") == secret
    assert all(len(group) == 4 for group in key.split(" "))


def test_otpauth_uri_key_uri_format() -> None:
    secret = totp.new_secret()
    uri = totp.otpauth_uri(secret, "ada+x@example.test", "Help Center")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/Help Center:ada+x@example.test"
    query = {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}
    assert query == {"secret": secret, "issuer": "Help Center", "algorithm": "SHA1", "digits": "6", "period": "30"}


# --- What a code may look like. ---


@pytest.mark.parametrize(
    "raw",
    [
        "\u0660\u0661\u0662\u0663\u0664\u0665",  # Arabic-Indic digits: `\d` would take them
        "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5",  # Extended Arabic-Indic
        "\uff11\uff12\uff13\uff14\uff15\uff16",  # full-width digits
        "12345",
        "1234567",
        "' OR 1=1",
        "' OR '1'='1",
        "true",
        "null",
        "",
        "      ",
        "12345\n",
        "123456\x00",
        "12345a",
        "+12345",
        "1e5000",
        "\u00b9\u00b2\u00b3456",  # superscript digits
    ],
)
def test_normalize_code_refuses(raw: str) -> None:
    assert codes.normalize_code(raw) is None


@pytest.mark.parametrize(("raw", "expected"), [("123456", "123456"), ("123 456", "123456"), ("123-456", "123456")])
def test_normalize_code_accepts_six_ascii_digits(raw: str, expected: str) -> None:
    assert codes.normalize_code(raw) == expected


def test_email_codes_are_six_ascii_digits() -> None:
    made = [codes.new_email_code() for _ in range(300)]
    assert all(re.fullmatch(r"[0-9]{6}", c) for c in made)
    assert len(set(made)) > 250  # random, not a counter or a constant


def test_code_digest_is_bound_to_key_and_purpose() -> None:
    key, other_key = b"k" * 32, b"q" * 32
    digest = codes.code_digest(key, "setup:1", "123456")
    assert "123456" not in digest
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert codes.digest_matches(digest, codes.code_digest(key, "setup:1", "123456"))
    assert not codes.digest_matches(digest, codes.code_digest(key, "setup:2", "123456"))
    assert not codes.digest_matches(digest, codes.code_digest(other_key, "setup:1", "123456"))
    assert not codes.digest_matches(digest, codes.code_digest(key, "setup:1", "123457"))


# --- Recovery codes. ---


def test_recovery_codes_ten_unique_in_alphabet() -> None:
    made = codes.new_recovery_codes()
    assert len(made) == rules.RECOVERY_CODE_COUNT == 10
    assert len(set(made)) == 10
    alphabet = set(codes.RECOVERY_ALPHABET)
    assert not alphabet & set("01ILO")  # nothing that reads two ways on paper
    for code in made:
        assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code), code
        assert set(code.replace("-", "")) <= alphabet
    # Another batch shares nothing with the first.
    assert not set(made) & set(codes.new_recovery_codes())


def test_normalize_recovery_code() -> None:
    code = codes.new_recovery_codes()[0]
    plain = code.replace("-", "")
    assert codes.normalize_recovery_code(code) == plain
    assert codes.normalize_recovery_code(code.lower()) == plain
    assert codes.normalize_recovery_code(f" {plain[:3]} {plain[3:]} ") == plain
    for bad in (plain[:-1], plain + "2", "0" * 10, "IIIII-LLLLL", "' OR 1=1--", "", "\uff21" * 10, code + "\n"):
        assert codes.normalize_recovery_code(bad) is None, bad


# --- Authenticator names. ---


def test_clean_name_trims_and_normalizes_to_nfc() -> None:
    assert clean_name("  Phone  ") == ("Phone", None)
    name, problem = clean_name("Caf" + "e\u0301")
    assert problem is None
    assert name == "Caf\u00e9"
    assert unicodedata.is_normalized("NFC", name)
    assert clean_name("\u2003Tablet\u00a0") == ("Tablet", None)


def test_clean_name_length() -> None:
    assert clean_name("x" * 64) == ("x" * 64, None)
    assert clean_name(" " + "x" * 64 + " ") == ("x" * 64, None)
    # 64 characters after NFC even when the input had 128 code points.
    assert clean_name("e\u0301" * 64) == ("\u00e9" * 64, None)
    for too_long in ("x" * 65, "x" * 10_000, "\U0001f4f1" * 65):
        name, problem = clean_name(too_long)
        assert name is None
        assert problem


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "\t\n ",
        "\u3000",
        "Phone\u202eenohp",  # right-to-left override
        "Ph\u200bone",  # zero-width space
        "Ph\u200done",  # zero-width joiner
        "\ufeffPhone",  # byte order mark
        "Phone\u2066x\u2069",  # isolates
        "Pho\x00ne",
        "Pho\nne",
        "Pho\rne",
        "Pho\u2028ne",  # line separator
        "Pho\x1bne",
        "Pho\x7fne",
        "\ud800",  # lone surrogate
        "\U000f0000",  # private use
        "\u0378",  # unassigned
    ],
)
def test_clean_name_refuses(raw: str) -> None:
    name, problem = clean_name(raw)
    assert name is None
    assert problem


def test_clean_name_keeps_markup_and_emoji_as_text() -> None:
    for text in ("<script>alert(1)</script>", "'; DROP TABLE authenticators;--", "Phone \U0001f4f1", "Телефон"):
        assert clean_name(text) == (text, None)


def test_name_key_ignores_case() -> None:
    assert name_key("Phone") == name_key("phone") == name_key("PHONE")
    assert name_key("Stra\u00dfe") == name_key("STRASSE")
    assert name_key("\u00c9cran") == name_key("\u00e9cran")
    assert name_key("Phone") != name_key("Phone 2")


# --- Secrets at rest. ---

KEY_A = "a-secret-key-for-tests-that-is-long-enough-0001"
KEY_B = "a-secret-key-for-tests-that-is-long-enough-0002"
KEY_C = "a-secret-key-for-tests-that-is-long-enough-0003"


def test_keyring_round_trip_and_ciphertext() -> None:
    ring = Keyring([KEY_A])
    secret = totp.new_secret()
    sealed = ring.encrypt(secret, "totp-secret:user:1")
    assert secret not in sealed
    assert secret.encode() not in base64.b64decode(sealed.split(":")[-1])
    assert ring.decrypt(sealed, "totp-secret:user:1") == secret
    # A fresh nonce each time: the same secret never gives the same ciphertext.
    assert ring.encrypt(secret, "totp-secret:user:1") != sealed


def test_keyring_context_is_authenticated() -> None:
    ring = Keyring([KEY_A])
    sealed = ring.encrypt("JBSWY3DPEHPK3PXP", "totp-secret:user:1")
    with pytest.raises(DecryptionError):
        ring.decrypt(sealed, "totp-secret:user:2")


def test_keyring_tampering_fails_closed() -> None:
    ring = Keyring([KEY_A])
    sealed = ring.encrypt("JBSWY3DPEHPK3PXP", "ctx")
    version, key_id, payload = sealed.split(":")
    raw = bytearray(base64.b64decode(payload))
    raw[-1] ^= 1
    for bad in (
        f"{version}:{key_id}:{base64.b64encode(bytes(raw)).decode()}",
        f"v0:{key_id}:{payload}",
        "JBSWY3DPEHPK3PXP",
        "",
        f"{version}:{key_id}:!!!",
    ):
        with pytest.raises(DecryptionError):
            ring.decrypt(bad, "ctx")


def test_keyring_rotation() -> None:
    old = Keyring([KEY_A])
    sealed = old.encrypt("JBSWY3DPEHPK3PXP", "ctx")
    rotated = Keyring([KEY_B, KEY_A])
    assert rotated.decrypt(sealed, "ctx") == "JBSWY3DPEHPK3PXP"
    assert rotated.needs_rotation(sealed)
    resealed = rotated.encrypt("JBSWY3DPEHPK3PXP", "ctx")
    assert not rotated.needs_rotation(resealed)
    assert Keyring([KEY_B]).decrypt(resealed, "ctx") == "JBSWY3DPEHPK3PXP"
    # New codes are digested with the newest key, old digests stay checkable.
    assert rotated.digest_key == Keyring([KEY_B]).digest_key
    assert old.digest_key in rotated.digest_keys
    # A key that was never configured cannot read anything: fail closed.
    with pytest.raises(DecryptionError) as raised:
        Keyring([KEY_C]).decrypt(sealed, "ctx")
    assert KEY_A not in str(raised.value)
    assert sealed not in str(raised.value)
    assert raised.value.__cause__ is None


def test_keyring_shows_no_key() -> None:
    ring = Keyring([KEY_A, KEY_B])
    for text in (repr(ring), str(ring)):
        assert KEY_A not in text
        assert KEY_B not in text
        assert ring.digest_key.hex() not in text
    with pytest.raises(ValueError):
        Keyring([])


# --- Throttling. ---


def test_wait_after_grows_and_is_capped() -> None:
    for failures in range(rules.USER_FAILURES_BEFORE_WAIT):
        assert throttle.wait_after(failures) is None
    assert throttle.wait_after(10) == timedelta(seconds=30)
    assert throttle.wait_after(11) == timedelta(seconds=60)
    assert throttle.wait_after(12) == timedelta(seconds=120)
    waits = [throttle.wait_after(n) for n in range(10, 40)]
    assert all(w is not None for w in waits)
    assert waits == sorted(w for w in waits if w is not None)
    assert max(w for w in waits if w is not None) == timedelta(hours=1)
    for failures in (17, 100, 10**6, 10**12):
        assert throttle.wait_after(failures) == timedelta(hours=1)


# --- Session tokens. ---


def test_tokens_are_256_bit_and_stored_as_sha256() -> None:
    made = {tokens.new_token() for _ in range(100)}
    assert len(made) == 100
    token = made.pop()
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) == 32
    assert tokens.token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in tokens.token_hash(token)


# --- Passwords. ---


def _argon2_parameters(encoded: str) -> tuple[str, dict[str, int]]:
    match = re.fullmatch(r"\$(argon2(?:id|i|d))\$v=19\$([^$]+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+", encoded)
    assert match, encoded
    params = {k: int(v) for k, v in (item.split("=") for item in match.group(2).split(","))}
    return match.group(1), params


async def test_password_hash_is_argon2id_with_owasp_parameters() -> None:
    for encoded in (hash_password_sync("correct horse battery"), await hash_password("correct horse battery")):
        kind, params = _argon2_parameters(encoded)
        assert kind == "argon2id"
        assert params["m"] >= 19456
        assert params["t"] >= 2
        assert params["p"] == 1
        assert "correct horse battery" not in encoded


async def test_verify_password() -> None:
    stored = await hash_password("correct horse battery")
    assert await verify_password(stored, "correct horse battery") is True
    assert await verify_password(stored, "correct horse batterY") is False
    assert await verify_password(None, "correct horse battery") is False
    assert await verify_password(None, "") is False
    # Not even the password of the hash that a missing one is timed against.
    assert await verify_password(None, "twofactor-timing-equalizer") is False
    assert await verify_password("not a hash", "correct horse battery") is False
    assert await verify_password(stored, "x" * 5000) is False
    # Salted: the same password never hashes the same way twice.
    assert await hash_password("correct horse battery") != stored


@pytest.mark.parametrize("work", ["hash", "verify", "verify an unknown account"])
async def test_password_hashing_does_not_block_the_event_loop(work: str) -> None:
    # Hashing at set-up and verifying at every sign-in (also for no account: the same cost).
    stored = hash_password_sync("correct horse battery") if work == "verify" else None
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = ticks
    if work == "hash":
        await hash_password("correct horse battery")
    else:
        await verify_password(stored, "correct horse battery")
    during = ticks - before
    done.set()
    await task
    # argon2 takes milliseconds; on the loop the ticker could not have run while it did.
    assert during > 2


def test_password_problem() -> None:
    assert password_problem("short") is not None
    assert password_problem("x" * 1025) is not None
    assert password_problem("long enough password") is None


# --- QR codes. ---


def svg_to_image(svg: str) -> Image.Image:
    """Rasterize the QR SVG that segno writes (one stroked path of M/m/h/H/v/V moves), with Pillow only."""
    assert svg.lstrip().startswith("<svg")
    size = re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg)
    assert size, "no width and height on the SVG"
    width, height = float(size.group(1)), float(size.group(2))
    path = re.search(r'<path([^>]*)\bd="([^"]+)"', svg)
    assert path, "no path in the SVG"
    scale_match = re.search(r'transform="scale\(([\d.]+)\)"', path.group(1))
    scale = float(scale_match.group(1)) if scale_match else 1.0
    pixels = 8  # per module
    columns, rows = round(width / scale), round(height / scale)
    image = Image.new("L", (columns * pixels, rows * pixels), 255)
    x = y = 0.0
    for command, argument_text in re.findall(r"([MmHhVvZz])([^MmHhVvZz]*)", path.group(2)):
        numbers = [float(n) for n in re.findall(r"-?[\d.]+", argument_text)]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command in "hH":
            end = x + numbers[0] if command == "h" else numbers[0]
            row = int(y)  # segno strokes the middle of each module row (y + 0.5)
            left, right = sorted((x, end))
            image.paste(0, (round(left * pixels), row * pixels, round(right * pixels), (row + 1) * pixels))
            x = end
        elif command in "vV":
            y = y + numbers[0] if command == "v" else numbers[0]
        else:
            raise AssertionError(f"unexpected path command {command}")
    return image


def decode_one(image: Image.Image) -> str:
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, found
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    text: str = found[0].text
    return text


def test_qr_images_encode_the_uri() -> None:
    uri = totp.otpauth_uri(totp.new_secret(), "ada@example.test", "Help Center")
    svg, png = qr.qr_images(uri)
    assert png.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(png.removeprefix("data:image/png;base64,"), validate=True)))
    assert image.format == "PNG"
    assert decode_one(image.convert("L")) == uri
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert decode_one(svg_to_image(svg)) == uri
    assert uri not in svg  # the SVG carries the symbol, not the secret in clear text


def test_recovery_code_characters_are_uniform_at_every_position() -> None:
    """Each code is one random number written in base 31: no position may favour a character."""
    made = [code.replace("-", "") for _ in range(500) for code in codes.new_recovery_codes()]
    expected = len(made) / len(codes.RECOVERY_ALPHABET)  # ~161 per character and position
    for position in range(len(made[0])):
        seen = Counter(code[position] for code in made)
        assert set(seen) == set(codes.RECOVERY_ALPHABET), position
        # 40% off is over 5 standard deviations (~12.5 here): chance never gets there, a bias would.
        assert all(0.6 * expected < count < 1.4 * expected for count in seen.values()), (position, seen)
