"""Identifiers as people type them and numbers that only look like one (QA round s30):
every row failed on the old rules: typed forms were missed, look-alikes were redacted or
blocked."""

from __future__ import annotations

import pytest
from bastion import Guard
from bastion.detectors.pii_regex import RegexPIIDetector
from bastion.types import Action

SAS_KEY = "Xy9f3kQ2Lm8Pz1Rt6Vb4Nc7Hd0Js5Wq2Ea8Uo3Ig1K="


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard([RegexPIIDetector()])


FOUND = [
    # lower case and dashes, next to the context word (the validators already upper-case)
    ("NI number: ab 12 34 56 c", "UK_NINO", "ab 12 34 56 c"),
    ("NI number: AB-12-34-56-C", "UK_NINO", "AB-12-34-56-C"),
    ("codice fiscale: rssmra85t10a562s", "IT_FISCAL_CODE", "rssmra85t10a562s"),
    ("DNI 12345678z", "ES_NIF", "12345678z"),
    ("DNI: 12.345.678-Z", "ES_NIF", "12.345.678-Z"),  # the printed DNI
    ("DNI 12345678 Z", "ES_NIF", "12345678 Z"),
    ("NIE X 1234567 L", "ES_NIF", "X 1234567 L"),
    # licences outside the US, by their own shapes
    ("driving licence number MORGA753116SM9IJ", "DRIVER_LICENSE", "MORGA753116SM9IJ"),
    ("Führerschein: B072RRE2I55", "DRIVER_LICENSE", "B072RRE2I55"),
    # Azure Service Bus / Event Hubs connection strings, and a SAS signature
    (
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=" + SAS_KEY,
        "API_KEY",
        SAS_KEY,
    ),
    ("https://a.blob.core.windows.net/c?sv=2022-11-02&sp=r&sig=Zx9%2Bk3Lm8Pz1Rt6Vb4Nc7Hd0Js5Wq2Ea8Uo3Ig1K%3D",
     "API_KEY", "Zx9%2Bk3Lm8Pz1Rt6Vb4Nc7Hd0Js5Wq2Ea8Uo3Ig1K%3D"),
    ("(email: o'brien@corp-mail.ie)", "EMAIL_ADDRESS", "o'brien@corp-mail.ie"),  # not "o'" left behind
    ("'jane@example.com'", "EMAIL_ADDRESS", "jane@example.com"),
    ("card 666010668190", "CREDIT_CARD", "666010668190"),  # a 12-digit Maestro, with the word
    ("mysql://aroy:Admin@123@10.174.158.100:3306/app", "IP_ADDRESS", "10.174.158.100"),
    ("ssh root@10.0.0.5", "IP_ADDRESS", "10.0.0.5"),
    ("password=12345678", "PASSWORD", "12345678"),
    ("DB_PASSWORD=super_secret_pw", "PASSWORD", "super_secret_pw"),
    ("tel 0475.123456", "PHONE_NUMBER", "0475.123456"),
    # vendor prefixes in prose, not only in KEY=value lines
    ("my token is hf_AbCdEfGhIjKlMnOpQrStUvWxYz12345678", "API_KEY", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz12345678"),
    ("app token xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef", "API_KEY",
     "xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef"),
    # s31: IBANs grouped by dashes, as online-banking exports print them
    ("IBAN DE89-3704-0044-0532-0130-00 bitte", "IBAN_CODE", "DE89-3704-0044-0532-0130-00"),
    ("to GB82-WEST-1234-5698-7654-32.", "IBAN_CODE", "GB82-WEST-1234-5698-7654-32"),
    # s31: GitHub's "token" authorization scheme, as headers land in logs
    ("Authorization: token 8f3a9c2e7b1d4f6a0e5c9b2d7a1f3e8c", "API_KEY", "8f3a9c2e7b1d4f6a0e5c9b2d7a1f3e8c"),
    ("{'authorization': 'token ghp_0123456789abcdefghijklmnopqrstuvwxyz'}", "API_KEY",
     "ghp_0123456789abcdefghijklmnopqrstuvwxyz"),
    # s31: a password written right after the word, no "is" or ":" between
    ("my password Hunter2024! works", "PASSWORD", "Hunter2024!"),
    ("Passwort Xk9#mPq2rT, danke", "PASSWORD", "Xk9#mPq2rT"),
    ("pwd S3cure_Pass", "PASSWORD", "S3cure_Pass"),
    # s32: session cookies and CSRF tokens in logged headers are credentials
    ("Cookie: sessionid=8f3a9c2e7b1d4f6a0e5c9b2d; csrftoken=Zx9k3Lm8Pz1Rt6Vb4Nc7", "PASSWORD", "8f3a9c2e7b1d4f6a0e5c9b2d"),
    ("Cookie: sessionid=8f3a9c2e7b1d4f6a0e5c9b2d; csrftoken=Zx9k3Lm8Pz1Rt6Vb4Nc7", "PASSWORD", "Zx9k3Lm8Pz1Rt6Vb4Nc7"),
    ("GET /a session_id=4f3a2c1e-9b8d-4c7a-a1b2-3c4d5e6f7a8b user=jo", "PASSWORD",
     "4f3a2c1e-9b8d-4c7a-a1b2-3c4d5e6f7a8b"),
    ("Set-Cookie: PHPSESSID=el4ukv0kqbvoirg7nkp4dncpk3; path=/", "PASSWORD", "el4ukv0kqbvoirg7nkp4dncpk3"),
    ("refresh_token: 1//0gXyZ9aBcDeF-Gh2IjKlMnOp", "PASSWORD", "1//0gXyZ9aBcDeF-Gh2IjKlMnOp"),
    # s32: a card glued to an e-mail address (columns pasted without their separator)
    ("jane@example.com4111111111111111", "CREDIT_CARD", "4111111111111111"),
    ("jane@example.com4111111111111111", "EMAIL_ADDRESS", "jane@example.com"),
    # s32: two glued addresses are one finding, the second's domain is not left behind
    ("mail jane@example.combob@example.org now", "EMAIL_ADDRESS", "jane@example.combob@example.org"),
    # s32: an office number under a contact-block label
    ("Biuro: 22 123 45 67", "PHONE_NUMBER", "22 123 45 67"),
    # s32 qa_secrets: "DL" still reads a licence-length number; a card printed with dots
    ("DL# D1234567", "DRIVER_LICENSE", "D1234567"),
    ("DL: 123456789", "DRIVER_LICENSE", "123456789"),
    ("card 4111.1111.1111.1111", "CREDIT_CARD", "4111.1111.1111.1111"),
    ("BIC DEUTDEFF", "SWIFT_BIC", "DEUTDEFF"),
    # s32 qa_fuzz H1: two numbers side by side, one space between (neither was found)
    ("call me at +1 415 555 2671 412 555 2199", "PHONE_NUMBER", "+1 415 555 2671"),
    ("call me at +1 415 555 2671 412 555 2199", "PHONE_NUMBER", "412 555 2199"),
    ("my number is 020 7946 0958 07911 123456", "PHONE_NUMBER", "020 7946 0958"),
    ("my number is 020 7946 0958 07911 123456", "PHONE_NUMBER", "07911 123456"),
    ("mobile 0171 1234567 0172 7654321", "PHONE_NUMBER", "0172 7654321"),
    # s32 qa_verify: three numbers in a row
    ("call 415 555 2671 415 555 2199 415 555 2123", "PHONE_NUMBER", "415 555 2671"),
    ("call 415 555 2671 415 555 2199 415 555 2123", "PHONE_NUMBER", "415 555 2199"),
    ("call 415 555 2671 415 555 2199 415 555 2123", "PHONE_NUMBER", "415 555 2123"),
    # s32 qa_fuzz H2: one invisible character in or after a card hid it
    ("my card 4111 1111\u200b1111 1111 thanks", "CREDIT_CARD", "4111 1111\u200b1111 1111"),
    ("card 4111 1111\xad1111 1111", "CREDIT_CARD", "4111 1111\xad1111 1111"),
    ("my card 4111 1111 1111 1111\u200bthanks", "CREDIT_CARD", "4111 1111 1111 1111"),
    ("my card 4111-1111\u200b1111-1111 thanks", "CREDIT_CARD", "4111-1111\u200b1111-1111"),
    ("my card 4111 11111111 1111 thanks", "CREDIT_CARD", "4111 11111111 1111"),
    ("IBAN GB82 WEST\u200b1234 5698 7654 32 thanks", "IBAN_CODE", "GB82 WEST\u200b1234 5698 7654 32"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "label", "value"), FOUND)
def test_typed_forms_are_found_whole(guard, text, label, value):
    hits = [(f.label, text[f.start : f.end]) for f in guard.check(text).pii]
    assert (label, value) in hits, hits


NOT_FOUND = [
    # without the context word a lower-case form stays unread (too many look-alikes)
    ("ab 12 34 56 c", None),
    ("rssmra85t10a562s", None),
    ("12.345.678-Z", None),
    # metrics and generated code are not passwords
    ("token_count: 1234567", "PASSWORD"),
    ("pass_rate: 0.987654", "PASSWORD"),
    ("token_id=98765432", "PASSWORD"),
    ("password_expiry=90", "PASSWORD"),
    ("token = create_access_token(user.id)", "PASSWORD"),
    ("api_key = load_api_key()", "PASSWORD"),
    ("api_key = settings.api_key", "PASSWORD"),
    ("password = os.environ['DB_PASSWORD']", "PASSWORD"),
    ("token = user_token", "PASSWORD"),
    # decimals with long fractions are not phone numbers
    ("Location: 51.5073509, -0.1277583", "PHONE_NUMBER"),
    ("val_loss: 1.2109002677", "PHONE_NUMBER"),
    ("[18586.095074] usb 1-1: new device", "PHONE_NUMBER"),
    # a 12-digit Luhn pass with a Maestro prefix, no card word: an id
    ("ref 666010668190;", "CREDIT_CARD"),
    # versions, not hosts; a date, not an account
    ("pip install foo==1.2.3.4", "IP_ADDRESS"),
    ("requires bar>=10.0.0.1", "IP_ADDRESS"),
    ("Upgrade to 1.2.3.4", "IP_ADDRESS"),
    ("acct sv=2022-11-02", "BANK_ACCOUNT"),
    ("from huggingface_hub import hf_hub_download", "API_KEY"),
    # s31: a dashed IBAN with a wrong check digit, or mixed separators, is not one
    ("IBAN DE89-3704-0044-0532-0130-01", "IBAN_CODE"),
    ("IBAN DE89 3704-0044-0532-0130-00", "IBAN_CODE"),
    # s31: words after "password" that are prose, a label with a number, a path
    ("reset your password tomorrow", "PASSWORD"),
    ("the Password Reset-2024 campaign", "PASSWORD"),
    ("Password Manager-v2 released", "PASSWORD"),
    ("password protected", "PASSWORD"),
    ("pwd /home/User/Projects2", "PASSWORD"),
    ("Password Manager2024 extension", "PASSWORD"),
    ("password AES256-GCM encrypted at rest", "PASSWORD"),
    ("password iOS17-compatible", "PASSWORD"),
    # s31 qa_output: code and docs in answers
    ("client = OpenAI(api_key=api_key)", "PASSWORD"),
    ("connect(password=db_password, user=user)", "PASSWORD"),
    (
        "A PEM key looks like -----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY----- in a file.",
        "PRIVATE_KEY",
    ),
    ("password 12345678 is weak", "PASSWORD"),
    # s32: session words that hold no credential
    ("session_id=12345678", "PASSWORD"),
    ("session: expired", "PASSWORD"),
    ("session_timeout=3600", "PASSWORD"),
    ("session = create_session(user)", "PASSWORD"),
    ("AccountSid: AC0123456789abcdef0123456789abcdef", "PASSWORD"),
    ("Session: Q3 planning review", "PASSWORD"),
    # s32: a Luhn-invalid number glued to an address is no card; digits after a TLD only from 13 on
    ("jane@example.com4111111111111112", "CREDIT_CARD"),
    ("x@ex.com123", "EMAIL_ADDRESS"),
    # s32 qa_secrets L1/L2/L4: a flight code, "download", status words next to SWIFT/BIC, dotted non-cards
    ("Flight DL 1234 departs JFK at 10:30", "DRIVER_LICENSE"),
    ("Size: 2.4 GB, dl 3500 times this week", "DRIVER_LICENSE"),
    ("SWIFT transfer status: ACCEPTED", "SWIFT_BIC"),
    ("The BIC code field: REQUIRED", "SWIFT_BIC"),
    ("card 4111.1111.1111.1112", "CREDIT_CARD"),
    ("4111.1111.1111.1111.5", "CREDIT_CARD"),
    # s32: cutting a run at a space finds no phone in card or order digits
    ("4111 1111 1111 1112", "PHONE_NUMBER"),
    ("order 1234 5678 9012 3456", "PHONE_NUMBER"),
    ("ref 12345678 87654321", "PHONE_NUMBER"),
    ("my card 4111 11111111 1112 thanks", "CREDIT_CARD"),  # irregular grouping, Luhn fails
    # s32 qa_first: a published sample SSN is skipped by the SSN rules, and no phone either
    ("My SSN is 078-05-1120", None),
    ("My SSN is 123-45-6789", None),
]


@pytest.mark.parametrize(("text", "label"), NOT_FOUND)
def test_look_alikes_are_not_found(guard, text, label):
    hits = [(f.label, text[f.start : f.end]) for f in guard.check(text).pii]
    assert [h for h in hits if label is None or h[0] == label] == [], hits


def test_an_azure_connection_string_in_an_answer_is_blocked(guard):
    text = "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=" + SAS_KEY
    assert guard.check_output(text).action is Action.BLOCK


@pytest.mark.parametrize("text", ["token_count: 1234567", "pass_rate: 0.987654", "x = make_token()"])
def test_metrics_and_code_in_an_answer_are_not_blocked(guard, text):
    assert guard.check_output(text).action is Action.ALLOW
