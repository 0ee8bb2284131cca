"""Ninth template batch (``v3i``, issue 13): PII-free hard negatives in hr, sr, sk, cs, pl, de, fr,
es, it, pt and nl.

A continuation on the v3h build (more Slavic chat and news lines full of names) taught the tagger
that a capitalised Slavic word is a name: on the held-out v3g/v3h negatives it tagged the table
headers "Šifra" and "Opis" and the counter sign "ŠALTER" as PERSON, the table total "Ukupno", the
demonyms "Hrvati" and "Slovenci" and the locative month "kolovozu" as LOCATION, the ALL-CAPS
Serbian status words OTVOREN, VISOK, NABAVKA and "LIKE GECKO" (a user agent in capitals) as
PERSON. The generator had about seven such lines per Slavic language.

Every line here is a hard negative (format ``negative``, filler slots only, so no span): table
headers and footers, receipts, signs and UI labels in ALL-CAPS and Title case, status and log
lines, demonyms, months and weekdays in their inflected forms, capitalised common nouns at the
start of a sentence, product and software names, user agents (``{USER_AGENT_UPPER}`` writes one
in capitals), medical abbreviations, form field labels with empty fields, plus lower-cased chat
and ALL-CAPS lines. Written per language, not translated from one list, and kept away from the
held-out v3g/v3h lines the finding was measured on (``tests/test_pii_v3i.py`` checks that no v3i
template is a near copy of a template in another split). Serbian in Latin script, as the rest of
the generator. No names, places, countries or organisations: a product is named without its
maker. Own strata (``v3i-<lang>``), so no earlier template moves between splits.
"""

from __future__ import annotations

from .blocks import TemplateBlocks

LANGS: tuple[str, ...] = ("hr", "sr", "sk", "cs", "pl", "de", "fr", "es", "it", "pt", "nl")

INTL_BLOCKS_I = TemplateBlocks()

# ----------------------------------------------------------------------------- Croatian
INTL_BLOCKS_I.lines(
    "negative",
    "hr",
    """\
Šifra | Opis | Kol. | PDV | Iznos
UKUPNO S PDV-om: {AMOUNT}
Tjedan | Ponedjeljak | Utorak | Srijeda | Četvrtak | Petak
Stranica 2 od 5 · Ispisano u {TIME}
ŠALTER 3 – PREDAJA I PODIZANJE DOKUMENATA
IZLAZ U SLUČAJU NUŽDE
OTVORENO SVAKI DAN OD 7 DO 21
ZATVORENO ZBOG INVENTURE
PRIJAVA NIJE USPJELA – POKUŠAJTE PONOVNO
Početna · Proizvodi · Košarica · Moj račun · Odjava
Postavke > Privatnost > Kolačići > Spremi promjene
Spremi, Odustani, Pošalji, Uredi, Obriši
{TS} INFO modul=Blagajna stanje=ZATVORENO smjena=jutarnja
Stanje narudžbe: U OBRADI → POSLANO → ISPORUČENO
Prioritet: HITNO | Kategorija: Reklamacija | Kanal: Web
Slovenci i Mađari na more dolaze uglavnom vikendom.
Dalmatinci, Slavonci i Istrani drukčije pripremaju bakalar.
Anketa: Hrvati sve češće kupuju putem interneta.
Natječaj se otvara u rujnu, a zatvara krajem listopada.
Od lipnja do rujna ured radi do 15 sati, a srijedom do 18.
Sezona počinje u svibnju i traje do kraja kolovoza.
Nada umire posljednja, rekla je trenerica nakon utakmice.
Opis posla: održavanje skladišta i zaprimanje robe.
Blagajnica je na pauzi, molimo pričekajte.
Ravnateljica poziva roditelje na sastanak u četvrtak navečer.
Prodajem Octaviju iz {YEAR}., servisna knjižica uredna, registrirana do ljeta.
Za juhu staviti žlicu Vegete i malo papra.
Prije prvog radnog dana instalirajte Teams i Outlook.
Preglednik: {USER_AGENT}
NEPOZNAT UREĐAJ – KORISNIČKI AGENT: {USER_AGENT_UPPER}
Nalaz: KKS i SE uredni, CRP 3,1 mg/L, GUK 5,4 mmol/L.
Dg: hipertenzija, DM tip 2. Th: ACE inhibitor, kontrola RR za mjesec dana.
Ime: __________ Prezime: __________ OIB: __________ Potpis: __________
Mjesto i datum: __________ Pečat i potpis: __________
jel radi kasa 3 ili je opet zatvorena
di je izlaz za garažu, ne vidim nikakvu oznaku
ŠIFRA ARTIKLA | NAZIV | JED. MJERE | ZALIHA
""",
)
INTL_BLOCKS_I.multi(
    "negative",
    "hr",
    """\
Rbr. | Artikl | Kol. | Cijena
1 | Vijak M8 | 200 | 0,12 €
2 | Matica M8 | 200 | 0,05 €
Ukupno za platiti: {AMOUNT}
%%
BLAGAJNA 2
Račun br. {INT}
Kruh polubijeli  1,20
Mlijeko 2,8 %  1,09
UKUPNO EUR  2,29
Način plaćanja: KARTICA
Hvala i doviđenja!
""",
)

# ----------------------------------------------------------------------------- Serbian (Latin)
INTL_BLOCKS_I.lines(
    "negative",
    "sr",
    """\
Šifra | Naziv | Jed. mere | Stanje | Vrednost
SVEGA ZA UPLATU: {AMOUNT}
Fakultet | Smer | Godina studija | Prosek | ESPB
Strana 3 od 7 · Odštampano u {TIME}
ŠALTER ZA PENZIONERE I OSOBE SA INVALIDITETOM
IZLAZ ZA SLUČAJ POŽARA
OTVORENO NON-STOP
ZATVORENO ZBOG GODIŠNJEG ODMORA DO SEPTEMBRA
KASA BR. 5 RADI SAMO SA KARTICAMA
Početna | Ponuda | Korpa | Moj nalog | Odjavi se
Podešavanja → Nalog → Obaveštenja → Sačuvaj
Preuzmi PDF · Odštampaj · Podeli · Prijavi problem
{TS} WARN servis=Naplata stanje=NEUSPEŠNO pokušaj=3
Predmet je u statusu PRIMLJEN, obrada traje do pet radnih dana.
PRIORITET: VISOK | TIP: KVAR | STANJE: OTVOREN
Crnogorci i Makedonci čine manji deo gostiju na planinama.
Vojvođani i Šumadinci se i dalje spore oko prave gibanice.
Srbi iz dijaspore najčešće dolaze za Božić i preko leta.
Upis počinje u julu, a nastava u oktobru.
Od novembra do marta radimo samo radnim danima.
Rok za predaju radova je kraj avgusta, rezultati stižu u septembru.
Zora je svanula pre nego što smo stigli do kolibe.
Nabavka novog nameštaja odobrena je na sednici saveta.
Komisija je pregledala sve prijave i objavila rang-listu.
Portirnica radi od sedam ujutru do deset uveče.
Uz kafu najbolje ide Plazma keks.
Račun platite skeniranjem IPS QR koda u aplikaciji banke.
Na laptopu je Windows 11, a na telefonu Android 14.
Veb-pregledač: {USER_AGENT}
NOVA PRIJAVA SA UREĐAJA: {USER_AGENT_UPPER}
Laboratorija: KKS, SE, CRP, glikemija natašte, HbA1c.
TA 140/90 mmHg, puls 84/min, SpO2 97%. Dg: HTA, HOBP.
Ime i prezime: __________ JMBG: __________ Broj lične karte: __________
Mesto rođenja: __________ Opština: __________
gde je šalter za overu, ovde piše samo informacije
kasa 2 ne radi, idite na trojku
NAZIV ROBE | KOLIČINA | CENA BEZ PDV-A | PDV | UKUPNO
""",
)
INTL_BLOCKS_I.multi(
    "negative",
    "sr",
    """\
R. br. | Opis usluge | Količina | Cena
1 | Servis klima uređaja | 1 | 4.500,00
2 | Zamena filtera | 2 | 1.200,00
Ukupno: 6.900,00 RSD
%%
{TS} INFO servis=Prijava događaj=USPEŠNO
{TS} INFO servis=Prijava događaj=ODJAVA
{TS} ERROR servis=Korpa poruka="Sesija je istekla"
""",
)

# ----------------------------------------------------------------------------- Slovak
INTL_BLOCKS_I.lines(
    "negative",
    "sk",
    """\
Č. položky | Názov | MJ | Sadzba DPH | Suma
CELKOM BEZ DPH: {AMOUNT}
Týždeň | Pondelok | Utorok | Streda | Štvrtok | Piatok
Strana 1 z 4 · Vytlačené o {TIME}
POKLADŇA MIMO PREVÁDZKY
NÚDZOVÝ VÝCHOD
OTVORENÉ PO – PIA 9.00 – 17.00
ZATVORENÉ Z TECHNICKÝCH PRÍČIN
Prepážka č. 4 – Podateľňa
Domov · Produkty · Košík · Môj účet · Odhlásiť sa
Nastavenia > Súkromie > Súbory cookie > Uložiť
Uložiť, Zrušiť, Odoslať, Upraviť, Vymazať
{TS} ERROR modul=Platby stav=ZAMIETNUTÉ kód={STATUS}
Stav objednávky: PRIJATÁ → EXPEDOVANÁ → DORUČENÁ
Priorita: NÍZKA | Typ: Požiadavka | Kanál: E-mail
Česi a Poliaci tvoria v zime najväčšiu skupinu lyžiarov.
Slováci a Maďari na juhu žijú vedľa seba po stáročia.
Záhoráci, Kysučania a Oravci majú každý svoje nárečie.
Prihlášky prijímame v septembri, pohovory budú v októbri.
Od novembra do februára je areál otvorený len cez víkendy.
Výsledky zverejníme v auguste, najneskôr v prvom septembrovom týždni.
Popis chyby: tlačiareň po zapnutí nereaguje.
Vedúca predajne je dnes na školení.
Riaditeľstvo školy oznamuje, že v piatok sa nevyučuje.
Zmluva nadobúda účinnosť dňom nasledujúcim po dni zverejnenia.
Na cestu sme si zbalili Horalky a Tatranky.
Predám Fabiu combi {YEAR}, STK a EK platné do jesene.
Po aktualizácii na iOS 17 vyzerajú Nastavenia inak.
Prehliadač: {USER_AGENT}
PRIHLÁSENIE Z NOVÉHO ZARIADENIA – PREHLIADAČ: {USER_AGENT_UPPER}
Laboratórium: KO + diferenciál, CRP, FW, glykémia nalačno.
TK 135/85, P 76/min, TT 36,8 °C. Dg.: artériová hypertenzia, CHOCHP.
Meno: __________ Priezvisko: __________ Rodné číslo: __________
Miesto a dátum: __________ Podpis žiadateľa: __________
kde je núdzový východ, nevidím žiadnu šípku
pokladňa dva nefunguje, choďte na trojku
NÁZOV TOVARU | EAN | SKLAD | CENA S DPH
""",
)
INTL_BLOCKS_I.multi(
    "negative",
    "sk",
    """\
Por. | Položka | Ks | Cena/ks
1 | Tonerová kazeta | 2 | 49,90 €
2 | Papier A4 | 10 | 4,20 €
Spolu na úhradu: {AMOUNT}
%%
OZNAM
Vážení cestujúci, v sobotu a v nedeľu
premávajú spoje podľa prázdninového cestovného poriadku.
Ďakujeme za pochopenie.
""",
)

# ----------------------------------------------------------------------------- Czech
INTL_BLOCKS_I.lines(
    "negative",
    "cs",
    """\
Číslo zboží | Název | Ks | Sazba DPH | Cena s DPH
MEZISOUČET: {AMOUNT}
Rozvrh | Pondělí | Úterý | Středa | Čtvrtek | Pátek
Strana 2 z 6 · Vytištěno v {TIME}
PŘEPÁŽKA 2 – POKLADNA
NOUZOVÝ VÝCHOD
OTEVŘENO NONSTOP
DNES ZAVŘENO – INVENTURA
VSTUP POUZE V DOPROVODU DOSPĚLÉ OSOBY
Úvod · Produkty · Košík · Můj účet · Odhlásit se
Nastavení > Soukromí > Soubory cookie > Uložit změny
Uložit, Zrušit, Odeslat, Upravit, Smazat
{TS} INFO služba=Objednávky stav=VYŘÍZENO doba={MS} ms
Stav zásilky: PŘIJATO → NA CESTĚ → DORUČENO
Závažnost: KRITICKÁ | Typ: Incident | Řešitel: servisní tým
Moravané a Slezané slaví dožínky trochu jinak.
Poláci a Slováci jezdí na nákupy hlavně o víkendech.
Vietnamci a Ukrajinci patří k největším menšinám.
Přijímačky jsou v dubnu, zápis proběhne v červnu.
Od listopadu do března je provoz jen o víkendech.
Vyúčtování přijde v srpnu, přeplatek vracíme v září.
Popis závady: displej po zapnutí bliká.
Zastupitelstvo odložilo hlasování o nové vyhlášce.
Naděje umírá poslední.
Paní učitelka odpoledne zkouší z diktátu.
Ke svačině si dám Míšu a Studentskou pečeť.
Prodám Octavii kombi {YEAR}, STK do příštího roku.
Po aktualizaci na Android 14 nejde otevřít Excel.
Prohlížeč: {USER_AGENT}
NOVÉ PŘIHLÁŠENÍ Z TOHOTO PROHLÍŽEČE: {USER_AGENT_UPPER}
Laboratoř: KO, CRP, FW, glykémie, HbA1c, jaterní testy.
TK 130/80, P 72/min, TT 36,6 °C. Dg.: hypertenze, DM 2. typu.
Jméno: __________ Příjmení: __________ Rodné číslo: __________
V __________ dne __________  Podpis: __________
kde je východ na parkoviště, nikde nevidím ceduli
pokladna 1 je zavřená, běžte ke dvojce
NÁZEV ZBOŽÍ | MNOŽSTVÍ | CENA ZA KUS | CELKEM
""",
)
INTL_BLOCKS_I.multi(
    "negative",
    "cs",
    """\
Č. | Položka | Ks | Cena/ks
1 | Kancelářská židle | 1 | 3 490 Kč
2 | Stolní lampa | 2 | 590 Kč
Celkem k úhradě: {AMOUNT}
%%
{TS} WARN služba=Přihlášení zpráva="Relace vypršela, přihlaste se znovu"
{TS} INFO služba=Přihlášení stav=ODHLÁŠENO
""",
)

# ----------------------------------------------------------------------------- Polish
INTL_BLOCKS_I.lines(
    "negative",
    "pl",
    """\
Lp. | Nazwa towaru | J.m. | Ilość | Cena netto | Wartość
Wartość netto | VAT 23% | Wartość brutto
Plan lekcji | Poniedziałek | Wtorek | Środa | Czwartek | Piątek
Strona 1 z 3 · Wydrukowano o {TIME}
KASA NIECZYNNA
WYJŚCIE EWAKUACYJNE
CZYNNE CAŁĄ DOBĘ
ZAMKNIĘTE Z POWODU REMANENTU
Okienko nr 3 – Sprawy meldunkowe
Strona główna · Produkty · Koszyk · Moje konto · Wyloguj
Ustawienia > Prywatność > Pliki cookie > Zapisz zmiany
Zapisz, Anuluj, Wyślij, Edytuj, Usuń
{TS} WARN usługa=Płatności status=ODRZUCONO próba=2
Status przesyłki: NADANA → W DRODZE → DORĘCZONA
Priorytet: WYSOKI | Kategoria: Reklamacja | Kanał: Telefon
Ślązacy i Kaszubi walczą o uznanie swojej mowy za język regionalny.
Czesi i Słowacy coraz częściej przyjeżdżają do nas na narty.
Górale zimą wynajmują pokoje turystom.
Rekrutacja rusza w sierpniu, a zajęcia zaczynają się w październiku.
Od listopada do marca biuro jest czynne tylko w dni robocze.
Zaliczkę wpłacamy w styczniu, resztę we wrześniu.
Opis: kurtka zimowa, rozmiar M, noszona jeden sezon.
Kierowniczka zmiany jest dziś na szkoleniu, zastępstwo od wtorku.
Nadzieja umiera ostatnia.
Wspólnota mieszkaniowa przypomina o zebraniu w środę o 18.
Do kawy Ptasie Mleczko albo Prince Polo.
Sprzedam Octavię kombi z {YEAR}, bezwypadkowa, garażowana.
Zapłać BLIKIEM albo kartą, faktura przyjdzie mailem.
Przeglądarka: {USER_AGENT}
WYKRYTO LOGOWANIE Z NOWEGO URZĄDZENIA: {USER_AGENT_UPPER}
Badania: morfologia, OB, CRP, glukoza na czczo, HbA1c.
RR 140/90 mmHg, tętno 80/min, SpO2 96%. Rozpoznanie: nadciśnienie tętnicze, POChP.
Imię: __________ Nazwisko: __________ PESEL: __________
Miejscowość, data: __________ Podpis: __________
czy kasa samoobsługowa już działa czy dalej nieczynna
w sierpniu biuro zamknięte? pytam bo nikt nie odbiera
NAZWA | ILOŚĆ | CENA JEDN. | VAT | RAZEM
""",
)
INTL_BLOCKS_I.multi(
    "negative",
    "pl",
    """\
Kod | Opis | Ilość | Kwota
A-101 | Papier ksero A4 | 5 | 119,50 zł
A-207 | Toner czarny | 1 | 289,00 zł
Razem do zapłaty: {AMOUNT}
%%
PARAGON FISKALNY
Chleb razowy  4,99
Masło extra  7,49
SUMA PLN  12,48
Płatność: KARTA
""",
)

# ----------------------------------------------------------------------------- German
INTL_BLOCKS_I.lines(
    "negative",
    "de",
    """\
Pos. | Artikelnr. | Bezeichnung | Menge | Einzelpreis | Summe
ZWISCHENSUMME: {AMOUNT}
Summe netto | USt. 19 % | Summe brutto
Seite 2 von 4 · Gedruckt um {TIME}
NOTAUSGANG FREIHALTEN
KASSE GESCHLOSSEN – BITTE KASSE 3 BENUTZEN
GEÖFFNET MO–FR 8–18 UHR, SA 9–14 UHR
Schalter 5 · Bürgerservice
BETRETEN DER BAUSTELLE VERBOTEN
Startseite · Produkte · Warenkorb · Mein Konto · Abmelden
Einstellungen > Datenschutz > Cookies > Änderungen speichern
Speichern, Abbrechen, Senden, Bearbeiten, Löschen
{TS} ERROR Dienst=Zahlung Status=ABGELEHNT Versuch=3
Sendungsstatus: ANGENOMMEN → IN ZUSTELLUNG → ZUGESTELLT
Priorität: HOCH | Kategorie: Störung | Kanal: Telefon
Niederländer und Belgier stellen im Sommer die meisten Campinggäste.
Österreicher und Schweizer zahlen an der Grenze oft bar.
Hamburger und Berliner streiten, wer die bessere Currywurst hat.
Im August haben die meisten Handwerksbetriebe Betriebsferien.
Die Anmeldung läuft von Anfang Januar bis Ende Februar.
Montags und mittwochs ist die Bibliothek bis 20 Uhr geöffnet.
Fehlerbeschreibung: Spülmaschine pumpt nicht ab.
Hoffnung stirbt zuletzt, sagte der Trainer nach dem Spiel.
Rückfragen bitte an die Poststelle im Erdgeschoss.
Umbuchung und Stornierung sind bis 24 Stunden vor Abflug kostenlos.
Hast du ein Tempo für mich? Und Labello, meine Lippen sind ganz trocken.
Verkaufe Golf Variant, Baujahr {YEAR}, HU neu, scheckheftgepflegt.
Nach dem Update auf Windows 11 lässt sich die Excel-Tabelle nicht mehr öffnen.
Browser-Kennung: {USER_AGENT}
NEUE ANMELDUNG VON UNBEKANNTEM GERÄT: {USER_AGENT_UPPER}
Labor: BB, CRP, BZ nüchtern, HbA1c, Krea, eGFR.
RR 145/90, HF 88/min, SpO2 95 %. Diagnose: art. Hypertonie, COPD. Medikation: ASS 100 1-0-0.
Vorname: __________ Nachname: __________ Geburtsdatum: __________
Ort, Datum: __________ Unterschrift: __________
ist kasse 2 offen oder wieder zu? steht nix dran
im august hat die kita zu, oder?
BEZEICHNUNG | MENGE | EINZELPREIS | GESAMT
""",
)
INTL_BLOCKS_I.multi(
    "negative",
    "de",
    """\
Tag | Tätigkeit | Stunden
Mo | Wartung Heizung | 3,5
Di | Austausch Ventil | 2,0
Gesamt: 5,5 Std.
%%
KASSENBON
Bauernbrot  3,49
Vollmilch 3,5 %  1,19
SUMME EUR  4,68
Gegeben: EC-KARTE
""",
)

# ----------------------------------------------------------------------------- French
INTL_BLOCKS_I.lines(
    "negative",
    "fr",
    """\
Réf. | Désignation | Qté | PU HT | Montant HT
TOTAL TTC : {AMOUNT} (dont TVA 20 %)
Sous-total | Remise | Frais de port | Total à payer
Page 3 sur 8 · Imprimé à {TIME}
SORTIE DE SECOURS
CAISSE FERMÉE – MERCI D'UTILISER LA CAISSE 4
OUVERT DU LUNDI AU SAMEDI DE 9 H À 19 H
Guichet 2 · Cartes grises et permis
ACCÈS INTERDIT AU PUBLIC
Accueil · Produits · Panier · Mon compte · Déconnexion
Paramètres > Confidentialité > Cookies > Enregistrer
Valider, Annuler, Envoyer, Modifier, Supprimer
{TS} ERROR service=Paiement statut=REFUSÉ tentative=2
Suivi du colis : PRIS EN CHARGE → EN COURS DE LIVRAISON → LIVRÉ
Priorité : HAUTE | Catégorie : Panne | Canal : Téléphone
Les Bretons et les Normands se disputent encore l'origine du cidre.
Belges et Québécois ne comptent pas comme nous après soixante-neuf.
Les Parisiens désertent la capitale au mois d'août.
Les inscriptions ouvrent en septembre et ferment fin octobre.
Le cabinet est fermé tous les mercredis après-midi.
En mai, fais ce qu'il te plaît.
Description : lampe de chevet, abat-jour en lin, hauteur 45 cm.
Espoir et patience, répète l'entraîneur avant chaque match.
Accueil, Secrétariat et Comptabilité se trouvent au premier étage.
Livraison offerte dès 50 € d'achat, retour gratuit sous 30 jours.
Prenez un Doliprane et, si la fièvre persiste, appelez le médecin.
Vends Clio IV, année {YEAR}, contrôle technique OK.
Depuis la mise à jour d'Android, impossible d'ouvrir les fichiers Excel.
Navigateur : {USER_AGENT}
CONNEXION DEPUIS UN NOUVEL APPAREIL : {USER_AGENT_UPPER}
Bilan : NFS, CRP, ionogramme, créatinine, glycémie à jeun.
TA 150/90, FC 92/min, SpO2 94 %. ATCD : HTA, DT2, BPCO.
Nom : __________ Prénom : __________ Date de naissance : __________
Fait à __________, le __________  Signature : __________
la caisse 3 elle est ouverte ou pas ? y a personne
en août tout est fermé ici, même la boulangerie
RÉF. | COLORIS | TAILLE | STOCK DISPONIBLE
""",
)
INTL_BLOCKS_I.multi(
    "negative",
    "fr",
    """\
Jour | Activité | Durée
Lundi | Réunion d'équipe | 1 h
Mardi | Formation sécurité | 3 h
Total : 4 h
%%
TICKET DE CAISSE
Baguette tradition  1,30
Beurre doux  2,85
TOTAL EUR  4,15
Paiement : CB SANS CONTACT
""",
)

# ----------------------------------------------------------------------------- Spanish
INTL_BLOCKS_I.lines(
    "negative",
    "es",
    """\
Cód. | Descripción | Uds. | Precio | Importe
TOTAL A PAGAR: {AMOUNT} (IVA incluido)
Base imponible | IVA 21 % | Total factura
Página 2 de 5 · Impreso a las {TIME}
SALIDA DE EMERGENCIA
CAJA CERRADA – PASE POR LA CAJA 2
ABIERTO DE LUNES A SÁBADO, DOMINGOS CERRADO
Ventanilla 4 · Empadronamiento
PROHIBIDO EL PASO A PERSONAL NO AUTORIZADO
Inicio · Productos · Carrito · Mi cuenta · Cerrar sesión
Ajustes > Privacidad > Cookies > Guardar cambios
Aceptar, Cancelar, Enviar, Editar, Eliminar
{TS} WARN servicio=Pagos estado=RECHAZADO intento=2
Estado del envío: ADMITIDO → EN REPARTO → ENTREGADO
Prioridad: ALTA | Tipo: Avería | Canal: Teléfono
Gallegos y asturianos comparten más de lo que creen.
Españoles y portugueses cenan mucho más tarde que los alemanes.
Argentinos y uruguayos discuten quién inventó el dulce de leche.
En agosto la oficina cierra por vacaciones.
La matrícula se abre en julio y se cierra a finales de septiembre.
Los martes y jueves el centro abre hasta las ocho.
Descripción del puesto: atención al cliente y gestión de pedidos.
Cita previa obligatoria para todos los trámites.
Rebajas de invierno: hasta un 50 % en Abrigos y Calzado.
Para merendar, un Cola Cao y pan con Nocilla.
Vendo Corsa del {YEAR}, ITV pasada, pocos kilómetros.
Pague con Bizum o con tarjeta, como prefiera.
Navegador: {USER_AGENT}
INICIO DE SESIÓN DESDE UN NUEVO DISPOSITIVO: {USER_AGENT_UPPER}
Analítica: hemograma, PCR, glucosa basal, HbA1c, creatinina.
TA 140/85, FC 78 lpm, SatO2 97 %. AP: HTA, DM2, EPOC.
Nombre: __________ Apellidos: __________ DNI/NIE: __________
En __________, a ____ de __________ de 20__  Firma: __________
la caja 2 está abierta o cerrada? no hay nadie
los domingos aquí está todo cerrado, ni el súper abre
ARTÍCULO | TALLA | COLOR | EXISTENCIAS
""",
)
INTL_BLOCKS_I.multi(
    "negative",
    "es",
    """\
Concepto | Importe
Cuota mensual | 39,90 €
Matrícula | 20,00 €
TOTAL | 59,90 €
%%
{TS} INFO servicio=Acceso evento=INICIO_SESIÓN
{TS} INFO servicio=Acceso evento=CIERRE_SESIÓN
{TS} ERROR servicio=Carrito mensaje="Sesión caducada"
""",
)

# ----------------------------------------------------------------------------- Italian
INTL_BLOCKS_I.lines(
    "negative",
    "it",
    """\
Cod. | Descrizione | Q.tà | Prezzo unit. | Importo
TOTALE COMPLESSIVO: {AMOUNT} (IVA inclusa)
Imponibile | IVA 22% | Totale documento
Pagina 1 di 6 · Stampato alle {TIME}
USCITA DI SICUREZZA
CASSA CHIUSA – RIVOLGERSI ALLA CASSA 3
APERTO TUTTI I GIORNI, ORARIO CONTINUATO
Sportello 2 · Anagrafe e stato civile
VIETATO L'INGRESSO AI NON ADDETTI AI LAVORI
Home · Prodotti · Carrello · Il mio account · Esci
Impostazioni > Privacy > Cookie > Salva modifiche
Conferma, Annulla, Invia, Modifica, Elimina
{TS} ERROR servizio=Pagamenti stato=RIFIUTATO tentativo=3
Stato della spedizione: PRESA IN CARICO → IN CONSEGNA → CONSEGNATA
Urgenza: BASSA | Reparto: Manutenzione | Stato: IN LAVORAZIONE
Siciliani e sardi a tavola hanno tradizioni molto diverse.
Tedeschi e austriaci sono i turisti più numerosi sul lago d'estate.
Napoletani e milanesi non si metteranno mai d'accordo sul caffè.
A settembre riaprono le iscrizioni, a ottobre iniziano i corsi.
Ad agosto lo studio resta chiuso per ferie.
Il mercato rionale si tiene ogni giovedì mattina.
Descrizione: appartamento luminoso al terzo piano, due camere, cantina.
Ufficio Tecnico e Segreteria Didattica ricevono solo su appuntamento.
Prenotazione obbligatoria per tutte le visite specialistiche.
A colazione pane e Nutella, a merenda un Kinder.
Vendo Panda 4x4 del {YEAR}, tagliandi regolari.
Per accedere al servizio serve lo SPID o la CIE.
La Vespa è dal meccanico per il tagliando.
Browser utilizzato: {USER_AGENT}
ACCESSO DA UN NUOVO DISPOSITIVO: {USER_AGENT_UPPER}
Esami: emocromo, PCR, VES, glicemia a digiuno, HbA1c.
PA 135/85, FC 80 bpm, SpO2 96%. APR: ipertensione, DM2, BPCO.
Cognome: __________ Nome: __________ Codice fiscale: __________
Luogo e data: __________ Firma: __________
ma lo sportello apre alle 9 o alle 10? qui non c'è scritto niente
ad agosto qui chiude tutto, pure il bar
DESCRIZIONE | QUANTITÀ | PREZZO | TOTALE
""",
)
INTL_BLOCKS_I.multi(
    "negative",
    "it",
    """\
Giorno | Attività | Ore
Lunedì | Inventario | 4
Martedì | Ordini fornitori | 3
Totale: 7 ore
%%
SCONTRINO
Pane casereccio  2,40
Latte intero  1,59
TOTALE EURO  3,99
Pagamento: BANCOMAT
""",
)

# ----------------------------------------------------------------------------- Portuguese
INTL_BLOCKS_I.lines(
    "negative",
    "pt",
    """\
Cód. | Descrição | Qtd. | Valor unit. | Total
VALOR TOTAL DA NOTA: {AMOUNT}
Subtotal | Desconto | Frete | Total do pedido
Página 4 de 9 · Impresso às {TIME}
SAÍDA DE EMERGÊNCIA
CAIXA FECHADO – UTILIZE O CAIXA 5
ABERTO 24 HORAS
Guichê 3 · Atendimento preferencial
PROIBIDA A ENTRADA DE PESSOAS ESTRANHAS AO SERVIÇO
Início · Produtos · Carrinho · Minha conta · Sair
Configurações > Privacidade > Cookies > Salvar alterações
Voltar, Avançar, Concluir, Limpar campos
{TS} WARN serviço=Pagamentos status=RECUSADO tentativa=2
Status do pedido: APROVADO → EM TRANSPORTE → ENTREGUE
Chamado aberto | Nível: CRÍTICO | Fila: Suporte N2
Cariocas e paulistas discordam sobre quase tudo, menos futebol.
Gaúchos e mineiros disputam o melhor churrasco e o melhor queijo.
Portugueses e brasileiros escrevem facto e fato de forma diferente.
As matrículas abrem em janeiro e fecham no fim de fevereiro.
Às sextas-feiras o expediente termina ao meio-dia.
Em dezembro o movimento da loja triplica.
Descrição do problema: o aparelho desliga sozinho depois de alguns minutos.
Boleto vence amanhã, pague pelo Pix para compensar na hora.
Saldo insuficiente para concluir a operação.
Atendimento ao Cliente e Tesouraria funcionam no térreo.
Prescrição: Dipirona 500 mg de 6 em 6 horas se dor.
Vendo Gol {YEAR}, IPVA pago, único dono.
Pague com MB WAY ou no Multibanco.
Navegador do cliente: {USER_AGENT}
ACESSO A PARTIR DE UM NOVO DISPOSITIVO: {USER_AGENT_UPPER}
Exames: hemograma, PCR, glicemia em jejum, HbA1c, creatinina.
PA 130/80 mmHg, FC 76 bpm, SpO2 98%. HPP: HAS, DM2, DPOC.
Nome completo: __________ CPF: __________ RG: __________
Local e data: __________ Assinatura: __________
alguém sabe se o posto abre no feriado? no site não diz nada
em dezembro a loja fica lotada, nem adianta ir no sábado
DESCRIÇÃO | QUANTIDADE | VALOR | SUBTOTAL
""",
)
INTL_BLOCKS_I.multi(
    "negative",
    "pt",
    """\
Item | Descrição | Qtd.
01 | Cabo USB-C | 2
02 | Carregador 20 W | 1
Subtotal: {AMOUNT}
%%
CUPOM FISCAL
Pão francês  3,50
Café torrado  18,90
TOTAL R$  22,40
Forma de pagamento: PIX
""",
)

# ----------------------------------------------------------------------------- Dutch
INTL_BLOCKS_I.lines(
    "negative",
    "nl",
    """\
Art.nr. | Omschrijving | Aantal | Prijs | Bedrag
TOTAAL INCL. BTW: {AMOUNT}
Subtotaal | Korting | Verzendkosten | Te betalen
Pagina 2 van 3 · Afgedrukt om {TIME}
NOODUITGANG VRIJHOUDEN
KASSA GESLOTEN – GRAAG KASSA 2 GEBRUIKEN
GEOPEND: MA–ZA 9.00–18.00
Balie 6 · Paspoorten en rijbewijzen
VERBODEN TOEGANG VOOR ONBEVOEGDEN
Home · Producten · Winkelwagen · Mijn account · Uitloggen
Instellingen > Privacy > Cookies > Wijzigingen opslaan
Opslaan, Annuleren, Verzenden, Bewerken, Verwijderen
{TS} ERROR dienst=Betalingen status=GEWEIGERD poging=2
Status pakket: AANGEMELD → ONDERWEG → BEZORGD
Prioriteit: HOOG | Categorie: Storing | Kanaal: Chat
Friezen en Zeeuwen hebben elk hun eigen dialect.
Vlamingen en Walen kijken naar andere zenders.
Duitsers en Belgen tanken vaak net over de grens.
De inschrijving sluit eind maart, de uitslag volgt in mei.
Op woensdagmiddag is de bibliotheek gesloten.
In de herfstvakantie in oktober rijden er minder bussen.
Omschrijving: fiets maakt een tikkend geluid bij het trappen.
Gemeentewerf, Milieustraat en Stadswinkel zijn op maandag gesloten.
Hagelslag, Pindakaas en Appelstroop staan op het boodschappenlijstje.
Let op: Oud papier wordt deze week op donderdag opgehaald.
Betaal even via Tikkie, dan zijn we klaar.
Inloggen gaat alleen met DigiD en de app op je telefoon.
Te koop: Polo {YEAR}, APK tot volgend jaar, weinig kilometers.
Gebruikersagent: {USER_AGENT}
NIEUWE AANMELDING VANAF ONBEKEND APPARAAT: {USER_AGENT_UPPER}
Lab: Hb, CRP, BSE, nuchtere glucose, HbA1c, kreatinine.
RR 138/86, pols 74/min, SpO2 98%. VG: hypertensie, DM2, COPD.
Voornaam: __________ Achternaam: __________ BSN: __________
Plaats en datum: __________ Handtekening: __________
is kassa 3 nou open of niet, er staat niemand
in juli zit iedereen op de camping, kantoor is dan leeg
ARTIKEL | MAAT | KLEUR | VOORRAAD
""",
)
INTL_BLOCKS_I.multi(
    "negative",
    "nl",
    """\
Week | Maandag | Dinsdag | Woensdag
Ochtend | Vergadering | Training | Vrij
Middag | Klantbezoek | Administratie | Overleg
%%
KASSABON
Bruin brood  2,89
Halfvolle melk  1,15
TOTAAL EUR  4,04
Betaald met PIN
""",
)
