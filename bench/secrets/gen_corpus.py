#!/usr/bin/env python3
"""Writes the labelled secrets corpus: realistic files holding synthetic secrets (true cases)
and decoys (published examples, placeholders, hashes, test fixtures, docs, compose dev
services, comments, vendored code). Deterministic: the same seed gives the same bytes.

Every secret is random from a fixed seed, has the provider's shape and is not a credential;
where a provider checks a checksum (GitHub, npm, PyPI tokens) a random body fails it, and AWS
key ids carry the visible marker `SYNTH`.

Usage: gen_corpus.py OUT_DIR [SEED]
Writes OUT_DIR/files/... and OUT_DIR/labels.json: a list of
  {"file", "line", "secret": true|false, "kind"}
where `secret: true` means a blocking finding is expected at that line (line 0: a file-level
finding anywhere in the file), and `secret: false` marks a decoy line that must not block.
"""
import base64
import json
import os
import random
import shutil
import string
import sys

OUT = sys.argv[1]
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 16
R = random.Random(SEED)
ALNUM = string.ascii_letters + string.digits
UPPER_NUM = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
DJANGO = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)"
B64 = string.ascii_letters + string.digits + "+/"


def rnd(alphabet, n):
    return "".join(R.choice(alphabet) for _ in range(n))


files = {}  # path -> list of lines
labels = []


def add(path, parts):
    """parts: list of str (plain line) or (str, bool, kind) (a labelled line)."""
    lines = files.setdefault(path, [])
    for p in parts:
        if isinstance(p, tuple):
            text, secret, kind = p
            lines.append(text)
            labels.append({"file": path, "line": len(lines), "secret": secret, "kind": kind})
        else:
            lines.append(p)


def file_label(path, secret, kind):
    labels.append({"file": path, "line": 0, "secret": secret, "kind": kind})


def T(text, kind):
    return (text, True, kind)


def F(text, kind):
    return (text, False, kind)


def aws_id():
    return "AKIA" + "SYNTH" + rnd(UPPER_NUM, 11)


def aws_secret():
    return rnd(ALNUM + "/+", 40)


def jwt(payload, sig_len=43):
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).decode().rstrip("=")
    return enc({"alg": "HS256", "typ": "JWT"}) + "." + enc(payload) + "." + rnd(ALNUM + "-_", sig_len)


def django_key():
    # Like get_random_secret_key(): 50 characters of its alphabet; half the corpus's keys are
    # forced to hold a parenthesis, the case the old code filter discarded.
    while True:
        k = rnd(DJANGO, 50)
        if "'" not in k and '"' not in k:
            return k


def pem(kind):
    body = [rnd(B64, 64) for _ in range(6)]
    return ["-----BEGIN " + kind + " PRIVATE KEY-----"] + body + ["-----END " + kind + " PRIVATE KEY-----"]


PROJECTS = ["billing", "shop", "inventory", "crm", "blog", "payments", "notify", "auth"]
FUTURE = 4102444800  # 2100-01-01: deterministic, never expires
PAST = 1516239022 + 3600

# ---------------------------------------------------------------- true secrets
for i, p in enumerate(PROJECTS[:6]):
    add(f"{p}/config/aws.py", [
        "import boto3", "",
        T(f'AWS_ACCESS_KEY_ID = "{aws_id()}"', "aws-key-id"),
        T(f'AWS_SECRET_ACCESS_KEY = "{aws_secret()}"', "aws-secret"),
        "", "s3 = boto3.client('s3', aws_access_key_id=AWS_ACCESS_KEY_ID)",
    ])
for i, p in enumerate(PROJECTS[:5]):
    pref = ["ghp_", "gho_", "ghs_", "ghu_", "ghp_"][i]
    add(f"{p}/scripts/release.sh", [
        "#!/bin/sh", "set -eu",
        T(f"GITHUB_TOKEN={pref}{rnd(ALNUM, 36)}", "github-token"),
        'curl -H "Authorization: token $GITHUB_TOKEN" https://api.github.com/repos/acme/app/releases',
    ])
add("ops/publish.js", [
    "const { Octokit } = require('@octokit/rest');",
    T(f"const octokit = new Octokit({{ auth: 'github_pat_{rnd(ALNUM + '_', 82)}' }});", "github-fine-grained"),
])
for i in range(3):
    add(f"deploy/gitlab-{i}.yml", [
        "variables:",
        T(f"  GL_TOKEN: glpat-{rnd(ALNUM + '-_', 20)}", "gitlab-pat"),
        "  STAGE: prod",
    ])
for i in range(3):
    add(f"services/notifier/slack_{i}.py", [
        "from slack_sdk import WebClient",
        T(f'client = WebClient(token="xoxb-{rnd(string.digits, 12)}-{rnd(string.digits, 13)}-{rnd(ALNUM, 24)}")', "slack-token"),
    ])
for i in range(2):
    add(f"services/alerts/hook_{i}.rb", [
        "require 'net/http'",
        T(f"WEBHOOK = 'https://hooks.slack.com/services/T{rnd(UPPER_NUM, 8)}/B{rnd(UPPER_NUM, 8)}/{rnd(ALNUM, 24)}'", "slack-webhook"),
    ])
for i in range(3):
    add(f"payments/src/stripe_{i}.ts", [
        "import Stripe from 'stripe';",
        T(f"const stripe = new Stripe('sk_live_{rnd(ALNUM, 24)}', {{ apiVersion: '2023-10-16' }});", "stripe-live"),
    ])
for i in range(2):
    add(f"mailer/sendgrid_{i}.py", [
        T(f"SENDGRID_KEY = 'SG.{rnd(ALNUM + '-_', 22)}.{rnd(ALNUM + '-_', 43)}'", "sendgrid"),
    ])
for i in range(2):
    add(f"web-{i}/.npmrc", [T(f"//registry.npmjs.org/:_authToken=npm_{rnd(ALNUM, 36)}", "npm-token")])
for i in range(2):
    add(f"ml/llm_{i}.py", [
        "from openai import OpenAI",
        T(f'client = OpenAI(api_key="sk-proj-{rnd(ALNUM, 24)}T3BlbkFJ{rnd(ALNUM, 24)}")', "openai"),
    ])
for i in range(2):
    add(f"sms/twilio_{i}.js", [T(f"const apiKeySid = 'SK{rnd(HEX, 32)}';", "twilio")])
add("mail/mailgun.py", [T(f"MAILGUN_API_KEY = 'key-{rnd(HEX, 32)}'", "mailgun")])
for i in range(2):
    add(f"bots/tg_{i}.py", [T(f"BOT = Bot('{rnd(string.digits, 10)}:AA{rnd(ALNUM + '_-', 33)}')", "telegram")])
add("infra/do.tf", ['provider "digitalocean" {', T(f'  token = "dop_v1_{rnd(HEX, 64)}"', "digitalocean"), "}"])
add("shop/shopify.rb", [T(f"ShopifyAPI::Context.setup(api_key: 'k', api_secret_key: 'shpss_{rnd(HEX, 32)}')", "shopify")])
for i in range(3):
    add(f"maps/web_{i}/config.js", [T(f"export const MAPS_KEY = 'AIza{rnd(ALNUM + '_-', 35)}';", "gcp-api-key")])
add("ai/claude.py", [T(f'KEY = "sk-ant-api03-{rnd(ALNUM + "_-", 93)}AA"', "anthropic")])
add("backup/age.txt", [T(f"AGE-SECRET-KEY-1{rnd('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58)}", "age")])
add("storage/azure.cs", [T(f'var conn = "DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey={rnd(B64, 86)}==;EndpointSuffix=core.windows.net";', "azure-storage")])
for i, kind in enumerate(["RSA", "EC", "OPENSSH", ""]):
    k = (kind + " ") if kind else ""
    lines = pem(kind.strip() or "").copy() if kind else pem("").copy()
    lines = [l.replace("BEGIN  ", "BEGIN ").replace("END  ", "END ") for l in lines]
    add(f"deploy/keys/server_{i}.pem", [T(lines[0], "private-key")] + lines[1:])
add("deploy/service-account.json", [
    "{", '  "type": "service_account",', '  "project_id": "acme-prod",',
    T(f'  "private_key_id": "{rnd(HEX, 40)}",', "gcp-sa"),
    "}",
])
for i, (scheme, host) in enumerate([("postgres", "db.prod.acme-internal.net"), ("mysql", "10.2.3.4"), ("mongodb+srv", "cluster0.ab12c.mongodb.net"), ("redis", "cache.prod.acme.io"), ("postgresql", "rds.eu-west-1.amazonaws.com"), ("amqp", "mq.acme.io")]):
    add(f"{PROJECTS[i]}/settings/production.py", [
        "import os", "",
        T(f'DATABASE_URL = "{scheme}://app:{rnd(ALNUM, 18)}@{host}:5432/app"', "db-url"),
    ])
# Django SECRET_KEY: the D4 miss. Keys with and without parentheses.
for i in range(16):
    k = django_key()
    if i % 2 == 0 and "(" not in k and ")" not in k:
        k = k[:20] + "(" + k[21:40] + ")" + k[41:]
    add(f"site{i}/site{i}/settings.py", [
        '"""Django settings for site%d."""' % i, "from pathlib import Path", "",
        "BASE_DIR = Path(__file__).resolve().parent.parent", "",
        "# SECURITY WARNING: keep the secret key used in production secret!",
        T(f"SECRET_KEY = '{k}'", "django-secret-key"),
        "", "DEBUG = False", "ALLOWED_HOSTS = ['site%d.acme.io']" % i,
    ])
for i in range(5):
    add(f"portal{i}/portal/settings.py", [
        "from pathlib import Path",
        T(f"SECRET_KEY = 'django-insecure-{rnd(DJANGO, 50)}'", "django-insecure"),
        "DEBUG = True",
    ])
for i in range(4):
    add(f"flask{i}/app/config.py", [
        "class Config:",
        T(f"    SECRET_KEY = '{rnd(ALNUM, 32)}'", "flask-secret-key"),
        "    SQLALCHEMY_TRACK_MODIFICATIONS = False",
    ])
for i in range(3):
    add(f"flask{i}/app/__init__.py", [
        "from flask import Flask", "app = Flask(__name__)",
        T(f"app.config['SECRET_KEY'] = '{rnd(ALNUM + '!#%', 24)}'", "flask-config"),
    ])
for i in range(3):
    add(f"fastapi{i}/app/core/security.py", [
        "from jose import jwt",
        T(f'JWT_SECRET_KEY = "{rnd(HEX, 64)}"', "fastapi-jwt"),
        'ALGORITHM = "HS256"',
    ])
for i in range(3):
    add(f"rails{i}/config/secrets.yml", [
        "development:", f"  secret_key_base: {rnd(HEX, 128)}", "",
        "test:", f"  secret_key_base: {rnd(HEX, 128)}", "",
        "production:", T(f"  secret_key_base: {rnd(HEX, 128)}", "rails-secret-key-base"),
    ])
    labels.append({"file": f"rails{i}/config/secrets.yml", "line": 2, "secret": False, "kind": "rails-dev-key"})
    labels.append({"file": f"rails{i}/config/secrets.yml", "line": 5, "secret": False, "kind": "rails-test-key"})
for i in range(2):
    add(f"rails-app{i}/config/master.key", [rnd(HEX, 32)])
    file_label(f"rails-app{i}/config/master.key", True, "rails-master-key")
for i in range(3):
    path = f"laravel{i}/.env"
    add(path, [
        "APP_NAME=Laravel", "APP_ENV=production",
        T(f"APP_KEY=base64:{base64.b64encode(bytes(R.getrandbits(8) for _ in range(32))).decode()}", "laravel-app-key"),
        "APP_DEBUG=false",
    ])
    file_label(path, True, "dotenv-committed")
for i in range(4):
    add(f"spring{i}/src/main/resources/application.properties", [
        "server.port=8080",
        T(f"jwt.secret={rnd(ALNUM, 40)}", "spring-jwt-secret"),
        "jwt.sessionTime=86400",
        f"spring.datasource.url=jdbc:postgresql://db{i}.prod.acme.io:5432/app",
        "spring.datasource.username=app",
        T(f"spring.datasource.password={rnd(ALNUM, 14)}", "spring-datasource-password"),
        F("spring.datasource.hikari.maximum-pool-size=10", "spring-setting"),
    ])
for i in range(2):
    add(f"petclinic{i}/src/main/resources/application-postgres.properties", [
        "database=postgres",
        "spring.datasource.url=${POSTGRES_URL:jdbc:postgresql://localhost/petclinic}",
        "spring.datasource.username=${POSTGRES_USER:petclinic}",
        T("spring.datasource.password=${POSTGRES_PASS:" + rnd(string.ascii_lowercase, 9) + "}", "spring-fallback"),
    ])
for i in range(2):
    add(f"spring-yml{i}/src/main/resources/application.yml", [
        "spring:", "  datasource:", f"    url: jdbc:mysql://mysql.prod.acme.io/app{i}", "    username: app",
        T(f"    password: {rnd(ALNUM, 16)}", "spring-yml-password"),
        "jwt:", T(f"  secret: {rnd(ALNUM, 48)}", "spring-yml-jwt"),
    ])
for i in range(2):
    add(f"gin{i}/conf/app.ini", [
        "[app]", "PageSize = 10",
        T(f"JwtSecret = {rnd(string.digits, 3 + i)}", "ini-jwt-secret"),
        "", "[database]", "Type = mysql", "User = root",
        T(f"Password = {rnd(string.ascii_lowercase, 8)}", "ini-password"),
        "Host = 127.0.0.1:3306",
    ])
for i in range(3):
    add(f"k8s/app{i}/secret.yaml", [
        "apiVersion: v1", "kind: Secret", "metadata:", f"  name: app{i}-db", "type: Opaque", "stringData:",
        T(f'  password: "{rnd(ALNUM, 12)}"', "k8s-stringdata"),
        "  username: app",
    ])
    labels.append({"file": f"k8s/app{i}/secret.yaml", "line": 8, "secret": False, "kind": "k8s-stringdata-username"})
for i in range(3):
    add(f"k8s/api{i}/secret.yml", [
        "apiVersion: v1", "kind: Secret", "metadata:", "  name: api-keys", "data:",
        T(f"  API_KEY: {base64.b64encode(rnd(ALNUM, 24).encode()).decode()}", "k8s-data"),
    ])
for i in range(4):
    add(f"api{i}/src/client.js", [
        "const axios = require('axios');",
        T(f"const apiKey = \"{rnd(ALNUM, 32)}\";", "generic-js"),
        "module.exports = axios.create({ headers: { 'X-Api-Key': apiKey } });",
    ])
for i in range(2):
    add(f"gorealworld{i}/common/utils.go", [
        "package common", "",
        T(f'const NBSecretPassword = "A String Very Very Very Strong!!@##$!@#${i}"', "go-const-spaces"),
    ])
for i in range(2):
    add(f"prisma-app{i}/dist/config.js", [
        '"use strict";',
        T(f"exports.SECRET = '{rnd(string.ascii_lowercase, 12)}{rnd(string.digits, 3)}';", "exports-secret"),
    ])
for i in range(3):
    add(f"express{i}/config/index.js", [
        "module.exports = {",
        T(f"  secret: process.env.JWT_SECRET || 'superSecret{i}',", "env-fallback"),
        "};",
    ])
for i in range(2):
    add(f"svc{i}/internal/token.go", [
        "package internal", "",
        T(f'const serviceToken = "{jwt({"sub": "svc", "exp": FUTURE})}"', "jwt-live"),
    ])

# ---------------------------------------------------------------- decoys
for i in range(3):
    add(f"lib{i}/storage/s3.py", [
        "def connect(key_id=None):",
        '    """Connects to S3.',
        "",
        F("    >>> connect(key_id='AKIAIOSFODNN7EXAMPLE')", "aws-doc-example"),
        '    """',
    ])
for i in range(2):
    add(f"lib{i}/storage/creds.py", [F('aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', "aws-doc-secret")])
for i in range(4):
    add(f"forms{i}/settings.py", [
        "# Google's published test keys: every check passes.",
        F("RECAPTCHA_PUBLIC_KEY = '6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI'", "recaptcha-test"),
        F("RECAPTCHA_PRIVATE_KEY = '6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe'", "recaptcha-test"),
    ])
JWTIO = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
for i in range(2):
    add(f"auth{i}/src/example.ts", [F(f"const sample = '{JWTIO}';", "jwtio")])
for i in range(3):
    add(f"node-api{i}/src/docs/components.yml", [
        "components:", "  schemas:", "    Token:", "      type: object", "      properties:", "        token:",
        "          type: string",
        F(f"          example: {jwt({'sub': '5ebac534954b54139806c112', 'iat': 1588758301, 'exp': PAST})}", "openapi-jwt"),
    ])
for i in range(3):
    add(f"node-api{i}/src/routes/v1/auth.route.js", [
        "/**", " * @swagger", " * /auth/login:", " *   post:", " *     responses:",
        F(f" *               example: {jwt({'sub': '5ebac534954b54139806c112', 'exp': PAST})}", "swagger-jsdoc-jwt"),
        " */",
    ])
for i in range(3):
    add(f"java{i}/src/test/java/io/acme/JwtServiceTest.java", [
        "class JwtServiceTest {",
        F(f'  String token = "{jwt({"sub": "u1", "exp": FUTURE})}";', "test-jwt"),
        "}",
    ])
for i in range(3):
    add(f"stack{i}/docker-compose.yml", [
        "services:", "  db:", "    image: postgres:16", "    environment:",
        F("      POSTGRES_PASSWORD: postgres", "compose-password"),
        "  app:", "    environment:",
        F(f"      DATABASE_URL: postgres://postgres:{rnd(ALNUM, 10)}@db:5432/app", "compose-db-url"),
    ])
for i in range(3):
    add(f"dev{i}/app/db.py", [F(f'engine = create_engine("postgresql://user:{rnd(ALNUM, 8)}@localhost:5432/dev")', "localhost-db-url")])
for i in range(3):
    add(f"docs-site{i}/src/snippets.js", [F(f"fetch('https://admin:{rnd(ALNUM, 10)}@api.example.com/v1')", "example-com-url")])
placeholders = [
    'password = "changeme"', "DB_PASSWORD = '${DB_PASSWORD}'", 'token = "<your-token-here>"',
    'SECRET_KEY = os.environ["SECRET_KEY"]', 'SECRET_KEY = os.getenv("SECRET_KEY")',
    "api_key = get_api_key()", 'client_secret = "{{ client_secret }}"', "password: '********'",
    'apiKey: "YOUR_API_KEY"', 'auth_token = "xxxxxxxxxxxxxxxxxxxx"', "secret = config('APP_SECRET')",
    'password = settings.DATABASES["default"]["PASSWORD"]',
]
for i, ph in enumerate(placeholders):
    add(f"app/placeholders/p{i}.py", ["import os", F(ph, "placeholder")])
add("website/fixtures/users.json", ["["] + [
    F(f'  {{"model": "auth.user", "pk": {n}, "fields": {{"password": "pbkdf2_sha256$600000${rnd(ALNUM, 22)}${rnd(B64, 43)}="}}}},', "pbkdf2-fixture")
    for n in range(6)
] + ["]"])
add("seed/users.rb", [F(f"User.create!(email: 'a{n}@acme.io', encrypted_password: '$2a$12${rnd(ALNUM + './', 53)}')", "bcrypt") for n in range(2)])
add("app/test/vcr_cassettes/github_user.yml", [
    "http_interactions:", "- request:", "    headers:", "      Authorization:", "      - token <GITHUB_API_KEY>",
    F(f'    body: {{"hashed_token":"{rnd(HEX, 64)}"}}', "cassette-hash"),
])
add("app/models/session.py", [F(f'password_hash = "{rnd(HEX, 64)}"', "password-hash"), F(f'token_digest = "{rnd(HEX, 64)}"', "token-digest")])
for i in range(2):
    add(f"rails-dev{i}/config/initializers/devise.rb", [
        "Devise.setup do |config|",
        F(f"  # config.secret_key = '{rnd(HEX, 128)}'", "commented-devise"),
        "end",
    ])
for i in range(2):
    add(f"legacy{i}/config.py", [F(f"# AWS_SECRET_ACCESS_KEY = '{aws_secret()}'", "commented-aws")])
for i in range(3):
    add(f"client{i}/tests/test_api.py", ["def test_auth():", F(f"    token = 'ghp_{rnd(ALNUM, 36)}'", "test-github-token"), "    assert call(token)"])
for i in range(2):
    add(f"client{i}/spec/aws_spec.rb", [F(f"  let(:key) {{ '{aws_id()}' }}", "spec-aws")])
for i in range(2):
    add(f"proj{i}/tests/settings.py", [F(f"SECRET_KEY = '{django_key()}'", "test-settings-django")])
for i in range(2):
    add(f"kit{i}/README.md", ["## Configure", "", "```", F(f"STRIPE_KEY=sk_live_{rnd(ALNUM, 24)}", "readme-stripe"), "```"])
for i in range(2):
    add(f"kit{i}/docs/deploy.md", [F(f"    DATABASE_URL=postgres://app:{rnd(ALNUM, 12)}@db.prod.acme.io/app", "docs-db-url")])
for i in range(2):
    add(f"gin{i}/vendor/github.com/jinzhu/gorm/wercker.yml", ["services:", F(f"  - POSTGRES_URL: postgres://gorm:{rnd(ALNUM, 10)}@pg.ci.acme.io/gorm", "vendored-db-url")])
for i in range(2):
    add(f"web{i}/node_modules/some-sdk/dist/index.js", [F(f"var t='ghp_{rnd(ALNUM, 36)}';", "node-modules-token")])
for i in range(2):
    add(f"tmpl{i}/.env.example", [F(f"SECRET_KEY={rnd(ALNUM, 32)}", "env-example"), "DEBUG=true"])
for i in range(2):
    add(f"examples/demo{i}/main.go", [F(f'const apiToken = "{rnd(ALNUM, 30)}"', "examples-dir")])
for i in range(3):
    add(f"pay-dev{i}/src/config.ts", [F(f"export const STRIPE_KEY = 'sk_test_{rnd(ALNUM, 24)}';", "stripe-test")])
for i in range(2):
    add(f"djdev{i}/djdev/settings/dev.py", ["from .base import *", F(f"SECRET_KEY = '{django_key()}'", "django-dev-settings")])
code = [
    "    password: String,", "token = request.headers.get('token')", "secret_key = settings.SECRET_KEY",
    'const TOKEN_KEY = "auth_token";', 'request_id = "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"',
    'commit = "9fceb02d0ae598e95dc970b74767f19372d61af8"', "if password == confirm_password:",
    'password_reset_url = "https://acme.io/reset"', 'def check_token(token: str) -> bool:',
    'const [token, setToken] = useState("");', "secretName: app-credentials",
    'TOKEN_TYPE = "Bearer"', 'password_min_length = 12',
]
for i, c in enumerate(code):
    add(f"src/code/c{i}.txt", [F(c, "code")])
add("svc/src/main/resources/application.properties", [
    F("spring.datasource.password=", "empty-property"), F("jwt.expiration=86400", "jwt-expiry"),
    F("security.token-validity-seconds=3600", "token-setting"), F("spring.datasource.password=${DB_PASSWORD}", "property-ref"),
    F("app.password-required=true", "bool-setting"),
])
add("k8s/config.yaml", ["apiVersion: v1", "kind: ConfigMap", "data:", F("  password_policy: strict", "configmap"), F("  api_url: https://api.acme.io", "configmap")])
add("chart/templates/secret.yaml", ["apiVersion: v1", "kind: Secret", "data:", F("  password: {{ .Values.db.password | b64enc }}", "helm-template")])
add("web/src/i18n/en.json", ["{", F('  "password": "Password",', "i18n"), F('  "token_expired": "Your session token has expired, please sign in again",', "i18n"), F('  "secret_question": "What is the name of your first pet?",', "i18n"), "}"])
for i in range(3):
    add(f"ci{i}/.github/workflows/test.yml", [
        "jobs:", "  test:", "    services:", "      postgres:", "        env:",
        F("          POSTGRES_PASSWORD: postgres", "ci-password"),
        "    env:",
        F(f"      DATABASE_URL: postgres://postgres:{rnd(ALNUM, 10)}@localhost:5432/test", "ci-db-url"),
    ])
add("boiler/.travis.yml", ["env:", "  global:", F("    - JWT_SECRET=thisisasamplesecret", "travis-secret")])
add("pkg/package-meta.json", [F(f'  "integrity": "sha512-{rnd(B64, 86)}==",', "integrity"), F(f'  "checksum": "{rnd(HEX, 64)}",', "checksum")])
add("web/src/logo.js", [F(f'export const logo = "data:image/png;base64,{rnd(B64, 120)}";', "data-uri")])
add("docs-api/openapi.yaml", ["securitySchemes:", "  bearer:", F(f"    x-example-token: {jwt({'sub': '1', 'exp': FUTURE})}", "openapi-file-jwt")])

# ---------------------------------------------------------------- held out
# Written after the rules were tuned on the cases above, and scored before any rule change: the
# corpus's check on its own author (kinds prefixed `heldout-`).
add("cms/wp-config.php", [
    "<?php",
    T(f"define( 'DB_PASSWORD', '{rnd(ALNUM, 16)}' );", "heldout-wp-db-password"),
    T(f"define( 'AUTH_KEY', '{rnd(ALNUM + '!@#%^&*()-_[]{{}}<>~+=,.;:/?|', 64)}' );".replace("'", "'", 1), "heldout-wp-auth-key"),
])
add("shop-django/shop/settings/production.py", [
    "DATABASES = {", "    'default': {", "        'ENGINE': 'django.db.backends.postgresql',",
    T(f"        'PASSWORD': '{rnd(ALNUM, 20)}',", "heldout-django-databases"),
    "    }", "}",
])
add("dotnet/appsettings.Production.json", [
    "{", '  "ConnectionStrings": {',
    T(f'    "Default": "Server=sql.prod.acme.io;Database=app;User Id=app;Password={rnd(ALNUM, 18)};"', "heldout-dotnet-connstring"),
    "  }", "}",
])
add("infra/main.tf", ['resource "aws_db_instance" "db" {', T(f'  password = "{rnd(ALNUM, 20)}"', "heldout-terraform"), "}"])
add("billing-rails/config/database.yml", ["production:", "  adapter: postgresql", T(f"  password: {rnd(ALNUM, 18)}", "heldout-rails-database-yml")])
add("api-svc/Dockerfile", ["FROM python:3.12-slim", T(f"ENV API_TOKEN={rnd(ALNUM, 32)}", "heldout-dockerfile-env")])
add("java-svc/src/main/java/io/acme/Client.java", ["class Client {", T(f'  private static final String API_KEY = "{rnd(ALNUM, 32)}";', "heldout-java-const"), "}"])
add("deploy/.netrc", [T(f"machine api.heroku.com login ops@acme.io password {rnd(HEX, 36)}", "heldout-netrc")])
add("node-svc/config/default.json", ["{", T(f'  "apiKey": "{rnd(ALNUM, 40)}",', "heldout-json-apikey"), "}"])
add("scripts/sync.sh", ["#!/bin/sh", T(f'curl -H "Authorization: Bearer {rnd(ALNUM, 40)}" https://api.acme.io/sync', "heldout-bearer")])
add("go-svc/config/config.go", ["package config", T(f'var DBPassword = "{rnd(ALNUM, 14)}"', "heldout-go-var")])
add("rb-app/config/initializers/devise.rb", ["Devise.setup do |config|", T(f"  config.secret_key = '{rnd(HEX, 128)}'", "heldout-devise-live"), "end"])
add("webapp/.env.test", [F(f"SECRET_KEY={rnd(ALNUM, 32)}", "heldout-env-test")])
add("ci5/.github/workflows/deploy.yml", ["env:", F("  DB_PASSWORD: ${{ secrets.DB_PASSWORD }}", "heldout-gha-secret-ref")])
add("dj2/dj2/settings.py", [F("SECRET_KEY = get_random_secret_key()", "heldout-call"), F("SECRET_KEY_FALLBACK = 'replace-me-in-production'", "heldout-placeholder")])
add("gosvc2/errors.go", [F('var ErrInvalidToken = errors.New("invalid token provided")', "heldout-error")])
add("web2/src/validation.js", [F('const PASSWORD_REGEX = "^(?=.*[A-Z])(?=.*[0-9]).{8,}$";', "heldout-regex")])
add("web2/config/locales/en.yml", ["en:", F('  password_label: "Your password, at least 8 characters"', "heldout-i18n")])
add("web2/public/index.html", [F(f'<script src="https://cdn.acme.io/app.js" integrity="sha384-{rnd(B64, 64)}" crossorigin="anonymous"></script>', "heldout-sri")])
add("web2/src/sentry.js", [F(f"Sentry.init({{ dsn: 'https://{rnd(HEX, 32)}@o{rnd(string.digits, 6)}.ingest.sentry.io/{rnd(string.digits, 7)}' }});", "heldout-sentry-dsn")])
add("py-lib/client.py", ['class Client:', '    """Usage:', '', F('        client = Client(api_key="sk_live_' + rnd(ALNUM, 24) + '")', "heldout-docstring-usage"), '    """'])
add("py-lib/tests/conftest.py", [F(f'    os.environ["STRIPE_KEY"] = "sk_live_{rnd(ALNUM, 24)}"', "heldout-conftest")])
add("mobile/ios/Podfile.lock", [F(f"PODFILE CHECKSUM: {rnd(HEX, 40)}", "heldout-podfile-checksum")])
add("chart2/values.yaml", ["postgresql:", "  auth:", F('    password: ""', "heldout-helm-empty"), F("    existingSecret: db-credentials", "heldout-helm-ref")])

# ---------------------------------------------------------------- write
files_dir = os.path.join(OUT, "files")
if os.path.isdir(files_dir):
    shutil.rmtree(files_dir)
for path, lines in sorted(files.items()):
    full = os.path.join(files_dir, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write("\n".join(lines) + "\n")
labels.sort(key=lambda l: (l["file"], l["line"]))
with open(os.path.join(OUT, "labels.json"), "w") as f:
    json.dump({"seed": SEED, "cases": labels}, f, indent=1)
    f.write("\n")
t = sum(1 for l in labels if l["secret"])
print(f"{len(labels)} cases ({t} secrets, {len(labels) - t} decoys) in {len(files)} files", file=sys.stderr)
