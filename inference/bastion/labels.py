"""The project's PII label set, shared by the recognizers, the NER model, the data
pipeline and the evaluation."""

from __future__ import annotations

# Labels the fine-tuned NER tags (BIO over these).
NER_LABELS: tuple[str, ...] = (
    "PERSON",
    "LOCATION",  # cities, regions, countries
    "ADDRESS",  # street addresses, with or without city/postcode
    "ORGANIZATION",
    "DATE_OF_BIRTH",
    "USERNAME",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "IP_ADDRESS",
)

# Labels only the regex + validator recognizers produce.
REGEX_ONLY_LABELS: tuple[str, ...] = (
    "URL",
    "MAC_ADDRESS",
    "API_KEY",
    "PRIVATE_KEY",
    "PASSWORD",
    # national identifiers, each checked by its check digit or structure
    "UK_NINO",
    "UK_NHS",
    "DE_TAX_ID",
    "FR_NIR",
    "ES_NIF",
    "IT_FISCAL_CODE",
    "NL_BSN",
    "IN_AADHAAR",
    "CA_SIN",
    "AU_TFN",
    "BR_CPF",
    "PL_PESEL",
    "CN_RIC",
    # banking and payment identifiers
    "US_ROUTING",
    "BANK_ACCOUNT",
    "SWIFT_BIC",
    "CRYPTO_ADDRESS",
    # documents and records (reported only next to a context word)
    "PASSPORT",
    "DRIVER_LICENSE",
    "MEDICAL_RECORD_NUMBER",
)

# Labels whose values are credentials: check_output blocks them (policy.OUTPUT_POLICY).
SECRET_LABELS: tuple[str, ...] = ("API_KEY", "PRIVATE_KEY", "PASSWORD")

ALL_PII_LABELS: tuple[str, ...] = NER_LABELS + REGEX_ONLY_LABELS

INJECTION_LABEL = "INJECTION"


def bio_tags(labels: tuple[str, ...] = NER_LABELS) -> tuple[str, ...]:
    """``O`` then ``B-X``/``I-X`` for every label, in a stable order."""
    tags = ["O"]
    for label in labels:
        tags += [f"B-{label}", f"I-{label}"]
    return tuple(tags)
