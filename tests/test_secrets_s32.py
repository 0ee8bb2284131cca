"""Secrets as assistants print them, and their look-alikes (QA round s32, qa_secrets H1-H8,
M1-M6): every FOUND row was missed (or only half found) by the old rules, and every
NOT_FOUND row must stay unreported, so an answer quoting it is not blocked."""

from __future__ import annotations

import base64
import hashlib

import pytest
from bastion import Guard
from bastion.detectors.pii_regex import RegexPIIDetector
from bastion.labels import SECRET_LABELS
from bastion.types import Action

AK = "AKIAVOMPZOM7WBBR6QMW"
SAK = "5SUkCnD8zRA9a9SkpXz9w3QlY7Zkuvqdt7s8Stqc"
AZ_KEY = "A8z4uaYahr/vI2/83zHT3zYHQDZKgD3DllNCi2vVIQ/ovVrldamV0OeEa9Pq4IAhiCaGggTfcMYumwHGzCYsJA=="
TW_SID = "ACea68ef786e4d3cea27d26934b484e73c"
TW_TOKEN = "f575dcad6ba2b0aee0ca923732881584"
SLACK_HOOK = "https://hooks.slack.com/services/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"
DISCORD_HOOK = (
    "https://discord.com/api/webhooks/1234567890123456789/"
    "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz0123"
)
# a PEM key (fake body) base64-encoded once more, as kubeconfig and Kubernetes Secrets hold it
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    + "MIICXAIBAAKBgQDLI5iT+FpZvWOeg6rJcYxyMtZUzzXuWr+SyblCRgqs" * 4
    + "\n-----END RSA PRIVATE KEY-----\n"
)
PEM_B64 = base64.b64encode(PEM.encode()).decode()
CERT_B64 = base64.b64encode(
    b"-----BEGIN CERTIFICATE-----\nMIIC" + b"QUJD" * 20 + b"\n-----END CERTIFICATE-----\n"
).decode()
ETH_KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
LONG_PROJ = "sk-proj-" + "aB3dE5fG7hJ9kL1mN2pQ" * 10  # 208 characters, over the old cap of 200
SHA = hashlib.sha256(b"x").hexdigest()
MD5 = hashlib.md5(b"z").hexdigest()


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard([RegexPIIDetector()])


FOUND = [
    # H1: the key name in camelCase or glued to its owner
    ('{"dbUser": "app", "dbPassword": "Xk9pL2vQz7"}', "PASSWORD", "Xk9pL2vQz7"),
    ("PGPASSWORD=Xk9pL2vQz7 psql -h db -U app", "PASSWORD", "Xk9pL2vQz7"),
    ("githubToken=f3Kz9Qm2Lp8Xw1Vn7Rt4Ys6Bc0Dh5Gj", "PASSWORD", "f3Kz9Qm2Lp8Xw1Vn7Rt4Ys6Bc0Dh5Gj"),
    ("rootPassword: Xk9pL2vQz7", "PASSWORD", "Xk9pL2vQz7"),
    ("ADMINPASS=Xk9pL2vQz7", "PASSWORD", "Xk9pL2vQz7"),
    ('{ newPassword: "Xk9pL2vQz7!" }', "PASSWORD", "Xk9pL2vQz7!"),
    ("openaiApiKey: 'f3Kz9Qm2Lp8Xw1Vn7Rt4Ys6Bc0Dh5Gj'", "PASSWORD", "f3Kz9Qm2Lp8Xw1Vn7Rt4Ys6Bc0Dh5Gj"),
    # H2: XML and .NET / Spring configuration
    ("<password>Xk9pL2vQz7!</password>", "PASSWORD", "Xk9pL2vQz7!"),
    ("<server><id>nexus</id><username>deploy</username><password>Xk9pL2vQz7!</password></server>",
     "PASSWORD", "Xk9pL2vQz7!"),
    ("<keystorePassword>Xk9pL2vQz7!</keystorePassword>", "PASSWORD", "Xk9pL2vQz7!"),
    ('<add key="ApiKey" value="f3Kz9Qm2Lp8Xw1Vn7Rt4Ys6Bc0Dh5Gj" />', "PASSWORD", "f3Kz9Qm2Lp8Xw1Vn7Rt4Ys6Bc0Dh5Gj"),
    ('<property name="password" value="Xk9pL2vQz7!"/>', "PASSWORD", "Xk9pL2vQz7!"),
    # H3: generated passwords with brackets, commas, semicolons, "<" and "'", read whole
    ("DB_PASSWORD=Pa(ss)w0rd!2024", "PASSWORD", "Pa(ss)w0rd!2024"),
    ("DB_PASSWORD=Tr0ub;4dor&3xyz", "PASSWORD", "Tr0ub;4dor&3xyz"),
    ("ADMIN_PASSWORD=Xk,9pL2vQz7", "PASSWORD", "Xk,9pL2vQz7"),
    ("DB_PASSWORD=Secr3tPass(2024)x", "PASSWORD", "Secr3tPass(2024)x"),
    ("PASSWORD=Xk9<pL2vQz7", "PASSWORD", "Xk9<pL2vQz7"),
    ("PASSWORD=Xk9'pL2vQz7", "PASSWORD", "Xk9'pL2vQz7"),
    ("SMTP_PASSWORD=ab]{Xk9pL2vQz7", "PASSWORD", "ab]{Xk9pL2vQz7"),
    ("export DB_PASSWORD=Pa(ss)w0rd!2024", "PASSWORD", "Pa(ss)w0rd!2024"),
    ("docker run -e DB_PASSWORD=Secr3tPass(2024)x app", "PASSWORD", "Secr3tPass(2024)x"),
    ("Server=db;User Id=sa;Password={Xk9;pL2vQz7};", "PASSWORD", "Xk9;pL2vQz7"),
    ('{"password": "Xk9\\"pL2vQz7"}', "PASSWORD", 'Xk9\\"pL2vQz7'),
    # H4: the AWS secret next to its key id, under a far field name, in other languages
    (f"The access key is {AK} and the secret is {SAK}.", "API_KEY", SAK),
    (f"{AK}\n{SAK}", "API_KEY", SAK),
    (f"| AccessKeyId | SecretAccessKey |\n|---|---|\n| {AK} | {SAK} |", "API_KEY", SAK),
    (f"aws_secret_access_key:\n# rotated 2024-05-01 by the platform team, see ticket OPS-1234\n  {SAK}", "API_KEY", SAK),
    ("AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "API_KEY",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    (f"AWS-Geheimschlüssel: {SAK}", "API_KEY", SAK),
    # H5: Stripe test-mode and restricted test keys, webhook signing secrets
    ("Use sk_test_B3JrTAwR4y9ojfljoQoaF1Ll in the sandbox", "API_KEY", "sk_test_B3JrTAwR4y9ojfljoQoaF1Ll"),
    ("key rk_test_qsajAIxNKu8iS2G8NPRVdD53", "API_KEY", "rk_test_qsajAIxNKu8iS2G8NPRVdD53"),
    ("endpoint secret whsec_X83RZJzzzzgEOzdmenCkhvMdgaKjIg8x", "API_KEY", "whsec_X83RZJzzzzgEOzdmenCkhvMdgaKjIg8x"),
    # H6: an Azure storage key on the az command line and in env files
    (f"az storage blob upload --account-name mystorage --account-key {AZ_KEY}", "API_KEY", AZ_KEY),
    (f"AZURE_STORAGE_KEY={AZ_KEY}", "API_KEY", AZ_KEY),
    (f"AZURE_STORAGE_ACCOUNT_KEY={AZ_KEY}", "API_KEY", AZ_KEY),
    # H7: command lines and HTTP client calls
    ("curl -u admin:Sup3rSecret! https://api.example.com/v1", "PASSWORD", "Sup3rSecret!"),
    ("curl --user 'admin:Sup3rSecret!' https://api.example.com/v1", "PASSWORD", "Sup3rSecret!"),
    ("docker login -u deploy -p Xk9pL2vQz7! registry.example.com", "PASSWORD", "Xk9pL2vQz7!"),
    ("mysql -u root -pR00tPassw0rd! shop", "PASSWORD", "R00tPassw0rd!"),
    ("mysqldump -u root -p'R00tPassw0rd!' shop > dump.sql", "PASSWORD", "R00tPassw0rd!"),
    ("sshpass -p 'Xk9pL2vQz7!' ssh deploy@host", "PASSWORD", "Xk9pL2vQz7!"),
    ("redis-cli -a Xk9pL2vQz7! ping", "PASSWORD", "Xk9pL2vQz7!"),
    ("requests.get(url, auth=('admin', 'Xk9pL2vQz7!'))", "PASSWORD", "Xk9pL2vQz7!"),
    ("HTTPBasicAuth('admin', 'Xk9pL2vQz7!')", "PASSWORD", "Xk9pL2vQz7!"),
    # H8: a Twilio auth token next to its account SID, or after "auth token"
    (f"Account SID {TW_SID}, auth token {TW_TOKEN}", "API_KEY", TW_TOKEN),
    (f"client = Client('{TW_SID}', '{TW_TOKEN}')", "API_KEY", TW_TOKEN),
    # M1: incoming-webhook URLs are credentials, whole
    (f"post to {SLACK_HOOK} now", "API_KEY", SLACK_HOOK),
    (f"webhook: {DISCORD_HOOK}", "API_KEY", DISCORD_HOOK),
    # M2: a base64-encoded PEM private key (kubeconfig, Kubernetes TLS Secret)
    (f"users:\n- name: admin\n  user:\n    client-key-data: {PEM_B64}\n", "PRIVATE_KEY", PEM_B64),
    (f"data:\n  tls.crt: {CERT_B64}\n  tls.key: {PEM_B64}\n", "PRIVATE_KEY", PEM_B64),
    # M3: a qualifier between the word and the copula; "pw" and "passphrase"
    ("The password for the admin account is Xy7$kLm2Qp.", "PASSWORD", "Xy7$kLm2Qp"),
    ("my pw is Kitten!2023", "PASSWORD", "Kitten!2023"),
    ("the passphrase is correct-horse-battery-staple", "PASSWORD", "correct-horse-battery-staple"),
    ("a senha do wifi é Casa!Azul88", "PASSWORD", "Casa!Azul88"),
    ("la clave del wifi es Perro#7788", "PASSWORD", "Perro#7788"),
    # M4: npm and PyPI tokens, wallet keys, an sk- key over the old length cap
    ("use npm_aB3dE5fG7hJ9kL1mN2pQrStUvWxYz0123456 to publish", "API_KEY", "npm_aB3dE5fG7hJ9kL1mN2pQrStUvWxYz0123456"),
    ("twine upload -u __token__ -p pypi-AgEIcHlwaS5vcmcCJDEyMzQ1Njc4LTEyMzQtMTIzNC0xMjM0LTEyMzQ1Njc4OTAxMgACKlsz",
     "API_KEY", "pypi-AgEIcHlwaS5vcmcCJDEyMzQ1Njc4LTEyMzQtMTIzNC0xMjM0LTEyMzQ1Njc4OTAxMgACKlsz"),
    (f"my metamask private key is {ETH_KEY}", "PRIVATE_KEY", ETH_KEY),
    ("private key 5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", "PRIVATE_KEY",
     "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"),
    (LONG_PROJ, "API_KEY", LONG_PROJ),
    # verify round R2: a real weak password made of secret words, in a connection string
    ("postgres://admin:supersecretkey@prod-db.internal:5432/app", "PASSWORD", "supersecretkey"),
    ("mysql://root:rootpassword@10.0.3.7:3306/shop", "PASSWORD", "rootpassword"),
    # verify round 2: default passwords in connection strings; secret names with id-like heads;
    # a wallet key next to "transaction"; passwords with a participle
    ("postgres://postgres:postgres@db.prod.internal/app", "PASSWORD", "postgres"),
    ("mongodb://admin:admin@mongo.prod/x", "PASSWORD", "admin"),
    ("postgres://u:changeme@db/x", "PASSWORD", "changeme"),
    ('"clientPassword": "Xk9pL2vQz7"', "PASSWORD", "Xk9pL2vQz7"),
    ("OLDPASSWORD=Xk9pL2vQz7", "PASSWORD", "Xk9pL2vQz7"),
    ('"clientApiKey": "f3Kz9Qm2Lp8Xw1Vn7Rt4Ys6Bc0Dh5Gj"', "PASSWORD", "f3Kz9Qm2Lp8Xw1Vn7Rt4Ys6Bc0Dh5Gj"),
    ('"clientToken": "f3Kz9Qm2Lp8Xw1Vn7Rt4Ys6Bc0Dh5Gj"', "PASSWORD", "f3Kz9Qm2Lp8Xw1Vn7Rt4Ys6Bc0Dh5Gj"),
    ("Use this private key to sign the transaction: " + ETH_KEY, "PRIVATE_KEY", ETH_KEY),
    ("my password is Summer2024-loving", "PASSWORD", "Summer2024-loving"),
    ("my password is P4ssw0rd-protected", "PASSWORD", "P4ssw0rd-protected"),
    # all lower case, glued to the word for what the secret opens (INI / PHP configs)
    ("dbpassword=Xk9pL2vQz7", "PASSWORD", "Xk9pL2vQz7"),
    ("adminpassword = Xk9pL2vQz7", "PASSWORD", "Xk9pL2vQz7"),
    ("githubtoken=f3Kz9Qm2Lp8Xw1Vn7Rt4Ys6Bc0Dh5Gj", "PASSWORD", "f3Kz9Qm2Lp8Xw1Vn7Rt4Ys6Bc0Dh5Gj"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "label", "value"), FOUND)
def test_secrets_are_found_whole(guard, text, label, value):
    hits = [(f.label, text[f.start : f.end]) for f in guard.check(text).pii]
    assert (label, value) in hits, hits
    if label in SECRET_LABELS:
        assert guard.check_output(text).action is Action.BLOCK


NOT_FOUND = [
    # H1: camelCase fields about a secret, code, and glued words that are no key name
    ("passwordMinLength: 12", "PASSWORD"),
    ("tokenCount=123456", "PASSWORD"),
    ("numToken: 12345678", "PASSWORD"),
    ("isPasswordValid(x)", "PASSWORD"),
    ("if (newPassword !== confirmPassword) {", "PASSWORD"),
    ('{"nextPageToken": "CiAKGjBpNDd2Nmp2Zml2cXRwYjBp"}', "PASSWORD"),
    ("forgotPassword: '/auth/forgot-password'", "PASSWORD"),
    ('{"newPassword": "New password", "forgotPassword": "Forgot your password?"}', "PASSWORD"),
    ('"password": "Enter your password"', "PASSWORD"),
    ("AccountSid: AC0123456789abcdef0123456789abcdef", "PASSWORD"),
    ("userSid: S-1-5-21-3623811015-3361044348-30300820-1013", "PASSWORD"),
    ("BYPASS=enabled-for-ci", "PASSWORD"),
    # H2: templated or placeholder XML values, a policy element, a tokenised text
    ("<password>${PW}</password>", "PASSWORD"),
    ("<password>********</password>", "PASSWORD"),
    ('<property name="password" value="${db.password}"/>', "PASSWORD"),
    ("<passwordPolicy>strict-2024</passwordPolicy>", "PASSWORD"),
    ("<token>understanding</token>", "PASSWORD"),
    ('<add key="Environment" value="Production2024" />', "PASSWORD"),
    # H3: code after the key, command substitution, f-string fields
    ("password = getpass.getpass(prompt)", "PASSWORD"),
    ('api_key = os.environ.get("OPENAI_API_KEY", "")', "PASSWORD"),
    ("token = create_token(user_id, expires)", "PASSWORD"),
    ("token = tokens[0]", "PASSWORD"),
    ("PASSWORD=$(openssl rand -hex 16)", "PASSWORD"),
    ("password: ${DB_PASSWORD}", "PASSWORD"),
    ("token={api_token}", "PASSWORD"),
    ("secret={secrets.token_hex(16)}", "PASSWORD"),
    ("f(password=pw,user=u)", "PASSWORD"),
    # H4: a 40-character value far from any key id or secret word
    ("Ticket AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ABCD was closed.", "API_KEY"),
    # H5: Stripe docs placeholders
    ("sk_test_xxxxxxxxxxxxxxxxxxxxxxxx", "API_KEY"),
    ("sk_test_your_stripe_key_here", "API_KEY"),
    ("whsec_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "API_KEY"),
    # H6: an 88-character base64 without its flag (an npm sha512 integrity), a variable
    ("integrity sha512-" + base64.b64encode(hashlib.sha512(b"a").digest()).decode(), "API_KEY"),
    ("--account-key $AZURE_STORAGE_KEY", "API_KEY"),
    # H7: variables and prompts on command lines, port flags
    ("curl -u $USER:$PASS https://api.example.com", "PASSWORD"),
    ('curl -u "$API_USER:$API_TOKEN" https://api.example.com', "PASSWORD"),
    ("curl -u sk_live_abc: https://api.stripe.com", "PASSWORD"),
    ("mysql -p", "PASSWORD"),
    ("mysql -u root -p mydb", "PASSWORD"),
    ("docker run -p 8080:80 nginx", "PASSWORD"),
    ("docker login registry.example.com && docker run -p 127.0.0.1:8080:80 app", "PASSWORD"),
    ("docker login -u deploy --password-stdin registry.example.com", "PASSWORD"),
    ("ssh -p 2222 deploy@host", "PASSWORD"),
    ("requests.get(url, auth=(username, password))", "PASSWORD"),
    ("auth=('user', 'pass')", "PASSWORD"),
    # H8: 32-hex ids with no Twilio SID near
    (f"Fixed in commit {MD5} (see PR #4521).", "API_KEY"),
    (f"md5 {MD5}", "API_KEY"),
    # M1: the webhook URL of the Slack docs
    ("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "API_KEY"),
    # M2: a base64-encoded certificate is no private key
    (f"    client-certificate-data: {CERT_B64}", "PRIVATE_KEY"),
    # M3: sentences about a password
    ("The password for this account is not set.", "PASSWORD"),
    ("The password for the database is stored in Vault.", "PASSWORD"),
    ("The password for each user is auto-generated.", "PASSWORD"),
    ("The password for 2FA is TOTP-based.", "PASSWORD"),
    ("my pw is weak", "PASSWORD"),
    ("the passphrase is required", "PASSWORD"),
    # M4: digests and addresses named near "private key"; a WIF with a bad checksum
    (f"the hash of the private key is {SHA}", "PRIVATE_KEY"),
    (f"private key fingerprint (sha256): {SHA}", "PRIVATE_KEY"),
    (f"tx 0x{SHA}", "PRIVATE_KEY"),
    ("5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTK", "PRIVATE_KEY"),
    ("npm_config_registry=https://registry.npmjs.org", "API_KEY"),
    # M5: placeholder connection strings in documentation-style answers
    ("postgres://user:password@localhost:5432/mydb", "PASSWORD"),
    ("mongodb+srv://<username>:<password>@cluster0.mongodb.net/", "PASSWORD"),
    ("postgresql://USER:PASSWORD@HOST:PORT/DATABASE", "PASSWORD"),
    ("postgres://${DB_USER}:${DB_PASSWORD}@db:5432/app", "PASSWORD"),
    ("mysql://user:pass@localhost/db", "PASSWORD"),
    ("redis://:yourpassword@localhost:6379", "PASSWORD"),
    ("postgres://myuser:mypassword@db/app", "PASSWORD"),
    ("postgresql://app:YOUR_DB_PASSWORD@db/app", "PASSWORD"),
    ("https://username:password@example.com/", "PASSWORD"),
    # M6: slugs and CSS classes starting with "sk-"
    ("see https://example.com/blog/sk-learn-pipelines-and-gridsearch-2024", "API_KEY"),
    ('class="sk-circle-bounce-animation-delay-12"', "API_KEY"),
    ("sk-2024-roadmap-planning-notes", "API_KEY"),
    ("sk-classifier-v2-20240501-final-build", "API_KEY"),
    # verify round R2-R6: placeholders, "...Token" ids that grant nothing, code, prose, digests
    ("postgres://app:my-secret-key@db/x", "PASSWORD"),
    ("redis://:yourpassword@localhost", "PASSWORD"),
    ('"ClientToken": "550e8400-e29b-41d4-a716-446655440000"', "PASSWORD"),
    ('"ClientRequestToken": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"', "PASSWORD"),
    ('"NextContinuationToken": "1w41l63U0xa8q7smH50vCxyTQqdxo69O3EmK28Bi5PcROI4wI/EyIJg=="', "PASSWORD"),
    ("PaginationToken: eyJvZmZzZXQiOjUwfQ", "PASSWORD"),
    ("IdempotencyToken: req-2024-05-01-0001", "PASSWORD"),
    ('"DeviceToken": "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad"', "PASSWORD"),
    ("OLDPWD=/home/alice/src", "PASSWORD"),
    ('let token = env::var("TOKEN")?;', "PASSWORD"),
    ('let api_key = std::env::var("OPENAI_API_KEY").expect("x");', "PASSWORD"),
    ('token = encode({"sub": user_id}, key)', "PASSWORD"),
    ("The password for Wi-Fi is WPA2-protected, so ask the front desk.", "PASSWORD"),
    ("The transaction was signed with the private key; tx "
     "5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060", "PRIVATE_KEY"),
    ("Account ACea68ef786e4d3cea27d26934b484e73c uploaded media md5=5d41402abc4b2a76b9719d911017c592", "API_KEY"),
    ("postgres://user:****@db/x", "PASSWORD"),
    ("bypass=Xk9pL2vQz7aa", "PASSWORD"),
    ("compass: Xk9pL2vQz7a", "PASSWORD"),
    ("dbpassword = get_password()", "PASSWORD"),
    ("apikey = settings.apikey", "PASSWORD"),
    ("mongodb+srv://<username>:<password>@cluster0.mongodb.net/", "PASSWORD"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "label"), NOT_FOUND)
def test_look_alikes_are_not_found_and_not_blocked(guard, text, label):
    hits = [(f.label, text[f.start : f.end]) for f in guard.check(text).pii]
    assert [h for h in hits if h[0] == label] == [], hits
    assert guard.check_output(text).action is not Action.BLOCK, hits


def test_a_webhook_url_stays_whole_and_is_blocked_with_urls_allowed():
    from bastion.policy import Policy

    g = Guard([RegexPIIDetector()], policy=Policy.from_dict({"label_actions": {"URL": "allow"}}))
    text = f"post to {SLACK_HOOK} now"
    assert SLACK_HOOK not in g.check(text).redacted_text
    assert g.check_output(text).action is Action.BLOCK


def test_a_wrapped_base64_key_is_covered_to_its_last_line(guard):
    lines = [PEM_B64[i : i + 76] for i in range(0, len(PEM_B64), 76)]
    text = "  tls.key: " + "\n  ".join(lines) + "\nkind: Secret"
    redacted = guard.check(text).redacted_text
    assert all(line not in redacted for line in lines), redacted
    assert redacted.endswith("\nkind: Secret")
