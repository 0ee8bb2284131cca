"""Recall of the secret rules on credential lines (s34 qa_verify2 H1, M4, L1).

The false-positive fixes for real code (test_secret_fp_s34.py) had started to read real
credentials as code: a capitalised quoted value after an unquoted key as a quoted type
annotation (``{ password: "Welcome2024" }``), field words before ``_password`` / ``_secret``
(``CACHE_PASSWORD=...``), a camelCase or snake_case value with a number as a variable
(``password: SunnyDay2024,``, ``user=admin, password=correct_horse_7``), new name suffixes
(``--secret-string=...``), a quoted word in capitals as an env-var name (``"TOPSECRET"``),
generated passwords with brackets or CSS-like words as code (``Xk9?.q(Lm7``, ``root@123``)
and short real values as placeholders (``sk-7Hq9Lm2``). The tables are the QA's two
credential sets: 92 lines aimed at those rules and 240 ordinary lines (14 templates x 7 key
names x 5 value shapes, seed 7).
"""

from __future__ import annotations

import pytest
from bastion.detectors.pii_regex import RegexPIIDetector
from bastion.detectors.validators import looks_like_secret

SECRET_LABELS = ("API_KEY", "PASSWORD", "PRIVATE_KEY")


@pytest.fixture(scope="module")
def det() -> RegexPIIDetector:
    return RegexPIIDetector()


def _covered(det: RegexPIIDetector, text: str, value: str) -> bool:
    """Whether a secret finding (score >= 0.5) covers the whole of ``value``."""
    a = text.index(value)
    b = a + len(value)
    return any(
        f.label in SECRET_LABELS and f.score >= 0.5 and f.start <= a and f.end >= b
        for f in det.detect([text])[0]
    )


# The QA's adversarial set (JS/TS/Swift objects, YAML, .env/shell, JSON, Python kwargs, logs,
# prose in several languages): (line, the secret that must be covered)
ADVERSARIAL = [
    ('const db = { user: "admin", password: "Welcome2024", host: "db.internal" };', "Welcome2024"),
    ('  password: "Tr0ub4dor_3",', "Tr0ub4dor_3"),
    ('const cfg = { apiKey: "Xk29fLmQp7Rt2ZvB8nWc", region: "eu" }', "Xk29fLmQp7Rt2ZvB8nWc"),
    ('  secret: "Q8vN3kLm2Pz7Rt5Wx9Yb",', "Q8vN3kLm2Pz7Rt5Wx9Yb"),
    ('login(user: "bob", password: "Hunter2024")', "Hunter2024"),
    ('{password: "Summer2023", username: "ops"}', "Summer2023"),
    ('  clientSecret: "Fq7HbR2mZx9KpL4tWv8N"\n', "Fq7HbR2mZx9KpL4tWv8N"),
    ('  token: "Ab3dE5fG7hJ9kL1mN3pQ5rS7",', "Ab3dE5fG7hJ9kL1mN3pQ5rS7"),
    ('new Client({ password: "MariaDB_2024" })', "MariaDB_2024"),
    ("The wifi password: SunnyDay2024, the guest network is open.", "SunnyDay2024"),
    ("Login with user admin, password: PurpleMonkey, then change it.", "PurpleMonkey"),
    ("password: AdminPassword", "AdminPassword"),
    ("db_password: MyPassword1", "MyPassword1"),
    ("password: blue_sky_99, user: bob", "blue_sky_99"),
    ("{user: bob, password: blue_sky_99}", "blue_sky_99"),
    ("use password: sunny_day_77 or ask the admin", "sunny_day_77"),
    ("login attempt user=admin, password=blue_sky_99 ip=10.0.0.1", "blue_sky_99"),
    ("user=admin, password=correct_horse_7", "correct_horse_7"),
    ("password = hunter_two_22;", "hunter_two_22"),
    ("password: ILoveYou2", "ILoveYou2"),
    ("Your new password: HelloWorld1, please keep it safe.", "HelloWorld1"),
    ("password: MyS3cret and username: root", "MyS3cret"),
    ("api_key: SecretApiKey99", "SecretApiKey99"),
    ("CACHE_PASSWORD=Rd9$kLm2pQ", "Rd9$kLm2pQ"),
    ("REDIS_CACHE_PASSWORD=p4ssRedis!", "p4ssRedis!"),
    ("INPUT_PASSWORD=Gh7!kq2Lmz", "Gh7!kq2Lmz"),
    ("SYNC_TOKEN=a8Fk2LmQ9zR4tW7p", "a8Fk2LmQ9zR4tW7p"),
    ("CURSOR_API_KEY=k9Lm2PqR7tW4zX8a", "k9Lm2PqR7tW4zX8a"),
    ("OUTPUT_SECRET=Zq8!mK2pLx", "Zq8!mK2pLx"),
    ("MASTER_PASSWORD=Str0ng!Pass", "Str0ng!Pass"),
    ('cache_secret: "Lm8kQ2zR9pW4tX7v"', "Lm8kQ2zR9pW4tX7v"),
    ('first_password="Welc0me!23"', "Welc0me!23"),
    ('prompt_api_key = "Rk8sLq2Zm9Wp4Tx7"', "Rk8sLq2Zm9Wp4Tx7"),
    ("export SYNC_PASSWORD=Xy7#pQ2mLk", "Xy7#pQ2mLk"),
    ("--secret-string=MyP@ssw0rd!", "MyP@ssw0rd!"),
    ("SECRET_STRING=Kq8$zLm2Rp", "Kq8$zLm2Rp"),
    ('password_text: "R3dD0g!2024"', "R3dD0g!2024"),
    ('token_str = "k8Lm2QzR9pW4tX7vB3nC"', "k8Lm2QzR9pW4tX7vB3nC"),
    ('password = "SUPERSECRET"', "SUPERSECRET"),
    ('"password": "TOPSECRET"', "TOPSECRET"),
    ('password: "ADMIN123_PASS"', "ADMIN123_PASS"),
    ("admin_password: MYSQL_ROOT_PASS", "MYSQL_ROOT_PASS"),
    ('"password": "super-secret-password"', "super-secret-password"),
    ('password: "admin-password"', "admin-password"),
    ('"api_key": "prod-api-key-2024"', "prod-api-key-2024"),
    ('password="changeme_password"', "changeme_password"),
    ("password: changeme-2024", "changeme-2024"),
    ("POSTGRES_PASSWORD=changeme123", "changeme123"),
    ('password="changeme!"', "changeme!"),
    ("password: test_password_123", "test_password_123"),
    ('"password": "dummy_pass_9x!"', "dummy_pass_9x!"),
    ('api_key = "sk-7Hq9Lm2"', "sk-7Hq9Lm2"),
    ("Authorization: Basic YWRtaW46cGFzcw==", "YWRtaW46cGFzcw=="),
    ('token = "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH"', "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH"),
    ('password: "sk-Tr0ub4dor"', "sk-Tr0ub4dor"),
    ("STRIPE_KEY=sk_live_AbCdEfGhIjKlMnOpQrStUvWx", "sk_live_AbCdEfGhIjKlMnOpQrStUvWx"),
    ("session_id: Xk3m9Pq2Lz7", "Xk3m9Pq2Lz7"),
    ("sessionid=7f3a9c2e81b4d6f0", "7f3a9c2e81b4d6f0"),
    ("password: Xk9?.q(Lm7 - keep it safe", "Xk9?.q(Lm7"),
    ("pwd: Qz7[Lm2 | store it", "Qz7[Lm2"),
    ("password: abc.def:ghi9", "abc.def:ghi9"),
    ("password:root@123", "root@123"),
    ("password:checked!99", "checked!99"),
    ("password: Correcthorsebattery for the vpn", "Correcthorsebattery"),
    ("password: purple-elephant for the admin account", "purple-elephant"),
    ("Passwort: SonnigerTag2024, bitte ändern.", "SonnigerTag2024"),
    ("mot de passe : SoleilBleu42, merci", "SoleilBleu42"),
    ("contraseña: DiaSoleado2024, gracias", "DiaSoleado2024"),
    ("パスワード: SunnyDay2024、よろしく", "SunnyDay2024"),
    ("пароль: ЗимнийВечер2024, не забудь", "ЗимнийВечер2024"),
    ("密码：HappyCat88，请保密", "HappyCat88"),
    ("senha: sol_quente_42, obrigado", "sol_quente_42"),
    ("Das Passwort lautet password=blue_sky_99, user=bob", "blue_sky_99"),
    ('client = Redis(host="r", password="Rd_Pass_2024")', "Rd_Pass_2024"),
    ('conn = connect(user="app", password="Winter_2024", db="x")', "Winter_2024"),
    ('requests.post(url, auth=("bob", "S3cr3t!"), token="Tk_live_9aF2Lm7Qz")', "Tk_live_9aF2Lm7Qz"),
    ("  password: Winter_Is_Coming_42\n  user: bob", "Winter_Is_Coming_42"),
    ("  db_password: WinterIsComing\n", "WinterIsComing"),
    ("  api_token: Rk8sLq2Zm9Wp4Tx7Bn5V\n", "Rk8sLq2Zm9Wp4Tx7Bn5V"),
    ('{"username": "svc", "password": "Autumn_Leaves_7"}', "Autumn_Leaves_7"),
    ('{"client_secret": "Lq9mZ2xR7pT4wK8v", "client_id": "abc"}', "Lq9mZ2xR7pT4wK8v"),
    ('{"password":"PurpleRain","user":"x"}', "PurpleRain"),
    ("DB_PASSWORD=SunnyDay2024", "SunnyDay2024"),
    ("SECRET_KEY=TopSecretKey", "TopSecretKey"),
    ("APP_SECRET=app_secret_prod_8842", "app_secret_prod_8842"),
    ("NEXTAUTH_SECRET=Kq8zLm2Rp9Wt4Xv7", "Kq8zLm2Rp9Wt4Xv7"),
]

# The QA's ordinary set (random base62, CamelCase words and a number, snake words and a
# number, a word, a number and a symbol, two capitalised words), lines not above
ORDINARY = [
    ("  db_password: Pde0IgxLd6GncfBAepfJ", "Pde0IgxLd6GncfBAepfJ"),
    ('password = "BananaMaple254"', "BananaMaple254"),
    ("AUTH_TOKEN=silver_maple_8", "silver_maple_8"),
    ("secret: Summer111@, user: admin", "Summer111@"),
    ('secret: "BananaWinter",', "BananaWinter"),
    ("export API_KEY=IhKtJ0RlgLKOmxgJ", "IhKtJ0RlgLKOmxgJ"),
    ("password: MapleSunny1268\n", "MapleSunny1268"),
    ("API_KEY=silver_ocean_55", "silver_ocean_55"),
    ('db.cache_password = "Rocket1209$";', "Rocket1209$"),
    ("  cache_password: TigerCoffee", "TigerCoffee"),
    ('{"token": "fKtHF4vUCsMehGAkW"}', "fKtHF4vUCsMehGAkW"),
    ("  db_password: ShadowRocket864", "ShadowRocket864"),
    ('token: "purple_coffee_72",', "purple_coffee_72"),
    ("client secret: Shadow1685#, user: admin", "Shadow1685#"),
    ("  token: MonkeyMaple", "MonkeyMaple"),
    ('conn = connect(host="db", secret="e1f8rESQedUStPKR0CsTy")', "e1f8rESQedUStPKR0CsTy"),
    ("user=admin, cache_password=SunnyRocket728 ip=10.1.2.3", "SunnyRocket728"),
    ('{"secret": "purple_rocket_8"}', "purple_rocket_8"),
    ("CLIENT_SECRET=Dragon274@", "Dragon274@"),
    ('apiKey = "ShadowBanana"', "ShadowBanana"),
    ('conn = connect(host="db", password="CzJr4i0B3JrTAwR4")', "CzJr4i0B3JrTAwR4"),
    ('db_password = "WinterPurple361"', "WinterPurple361"),
    ('{"db_password": "silver_tiger_2"}', "silver_tiger_2"),
    ('conn = connect(host="db", clientSecret="Maple383#")', "Maple383#"),
    ("export password=WinterSummer", "WinterSummer"),
    ("The password is Ku8iS2G8NPRVdD53X83RZJz for now.", "Ku8iS2G8NPRVdD53X83RZJz"),
    ('apiKey = "SummerPurple987"', "SummerPurple987"),
    ("user=admin, apiKey=sunny_tiger_9 ip=10.1.2.3", "sunny_tiger_9"),
    ("API_KEY=Winter235#", "Winter235#"),
    ("password: PurpleSunny, user: admin", "PurpleSunny"),
    ("password: g8xNbe3nNyjOq9wMxEhh2F, user: admin", "g8xNbe3nNyjOq9wMxEhh2F"),
    ('conn = connect(host="db", apiKey="RocketDragon176")', "RocketDragon176"),
    ('{"password": "falcon_monkey_95"}', "falcon_monkey_95"),
    ("export API_KEY=Banana1427@", "Banana1427@"),
    ("The password is TigerOcean for now.", "TigerOcean"),
    ("  db_password: 6bWHtP3fS2qHx6kwXoIIXG", "6bWHtP3fS2qHx6kwXoIIXG"),
    ("  token: TigerMaple1662", "TigerMaple1662"),
    ('db.clientSecret = "banana_tiger_31";', "banana_tiger_31"),
    ("{ apiKey: 'Falcon1655@', host: 'x' }", "Falcon1655@"),
    ("APP_SECRET=RocketMonkey", "RocketMonkey"),
    ("password: YrEqmSM9wCZ7Uw\n", "YrEqmSM9wCZ7Uw"),
    ("  password: TigerPurple465", "TigerPurple465"),
    ('conn = connect(host="db", db_password="monkey_tiger_62")', "monkey_tiger_62"),
    ("secret: Banana13$, user: admin", "Banana13$"),
    ("user=admin, cache_password=CoffeeSilver ip=10.1.2.3", "CoffeeSilver"),
    ('const c = { clientSecret: "h6yYTWmE4lBYOvfZ8UzDzV8f" };', "h6yYTWmE4lBYOvfZ8UzDzV8f"),
    ("db_password: WinterWinter57\n", "WinterWinter57"),
    ('{"secret": "shadow_rocket_84"}', "shadow_rocket_84"),
    ('{"secret": "Banana1230$"}', "Banana1230$"),
    ("user=admin, cache_password=WinterOcean ip=10.1.2.3", "WinterOcean"),
    ("The password is aZUPgHV7iB3m03 for now.", "aZUPgHV7iB3m03"),
    ("password=DragonTiger600", "DragonTiger600"),
    ("The password is coffee_maple_42 for now.", "coffee_maple_42"),
    ("export APP_SECRET=Summer1718@", "Summer1718@"),
    ('token: "MonkeyShadow",', "MonkeyShadow"),
    ('conn = connect(host="db", token="05HA064GiIjHGb3CXlMaXZj")', "05HA064GiIjHGb3CXlMaXZj"),
    ('{"db_password": "RocketMaple1486"}', "RocketMaple1486"),
    ('const c = { secret: "sunny_monkey_88" };', "sunny_monkey_88"),
    ("The password is TigerTiger for now.", "TigerTiger"),
    ("export password=GCJbW56eCuNGMGm", "GCJbW56eCuNGMGm"),
    ("cache_password: RocketOcean1093\n", "RocketOcean1093"),
    ('db.apiKey = "ocean_tiger_90";', "ocean_tiger_90"),
    ("The password is Shadow1155@ for now.", "Shadow1155@"),
    ("{ apiKey: 'WinterSummer', host: 'x' }", "WinterSummer"),
    ('const c = { apiKey: "ueQpBenQtYh5Xj8TPQxjq" };', "ueQpBenQtYh5Xj8TPQxjq"),
    ('{"apiKey": "TigerFalcon1951"}', "TigerFalcon1951"),
    ('const c = { apiKey: "shadow_rocket_21" };', "shadow_rocket_21"),
    ("user=admin, clientSecret=Tiger340$ ip=10.1.2.3", "Tiger340$"),
    ("CACHE_PASSWORD=fUxbvJDCTbyvHNsG9eh", "fUxbvJDCTbyvHNsG9eh"),
    ('db.db_password = "ShadowPurple173";', "ShadowPurple173"),
    ("export CACHE_PASSWORD=sunny_coffee_24", "sunny_coffee_24"),
    ("export CLIENT_SECRET=Winter1688$", "Winter1688$"),
    ("{ token: 'BananaDragon', host: 'x' }", "BananaDragon"),
    ('db_password = "6GKFSufrdZSlB5er8bOfZq"', "6GKFSufrdZSlB5er8bOfZq"),
    ('const c = { secret: "BananaTiger137" };', "BananaTiger137"),
    ("export CLIENT_SECRET=purple_rocket_2", "purple_rocket_2"),
    ("  secret: Summer1907#", "Summer1907#"),
    ("password: SunnyOcean, user: admin", "SunnyOcean"),
    ("db_password: kqdlm7tOtHWnsCG\n", "kqdlm7tOtHWnsCG"),
    ("user=admin, db_password=DragonMonkey1646 ip=10.1.2.3", "DragonMonkey1646"),
    ('cache_password: "sunny_shadow_3",', "sunny_shadow_3"),
    ("secret: Ocean2013@\n", "Ocean2013@"),
    ('conn = connect(host="db", password="0PBQFI14zGtSnovm14TUOizw")', "0PBQFI14zGtSnovm14TUOizw"),
    ('clientSecret: "WinterSunny145",', "WinterSunny145"),
    ("user=admin, token=shadow_dragon_56 ip=10.1.2.3", "shadow_dragon_56"),
    ('{"password": "Purple1372$"}', "Purple1372$"),
    ("{ secret: 'SilverDragon', host: 'x' }", "SilverDragon"),
    ("password: cDlkrCaqx9vJupc94t, user: admin", "cDlkrCaqx9vJupc94t"),
    ("CACHE_PASSWORD=WinterSunny687", "WinterSunny687"),
    ('password = "rocket_dragon_65"', "rocket_dragon_65"),
    ("user=admin, db_password=Tiger1043! ip=10.1.2.3", "Tiger1043!"),
    ('const c = { cache_password: "BananaPurple" };', "BananaPurple"),
    ('{"apiKey": "czbttOofL9H2WjQ5TY4MyWu"}', "czbttOofL9H2WjQ5TY4MyWu"),
    ("apiKey: WinterDragon1484\n", "WinterDragon1484"),
    ("token: winter_sunny_92, user: admin", "winter_sunny_92"),
    ("{ clientSecret: '0RLZ5TR9SPofbc', host: 'x' }", "0RLZ5TR9SPofbc"),
    ('{"token": "MonkeyPurple772"}', "MonkeyPurple772"),
    ("{ apiKey: 'ocean_sunny_81', host: 'x' }", "ocean_sunny_81"),
    ('token: "Ocean1404@",', "Ocean1404@"),
    ('conn = connect(host="db", cache_password="SunnyRocket")', "SunnyRocket"),
    ('db.password = "5IfQHeVVEqZe2qpUWnoVPD";', "5IfQHeVVEqZe2qpUWnoVPD"),
    ('conn = connect(host="db", clientSecret="SummerPurple982")', "SummerPurple982"),
    ("user=admin, cache_password=coffee_sunny_79 ip=10.1.2.3", "coffee_sunny_79"),
    ("user=admin, token=Tiger168@ ip=10.1.2.3", "Tiger168@"),
    ("  cache_password: SilverFalcon", "SilverFalcon"),
    ("cache_password: KiaEdFrRgSnRFsTHsDDDXh5\n", "KiaEdFrRgSnRFsTHsDDDXh5"),
    ("The password is DragonPurple1918 for now.", "DragonPurple1918"),
    ('conn = connect(host="db", password="dragon_rocket_10")', "dragon_rocket_10"),
    ("{ secret: 'Rocket560$', host: 'x' }", "Rocket560$"),
    ("DB_PASSWORD=PurpleMaple", "PurpleMaple"),
    ('const c = { db_password: "q8xiM0OGr4hTxoF54Fzbka" };', "q8xiM0OGr4hTxoF54Fzbka"),
    ('conn = connect(host="db", token="RocketSummer619")', "RocketSummer619"),
    ("db_password: summer_monkey_49\n", "summer_monkey_49"),
    ("  password: Banana688!", "Banana688!"),
    ("  clientSecret: MonkeyBanana", "MonkeyBanana"),
    ('password = "Ta5Vsqxezy3Lex7BW"', "Ta5Vsqxezy3Lex7BW"),
    ("export CLIENT_SECRET=SunnyDragon209", "SunnyDragon209"),
    ('clientSecret: "silver_dragon_82",', "silver_dragon_82"),
    ('{"db_password": "Dragon903#"}', "Dragon903#"),
    ("CLIENT_SECRET=MonkeyCoffee", "MonkeyCoffee"),
    ('password = "z648JJnUfd7UACNWiP3sFd67"', "z648JJnUfd7UACNWiP3sFd67"),
    ("The password is WinterRocket850 for now.", "WinterRocket850"),
    ("  cache_password: dragon_shadow_95", "dragon_shadow_95"),
    ("token: Dragon841@\n", "Dragon841@"),
    ("export API_KEY=OceanSilver", "OceanSilver"),
    ('password = "PkenG5ZFJoC6vWCB"', "PkenG5ZFJoC6vWCB"),
    ('{"secret": "TigerTiger186"}', "TigerTiger186"),
    ('{"cache_password": "ocean_purple_41"}', "ocean_purple_41"),
    ("CACHE_PASSWORD=Dragon1667@", "Dragon1667@"),
    ('token: "BananaSummer",', "BananaSummer"),
    ('apiKey = "nyrvWdFrK9xiRGHOY32nfr"', "nyrvWdFrK9xiRGHOY32nfr"),
    ("API_KEY=SummerSilver914", "SummerSilver914"),
    ('cache_password = "banana_shadow_3"', "banana_shadow_3"),
    ('{"password": "Summer1463$"}', "Summer1463$"),
    ('clientSecret = "2DCpYgojjHRg80USP2W5Df"', "2DCpYgojjHRg80USP2W5Df"),
    ('{"db_password": "maple_sunny_83"}', "maple_sunny_83"),
    ("cache_password: Winter1293#\n", "Winter1293#"),
    ('db.password = "etH8LmyqoYMaaIt";', "etH8LmyqoYMaaIt"),
    ('conn = connect(host="db", cache_password="MonkeySilver1720")', "MonkeySilver1720"),
    ("API_KEY=ocean_tiger_71", "ocean_tiger_71"),
    ("password=Summer1453#", "Summer1453#"),
    ('password: "TigerRocket",', "TigerRocket"),
    ("user=admin, token=fqoQB7xoFcSvTAxRzmaZ ip=10.1.2.3", "fqoQB7xoFcSvTAxRzmaZ"),
    ("export AUTH_TOKEN=BananaOcean139", "BananaOcean139"),
    ("API_KEY=tiger_dragon_99", "tiger_dragon_99"),
    ("{ db_password: 'Tiger962@', host: 'x' }", "Tiger962@"),
    ("export CLIENT_SECRET=ShadowDragon", "ShadowDragon"),
    ('const c = { secret: "Nl5oFA6Qd8Mj7zdnbMjAd" };', "Nl5oFA6Qd8Mj7zdnbMjAd"),
    ("password: WinterSummer921\n", "WinterSummer921"),
    ("cache_password: falcon_purple_11\n", "falcon_purple_11"),
    ('{"cache_password": "Tiger389$"}', "Tiger389$"),
    ('cache_password: "SilverFalcon",', "SilverFalcon"),
    ('clientSecret = "vCkgafrfwA94hJ9Wnyw"', "vCkgafrfwA94hJ9Wnyw"),
    ('db.clientSecret = "DragonBanana1647";', "DragonBanana1647"),
    ('password = "sunny_falcon_61"', "sunny_falcon_61"),
    ("CACHE_PASSWORD=Ocean1893$", "Ocean1893$"),
    ("CACHE_PASSWORD=MonkeyFalcon", "MonkeyFalcon"),
    ('conn = connect(host="db", password="ApZOXzcycDeZ6dqmVe5Mvxrv")', "ApZOXzcycDeZ6dqmVe5Mvxrv"),
    ("password: DragonFalcon1468, user: admin", "DragonFalcon1468"),
    ("cache_password: shadow_dragon_39\n", "shadow_dragon_39"),
    ('token: "Coffee1229!",', "Coffee1229!"),
    ('clientSecret: "TigerPurple",', "TigerPurple"),
    ('conn = connect(host="db", token="9XyYq6B0Fi7FlaZ7Vt0SX")', "9XyYq6B0Fi7FlaZ7Vt0SX"),
    ('{"secret": "TigerMonkey1764"}', "TigerMonkey1764"),
    ("  apiKey: monkey_coffee_77", "monkey_coffee_77"),
    ('const c = { secret: "Tiger812@" };', "Tiger812@"),
    ("API_KEY=PurpleSilver", "PurpleSilver"),
    ('apiKey: "IukB4geqNfngAFTCloiADN",', "IukB4geqNfngAFTCloiADN"),
    ("user=admin, db_password=FalconOcean1735 ip=10.1.2.3", "FalconOcean1735"),
    ('db.token = "coffee_purple_38";', "coffee_purple_38"),
    ("export CACHE_PASSWORD=Maple558#", "Maple558#"),
    ("export AUTH_TOKEN=DragonTiger", "DragonTiger"),
    ('conn = connect(host="db", db_password="ppjs46LmuezqpGHo")', "ppjs46LmuezqpGHo"),
    ("user=admin, clientSecret=PurpleSilver951 ip=10.1.2.3", "PurpleSilver951"),
    ('password: "sunny_rocket_30",', "sunny_rocket_30"),
    ("{ apiKey: 'Shadow775!', host: 'x' }", "Shadow775!"),
    ("export DB_PASSWORD=PurpleSunny", "PurpleSunny"),
    ("APP_SECRET=m7exG3lCMqXXQ8agOMTNwnc", "m7exG3lCMqXXQ8agOMTNwnc"),
    ("  cache_password: WinterSunny418", "WinterSunny418"),
    ("export password=maple_falcon_84", "maple_falcon_84"),
    ("CLIENT_SECRET=Sunny1686#", "Sunny1686#"),
    ('token = "MonkeyWinter"', "MonkeyWinter"),
    ("password: ncYFJEeAgYzQJjO, user: admin", "ncYFJEeAgYzQJjO"),
    ("The password is SilverWinter815 for now.", "SilverWinter815"),
    ("cache_password: summer_dragon_86\n", "summer_dragon_86"),
    ("export API_KEY=Sunny649#", "Sunny649#"),
    ('apiKey = "SunnyBanana"', "SunnyBanana"),
    ('db.clientSecret = "PmzUzn8aB5kBh0fzK4x";', "PmzUzn8aB5kBh0fzK4x"),
    ('conn = connect(host="db", clientSecret="WinterWinter31")', "WinterWinter31"),
    ('secret: "winter_silver_51",', "winter_silver_51"),
    ('const c = { secret: "Maple1908#" };', "Maple1908#"),
    ("secret: WinterWinter\n", "WinterWinter"),
    ("  cache_password: Hk7egyFWZY9Zmti1", "Hk7egyFWZY9Zmti1"),
    ('apiKey: "MonkeySunny1245",', "MonkeySunny1245"),
    ("user=admin, apiKey=purple_falcon_80 ip=10.1.2.3", "purple_falcon_80"),
    ("clientSecret: Shadow338@\n", "Shadow338@"),
    ("CLIENT_SECRET=lKncz8HkywhjpU05mc4J1", "lKncz8HkywhjpU05mc4J1"),
    ('db.token = "SunnySilver1717";', "SunnySilver1717"),
    ("  password: summer_maple_59", "summer_maple_59"),
    ("user=admin, apiKey=DragonMaple ip=10.1.2.3", "DragonMaple"),
    ("API_KEY=QxCGClbaNFDpCWNX0D1l", "QxCGClbaNFDpCWNX0D1l"),
    ('db.apiKey = "SummerPurple138";', "SummerPurple138"),
    ('{"cache_password": "summer_monkey_12"}', "summer_monkey_12"),
    ('db.apiKey = "Ocean1054!";', "Ocean1054!"),
    ('token: "WinterPurple",', "WinterPurple"),
    ("cache_password: fdWG5yP8Yib2eNUS0hmi4F\n", "fdWG5yP8Yib2eNUS0hmi4F"),
    ("export CLIENT_SECRET=ShadowCoffee339", "ShadowCoffee339"),
    ("user=admin, clientSecret=falcon_tiger_9 ip=10.1.2.3", "falcon_tiger_9"),
    ("{ cache_password: 'Maple1558#', host: 'x' }", "Maple1558#"),
    ('{"cache_password": "ShadowMaple"}', "ShadowMaple"),
    ("export CLIENT_SECRET=jqG96EnLqNGpuxcmlzkO7", "jqG96EnLqNGpuxcmlzkO7"),
    ("export AUTH_TOKEN=MonkeyShadow772", "MonkeyShadow772"),
    ('{"clientSecret": "coffee_dragon_15"}', "coffee_dragon_15"),
    ('db.secret = "Sunny1313#";', "Sunny1313#"),
    ("{ apiKey: 'OceanOcean', host: 'x' }", "OceanOcean"),
    ("token: qIO2zVZxqyxKjxv, user: admin", "qIO2zVZxqyxKjxv"),
    ('db.password = "RocketTiger362";', "RocketTiger362"),
    ("token: sunny_dragon_67, user: admin", "sunny_dragon_67"),
    ("export CACHE_PASSWORD=Silver1988#", "Silver1988#"),
    ("password: FalconSunny\n", "FalconSunny"),
    ("DB_PASSWORD=NOBAGx5diFoNPcbdaK", "NOBAGx5diFoNPcbdaK"),
    ("  cache_password: PurpleOcean732", "PurpleOcean732"),
    ("The password is summer_maple_39 for now.", "summer_maple_39"),
    ("password: Tiger760$, user: admin", "Tiger760$"),
    ('{"db_password": "SunnyShadow"}', "SunnyShadow"),
    ('db.db_password = "CgeOj3QYrzZq9adP";', "CgeOj3QYrzZq9adP"),
    ("{ secret: 'ShadowMonkey1218', host: 'x' }", "ShadowMonkey1218"),
    ("user=admin, secret=rocket_maple_67 ip=10.1.2.3", "rocket_maple_67"),
    ("apiKey: Tiger348!\n", "Tiger348!"),
    ('password: "OceanSunny",', "OceanSunny"),
]

# Still missed, as by the code before the false-positive fixes (9404f26): a value made of
# capitals or words only after a bare keyword, a value with a quote inside, a Flask session
# cookie. Strict: a fix shows up here.
KNOWN_MISSES = [
    ("secret: TopSecret", "TopSecret"),
    ("DB_PASSWORD=ROOTPASS", "ROOTPASS"),
    ("ADMIN_PASSWORD=MASTERKEY", "MASTERKEY"),
    ("session=eyJ1c2VyIjoiYm9iIn0.ZxYw.abcDEF123", "eyJ1c2VyIjoiYm9iIn0.ZxYw.abcDEF123"),
    ('password=R"k9@mQ2pL', 'R"k9@mQ2pL'),
    ("JWT_SECRET=MyJwtSecret", "MyJwtSecret"),
]


@pytest.mark.parametrize(("text", "value"), ADVERSARIAL)
def test_adversarial_credentials_are_found(det: RegexPIIDetector, text: str, value: str) -> None:
    assert _covered(det, text, value)


@pytest.mark.parametrize(("text", "value"), ORDINARY)
def test_ordinary_credentials_are_found(det: RegexPIIDetector, text: str, value: str) -> None:
    assert _covered(det, text, value)


# A password repeated in the same text is still a literal; a name is one where it is assigned,
# called, indexed or its attribute read (STILL_NOT_SECRETS below)
REPEATED = [
    ("password: SunnyDay2024, then log in with SunnyDay2024 on the portal.", "SunnyDay2024"),
    ("DB_PASSWORD=SunnyDay2024\npsql -W SunnyDay2024", "SunnyDay2024"),
    ("Login with user admin, password: PurpleMonkey, then type PurpleMonkey again.", "PurpleMonkey"),
]


@pytest.mark.parametrize(("text", "value"), REPEATED)
def test_repeated_password_is_found(det: RegexPIIDetector, text: str, value: str) -> None:
    assert _covered(det, text, value)


# Prose and a spaced "api key:" that name a secret other than a password (missed before:
# the prose rule knew only password words, the key rule only "api_key" / "apiKey")
PROSE_KEYS = [
    ("The secret is Ocean998! for now.", "Ocean998!"),
    ("The api key is MonkeySummer for now.", "MonkeySummer"),
    ("The api key is TigerShadow for now.", "TigerShadow"),
    ("The token is Summer1512@ for now.", "Summer1512@"),
    ("The client secret is OceanMaple for now.", "OceanMaple"),
    ("api key: SunnyPurple, user: admin", "SunnyPurple"),
    ("The client secret is SunnySunny1603 for now.", "SunnySunny1603"),
    ("The token is SummerFalcon for now.", "SummerFalcon"),
    ("api key: MapleBanana, user: admin", "MapleBanana"),
    ("The client secret is Silver1603# for now.", "Silver1603#"),
    ("Here you go: the access key is Xk29fLmQp7Rt2ZvB for now.", "Xk29fLmQp7Rt2ZvB"),
    ("The bearer token is Tk_live_9aF2Lm7Qz, don't share it.", "Tk_live_9aF2Lm7Qz"),
]


@pytest.mark.parametrize(("text", "value"), PROSE_KEYS)
def test_prose_keys_are_found(det: RegexPIIDetector, text: str, value: str) -> None:
    assert _covered(det, text, value)


# Sentences about a key, token or secret: the word after the copula describes it
PROSE_ABOUT_KEYS = [
    "The token is HttpOnly.",
    "The token is base64url-encoded",
    "The token is JWT.",
    "The session token is HttpOnly and Secure.",
    "the token is valid for now",
    "the api key is stored in Vault",
    "the client secret is rotated monthly",
    "token is expired",
    "api key: see the docs",
    "The api key is required.",
    "The access key is in the README.",
    "The bearer token is sent in the Authorization header.",
    "The secret key is generated on first run.",
    "The token is then validated by the server.",
    "Note: the secret is hashed with bcrypt.",
    "The token is a JWT signed with RS256.",
    "The refresh token is single-use.",
    "The secret is out.",
    "the token is None",
    "api key: none",
    "# The upstream refresh_token is deliberately NOT sealed: the edge never consumes it",
]


@pytest.mark.parametrize("text", PROSE_ABOUT_KEYS)
def test_prose_about_keys_stays_clean(text: str) -> None:
    found = RegexPIIDetector(labels=list(SECRET_LABELS)).detect([text])[0]
    assert [(f.label, text[f.start : f.end]) for f in found if f.score >= 0.5] == []


@pytest.mark.xfail(strict=True, reason="known miss (also before the false-positive fixes)")
@pytest.mark.parametrize(("text", "value"), KNOWN_MISSES)
def test_known_misses(det: RegexPIIDetector, text: str, value: str) -> None:
    assert _covered(det, text, value)


# Code and fields that the recall fixes must still leave alone (site-packages lines, shortened)
STILL_NOT_SECRETS = [
    # a paging cursor is base64 of JSON; an expression is no token
    '    "next_page_token": "eyJpbmRleCI6IDExfQ==",',
    '    "output_token": "StreamDescription.Shards[-1].ShardId",',
    # counts and switches about any secret
    "has_session_identifier = bool(input_keys & SESSION_IDENTIFIER_FIELDS)",
    '>>> my_cool_auth_method(use_auth_token="a use_auth_token")',
    # quoted annotations: unions, generics, names joined by "_"
    'secret_fields: "SecretFields | None" = None',
    'def reset_span(token: "Token[Span | None]") -> None:',
    '    UPSERT_AUTOROUTER_SESSION_SQL: "LiteLLM_AutoRouterSession",',
    # the name of a variable, not a bare "password"'s value
    '    "vault_secret_namespace": "HCP_VAULT_SECRET_NAMESPACE",',
    'return {"token": "azure_ad_token"}',
    '    client_secret="my-client-secret",',
    # bare annotations and class names with numbers or acronyms
    '    "token-classification": TokenClassificationProcessing,',
    "    client_secret: SessionClientSecret",
    "    private_key: PKCS7PrivateKeyTypes,",
    "    scoped_token: TemporaryCredentialsOSS,",
    # keyword arguments: operators, continuation lines, the key's own name numbered
    '    api_key=gemini_api_key or "dummy",',
    "    environment_bearer_token=environment_token if uses_environment_bearer else None,",
    "    x.shape[0], min=1, max=3, dep_token=dep_token0",
    "        chars, self.pad_token, word_delimiter_token=word_delimiter_token_for_offsets",
    '    github_token=SecretStr(token or ""),',
    # a variable with a number, declared above
    "token_2 = load_token(path)\nclient = Client(token=token_2)",
    # one keyword argument per line of a call opened above; a tuple's target; an operator
    "    aws_secret_access_key=secret_access_key,",
    "    aws_secret_access_key=s3_aws_secret_access_key,",
    "host, port, access_key, secret_key = s3_connection",
    "dhSinglePass_sha1kdf_scheme = x9_63_scheme + (3, )",
    # annotations of types whose last word has no vowel; a docstring's description
    "    access_token: SecretStr",
    "    incoming_bearer_token: SecretStr | None = None,",
    "    api_key: LangSmith API key. Defaults to `LANGSMITH_API_KEY` env var.",
    # a variable with a number, used as one below
    'x = {"password": blue_sky_99}\nprint(blue_sky_99.upper())',
    # a coverage badge's public graph token; a docs placeholder key
    "[![codecov](https://codecov.io/gh/org/repo/branch/main/graph/badge.svg?token=GU63K7WDBE)](https://x.org)",
    "api_key: sk-uj6F",
]


@pytest.mark.parametrize("text", STILL_NOT_SECRETS)
def test_code_stays_clean(text: str) -> None:
    found = RegexPIIDetector(labels=list(SECRET_LABELS)).detect([text])[0]
    assert [(f.label, text[f.start : f.end]) for f in found if f.score >= 0.5] == []


@pytest.mark.parametrize(
    ("value", "quoted", "secret"),
    [
        ("sk-7Hq9Lm2", True, True),  # a short generated body is someone's key
        ("sk-uj6F", True, False),  # too short: a docs stand-in
        ("sk-1234", True, False),
        ("sk-abc123", True, False),
        ("TigerCoffee", False, True),  # capitalised words glued together: a password
        ("Incorrect", False, False),  # prose after "Password:"
        ("Required", False, False),
    ],
)
def test_looks_like_secret_short_values(value: str, quoted: bool, secret: bool) -> None:
    assert looks_like_secret(value, quoted=quoted) is secret
