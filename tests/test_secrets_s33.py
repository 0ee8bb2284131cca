"""Credentials the rules missed until session 33 (s32 "Left" list): tool command lines,
XML elements named by an attribute or wrapped in CDATA, auth classes written with their
module, escaped quotes in a Python repr, a wallet key a clause after its name, and a row of
phone numbers separated by spaces. Every FOUND row was missed by the old rules; every
NOT_FOUND row must stay unreported (and an answer quoting it unblocked)."""

from __future__ import annotations

import pytest
from bastion import Guard
from bastion.detectors.pii_regex import RegexPIIDetector
from bastion.labels import SECRET_LABELS
from bastion.types import Action

PW = "Tr0ub4dor3x"
ETH_KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard([RegexPIIDetector()])


FOUND = [
    # command lines
    (f"mongosh mongodb://localhost -u admin -p {PW}", "PASSWORD", PW),
    (f"mongodump --username admin --password {PW} --db shop", "PASSWORD", PW),
    (f"oc login -u admin -p {PW} https://api.example:6443", "PASSWORD", PW),
    (f"az login -u admin@corp.example --password {PW}", "PASSWORD", PW),
    (f"sqlcmd -S srv -U sa -P {PW} -Q 'select 1'", "PASSWORD", PW),
    (f"lftp -u admin,{PW} sftp://files.example", "PASSWORD", PW),
    (f"smbclient //srv/share -U admin%{PW}", "PASSWORD", PW),
    (f"rpcclient -U 'admin%{PW}' 10.0.0.5", "PASSWORD", PW),
    (f"net use Z: \\\\srv\\share {PW} /user:admin", "PASSWORD", PW),
    (f"NET USE \\\\srv\\share /user:CORP\\admin {PW}", "PASSWORD", PW),
    (f"./deploy.sh --password {PW} --env prod", "PASSWORD", PW),
    # HTTP client auth classes with their module
    (f"aiohttp.BasicAuth('admin', '{PW}')", "PASSWORD", PW),
    (f"requests.auth.HTTPBasicAuth('admin', '{PW}')", "PASSWORD", PW),
    (f'httpx.BasicAuth(username="admin", password="{PW}")', "PASSWORD", PW),
    # XML
    (f'<string name="db_password">{PW}</string>', "PASSWORD", PW),
    (f'<entry key="db.password">{PW}</entry>', "PASSWORD", PW),
    (f'<string translatable="false" name="api_secret">{PW}</string>', "PASSWORD", PW),
    (f"<password><![CDATA[{PW}!]]></password>", "PASSWORD", f"{PW}!"),
    (f'<string name="password"><![CDATA[{PW}]]></string>', "PASSWORD", PW),
    # a Python repr escapes a quote inside the value
    ("{'password': 'Tr0ub\\'4dor3x'}", "PASSWORD", "Tr0ub\\'4dor3x"),
    # the name a clause before the key
    (
        f"the wallet private key, which you should never share with anyone, is {ETH_KEY}",
        "PRIVATE_KEY",
        ETH_KEY,
    ),
    # four and five numbers in a row, spaces only
    ("call 212 555 0101 212 555 0102 212 555 0103 212 555 0104 now", "PHONE_NUMBER", "212 555 0104"),
    ("call 212 555 0101 212 555 0102 212 555 0103 212 555 0104 212 555 0105", "PHONE_NUMBER", "212 555 0105"),
]


@pytest.mark.parametrize(("text", "label", "value"), FOUND)
def test_found_whole(guard, text, label, value):
    hits = [(f.label, text[f.start : f.end]) for f in guard.check(text).pii]
    assert (label, value) in hits, hits
    if label in SECRET_LABELS:
        assert guard.check_output(text).action is Action.BLOCK


def test_every_number_of_a_spaced_row_is_found(guard):
    numbers = [f"212 555 01{i:02d}" for i in range(1, 7)]
    text = "call " + " ".join(numbers) + " now"
    hits = [text[f.start : f.end] for f in guard.check(text).pii if f.label == "PHONE_NUMBER"]
    assert hits == numbers


NOT_FOUND = [
    ('<string name="password">Password</string>', "PASSWORD"),
    ('<string name="password_hint">Enter your password</string>', "PASSWORD"),
    ('<string name="api_key">YOUR_API_KEY</string>', "PASSWORD"),
    ('<string name="password">********</string>', "PASSWORD"),
    ('<entry key="db.password">${DB_PASSWORD}</entry>', "PASSWORD"),
    ("<password><![CDATA[${env.PW}]]></password>", "PASSWORD"),
    ("net use Z: \\\\srv\\share /persistent:yes", "PASSWORD"),
    ("net use \\\\srv\\share /user:admin *", "PASSWORD"),
    ("run: mysqldump --password PASSWORD db", "PASSWORD"),
    ("use --password <password> or --password your_password", "PASSWORD"),
    ("the --password flag reads a file", "PASSWORD"),
    ("docker login --password-stdin", "PASSWORD"),
    ("mongosh --port 27017 -p", "PASSWORD"),
    ("sqlcmd -S srv -P $SA_PASSWORD", "PASSWORD"),
    ("lftp -u admin sftp://host", "PASSWORD"),
    ("smbclient -L //srv -U guest%", "PASSWORD"),
    ("aiohttp.BasicAuth(login, password)", "PASSWORD"),
    ("{'name': 'it\\'s fine'}", "PASSWORD"),
    (f"the public key of the private key pair is {ETH_KEY}", "PRIVATE_KEY"),
    (f"I lost my private key. My transaction hash is {ETH_KEY}", "PRIVATE_KEY"),
]


@pytest.mark.parametrize(("text", "label"), NOT_FOUND)
def test_look_alikes_are_not_found(guard, text, label):
    hits = [(f.label, text[f.start : f.end]) for f in guard.check(text).pii]
    assert [h for h in hits if h[0] == label] == [], hits
    assert guard.check_output(text).action is not Action.BLOCK, hits
