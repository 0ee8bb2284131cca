"""The built-in PII recognizers: one table, in scan order.

Each family is a :class:`~bastion.detectors.recognizers.Recognizer` defined in the
module of its kind (:mod:`.contact`, :mod:`.secrets`, :mod:`.personal`,
:mod:`.payment`, :mod:`.identifiers`, :mod:`.phone`, :mod:`.spoken`). Adding a label means defining its
recognizer there and listing it in :data:`RECOGNIZERS`; :data:`RULE_LABELS` and the
detector follow.

Order matters twice: when two recognizers report the same span with the same score,
the earlier one's explanation is kept, and the phone recognizer, built per detector
(its regions are an option), runs after all of these because it reads their findings.

>>> [r.name for r in RECOGNIZERS[:3]], RULE_LABELS[-1]
(['email', 'url', 'mac'], 'PHONE_NUMBER')
"""

from __future__ import annotations

from bastion.detectors.recognizers import Recognizer
from bastion.detectors.rules import contact, identifiers, payment, personal, secrets, spoken
from bastion.detectors.rules.phone import PHONE_LABEL

RECOGNIZERS: tuple[Recognizer, ...] = (
    contact.EMAIL,
    contact.URL,
    contact.MAC,
    contact.SPOKEN_EMAIL,
    contact.OBFUSCATED_EMAIL,
    *secrets.API_KEYS,
    secrets.JWT,
    secrets.PRIVATE_KEY,
    secrets.PASSWORD_ASSIGNMENT,
    secrets.OWNER_PASSWORD,
    personal.DATE_OF_BIRTH,
    payment.CREDIT_CARD,
    payment.CREDIT_CARD_UNLISTED,
    payment.IBAN,
    *personal.US_SSN,
    contact.IPV4,
    contact.IPV6,
    *identifiers.IDENTIFIERS,
    *secrets.CLOUD_KEYS,
    secrets.CONN_STRING_PASSWORD,
    secrets.URL_PASSWORD,
    secrets.BASIC_AUTH,
    secrets.BEARER_TOKEN,
    secrets.TOKEN_AUTH,
    secrets.PROSE_PASSWORD,
    secrets.LABELLED_PASSWORD,
    secrets.BARE_PASSWORD,
    spoken.SPOKEN_PHONE,
)

# Every label the rules can report, the phone recognizer's last.
RULE_LABELS: tuple[str, ...] = tuple(dict.fromkeys([*(r.label for r in RECOGNIZERS), PHONE_LABEL]))

__all__ = ["RECOGNIZERS", "RULE_LABELS"]
