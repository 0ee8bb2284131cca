"""Secret labels on code and configs (s34 qa_fp M1-M6, L3-L5): a value that is a name, an
expression, a type, an environment variable's name or a documented placeholder is no
PASSWORD / API_KEY; a literal that looks like a real credential still is."""

from __future__ import annotations

import pytest
from bastion.detectors.pii_regex import RegexPIIDetector
from bastion.detectors.validators import documented_example_key, looks_like_secret

SECRET_LABELS = ("API_KEY", "PASSWORD", "PRIVATE_KEY")


@pytest.fixture(scope="module")
def det() -> RegexPIIDetector:
    return RegexPIIDetector(labels=list(SECRET_LABELS))


def _secrets(det: RegexPIIDetector, text: str) -> list[tuple[str, str]]:
    return [(f.label, text[f.start : f.end]) for f in det.detect([text])[0] if f.score >= 0.5]


# Lines that were blocked before (each a real line of site-packages or docs, or a short form)
NOT_SECRETS = [
    # a line naming the variable that holds the key, not the key
    "api_key: OPENAI_API_KEY",
    "api_key=OPENAI_API_KEY",
    "ENV API_TOKEN=MY_TOKEN",
    # M1: a type annotation after a token/key/secret/session name
    "def handler(user_api_key_dict: UserAPIKeyAuth, request: Request):",
    "async def call(session: ClientSession, url: str) -> bytes:",
    "def __init__(self, token: EventLoopToken | None = None):",
    "    file_secret_settings: PydanticBaseSettingsSource,",
    "    private_key: Ed25519PrivateKey,",
    ":type request_token: RequestToken",
    "    user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),",
    "    session: AgentSession",
    '    user_api_key_dict: "UserAPIKeyAuth",',
    '    user_api_key_dict: "UserAPIKeyAuth | None" = None,',
    'def to_plan(self, session: "SparkConnectClient") -> proto.Expression:',
    "    api_key: _AzureApiKeyT | None,",
    "refresh_token: Final[str | None] = token_response.get('refresh_token') or None",
    # M2: a variable as the value of a dict, an object, a comprehension or an "or"
    'payload = {"password": new_password}',
    'x = {"token": tok, "secret": secret_value}',
    'headers = {"x-goog-api-key": gemini_api_key}',
    "self._decoder = {token: token_bytes for token_bytes, token in ranks.items()}",
    'client = OpenAI(api_key=api_key or "")',
    "await User.create({ email, password: hashedPassword });",
    "const { email, password: hashedPassword } = user;",
    "  password: hashedPassword",
    'data = {"grant_type": "refresh_token", "refresh_token": refresh_token}',
    "    model=model,\n    user_api_key_dict=user_api_key_dict",
    "    certfile=cert_path,\n    password=passphrase_val",
    "x = f(route=route, user_api_key_dict=valid_token",
    # M3: optional chaining, a subscript before an attribute, a call with a keyword argument
    "const token = req.headers.authorization?.split(' ')[1];",
    "end_token = sentences[end_sentence].end",
    'session = boto3.Session(profile_name="digitalocean")',
    "if token := _normalize_bearer_token(auth if auth else header):",
    "claim_token = uuid4().hex",
    "if internal_token := _MLFLOW_INTERNAL_GATEWAY_AUTH_TOKEN.get():",
    'API_KEY = LangSmithSecret(os.environ["VENDOR_API_KEY"])',
    # M4: names of secrets written as strings
    "ACCESS_KEY = 'AWS_ACCESS_KEY_ID'",
    'SECRET_KEY = "AWS_SECRET_ACCESS_KEY"',
    '{"api_key_env": "OPENAI_API_KEY"}',
    "api_key: os.environ/AZURE_API_KEY",
    "    auth_token: os.environ/IBM_GUARDRAILS_AUTH_TOKEN  # or hardcoded token",
    'ID_TOKEN_INVALID_RESPONSE = "IdTokenInvalidResponse"',
    'AWS_SECRET_MANAGER = "aws_secret_manager"',
    'RESOURCE_TYPE_GATEWAY_SECRET = "gateway_secret"',
    'api_key = "env:OPENAI_API_KEY"',
    # M5: fields named *_token / *_str, ARNs
    '    "input_token": "NextToken",',
    '    "output_token": "nextPageToken",',
    "[{'score': 0.17, 'token': 4827, 'token_str': 'fashion', 'sequence': 'she works in fashion.'}]",
    '"ARN": "arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestDatabaseSecret-a1b2c3"',
    "sent_doc = doc[start_token:end_token].as_doc()",
    '"token_classification_class": "ForTokenClassification",',
    # M6: placeholders
    "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxx",
    "OPENAI_API_KEY=sk-XXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "ANTHROPIC_API_KEY=sk-ant-xxxxxxxxxxxxxxxxxxxx",
    "OPENAI_API_KEY=sk-your-key-here",
    '"x-litellm-api-key": "Bearer <your-master-key>"',
    'client = OpenAI(base_url="http://localhost:8000/v1", api_key="not-needed")',
    'api_key="sk-no-key-required"',
    'api_key="no-token"',
    "api_key: my-fake-key",
    '"api_key": "sk-...xyz123"',
    '"access_token": "glpat_***"',
    "api_key=\"${y||'YOUR_LITELLM_API_KEY'}\"",
    "raise ValueError(f\"invalid token: '{token}'\")",
    # L3: CSS, RST targets, docstrings, entry points, test output
    ".special-token:not(:empty){ color: red }",
    '.multi-token:hover::after { content: "x" }',
    ".. _get_access_token: https://example.org/reference/auth/",
    "    page_token: Continuation token from a previous call.",
    "        private_key: PEM-encoded private key of the service account.",
    "    client_secret: Configuration options for the generated client secret.",
    "PASS: tests/test_auth.py::test_login",
    'per_token_step_pattern = "with past_key_values"',
    "presidio_hf_token_pipe=presidio_analyzer.nlp_engine.huggingface_token_pipe:create_huggingface_token_pipe",
    "Pass :meth:`peek` a default value to return that instead of raising",
    ":type session: :class:`botocore.session.Session`",
    "_token = rf'(?:[{_punct}]+|{_core_token})'",
    # L4: conversation and trace ids
    '{"session_id": "chat-42", "text": "hello"}',
    'mlflow.update_current_trace(session_id="session-4f855da00427")',
    '-d \'{"role": "user", "content": "hi", "session_id": "sess-789"}\'',
    "Session: Spring-2024 lecture notes",
    "MCP dashboard session: admitted-subject reload failed",
    # L5: AWS's documented example key, called an example
    "AWS documents the example key id AKIAIOSFODNN7EXAMPLE and secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.",
    'Example response:\n{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": '
    '"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"}',
]


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_code_names_and_placeholders_are_no_secret(det: RegexPIIDetector, text: str) -> None:
    assert _secrets(det, text) == []


# Real-looking credentials in many syntaxes and languages: every one must still be found.
# (label, text, the value that must be covered)
SECRETS = [
    ("PASSWORD", "DB_PASSWORD=Tr0ub4dor&3xq", "Tr0ub4dor&3xq"),
    ("PASSWORD", "export PGPASSWORD='s3cr3t-P@ss!'", "s3cr3t-P@ss!"),
    ("PASSWORD", "POSTGRES_PASSWORD: Xk9#mP2$vL8q", "Xk9#mP2$vL8q"),
    ("PASSWORD", "  password: hunter2024!", "hunter2024!"),
    ("PASSWORD", '{"password": "Gz7$kQ1!pW3e"}', "Gz7$kQ1!pW3e"),
    ("PASSWORD", "conn = psycopg2.connect(host='db', user='app', password='N0tS0S3cret!')", "N0tS0S3cret!"),
    (
        "PASSWORD",
        'const db = mysql.createConnection({ user: "root", password: "Qw3rty!2024" });',
        "Qw3rty!2024",
    ),
    ("PASSWORD", "spring.datasource.password=Sup3rS3cret9", "Sup3rS3cret9"),
    ("PASSWORD", "Server=db;Database=app;User Id=sa;Password=P4ssW0rd_x9;", "P4ssW0rd_x9"),
    ("PASSWORD", "Password=MyS3cretP4ss;", "MyS3cretP4ss"),
    ("PASSWORD", "postgres://admin:Pa55w0rd9x@db.internal:5432/app", "Pa55w0rd9x"),
    ("PASSWORD", "https://deploy:gH7kL2mN9pQ4@git.example.com/repo.git", "gH7kL2mN9pQ4"),
    ("PASSWORD", "redis://:R3d1sP4ss77@cache:6379/0", "R3d1sP4ss77"),
    ("PASSWORD", "my password is hunter2", "hunter2"),
    ("PASSWORD", "The wifi password is Blue-Falcon-77", "Blue-Falcon-77"),
    ("PASSWORD", "mein Passwort ist Sonnenschein42", "Sonnenschein42"),
    ("PASSWORD", "mon mot de passe est Soleil2024!", "Soleil2024!"),
    ("PASSWORD", "mi contraseña es Gato-Negro-19", "Gato-Negro-19"),
    ("PASSWORD", "a senha do wifi é Casa2024!", "Casa2024!"),
    ("PASSWORD", "пароль: Zima2024!", "Zima2024!"),
    ("PASSWORD", "密码是Abc12345", "Abc12345"),
    ("PASSWORD", "password123 is what I use: password=password123", "password123"),
    ("PASSWORD", "docker login -u bob -p Dk8$hJ2kLq registry.example.com", "Dk8$hJ2kLq"),
    ("PASSWORD", "mysql -u root -pRootPw2024! app", "RootPw2024!"),
    ("PASSWORD", "client_secret = 'a9F3kL0pQ7zX2mN8'", "a9F3kL0pQ7zX2mN8"),
    ("PASSWORD", "SECRET_KEY = 'django-insecure-7f#k2$9pq!w0e@x3z'", "django-insecure-7f#k2$9pq!w0e@x3z"),
    ("PASSWORD", 'secret_key="supersecret"', "supersecret"),
    ("PASSWORD", "token: ghx8Kq2LmZ9pW4rT7vB1", "ghx8Kq2LmZ9pW4rT7vB1"),
    ("PASSWORD", "Cookie: sessionid=8f3a9c2e7b1d4f6a0e5c9b2d; theme=dark", "8f3a9c2e7b1d4f6a0e5c9b2d"),
    (
        "PASSWORD",
        "GET /a session_id=4f3a2c1e-9b8d-4c7a-a1b2-3c4d5e6f7a8b",
        "4f3a2c1e-9b8d-4c7a-a1b2-3c4d5e6f7a8b",
    ),
    ("PASSWORD", "SESSION_SECRET=keyboardcat-9f8e7d", "keyboardcat-9f8e7d"),
    ("PASSWORD", "auth_token = Zm9vYmFyOjEyMzQ1Njc4OTA", "Zm9vYmFyOjEyMzQ1Njc4OTA"),
    ("PASSWORD", "pass_loop=Hk29!xq", "Hk29!xq"),
    ("PASSWORD", "reset_token=Yh7Kp2Lx9Qw4", "Yh7Kp2Lx9Qw4"),
    ("PASSWORD", "password: Pa(ssw0rd", "Pa(ssw0rd"),
    (
        "API_KEY",
        "OPENAI_API_KEY=sk-proj-Ab3De5Gh7Jk9Mn1Pq3St5Vw7Yz9Bc2Ef4Gh6Jk8",
        "sk-proj-Ab3De5Gh7Jk9Mn1Pq3St5Vw7Yz9Bc2Ef4Gh6Jk8",
    ),
    (
        "API_KEY",
        'client = Anthropic(api_key="sk-ant-api03-Xy7Zq2Lm9Pk4Wn8Rt3Vb6Hc1Jd5Fg0Ks")',
        "sk-ant-api03-Xy7Zq2Lm9Pk4Wn8Rt3Vb6Hc1Jd5Fg0Ks",
    ),
    (
        "API_KEY",
        "GITHUB_TOKEN=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    ),
    ("API_KEY", "aws_access_key_id = AKIA2E0A8F3B244C9986", "AKIA2E0A8F3B244C9986"),
    ("API_KEY", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    (
        "API_KEY",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    ("API_KEY", "Authorization: Bearer abcdef0123456789ABCDEFxyz", "abcdef0123456789ABCDEFxyz"),
    (
        "API_KEY",
        "HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    ),
    (
        "API_KEY",
        "SLACK_BOT_TOKEN=xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
        "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
    ),
    ("API_KEY", "stripe.api_key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    (
        "API_KEY",
        "GOOGLE_API_KEY: AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
        "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    ),
    # a capitalised literal on a .env / shell / YAML / prose line is the password (s34 qa_verify V9)
    ("PASSWORD", "export DB_PASSWORD=SUPER_SECRET", "SUPER_SECRET"),
    ("PASSWORD", "admin password: CHANGEME_SECRET", "CHANGEME_SECRET"),
    ("PASSWORD", "DB_PASSWORD=CORRECT_HORSE_BATTERY", "CORRECT_HORSE_BATTERY"),
]


@pytest.mark.parametrize(("label", "text", "value"), SECRETS)
def test_real_credentials_are_still_found(det: RegexPIIDetector, label: str, text: str, value: str) -> None:
    hits = _secrets(det, text)
    assert any(lab == label and value in got for lab, got in hits), hits


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("sk-xxxxxxxxxxxxxxxxxxxx", False),
        ("sk-your-key-here", False),
        ("Bearer <your-master-key>", False),
        ("not-needed", False),
        ("os.environ/OPENAI_API_KEY", False),
        ("{token}", False),
        ("changeme", False),  # unchanged: the stop list has it
        ("password123", True),
        ("changeme-2024!", True),
        ("sk-Zq8Lm2Xp9Kw4Rt7Vb1Nc", True),
    ],
)
def test_looks_like_secret_placeholders(value: str, secret: bool) -> None:
    assert looks_like_secret(value, quoted=True) is secret


def test_documented_example_key_is_the_aws_pair_only() -> None:
    assert documented_example_key("AKIAIOSFODNN7EXAMPLE")
    assert documented_example_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    assert not documented_example_key("AKIA2E0A8F3B244C9986")
