"""Secrets: API keys and tokens, JWTs, PEM private keys, and passwords (assignments,
connection strings, prose).

Password findings cover the value only, so the text around it stays readable.

>>> [(f.label, f.start, f.end) for f in PASSWORD_ASSIGNMENT.scan("GET /a?password=S3cr3t9x&user=jo")]
[('PASSWORD', 16, 24)]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from bastion.detectors.recognizers import Recognizer, Span, rescan
from bastion.detectors.validators import jwt_ok, looks_like_secret, shannon_entropy
from bastion.types import Finding

_CTX_KEY = ("key", "token", "secret", "api", "credential", "auth", "bearer")
_CTX_AWS_SECRET = (
    "aws_secret_access_key", "aws secret", "secret access key", "secret_access_key", "aws_secret",
    "secretaccesskey", "aws secret key",
)  # fmt: skip
_AWS_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "AROA", "APKA")


def _mixed_key(value: str) -> bool:
    """Letters and digits and some entropy: a generated token, not a word with a prefix."""
    return (
        any(c.isdigit() for c in value) and any(c.isalpha() for c in value) and shannon_entropy(value) >= 3.0
    )


def _mixed_secret(value: str) -> bool:
    """Upper, lower and a digit, and high entropy: a generated key, not a word or a hash."""
    return (
        any(c.isdigit() for c in value)
        and any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and shannon_entropy(value) >= 4.0
    )


def _key(name: str, pattern: str, literals: tuple[str, ...], score: float = 0.95, **kw: object) -> Recognizer:
    """An API_KEY recognizer; ``literals``, one of which must occur, skip the scan for
    the vast majority of texts."""
    return Recognizer(name, "API_KEY", re.compile(pattern), score, _CTX_KEY, literals=literals, **kw)  # type: ignore[arg-type]


_A = r"A-Za-z0-9"
# Vendor keys with a fixed prefix, in scan order. The generic "sk-" reading scores lower:
# other vendors use the prefix too.
API_KEYS: tuple[Recognizer, ...] = (
    _key("aws_access_key_id", rf"(?<![{_A}])(?:{'|'.join(_AWS_PREFIXES)})[A-Z0-9]{{16}}(?![{_A}])", _AWS_PREFIXES),
    _key(
        "github_token", rf"(?<![{_A}_])(?:gh[pousr]_[{_A}]{{36,251}}|github_pat_[{_A}_]{{22,244}})(?![{_A}_])",
        ("gh", "github_pat_"),
    ),
    _key(
        "slack_token", rf"(?<![{_A}])(?:xox[baprs]|xapp)-[{_A}]+(?:-[{_A}]+){{1,6}}(?![{_A}\-])", ("xox", "xapp-"),
        validator=_mixed_key,
    ),
    _key("huggingface_token", rf"(?<![{_A}_])hf_[{_A}]{{30,40}}(?![{_A}_])", ("hf_",), validator=_mixed_key),
    _key("stripe_key", rf"(?<![{_A}_])(?:sk|rk)_live_[{_A}]{{16,247}}(?![{_A}])", ("_live_",)),
    _key("anthropic_key", rf"(?<![{_A}_\-])sk-ant-[{_A}_\-]{{20,200}}(?![{_A}_\-])", ("sk-ant-",), validator=_mixed_key),
    _key(
        "openai_style_key", rf"(?<![{_A}_\-])sk-(?!ant-)[{_A}_\-]{{20,200}}(?![{_A}_\-])", ("sk-",), 0.85,
        validator=_mixed_key,
    ),
    _key("google_api_key", r"(?<![A-Za-z0-9_\-])AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])", ("AIza",)),
)  # fmt: skip

JWT = _key(
    "jwt",
    r"(?<![A-Za-z0-9_\-.])eyJ[A-Za-z0-9_\-]{5,4096}\.[A-Za-z0-9_\-]{2,8192}\.[A-Za-z0-9_\-]{0,4096}(?![A-Za-z0-9_\-])",
    ("eyJ",), validator=jwt_ok, validator_name="jwt", validated=True,
)  # fmt: skip

# Keys of cloud vendors without a telling prefix, or inside a larger string.
CLOUD_KEYS: tuple[Recognizer, ...] = (
    Recognizer(
        "aws_secret_access_key", "API_KEY", re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
        0.95, _CTX_AWS_SECRET, _mixed_secret, "entropy", False, True,
    ),
    _key("azure_storage_key", r"(?i:AccountKey)=([A-Za-z0-9+/]{86}==)", ("ccountKey=", "CCOUNTKEY="), group=1),
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
    _key(
        "sendgrid_api_key", r"(?<![A-Za-z0-9_\-.])SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-])",
        ("SG.",),
    ),
    _key(
        "gitlab_token", r"(?<![A-Za-z0-9_\-])gl(?:pat|dt|rt|ptt|soat|cbt|ft)-[0-9A-Za-z_\-]{20,64}(?![A-Za-z0-9_\-])",
        ("gl",),
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


def _private_keys(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
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
    literals=("PRIVATE KEY",),
)  # fmt: skip

# key = value assignments of secrets. Groups 1-3: the value, double-quoted, single-quoted, bare.
# Session cookies and CSRF tokens are bearer credentials too (OWASP's logging cheat sheet:
# session ids are never logged in clear); "session_id" is one, where "token_id" is a field's id.
_SECRET_KEYWORDS = (
    r"(?:password|passwd|passphrase|pwd|pass|pw|secret|api[_\-]?key|access[_\-]?key|"
    r"auth[_\-]?token|access[_\-]?token|refresh[_\-]?token|token|client[_\-]?secret|private[_\-]?key|"
    r"session[_\-]?(?:id|token|key)|sessionid|session|sessid|phpsessid|jsessionid|sid|"
    r"csrf[_\-]?token|csrftoken|xsrf[_\-]?token|csrf|xsrf)"
)
_SECRET_KEYWORD = re.compile(r"(?i)" + _SECRET_KEYWORDS)
_PASSWORD = re.compile(
    r"(?i)(?<![a-z0-9])" + _SECRET_KEYWORDS + r"(?:[_\-][a-z0-9]{1,16}){0,3}"
    r"[\"']?[ \t]{0,4}(?::=|=>|=|:)[ \t]{0,4}"
    r"(?:\"([^\"\n]{1,256})\"|'([^'\n]{1,256})'|([^\s\"',;<>(){}\[\]]{1,256}))"
)
_QUERY_NEXT = re.compile(r"&(?=[A-Za-z_][\w.\-]*=)")
_PASSWORD_HINTS = ("pass", "pw", "secret", "key", "token", "sess", "sid", "srf")  # every keyword contains one


# A field named after a secret but holding something about it: "token_count: 1234567",
# "pass_rate: 0.98", "password_expiry=90"
_NOT_SECRET_SUFFIX = re.compile(
    r"(?i)[_\-](?:count|counts|rate|ratio|id|ids|type|kind|len|length|limit|limits|size|min|max|ttl|expiry|"
    r"expires|expiration|age|usage|used|total|budget|index|idx|num|number|name|label|field|hint|policy|reset|"
    r"version|file|path|url|uri|endpoint|header|prefix|format|mode|enabled|required|changed|strength|score)"
    r"[\"']?[ \t]{0,4}(?::=|=>|=|:)"
)
# a bare value written as code: a call or subscript ("token = create_access_token(user)",
# "os.environ[...]"), an attribute chain ("settings.api_key"), or a variable assigned with
# spaced "=" ("token = user_token"); a .env or YAML value is none of these
# (used with fullmatch; the look-behinds keep a search linear too, as tests/test_redos.py checks)
_ATTRIBUTE_CHAIN = re.compile(r"(?<![a-z0-9_])[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+")
_SNAKE_NAME = re.compile(r"(?<![a-z0-9_])[a-z_][a-z0-9]*(?:_[a-z0-9]+)+")
_NUMBER = re.compile(r"(?<![0-9.])[0-9]+(?:\.[0-9]+)?")


def _code_value(text: str, m: re.Match[str], s: int, e: int) -> bool:
    value = text[s:e]
    if text[e : e + 1] in ("(", "["):
        return True
    if text[e : e + 1] in (",", ")") and _SNAKE_NAME.fullmatch(value):
        return True  # a keyword argument passing a variable: "OpenAI(api_key=api_key)"
    if _ATTRIBUTE_CHAIN.fullmatch(value):
        return True
    spaced_assign = re.search(r"[ \t]=[ \t]", text[m.start() : s]) is not None
    return spaced_assign and _SNAKE_NAME.fullmatch(value) is not None


def _assigned_passwords(text: str, _taken: Sequence[Finding]) -> Iterable[Span]:
    low = text.lower()
    if not any(k in low for k in _PASSWORD_HINTS):
        return ()

    def step(m: re.Match[str]) -> tuple[Iterable[Span], int]:
        group = 1 if m.group(1) is not None else 2 if m.group(2) is not None else 3
        s, e = m.span(group)
        resume = m.end()
        keyword = _SECRET_KEYWORD.match(text, m.start())
        if _NOT_SECRET_SUFFIX.search(text, keyword.end() if keyword else m.start(), s):
            return [], resume
        if group == 3 and _code_value(text, m, s, e):
            return [], resume
        if group == 3 and _NUMBER.fullmatch(text, s, e) and "_" in text[m.start() : s].strip("_"):
            return [], resume  # "token_id=98765432": a field's number; "password=12345678" stays
        if group == 3:
            # In a query string the value stops at the next "&name=", and the scan
            # resumes there: "&token=..." is the next assignment, not this value.
            cut = _QUERY_NEXT.search(text, s, e)
            if cut is not None:
                e = resume = cut.start()
            if text[e - 1 : e] == "." and e > s:
                e -= 1
        ok = looks_like_secret(text[s:e], quoted=group != 3)
        return ([(s, e)] if ok else []), resume

    return rescan(_PASSWORD, text, step)


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
CONN_STRING_PASSWORD = Recognizer(
    "connection_string_password",
    "PASSWORD",
    _CONN_STRING,
    0.95,
    (),
    validated=True,
    literals=("://",),
    group=1,
)
URL_PASSWORD = Recognizer(
    "url_credentials_password", "PASSWORD", _URL_CREDENTIALS, 0.95, (), validated=True, literals=("://",), group=1,
)  # fmt: skip

# Passwords in prose, several languages: "my new password is hunter2", "mein Passwort ist
# ...", "mon mot de passe est ...", "mi contraseña es ...". Groups 1-4: the value.
_PASSWORD_PROSE = re.compile(
    r"(?i)(?<![^\W\d_])(?:password|passcode|passwort|kennwort|mot[ \t]de[ \t]passe|contraseña|contrasena|"
    r"clave|wachtwoord|senha|parola[ \t]d'ordine)"
    r"(?:[ \t]{1,3}(?:is|was|ist|war|lautet|est|était|etait|es|era|è|é|e|is[ \t]now|now|jetzt|nu|ora|"
    r"will[ \t]be|sera|será|sarà)){1,2}"
    r"[ \t]{0,3}[:=]?[ \t]{1,4}"
    r"(?:\"([^\"\n]{1,128})\"|'([^'\n]{1,128})'|«[ \t]?([^»\n]{1,128})»|([^\s\"'«]{1,128}))"
)
_PROSE_LITERALS = ("pass", "kennwort", "mot de passe", "contrase", "clave", "wachtwoord", "senha", "parola")
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
        ok = value.lower() not in _PROSE_STOP and looks_like_secret(value, quoted=group != 4)
        return ([(s, e)] if ok else []), resume

    return rescan(_PASSWORD_PROSE, text, step)


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
    r"adgangskode(?:n)?|passord(?:et)?|heslo|jelszó|jelszo|κωδικός|κωδικος|mật[ \t]khẩu|kata[ \t]sandi"
)
_PASSWORD_LABELLED = re.compile(
    rf"(?i)(?<![^\W\d_])(?:{_PW_WORDS})"
    r"(?:[ \t]{0,3}[:=：—–][ \t]{0,4}|[ \t]{1,3}(?:to|jest|är|er|je|это|—|–|-)[ \t]{1,3}(?:[:=][ \t]{0,3})?)"
    r"(?:\"([^\"\n]{1,128})\"|'([^'\n]{1,128})'|«[ \t]?([^»\n]{1,128})»|([^\s\"'«]{1,128}))"
    r"|(?:密码|密碼|口令|パスワード|비밀번호)[ \t]*(?:是|为|為|は|:|：|=|는|은)?[ \t]*([!-~]{1,128})"
)
_LABELLED_LITERALS = (
    "passwort", "kennwort", "mot de passe", "contrase", "clave", "wachtwoord", "senha", "parola", "пароль",
    "hasło", "haslo", "şifre", "sifre", "salasana", "lösenord", "losenord", "adgangskode", "passord",
    "heslo", "jelsz", "κωδικ", "mật khẩu", "kata sandi", "密码", "密碼", "口令", "パスワード", "비밀번호",
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
