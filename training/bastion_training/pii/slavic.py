"""Croatian, Serbian, Slovak and Czech names and places in their cases, for the generator's
``{SL_NAME_<CASE>}``, ``{SL_SURNAME_<CASE>}``, ``{IN_PLACE}`` and ``{FROM_PLACE}`` slots.

News in these languages names people and places mostly in oblique cases ("izjavio je
Horvatu", "s Jovanovićem", "podľa Fica", "v Bratislave"), which the tagger, trained on
nominative generator names, read as other labels or missed. Only regular patterns are declined
(no fleeting vowels except the listed stems); a name the rules do not cover stays in the
nominative, which is ungrammatical but still the right span and label.

>>> [decline("Horvat", "hr", "m", c) for c in CASES]
['Horvat', 'Horvata', 'Horvatu', 'Horvata', 'Horvatom', 'Horvatu']
>>> [decline("Jovanović", "sr", "m", c) for c in ("gen", "ins")]
['Jovanovića', 'Jovanovićem']
>>> decline("Horvat", "hr", "f", "gen"), decline("Ana", "hr", "f", "dat")
('Horvat', 'Ani')
>>> [decline("Kováčová", "sk", "f", c) for c in ("gen", "acc", "ins")]
['Kováčovej', 'Kováčovú', 'Kováčovou']
>>> [decline("Novák", "cs", "m", c) for c in ("gen", "dat", "ins")]
['Nováka', 'Novákovi', 'Novákem']
>>> decline("Marek", "cs", "m", "gen"), decline("Pavol", "sk", "m", "gen"), decline("Petar", "hr", "m", "gen")
('Marka', 'Pavla', 'Petra')
>>> decline("Malý", "sk", "m", "dat"), decline("Tomáš", "cs", "m", "gen")
('Malému', 'Tomáše')
>>> [decline("Lenka", "cs", "f", c) for c in ("gen", "dat", "ins")], decline("Jana", "sk", "f", "dat")
(['Lenky', 'Lence', 'Lenkou'], 'Jane')
>>> decline("Luka", "hr", "m", "dat"), decline("Mária", "sk", "f", "gen")
('Luki', 'Márie')
"""

from __future__ import annotations

import random

CASES = ("nom", "gen", "dat", "acc", "ins", "loc")
LANGS = ("hr", "sr", "sk", "cs")

# Stems that drop their last vowel when declined (Petar -> Petra, Marek -> Marka in Czech).
_FLEETING = {
    "hr": {"Petar": "Petr", "Aleksandar": "Aleksandr", "Dujam": "Dujm"},
    "sr": {"Petar": "Petr", "Aleksandar": "Aleksandr", "Đorđe": "Đorđ"},
    "sk": {"Pavol": "Pavl", "Karol": "Karl"},
    "cs": {"Pavel": "Pavl", "Karel": "Karl", "Marek": "Mark", "Přemek": "Přemk", "Radek": "Radk", "Zdeněk": "Zdeňk",
           "Vašek": "Vašk", "Franěk": "Fraňk"},
}  # fmt: skip

_HR_SOFT = ("č", "ć", "š", "ž", "đ", "j", "c", "lj", "nj", "dž")
_CS_SOFT = ("č", "ř", "š", "ž", "j", "c", "ť", "ď", "ň", "x")
_SK_SOFT = ("c", "č", "š", "ž", "j", "ď", "ť", "ň", "dz", "dž")


def _masc_consonant(stem: str, lang: str, case: str) -> str:
    if lang in ("hr", "sr"):
        ins = "em" if stem.endswith(_HR_SOFT) else "om"
        return stem + {"nom": "", "gen": "a", "dat": "u", "acc": "a", "ins": ins, "loc": "u"}[case]
    if lang == "sk":
        return stem + {"nom": "", "gen": "a", "dat": "ovi", "acc": "a", "ins": "om", "loc": "ovi"}[case]
    if stem.endswith(_CS_SOFT):
        return stem + {"nom": "", "gen": "e", "dat": "ovi", "acc": "e", "ins": "em", "loc": "ovi"}[case]
    return stem + {"nom": "", "gen": "a", "dat": "ovi", "acc": "a", "ins": "em", "loc": "ovi"}[case]


def _fem_a(stem: str, lang: str, case: str) -> str:
    """A noun in -a given its stem: Ana, Marija, Luka (hr/sr), Zuzana, Lenka, Mária, Danica."""
    if case == "nom":
        return stem + "a"
    if lang in ("hr", "sr"):
        return stem + {"gen": "e", "dat": "i", "acc": "u", "ins": "om", "loc": "i"}[case]
    if lang == "sk" and (stem.endswith("i") or stem.endswith(_SK_SOFT)):  # Mária, Danica
        return stem + {"gen": "e", "dat": "i", "acc": "u", "ins": "ou", "loc": "i"}[case]
    if lang == "cs" and stem.endswith(_CS_SOFT):  # Máša, Dáša
        return stem + {"gen": "e", "dat": "e", "acc": "u", "ins": "ou", "loc": "e"}[case]
    if case in ("gen", "acc", "ins"):
        return stem + {"gen": "y", "acc": "u", "ins": "ou"}[case]
    if lang == "sk":
        return stem + "e"
    for hard, soft in (("ch", "še"), ("k", "ce"), ("h", "ze"), ("g", "ze"), ("r", "ře")):
        if stem.endswith(hard):
            return stem[: -len(hard)] + soft
    return stem + ("ě" if stem.endswith(("d", "t", "n", "m", "b", "p", "v", "f")) else "e")


def decline(word: str, lang: str, gender: str, case: str) -> str:
    """One name part (first name or surname) of a person of ``gender`` ("m"/"f") in ``case``."""
    if case == "nom" or not word:
        return word
    if gender == "f":
        if lang in ("sk", "cs") and word.endswith("ová"):
            return word[:-1] + ({"gen": "ej", "dat": "ej", "acc": "ú", "ins": "ou", "loc": "ej"}[case] if lang == "sk"
                                else {"gen": "é", "dat": "é", "acc": "ou", "ins": "ou", "loc": "é"}[case])  # fmt: skip
        if lang in ("sk", "cs") and word.endswith("á"):
            return word[:-1] + ({"gen": "ej", "dat": "ej", "acc": "ú", "ins": "ou", "loc": "ej"}[case] if lang == "sk"
                                else {"gen": "é", "dat": "é", "acc": "ou", "ins": "ou", "loc": "é"}[case])  # fmt: skip
        if word.endswith("a"):
            return _fem_a(word[:-1], lang, case)
        return word  # Horvat (a woman), Ines, Dagmar: not declined
    # masculine
    if lang in ("sk", "cs") and word.endswith(("ý", "í")):
        soft = word.endswith("í")
        ends = (
            {"gen": "ího", "dat": "ímu", "acc": "ího", "ins": "ím", "loc": "ím"}
            if soft
            else {
                "gen": "ého",
                "dat": "ému",
                "acc": "ého",
                "ins": "ým",
                "loc": "om" if lang == "sk" else "ém",
            }
        )
        return word[:-1] + ends[case]
    if word.endswith("a"):  # Luka, Nikola (hr/sr); Svoboda (cs), Hruška (sk)
        if lang in ("hr", "sr"):
            return _fem_a(word[:-1], lang, case)
        return word[:-1] + {"gen": "u" if lang == "sk" else "y", "dat": "ovi", "acc": "u",
                            "ins": "om" if lang == "sk" else "ou", "loc": "ovi"}[case]  # fmt: skip
    if word.endswith("o"):  # Marko, Ivo (hr/sr); Fico (sk)
        stem = word[:-1]
        if lang in ("hr", "sr"):
            return stem + {"gen": "a", "dat": "u", "acc": "a", "ins": "om", "loc": "u"}[case]
        return stem + {"gen": "a", "dat": "ovi", "acc": "a", "ins": "om", "loc": "ovi"}[case]
    if word[-1] in "eiuyéíúý" or not word[-1].isalpha():
        return word
    stem = _FLEETING.get(lang, {}).get(word, word)
    if stem == word and lang == "cs" and word.endswith("ek") and len(word) > 4:
        stem = word[:-2] + "k"
    return _masc_consonant(stem, lang, case)


def declined_person(first: str, last: str, gender: str, lang: str, case: str, *, with_first: bool) -> str:
    """ "Ivana Horvata", "Jovanovićem", "Zuzane Kováčovej"."""
    surname = decline(last, lang, gender, case)
    return f"{decline(first, lang, gender, case)} {surname}" if with_first else surname


# --------------------------------------------------------------------------- Serbian identities
_SR_MALE = (
    "Nikola", "Marko", "Stefan", "Lazar", "Nemanja", "Miloš", "Dušan", "Aleksandar", "Vuk", "Milan",
    "Dragan", "Zoran", "Goran", "Vladimir", "Uroš", "Filip", "Luka", "Bojan", "Dejan", "Nenad", "Predrag",
    "Slobodan", "Branko", "Miroslav", "Igor", "Ivan", "Petar", "Saša", "Vladan", "Srđan", "Dalibor", "Veljko",
)  # fmt: skip
_SR_FEMALE = (
    "Milica", "Jovana", "Ana", "Jelena", "Marija", "Teodora", "Katarina", "Sara", "Ivana", "Dragana",
    "Snežana", "Tijana", "Nevena", "Milena", "Sanja", "Vesna", "Ljiljana", "Gordana", "Tamara", "Maja",
    "Danijela", "Biljana", "Jasmina", "Mirjana", "Nataša", "Bojana", "Aleksandra", "Kristina",
)  # fmt: skip
_SR_SURNAMES = (
    "Jovanović", "Petrović", "Nikolić", "Marković", "Đorđević", "Stojanović", "Ilić", "Stanković",
    "Pavlović", "Milošević", "Popović", "Živković", "Todorović", "Kostić", "Ristić", "Lazić", "Mitrović",
    "Savić", "Obradović", "Vasić", "Tomić", "Kovačević", "Simić", "Đukić", "Radovanović", "Milovanović",
    "Stevanović", "Janković", "Petković", "Radosavljević", "Lukić", "Bogdanović", "Vuković", "Filipović",
    "Knežević", "Gavrilović", "Miljković", "Zdravković", "Babić", "Perić", "Marić", "Matić", "Nedeljković",
    "Radić", "Mladenović", "Jeremić", "Dimitrijević", "Antić", "Vučković", "Krstić", "Bošković", "Cvetković",
)  # fmt: skip
_SR_CITIES = (
    ("Beograd", "11000"), ("Novi Sad", "21000"), ("Niš", "18000"), ("Kragujevac", "34000"),
    ("Subotica", "24000"), ("Zrenjanin", "23000"), ("Pančevo", "26000"), ("Čačak", "32000"),
    ("Kraljevo", "36000"), ("Novi Pazar", "36300"), ("Smederevo", "11300"), ("Leskovac", "16000"),
    ("Valjevo", "14000"), ("Kruševac", "37000"), ("Vranje", "17500"), ("Šabac", "15000"), ("Užice", "31000"),
    ("Sombor", "25000"), ("Zaječar", "19000"), ("Jagodina", "35000"),
)  # fmt: skip
_SR_STREETS = (
    "Bulevar kralja Aleksandra", "Knez Mihailova", "Nemanjina", "Takovska", "Kralja Petra", "Cara Dušana",
    "Bulevar oslobođenja", "Vojvode Stepe", "Kneza Miloša", "Njegoševa", "Svetog Save", "Železnička",
    "Ulica Branka Radičevića", "Maksima Gorkog", "Jovana Cvijića", "Bulevar Mihajla Pupina", "Resavska",
    "Zmaj Jovina", "Futoška", "Vojvode Mišića", "Obilićev venac", "Ustanička",
)  # fmt: skip


def serbian_name(rng: random.Random) -> tuple[str, str, str]:
    gender = rng.choice("mf")
    first = rng.choice(_SR_MALE if gender == "m" else _SR_FEMALE)
    return first, rng.choice(_SR_SURNAMES), gender


def serbian_city(rng: random.Random) -> tuple[str, str]:
    return rng.choice(_SR_CITIES)


def serbian_street(rng: random.Random) -> str:
    return rng.choice(_SR_STREETS)


def serbian_phone(rng: random.Random) -> str:
    mobile = f"06{rng.randint(0, 9)}"
    rest = f"{rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    return rng.choice(
        [
            f"{mobile} {rest}",
            f"+381 {mobile[1:]} {rest}",
            f"011 {rng.randint(200, 799)} {rng.randint(1000, 9999)}",
        ]
    )


# --------------------------------------------------------------------------- places in their cases
# (nominative, "in X" with its preposition, "from X" with its preposition). The preposition is
# outside the LOCATION span.
_PLACES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "hr": (
        ("Zagreb", "u Zagrebu", "iz Zagreba"), ("Split", "u Splitu", "iz Splita"), ("Rijeka", "u Rijeci", "iz Rijeke"),
        ("Osijek", "u Osijeku", "iz Osijeka"), ("Zadar", "u Zadru", "iz Zadra"), ("Pula", "u Puli", "iz Pule"),
        ("Dubrovnik", "u Dubrovniku", "iz Dubrovnika"), ("Varaždin", "u Varaždinu", "iz Varaždina"),
        ("Beograd", "u Beogradu", "iz Beograda"), ("Sarajevo", "u Sarajevu", "iz Sarajeva"),
        ("Bruxelles", "u Bruxellesu", "iz Bruxellesa"), ("Washington", "u Washingtonu", "iz Washingtona"),
        ("Pariz", "u Parizu", "iz Pariza"), ("Berlin", "u Berlinu", "iz Berlina"), ("Beč", "u Beču", "iz Beča"),
        ("Ljubljana", "u Ljubljani", "iz Ljubljane"), ("Hrvatska", "u Hrvatskoj", "iz Hrvatske"),
        ("Srbija", "u Srbiji", "iz Srbije"), ("Bosna i Hercegovina", "u Bosni i Hercegovini", "iz Bosne i Hercegovine"),
        ("Europa", "u Europi", "iz Europe"), ("Njemačka", "u Njemačkoj", "iz Njemačke"), ("Italija", "u Italiji", "iz Italije"),
        ("Kosovo", "na Kosovu", "s Kosova"), ("Slovenija", "u Sloveniji", "iz Slovenije"),
        ("Crna Gora", "u Crnoj Gori", "iz Crne Gore"), ("Grčka", "u Grčkoj", "iz Grčke"), ("Turska", "u Turskoj", "iz Turske"),
        ("Slavonija", "u Slavoniji", "iz Slavonije"), ("Dalmacija", "u Dalmaciji", "iz Dalmacije"),
        ("Istra", "u Istri", "iz Istre"), ("Vukovar", "u Vukovaru", "iz Vukovara"), ("Rusija", "u Rusiji", "iz Rusije"),
    ),
    "sr": (
        ("Beograd", "u Beogradu", "iz Beograda"), ("Novi Sad", "u Novom Sadu", "iz Novog Sada"), ("Niš", "u Nišu", "iz Niša"),
        ("Kragujevac", "u Kragujevcu", "iz Kragujevca"), ("Subotica", "u Subotici", "iz Subotice"),
        ("Priština", "u Prištini", "iz Prištine"), ("Podgorica", "u Podgorici", "iz Podgorice"),
        ("Zagreb", "u Zagrebu", "iz Zagreba"), ("Sarajevo", "u Sarajevu", "iz Sarajeva"), ("Brisel", "u Briselu", "iz Brisela"),
        ("Vašington", "u Vašingtonu", "iz Vašingtona"), ("Pariz", "u Parizu", "iz Pariza"), ("Berlin", "u Berlinu", "iz Berlina"),
        ("Moskva", "u Moskvi", "iz Moskve"), ("Beč", "u Beču", "iz Beča"), ("Srbija", "u Srbiji", "iz Srbije"),
        ("Evropa", "u Evropi", "iz Evrope"), ("Nemačka", "u Nemačkoj", "iz Nemačke"), ("Kosovo", "na Kosovu", "sa Kosova"),
        ("Crna Gora", "u Crnoj Gori", "iz Crne Gore"), ("Hrvatska", "u Hrvatskoj", "iz Hrvatske"),
        ("Rusija", "u Rusiji", "iz Rusije"), ("Vojvodina", "u Vojvodini", "iz Vojvodine"), ("Makedonija", "u Makedoniji", "iz Makedonije"),
        ("Grčka", "u Grčkoj", "iz Grčke"), ("Rumunija", "u Rumuniji", "iz Rumunije"), ("Bugarska", "u Bugarskoj", "iz Bugarske"),
        ("Kraljevo", "u Kraljevu", "iz Kraljeva"), ("Šabac", "u Šapcu", "iz Šapca"),
    ),
    "sk": (
        ("Bratislava", "v Bratislave", "z Bratislavy"), ("Košice", "v Košiciach", "z Košíc"), ("Žilina", "v Žiline", "zo Žiliny"),
        ("Prešov", "v Prešove", "z Prešova"), ("Nitra", "v Nitre", "z Nitry"),
        ("Banská Bystrica", "v Banskej Bystrici", "z Banskej Bystrice"), ("Trnava", "v Trnave", "z Trnavy"),
        ("Trenčín", "v Trenčíne", "z Trenčína"), ("Martin", "v Martine", "z Martina"), ("Poprad", "v Poprade", "z Popradu"),
        ("Praha", "v Prahe", "z Prahy"), ("Viedeň", "vo Viedni", "z Viedne"), ("Brusel", "v Bruseli", "z Bruselu"),
        ("Budapešť", "v Budapešti", "z Budapešti"), ("Washington", "vo Washingtone", "z Washingtonu"),
        ("Slovensko", "na Slovensku", "zo Slovenska"), ("Česko", "v Česku", "z Česka"), ("Maďarsko", "v Maďarsku", "z Maďarska"),
        ("Poľsko", "v Poľsku", "z Poľska"), ("Rakúsko", "v Rakúsku", "z Rakúska"), ("Nemecko", "v Nemecku", "z Nemecka"),
        ("Európa", "v Európe", "z Európy"), ("Ukrajina", "na Ukrajine", "z Ukrajiny"), ("Rusko", "v Rusku", "z Ruska"),
        ("Záhorie", "na Záhorí", "zo Záhoria"), ("Orava", "na Orave", "z Oravy"),
    ),
    "cs": (
        ("Praha", "v Praze", "z Prahy"), ("Brno", "v Brně", "z Brna"), ("Ostrava", "v Ostravě", "z Ostravy"),
        ("Plzeň", "v Plzni", "z Plzně"), ("Olomouc", "v Olomouci", "z Olomouce"), ("Liberec", "v Liberci", "z Liberce"),
        ("České Budějovice", "v Českých Budějovicích", "z Českých Budějovic"),
        ("Hradec Králové", "v Hradci Králové", "z Hradce Králové"), ("Bratislava", "v Bratislavě", "z Bratislavy"),
        ("Vídeň", "ve Vídni", "z Vídně"), ("Brusel", "v Bruselu", "z Bruselu"), ("Berlín", "v Berlíně", "z Berlína"),
        ("Česko", "v Česku", "z Česka"), ("Německo", "v Německu", "z Německa"), ("Slovensko", "na Slovensku", "ze Slovenska"),
        ("Polsko", "v Polsku", "z Polska"), ("Rakousko", "v Rakousku", "z Rakouska"), ("Evropa", "v Evropě", "z Evropy"),
        ("Rusko", "v Rusku", "z Ruska"), ("Ukrajina", "na Ukrajině", "z Ukrajiny"), ("Morava", "na Moravě", "z Moravy"),
        ("Pardubice", "v Pardubicích", "z Pardubic"),
    ),
}  # fmt: skip


def place(rng: random.Random, lang: str, form: int) -> list[tuple[str, str | None]]:
    """A place as segments: ``form`` 0 nominative, 1 "in X", 2 "from X" (preposition unlabelled)."""
    entry = rng.choice(_PLACES.get(lang, _PLACES["hr"]))
    phrase = entry[form]
    if form == 0:
        return [(phrase, "LOCATION")]
    prep, name = phrase.split(" ", 1)
    return [(prep + " ", None), (name, "LOCATION")]


# Organisations written as these languages' news writes them (nominative; used as subjects).
_ORGS: dict[str, tuple[str, ...]] = {
    "hr": ("HDZ", "SDP", "Hrvatski sabor", "HNB", "INA", "Hrvatski telekom", "Europska komisija", "NATO", "Dinamo",
           "Hajduk", "HRT", "Končar", "Podravka", "Hina", "Ustavni sud"),
    "sr": ("SNS", "SPS", "Demokratska stranka", "Narodna skupština", "NBS", "NIS", "Telekom Srbija", "Evropska komisija",
           "NATO", "Crvena zvezda", "Partizan", "RTS", "Tanjug", "Ustavni sud"),
    "sk": ("Smer", "SaS", "KDH", "Národná rada", "NBS", "Slovnaft", "Slovak Telekom", "Európska komisia", "NATO",
           "Slovan Bratislava", "RTVS", "TASR", "Ústavný súd"),
    "cs": ("ODS", "ANO", "ČSSD", "Poslanecká sněmovna", "ČNB", "ČEZ", "Škoda Auto", "Evropská komise", "NATO",
           "Sparta Praha", "Slavia Praha", "ČTK", "Česká televize", "Ústavní soud"),
}  # fmt: skip


def organisation(rng: random.Random, lang: str) -> str:
    return rng.choice(_ORGS.get(lang, _ORGS["hr"]))
