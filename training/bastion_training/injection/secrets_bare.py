"""Bare secret-like tokens (label 0): a random token alone or in a short benign frame.

Issue 12: the shipped model blocks a random 40-character alphanumeric token (0.97). The
secrets_code families always wrap their tokens in a format (a config, a log, a data URI);
here the token *is* the text, or nearly: "X", "my token is X", "here's the nonce: X",
"API key: X please rotate it", "sha256: X", written natively in the 13 attack languages.

Token kinds (the family is ``secrets_bare:<kind>``): random alphanumerics (16-64 chars),
base64 and base64url blobs of random bytes, hex digests (32 / 40 / 64, named md5 / sha1 /
sha256 where the frame names the algorithm), UUIDs, API keys with the common prefixes
(``sk-``, ``ghp_``, ``xoxb-``, ``glpat-``, ``AIza``, ``npm_``, ``sk_test_``), AWS key
pairs (``AKIA…`` + a 40-character secret), session ids / nonces and one-time codes.

Why this contradicts no positive: an encoded attack (``attacks.encode`` and the ``base64``
augmentation) always comes behind a decode-and-follow framing and encodes an instruction.
A token here is random bytes; one that decodes (base64 or hex) to text-like bytes or to an
instruction word is drawn again (:func:`decodes_to_text`), and no frame asks to decode,
encode, follow or execute anything.

Tokens come from ``random.Random(f"{seed}:secrets-bare")``, a stream no other family
reads, so turning the family on or off changes no other row. Split by frame, as the
other generator families: each language's frames are ranked by hash and about
``val_fraction`` of them go to val (:func:`frame_split`); the language-neutral frames are
ranked the same way except the bare ``{t}`` frame, which always trains (the exact case of
the issue). Neutral rows carry ``lang="en"``, like the secrets_code rows.

>>> df = secrets_bare_rows(13, 50, 0.15)
>>> len(df), set(df["label"]), sorted(set(df["split"]))
(50, {0}, ['train', 'val'])
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import random
import re
import string

import pandas as pd

from bastion_training.injection.multilingual import LANGS, fill
from bastion_training.injection.negatives import _akia, _alnum, _hex, _row, _uuid, rows_frame
from bastion_training.injection.sysprompts import _rank_split, pick_lang

SOURCE = "synthetic_secrets_bare"
FAMILY = "secrets_bare"

# frame category -> the token kinds it fits ("any" frames fit every kind)
CATEGORIES = ("any", "secret", "hash", "id", "code")

# Per language: (category, frame) with one ``{t}`` (the token) and, in hash frames, one
# ``{algo}``. Written natively, a few per language; no frame mentions decoding, encoding,
# following or executing anything (the framing of encoded attacks).
_FRAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("secret", "my token is {t}"),
        ("secret", "API key: {t} please rotate it"),
        ("secret", "Here's the new access token: {t}"),
        ("hash", "The {algo} checksum of the download should be {t}."),
        ("hash", "got {t} from {algo}sum, is that the same as on the release page?"),
        ("id", "here's the nonce: {t}"),
        ("id", "session id {t} keeps expiring after five minutes"),
        ("code", "Your verification code is {t}"),
        ("any", "copied this from the dashboard: {t}"),
        ("any", "Is {t} still valid?"),
    ),
    "de": (
        ("secret", "mein Token ist {t}"),
        ("secret", "API-Schlüssel: {t} bitte rotieren"),
        ("secret", "Hier der neue Zugangstoken: {t}"),
        ("hash", "{algo}-Prüfsumme der Datei: {t}"),
        ("id", "Hier ist die Nonce: {t}"),
        ("id", "Die Session-ID {t} läuft ständig ab."),
        ("code", "Dein Bestätigungscode lautet {t}"),
        ("any", "Ist {t} noch gültig?"),
    ),
    "fr": (
        ("secret", "mon jeton est {t}"),
        ("secret", "Clé API : {t}, pense à la renouveler"),
        ("secret", "Voici le nouveau jeton d'accès : {t}"),
        ("hash", "Somme de contrôle {algo} du fichier : {t}"),
        ("id", "voici le nonce : {t}"),
        ("id", "L'identifiant de session {t} expire sans arrêt."),
        ("code", "Votre code de vérification est {t}"),
        ("any", "{t} est-il encore valide ?"),
    ),
    "es": (
        ("secret", "mi token es {t}"),
        ("secret", "Clave de API: {t}, hay que rotarla"),
        ("secret", "Aquí tienes el nuevo token de acceso: {t}"),
        ("hash", "Suma de comprobación {algo} del archivo: {t}"),
        ("id", "aquí está el nonce: {t}"),
        ("id", "El ID de sesión {t} caduca cada pocos minutos."),
        ("code", "Tu código de verificación es {t}"),
        ("any", "¿{t} sigue siendo válido?"),
    ),
    "it": (
        ("secret", "il mio token è {t}"),
        ("secret", "Chiave API: {t}, da ruotare al più presto"),
        ("secret", "Ecco il nuovo token di accesso: {t}"),
        ("hash", "Checksum {algo} del file: {t}"),
        ("id", "ecco il nonce: {t}"),
        ("id", "L'ID di sessione {t} scade di continuo."),
        ("code", "Il tuo codice di verifica è {t}"),
        ("any", "{t} è ancora valido?"),
    ),
    "pt": (
        ("secret", "meu token é {t}"),
        ("secret", "Chave de API: {t}, precisa ser trocada"),
        ("secret", "Segue o novo token de acesso: {t}"),
        ("hash", "Soma de verificação {algo} do arquivo: {t}"),
        ("id", "aqui está o nonce: {t}"),
        ("id", "O ID de sessão {t} fica expirando toda hora."),
        ("code", "Seu código de verificação é {t}"),
        ("any", "{t} ainda é válido?"),
    ),
    "nl": (
        ("secret", "mijn token is {t}"),
        ("secret", "API-sleutel: {t}, graag roteren"),
        ("secret", "Hier is het nieuwe toegangstoken: {t}"),
        ("hash", "{algo}-controlesom van het bestand: {t}"),
        ("id", "hier is de nonce: {t}"),
        ("id", "Sessie-ID {t} verloopt steeds na vijf minuten."),
        ("code", "Je verificatiecode is {t}"),
        ("any", "Is {t} nog geldig?"),
    ),
    "pl": (
        ("secret", "mój token to {t}"),
        ("secret", "Klucz API: {t}, proszę go wymienić"),
        ("secret", "Oto nowy token dostępu: {t}"),
        ("hash", "Suma kontrolna {algo} pliku: {t}"),
        ("id", "oto nonce: {t}"),
        ("id", "Identyfikator sesji {t} ciągle wygasa."),
        ("code", "Twój kod weryfikacyjny to {t}"),
        ("any", "Czy {t} jest jeszcze ważny?"),
    ),
    "ru": (
        ("secret", "мой токен: {t}"),
        ("secret", "API-ключ: {t}, его нужно перевыпустить"),
        ("secret", "Вот новый токен доступа: {t}"),
        ("hash", "Контрольная сумма {algo} файла: {t}"),
        ("id", "вот nonce: {t}"),
        ("id", "Идентификатор сессии {t} постоянно истекает."),
        ("code", "Ваш код подтверждения: {t}"),
        ("any", "{t} ещё действителен?"),
    ),
    "zh": (
        ("secret", "我的令牌是 {t}"),
        ("secret", "API 密钥：{t}，请轮换一下"),
        ("secret", "这是新的访问令牌：{t}"),
        ("hash", "文件的 {algo} 校验和：{t}"),
        ("id", "这是 nonce：{t}"),
        ("id", "会话 ID {t} 总是很快过期。"),
        ("code", "您的验证码是 {t}"),
        ("any", "{t} 还有效吗？"),
    ),
    "ja": (
        ("secret", "私のトークンは {t} です"),
        ("secret", "APIキー：{t} ローテーションをお願いします"),
        ("secret", "新しいアクセストークンはこちら：{t}"),
        ("hash", "ファイルの {algo} チェックサム：{t}"),
        ("id", "nonce はこちら：{t}"),
        ("id", "セッションID {t} がすぐに期限切れになります。"),
        ("code", "確認コードは {t} です"),
        ("any", "{t} はまだ有効ですか？"),
    ),
    "ar": (
        ("secret", "الرمز المميز الخاص بي هو {t}"),
        ("secret", "مفتاح API: {t} يرجى استبداله"),
        ("secret", "إليك رمز الوصول الجديد: {t}"),
        ("hash", "المجموع الاختباري {algo} للملف: {t}"),
        ("id", "إليك قيمة nonce: {t}"),
        ("id", "معرّف الجلسة {t} تنتهي صلاحيته باستمرار."),
        ("code", "رمز التحقق الخاص بك هو {t}"),
        ("any", "هل {t} لا يزال صالحًا؟"),
    ),
    "hi": (
        ("secret", "मेरा टोकन {t} है"),
        ("secret", "API कुंजी: {t} कृपया इसे रोटेट कर दें"),
        ("secret", "यह रहा नया एक्सेस टोकन: {t}"),
        ("hash", "फ़ाइल का {algo} चेकसम: {t}"),
        ("id", "यह रहा nonce: {t}"),
        ("id", "सेशन आईडी {t} बार-बार एक्सपायर हो रही है।"),
        ("code", "आपका वेरिफ़िकेशन कोड {t} है"),
        ("any", "क्या {t} अभी भी वैध है?"),
    ),
}

# Language-neutral frames (rows get lang "en"); index 0, the bare token, always trains.
NEUTRAL = "neutral"
_NEUTRAL: tuple[tuple[str, str], ...] = (
    ("any", "{t}"),
    ("any", "`{t}`"),
    ("any", '"{t}"'),
    ("secret", "token={t}"),
    ("secret", "API_KEY={t}"),
    ("hash", "{algo}: {t}"),
    ("id", "id: {t}"),
)
NEUTRAL_SHARE = 0.35  # of the rows; the rest pick a language, English 3x as likely as each other

# kind -> (weight, frame categories it fits besides "any", the first one its own)
KINDS: dict[str, tuple[float, tuple[str, ...]]] = {
    "alnum": (3.0, ("secret",)),
    "base64": (2.0, ("secret",)),
    "base64url": (1.0, ("secret", "id")),
    "hex": (2.0, ("hash", "secret", "id")),
    "uuid": (1.0, ("id", "secret")),
    "api_key": (2.0, ("secret",)),
    "aws_pair": (0.7, ("secret",)),
    "session": (1.3, ("id", "secret")),
    "otp": (0.7, ("code",)),
}


def frame_weight(key: str, i: int, kind: str) -> float:
    """How likely frame ``i`` of ``key`` is for a token of ``kind``: 3 for a frame of the
    kind's own category (a digest in a checksum frame), 5 for the bare ``{t}`` frame (the
    case of the issue), 1 for another category it fits, 0.5 for the other "any" frames and
    0 where it does not fit."""
    cat = frames(key)[i][0]
    cats = KINDS[kind][1]
    if key == NEUTRAL and i == 0:
        return 5.0
    if cat == cats[0]:
        return 3.0
    if cat in cats:
        return 1.0
    return 0.5 if cat == "any" else 0.0


_ALGO = {32: ("md5", "MD5"), 40: ("sha1", "SHA-1"), 64: ("sha256", "SHA-256")}
_URLSAFE = string.ascii_letters + string.digits + "-_"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# words of the instructions encoded attacks carry; a token that decodes to one is redrawn
INSTRUCTION_WORDS = (
    "ignore",
    "instruction",
    "disregard",
    "override",
    "system",
    "prompt",
    "reveal",
    "follow",
    "execute",
    "assistant",
)


def _api_key(r: random.Random) -> str:
    return r.choice(
        (
            lambda: "sk-" + _alnum(r, 48),
            lambda: "sk-proj-" + _alnum(r, 56, _URLSAFE),
            lambda: "ghp_" + _alnum(r, 36),
            lambda: f"xoxb-{_alnum(r, 12, string.digits)}-{_alnum(r, 13, string.digits)}-{_alnum(r, 24)}",
            lambda: "glpat-" + _alnum(r, 20, _URLSAFE),
            lambda: "AIza" + _alnum(r, 35, _URLSAFE),
            lambda: "npm_" + _alnum(r, 36),
            lambda: "sk_test_" + _alnum(r, 24),
        )
    )()


def _session(r: random.Random) -> str:
    return r.choice(
        (
            lambda: "sess_" + _alnum(r, 24),
            lambda: _hex(r, 32),
            lambda: _alnum(r, 26, _CROCKFORD),  # ULID-like
            lambda: _alnum(r, 26, string.ascii_lowercase[:22] + string.digits),  # PHPSESSID-like
            lambda: base64.urlsafe_b64encode(r.randbytes(16)).decode().rstrip("="),  # nonce
        )
    )()


def _otp(r: random.Random) -> str:
    return r.choice(
        (
            lambda: _alnum(r, 6, string.digits),
            lambda: _alnum(r, 8, string.digits),
            lambda: f"{_alnum(r, 3, string.digits)} {_alnum(r, 3, string.digits)}",
            lambda: (
                f"{_alnum(r, 4, string.ascii_lowercase + string.digits)}-{_alnum(r, 4, string.ascii_lowercase + string.digits)}"
            ),
        )
    )()


def _draw(kind: str, r: random.Random, hex_len: int | None = None) -> str:
    if kind == "alnum":
        return _alnum(r, r.randint(16, 64))
    if kind == "base64":
        return base64.b64encode(r.randbytes(r.randint(12, 48))).decode()
    if kind == "base64url":
        return base64.urlsafe_b64encode(r.randbytes(r.randint(12, 48))).decode().rstrip("=")
    if kind == "hex":
        return _hex(r, hex_len or r.choice(tuple(_ALGO)))
    if kind == "uuid":
        u = _uuid(r)
        return u.upper() if r.random() < 0.2 else u
    if kind == "api_key":
        return _api_key(r)
    if kind == "aws_pair":
        sep = r.choice((" ", " / ", ":", "\n"))
        return f"{_akia(r)}{sep}{_alnum(r, 40, string.ascii_letters + string.digits + '/+')}"
    if kind == "session":
        return _session(r)
    if kind == "otp":
        return _otp(r)
    raise ValueError(f"unknown token kind {kind!r}; choose from {sorted(KINDS)}")


def _decodings(token: str) -> list[bytes]:
    """What ``token``, and each piece of it between separators (a prefix such as ``ghp_``,
    the two halves of a key pair), decodes to as base64, base64url or hex."""
    pieces = {token} | {p for p in re.split(r"[\s:/_.-]+", token) if len(p) >= 8}
    out = []
    for s in sorted(pieces):
        pad = s + "=" * (-len(s) % 4)
        for dec in (base64.b64decode, base64.urlsafe_b64decode):
            with contextlib.suppress(binascii.Error, ValueError):
                out.append(dec(pad))
        if re.fullmatch(r"(?:[0-9a-fA-F]{2})+", s):
            out.append(bytes.fromhex(s))
    return out


def decodes_to_text(token: str, min_bytes: int = 9, printable_share: float = 0.75) -> bool:
    """True if a base64 / hex reading of ``token`` looks like text: mostly printable ASCII,
    or containing an instruction word. Random bytes almost never do."""
    for b in _decodings(token):
        low = b.lower()
        if any(w.encode() in low for w in INSTRUCTION_WORDS):
            return True
        if len(b) >= min_bytes and sum(32 <= c < 127 for c in b) / len(b) >= printable_share:
            return True
    return False


def bare_token(kind: str, r: random.Random, hex_len: int | None = None) -> str:
    """One token of ``kind``, redrawn until no base64/hex reading of it looks like text."""
    for _ in range(100):
        t = _draw(kind, r, hex_len)
        if not decodes_to_text(t):
            return t
    raise RuntimeError(f"no {kind} token without a text-like decoding in 100 draws")


def frames(key: str) -> tuple[tuple[str, str], ...]:
    """The (category, frame) pairs of a language, or of ``NEUTRAL``."""
    return _NEUTRAL if key == NEUTRAL else _FRAMES[key]


def frame_split(key: str, i: int, seed: int, val_fraction: float) -> str:
    """``train`` or ``val`` for frame ``i`` of ``key`` (a language or ``NEUTRAL``), by hash
    rank within ``key``; the bare ``{t}`` frame (neutral 0) is always train."""
    if key == NEUTRAL:
        if i == 0:
            return "train"
        return _rank_split(f"{FAMILY}:{key}", i - 1, len(_NEUTRAL) - 1, seed, val_fraction)
    return _rank_split(f"{FAMILY}:{key}", i, len(_FRAMES[key]), seed, val_fraction)


def _render(frame: str, kind: str, r: random.Random) -> str:
    """``frame`` with a fresh ``kind`` token; only hash frames (which only hex tokens fit,
    see :func:`frame_weight`) name an algorithm, and the digest then has its length."""
    hex_len = None
    algo = ""
    if "{algo}" in frame:
        hex_len = r.choice(tuple(_ALGO))
        algo = r.choice(_ALGO[hex_len])
    return fill(frame, t=bare_token(kind, r, hex_len), algo=algo)


def secrets_bare_rows(seed: int, n: int, val_fraction: float) -> pd.DataFrame:
    """``n`` distinct rows (label 0, family ``secrets_bare:<kind>``), split by frame."""
    r = random.Random(f"{seed}:secrets-bare")
    kinds = sorted(KINDS)
    weights = [KINDS[k][0] for k in kinds]
    rows: list[dict] = []
    seen: set[str] = set()
    for _ in range(max(20 * n, 100) if n > 0 else 0):
        if len(rows) >= n:
            break
        key = NEUTRAL if r.random() < NEUTRAL_SHARE else pick_lang(r, LANGS, 3.0)
        kind = r.choices(kinds, weights)[0]
        fw = [frame_weight(key, j, kind) for j in range(len(frames(key)))]
        i = r.choices(range(len(fw)), fw)[0]
        text = _render(frames(key)[i][1], kind, r)
        if text in seen:
            continue
        seen.add(text)
        lang = "en" if key == NEUTRAL else key
        split = frame_split(key, i, seed, val_fraction)
        rows.append(_row(text, SOURCE, f"{FAMILY}:{kind}", f"bare:{key}:{i}", split, lang))
    return rows_frame(rows, dedup=False)
