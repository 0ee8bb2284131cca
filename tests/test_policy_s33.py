"""Session 33 qa_policy: the lists' total regex work has a budget (H1), deny terms read the
text as the regex rules do (H2), request overrides merge into the server's policy and add
deny terms (M2), custom recognizers take leading ``(?i)`` / ``(?x)`` flags and refuse the
deny label (M4, L3), and a request's deny term with ``label`` is a clear 422 (L4)."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from bastion import Guard, Policy
from bastion.api.app import create_app
from bastion.api.settings import Settings
from bastion.detectors import build_detector
from bastion.detectors.pii_regex import RegexPIIDetector
from bastion.errors import ConfigError
from bastion.policy import (
    ALLOW_WORK_BUDGET,
    DENY_WORK_BUDGET,
    INJECTION_WORK_BUDGET,
    OUTPUT_POLICY,
    regex_steps,
)
from bastion.types import Action
from fastapi.testclient import TestClient

API_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"


def _strike(text: str, mark: str) -> str:
    return "".join(c + mark if c.isalnum() else c for c in text)


def _rules_guard(policy: dict[str, Any] | None = None) -> Guard:
    return Guard([build_detector("pii_regex")], Policy.from_dict(policy or {}))


# ------------------------------------------------------------- H1: the lists' total work


def test_regex_steps_counts_every_path_and_what_follows_it():
    assert regex_steps(r"FALCON-\d{4}", 256) == 13
    # 64 paths, each reading the fixed run of 239 after its choices: the path count alone
    # (64, within DENY_BUDGET) said nothing of the 10 s this took on 100,000 characters
    assert regex_steps("[a-z]{1,8}[a-z]{1,8}[a-z]{239}!", 256) == 15632
    assert regex_steps(r"[a-z.]{1,64}@[a-z]{1,64}\.com", 256) < ALLOW_WORK_BUDGET
    # two unbounded runs of one class side by side: every split of the run is a path
    assert regex_steps(r"[a-z.]+[a-z]+@x", 256) > ALLOW_WORK_BUDGET
    # a character the run cannot read ends all but one run length (s34 qa_verify V8): about
    # two tests per character of the run, not one per path
    assert regex_steps(r"[a-z.]+@[a-z]+\.com", 256) <= 6 * 256 + 16


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (  # the report's 64 deny regexes: 21 s for one 100 KB request
            {"deny_terms": [{"regex": f"[a-z]{{{199 + i % 3},255}}!"} for i in range(64)]},
            f"deny_terms: the regexes together may take about 23554 steps at each position of a text, "
            f"over the budget of {DENY_WORK_BUDGET}",
        ),
        (  # one entry, within the per-entry checks, took 10 s on 100,000 characters
            {"deny_terms": [{"regex": "[a-z]{1,8}[a-z]{1,8}[a-z]{239}!"}]},
            "deny_terms: the regexes together may take about 15632 steps",
        ),
        (  # the report's 64 allow-list regexes: 18 s for 400 URL findings
            {"allow_list": {"*": [{"regex": "[a-z0-9:/.]{1,256}[a-z0-9:/.]{1,256}!"}] * 64}},
            f"allow_list: the regexes together may take about .* on each finding .* budget of {ALLOW_WORK_BUDGET}",
        ),
        (  # one entry: 28 s for the same 400 findings
            {
                "allow_list": {
                    "URL": [
                        {
                            "regex": "[a-z0-9:/.]{1,14}[a-z0-9:/.]{1,14}[a-z0-9:/.]{1,14}[a-z0-9:/.]{1,14}[a-z0-9:/.]{190}!"
                        }
                    ]
                }
            },
            "allow_list: the regexes together",
        ),
        (  # a label's entries and "*"'s run on the same finding: they add up
            {
                "allow_list": {
                    "*": [{"regex": "[a-z]{1,127}[a-z]{1,127}!"}],
                    "URL": [{"regex": "[a-z]{1,127}[a-z]{1,127}!"}],
                }
            },
            "allow_list: the regexes together",
        ),
        (
            {"injection_allow_list": [{"regex": "[a-z]{1,300}[a-z]{1,300}[a-z]{3000}!"}]},
            f"injection_allow_list: the regexes together .* budget of {INJECTION_WORK_BUDGET}",
        ),
    ],
    ids=["deny64", "deny1", "allow64", "allow1", "allow_label_plus_star", "injection1"],
)
def test_lists_over_their_work_budget_are_config_errors(policy, message):
    with pytest.raises(ConfigError, match=message):
        Policy.from_dict(policy)


def test_ordinary_list_regexes_fit_the_budgets():
    p = Policy.from_dict(
        {
            "deny_terms": [
                {"regex": r"FALCON-\d{4}"},
                {"regex": r"\b[A-Z]{2,10}-\d{3,6}\b"},
                "Project Falcon",
            ]
            + [f"codename {i}" for i in range(500)],  # exact terms are not regexes: not counted
            "allow_list": {
                "EMAIL_ADDRESS": [{"regex": r"[a-z.]{1,64}@[a-z]{1,64}\.com"}, {"regex": r".*@example\.com"}],
                "PHONE_NUMBER": [{"regex": r"\+1 800 555 01\d\d"}],
                "*": ["Acme", "*@acme.com"],
            },
            "injection_allow_list": [{"regex": "ignore previous instructions and reply in .{1,20}"}],
        }
    )
    assert len(p.deny_terms) == 503


def test_the_budget_counts_the_servers_regexes_and_the_requests_together():
    server = Policy.from_dict({"deny_terms": [{"regex": "[a-z]{199,255}!"}, {"regex": "[a-z]{200,255}!"}]})
    with pytest.raises(ConfigError, match="deny_terms: the regexes together"):
        server.with_overrides({"deny_terms": [{"regex": "[a-z]{201,255}!"}]})


def test_exact_deny_terms_are_linear_in_the_text():
    # 64 terms of 256 characters backtracked at every word: 13 s on 100,000 characters
    text = "a " * 20_000
    g = _rules_guard({"deny_terms": ["a " * 126 + f"b{i:02d}" for i in range(64)]})
    t = time.perf_counter()
    assert g.check(text).action is Action.ALLOW
    assert time.perf_counter() - t < 2.0  # the old code: about 5 s here


def test_a_span_found_again_by_another_entry_is_reported_once():
    p = Policy.from_dict(
        {"deny_terms": ["Falcon", "falcon", {"regex": "falcon"}, {"regex": "falcon", "label": "X"}]}
    )
    found = [(f.label, f.start, f.end, f.rule) for f in p.deny_findings("on Falcon now")]
    assert found == [("DENY_TERM", 3, 9, "deny_terms[0]"), ("X", 3, 9, "deny_terms[3]")]


# ------------------------------------------------ H2: deny terms read the rules' view

DENY = {"deny_terms": ["Project Falcon", {"regex": r"FALCON-\d{4}", "label": "CODENAME"}, "Project-Falcon"]}


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("We run " + _strike("Project Falcon", "\u0336"), _strike("Project Falcon", "\u0336")),
        (
            "We run " + "".join(c + "\u0336" for c in "Project Falcon"),
            "".join(c + "\u0336" for c in "Project Falcon"),
        ),
        ("code " + _strike("FALCON-0042", "\u0332"), _strike("FALCON-0042", "\u0332")),
        ("code " + _strike("FALCON-0042", "\u0336"), _strike("FALCON-0042", "\u0336")),
        ("code FALCON\u20110042 ok", "FALCON\u20110042"),
        ("code FALCON\u22120042 ok", "FALCON\u22120042"),
        ("on Project\u2011Falcon ok", "Project\u2011Falcon"),
        ("run Project\\nFalcon ok", "Project\\nFalcon"),
        ("run Project&nbsp;Falcon ok", "Project&nbsp;Falcon"),
        ("run Project%20Falcon ok", "Project%20Falcon"),
        ("run Project\\u0020Falcon ok", "Project\\u0020Falcon"),
        ("code FALCON&#45;0042 ok", "FALCON&#45;0042"),
        ("code FALCON%2D0042 ok", "FALCON%2D0042"),
        ("run Project _Falcon_ ok", "Project _Falcon"),
        ("run _Project Falcon_ ok", "Project Falcon"),
    ],
)
@pytest.mark.parametrize("side", ["check", "check_output"])
def test_deny_terms_are_not_evaded_by_what_the_rules_read_through(text, term, side):
    r = getattr(_rules_guard(DENY), side)(text)
    assert r.action is Action.REDACT, r.redacted_text
    (f,) = [f for f in r.pii if f.detector == "deny_terms"]
    # offsets stay end-exclusive into the string passed, covering the marks and escapes
    assert text[f.start : f.end] == term
    assert "[REDACTED_" in r.redacted_text and "alcon" not in r.redacted_text.lower().replace("_falcon", "")


def test_deny_findings_map_back_through_the_view():
    p = Policy.from_dict(DENY)
    text = "ß " + "x\u0336 " + "code F\u0336A\u0336LCON\u20110042 / project\u00a0\u00a0falcon"
    got = [(f.label, text[f.start : f.end]) for f in p.deny_findings(text)]
    assert got == [("DENY_TERM", "project\u00a0\u00a0falcon"), ("CODENAME", "F\u0336A\u0336LCON\u20110042")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Falcons and Falconry", []),
        ("F4lc0n and f a l c o n", []),
        ("Project_Falcon here", ["Falcon"]),  # not the pair: "_" inside a word is not emphasis
        ("falcon's", ["falcon"]),
        ("STRASSE und Straße", ["STRASSE", "Straße"]),
        ("ﬁle and \ufb03x", ["ﬁle", "\ufb03x"]),
        ("İstanbul ISTANBUL", ["İstanbul", "ISTANBUL"]),
        ("Ｆａｌｃｏｎ and Fаlcon", ["Ｆａｌｃｏｎ", "Fаlcon"]),  # full-width, Cyrillic а
    ],
)
def test_the_checked_deny_behaviour_still_holds(text, found):
    p = Policy.from_dict({"deny_terms": ["falcon", "project falcon", "straße", "file", "ffix", "istanbul"]})
    g = Guard([build_detector("pii_regex")], p)
    assert [text[f.start : f.end] for f in g.check(text).pii if f.detector == "deny_terms"] == found


# ------------------------------------------------------- M2: overrides merge and add


SERVER = Policy.from_dict(
    {
        "label_actions": {"API_KEY": "block"},
        "label_thresholds": {"PERSON": 0.7},
        "operators": {"EMAIL_ADDRESS": "mask"},
        "allow_list": {"ORGANIZATION": ["Acme"], "*": ["*@example.com"]},
        "deny_terms": ["Project Falcon"],
    }
)


def test_a_per_label_override_keeps_the_servers_other_labels():
    q = SERVER.with_overrides(
        {
            "label_actions": {"PERSON": "block"},
            "label_thresholds": {"US_SSN": 0.3},
            "operators": {"PERSON": {"type": "hash", "key": "k" * 16}},
            "allow_list": {"PERSON": ["Jane Doe"]},
        }
    )
    assert q.action_for_label("API_KEY") is Action.BLOCK and q.action_for_label("PERSON") is Action.BLOCK
    assert q.action_for_label("LOCATION") is Action.ALLOW  # the defaults stay too
    assert dict(q.label_thresholds) == {"PERSON": 0.7, "US_SSN": 0.3}
    assert dict(q.operators) == {"EMAIL_ADDRESS": "mask", "PERSON": {"type": "hash", "key": "k" * 16}}
    assert (
        q.allow_entry("ORGANIZATION", "acme") is not None and q.allow_entry("PERSON", "jane doe") is not None
    )
    # a key the override names is the override's: stricter or looser is the caller's choice
    assert (
        SERVER.with_overrides({"label_actions": {"API_KEY": "redact"}}).action_for_label("API_KEY")
        is Action.REDACT
    )
    assert (
        SERVER.with_overrides({"allow_list": {"*": []}}).allow_entry("EMAIL_ADDRESS", "a@example.com") is None
    )


def test_an_empty_mapping_empties_the_field_in_python():
    # protect(), the proxy and `bastion redact --operator` pseudonymise every label this way
    q = SERVER.with_overrides({"default_operator": "pseudonymize", "operators": {}})
    assert dict(q.operators) == {} and q.operator_for_label("EMAIL_ADDRESS") == "pseudonymize"


def test_deny_terms_in_an_override_add_to_the_servers():
    q = SERVER.with_overrides({"deny_terms": ["Osprey", "project falcon", "Project Falcon"]})
    assert [(e.value, e.name) for e in q.deny_terms] == [
        ("Project Falcon", "deny_terms[0]"),
        ("Osprey", "deny_terms[1]"),
        ("project falcon", "deny_terms[2]"),
    ]
    assert SERVER.with_overrides({"deny_terms": []}).deny_terms == SERVER.deny_terms
    # an entry is named as the caller numbered it
    with pytest.raises(ConfigError, match=r"deny_terms\[0\]: nested quantifiers"):
        SERVER.with_overrides({"deny_terms": [{"regex": "(a+)+"}]})
    with pytest.raises(ConfigError, match="deny_terms must be a list"):
        SERVER.with_overrides({"deny_terms": "Osprey"})
    assert OUTPUT_POLICY.with_overrides({"max_chars": 1000}).max_chars == 1000


@pytest.fixture
def api() -> Any:
    guard = Guard(
        [build_detector("pii_regex")],
        Policy.from_dict({"label_actions": {"API_KEY": "block"}, "deny_terms": ["Project Falcon"]}),
    )
    app = create_app(
        guard=guard, settings=Settings(auth_enabled=False, rate_limit=None), audit_stream=io.StringIO()
    )
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    ("override", "action", "redacted"),
    [
        ({}, "block", "key [REDACTED_API_KEY] on [REDACTED_DENY_TERM], ask Osprey"),
        (
            {"label_actions": {"PERSON": "block"}},
            "block",
            "key [REDACTED_API_KEY] on [REDACTED_DENY_TERM], ask Osprey",
        ),
        ({"label_actions": {}}, "block", "key [REDACTED_API_KEY] on [REDACTED_DENY_TERM], ask Osprey"),
        (
            {"deny_terms": ["Osprey"]},
            "block",
            "key [REDACTED_API_KEY] on [REDACTED_DENY_TERM], ask [REDACTED_DENY_TERM]",
        ),
        (
            {"label_actions": {"API_KEY": "redact"}},
            "redact",
            "key [REDACTED_API_KEY] on [REDACTED_DENY_TERM], ask Osprey",
        ),
    ],
    ids=["none", "stricter_other_label", "empty_mapping", "deny_added", "named_label"],
)
def test_request_overrides_merge_into_the_servers_policy(api, override, action, redacted):
    r = api.post(
        "/v1/check", json={"text": f"key {API_KEY} on Project Falcon, ask Osprey", "policy": override}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["action"], r.json()["redacted_text"]) == (action, redacted)


# ------------------------------------------------------- H1 over HTTP, L4


def test_a_request_may_send_only_a_few_regexes(api):
    deny = [{"regex": f"[a-z]{{{199 + i % 3},255}}!"} for i in range(64)]  # the report's h3
    r = api.post("/v1/check", json={"text": "hello", "policy": {"deny_terms": deny}})
    assert r.status_code == 422 and "64 regexes together, over the limit of 8" in r.json()["detail"]
    r = api.post("/v1/check", json={"text": "hello", "policy": {"deny_terms": deny[:3]}})
    assert r.status_code == 422 and "deny_terms: the regexes together" in r.json()["detail"]
    r = api.post(
        "/v1/check", json={"text": "see falcon-0042", "policy": {"deny_terms": [{"regex": r"FALCON-\d{4}"}]}}
    )
    assert r.status_code == 200 and r.json()["redacted_text"] == "see [REDACTED_DENY_TERM]"


def test_a_label_on_a_requests_deny_term_is_a_clear_422(api):
    r = api.post(
        "/v1/check", json={"text": "x", "policy": {"deny_terms": [{"regex": "Falcon", "label": "X"}]}}
    )
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "policy.deny_terms.0: 'label' is not allowed on a list entry in a request" in detail
    assert "Extra inputs" not in detail and "function-after" not in detail and "valid string" not in detail
    r = api.post("/v1/check", json={"text": "x", "policy": {"deny_terms": [42]}})
    assert r.status_code == 422 and "an entry is a string or a mapping" in r.json()["detail"]


# ------------------------------------------------------- M4, L3: custom recognizers


def _custom(regex: str, **extra: Any) -> dict[str, Any]:
    return {"name": "employee_id", "label": "EMPLOYEE_ID", "regex": regex, **extra}


@pytest.mark.parametrize(
    "regex",
    [r"(?i)emp-\d{6}", r"(?i)(?a)emp-\d{6}", "(?ix) emp - \\d{6}  # the badge number", "(?x)(?i) EMP-\\d{6}"],
)
def test_custom_regex_takes_leading_global_flags(regex):
    det = RegexPIIDetector(custom=[_custom(regex)])
    out = det.detect(["id emp-123456, EMP-654321 and xEMP-000001"])[0]
    assert [(f.label, f.start, f.end) for f in out] == [("EMPLOYEE_ID", 3, 13), ("EMPLOYEE_ID", 15, 25)]


def test_custom_regex_is_case_sensitive_without_the_flag():
    det = RegexPIIDetector(custom=[_custom(r"EMP-\d{6}")])
    assert [f.start for f in det.detect(["id emp-123456, EMP-654321"])[0]] == [15]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_custom("(?L)emp"), r"custom\[0\] \(employee_id\): invalid regex"),
        (_custom(r"emp(?i)-\d{6}"), r"custom\[0\] \(employee_id\): invalid regex"),
        (
            {"name": "x", "label": "DENY_TERM", "regex": r"EMP-\d{6}"},
            r"custom\[0\] \(x\): label DENY_TERM is reserved",
        ),
    ],
)
def test_custom_recognizer_problems_are_config_errors(spec, message):
    with pytest.raises(ConfigError, match=message):
        RegexPIIDetector(custom=[spec])
    with pytest.raises(ConfigError, match=message):
        build_detector("pii_regex", custom=[spec])
