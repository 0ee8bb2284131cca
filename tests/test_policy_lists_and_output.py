"""Deny terms, allow lists, per-text vaults and the output policy as app teams configure them
(QA round s30): every row leaked or misbehaved on the old code."""

from __future__ import annotations

import pytest
from bastion import Guard, Policy, restore
from bastion.detectors.pii_regex import RegexPIIDetector
from bastion.errors import ConfigError
from bastion.types import PII, Action, Finding


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard([RegexPIIDetector()])


@pytest.mark.parametrize(
    ("term", "text", "redacted"),
    [
        ("Project Falcon", "about Project\nFalcon now", "about [REDACTED_DENY_TERM] now"),
        ("Project Falcon", "Project  Falcon", "[REDACTED_DENY_TERM]"),
        ("Project Falcon", "Project\tFalcon", "[REDACTED_DENY_TERM]"),
        ("Straße", "MAIN STRASSE 5", "MAIN [REDACTED_DENY_TERM] 5"),  # case-folded, not lower-cased
        ("Straße", "die Straße ist", "die [REDACTED_DENY_TERM] ist"),
        ("Jose\u0301", "José called", "[REDACTED_DENY_TERM] called"),  # the term normalised like the text
        ("ｆｉｎａｎｃｅ", "finance team", "[REDACTED_DENY_TERM] team"),
        ("ﬁnance", "finance team", "[REDACTED_DENY_TERM] team"),
        ("Falcon", "Falconry", "Falconry"),  # whole words only
        # "İ" case-folds to "i" plus a combining dot: the dot must not stop the match (s31)
        ("İstanbul", "ISTANBUL office", "[REDACTED_DENY_TERM] office"),
        ("istanbul", "İstanbul office", "[REDACTED_DENY_TERM] office"),
        ("İstanbul", "an İstanbul office", "an [REDACTED_DENY_TERM] office"),
    ],
)
def test_deny_terms_match_as_the_docs_say(guard, term, text, redacted):
    assert guard.check(text, policy=Policy(deny_terms=(term,))).redacted_text == redacted


class _AddressWithName:
    name, category, version, kind = "fake_ner", "pii", "1", "model"

    def detect(self, texts):
        out = []
        for t in texts:
            a, p = t.find("221B"), t.find("Jane Doe")
            out.append(
                [
                    Finding("ADDRESS", a, p + 8, 0.97, self.name, PII),
                    Finding("PERSON", p, p + 8, 0.9, self.name, PII),
                ]
            )
        return out


@pytest.mark.parametrize(
    "policy", [{"allow_list": {"ADDRESS": ["*Baker Street*"]}}, {"label_actions": {"ADDRESS": "allow"}}]
)
def test_an_allowed_address_never_releases_the_name_inside_it(policy):
    # the allow list released the whole span, the PERSON in it too (label_actions did not)
    r = Guard([_AddressWithName()], Policy.from_dict(policy)).check(
        "Ship to 221B Baker Street c/o Jane Doe, London"
    )
    assert r.redacted_text == "Ship to 221B Baker Street c/o [REDACTED_PERSON], London"


def test_check_many_pseudonymises_each_text_into_its_own_vault():
    # one vault per batch numbered row 2's address <EMAIL_ADDRESS_2>, and restoring row 2's
    # answer with its result.vault could put row 1's address into it
    g = Guard([RegexPIIDetector()], Policy.from_dict({"default_operator": "pseudonymize"}))
    a, b = g.check_many(["mail a@x.org", "mail b@y.org"])
    assert (
        a.redacted_text
        == b.redacted_text
        == "mail <EMAIL_ADDRESS_1>"
        == g.check("mail b@y.org").redacted_text
    )
    assert restore("reply to <EMAIL_ADDRESS_1>", b.vault) == "reply to b@y.org"


@pytest.mark.parametrize(
    "policy",
    [
        {"pii_min_score": 0.9},
        {"label_thresholds": {"PASSWORD": 0.99}},
        {"disabled_labels": ["API_KEY", "PASSWORD"]},
    ],
)
def test_answers_block_secrets_whatever_the_input_policy_tuned(policy):
    r = Guard([RegexPIIDetector()], Policy.from_dict(policy)).check_output("password=hunter22")
    assert r.action is Action.BLOCK and "hunter22" not in r.redacted_text


@pytest.mark.parametrize(("pii_action", "action"), [("block", Action.BLOCK), ("allow", Action.ALLOW)])
def test_answers_take_the_input_policys_pii_action(pii_action, action):
    g = Guard([RegexPIIDetector()], Policy.from_dict({"pii_action": pii_action}))
    assert g.check_output("mail jane@example.com").action is action


@pytest.mark.parametrize("text", ["card_4111111111111111", "<CREDIT_CARD_4111111111111111>"])
def test_a_card_glued_to_a_name_by_an_underscore_is_found(guard, text):
    assert "4111111111111111" not in guard.check(text).redacted_text


def test_pseudonymize_refuses_options_it_does_not_have():
    with pytest.raises(ConfigError, match="takes no options"):
        Policy.from_dict({"default_operator": {"type": "pseudonymize", "stlye": "angle"}})
