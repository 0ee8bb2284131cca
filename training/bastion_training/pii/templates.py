"""The generator's own templates, written for it from general knowledge; no eval text, template
or gazetteer is copied into them. Not every batch is independent of the eval sets, though: the
v3e and v3f batches were written after counting earlier models' errors on eval-only sets
(CoNLL-2003 test, the deid notes, UNER ru), and a few lines repeated CoNLL-2003 and deid wording
until 2026-12-05 (reworded; tests/test_training_honesty_s34.py keeps it so). A slot is ``{NAME}`` or ``{NAME_2}`` (a second person/identity),
``{NAME_UPPER}`` writes a slot in capitals; anything else in braces (JSON, code) is literal text.
A template with no labelled slot is a hard negative. Slots are defined in ``generator.SLOTS``.

Template ids are ``<lang>-<format>-<index>``; the split into train/val/test is by id (see
``generator.split_templates``), so keep appending rather than reordering.

Example:
    >>> t = TEMPLATES[0]
    >>> t.template_id, t.format, t.lang
    ('en-chat-000', 'chat', 'en')
"""

from __future__ import annotations

from .blocks import Template, TemplateBlocks

_BLOCKS = TemplateBlocks()
_lines, _multi = _BLOCKS.lines, _BLOCKS.multi


# ----------------------------------------------------------------------------- chat (en)
_lines(
    "chat",
    "en",
    """\
hi, my name is {PERSON} and I can't log into my account
hey its {FIRST_NAME}, can you call me back on {PHONE_NUMBER}?
my email is {EMAIL_ADDRESS} pls send the invoice there
Can you update my shipping address to {ADDRESS}? Thanks!
I moved to {CITY} last month, new address is {STREET}
my card {CREDIT_CARD} got charged twice for order {ORDER_ID}
please refund to my IBAN {IBAN_CODE}, account holder {PERSON}
I'm {PERSON}, DOB {DATE_OF_BIRTH}, calling about my claim
my ssn is {US_SSN} do you need anything else
username is {USERNAME} and I forgot the password
@{USERNAME} thanks for the help earlier!!
can u ask {FIRST_NAME} from {ORGANIZATION} to email me at {EMAIL_ADDRESS}
Write a polite reply to {PERSON} ({EMAIL_ADDRESS}) declining the meeting on {DATE}
summarize this: {PERSON} from {CITY} wants a refund of {AMOUNT} for {PRODUCT}
Draft a cover letter for {PERSON}, {ADDRESS}, phone {PHONE_NUMBER}, applying to {ORGANIZATION}
translate to french: "Dear {FIRST_NAME}, your appointment is confirmed for {DATE}"
I was born on {DATE_OF_BIRTH} in {CITY}, {COUNTRY}. Can you make me a horoscope?
my boss {PERSON} keeps texting me at {PHONE_NUMBER} after hours, how do I reply?
fix the grammar: me and {FIRST_NAME} went to {CITY} to see {FIRST_NAME_2}'s new flat
why does my login from {IP_ADDRESS} get blocked? account {EMAIL_ADDRESS}
{FIRST_NAME}: are we still on for {TIME}?
{FIRST_NAME}: yes! meet at {STREET}
lol {FIRST_NAME} just sent me her new number {PHONE_NUMBER}
ok so the wire goes to {PERSON}, IBAN {IBAN_CODE}, ref {ORDER_ID}
ping {USERNAME} on slack, he owns the deploy for {HOST}
Tell {PERSON} that the package to {ADDRESS} is delayed, tracking {TRACKING}
Can you check if {CREDIT_CARD} is a valid card number? it's for {PERSON}
i need a letter of recommendation for {PERSON} who worked with me at {ORGANIZATION} from 2019 to 2023
reminder: {FIRST_NAME}'s birthday is {DATE_OF_BIRTH}, get a cake
hello this is {PERSON} from {ORGANIZATION}, my direct line is {PHONE_NUMBER}
cancel the subscription for {EMAIL_ADDRESS}, card ending {LAST4}
i live in {CITY} near {LOC}, any good dentists?
who is {FULL_NAME}? saw the name on a parcel for {STREET}
send {AMOUNT} to {FIRST_NAME} {LAST_NAME} at {IBAN_CODE} before friday
my friend {PERSON} ({USERNAME} on discord) wants to join the server
the guy at {IP_ADDRESS} keeps hammering our login page, user {USERNAME}
plz help, {ORGANIZATION} charged my card {CREDIT_CARD} but i never ordered
{PERSON} <{EMAIL_ADDRESS}> added you to the project "{PRODUCT}"
use this for testing: name {PERSON}, ssn {US_SSN}, dob {DATE_OF_BIRTH}
yo {FIRST_NAME} whats ur address again? need it for the card
""",
)

# ----------------------------------------------------------------------------- email (en)
_multi(
    "email",
    "en",
    """\
Hi {FIRST_NAME},

Thanks for your order {ORDER_ID}. We will ship it to {ADDRESS} within 3 days.

Best regards,
{PERSON}
{ORGANIZATION}
{PHONE_NUMBER}
%%
Subject: Re: invoice {ORDER_ID}

Hello {PERSON},
the payment of {AMOUNT} should go to IBAN {IBAN_CODE} (account holder: {PERSON_2}).

Kind regards
{FIRST_NAME_2}

On {DATE}, {PERSON} <{EMAIL_ADDRESS}> wrote:
> Could you resend the bank details? The old ones bounced.
> Thanks, {FIRST_NAME}
%%
From: {PERSON} <{EMAIL_ADDRESS}>
To: {EMAIL_ADDRESS_2}
Subject: new hire paperwork

Hi {FIRST_NAME_2},
please find the details for our new hire below.
Name: {PERSON_3}
Date of birth: {DATE_OF_BIRTH_3}
SSN: {US_SSN_3}
Address: {ADDRESS_3}

Thanks,
{FIRST_NAME}
%%
Dear {PERSON},

Your password was reset from IP {IP_ADDRESS} on {DATE} at {TIME}. If this wasn't you, contact support.

— The {ORGANIZATION} security team
%%
Hey {FIRST_NAME}!

Long time no see. We moved to {CITY} — new place is at {STREET}. Call us at {PHONE_NUMBER} when you're around.

xx
{FIRST_NAME_2}
%%
Hi team,

{PERSON} ({EMAIL_ADDRESS}) will join the {PRODUCT} project next week. Please add {USERNAME} to the repo.

Cheers,
{PERSON_2}
Engineering Manager | {ORGANIZATION}
M: {PHONE_NUMBER_2}
%%
Good morning {PERSON},

We confirm receipt of your application. Reference: {TICKET}.
Could you also send a copy of your ID and proof of address ({ADDRESS})?

Sincerely,
{PERSON_2}
HR, {ORGANIZATION}
%%
> On {DATE} {FIRST_NAME} wrote:
> > is the card {CREDIT_CARD} still the one on file?
> yes, expiry 09/27

ok thanks, charged {AMOUNT}. receipt sent to {EMAIL_ADDRESS}.
%%
Hello,

I am writing on behalf of my mother, {PERSON}, born {DATE_OF_BIRTH}, regarding policy {ORDER_ID}.
Her address is {ADDRESS}. You can reach me at {PHONE_NUMBER_2}.

Regards,
{PERSON_2}
%%
Hi {FIRST_NAME},
quick one: can you approve the reimbursement for {PERSON_2}? IBAN {IBAN_CODE_2}, amount {AMOUNT}.
thx
--
{PERSON}
{ORGANIZATION} | {CITY}
%%
-----Original Message-----
From: {PERSON} [mailto:{EMAIL_ADDRESS}]
Sent: {DATE} {TIME}
To: {PERSON_2}
Subject: RE: visit to {CITY}

{FIRST_NAME_2}, I land at {TIME} and will stay at {ADDRESS_2}. My mobile is {PHONE_NUMBER}.
%%
Dear Mr {LAST_NAME},

Our records show a pending charge on card {CREDIT_CARD} for {AMOUNT}. If you did not authorise it, reply to this email or call {PHONE_NUMBER_2}.

{ORGANIZATION} Customer Care
%%
Hi {FIRST_NAME},

Welcome to {ORGANIZATION}! Your login is {USERNAME}. Your first shift is on {DATE} at our {CITY} office, {STREET_2}.

See you soon,
{PERSON_2}
%%
Thanks {FIRST_NAME}, got it.

Sent from my iPhone

> {PERSON} <{EMAIL_ADDRESS}> schrieb am {DATE}:
> Here's my number for the handover: {PHONE_NUMBER}
%%
To whom it may concern,

I hereby authorise {PERSON_2} to collect my documents. My details: {PERSON}, date of birth {DATE_OF_BIRTH}, SSN {US_SSN}.

Signed,
{FULL_NAME}
%%
Hi {FIRST_NAME},

The server {HOST} ({IP_ADDRESS}) went down at {TIME}. {PERSON_2} is on call — {PHONE_NUMBER_2}.

{FIRST_NAME_3}
SRE, {ORGANIZATION}
%%
Dear {PERSON},
congratulations, you have been selected for the interview at {ORGANIZATION} on {DATE}.
Please confirm by replying to {EMAIL_ADDRESS_2}.
Best,
{PERSON_2}, Talent Acquisition
%%
Hi all - please welcome {PERSON} who joins us from {ORGANIZATION_2}. {FIRST_NAME} is based in {CITY} and you can find her on slack as @{USERNAME}.
%%
Subject: Fwd: parking permit

---------- Forwarded message ---------
From: {PERSON} <{EMAIL_ADDRESS}>
Date: {DATE}
Permit for vehicle registered to {PERSON}, {ADDRESS}.
%%
{FIRST_NAME} -- the wire to {ORGANIZATION} bounced. Their IBAN is {IBAN_CODE}, not the one in the PO. Can you fix it?
{FIRST_NAME_2}
%%
Hello {PERSON},

your parcel {TRACKING} could not be delivered to {ADDRESS}. Please reschedule at our website.

Kind regards, {ORGANIZATION}
%%
Hi,
my details for the booking: {PERSON}, {EMAIL_ADDRESS}, {PHONE_NUMBER}. Arriving {DATE}.
Thank you!
""",
)

# ----------------------------------------------------------------------------- tickets (en)
_multi(
    "ticket",
    "en",
    """\
Ticket {TICKET} | Priority: high
Reporter: {PERSON} ({EMAIL_ADDRESS})
Description: customer cannot reset password, last login from {IP_ADDRESS}.
%%
[{TICKET}] Refund request
Customer: {PERSON}
Card: {CREDIT_CARD}
Amount: {AMOUNT}
Notes: charged twice on {DATE}.
%%
Issue: user {USERNAME} locked out after 5 attempts. Phone on file {PHONE_NUMBER}. Verified DOB {DATE_OF_BIRTH}.
%%
Case {TICKET} opened by {PERSON} <{EMAIL_ADDRESS}>
Product: {PRODUCT} {VERSION}
Steps: open the app, tap sync, crash. Device IP {IP_ADDRESS}.
%%
Agent note: spoke to {FIRST_NAME} {LAST_NAME}, confirmed address {ADDRESS}. Replacement shipped, tracking {TRACKING}.
%%
JIRA {TICKET}: {PERSON} reports that exports from {ORGANIZATION} contain the SSN column ({US_SSN} visible in row 3).
%%
Escalation
Account holder: {PERSON}
IBAN: {IBAN_CODE}
Reason: SEPA direct debit rejected ({ORDER_ID})
Assigned to: {USERNAME_2}
%%
Customer {PERSON} called from {PHONE_NUMBER} about order {ORDER_ID}; wants delivery to her office at {ORGANIZATION}, {ADDRESS}.
%%
#{INT} [bug] login fails for {EMAIL_ADDRESS} since {VERSION}
assignee: @{USERNAME}
%%
Complaint received {DATE}. Name: {PERSON}. Contact: {EMAIL_ADDRESS} / {PHONE_NUMBER}. Summary: courier left parcel at wrong address ({STREET_2}).
%%
Support chat transcript
[{TIME}] {FIRST_NAME}: hi my card {CREDIT_CARD} was declined
[{TIME}] Agent {FIRST_NAME_2}: sorry about that! can you confirm your billing address?
[{TIME}] {FIRST_NAME}: {ADDRESS}
%%
KYC check failed for {PERSON} (DOB {DATE_OF_BIRTH}, {COUNTRY}). Document number mismatch. Reviewer: {PERSON_2}.
%%
Ticket {TICKET}
From: {EMAIL_ADDRESS}
"Hi, I'm {PERSON} and I want my data deleted under GDPR. My username is {USERNAME}."
Status: pending verification
%%
Incident {TICKET}: suspicious logins for {USERNAME} from {IP_ADDRESS} and {IP_ADDRESS_2} ({LOC}). Account owner {PERSON} notified at {PHONE_NUMBER}.
%%
Return authorisation {ORDER_ID} for {PERSON}, {ADDRESS}. Refund to card {CREDIT_CARD}.
%%
Callback requested by {PERSON} at {PHONE_NUMBER} between 2 and 4pm re: {PRODUCT}.
%%
User {FULL_NAME} ({EMAIL_ADDRESS}) requested access to {HOST}. Approved by {PERSON_2}.
%%
Payroll ticket {TICKET}: update bank details for {PERSON} to IBAN {IBAN_CODE}, effective {DATE}.
%%
Bug report from {USERNAME}: the profile page shows another user's email ({EMAIL_ADDRESS_2}) and phone ({PHONE_NUMBER_2}).
%%
Background check: {PERSON}, SSN {US_SSN}, born {DATE_OF_BIRTH}, previous address {ADDRESS}. Result: clear.
""",
)

# ----------------------------------------------------------------------------- logs (en)
_lines(
    "log",
    "en",
    """\
{TS} INFO auth: login ok user={EMAIL_ADDRESS} ip={IP_ADDRESS} req={REQ_ID}
{TS} WARN auth: failed login for {USERNAME} from {IP_ADDRESS} (attempt 3)
{IP_ADDRESS} - - [{DATE} {TIME}] "GET /api/v1/users/{INT} HTTP/1.1" 200 {INT} "-" "Mozilla/5.0"
{IP_ADDRESS} - {USERNAME} [{DATE} {TIME}] "POST /login HTTP/1.1" 302 0
{TS} ERROR payments: card {CREDIT_CARD} declined for customer={PERSON} order={ORDER_ID}
{TS} DEBUG request_id={REQ_ID} user_email={EMAIL_ADDRESS} took {MS}ms
[{TS}] sshd[{INT}]: Accepted publickey for {USERNAME} from {IP_ADDRESS} port {PORT} ssh2
[{TS}] sshd[{INT}]: Invalid user {USERNAME} from {IP_ADDRESS}
{TS} level=info msg="profile updated" user={USERNAME} phone="{PHONE_NUMBER}" trace={UUID}
{TS} level=error msg="sepa mandate rejected" iban={IBAN_CODE} name="{PERSON}"
{TS} INFO mailer: sent welcome email to {EMAIL_ADDRESS} ({PERSON})
{TS} WARN fraud: ssn {US_SSN} reused across accounts {INT} and {INT}
{TS} [worker-{INT}] shipping label created for {PERSON}, {ADDRESS}
<{INT}>{DATE} {TIME} {HOST} postfix/smtp[{INT}]: to=<{EMAIL_ADDRESS}>, relay=mx.{HOST}, status=sent
{TS} AUDIT admin={USERNAME} changed role of {EMAIL_ADDRESS_2} to owner (src {IP_ADDRESS})
{TS} INFO kyc: verified {PERSON} dob={DATE_OF_BIRTH} country={COUNTRY}
Traceback: ValueError: invalid phone '{PHONE_NUMBER}' for user {USERNAME} (request {REQ_ID})
{TS} nginx: client {IP_ADDRESS} denied by rule {INT}, host {HOST}
{TS} INFO crm: lead created name="{PERSON}" company="{ORGANIZATION}" city="{CITY}"
{TS} WARN dlp: outbound message from {EMAIL_ADDRESS} contains card number {CREDIT_CARD}
{TS} INFO vpn: session start user={USERNAME} assigned={IP_ADDRESS} public={IP_ADDRESS_2}
{TS} ERROR db: duplicate key (email)=({EMAIL_ADDRESS}) already exists
{TS} INFO billing: invoice {ORDER_ID} issued to {ORGANIZATION}, contact {PERSON}, {PHONE_NUMBER}
""",
)

# ----------------------------------------------------------------------------- JSON (en)
_multi(
    "json",
    "en",
    """\
{"id": {INT}, "name": "{PERSON}", "email": "{EMAIL_ADDRESS}", "phone": "{PHONE_NUMBER}"}
%%
{"user": {"username": "{USERNAME}", "dob": "{DATE_OF_BIRTH}", "address": "{ADDRESS}"}, "created_at": "{TS}"}
%%
{
  "customer": "{PERSON}",
  "payment": {"card": "{CREDIT_CARD}", "amount": "{AMOUNT}"},
  "order_id": "{ORDER_ID}"
}
%%
[{"name": "{PERSON}", "ssn": "{US_SSN}"}, {"name": "{PERSON_2}", "ssn": "{US_SSN_2}"}]
%%
{"event": "login", "ip": "{IP_ADDRESS}", "user_agent": "curl/8.4.0", "account": "{EMAIL_ADDRESS}", "request_id": "{UUID}"}
%%
{"beneficiary": {"name": "{PERSON}", "iban": "{IBAN_CODE}"}, "reference": "{ORDER_ID}", "currency": "EUR"}
%%
{
  "patient": {"first_name": "{FIRST_NAME}", "last_name": "{LAST_NAME}", "birth_date": "{DATE_OF_BIRTH}"},
  "contact": {"phone": "{PHONE_NUMBER}", "city": "{CITY}"}
}
%%
{"company": "{ORGANIZATION}", "hq": "{ADDRESS}", "ceo": "{PERSON}", "founded": 1998}
%%
{"messages": [{"role": "user", "content": "my email is {EMAIL_ADDRESS}, can you find my order {ORDER_ID}?"}]}
%%
{"shipping_address": {"line1": "{STREET}", "city": "{CITY}", "country": "{COUNTRY}"}, "recipient": "{PERSON}"}
%%
{"ok": false, "error": "user {USERNAME} not found", "trace_id": "{UUID}", "client_ip": "{IP_ADDRESS}"}
%%
{"employees": [{"name": "{PERSON}", "email": "{EMAIL_ADDRESS}"}, {"name": "{PERSON_2}", "email": "{EMAIL_ADDRESS_2}"}]}
%%
{"contact":{"name":"{FULL_NAME}","tel":"{PHONE_NUMBER}"},"note":"call after 5pm"}
%%
{"cardholder": "{PERSON}", "pan": "{CREDIT_CARD}", "exp": "08/28", "billing_zip_verified": true}
""",
)

# ----------------------------------------------------------------------------- CSV (en)
_multi(
    "csv",
    "en",
    """\
name,email,phone
{PERSON},{EMAIL_ADDRESS},{PHONE_NUMBER}
{PERSON_2},{EMAIL_ADDRESS_2},{PHONE_NUMBER_2}
%%
id;first_name;last_name;dob;city
{INT};{FIRST_NAME};{LAST_NAME};{DATE_OF_BIRTH};{CITY}
%%
"customer","card","amount"
"{PERSON}","{CREDIT_CARD}","{AMOUNT}"
%%
employee_id,full_name,ssn,start_date
{INT},{FULL_NAME},{US_SSN},{DATE}
{INT},{FULL_NAME_2},{US_SSN_2},{DATE}
%%
timestamp,user,src_ip,action
{TS},{USERNAME},{IP_ADDRESS},login
{TS},{USERNAME_2},{IP_ADDRESS_2},delete
%%
vendor,iban,contact
{ORGANIZATION},{IBAN_CODE},{EMAIL_ADDRESS}
%%
Name\tAddress\tPhone
{PERSON}\t{ADDRESS}\t{PHONE_NUMBER}
%%
order_id,recipient,street,city,country
{ORDER_ID},{PERSON},{STREET},{CITY},{COUNTRY}
""".replace("\\t", "\t"),
)

# ----------------------------------------------------------------------------- code / config (en)
_multi(
    "code",
    "en",
    """\
DB_HOST={IP_ADDRESS}
DB_USER={USERNAME}
DB_PASSWORD={PASSWORD}
ADMIN_EMAIL={EMAIL_ADDRESS}
%%
# .env
SMTP_USER={EMAIL_ADDRESS}
SMTP_PASS={PASSWORD}
STRIPE_KEY={SECRET}
%%
admin:
  name: {PERSON}
  email: {EMAIL_ADDRESS}
  phone: "{PHONE_NUMBER}"
server:
  host: {IP_ADDRESS}
  port: {PORT}
%%
def test_signup():
    user = create_user(name="{PERSON}", email="{EMAIL_ADDRESS}", dob="{DATE_OF_BIRTH}")
    assert user.id
%%
const customer = {
  name: '{PERSON}',
  card: '{CREDIT_CARD}',
  iban: '{IBAN_CODE}',
};
%%
INSERT INTO users (name, email, ssn) VALUES ('{PERSON}', '{EMAIL_ADDRESS}', '{US_SSN}');
%%
# TODO({USERNAME}): remove hard-coded test account {EMAIL_ADDRESS} before release
%%
Author: {PERSON} <{EMAIL_ADDRESS}>
Date:   {DATE}

    fix retry logic in {PRODUCT} client
%%
ssh {USERNAME}@{IP_ADDRESS} -p {PORT}
%%
curl -X POST https://api.example.com/v2/customers -d '{"email": "{EMAIL_ADDRESS}", "phone": "{PHONE_NUMBER}"}' -H "Authorization: Bearer {SECRET}"
%%
[user]
    name = {PERSON}
    email = {EMAIL_ADDRESS}
%%
<contact>
  <name>{PERSON}</name>
  <street>{STREET}</street>
  <city>{CITY}</city>
  <phone>{PHONE_NUMBER}</phone>
</contact>
%%
fixtures = [("{PERSON}", "{CREDIT_CARD}"), ("{PERSON_2}", "{CREDIT_CARD_2}")]
%%
# Copyright {PERSON}, {ORGANIZATION}. Contact {EMAIL_ADDRESS} for licensing.
%%
apiVersion: v1
kind: Secret
metadata:
  annotations:
    owner: {EMAIL_ADDRESS}
stringData:
  token: {SECRET}
%%
mysql -h {IP_ADDRESS} -u {USERNAME} -p{PASSWORD} crm -e "select * from customers where email='{EMAIL_ADDRESS_2}'"
%%
ALLOWED_IPS = ["{IP_ADDRESS}", "{IP_ADDRESS_2}"]  # office + {FIRST_NAME}'s home
%%
UPDATE accounts SET iban = '{IBAN_CODE}' WHERE holder = '{PERSON}';
""",
)

# ----------------------------------------------------------------------------- forms (en)
_multi(
    "form",
    "en",
    """\
Full name: {PERSON}
Date of birth: {DATE_OF_BIRTH}
Email: {EMAIL_ADDRESS}
Phone: {PHONE_NUMBER}
%%
APPLICANT: {PERSON}
SSN: {US_SSN}
CURRENT ADDRESS: {ADDRESS}
EMPLOYER: {ORGANIZATION}
%%
Name ........ {PERSON}
Born ........ {DATE_OF_BIRTH}, {CITY}
Nationality . {COUNTRY}
%%
Billing details
Cardholder: {PERSON}
Card number: {CREDIT_CARD}
Billing address: {ADDRESS}
%%
Direct debit mandate
Account holder: {PERSON}
IBAN: {IBAN_CODE}
Creditor: {ORGANIZATION}
Date: {DATE}
%%
Emergency contact: {PERSON} ({PHONE_NUMBER}), relationship: sister
%%
Registration
username: {USERNAME}
email: {EMAIL_ADDRESS}
country: {COUNTRY}
%%
Guest: {PERSON} | Room {INT} | Check-in {DATE} | Phone {PHONE_NUMBER}
%%
Tenant: {PERSON}
Property: {ADDRESS}
Landlord: {PERSON_2}, {PHONE_NUMBER_2}
Rent: {AMOUNT} per month
%%
Student: {LAST_NAME}, {FIRST_NAME}   DOB: {DATE_OF_BIRTH}   Parent/guardian: {PERSON_2}
%%
Ship to:
{PERSON}
{ADDRESS}
%%
W-9: Name {PERSON}; Business name {ORGANIZATION}; SSN {US_SSN}; Address {STREET}, {CITY}
%%
Visitor log - {DATE}
{TIME} {PERSON} ({ORGANIZATION}) host: {PERSON_2}
%%
Membership #{INT}
Member: {PERSON}
Email: {EMAIL_ADDRESS}
Member since: {DATE}
""",
)

# ----------------------------------------------------------------------------- notes: HR / medical (en)
_multi(
    "note",
    "en",
    """\
Pt {PERSON}, DOB {DATE_OF_BIRTH}, presented with chest pain. Lives alone at {ADDRESS}. Daughter {FIRST_NAME_2} ({PHONE_NUMBER_2}) informed.
%%
Discharge summary: {PERSON} (MRN {INT}) discharged to home in {CITY}. Follow-up with Dr. {LAST_NAME_2} in 2 weeks.
%%
Performance review for {PERSON}, {ORGANIZATION}, reviewer {PERSON_2}. Meets expectations; promote to senior.
%%
HR note: {PERSON} requested a change of bank account to {IBAN_CODE}. Verified by phone ({PHONE_NUMBER}).
%%
Nursing note {TIME}: pt resting, wife {PERSON_2} at bedside, asked to be called at {PHONE_NUMBER_2} if any change.
%%
Termination letter for {PERSON}, employee #{INT}, effective {DATE}. Final pay to account on file.
%%
Referral: {PERSON}, born {DATE_OF_BIRTH}, SSN {US_SSN}, referred by Dr. {PERSON_2} of {ORGANIZATION}.
%%
Interview notes - candidate {PERSON} (currently at {ORGANIZATION}, based in {CITY}). Strong on systems design. Reach via {EMAIL_ADDRESS}.
%%
Pt is a 54 y/o male, seen in {CITY} clinic. PCP: Dr. {LAST_NAME}. Pharmacy: {ORGANIZATION}, {STREET}.
%%
Onboarding checklist for {FIRST_NAME} {LAST_NAME}: laptop assigned, account {USERNAME} created, badge photo taken.
%%
Incident report: on {DATE} {PERSON} slipped in the {CITY} warehouse. Witness: {PERSON_2}. First aid by {FIRST_NAME_3}.
%%
Therapy session note. Client {FIRST_NAME} reports conflict with manager {PERSON_2}. Next session {DATE}.
%%
Allergy alert for {PERSON} (DOB {DATE_OF_BIRTH}): penicillin. Contact {PHONE_NUMBER}.
%%
Leave request: {PERSON} will be on parental leave from {DATE}. Backup: {USERNAME_2}.
%%
Reference check: spoke with {PERSON_2} at {ORGANIZATION} about {PERSON}; would rehire.
%%
Pt {LAST_NAME}, {FIRST_NAME} seen for follow-up. Home address {ADDRESS}. Insurance card on file.
%%
Expense claim by {PERSON}: hotel in {CITY}, {AMOUNT}; reimburse to {IBAN_CODE}.
%%
Vaccination record: {PERSON}, {DATE_OF_BIRTH}, administered {DATE} at {ORGANIZATION}.
""",
)

# ----------------------------------------------------------------------------- international
_multi(
    "chat",
    "de",
    """\
Hallo, ich bin {PERSON} und wohne in {CITY}. Meine Nummer ist {PHONE_NUMBER}.
%%
Bitte überweisen Sie den Betrag auf mein Konto: {IBAN_CODE}, Kontoinhaber {PERSON}.
%%
meine neue adresse ist {ADDRESS}, kannst du das an {FIRST_NAME} weitergeben?
""",
)
_multi(
    "email",
    "de",
    """\
Sehr geehrte Frau {LAST_NAME},

vielen Dank für Ihre Bestellung {ORDER_ID}. Die Lieferung erfolgt an {ADDRESS}.

Mit freundlichen Grüßen
{PERSON_2}
{ORGANIZATION}
Tel. {PHONE_NUMBER_2}
%%
Hallo {FIRST_NAME},
anbei die Daten für die Lohnabrechnung: {PERSON_2}, geboren am {DATE_OF_BIRTH_2}, IBAN {IBAN_CODE_2}.
Viele Grüße
{FIRST_NAME_3}
""",
)
_multi(
    "form",
    "de",
    """\
Name: {PERSON}
Geburtsdatum: {DATE_OF_BIRTH}
Anschrift: {ADDRESS}
E-Mail: {EMAIL_ADDRESS}
%%
SEPA-Lastschriftmandat
Kontoinhaber: {PERSON}
IBAN: {IBAN_CODE}
Gläubiger: {ORGANIZATION}
Ort, Datum: {CITY}, {DATE}
%%
Patient: {PERSON}, geb. {DATE_OF_BIRTH}, wohnhaft {STREET}, {CITY}. Hausarzt: Dr. {LAST_NAME_2}.
""",
)

_multi(
    "chat",
    "fr",
    """\
Bonjour, je m'appelle {PERSON}, mon numéro est le {PHONE_NUMBER}.
%%
Pouvez-vous envoyer la facture à {EMAIL_ADDRESS} ? Mon adresse est {ADDRESS}.
%%
salut {FIRST_NAME}, j'ai déménagé à {CITY}, passe quand tu veux !
""",
)
_multi(
    "email",
    "fr",
    """\
Madame, Monsieur,

Je vous prie de bien vouloir rembourser la somme de {AMOUNT} sur le compte {IBAN_CODE} au nom de {PERSON}.

Cordialement,
{PERSON}
{PHONE_NUMBER}
%%
Bonjour {FIRST_NAME},
{PERSON_2} de {ORGANIZATION} m'a donné ton mail ({EMAIL_ADDRESS}). On se voit à {CITY} le {DATE} ?
Bien à toi,
{FIRST_NAME_2}
""",
)
_multi(
    "form",
    "fr",
    """\
Nom : {LAST_NAME}
Prénom : {FIRST_NAME}
Date de naissance : {DATE_OF_BIRTH}
Adresse : {ADDRESS}
Téléphone : {PHONE_NUMBER}
%%
Titulaire du compte : {PERSON}
IBAN : {IBAN_CODE}
Banque : {ORGANIZATION}
%%
Patient {PERSON}, né le {DATE_OF_BIRTH}, domicilié {STREET}, {CITY}. Médecin traitant : Dr {LAST_NAME_2}.
""",
)

_multi(
    "chat",
    "es",
    """\
Hola, soy {PERSON} y vivo en {CITY}. Mi teléfono es {PHONE_NUMBER}.
%%
mi correo es {EMAIL_ADDRESS}, por favor mándame la factura del pedido {ORDER_ID}
%%
¿Puedes cambiar la dirección de envío a {ADDRESS}? Gracias, {FIRST_NAME}
""",
)
_multi(
    "email",
    "es",
    """\
Estimado/a {PERSON}:

Le confirmamos el reembolso de {AMOUNT} a la cuenta {IBAN_CODE}.

Atentamente,
{PERSON_2}
{ORGANIZATION}
%%
Hola {FIRST_NAME},
te paso los datos de {PERSON_2}: nació el {DATE_OF_BIRTH_2}, vive en {ADDRESS_2} y su móvil es {PHONE_NUMBER_2}.
Un abrazo,
{FIRST_NAME_3}
""",
)
_multi(
    "form",
    "es",
    """\
Nombre y apellidos: {PERSON}
Fecha de nacimiento: {DATE_OF_BIRTH}
Domicilio: {ADDRESS}
Correo electrónico: {EMAIL_ADDRESS}
%%
Titular: {PERSON}
Tarjeta: {CREDIT_CARD}
Ciudad: {CITY}
""",
)

_multi(
    "chat",
    "it",
    """\
Ciao, sono {PERSON} di {CITY}, il mio numero è {PHONE_NUMBER}
%%
Potete spedire l'ordine {ORDER_ID} a {ADDRESS}? Grazie, {FIRST_NAME}
%%
la mia email è {EMAIL_ADDRESS}, scrivimi lì
""",
)
_multi(
    "email",
    "it",
    """\
Gentile {PERSON},

la informiamo che il bonifico di {AMOUNT} sull'IBAN {IBAN_CODE} è stato eseguito.

Cordiali saluti,
{PERSON_2}
{ORGANIZATION}
%%
Ciao {FIRST_NAME},
ti giro il contatto di {PERSON_2} ({EMAIL_ADDRESS_2}), lavora da {ORGANIZATION} a {CITY}.
A presto,
{FIRST_NAME_3}
""",
)
_multi(
    "form",
    "it",
    """\
Cognome: {LAST_NAME}
Nome: {FIRST_NAME}
Data di nascita: {DATE_OF_BIRTH}
Indirizzo: {ADDRESS}
Cellulare: {PHONE_NUMBER}
%%
Paziente {PERSON}, nato il {DATE_OF_BIRTH}, residente in {STREET}, {CITY}.
""",
)

_multi(
    "chat",
    "nl",
    """\
Hoi, ik ben {PERSON} uit {CITY}, mijn nummer is {PHONE_NUMBER}
%%
kun je het pakket naar {ADDRESS} sturen? groetjes {FIRST_NAME}
%%
Mijn e-mailadres is {EMAIL_ADDRESS} en mijn IBAN is {IBAN_CODE}.
""",
)
_multi(
    "email",
    "nl",
    """\
Beste {PERSON},

Hartelijk dank voor uw bestelling {ORDER_ID}. Wij leveren op {ADDRESS}.

Met vriendelijke groet,
{PERSON_2}
{ORGANIZATION}
%%
Hoi {FIRST_NAME},
{PERSON_2} ({PHONE_NUMBER_2}) neemt mijn dienst over op {DATE}.
Groet,
{FIRST_NAME_3}
""",
)
_multi(
    "form",
    "nl",
    """\
Naam: {PERSON}
Geboortedatum: {DATE_OF_BIRTH}
Adres: {ADDRESS}
E-mail: {EMAIL_ADDRESS}
%%
Rekeninghouder: {PERSON}
IBAN: {IBAN_CODE}
Plaats: {CITY}
""",
)

_multi(
    "chat",
    "pt",
    """\
Olá, sou {PERSON}, moro em {CITY} e meu telefone é {PHONE_NUMBER}
%%
meu email é {EMAIL_ADDRESS}, pode mandar o boleto do pedido {ORDER_ID}?
%%
Pode entregar no endereço {ADDRESS}? Obrigado, {FIRST_NAME}
""",
)
_multi(
    "email",
    "pt",
    """\
Prezado(a) {PERSON},

Confirmamos o reembolso de {AMOUNT} na conta {IBAN_CODE}.

Atenciosamente,
{PERSON_2}
{ORGANIZATION}
%%
Oi {FIRST_NAME},
o contato da {PERSON_2} é {EMAIL_ADDRESS_2}, ela trabalha na {ORGANIZATION} em {CITY}.
Abraços,
{FIRST_NAME_3}
""",
)
_multi(
    "form",
    "pt",
    """\
Nome completo: {PERSON}
Data de nascimento: {DATE_OF_BIRTH}
Endereço: {ADDRESS}
Telefone: {PHONE_NUMBER}
%%
Titular do cartão: {PERSON}
Número do cartão: {CREDIT_CARD}
Cidade: {CITY}
""",
)

# ----------------------------------------------------------------------------- hard negatives (no PII)
_lines(
    "chat",
    "en",
    """\
will you review the PR before friday? it bumps us to {VERSION}
may I ask why the build {VERSION} is slower than the last one?
please mark the file as reviewed and bill the customer for {AMOUNT}
April showers bring May flowers, right? anyway the order {ORDER_ID} shipped
can you explain what UUID {UUID} refers to in the logs?
the number {BAD_CARD} is not a valid card, the checksum fails
convert the epoch {EPOCH} to a human readable date please
what's the difference between sha256 {HASH} and md5?
we will grant access once the ticket {TICKET} is approved
Summer sale: {PRODUCT} now {AMOUNT} until {DATE}!
how do I reverse a linked list in python without recursion?
my order {ORDER_ID} says delivered but I got nothing
set the timeout to {MS} ms and retry {INT} times
is {VERSION} backwards compatible with the old API?
Grace period ends on {DATE}; after that the invoice is overdue.
hope you'll sleep well tonight, see you at {TIME}
explain the bill of materials for {PRODUCT} in simple terms
The patch will address the rose-colored glasses bug in the dashboard.
what does HTTP {STATUS} mean when calling {HOST}?
""",
)
_lines(
    "log",
    "en",
    """\
{TS} INFO deploy: rolled out {PRODUCT} {VERSION} to {INT} pods (commit {HASH})
{TS} WARN cache: miss ratio {INT}% on {HOST}, request {REQ_ID}
{TS} ERROR worker: job {UUID} failed after {MS}ms: timeout
{TS} INFO scheduler: next run at epoch {EPOCH}
{TS} DEBUG order {ORDER_ID} status=shipped carrier_ref={TRACKING}
{TS} INFO build {VERSION} sha={HASH} artifacts=3
{TS} INFO payments: token tok_{INT} validated, card ending {LAST4}
""",
)
_multi(
    "json",
    "en",
    """\
{"order_id": "{ORDER_ID}", "status": "shipped", "items": [{"sku": "{SKU}", "qty": 2}], "updated": "{TS}"}
%%
{"version": "{VERSION}", "build": "{HASH}", "released": "{DATE}"}
%%
{"job": "{UUID}", "duration_ms": {MS}, "retries": {INT}, "ok": true}
%%
{"test_card": "{BAD_CARD}", "expected": "invalid_luhn"}
""",
)
_multi(
    "code",
    "en",
    """\
for i in range({INT}):
    if cache.get(key) is None:
        will_retry = True
%%
requests.get("https://{HOST}/v1/items/{SKU}", timeout={INT})
%%
version: "{VERSION}"
image: registry.local/{PRODUCT}:{VERSION}
replicas: {INT}
%%
assert checksum("{HASH}") == expected  # build {VERSION}
""",
)
_multi(
    "ticket",
    "en",
    """\
Ticket {TICKET}: dashboard shows NaN for revenue after upgrade to {VERSION}. Repro on staging.
%%
Bug: exporting {INT} rows to CSV takes {MS} ms; expected under 1s. Build {HASH}.
%%
Order {ORDER_ID} stuck in "processing" since {DATE}. Carrier ref {TRACKING}.
""",
)
_multi(
    "email",
    "en",
    """\
Hi team,

Release {VERSION} is out. Changelog: faster sync, fixed crash on start, new dark mode.

Thanks!
%%
Reminder: the quarterly all-hands is on {DATE} at {TIME}. Agenda: roadmap, Q&A, pizza.
""",
)
_multi(
    "form",
    "en",
    """\
Order: {ORDER_ID}
Items: {INT}
Total: {AMOUNT}
Status: paid
""",
)


# ----------------------------------------------------------------------------- news (en)
# Newswire, sports results and headlines, written for this generator. Surnames alone are people,
# datelines name the city only, clubs / companies / agencies / parties are organisations; scores,
# dates, figures, weekdays and capitalised headline words stay unlabelled.
_multi(
    "news",
    "en",
    """\
{WORLD_CITY_UPPER} {NEWS_DATE}
{NATIONALITY} striker {SURNAME} scored twice as {CLUB} beat {CLUB_2} {SCORE} on {WEEKDAY} to go top of the table.
%%
{WORLD_CITY_UPPER} {NEWS_DATE}
Shares in {COMPANY} fell {PCT} on {WEEKDAY} after the group cut its profit forecast. Chief executive {FULL_NAME} told analysts that demand in {NATION} had slowed.
%%
{WORLD_CITY_UPPER} ({WIRE}) - {NATION} and {NATION_2} agreed on {WEEKDAY} to resume border talks, foreign minister {FULL_NAME} said after meeting his counterpart in {WORLD_CITY_2}.
%%
TENNIS - RESULTS IN {WORLD_CITY_UPPER}
{WORLD_CITY_UPPER} {NEWS_DATE}
Second round, {WEEKDAY} (seeds marked by a leading number):
1 - {SURNAME} ({NATION}) beat {SURNAME_2} ({NATION_2}) {SETS}
{SURNAME_3} ({NATION_3}) beat {SURNAME_4} ({NATION_4}) {SETS}
%%
SOCCER - LEAGUE RESULTS FROM {NATION_UPPER}
{WORLD_CITY_UPPER} {NEWS_DATE}
Results of league matches played on {WEEKDAY}:
{CLUB} {SCORE} {CLUB_2}
{CLUB_3} {SCORE} {CLUB_4}
%%
{SURNAME} ({NATION}) {RACE_TIME}
%%
ATHLETICS - {SURNAME_UPPER} WINS IN {WORLD_CITY_UPPER}
{WORLD_CITY_UPPER} {NEWS_DATE}
Leading results in the men's 100 metres: 1. {SURNAME} ({NATION}) {RACE_TIME} 2. {SURNAME_2} ({NATION_2}) {RACE_TIME} 3. {SURNAME_3} ({NATION_3}) {RACE_TIME}
%%
{PARTY} leader {FULL_NAME} said on {WEEKDAY} the party would vote against the budget. "We cannot support cuts of this size," {SURNAME} told reporters in {WORLD_CITY}.
%%
The {COMPANY} chairman {FULL_NAME} told shareholders in {WORLD_CITY} that the company would cut {INT} jobs by {YEAR}.
%%
"We are very happy with the result and now we look to the next game," {SURNAME} said.
%%
{NATION}'s central bank left interest rates unchanged on {WEEKDAY}, and governor {FULL_NAME} said inflation of {PCT} was within the target range.
%%
Heavy fighting was reported in the {REGION} region of {NATION} on {WEEKDAY}, according to a {AGENCY} official in {WORLD_CITY}.
%%
Police in {WORLD_CITY} said on {WEEKDAY} they had arrested {NUM} people after clashes outside the {NATION_2} embassy.
%%
{COMPANY} said on {WEEKDAY} it would buy {COMPANY_2} for {FIGURE} in cash, creating the largest group of its kind in {REGION}.
%%
{BANK} raised its growth forecast for {NATION} to {PCT} for {YEAR}, citing strong exports to {NATION_2}.
%%
{AGENCY} inspectors arrived in {WORLD_CITY} on {WEEKDAY}, {NUM} days after the government of {NATION} agreed to the visit.
%%
{SURNAME}'s {PARTY} won {PCT} of the vote in {STATE}, against {PCT} for {SURNAME_2}'s {PARTY_2}.
%%
{NATION_UPPER} BEAT {NATION_UPPER_2} {SCORE} TO REACH FINAL
%%
{COMPANY_UPPER} SHARES SLUMP AFTER PROFIT WARNING
%%
{PARTY_UPPER} CLAIMS VICTORY IN {STATE_UPPER} ELECTION
%%
{SURNAME_UPPER} LEADS {CLUB_UPPER} TO {SCORE} WIN OVER {CLUB_UPPER_2}
%%
{FULL_NAME}, who was born in {WORLD_CITY} in {YEAR}, died on {WEEKDAY} at his home in {WORLD_CITY_2}, his family said. He was {NUM}.
%%
CRICKET - {NATION_UPPER} V {NATION_UPPER_2} SCOREBOARD
{WORLD_CITY_UPPER} {NEWS_DATE}
{NATION} first innings 245 for 6 ({SURNAME} 87, {SURNAME_2} 45) v {NATION_2}
%%
CYCLING - STAGE RESULTS
Leading results of stage {NUM} from {WORLD_CITY} to {WORLD_CITY_2}:
1. {SURNAME} ({NATION}) {CLUB} {RACE_TIME}
2. {SURNAME_2} ({NATION_2}) {CLUB_2} same time
%%
BASKETBALL - LEAGUE RESULTS
Results of games played on {WEEKDAY}:
{CLUB} {PTS} {CLUB_2} {PTS}
{CLUB_3} {PTS} {CLUB_4} {PTS} (OT)
%%
A court in {WORLD_CITY} sentenced {FULL_NAME} to {NUM} years in prison on {WEEKDAY} for fraud at {COMPANY}, where {SURNAME} had been finance director.
%%
Floods across {GEO} forced thousands from their homes in {REGION}, and officials in {WORLD_CITY} warned that more rain was expected.
%%
{NATIONALITY} President {FULL_NAME} arrived in {WORLD_CITY} on {WEEKDAY} for two days of talks with Prime Minister {FULL_NAME_2} of {NATION}.
%%
{SURNAME}, {NUM}, joined {CLUB} from {CLUB_2} on a three-year contract, the club said on {WEEKDAY}.
%%
"The situation is very serious," {SURNAME} told {WIRE} by telephone from {WORLD_CITY}.
%%
Gold closed at {AMOUNT} an ounce in {WORLD_CITY} on {WEEKDAY}, while the dollar slipped against the euro.
%%
Workers at {COMPANY}'s plant in {CITY}, {STATE} walked out on {WEEKDAY} over pay, union official {FULL_NAME} said.
%%
Senator {FULL_NAME} of {STATE} said the {AGENCY} had failed to answer questions about the contract.
%%
{SURNAME} and {SURNAME_2} shared the lead on {NUM} under par after the first round in {WORLD_CITY}, two shots ahead of {SURNAME_3}.
%%
{WORLD_CITY_UPPER}, {MONTH} {DAY} ({WIRE}) - {COMPANY} posted a {PCT} rise in quarterly profit on {WEEKDAY}, beating forecasts, and said {SURNAME} would step down as chairman.
%%
{SURNAME} Leads {CLUB} to Victory Over {CLUB_2}
%%
{AGENCY} officials met {PARTY} lawmakers in {WORLD_CITY} to discuss aid for {NATION} and {NATION_2}.
%%
{CLUB} coach {FULL_NAME} was fined by {AGENCY} for comments about the referee after the {SCORE} defeat by {CLUB_2}.
%%
{WORLD_CITY_UPPER} {NEWS_DATE}
Researchers at {UNIVERSITY} said on {WEEKDAY} that a trial of the vaccine at {HOSPITAL} had produced encouraging results. "It is an important step," said {SURNAME}, who led the study.
%%
{FULL_NAME} ({NATION}) retained the world title, with {SURNAME_2} of {NATION_2} second and {SURNAME_3} ({NATION_3}) third.
%%
Troops were moved toward {GEO} after {NATION} accused {NATION_2} of violating the ceasefire, the {AGENCY} said in a statement issued in {WORLD_CITY}.
%%
{STATE} Governor {FULL_NAME} declared a state of emergency on {WEEKDAY} as wildfires spread toward {CITY}.
%%
SOCCER - {CLUB_UPPER} SIGN {SURNAME_UPPER} FROM {CLUB_UPPER_2}
""",
)
# News lines without any entity: the numbers, dates and capitalised headline words stay unlabelled.
_multi(
    "news",
    "en",
    """\
SOCCER - RESULTS AND STANDINGS AFTER WEEKEND MATCHES
%%
Stocks closed {PCT} higher on {WEEKDAY} as technology shares rallied; the main index gained {INT} points.
%%
MARKETS RALLY AS RATES FALL
Bonds gained for a third day on {WEEKDAY}, with yields down {PCT} and trading volume at {FIGURE} shares.
%%
Results on {WEEKDAY}: {SCORE}, {SCORE}, {SCORE} after extra time, {SCORE} on penalties.
%%
The {PRODUCT} launch was pushed back to {MONTH} {YEAR}; pre-orders had reached {FIGURE}.
%%
Unemployment fell to {PCT} in {MONTH} from {PCT} a year earlier, the statistics office said on {WEEKDAY}.
%%
Oil Prices Climb As Supply Fears Grow Ahead Of Winter
%%
Attendance: {INT}. Half-time: {SCORE}. Man of the Match: the home goalkeeper.
%%
Quarterly Earnings Beat Forecasts; Dividend Raised To {AMOUNT} Per Share
%%
{MONTH} {DAY}, {YEAR}: City Council Approves Budget Of {FIGURE}
%%
FINAL SCORE: {SCORE} - MATCH REPORT TO FOLLOW
%%
League table (columns: P W D L F A Pts):
{NUM} {NUM} {NUM} {NUM} {NUM} {NUM} {PTS}
""",
)

# ----------------------------------------------------------------------------- news (de, fr, es)
_multi(
    "news",
    "de",
    """\
{CITY_UPPER} {NEWS_DATE}
Der Vorstandschef von {COMPANY}, {FULL_NAME}, kündigte am Dienstag in {CITY} den Abbau von {INT} Stellen an. {SURNAME} sagte, die Lage in {COUNTRY} bleibe schwierig.
%%
{SURNAME} erzielte in der {NUM}. Minute das Siegtor für {CLUB} beim {SCORE} gegen {CLUB_2}.
""",
)
_multi(
    "news",
    "fr",
    """\
{CITY_UPPER}, {NEWS_DATE} - Le président de {COMPANY}, {FULL_NAME}, a annoncé mardi à {CITY} la fermeture de deux usines. « Nous n'avions pas le choix », a déclaré {SURNAME}.
%%
{SURNAME} a battu {SURNAME_2} {SETS} mardi à {CITY} et affrontera {SURNAME_3} en demi-finale.
""",
)
_multi(
    "news",
    "es",
    """\
{CITY_UPPER}, {NEWS_DATE} - El presidente de {COMPANY}, {FULL_NAME}, anunció el martes en {CITY} una inversión de {FIGURE}, dijo {SURNAME} a los periodistas.
%%
{SURNAME} marcó dos goles y {CLUB} venció {SCORE} a {CLUB_2} el domingo en {CITY}.
""",
)

# ----------------------------------------------------------------------------- prose (en): places
_multi(
    "prose",
    "en",
    """\
{FULL_NAME} was born in {CITY}, {STATE}, and moved to {WORLD_CITY} in {YEAR} to work as a teacher.
%%
We spent two weeks driving through {REGION} before flying home from {WORLD_CITY}.
%%
The {NATION} government announced new visa rules for students from {NATION_2} on {WEEKDAY}.
%%
She grew up on a farm in {STATE} and studied in {WORLD_CITY} before settling in {NATION}.
%%
Our company is based in {WORLD_CITY}, with smaller offices in {NATION} and {NATION_2}.
%%
The trail crosses {REGION} for about {NUM} kilometres before climbing into the hills above {WORLD_CITY}.
%%
My grandparents emigrated from {NATION} to {STATE} in {YEAR} and opened a bakery there.
%%
Flights between {WORLD_CITY} and {WORLD_CITY_2} were cancelled because of storms over {GEO}.
%%
He has lived in {CITY} for most of his life, apart from three years in {REGION}.
%%
Itinerary: day 1 {WORLD_CITY}, days 2-3 {REGION}, day 4 {WORLD_CITY_2}, flying back via {WORLD_CITY_3}.
%%
The wine comes from small vineyards in {REGION}, close to the border with {NATION}.
%%
I'm thinking of moving from {STATE} to {STATE_2} for a new job. Is the cost of living much higher there?
%%
{NATIONALITY}-born author {FULL_NAME} now lives in {WORLD_CITY} with her family.
%%
Can you plan a 5-day trip to {NATION} for me? I land in {WORLD_CITY} on {DATE} and leave from {WORLD_CITY_2}.
%%
Snow closed several passes in {GEO}, cutting off villages in {REGION} for {NUM} days.
%%
The storm made landfall in {STATE} on {WEEKDAY} and moved inland toward {WORLD_CITY}.
""",
)

# ----------------------------------------------------------------------------- prose (en): organisations
_multi(
    "prose",
    "en",
    """\
{FULL_NAME} studied economics at {UNIVERSITY} and then joined {BANK} as an analyst.
%%
After the accident she was taken to {HOSPITAL}, where doctors said her condition was stable.
%%
{COMPANY} will buy {COMPANY_2}, the two firms said in a joint statement on {WEEKDAY}.
%%
The report was prepared by the {ORG_ACRONYM} and published with support from {AGENCY}.
%%
I've been a {CLUB} fan since I was a kid; my dad took me to every home game.
%%
My mortgage is with {BANK} but I want to move my savings to {BANK_2}. Which one has better rates?
%%
He left {COMPANY} in {YEAR} to found a start-up, which was later bought by {COMPANY_2}.
%%
The study, led by researchers at {UNIVERSITY} and {HOSPITAL}, followed {INT} patients for five years.
%%
The {PARTY} has called for an inquiry into the contract awarded to {COMPANY}.
%%
Please send the signed contract to our lawyers at {COMPANY} before Friday.
%%
The {ORG_ACRONYM} warned that prices would keep rising. A spokesperson for the group declined to comment.
%%
I applied for internships at {COMPANY}, {COMPANY_2} and {BANK}; only {COMPANY} replied so far.
%%
{FULL_NAME}, a professor at {UNIVERSITY}, told {WIRE} that the findings were "worrying".
%%
She works night shifts as a nurse at {HOSPITAL} and coaches a youth team at {CLUB} on weekends.
%%
A grant from {AGENCY} will fund a new research lab at {UNIVERSITY}.
%%
{COMPANY} shares rose {PCT} after analysts at {BANK} upgraded the stock to "buy".
""",
)

# ----------------------------------------------------------------------------- postal addresses (en)
# A whole postal address (street through postcode, and country when written) is one ADDRESS span;
# a town named on its own elsewhere in the text is a LOCATION.
_multi(
    "postal",
    "en",
    """\
ship it to {ADDRESS_US} please, that's my work address
%%
She lives at {ADDRESS_US} with her two kids and a very loud dog.
%%
Our office at {ADDRESS} is closed on public holidays; please send mail to {PO_BOX} instead.
%%
{PERSON}
{ADDRESS_BLOCK}
%%
Please send payment to:
{COMPANY}
{ADDRESS_BLOCK}
%%
Return address: {PO_BOX}
%%
Bill to: {PERSON}, {ADDRESS_US}
Ship to: {PERSON_2}, {ADDRESS_US_2}
%%
The courier left the package at {ADDRESS_US} instead of my place at {ADDRESS_US_2}.
%%
change of address: from {ADDRESS} to {ADDRESS_2}, effective {DATE}
%%
We're hosting the party at our new house, {ADDRESS_US}. Parking is on the street.
%%
Correspondence for {COMPANY} should be addressed to {PO_BOX}.
%%
Sender: {PERSON}, {ADDRESS_BLOCK}
%%
I moved out of {ADDRESS_2} last month; my new address is {ADDRESS_US}.
%%
Deliveries: {ADDRESS_US}. The buzzer is broken, please call {PHONE_NUMBER} when you arrive.
%%
{FULL_NAME}, of {ADDRESS_US}, was charged with driving without a licence, police in {CITY} said.
%%
Visit our showroom at {ADDRESS}, a short walk from {CITY} central station.
%%
Registered office:
{ADDRESS_BLOCK}
Registered in {COUNTRY}, company number {INT}
""",
)


def _build_intl() -> list[Template]:
    from .templates_intl import (
        INTL_BLOCKS,
        INTL_BLOCKS_B,
        INTL_BLOCKS_C,
        INTL_BLOCKS_D,
        INTL_BLOCKS_E,
        INTL_BLOCKS_F,
        INTL_BLOCKS_G,
        INTL_BLOCKS_H,
    )
    from .templates_neg import INTL_BLOCKS_I

    batches = (
        ("v3", INTL_BLOCKS),
        ("v3b", INTL_BLOCKS_B),
        ("v3c", INTL_BLOCKS_C),
        ("v3d", INTL_BLOCKS_D),
        ("v3e", INTL_BLOCKS_E),
        ("v3f", INTL_BLOCKS_F),
        ("v3g", INTL_BLOCKS_G),
        ("v3h", INTL_BLOCKS_H),
        ("v3i", INTL_BLOCKS_I),  # PII-free hard negatives in 11 languages (templates_neg.py)
    )
    return [t for tag, blocks in batches for t in blocks.templates(tag)]


TEMPLATES: tuple[Template, ...] = (*_BLOCKS.templates(), *_build_intl())
