"""Russian names in the six cases (generator batch v3f, issue 13: Russian PERSON recall)."""

from __future__ import annotations

import random

import pytest
from bastion_training.pii import generator as G
from bastion_training.pii.ru_names import CASES, ru_first_form, ru_person, ru_surname_form
from bastion_training.pii.templates import TEMPLATES


@pytest.mark.parametrize(
    ("surname", "gender", "forms"),
    [
        ("Смит", "m", ("Смит", "Смита", "Смиту", "Смита", "Смитом", "Смите")),
        ("Петров", "m", ("Петров", "Петрова", "Петрову", "Петрова", "Петровым", "Петрове")),
        ("Никитин", "m", ("Никитин", "Никитина", "Никитину", "Никитина", "Никитиным", "Никитине")),
        ("Петрова", "f", ("Петрова", "Петровой", "Петровой", "Петрову", "Петровой", "Петровой")),
        ("Смит", "f", ("Смит",) * 6),  # a woman's consonant-final foreign surname is not declined
        ("Росси", "m", ("Росси",) * 6),
        ("Коваленко", "f", ("Коваленко",) * 6),
    ],
)
def test_surname_forms(surname, gender, forms):
    assert tuple(ru_surname_form(surname, gender, c) for c in CASES) == forms


@pytest.mark.parametrize(
    ("name", "forms"),
    [
        ("Джон", ("Джон", "Джона", "Джону", "Джона", "Джоном", "Джоне")),
        ("Сергей", ("Сергей", "Сергея", "Сергею", "Сергея", "Сергеем", "Сергее")),
        ("Анна", ("Анна", "Анны", "Анне", "Анну", "Анной", "Анне")),
        ("Ольга", ("Ольга", "Ольги", "Ольге", "Ольгу", "Ольгой", "Ольге")),
        ("Мария", ("Мария", "Марии", "Марии", "Марию", "Марией", "Марии")),
        ("Дарья", ("Дарья", "Дарьи", "Дарье", "Дарью", "Дарьей", "Дарье")),
    ],
)
def test_first_name_forms(name, forms):
    assert tuple(ru_first_form(name, c) for c in CASES) == forms


@pytest.mark.parametrize("case", CASES)
def test_random_people_are_cyrillic_names(case):
    r = random.Random(case)
    for _ in range(50):
        full = ru_person(r, case, with_first=True)
        assert len(full.split()) == 2 and all(ch.isalpha() or ch in " ё" for ch in full), full
        assert " " not in ru_person(r, case, with_first=False)


def test_v3f_templates_render_with_person_spans_and_no_drug_spans():
    ts = [t for t in TEMPLATES if t.stratum.startswith("v3f-")]
    assert {t.lang for t in ts} == {"en", "ru"}
    pools = G.build_pools({"en_US": 1.0, "ru_RU": 1.0}, 10, seed=3, split="train", exclude=set())
    r = random.Random(0)
    meds = {m.upper() for m in G._MEDS}
    for t in ts:
        text, spans = G.render(t, list(pools["ru_RU" if t.lang == "ru" else "en_US"])[:4], r, pools)
        values = {text[s["start"] : s["end"]].upper() for s in spans}
        assert not values & meds, (t.template_id, values & meds)
        if t.lang == "ru":
            assert any(s["label"] == "PERSON" for s in spans), t.template_id
