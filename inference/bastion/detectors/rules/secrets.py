"""Secrets: API keys and tokens, JWTs, PEM private keys, and passwords (assignments,
connection strings, prose).

Password findings cover the value only, so the text around it stays readable.

>>> [(f.label, f.start, f.end) for f in PASSWORD_ASSIGNMENT.scan("GET /a?password=S3cr3t9x&user=jo")]
[('PASSWORD', 16, 24)]
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence

from bastion.detectors.recognizers import Recognizer, Span, rescan
from bastion.detectors.validators import documented_example_key, jwt_ok, looks_like_secret, shannon_entropy
from bastion.types import Finding

_CTX_KEY = ("key", "token", "secret", "api", "credential", "auth", "bearer")
_CTX_AWS_SECRET = (
    "aws_secret_access_key", "aws secret", "secret access key", "secret_access_key", "aws_secret",
    "secretaccesskey", "aws secret key", "secret", "geheimschlüssel", "clé secrète", "clave secreta",
    "chave secreta", "chiave segreta",
)  # fmt: skip
_AWS_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "AROA", "APKA")


def _mixed_key(value: str) -> bool:
    """Letters and digits and some entropy: a generated token, not a word with a prefix."""
    return (
        any(c.isdigit() for c in value) and any(c.isalpha() for c in value) and shannon_entropy(value) >= 3.0
    )


_EXAMPLE_WORD = re.compile(
    r"(?i)(?<![a-z0-9_./@])(?:examples?|samples?|documented|documentation|docs|dummy|placeholder|fake)(?![a-z0-9_]|\.[a-z])"
)


def _documented_example(text: str, s: int, e: int) -> bool:
    """AWS's published example key ("AKIAIOSFODNN7EXAMPLE") where the text around it says it
    is an example (docs, botocore's example files): no one's credential."""
    return documented_example_key(text[s:e]) and (
        _EXAMPLE_WORD.search(text, max(0, s - 100), s) is not None
        or _EXAMPLE_WORD.search(text, e, e + 60) is not None
    )


def _unless_example(text: str, s: int, e: int) -> Span | None:
    return None if _documented_example(text, s, e) else (s, e)


def _mixed_secret(value: str) -> bool:
    """Upper, lower and a digit, and high entropy: a generated key, not a word or a hash."""
    return (
        any(c.isdigit() for c in value)
        and any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and shannon_entropy(value) >= 4.0
    )


# symbols a password generator or a person adds to a password
_PW_SYMBOLS = frozenset("!@#$%^&*+=?~")


def _credential_shaped(value: str) -> bool:
    """A generated key (``_mixed_secret``, or 16+ letters and digits with entropy) or a
    password with letters, a digit and a symbol ("Rd9$kLm2pQ", "MyP@ssw0rd!"): what no
    field name, type or variable looks like."""
    if any(c.isspace() or c in "[]|" for c in value) or re.search(r"[A-Za-z_]\w*\.[A-Za-z_]", value):
        return False  # an expression: "StreamDescription.Shards[-1].ShardId"
    return (
        _mixed_secret(value)
        or (len(value) >= 16 and _mixed_key(value))
        or (
            any(c.isdigit() for c in value)
            and any(c.isalpha() for c in value)
            and any(c in _PW_SYMBOLS for c in value)
        )
    )


def _key(name: str, pattern: str, literals: tuple[str, ...], score: float = 0.95, **kw: object) -> Recognizer:
    """An API_KEY recognizer; ``literals``, one of which must occur, skip the scan for
    the vast majority of texts."""
    return Recognizer(name, "API_KEY", re.compile(pattern), score, _CTX_KEY, literals=literals, **kw)  # type: ignore[arg-type]


_A = r"A-Za-z0-9"


def _openai_key(value: str) -> bool:
    """A generated key after "sk-", not a slug or a CSS class ("sk-learn-pipelines-2024",
    "sk-circle-bounce-delay-12"): real keys carry one long random segment (legacy 48
    characters, the body after "proj-" / "svcacct-" / "or-v1-" 32 and more); words
    joined by hyphens are all short."""
    return _mixed_key(value) and any(
        len(seg) >= 16
        and shannon_entropy(seg) >= 3.0
        and (
            (any(c.isdigit() for c in seg) and any(c.isalpha() for c in seg))
            or (any(c.isupper() for c in seg) and any(c.islower() for c in seg))
        )
        for seg in value[3:].split("-")
    )


# Vendor keys with a fixed prefix, in scan order. The generic "sk-" reading scores lower:
# other vendors use the prefix too. Lengths are capped far above today's keys (sk-proj-
# keys are ~164 characters and grow): with the look-ahead a key longer than the cap is
# dropped whole, so the cap is a sanity bound, not the vendor's length.
API_KEYS: tuple[Recognizer, ...] = (
    # (AWS's documented example ids, "AKIAIOSFODNN7EXAMPLE", are in every SDK's docs)
    _key(
        "aws_access_key_id", rf"(?<![{_A}])(?:{'|'.join(_AWS_PREFIXES)})[A-Z0-9]{{16}}(?![{_A}])", _AWS_PREFIXES,
        trim=_unless_example,
    ),
    _key(
        "github_token", rf"(?<![{_A}_])(?:gh[pousr]_[{_A}]{{36,1024}}|github_pat_[{_A}_]{{22,1024}})(?![{_A}_])",
        ("gh", "github_pat_"),
    ),
    _key(
        "slack_token", rf"(?<![{_A}])(?:xox[baprs]|xapp)-[{_A}]+(?:-[{_A}]+){{1,6}}(?![{_A}\-])", ("xox", "xapp-"),
        validator=_mixed_key,
    ),
    _key("huggingface_token", rf"(?<![{_A}_])hf_[{_A}]{{30,40}}(?![{_A}_])", ("hf_",), validator=_mixed_key),
    _key("stripe_key", rf"(?<![{_A}_])(?:sk|rk)_live_[{_A}]{{16,1024}}(?![{_A}])", ("_live_",)),
    # A test-mode key still reads and writes the account's test data; docs placeholders
    # ("sk_test_xxxxxxxxxxxxxxxx") have no digit and stay out.
    _key(
        "stripe_test_key", rf"(?<![{_A}_])(?:sk|rk)_test_[{_A}]{{16,1024}}(?![{_A}])", ("_test_",),
        validator=_mixed_key,
    ),
    # Stripe (and Svix) webhook signing secrets: whoever holds one can forge events
    _key(
        "webhook_signing_secret", rf"(?<![{_A}_])whsec_[{_A}+/]{{24,128}}={{0,2}}(?![{_A}+/=])", ("whsec_",),
        validator=_mixed_key,
    ),
    _key("npm_token", rf"(?<![{_A}_])npm_[{_A}]{{30,40}}(?![{_A}])", ("npm_",), validator=_mixed_key),
    # PyPI upload tokens are macaroons: "pypi-" and the base64 of their fixed header
    _key("pypi_token", r"(?<![A-Za-z0-9_\-])pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,1024}(?![A-Za-z0-9_\-])", ("pypi-",)),
    _key(
        "anthropic_key", rf"(?<![{_A}_\-])sk-ant-[{_A}_\-]{{20,1024}}(?![{_A}_\-])", ("sk-ant-",),
        validator=_mixed_key,
    ),
    _key(
        "openai_style_key", rf"(?<![{_A}_\-])sk-(?!ant-)[{_A}_\-]{{20,1024}}(?![{_A}_\-])", ("sk-",), 0.85,
        validator=_openai_key,
    ),
    _key("google_api_key", r"(?<![A-Za-z0-9_\-])AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])", ("AIza",)),
)  # fmt: skip

JWT = _key(
    "jwt",
    r"(?<![A-Za-z0-9_\-.])eyJ[A-Za-z0-9_\-]{5,4096}\.[A-Za-z0-9_\-]{2,8192}\.[A-Za-z0-9_\-]{0,4096}(?![A-Za-z0-9_\-])",
    ("eyJ",), validator=jwt_ok, validator_name="jwt", validated=True,
)  # fmt: skip

_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# the secret's field name spelled out, which may stand farther away than the context window
# (a Markdown table header two rows up, a comment line between the key and its value)
_AWS_SECRET_NAME = re.compile(r"(?i)secret[_ \-]?access[_ \-]?key")
_AWS_NEAR = 200


def _near(positions: Sequence[int], at: int, before: int, after: int) -> bool:
    """Whether a sorted position lies in ``[at - before, at + after]``."""
    i = bisect.bisect_left(positions, at - before)
    return i < len(positions) and positions[i] <= at + after


def _aws_secrets_near_key_id(text: str, taken: Sequence[Finding]) -> Iterator[Span]:
    # A found access key id is the strongest context its secret can have: the two are
    # handed out, pasted and leaked together, and redacting only the (non-secret) id
    # would send the secret on.
    ids = sorted(
        f.start
        for f in taken
        if f.label == "API_KEY" and f.end - f.start == 20 and text[f.start : f.start + 4] in _AWS_PREFIXES
    )
    names = [m.end() for m in _AWS_SECRET_NAME.finditer(text)]
    if not ids and not names:
        return
    for m in _AWS_SECRET.finditer(text):
        s = m.start()
        if (_near(ids, s, _AWS_NEAR, _AWS_NEAR) or _near(names, s, _AWS_NEAR, 0)) and not _documented_example(
            text, s, m.end()
        ):
            yield m.span()


_HEX32 = re.compile(r"(?<![A-Za-z0-9])[0-9a-f]{32}(?![A-Za-z0-9])")
_TWILIO_SID = re.compile(r"(?<![A-Za-z0-9])AC[0-9a-f]{32}(?![A-Za-z0-9])")
# "auth token" and the token, at most a separator or a quote between
_AUTH_TOKEN_BEFORE = re.compile(r"(?i)(?<![a-z])auth[ _\-]?token[\"']?[ \t]{0,4}[:=]?[ \t]{0,4}[\"']?$")


_DIGEST_BEFORE = re.compile(
    r"(?i)(?:md5|sha1?|etag|hash|checksum|digest)[\"']?[ \t]{0,2}[:=][ \t]{0,2}[\"']?$"
)


def _twilio_auth_tokens(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    # A Twilio auth token is 32 lower-case hex digits, like an MD5 or a git-ish id; next to
    # an account SID (Twilio's quick start passes the two together) or right after "auth
    # token" it is the token.
    sids = [m.start() for m in _TWILIO_SID.finditer(text)]
    for m in _HEX32.finditer(text):
        s = m.start()
        if _AUTH_TOKEN_BEFORE.search(text[max(0, s - 24) : s]):
            yield m.span()
        elif _near(sids, s, 100, 100) and not _DIGEST_BEFORE.search(text[max(0, s - 12) : s]):
            yield m.span()  # (not a digest named as one: "md5=5d41...", "etag: ...")


def _hex_entropy(value: str) -> bool:
    return shannon_entropy(value) >= 3.0


# Incoming-webhook URLs carry their credential in the path: whoever holds one posts to the
# channel. Validated, so the API key wins over the URL reading of the same span (with URLs
# allowed by policy, the webhook must still be caught). Docs placeholders
# (".../T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX") fail the entropy check of the token.
_WEBHOOK = re.compile(
    r"(?<![A-Za-z0-9.\-])(?:https?://)?(?:hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,12}"
    r"(?:/[A-Za-z0-9]{6,24}){1,2}/[A-Za-z0-9]{20,48}"
    r"|(?:ptb\.|canary\.)?discord(?:app)?\.com/api/(?:v[0-9]{1,2}/)?webhooks/[0-9]{15,21}/[A-Za-z0-9_\-]{60,100})"
    r"(?![A-Za-z0-9_\-])"
)


def _webhook_ok(value: str) -> bool:
    token = value.rsplit("/", 1)[-1]
    return _mixed_key(token) or _mixed_secret(token)


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _wif_ok(value: str) -> bool:
    """A Bitcoin private key in Wallet Import Format: Base58Check of 0x80, the 32-byte key
    and, for a compressed key, 0x01.

    >>> _wif_ok("5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"), _wif_ok("5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTK")
    (True, False)
    """
    import hashlib

    n = 0
    for c in value:
        i = _B58.find(c)
        if i < 0:
            return False
        n = n * 58 + i
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    if not (len(raw) == 37 or (len(raw) == 38 and raw[33] == 1)) or raw[0] != 0x80:
        return False
    return hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]


_HEX_KEY = re.compile(r"(?<![A-Za-z0-9])(?:0x)?[0-9a-fA-F]{64}(?![A-Za-z0-9])")
# "private key" close before a 64-hex run: a wallet key (Ethereum, raw secp256k1/ed25519);
# a digest of the key or an address ("the sha256 fingerprint of the private key is ...",
# "the hash of the private key is ...") names itself in the same window
_HEX_KEY_NAME = re.compile(r"(?i)(?<![a-z])priv(?:ate)?[ _\-]?key")
_DIGEST_WORD = re.compile(
    r"(?i)(?<![a-z])(?:fingerprints?|hash(?:es|ed)?|sha|digests?|checksums?|public|address(?:es)?)(?![a-z])"
)


_TX_BEFORE = re.compile(
    r"(?i)(?<![a-z])(?:tx|txid|tx hash|transaction hash|tx id)[ \t]{0,2}[:=#]?[ \t]{0,2}$"
)


def _hex_private_keys(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    for m in _HEX_KEY.finditer(text):
        s = m.start()
        # the name may stand a clause before the key ("the private key, which you must never
        # share, is ..."); a digest word counts from a few words before the name on
        before = text[max(0, s - 120) : s]
        names = list(_HEX_KEY_NAME.finditer(before))
        near = before[max(0, names[-1].start() - 32) :] if names else before
        if names and _DIGEST_WORD.search(near) is None and _hex_entropy(m.group()):
            if _TX_BEFORE.search(before):
                continue  # "... signed with the private key; tx 5c50...": the hash named just before it
            yield m.span()


# Keys of cloud vendors without a telling prefix, or inside a larger string.
CLOUD_KEYS: tuple[Recognizer, ...] = (
    Recognizer(
        "aws_secret_access_key", "API_KEY", _AWS_SECRET,
        0.95, _CTX_AWS_SECRET, _mixed_secret, "entropy", False, True, trim=_unless_example,
    ),
    Recognizer(
        "aws_secret_near_key_id", "API_KEY", None, 0.9, (), _mixed_secret, "entropy",
        find=_aws_secrets_near_key_id, after=True,
        literals=(*_AWS_PREFIXES, "ecret", "ECRET"),
    ),
    # AccountKey= in a connection string; --account-key on the az command line; the env and
    # config names the SDKs read (AZURE_STORAGE_KEY, account_key, "AccountKey": ...)
    _key(
        "azure_storage_key",
        r"(?i:AccountKey=|--account-key(?:[ \t]{1,4}|=)[\"']?"
        r"|(?<![a-z])(?:account|storage(?:[_\-]?account)?)[_\-]?key[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?)"
        r"([A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])",
        ("ccountKey", "CCOUNTKEY", "ccount-key", "ccount_key", "CCOUNT_KEY", "ccountkey", "torage_key", "TORAGE_KEY",
         "torage-key", "torageKey", "torageKEY", "toragekey", "TORAGEKEY"), group=1,
    ),
    # Service Bus / Event Hubs / IoT Hub connection strings, and a SAS token's signature
    _key(
        "azure_shared_access_key", r"(?i:SharedAccessKey)=([A-Za-z0-9+/]{40,88}={0,2})(?![A-Za-z0-9+/=])",
        ("haredAccessKey=", "HAREDACCESSKEY=", "haredaccesskey="), group=1,
    ),
    _key(
        "azure_sas_signature", r"(?<![A-Za-z0-9])sig=((?:[A-Za-z0-9+/]|%2[BbFf]){30,120}(?:=|%3[Dd]){0,2})(?![A-Za-z0-9%])",
        ("sig=",), 0.9, group=1, validator=_mixed_secret,
    ),
    _key(
        "azure_client_secret",
        r"(?<![A-Za-z0-9_~.\-])[A-Za-z0-9_~.\-]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34}(?![A-Za-z0-9_~.\-])", ("Q~",), 0.9,
    ),
    _key("gcp_oauth_client_secret", r"(?<![A-Za-z0-9_\-])GOCSPX-[A-Za-z0-9_\-]{28}(?![A-Za-z0-9_\-])", ("GOCSPX-",)),
    _key("gcp_access_token", r"(?<![A-Za-z0-9_\-.])ya29\.[0-9A-Za-z_\-]{20,2048}(?![A-Za-z0-9_\-])", ("ya29.",)),
    _key("twilio_api_key", r"(?<![A-Za-z0-9])SK[0-9a-f]{32}(?![A-Za-z0-9])", ("SK",), 0.9),
    Recognizer(
        "twilio_auth_token", "API_KEY", None, 0.9, _CTX_KEY, _hex_entropy, "entropy", find=_twilio_auth_tokens,
        literals=("AC", "uth", "UTH"),
    ),
    _key(
        "sendgrid_api_key", r"(?<![A-Za-z0-9_\-.])SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-])",
        ("SG.",),
    ),
    _key(
        "gitlab_token", r"(?<![A-Za-z0-9_\-])gl(?:pat|dt|rt|ptt|soat|cbt|ft)-[0-9A-Za-z_\-]{20,64}(?![A-Za-z0-9_\-])",
        ("gl",),
    ),
    _key(
        "webhook_url", _WEBHOOK.pattern, ("hooks.slack.com", "/webhooks/"), validator=_webhook_ok,
        validator_name="entropy", validated=True,
    ),
    # Wallet keys: a WIF string is checksummed (so validated, no context needed); a bare
    # 64-hex key needs "private key" just before it
    Recognizer(
        "bitcoin_wif_key", "PRIVATE_KEY", re.compile(r"(?<![A-Za-z0-9])[5KL][1-9A-HJ-NP-Za-km-z]{50,51}(?![A-Za-z0-9])"),
        1.0, (), _wif_ok, "base58check", True,
    ),
    Recognizer(
        "hex_private_key", "PRIVATE_KEY", None, 0.9, find=_hex_private_keys, literals=("rivate", "RIVATE", "riv", "RIV"),
    ),
)  # fmt: skip

# PEM ("RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", ...) and OpenPGP ("PGP PRIVATE KEY BLOCK") armour
_PEM_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----")
# the rest of the BEGIN line, "Header: value" lines and blank lines (PGP has one before the
# body), then lines of base64; a blank line after the base64 ends the block
_PEM_BODY = re.compile(
    r"(?:[ \t]{0,8}(?:[A-Za-z-]{1,30}:[^\n]{0,200})?\r?\n){0,16}"
    r"(?:[ \t]{0,8}[A-Za-z0-9+/=]{1,100}[ \t]{0,8}\r?\n?){0,4096}"
)


# A PEM key base64-encoded once more, as kubeconfig ("client-key-data") and Kubernetes
# Secrets ("tls.key", "ssh-privatekey") store it: "LS0tLS1CRUdJTi" is base64 of "-----BEGIN",
# and the decoded head says whether a private key follows (not a certificate).
_PEM_B64 = re.compile(r"(?<![A-Za-z0-9+/])LS0tLS1CRUdJTi[A-Za-z0-9+/]{20,65536}={0,2}(?![A-Za-z0-9+/=])")
_B64_LINE = re.compile(r"\r?\n[ \t]{0,16}([A-Za-z0-9+/]{1,100}={0,2})(?![A-Za-z0-9+/=])")


def _pem_b64_keys(text: str) -> Iterator[Span]:
    import base64
    import binascii

    for m in _PEM_B64.finditer(text):
        head = m.group()[:80]
        try:
            decoded = base64.b64decode(head[: len(head) // 4 * 4]).decode("ascii", "replace")
        except (binascii.Error, ValueError):
            continue
        if not _PEM_BEGIN.match(decoded):
            continue
        # wrapped output (base64 at 64 or 76 columns): full-width lines, then a shorter last one
        end, width = m.end(), m.end() - m.start()
        while width in (64, 76) and (line := _B64_LINE.match(text, end)) is not None:
            end = line.end()
            if line.end(1) - line.start(1) != width:
                break
        yield m.start(), end


def _private_keys(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    if "LS0tLS1CRUdJTi" in text:
        yield from _pem_b64_keys(text)
    if "PRIVATE KEY" not in text:
        return
    pos = 0
    no_more_end = False
    while (m := _PEM_BEGIN.search(text, pos)) is not None:
        end_m = None if no_more_end else _PEM_END.search(text, m.end())
        if end_m is not None:
            end = end_m.end()
            body = text[m.end() : end_m.start()]
            if sum(c.isalnum() or c in "+/=" for c in body) < 32:
                # "-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----" in prose or docs:
                # the armour around no key material is no key
                pos = end
                continue
        else:
            # A truncated block still leaks key material: cover the armour body.
            no_more_end = True
            body = _PEM_BODY.match(text, m.end())
            end = body.end() if body else m.end()
            while end > m.end() and text[end - 1] in "\r\n \t":
                end -= 1
            if end - m.end() < 32:
                pos = m.end()
                continue  # a bare BEGIN line (docs, a template) carries no key material
        yield m.start(), end
        pos = end


# The BEGIN/END armour is a structural check, so validated: a stray "validated" match
# inside the base64 body must not knock the key out.
PRIVATE_KEY = Recognizer(
    "private_key", "PRIVATE_KEY", None, 1.0, find=_private_keys, validator_name="pem_armour", validated=True,
    literals=("PRIVATE KEY", "LS0tLS1CRUdJTi"),
)  # fmt: skip

# key = value assignments of secrets. Groups 1-4: the value, double-quoted, single-quoted, bare, braced.
# Session cookies and CSRF tokens are bearer credentials too (OWASP's logging cheat sheet:
# session ids are never logged in clear); "session_id" is one, where "token_id" is a field's id.
_SECRET_KEYWORDS = (
    r"(?:password|passwd|passphrase|pwd|pass|pw|secret|api[_\- ]?key|access[_\-]?key|"
    r"auth[_\-]?token|access[_\-]?token|refresh[_\-]?token|token|client[_\-]?secret|private[_\-]?key|"
    r"session[_\-]?(?:id|token|key)|sessionid|session|sessid|phpsessid|jsessionid|sid|"
    r"csrf[_\-]?token|csrftoken|xsrf[_\-]?token|csrf|xsrf)"
)
_SECRET_KEYWORD = re.compile(r"(?i)" + _SECRET_KEYWORDS)
# The keyword may also end a camelCase or glued name ("dbPassword", "githubToken",
# "PGPASSWORD", "ADMINPASS"): after a lower-case letter or digit when it starts with a
# capital, after a capital when it is written in capitals; _glued_key decides the rest.
# The braced value is ADO.NET quoting ("Password={a;b}"), which may hold ";".
_PASSWORD = re.compile(
    r"(?i)(?:(?<![a-z0-9])|(?-i:(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z])))"
    + _SECRET_KEYWORDS
    + r"(?:[_\-][a-z0-9]{1,16}){0,3}"
    r"[\"']?[ \t]{0,4}(?::=|=>|=|:)[ \t]{0,4}"
    # a single-quoted value may hold an escaped quote (a Python repr: 'Tr0ub\\'4dor')
    r"(?:\"([^\"\n]{1,256})\"|'((?:[^'\\\n]|\\[^\n]){1,256}|[^'\n]{1,256})'|([^\s\"',;<>(){}\[\]]{1,256})"
    r"|\{([^{}\s\"]{1,256})\})"
)
_QUERY_NEXT = re.compile(r"&(?=[A-Za-z_][\w.\-]*=)")
_PASSWORD_HINTS = ("pass", "pw", "secret", "key", "token", "sess", "sid", "srf")  # every keyword contains one

# Keywords that may end a glued name. Session ids, "sid" and CSRF words stay separate words:
# "AccountSid" (Twilio's public account id), "userSid" (a Windows SID) hold no secret.
_GLUED_KEYWORD = re.compile(
    r"(?i)password|passwd|passphrase|pwd|pass|secret|api[_\-]?key|access[_\-]?key|auth[_\-]?token|"
    r"access[_\-]?token|refresh[_\-]?token|token|client[_\-]?secret|private[_\-]?key"
)
# Heads of glued names that are words or fields, not the owner of a secret: "bypass",
# "compass", "nextPageToken" (a pagination cursor), "maxToken", "forgotPassword: '/forgot'"
_NOT_SECRET_HEAD = frozenset(
    (
        "by", "com", "encom", "sur", "tres", "over", "under", "page", "nextpage", "prevpage", "next", "prev",
        "previous", "continuation", "cancellation", "sync", "resume", "cursor", "max", "min", "num", "total",
        "input", "output", "completion", "prompt", "cache", "cached", "reasoning", "forgot", "reset", "change",
        "show", "hide", "toggle", "has", "is", "no", "require", "requires", "validate", "verify", "check",
        "use", "enable", "disable", "allow", "with", "without", "skip",
    )
)  # fmt: skip
# The same, as the word before "_token" / "-token" ("input_token": "NextToken" in botocore's
# paginators, "start_token:end_token" a slice, "pad_token"): a field, not an owner. Words
# that head a real secret ("reset_token", "verify_token", "new_password") are not here. Only
# before "token": "CACHE_PASSWORD", "INPUT_PASSWORD" (GitHub Actions' env form of an input),
# "cursor_api_key", "first_password" hold secrets.
_SNAKE_NOT_SECRET_HEAD = frozenset(
    (
        "page", "nextpage", "prevpage", "next", "prev", "previous", "continuation", "cursor", "sync", "resume",
        "input", "output", "completion", "prompt", "cache", "cached", "reasoning", "start", "end", "begin",
        "stop", "first", "last", "pad", "unk", "bos", "eos", "sep", "cls", "mask", "special", "word", "char",
    )
)  # fmt: skip
# Counts, limits and switches about any secret: "max_session", "has_password", "use_auth_token"
_SNAKE_QUALIFIER_HEAD = frozenset(
    (
        "max", "min", "num", "total", "count", "per", "show", "hide", "toggle", "has", "is", "no", "use", "with",
        "without", "skip", "by", "enable", "disable", "allow", "require", "requires",
    )
)  # fmt: skip
# Heads that make a glued "...Token" (only) an identifier that grants nothing: idempotency
# and paging ids (AWS ClientRequestToken, NextContinuationToken); and OLDPWD, a shell's path.
_NOT_SECRET_HEAD_FOR = {
    "token": frozenset(
        ("clientrequest", "idempotency", "pagination", "nextcontinuation", "continuation", "nextpagination",
         "csrfmiddleware")
    ),
    "pwd": frozenset(("old",)),
}  # fmt: skip


# A UUID or a run of hex: the value of an id-like "...Token" (client, device, push)
_ID_TOKEN = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[0-9a-f]{32,128}"
)


def _id_token_name(text: str, start: int, kw_end: int) -> bool:
    i = start
    while i > max(0, start - 16) and text[i - 1].isalnum():
        i -= 1
    return text[start:kw_end].lower() == "token" and text[i:start].lower() in ("client", "device", "push")


def _glued_key(text: str, start: int, keyword: str) -> bool:
    """Whether ``keyword``, glued to the letters before it, ends a name that holds a secret."""
    if not _GLUED_KEYWORD.fullmatch(keyword):
        return False
    i = start
    while i > max(0, start - 32) and text[i - 1].isalnum():
        i -= 1
    head = text[i:start]
    if head.lower() in _NOT_SECRET_HEAD or head.lower() in _NOT_SECRET_HEAD_FOR.get(keyword.lower(), ()):
        return False
    if keyword.isupper():
        return head.isupper()  # PGPASSWORD, ADMINPASS (not "XPASSWORD" in "XPassword")
    return keyword[:1].isupper()  # dbPassword, githubToken, DBPassword


# A field named after a secret but holding something about it: "token_count: 1234567",
# "pass_rate: 0.98", "password_expiry=90"
_NOT_SECRET_SUFFIX = re.compile(
    r"(?i)[_\-](?:count|counts|rate|ratio|id|ids|type|kind|len|length|limit|limits|size|min|max|ttl|expiry|"
    r"expires|expiration|age|usage|used|total|budget|index|idx|num|number|name|label|field|hint|policy|reset|"
    r"version|file|path|url|uri|endpoint|header|prefix|format|mode|enabled|required|changed|strength|score)"
    r"[\"']?[ \t]{0,4}(?::=|=>|=|:)"
)
# The text of a token, where it sits, the name of the variable or class that holds one
# ("'token_str': 'fashion'", "token_offset=12"): these name the secret itself too
# ("--secret-string=", AWS CLI's; "password_text:", "token_str ="), so a value shaped like a
# credential is still read
_NOT_SECRET_SUFFIX_WEAK = re.compile(
    r"(?i)[_\-](?:str|text|string|offset|offsets|pos|position|span|env|var|class|pattern|regex|template|map|"
    r"mapping|source|attrs|user)"
    r"[\"']?[ \t]{0,4}(?::=|=>|=|:)"
)
# a bare value written as code: a call or subscript ("token = create_access_token(user)",
# "os.environ[...]"), an attribute chain ("settings.api_key"), or a variable assigned with
# spaced "=" ("token = user_token"); a .env or YAML value is none of these
# (used with fullmatch; the look-behinds keep a search linear too, as tests/test_redos.py checks)
_ATTRIBUTE_CHAIN = re.compile(r"(?<![a-z0-9_])[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+")
_SNAKE_NAME = re.compile(r"(?<![a-z0-9_])[a-z_][a-z0-9]*(?:_[a-z0-9]+)+")
_NUMBER = re.compile(r"(?<![0-9.])[0-9]+(?:\.[0-9]+)?")
# An UPPER_SNAKE constant or environment-variable name passed as the value
# ("OpenAI(api_key=OPENAI_API_KEY)", "password = DB_PASSWORD"): letters only, so a
# capitalised password with digits ("HUNTER_2") is still read. A name that ends in a
# secret word ("API_KEY", "STRIPE_SECRET_KEY", "PGPASSWORD") is one wherever it stands:
# no one's secret is spelled that way.
_CAPS_CONSTANT = re.compile(r"(?<![A-Za-z0-9_])[A-Z]{1,64}(?:_[A-Z]{1,64}){1,8}")
_CAPS_SECRET_NAME = re.compile(
    r"(?<![A-Za-z0-9_])(?:[A-Z][A-Z0-9]{0,63}_){0,8}[A-Z]{0,32}(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|PWD|PASS)"
    r"(?:_(?:ID|NAME|ENV|VAR|FILE|PATH|ARN|HERE|GOES_HERE))?"
)
# "{token}", "{secrets.token_hex(16)}", "{pw!r}": an f-string or format field, not a braced value
_FORMAT_FIELD = re.compile(r"(?<![\w.])[A-Za-z_][\w.]{0,127}(?:[!:(\[]|$)")
# (optional chaining counts: "req.headers.authorization?.split(")
_CALLEE = re.compile(
    r"(?<![\w.$:])[A-Za-z_$][\w.$]{0,127}(?:\?\.[A-Za-z_$][\w.$]{0,127}){0,8}(?:::[A-Za-z_][\w]{0,63}){0,6}"
)
# after the callee: a subscript or call and attribute access ("sentences[i].end",
# "uuid4().hex"), an argument that is a name cut by a space ("Final[int | None]",
# "_token(auth if ...)"), the quote that opens an argument ("ClassVar[Optional[\"A\"]]"), or a
# keyword argument ("boto3.Session(profile_name=\"x\")")
_MEMBER_TAIL = re.compile(r"[(\[][^\s()\[\]]{0,64}[)\]](?:\??\.[A-Za-z_$][\w$]{0,64}(?:\(\))?)+[;:,]?")
_OPEN_TAIL = re.compile(r"(?:[(\[]\*{0,2}(?:[A-Za-z_$][\w.$]{0,127})?){1,4}|\([A-Za-z_]\w{0,63}=")
# what follows a run cut inside an open call: a quote (an argument's string) or an operator
_OPEN_NEXT = re.compile(r"[\"']|[ \t]{1,4}(?:\||or\b|and\b|if\b|else\b|for\b|in\b|is\b|\?\?|&&|[-+*/%<>=!:])")
# A bare value runs to whitespace (a password generator's "(", ",", ";", "<" and "'" are
# part of it) but stops where the next "name=" of a query, a connection string or an
# argument list begins.
_BARE_RUN = re.compile(r"[^\s\"]{1,256}")
_ASSIGN_NEXT = re.compile(r"[;,&](?=[ \t]?[A-Za-z_][\w.\-]{0,64}[ \t]?[=:])")
# what may stand before the key on its line for a .env / shell / Dockerfile / YAML line
_LINE_HEAD = re.compile(
    r"[ \t]{0,16}(?:(?:export|ENV|env|set|SET|setx)[ \t]{1,4}|-[ \t]{1,4})?[\"']?[\w.\-]{0,64}"
)
_TEMPLATE_START = ("$(", "${", "`", "%(", "{{", "<%")
# after a quoted value, the next "... quote" is still this value when the quote was no
# closing one: JSON's "Xk9\"pL2" reads Xk9"pL2 once unescaped
_QUOTED_TAIL = re.compile(r"[^\"\n]{1,256}\"(?![^\s,;:}\])])")
_AFTER_CLOSING_QUOTE = frozenset(" \t\r\n,;:}])+.")
# a quoted value that is a UI text about the secret ("New password", "Enter your API key")
_LABEL_WORD = re.compile(
    r"(?i)(?<![^\W\d_])(?:password|passwort|passphrase|pass|pwd|key|token|secret|pin|code|kennwort|"
    r"mot de passe|contraseña|senha|wachtwoord|hasło|пароль)"
)


def _label_text(value: str) -> bool:
    words = value.split()
    return (
        len(words) >= 2
        and all(w.rstrip("?!.:…").isalpha() for w in words)
        and _LABEL_WORD.search(value) is not None
    )


def _call_like(run: str, at: int, after: str = "") -> bool:
    """Whether ``run``, with "(" or "[" at ``at``, is a call or subscript ("get_pw()",
    "os.getenv(", "tokens[0]", "make(a,"), not a password holding a bracket ("Pa(ss)w0rd")."""
    if not _CALLEE.fullmatch(run, 0, at):
        return False
    tail = run[at:].rstrip(".;:")
    # "encode({", "var(\"TOKEN\")?": an argument list or literal opens; a password's "(" is mid-run
    if len(tail) <= 1 or tail[-1] in ")]?" or "," in tail or "'" in tail or tail[1:2] in ('"', "{", "["):
        return True
    if _MEMBER_TAIL.fullmatch(tail):
        return True
    # a bracket left open is code where a string argument or an operator follows ("Pa(ssword"
    # alone at the end of a line stays a password), after a callee spelled in words: a
    # generated password's "Xk9?.q(Lm7 - keep it" or "Qz7[Lm2 | store it" is none
    return (
        _OPEN_TAIL.fullmatch(tail) is not None
        and _OPEN_NEXT.match(after) is not None
        and all(
            _WORDY_NAME.fullmatch(part) or _camel_name(part) for part in re.split(r"\?\.|\.|::", run[:at])
        )
    )


# a name part in words: "os", "get_pw", "Final", "ClassVar", "SecretStr", "_MLFLOW_AUTH_TOKEN", "b64encode"
_WORDY_NAME = re.compile(r"[_$]{0,2}(?:[a-z][a-z0-9_]*|[A-Z][a-z]{2,}[A-Za-z0-9_]*|[A-Z][A-Z0-9_]+)")
_HUMP = re.compile(r"[A-Z]{1,8}(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def _camel_name(value: str) -> bool:
    """ "hashedPassword", "UserAPIKeyAuth", "_SecretColumn", "Ed25519PrivateKey": a name with
    a capital after a lower-case letter or digit, made of words (each with a vowel), acronyms
    and numbers. A generated token ("pcXhUQwiL3") or a leet password ("P4ssW0rd") has humps
    that are no words."""
    v = value.lstrip("_")
    if not (v[:1].isalpha() and v.isascii() and v.isalnum()):
        return False
    if not any((a.islower() or a.isdigit()) and b.isupper() for a, b in zip(v, v[1:], strict=False)):
        return False
    humps = _HUMP.findall(v)
    if sum(map(len, humps)) != len(v):
        return False
    return all(
        h.isdigit() or h.isupper() or (len(h) >= 2 and any(c in "aeiouy" for c in h.lower())) for h in humps
    )


def _squash(value: str) -> str:
    return value.lower().replace("_", "").replace("-", "")


# after a name passed as the value: the end of an argument, element or statement, or an
# operator ("api_key=api_key or \"\"", "{t: t_bytes for ...}", "token: Tok | None = None")
_CODE_NEXT = re.compile(
    r"[ \t]{0,4}(?:[,)}\]]|;|\|\||&&|\?\?|\|[ \t]|=[ \t])|[ \t]{1,4}(?:or|and|if|else|for|\+)[ \t]"
)
# Sphinx roles and RST literals ("Pass :meth:`peek`", ":class:`Session`", "``?api_key=AIza...``")
_SPHINX_ROLE = re.compile(r":?[a-z]{2,12}:`")


def _name_start(text: str, start: int) -> int:
    i = start
    while i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_-") and start - i < 96:
        i -= 1
    return i


def _name_end(text: str, start: int) -> int:
    i = start
    while i < len(text) and (text[i].isalnum() or text[i] in "_-") and i - start < 96:
        i += 1
    return i


def _continues_call(text: str, start: int) -> bool:
    """Whether the key at ``start`` is a keyword argument of a call: after "(" or ", " on its
    line, or first on a continuation line (the line above ends with "(" or ",")."""
    head = text[max(0, _name_start(text, start) - 8) : _name_start(text, start)].rstrip(" \t")
    if head.endswith("("):
        return True
    if head.endswith(","):
        # (a log's "user=admin, password=..." is a list of fields, not arguments; an
        # indented line of "name=value, ..." continues a call opened above)
        line = _line_head(text, start)
        return (
            line.count("(") > line.count(")")
            or re.match(r"[ \t]{1,64}[\w.\[\]()]{1,128}[,=]", line) is not None
        )
    nl = text.rfind("\n", max(0, start - 96), start)
    if nl <= 0 or text[nl + 1 : start].strip(" \t"):
        return False
    prev = text[max(0, nl - 256) : nl].rstrip(" \t\r")
    return prev.endswith(("(", ","))


# after a variable's name where it is assigned, called, indexed or its attribute read
_DECLARED_NEXT = re.compile(r"[ \t]?(?:=(?!=)|:=|\(|\[|\.[A-Za-z_])")
_DECLARED_BEFORE = re.compile(r"(?:\b(?:def|const|let|var|for|as|import)[ \t]|[(\[])$")


def _used_elsewhere(text: str, s: int, e: int) -> bool:
    """Whether the identifier at ``text[s:e]`` is also declared or used as a variable nearby
    ("token_2 = load()", "f(token_2)", "token_2.strip()"): a name, however it is spelled. A
    password that is only repeated ("... use SunnyDay2024 to log in") stays a password."""
    name = text[s:e]
    lo, hi = max(0, s - 2048), min(len(text), e + 2048)  # (bounded: many values stay linear)
    at = text.find(name, lo, hi)
    while at >= 0:
        end = at + len(name)
        before, after = text[at - 1 : at], text[end : end + 1]
        if (
            at != s
            and not (before.isalnum() or before in "_$")
            and not (after.isalnum() or after in "_$")
            and (
                _DECLARED_NEXT.match(text, end) is not None
                or _DECLARED_BEFORE.search(text[max(0, at - 8) : at]) is not None
            )
        ):
            return True
        at = text.find(name, at + 1, hi)
    return False


# after a name: a union, a default or the end of a generic ("token: Tok | None = None")
_ANNOTATION_NEXT = re.compile(r"[ \t]{0,2}(?:\|[ \t]|=[ \t]|\]|\[)")


def _line_head(text: str, start: int) -> str:
    lo = max(0, start - 256)  # (bounded: a long line must stay linear)
    return text[max(lo, text.rfind("\n", lo, start) + 1) : start]


def _literal_name(text: str, m: re.Match[str], s: int, e: int, colon: bool) -> bool:
    """Whether a bare value spelled like a name (snake_case or camelCase) is a literal: a
    password with a number ("SunnyDay2024", "correct_horse_7", unless it ends in the key's
    word, "Ed25519PrivateKey"), or capitalised words outside an annotation ("PurpleMonkey",
    "AdminPassword"; "session: AgentSession" and "token: Tok | None" are types). A name
    declared or used nearby is a variable whatever its spelling."""
    value = text[s:e]
    named = _squash(value.lstrip("_"))
    key = _squash(text[_name_start(text, m.start()) : _name_end(text, m.start())])
    # (the key's own name, numbered too: "dep_token=dep_token0")
    if named.rstrip("0123456789") == key:
        return False
    if _used_elsewhere(text, s, e):
        return False
    if any(c.isdigit() for c in value):
        # ("secret_access_key=s3_secret_access_key", "private_key: PKCS7PrivateKeyTypes",
        # "scheme = x9_63_scheme + (3, )" are names)
        kw = _SECRET_KEYWORD.match(text, m.start())
        return not (
            (kw and named.endswith(_squash(kw.group())))
            or named.endswith(key)
            or (colon and _type_name(value))
            or re.match(r"[ \t]{1,4}\+[ \t]", text[e : e + 6]) is not None
        )
    if text[m.start() - 1 : m.start()] in ('"', "'"):
        return False  # a quoted key and a bare name: a dict in code ("token-classification": TokenClassifier)
    if value.lstrip("_")[:1].isupper():
        annotation = (
            re.search(r"(?<![\w.])(?:def|lambda)[ \t]", _line_head(text, m.start())) is not None
            or _ANNOTATION_NEXT.match(text, e) is not None
            or (colon and _type_name(value))
        )
        return not annotation
    return False


def _open_bracket(text: str, start: int) -> bool:
    """Whether the key at ``start`` stands inside a bracket opened on its line or above (an
    argument list, a literal): "f(a=1, token=tok)", not a log's "user=admin, password=..."."""
    head = _line_head(text, _name_start(text, start))
    if sum(head.count(c) for c in "([{") > sum(head.count(c) for c in ")]}"):
        return True
    if head and not head.strip(" \t"):
        return True  # first on an indented line: "    aws_session_token=session_token,"
    return _continues_call(text, start)


def _code_value(text: str, m: re.Match[str], s: int, e: int) -> bool:
    value = text[s:e]
    if _ATTRIBUTE_CHAIN.fullmatch(value.rstrip(":")) or _SPHINX_ROLE.match(value) or "``" in value:
        return True
    between = text[m.start() : s]
    colon = "=" not in between  # "name: value", an annotation or an object's property
    snake = _SNAKE_NAME.fullmatch(value) is not None
    camel = not snake and (_camel_name(value) or _type_name(value))
    if (snake or camel) and _literal_name(text, m, s, e, colon):
        snake = camel = False
    if camel and colon and value.lstrip("_")[:1].isupper() and _type_name(value):
        return True  # an annotation: "access_token: SecretStr", "session: AgentSession"
    spaced = re.search(r"[ \t]=[ \t]", between) is not None
    if spaced and _line_head(text, _name_start(text, m.start())).rstrip(" \t").endswith(","):
        return True  # a target of tuple unpacking: "host, port, secret_key = s3_connection"
    # "user=admin, password=blue_sky" in a log is no argument list
    call = colon or spaced or _open_bracket(text, m.start())
    if text[e : e + 1] in (",", ")") and snake and call:
        return True  # a keyword argument passing a variable: "OpenAI(api_key=api_key)"
    nxt = _CODE_NEXT.match(text, e)
    operator = nxt is not None and text[nxt.end() - 1] not in ",)}];"
    # (not "Password=abc_def;" in an ADO.NET connection string)
    if (
        (snake or camel)
        and nxt
        and (
            colon
            or spaced
            or operator
            or (call and text[nxt.end() - 1] != ";" and (snake or text[e] in ",)"))
        )
    ):
        # "{\"password\": new_password}", "password: hashedPassword,", "token: EventLoopToken | None"
        return True
    if snake or camel:
        # a name spelled after the key ("gemini_api_key", "hashedPassword", "refresh_token:
        # refresh_token"): nobody's secret is spelled so; a .env line's snake value may be one
        kw = _SECRET_KEYWORD.match(text, m.start())
        word = _squash(kw.group()) if kw else ""
        named = _squash(value.lstrip("_"))
        same = named.rstrip("0123456789") == _squash(
            text[_name_start(text, m.start()) : _name_end(text, m.start())]
        )
        env_line = snake and not colon and not spaced and _at_line_start(text, m.start())
        if same or (word and named.endswith(word) and not env_line):
            return True
        if camel and colon and word and word in named and value.replace("_", "").isalpha():
            return True  # an annotation naming its type: "session: AgentSession"
        if (
            snake
            and not colon
            and not spaced
            and not text[e : e + 1].strip()
            and _continues_call(text, m.start())
        ):
            return True  # the last keyword argument of a call split over lines, or after others
    after = text[e : e + 1]
    # the name is the whole value: an argument, a statement's end, a line's end
    alone = not after or after in "),;}]" or after.isspace()
    # a .env / shell / Dockerfile assignment ("export DB_PASSWORD=SUPER_SECRET") or a YAML /
    # prose "key: VALUE" line holds a literal: there a capitalised value is the password
    # (s34 qa_verify V9); in code (a call, a spaced "=", an object) it is a name
    literal_line = (not spaced and not colon and _at_line_start(text, m.start())) or (
        colon and (not after or after in "\r\n")
    )
    if alone and _CAPS_SECRET_NAME.fullmatch(value):
        if not literal_line:
            return True  # "api_key=OPENAI_API_KEY)", "stripe.api_key = STRIPE_SECRET_KEY"
        kw = _SECRET_KEYWORD.match(text, m.start())
        if kw and _squash(kw.group()) in _squash(value):
            return True  # a line naming the variable that holds it: "api_key: OPENAI_API_KEY"
    if after in (",", ")") and _CAPS_CONSTANT.fullmatch(value):
        return True  # a keyword argument passing a constant: "connect(password=DB_PASS_VALUE)"
    spaced_assign = re.search(r"[ \t]=[ \t]", text[m.start() : s]) is not None
    if spaced_assign and alone and _CAPS_CONSTANT.fullmatch(value):
        return True  # "password = DEFAULT_ADMIN_PASS_VALUE;"
    return spaced_assign and snake


# The last word of a class's name ("UserAPIKeyAuth", "ClientSession", "BaseSettingsSource"):
# a capitalised value after "token:" / "password:" that ends otherwise ("BananaWinter",
# "PurpleMonkey", "AdminPassword") is a password made of words
_TYPE_WORDS = frozenset(
    (
        "auth", "client", "session", "token", "key", "source", "settings", "config", "configuration",
        "credentials", "credential", "provider", "manager", "context", "type", "str", "handler", "store", "info",
        "data", "model", "request", "response", "factory", "service", "connection", "pool", "engine", "backend",
        "callback", "protocol", "base", "dict", "header", "headers", "params", "options", "spec", "schema",
        "field", "object", "id", "result", "error", "exception", "state", "class", "interface", "adapter",
        "wrapper", "builder", "loader", "reader", "writer", "parser", "encoder", "decoder", "signer", "verifier",
        "generator", "policy", "strategy", "mixin", "meta", "entry", "record", "item", "list", "map", "mapping",
        "tuple", "union", "optional", "callable", "iterator", "sequence", "cache", "repository", "account",
        "user", "identity", "principal", "certificate", "cert", "signature", "digest", "cipher", "bytes",
        "string", "text", "value", "input", "output", "payload", "message", "event", "task", "stream", "buffer",
        "file", "path", "url", "endpoint", "router", "view", "form", "template", "node", "query", "filter",
        "resolver", "middleware", "transport", "server", "agent", "tool", "plugin", "env", "variable", "var",
        "param", "arg", "args", "enum", "kind", "mode", "status", "scope", "role", "permission", "grant",
        "claims", "limiter", "secret",
    )
)  # fmt: skip
_TYPE_BUILTINS = frozenset(
    ("None", "str", "int", "float", "bool", "bytes", "Any", "dict", "list", "tuple", "object")
)


def _type_name(value: str) -> bool:
    """A class's name: capitalised words (a word, an acronym or a number each) that end in a
    word classes end in ("UserAPIKeyAuth", "_AzureApiKeyT", "Ed25519PrivateKey",
    "proto.Expression" with its module)."""
    # ("LiteLLM_AutoRouterSession": words joined by "_" too)
    v = value.rsplit(".", 1)[-1].lstrip("_").replace("_", "")
    if not v[:1].isupper():
        return False
    humps = _HUMP.findall(v)
    if not humps or sum(map(len, humps)) != len(v):
        return False
    if len(humps) == 1:
        return "." in value and v.isalpha()  # "proto.Expression"
    # (an acronym may follow the word: "TemporaryCredentialsOSS", "_AzureApiKeyT"; a number
    # ends a password: "SecretApiKey99")
    while len(humps) > 1 and humps[-1].isupper():
        humps.pop()
    last = humps[-1].lower()
    if not (last in _TYPE_WORDS or last.removesuffix("s") in _TYPE_WORDS):
        return False
    # the words before the last one are words ("SecretStr": "Str" is the last)
    return len(humps) > 1 and _camel_name("".join(humps[:-1]) + "X")


def _type_expr(value: str) -> bool:
    """A quoted annotation: class names, generics and unions ("SparkSession | None",
    "Optional[UserAPIKeyAuth]")."""
    names = re.findall(r"[A-Za-z_][\w.]*", value)
    if not names or not all(n in _TYPE_BUILTINS or _type_name(n) or _pascal_word(n) for n in names):
        return False
    # a union or a generic of names ("Token[Span | None]") is a type whatever the names end in
    return any(_type_name(n) for n in names) or (len(names) > 1 and any(c in value for c in "|["))


def _pascal_word(name: str) -> bool:
    v = name.rsplit(".", 1)[-1].lstrip("_")
    return v[:1].isupper() and v.isalpha() and v.isascii()


def _python_line(text: str, start: int) -> bool:
    """Whether the key at ``start`` reads as a Python parameter or attribute: on a "def" or
    "lambda" line, a snake_case name, or first on an indented line."""
    head = _line_head(text, _name_start(text, start))
    if re.search(r"(?<![\w.])(?:def|lambda)[ \t]", head):
        return True
    name = text[_name_start(text, start) : _name_end(text, start)]
    return ("_" in name and name.islower()) or (head != "" and not head.strip(" \t"))


# A quoted annotation (a forward reference): "UserAPIKeyAuth", "SparkSession | None"
_TYPE_REF = re.compile(
    r"_{0,2}[A-Z][\w.]{0,127}(?:\[[\w., \[\]|]{0,128}\])?(?:[ \t]{0,2}\|[ \t]{0,2}[A-Za-z_][\w.]{0,127}){0,4}"
)
_CSS_PSEUDO = re.compile(
    r":?(?:not|is|where|has|hover|focus|focus-within|focus-visible|active|visited|link|empty|before|after|"
    r"first-child|last-child|nth-child|nth-of-type|first-of-type|last-of-type|only-child|disabled|enabled|"
    r"checked|placeholder|placeholder-shown|root|target|invalid|valid|selection|marker)(?![\w\-@!#$%&*+=?~])"
)
_URL_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{1,15}://")
# "pkg.module:function", an entry point; "tests/test_auth.py::test_login", a test id
_ENTRY_POINT = re.compile(r"[A-Za-z_]\w{0,63}(?:\.[A-Za-z_]\w{0,63}){1,8}:[A-Za-z_][\w.]{0,127}")
_TEST_ID = re.compile(r"[\w./\-]{1,200}\.(?:py|js|ts|go|rb|rs|java)(?:::[^\s]{1,200})?")
# a word or two ("Continuation", "PEM-encoded", "admitted-subject") then more words in lower
# case: a description ("page_token: Continuation token from a previous call.")
_PROSE_VALUE = re.compile(r"[A-Za-z]{2,64}(?:-[A-Za-z]{2,64})?")
# (not a preposition or conjunction: "password: purple-elephant for the admin account" names
# what the password opens; not the next key of a log line: "apiKey=DragonMaple ip=10.1.2.3")
_PROSE_NEXT = re.compile(
    r"[ \t]{1,4}(?!(?:for|to|on|in|at|of|and|or|but|then|if|is|was|from|with|please|keep|use)(?![a-z]))"
    r"[A-Za-z][a-z]{1,}(?![\w\-]{0,64}[=:])|[ \t]{1,4}[A-Z]{2,8}[ \t]{1,4}[a-z]{2,}"
)
_IDENT_VALUE = re.compile(r"[a-z][a-z0-9]{0,63}(?:[_\-]{1,2}[a-z0-9]{1,64}){1,8}")
_SESSION_NAMES = frozenset(("session", "session_id", "sessionid"))
_PREFIX_WORD = re.compile(r"[A-Za-z]{2,16}[-_]")


def _token_start(text: str, at: int) -> int:
    i = at
    while i > max(0, at - 256) and not text[i - 1].isspace() and text[i - 1] not in "\"'`":
        i -= 1
    return i


def _mixed_case_digit(value: str) -> bool:
    return (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )


def _session_id(value: str) -> bool:
    """A session id worth redacting: long and random after a word prefix ("chat-42",
    "sess-789", "session-4f855da00427" name a conversation; a cookie's id is 20+ random)."""
    m = _PREFIX_WORD.match(value)
    body = value[m.end() :] if m else value
    if len(body) >= 16 and any(c.isdigit() for c in body) and shannon_entropy(body) >= 3.0:
        return True
    # a shorter id without a word prefix in mixed case ("Xk3m9Pq2Lz7") was generated as a
    # cookie's; a conversation id is a counter or lower-case hex
    return m is None and len(body) >= 8 and _mixed_case_digit(body)


def _described(text: str, m: re.Match[str], kw_end: int, s: int, e: int, group: int) -> bool:
    """Whether the value of a key named after a secret is plainly not one: a field about
    tokens, the key's own name, an environment variable's name, a type, a conversation's
    session id, a CSS selector, a URL, an entry point, a test id or a description."""
    start = m.start()
    value = text[s:e]
    between = text[kw_end:s]
    if _documented_example(text, s, e):
        return True
    token_head = text[_token_start(text, start) : start]
    if token_head.startswith("arn:"):
        return True  # "arn:aws:secretsmanager:...:secret:Name-a1b2c3", the resource type
    if token_head.endswith(".svg?") and "codecov.io/" in token_head:
        return True  # a coverage badge's public graph token: "codecov.io/.../badge.svg?token=GU63K7WDBE"
    if start > 0 and text[start - 1] in "_-":
        head_end = start - 1
        i = head_end
        while i > max(0, head_end - 32) and text[i - 1].isalnum():
            i -= 1
        head = text[i:head_end].lower()
        kw = text[start:kw_end].lower()
        if head in _SNAKE_QUALIFIER_HEAD:
            return True
        # a paging or model field never holds "a8Fk2LmQ9zR4tW7p" ("SYNC_TOKEN=..."), but its
        # cursor may be base64 of JSON ("next_page_token": "eyJpbmRleCI6IDExfQ==")
        field = (kw == "token" and head in _SNAKE_NOT_SECRET_HEAD) or head in _NOT_SECRET_HEAD_FOR.get(kw, ())
        if field and (not _credential_shaped(value) or (value.startswith("eyJ") and "." not in value)):
            return True
    name = text[_name_start(text, start) : _name_end(text, start)]
    password_key = text[start:kw_end].lower() in ("password", "passwd", "pwd", "pass", "pw", "passphrase")
    if _squash(value) == _squash(name):
        return True  # an enum member: ID_TOKEN_INVALID_RESPONSE = "IdTokenInvalidResponse"
    quoted = group in (1, 2)
    if quoted and _IDENT_VALUE.fullmatch(value):
        squashed, named = _squash(value), _squash(name)
        # (after a bare "password" such a value is a password made of words:
        # "password": "super-secret-password", password="changeme_password"; after "token" or
        # "api_key" it names a variable: "token": "azure_ad_token", api_key="my-azure-api-key")
        if named.endswith(squashed) or (
            squashed.endswith(named) and not (password_key and named == "password")
        ):
            return True  # GATEWAY_SECRET = "gateway_secret", "refresh_token": "hf_oauth__refresh_token"
    if (
        quoted
        and re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", value)
        and _squash(value).endswith(_squash(name))
    ):
        return True  # an environment variable's name: "vault_secret_namespace": "HCP_VAULT_SECRET_NAMESPACE"
    if quoted and value.startswith(_TEMPLATE_START):
        return True  # a JavaScript template: api_key="${key || 'YOUR_KEY'}"
    if quoted and _CAPS_SECRET_NAME.fullmatch(value) and "_" in value and not re.search(r"[0-9]{3}", value):
        # the name of the variable that holds it: SECRET_KEY = "AWS_SECRET_ACCESS_KEY"; a
        # word in capitals ("TOPSECRET", "SUPERSECRET") or one with a number
        # ("ADMIN123_PASS") is the password
        return True
    if (
        quoted
        and "=" not in between
        and text[start - 1 : start] not in ('"', "'")
        and _TYPE_REF.fullmatch(value)
        and re.match(r"[ \t]{0,4}[,)\]=]", text[e + 1 : e + 6])
        and _type_expr(value)
        and (_python_line(text, start) or any(c in value for c in "|[."))
    ):
        return True  # a forward reference: "user_api_key_dict: \"UserAPIKeyAuth\","
    if text[start : _name_end(text, start)].lower().replace("-", "_") in _SESSION_NAMES and not _session_id(
        value
    ):
        lo = max(0, start - 256)  # (bounded: a long line of ids must stay linear)
        line = text[max(lo, text.rfind("\n", lo, start) + 1) : start].lower()
        if "cookie" not in line:
            return True  # a conversation or trace id: "session_id": "chat-42"
    if between == ":" and not password_key and _CSS_PSEUDO.match(value):
        return True  # ".special-token:not(:empty)", ".multi-token:hover::after"
    if _URL_VALUE.match(value):
        return True  # a link target; credentials in a URL are the URL rules'
    if group == 3:
        if _ENTRY_POINT.fullmatch(value) and not password_key:
            return True
        if text[start:kw_end] == "PASS" and (_TEST_ID.fullmatch(value) or "::" in value):
            return True  # a test runner's status line: "PASS: tests/test_auth.py::test_login"
        if _PROSE_VALUE.fullmatch(value) and _PROSE_NEXT.match(text, e):
            return True
        if value.endswith(("...", "…")) and len(value.rstrip(".…")) <= 8:
            return True  # a truncated example: "AIza...", "sk-ant-..."
        if re.match(r"[rRfFbBuU]{1,2}['\"]", value):
            return True  # a Python string with a prefix: rf'(?:[{_punct}]+)'

    return False


def _at_line_start(text: str, start: int) -> bool:
    lo = max(0, start - 96)
    nl = text.rfind("\n", lo, start)
    if nl < 0 and lo > 0:
        return False
    return _LINE_HEAD.fullmatch(text, nl + 1, start) is not None


def _bare_end(text: str, m: re.Match[str], s: int, e: int) -> int | None:
    """Where a bare value ends, or None for code. The regex stops the value at the first
    of ``,;<>(){}[]'``, which password generators emit ("Pa(ss)w0rd!", "Tr0ub;4dor"): the
    piece left was too short to report, or reported half the password. A .env, shell,
    Dockerfile or YAML line holds the whole run to whitespace."""
    stop = text[e : e + 1]
    run = _BARE_RUN.match(text, s)
    end = run.end() if run is not None else e
    cut = _ASSIGN_NEXT.search(text, e, end)
    if cut is not None:
        end = cut.start()
    whole = text[s:end]
    if stop in ("(", "[") and _call_like(whole, e - s, text[end : end + 8]):
        return None
    if not stop or stop.isspace() or end <= e + 1 or whole.startswith(_TEMPLATE_START):
        return e
    while end > e and text[end - 1] in ".,;":
        end -= 1
    if _at_line_start(text, m.start()):
        return end
    # elsewhere (a "docker run -e" flag, prose) only across the separators a password
    # generator emits, and not over markup or a next assignment or variable
    mid_line_ok = stop in ",;({['" and not any(c in whole for c in "=$<>")
    return end if mid_line_ok else e


def _keyword_assignments(text: str) -> Iterable[Span]:
    low = text.lower()
    if not any(k in low for k in _PASSWORD_HINTS):
        return ()

    def step(m: re.Match[str]) -> tuple[Iterable[Span], int]:
        kw = _SECRET_KEYWORD.match(text, m.start())
        kw_end = kw.end() if kw else m.start()
        glued = m.start() > 0 and text[m.start() - 1].isalnum()
        if glued and not _glued_key(text, m.start(), text[m.start() : kw_end]):
            return [], m.start() + 1
        group = next(g for g in (1, 2, 3, 4) if m.group(g) is not None)
        s, e = m.span(group)
        resume = m.end()
        if _NOT_SECRET_SUFFIX.search(text, kw_end, s):
            return [], resume
        if _NOT_SECRET_SUFFIX_WEAK.search(text, kw_end, s) and not _credential_shaped(text[s:e]):
            return [], resume
        if glued and _ID_TOKEN.fullmatch(text, s, e) and _id_token_name(text, m.start(), kw_end):
            return [], resume  # EC2's ClientToken (a UUID), an APNs DeviceToken (hex): ids, not keys
        if group == 4:
            # "Password={a;b}" (ADO.NET quoting), not an f-string or format field
            # ("token={token}", "secret={secrets.token_hex(16)}", "pw={pw!r}")
            braced_ok = text[m.start() : s - 1].rstrip(" \t").endswith("=") and not _FORMAT_FIELD.match(
                text, s, e
            )
            if not braced_ok:
                return [], resume
        if group == 3 and _code_value(text, m, s, e):
            return [], resume
        if group == 3 and _NUMBER.fullmatch(text, s, e):
            # "token_id=98765432", "numToken: 12345678": a field's number; "password=12345678" stays
            named = "_" in text[m.start() : s].strip("_")
            if named or (glued and not text[m.start() : kw_end].lower().startswith(("pass", "pwd"))):
                return [], resume
        if group == 3:
            end = _bare_end(text, m, s, e)
            if end is None:
                return [], resume
            e = resume = end
            # In a query string the value stops at the next "&name=", and the scan
            # resumes there: "&token=..." is the next assignment, not this value.
            cut = _QUERY_NEXT.search(text, s, e)
            if cut is not None:
                e = resume = cut.start()
            if text[e - 1 : e] == "." and e > s:
                e -= 1
        after = text[e + 1 : e + 2]
        if group == 1 and after and after not in _AFTER_CLOSING_QUOTE:
            tail = _QUOTED_TAIL.match(text, e + 1)
            if tail is not None:
                e, resume = tail.end() - 1, tail.end()
        value = text[s:e]
        quoted = group != 3
        ok = (
            looks_like_secret(value, quoted=quoted)
            and not (quoted and _label_text(value))
            and not _described(text, m, kw_end, s, e, group)
        )
        return ([(s, e)] if ok else []), resume

    return rescan(_PASSWORD, text, step)


# XML and HTML configuration: "<password>X</password>" (Maven settings.xml, Spring),
# "<add key="ApiKey" value="X"/>" (.NET appSettings), "<property name="password" value="X"/>".
# The element or key name must end with a secret keyword (_SECRET_NAME).
_XML_ELEMENT = re.compile(r"<([A-Za-z][\w.:\-]{0,63})>([^<>\n]{1,256})</([A-Za-z][\w.:\-]{0,63})>")
# "<password><![CDATA[PW]]></password>"
_XML_CDATA = re.compile(
    r"<([A-Za-z][\w.:\-]{0,63})><!\[CDATA\[([^\n]{1,256}?)\]\]></([A-Za-z][\w.:\-]{0,63})>"
)
# an element named by an attribute: Android's '<string name="api_key">X</string>', Spring's
# '<entry key="db.password">X</entry>'
_XML_NAMED_ELEMENT = re.compile(
    r"<([A-Za-z][\w.:\-]{0,63})[ \t]{1,4}(?:[\w:\-]{1,32}[ \t]{0,2}=[ \t]{0,2}[\"'][^\"'<>\n]{0,64}[\"'][ \t]{1,4}){0,3}"
    r"(?:name|key|id)[ \t]{0,2}=[ \t]{0,2}[\"']([A-Za-z][\w.:\-]{0,63})[\"'][^<>\n]{0,128}>"
    r"(?:<!\[CDATA\[([^\n]{1,256}?)\]\]>|([^<>\n]{1,256}))</([A-Za-z][\w.:\-]{0,63})>"
)
_XML_KEY_VALUE = re.compile(
    r"(?i)(?<![\w\-])(?:key|name)[ \t]{0,4}=[ \t]{0,4}[\"']([A-Za-z][\w.:\-]{0,63})[\"'][ \t\r\n]{1,16}"
    r"value[ \t]{0,4}=[ \t]{0,4}[\"']([^\"'\n]{1,256})[\"']"
)
_SECRET_NAME = re.compile(
    r"(?i)(?:^|(?<=[_.:\-])|(?-i:(?<=[a-z0-9])(?=[A-Z])))"
    r"(?:password|passwd|passphrase|pwd|secret|api[_\-]?key|access[_\-]?key|auth[_\-]?token|access[_\-]?token|"
    r"refresh[_\-]?token|token|client[_\-]?secret|private[_\-]?key|secret[_\-]?key)$"
)


def _xml_value_ok(name: str, value: str) -> bool:
    if any(c.isspace() for c in value) or value.startswith(_TEMPLATE_START):
        return False
    if name.lower().endswith("token"):
        # "<token>understanding</token>" is a word of a tokenised text, not a credential
        return _mixed_key(value)
    return looks_like_secret(value, quoted=False)


def _xml_secrets(text: str) -> Iterator[Span]:
    if "</" in text:
        for m in _XML_ELEMENT.finditer(text):
            name = m.group(1)
            if name == m.group(3) and _SECRET_NAME.search(name) and _xml_value_ok(name, m.group(2)):
                yield m.span(2)
        if "CDATA" in text:
            for m in _XML_CDATA.finditer(text):
                name = m.group(1)
                if name == m.group(3) and _SECRET_NAME.search(name) and _xml_value_ok(name, m.group(2)):
                    yield m.span(2)
        for m in _XML_NAMED_ELEMENT.finditer(text):
            name, value_group = m.group(2), 3 if m.group(3) is not None else 4
            if (
                m.group(1) == m.group(5)
                and _SECRET_NAME.search(name)
                and _xml_value_ok(name, m.group(value_group))
            ):
                yield m.span(value_group)
    if "alue" in text or "ALUE" in text:
        for m in _XML_KEY_VALUE.finditer(text):
            name, value = m.group(1), m.group(2)
            if _SECRET_NAME.search(name) and _xml_value_ok(name, value):
                yield m.span(2)


# Credentials on a command line and in HTTP client calls: "curl -u user:PW", "docker login
# -p PW", "mysql -pPW" (the password glued: "-p db" prompts and names a database),
# "sshpass -p PW", "redis-cli -a PW", "requests.get(url, auth=('user', 'PW'))". The scan after
# the command stops at a pipe or a next command, so "docker login ... && docker run -p
# 8080:80" is no password.
_CLI_PASSWORD = re.compile(
    r"(?<![\w\-])(?:(?:curl|wget|http|https|xh)(?=[ \t])[^\n;&|]{0,120}?[ \t](?:-u|--user|-a|--auth)(?:[ \t]{1,4}|=)"
    r"[\"']?[^\s:\"']{0,128}:([^\s\"']{1,256})"
    r"|(?:(?:docker|podman|buildah|skopeo|nerdctl|helm(?:[ \t]{1,4}registry)?)[ \t]{1,4}login|sshpass)(?=[ \t])"
    r"[^\n;&|]{0,120}?[ \t](?:-p[ \t]{0,4}|--password(?:[ \t]{1,4}|=))[\"']?([^\s\"']{1,256})"
    r"|(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mariadb|mariadb-dump)(?=[ \t])[^\n;&|]{0,120}?"
    r"[ \t]-p[\"']?([^\s\"'\-][^\s\"']{0,255})"
    r"|redis-cli(?=[ \t])[^\n;&|]{0,120}?[ \t]-a[ \t]{1,4}[\"']?([^\s\"']{1,256})"
    # the MongoDB shells and tools, OpenShift / Azure / Cloud Foundry / Argo CD logins: "-p PW"
    r"|(?:mongosh|mongo|mongodump|mongorestore|mongoexport|mongoimport|mongostat|mongotop|mongofiles"
    r"|(?:oc|az|cf|argocd)[ \t]{1,4}login)(?=[ \t])[^\n;&|]{0,160}?[ \t](?:-p|--password)(?:[ \t]{1,4}|=)"
    r"[\"']?([^\s\"'\-][^\s\"']{0,255})"
    # SQL Server's sqlcmd / bcp / osql: "-P PW" (capital; "-p" prints statistics)
    r"|(?:sqlcmd|bcp|osql|isql)(?=[ \t])[^\n;&|]{0,160}?[ \t]-P[ \t]{0,4}[\"']?([^\s\"'\-][^\s\"']{0,255})"
    # "lftp -u user,PW", "smbclient -U user%PW" (also rpcclient, smbget, smbmap)
    r"|lftp(?=[ \t])[^\n;&|]{0,160}?[ \t](?:-u|--user)[ \t]{1,4}[\"']?[^\s,\"']{1,128},([^\s\"']{1,256})"
    r"|(?:smbclient|rpcclient|smbget|smbmap|smbcacls)(?=[ \t])[^\n;&|]{0,160}?[ \t](?:-U|--user(?:name)?)"
    r"(?:[ \t]{1,4}|=)[\"']?[^\s%\"']{1,128}%([^\s\"']{1,256})"
    # Windows "net use Z: \\srv\share PW /user:NAME" (or after /user:NAME); "*" prompts; the
    # escapes decoder may have read the "\\" as one backslash
    r"|(?i:net[ \t]{1,4}use)(?=[ \t])[^\n;&|]{0,80}?[ \t]\\\\?[^\s]{1,200}"
    r"(?:[ \t]{1,4}/(?i:u|user):[^\s]{1,128})?[ \t]{1,4}([^\s/*\"'][^\s\"']{0,255})"
    # any command's "--password PW" (the "=" form is a keyword assignment)
    r"|(?<![\w\-])--(?:password|passwd|db-password|admin-password)[ \t]{1,4}[\"']?([^\s\"'\-][^\s\"']{0,255}))"
)
# the auth classes are usually written with their module: "requests.auth.HTTPBasicAuth(",
# "aiohttp.BasicAuth(", "httpx.BasicAuth(username=..., password=...)"
_AUTH_PAIR = re.compile(
    r"(?:(?<![\w.])auth[ \t]{0,4}=[ \t]{0,4}[(\[]|(?<!\w)(?:HTTPBasicAuth|HTTPDigestAuth|HTTPProxyAuth|BasicAuth|DigestAuth)\()"
    r"[ \t]{0,4}(?:(?:login|username|user)[ \t]{0,4}=[ \t]{0,4})?[\"'][^\"'\n]{0,128}[\"'][ \t]{0,4},[ \t]{0,4}"
    r"(?:password[ \t]{0,4}=[ \t]{0,4})?[\"']([^\"'\n]{1,256})[\"']"
)
_CLI_LITERALS = (
    "curl", "wget", "http", "xh ", "login", "sshpass", "mysql", "mariadb", "redis-cli", "mongo", "sqlcmd", "bcp",
    "osql", "isql", "lftp", "smb", "rpcclient", "--pass", "--db-pass", "--admin-pass", " use", " USE", " Use",
)  # fmt: skip


def _command_line_passwords(text: str) -> Iterator[Span]:
    if any(k in text for k in _CLI_LITERALS):
        for m in _CLI_PASSWORD.finditer(text):
            group = next(g for g in range(1, _CLI_PASSWORD.groups + 1) if m.group(g) is not None)
            s, e = m.span(group)
            while e > s and text[e - 1] in ".,;)":
                e -= 1
            value = text[s:e]
            if _cli_password_ok(value) and looks_like_secret(value, quoted=False):
                yield s, e
    if "uth" in text:
        for m in _AUTH_PAIR.finditer(text):
            if _cli_password_ok(m.group(1)):
                yield m.span(1)


def _cli_password_ok(value: str) -> bool:
    # GitHub's documented "curl -u $TOKEN:x-oauth-basic" puts the token in the user part
    return (
        not value.startswith(_TEMPLATE_START)
        and value.lower() != "x-oauth-basic"
        and _conn_password_ok(value)
    )


def _assigned_passwords(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    yield from _keyword_assignments(text)
    yield from _xml_secrets(text)
    yield from _command_line_passwords(text)


# All lower case and glued to the word for what it opens ("dbpassword=", "smtppass: ...",
# with "_" the assignment pattern reads it,
# "githubtoken=", as INI and PHP configs write them): the keyword pattern above cannot start
# inside a lower-case word, and "bypass" / "compass" must not be read, so the owner words are
# listed.
_OWNER_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9_])(?:db|admin|root|mysql|pg|postgres|mongo|redis|smtp|mail|ftp|sftp|ldap|github|gitlab|api|"
    r"app|user|vault|aws|gcp|azure|stripe|slack|twilio|openai|jwt|oauth|bot|service|master|rabbitmq|amqp|wifi|proxy)"
    r"(?:password|passwd|pass|pwd|secret|token|apikey|key)[\"']?[ \t]{0,4}(?::=|=>|=|:)[ \t]{0,4}"
    r"(?:\"([^\"\n]{1,256})\"|'([^'\n]{1,256})'|([^\s\"',;<>(){}\[\]]{1,256}))"
)


def _owner_assignments(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    for m in _OWNER_ASSIGNMENT.finditer(text):
        group = 1 if m.group(1) is not None else 2 if m.group(2) is not None else 3
        s, e = m.span(group)
        if group == 3 and _code_value(text, m, s, e):
            continue  # "dbpassword = get_password()", "apikey = settings.apikey"
        if looks_like_secret(text[s:e], quoted=group != 3):
            yield s, e


OWNER_PASSWORD = Recognizer("password_owner_assignment", "PASSWORD", None, 0.8, find=_owner_assignments)

PASSWORD_ASSIGNMENT = Recognizer("password_assignment", "PASSWORD", None, 0.8, find=_assigned_passwords)

# scheme://user:PASSWORD@host: the finding is the password only (user and host are kept,
# so the text stays readable and the password is what leaks). The host follows the LAST "@"
# of the authority, as URL parsers read it: "u:Admin@123@10.0.0.5" has the password "Admin@123".
_CONN_STRING = re.compile(
    r"(?i)(?<![A-Za-z0-9+.\-])(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|"
    r"sqlserver|oracle|cockroachdb|clickhouse|jdbc:[a-z]{2,12}|s?ftp|smtps?|ldaps?|nats|kafka)"
    # the user may be empty: "redis://:PASSWORD@cache:6379"
    r"://[^\s:/@]{0,128}:([^\s/]{1,256})@[A-Za-z0-9\[]"
)
# web URLs with credentials ("https://admin:PASSWORD@host"): their authority ends at "?" or "#"
_URL_CREDENTIALS = re.compile(
    r"(?i)(?<![A-Za-z0-9+.\-])(?:https?|wss?)://[^\s:/@?#]{0,128}:([^\s/?#@]{1,256})@[A-Za-z0-9\[]"
)


def _conn_password_ok(value: str) -> bool:
    """A password in a connection string, not the placeholder of a documented one:
    "user:password@", "<password>", "${DB_PASSWORD}", "{password}" (an f-string),
    "USER:PASSWORD@HOST", "mypassword", "YOUR_DB_PASSWORD". The value is delimited by ":"
    and "@", so it reads as quoted."""
    if value[:1] == "{" and value[-1:] == "}":
        return False
    # a placeholder names the slot ("password", "YOUR_DB_PASSWORD", "mypassword",
    # "my-secret-key"); a real weak password is reported, even one made of such words
    # ("supersecretkey", "rootpassword") or a default ("postgres", "admin", "changeme")
    if _SLOT.fullmatch(value):
        return False
    # masked ("****", "xxxx") or templated ("<pw>", "${PW}", "%(pw)s", "$PW") values hold none;
    # any other value between "user:" and "@host" is the password, however short or plain
    # ("postgres", "admin", "mysql" are the defaults that leak most)
    return not (len(set(value)) <= 2 or value[:1] in "<$%{[" or len(value) < 3)


# how a documented connection string names its password slot
_SLOT = re.compile(
    r"(?i)(?:(?:your|my|the|db|database|new|some|api|auth|access|user|app|redis|strong|secret)[_\-]?){0,3}"
    r"(?:password|passwd|pass|pwd|pw|secret|token|key)(?:[_\-]?(?:here|goes[_\-]?here))?"
)


CONN_STRING_PASSWORD = Recognizer(
    "connection_string_password",
    "PASSWORD",
    _CONN_STRING,
    0.95,
    (),
    validator=_conn_password_ok,
    validated=True,
    literals=("://",),
    group=1,
)
URL_PASSWORD = Recognizer(
    "url_credentials_password", "PASSWORD", _URL_CREDENTIALS, 0.95, (), validator=_conn_password_ok,
    validated=True, literals=("://",), group=1,
)  # fmt: skip

# Passwords in prose, several languages: "my new password is hunter2", "mein Passwort ist
# ...", "mon mot de passe est ...", "mi contraseña es ...", and in English the other secrets
# people paste into a chat ("the api key is X", "the client secret is X", "the token is X").
# A bare "key" is left out: "the key is Enter" names a keyboard key. Groups 1-4: the value.
# A short qualifier may stand between the word and the copula ("the password for the admin
# account is X", "a senha do wifi é X"); it stays in the clause (no ".", ":", quote).
_PASSWORD_PROSE = re.compile(
    r"(?i)(?<![^\W\d_])(?:password|passphrase|pass[ \t]phrase|passcode|pw|pin[ \t]code|passwort|kennwort|"
    r"mot[ \t]de[ \t]passe|contraseña|contrasena|clave|wachtwoord|senha|parola[ \t]d'ordine|"
    r"(?:api|access|secret)[ \t]key|secret|token)"
    r"(?:[ \t]{1,3}(?:for|of|to|on|do|da|das|dos|del|de|du|des|von|vom|für|voor|van|per|para|pour|di|della|dla)"
    r"[ \t][^\n.!?:;=\"'«]{0,40}?)?"
    r"(?:[ \t]{1,3}(?:is|was|ist|war|lautet|est|était|etait|es|era|è|é|e|is[ \t]now|now|jetzt|nu|ora|"
    r"will[ \t]be|sera|será|sarà)){1,2}"
    r"[ \t]{0,3}[:=]?[ \t]{1,4}"
    r"(?:\"([^\"\n]{1,128})\"|'([^'\n]{1,128})'|«[ \t]?([^»\n]{1,128})»|([^\s\"'«]{1,128}))"
)
_PROSE_LITERALS = (
    "pass", "pw", "pin code", "kennwort", "mot de passe", "contrase", "clave", "wachtwoord", "senha", "parola",
    " key", "secret", "token",
)  # fmt: skip
_PROSE_KEY_WORDS = ("api", "access", "secret", "token")
# what follows "the token is" in a sentence about a key or token, not the key
_KEY_DESCRIPTIONS = frozenset(
    (
        "httponly", "samesite", "jwt", "jwe", "jws", "uuid", "uuidv4", "hmac", "sha256", "rs256", "hs256",
        "base64", "base64url", "hex", "ascii", "utf-8", "pkce", "oauth", "oauth2", "oidc", "saml",
    )
)  # fmt: skip
_DESCRIPTION_SUFFIX = re.compile(r"(?i)-(?:encoded|signed|based|only|scoped|bound|safe|protected)$")


def _describes_a_key(value: str) -> bool:
    """Whether ``value`` after "the token is" describes the key rather than being it: a
    lower-case word ("deliberately", "cached"), a format or flag ("HttpOnly", "JWT"), or a
    hyphenated property ("base64url-encoded"). A key or token is generated, not chosen."""
    word = value.rstrip(".,;")
    return (
        (word.isalpha() and word.islower())
        or word.lower() in _KEY_DESCRIPTIONS
        or _DESCRIPTION_SUFFIX.search(word) is not None
    )


# Words that follow "the password is" in a sentence about a password, not a password.
_PROSE_STOP = frozenset(
    (
        "the", "a", "an", "not", "wrong", "incorrect", "invalid", "required", "expired", "too", "weak",
        "strong", "correct", "set", "reset", "changed", "missing", "empty", "secret", "same", "different",
        "now", "still", "mandatory", "case-sensitive", "falsch", "abgelaufen", "ungültig", "korrekt",
        "erforderlich", "incorrecte", "invalide", "expiré", "requis", "incorrecto", "incorrecta",
        "inválido", "invalida", "errata", "sbagliata", "obbligatoria", "onjuist", "verkeerd", "verlopen",
    )
)  # fmt: skip


def _prose_passwords(text: str, _taken: Sequence[Finding]) -> Iterable[Span]:
    if not any(k in text.lower() for k in _PROSE_LITERALS):
        return ()

    def step(m: re.Match[str]) -> tuple[Iterable[Span], int]:
        group = next(g for g in (1, 2, 3, 4) if m.group(g) is not None)
        s, e = m.span(group)
        resume = m.end()
        if group == 4:
            while e > s and text[e - 1] in ".,;:)]}":
                e -= 1
            resume = e
        value = text[s:e]
        ok = (
            value.lower() not in _PROSE_STOP
            and looks_like_secret(value, quoted=group != 4)
            and not (group == 4 and _hyphenated_words(value))
            # a key or token is generated, not chosen: a lower-case word after "the token is"
            # describes it ("deliberately", "cached")
            and not (m.group(0).lower().startswith(_PROSE_KEY_WORDS) and _describes_a_key(value))
        )
        return ([(s, e)] if ok else []), resume

    return rescan(_PASSWORD_PROSE, text, step)


def _hyphenated_words(value: str) -> bool:
    """ "auto-generated", "TOTP-based": a compound word after "the password ... is", where a
    passphrase ("correct-horse-battery-staple") joins three words or more."""
    parts = value.split("-")
    if len(parts) == 2 and all(p.isalpha() for p in parts):
        return True
    # "WPA2-protected", "AES256-encrypted": an upper-case name and a participle describe the
    # password ("Summer2024-loving", "P4ssw0rd-protected" are passwords)
    return (
        len(parts) == 2
        and re.fullmatch(r"[A-Z0-9]{2,12}", parts[0]) is not None
        and any(c.isalpha() for c in parts[0])
        and parts[1].islower()
        and parts[1].isalpha()
        and parts[1].endswith(("ed", "ing"))
    )


PROSE_PASSWORD = Recognizer("password_in_prose", "PASSWORD", None, 0.85, find=_prose_passwords)

# The word then the value with nothing between ("password Hunter2024!", "new pw: none" is the
# assignment rule's): without a copula the value must look like a chosen password, not a word
# that follows "password" in a sentence: 8+ characters with lower and upper case, a digit and
# a symbol, no hyphenated word ("Password Reset-2024 campaign", "password Manager2024
# extension", "password AES256-GCM", "password iOS17-compatible" stay prose).
_PASSWORD_BARE = re.compile(
    r"(?i)(?<![^\W\d_])(?:password|passwort|kennwort|passwd|pwd)[ \t]{1,3}([^\s\"'«:=]{8,128})"
)


def _label_number(value: str) -> bool:
    """ "Reset-2024", "Manager-v2": a word and a year or version, not a chosen password."""
    i = max(value.rfind(c) for c in "-_.")
    if i <= 0:
        return False
    head, tail = value[:i], value[i + 1 :]
    if tail[:1] in ("v", "V"):
        tail = tail[1:]
    return head.isascii() and head.isalpha() and tail.isdigit() and len(tail) <= 4


def _strong(value: str) -> bool:
    classes = (
        any(c.islower() for c in value),
        any(c.isupper() for c in value),
        any(c.isdigit() for c in value),
        any(not c.isalnum() for c in value),
    )
    hyphenated_word = any(len(p) >= 4 and p.isalpha() and p.islower() for p in value.split("-")[1:])
    return all(classes) and "/" not in value and not hyphenated_word and not _label_number(value)


def _bare_passwords(text: str, _taken: Sequence[Finding]) -> Iterable[Span]:
    low = text.lower()
    if "pass" not in low and "kennwort" not in low and "pwd" not in low:
        return ()

    def step(m: re.Match[str]) -> tuple[Iterable[Span], int]:
        s, e = m.span(1)
        while e > s and text[e - 1] in ".,;)]}":
            e -= 1
        value = text[s:e]
        ok = len(value) >= 8 and _strong(value) and looks_like_secret(value, quoted=False)
        return ([(s, e)] if ok else []), e

    return rescan(_PASSWORD_BARE, text, step)


BARE_PASSWORD = Recognizer("password_bare", "PASSWORD", None, 0.8, find=_bare_passwords)

# The word for password in other languages as a label ("Passwort: X", "mot de passe : X",
# "пароль — X", "hasło: X"; the English word is the assignment rule's) or with the copula the
# prose rule does not know ("moje hasło to X", "lösenordet är X"), and in scripts written
# without spaces the word and a particle right before an ASCII value ("密码是Abc12345",
# "パスワードはAbc12345です", "비밀번호는 Abc12345"). Groups 1-4: the value, as in prose.
_PW_WORDS = (
    r"passwort|kennwort|mot[ \t]de[ \t]passe|contraseña|contrasena|clave|wachtwoord|senha|"
    r"parola[ \t]d'ordine|пароль|hasło|haslo|şifre|sifre|şifrem|salasana|lösenord(?:et)?|losenord(?:et)?|"
    r"adgangskode(?:n)?|passord(?:et)?|heslo|jelszó|jelszo|κωδικός|κωδικος|mật[ \t]khẩu|kata[ \t]sandi|"
    # Turkish with its suffixes, Vietnamese typed without its marks
    r"şifreniz|sifreniz|şifresi|sifresi|parola|parolanız|parolaniz|mat[ \t]khau|"
    # Arabic (with "and" glued on: "اسم المستخدم: ali وكلمة المرور: X"), Persian (the ZWNJ
    # inside a word is typed or not) and Urdu
    r"و?(?:كلمة|كلمه)[ \t](?:ال)?(?:مرور|سر)|و?(?:ال)?رقم[ \t](?:ال)?سري|و?(?:ال)?رمز[ \t](?:ال)?(?:مرور|سري)|"
    r"و?(?:ال)?باسوو?رد|رمز[ \t\u200c]?(?:عبور|ورود)|گذرواژه|(?:کلمه|كلمه)(?:[\u200c]?ی)?[ \t]عبور|پسورد|"
    r"پاس[ \t]?ورڈ|"
    # Hindi, Bengali (য় composed or as NFKC writes it, U+09AF U+09BC)
    r"पासवर्ड|पास[ \t]वर्ड|कूटशब्द|गुप्त[ \t]शब्द|पासकोड|পাস[ \t]?ও(?:\u09df|\u09af\u09bc)ার্ড"
)
_PASSWORD_LABELLED = re.compile(
    rf"(?i)(?<![^\W\d_])(?:{_PW_WORDS})"
    r"(?:[ \t]{0,3}[:=：—–][ \t]{0,4}|[ \t]{1,3}(?:to|jest|är|er|je|это|هي|—|–|-)[ \t]{1,3}(?:[:=][ \t]{0,3})?)"
    r"(?:\"([^\"\n]{1,128})\"|'([^'\n]{1,128})'|«[ \t]?([^»\n]{1,128})»|([^\s\"'«]{1,128}))"
    r"|(?:密码|密碼|口令|パスワード|비밀번호|패스워드|รหัสผ่าน|พาสเวิร์ด)[ \t]*(?:是|为|為|は|:|：|=|는|은|คือ)?[ \t]*([!-~]{1,128})"
)
_LABELLED_LITERALS = (
    "passwort", "kennwort", "mot de passe", "contrase", "clave", "wachtwoord", "senha", "parola", "пароль",
    "hasło", "haslo", "şifre", "sifre", "salasana", "lösenord", "losenord", "adgangskode", "passord",
    "heslo", "jelsz", "κωδικ", "mật khẩu", "kata sandi", "密码", "密碼", "口令", "パスワード", "비밀번호",
    "mat khau", "كلمة", "كلمه", "سري", "رمز", "باسو", "باسورد", "گذرواژه", "کلمه", "پسورد", "پاس", "पासवर्ड",
    "पास वर्ड", "कूटशब्द", "गुप्त शब्द", "पासकोड", "পাসও", "পাস ও", "패스워드", "รหัสผ่าน", "พาสเวิร์ด",
)  # fmt: skip


def _labelled_passwords(text: str, _taken: Sequence[Finding]) -> Iterable[Span]:
    low = text.lower()
    if not any(k in low for k in _LABELLED_LITERALS):
        return ()

    def step(m: re.Match[str]) -> tuple[Iterable[Span], int]:
        group = next(g for g in (1, 2, 3, 4, 5) if m.group(g) is not None)
        s, e = m.span(group)
        resume = m.end()
        if group in (4, 5):
            while e > s and text[e - 1] in ".,;:)]}":
                e -= 1
            resume = e
        value = text[s:e]
        ok = value.lower() not in _PROSE_STOP and looks_like_secret(value, quoted=group not in (4, 5))
        return ([(s, e)] if ok else []), resume

    return rescan(_PASSWORD_LABELLED, text, step)


LABELLED_PASSWORD = Recognizer("password_labelled", "PASSWORD", None, 0.85, find=_labelled_passwords)


def _basic_ok(value: str) -> bool:
    """HTTP Basic credentials: base64 of printable ``user:password`` with a password."""
    import base64
    import binascii

    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    user, sep, password = raw.partition(":")
    return bool(sep) and bool(password) and raw.isprintable()


# HTTP credentials as headers and logs carry them: "Authorization: Basic dXNlcjpwYXNz" (the
# user and password in base64; the finding is the base64) and an opaque bearer token (a JWT
# is the JWT rule's, validated, and wins).
BASIC_AUTH = Recognizer(
    "http_basic_credentials", "PASSWORD",
    re.compile(r"(?i)(?<![A-Za-z0-9])basic[ \t]{1,4}([A-Za-z0-9+/]{6,1024}={0,2})(?![A-Za-z0-9+/=])"),
    0.95, (), _basic_ok, "base64_user_password", True, literals=("asic", "ASIC"), group=1,
)  # fmt: skip
# "Authorization: token <token>" (GitHub's scheme, OAuth hex tokens in logs)
TOKEN_AUTH = Recognizer(
    "token_authorization", "API_KEY",
    re.compile(
        r"(?i)(?<![A-Za-z0-9])authorization[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?token[ \t]{1,4}"
        r"([A-Za-z0-9._~+/\-]{16,2048}={0,2})(?![A-Za-z0-9._~+/=\-])"
    ),
    0.9, (), _mixed_key, "entropy", literals=("uthorization", "UTHORIZATION"), group=1,
)  # fmt: skip
BEARER_TOKEN = Recognizer(
    "bearer_token", "API_KEY",
    re.compile(r"(?i)(?<![A-Za-z0-9])bearer[ \t]{1,4}([A-Za-z0-9._~+/\-]{16,2048}={0,2})(?![A-Za-z0-9._~+/=\-])"),
    0.9, (), _mixed_key, "entropy", literals=("earer", "EARER"), group=1,
)  # fmt: skip
