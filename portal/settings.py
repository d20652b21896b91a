"""Settings for the Một Cửa portal, read from the environment.

Every variable is optional in development. A bad value stops start-up with a message that names
the variable and says what it expects (see ``docs/configuration.md``).
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a number of at least {minimum}.")
    return value


def env_float(name: str, default: float, *, minimum: float, maximum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a number.") from None
    if not minimum < value <= maximum:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a number in ({minimum}, {maximum}].")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Turn ``postgres://user:pass@host:port/name?sslmode=…`` into a Django DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL: unsupported scheme {parsed.scheme!r}; expected "
            "postgres://user:password@host:5432/name (leave it unset for the SQLite default)."
        )
    name = unquote(parsed.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL: the database name is missing (…/name).")
    try:
        port = parsed.port
    except ValueError:
        raise ImproperlyConfigured("DATABASE_URL: the port is not a number.") from None
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(port or ""),
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }


S3_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
S3_PREFIX_PART = re.compile(r"[A-Za-z0-9._-]+")


def s3_from_env() -> dict:
    """The OPTIONS of django-storages' S3Storage from ``S3_*`` variables: a private bucket
    (no ACL sent, so objects stay the owner's; URLs always signed), names never overwritten."""
    bucket = os.environ.get("S3_BUCKET", "").strip()
    if not bucket:
        raise ImproperlyConfigured("S3_BUCKET is required when STORAGE_BACKEND=s3.")
    if not S3_BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
        raise ImproperlyConfigured(
            f"S3_BUCKET={bucket!r}: expected a bucket name (3-63 lower-case letters, digits, "
            "dots and hyphens)."
        )
    endpoint = os.environ.get("S3_ENDPOINT_URL", "").strip() or None
    if endpoint is not None:
        parsed = urlparse(endpoint)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            raise ImproperlyConfigured(
                f"S3_ENDPOINT_URL={endpoint!r}: expected an address such as "
                "https://s3.example.gov.vn (leave it unset for Amazon S3)."
            )
    access_key = os.environ.get("S3_ACCESS_KEY_ID", "").strip() or None
    secret_key = os.environ.get("S3_SECRET_ACCESS_KEY", "").strip() or None
    if (access_key is None) != (secret_key is None):
        raise ImproperlyConfigured(
            "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both, or neither to "
            "use the machine's own credentials (instance role, AWS_* variables)."
        )
    prefix = os.environ.get("S3_PREFIX", "").strip().strip("/")
    if prefix and not all(
        S3_PREFIX_PART.fullmatch(part) and part not in {".", ".."} for part in prefix.split("/")
    ):
        raise ImproperlyConfigured(
            f"S3_PREFIX={prefix!r}: expected folder names of letters, digits, dots, hyphens "
            "and underscores separated by /, e.g. motcua/binh-phuoc."
        )
    addressing = os.environ.get("S3_ADDRESSING_STYLE", "").strip().lower() or None
    if addressing not in {None, "auto", "path", "virtual"}:
        raise ImproperlyConfigured(
            f"S3_ADDRESSING_STYLE={addressing!r}: expected auto, path or virtual."
        )
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": os.environ.get("S3_REGION", "").strip() or None,
        "access_key": access_key,
        "secret_key": secret_key,
        "location": prefix,
        "addressing_style": addressing,
        "signature_version": "s3v4",
        # Private: no ACL header (the bucket's owner alone reads), every URL signed, and a
        # name already taken gets a new one instead of replacing the stored file.
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "custom_domain": None,
    }


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY to a long random string, "
            "or DEBUG=1 for development."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

# Old keys still accepted when checking signatures: the QR links printed on receipts are signed,
# so rotate SECRET_KEY by moving the old one here (see docs/lookup.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The absolute address printed in the QR code of every receipt: it must be the public one.
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/")
if not SITE_URL:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SITE_URL is required when DEBUG is off: the public address of the portal, "
            "e.g. https://motcua.example.gov.vn (it is printed in the QR code on receipts)."
        )
    SITE_URL = "http://127.0.0.1:8000"
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r}: expected an address starting with https://")

INSTALLED_APPS = [
    "portal",
    "procedures",
    "intake",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_q",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.PortalLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A NUL in the path, query or form body is a 400, not PostgreSQL's server error.
    "portal.middleware.RefuseNulMiddleware",
    # After a person's POST (an action on a dossier), their inbox badge is counted afresh.
    "portal.middleware.FreshBadgeMiddleware",
    # Last: turns a sign-in refused for too many failures into the 429 page.
    "axes.middleware.AxesMiddleware",
]

# Sign-in limits (django-axes): the first backend refuses a locked-out account or address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "portal.context_processors.portal",
                "intake.watch.context_processors.bell",
            ],
            "builtins": ["portal.templatetags.vn"],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    # Embedded default: one SQLite file shared by the web server and the queue worker.
    # WAL lets readers run beside the writer; IMMEDIATE transactions take the write lock at
    # BEGIN so two writers queue on busy_timeout instead of failing half way.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
    # The statistics' covering index (INCLUDE columns) is a PostgreSQL optimisation; SQLite
    # builds it on the key columns alone, which is all it needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

# A read replica for the reports (portal/replica.py): statistics, drill-downs and transparency
# read from it; every write, and every other read, goes to DATABASE_URL. In tests the alias
# mirrors the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
if DATABASE_REPLICA_URL:
    if not DATABASE_URL:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs DATABASE_URL: a replica of PostgreSQL, not of SQLite."
        )
    try:
        DATABASES["replica"] = database_from_url(DATABASE_REPLICA_URL)
    except ImproperlyConfigured as error:
        message = str(error).replace("DATABASE_URL", "DATABASE_REPLICA_URL")
        raise ImproperlyConfigured(message) from None
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["portal.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:staff_home"
LOGOUT_REDIRECT_URL = "procedures:home"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# dd/mm/yyyy in both languages, day-first date input (see portal/formats/).
FORMAT_MODULE_PATH = ["portal.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Every stored file (slips, attachments, blank forms) goes through Django's storage API:
# STORAGE_BACKEND=filesystem (MEDIA_ROOT, one machine) or s3 (a private bucket that several web
# servers share; docs/storage.md). Files are never public: they are served by views that check
# access, or with S3_SIGNED_URLS=1 by a redirect to a URL signed for S3_SIGNED_URL_SECONDS.
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "").strip().lower() or "filesystem"
if STORAGE_BACKEND == "filesystem":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif STORAGE_BACKEND == "s3":
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_from_env()}
else:
    raise ImproperlyConfigured(
        f"STORAGE_BACKEND={STORAGE_BACKEND!r}: expected filesystem (the default) or s3."
    )
S3_SIGNED_URLS = env_bool("S3_SIGNED_URLS", False)
if S3_SIGNED_URLS and STORAGE_BACKEND != "s3":
    raise ImproperlyConfigured("S3_SIGNED_URLS=1 needs STORAGE_BACKEND=s3.")
S3_SIGNED_URL_SECONDS = env_int("S3_SIGNED_URL_SECONDS", 60, minimum=1)
if S3_SIGNED_URL_SECONDS > 3600:
    raise ImproperlyConfigured(
        f"S3_SIGNED_URL_SECONDS={S3_SIGNED_URL_SECONDS}: expected at most 3600 (an hour); "
        "signed addresses are meant to be short-lived."
    )
if STORAGE_BACKEND == "s3":
    _default_storage["OPTIONS"]["querystring_expire"] = S3_SIGNED_URL_SECONDS
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "motcua@localhost")

# One process (development): memory. Several processes (gunicorn workers, several hosts) must
# share the cache, or each counts lookup failures on its own and keeps its own pages and
# counts: CACHE_BACKEND=database keeps it in the database (run `manage.py createcachetable`
# once after `migrate`), CACHE_BACKEND=redis in Redis at REDIS_URL (Django's RedisCache).
CACHE_BACKEND = os.environ.get("CACHE_BACKEND", "").strip().lower() or "locmem"
if CACHE_BACKEND == "locmem":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "motcua",
            # Django's default of 300 entries would cull the catalogue's fragments (a row per
            # procedure, a body per procedure page: procedures.fragments) long before they
            # expire; 5,000 small entries are a few tens of MB per process at most.
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
elif CACHE_BACKEND == "database":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "motcua_cache",
        }
    }
elif CACHE_BACKEND == "redis":
    REDIS_URL = os.environ.get("REDIS_URL", "").strip() or "redis://127.0.0.1:6379/0"
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"REDIS_URL={REDIS_URL!r}: expected redis://host:6379/0, rediss://… or unix://…"
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "motcua",
        }
    }
else:
    raise ImproperlyConfigured(
        f"CACHE_BACKEND={CACHE_BACKEND!r}: expected locmem (the default), database or redis."
    )

# What every page repeats and only the language changes (the stylesheets, the navigation's
# public links, the footer: the {% cache %} blocks of templates/base.html), rendered once per
# process and kept until it ends (a release restarts it).
CACHES["chrome"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "chrome",
    "TIMEOUT": None,
}

# django-q2 on the ORM broker: the database is the only infrastructure. A task that runs longer
# than `timeout` is killed; one not acknowledged after `retry` seconds is handed out again, so
# timeout < retry, and `max_attempts` bounds the retries.
Q_CLUSTER = {
    "name": "motcua",
    "orm": "default",
    "workers": env_int("Q_WORKERS", 2, minimum=1),
    "timeout": env_int("Q_TIMEOUT", 120, minimum=1),
    "retry": env_int("Q_RETRY", 300, minimum=2),
    "max_attempts": env_int("Q_MAX_ATTEMPTS", 3, minimum=1),
    "catch_up": False,
    "sync": env_bool("Q_SYNC", False),
    "label": "Hàng đợi",
}
if Q_CLUSTER["timeout"] >= Q_CLUSTER["retry"]:
    raise ImproperlyConfigured("Q_TIMEOUT must be shorter than Q_RETRY.")

# The deadline watch and notifications (docs/watch.md). The watch runs every WATCH_MINUTES and
# warns WATCH_WARNING_HOURS working hours before a step's deadline (a procedure may set its
# own); the appointment's warning comes that long before the last moment form 04 may be issued.
# The digest goes to department heads and leaders at WATCH_DIGEST_AT (local time) on working
# days. E-mails and SMS that fail are retried after each of NOTIFY_RETRY_MINUTES (the last one
# repeating) until NOTIFY_MAX_ATTEMPTS, then shown as failed in the admin.
WATCH_MINUTES = env_int("WATCH_MINUTES", 5, minimum=1)
WATCH_WARNING_HOURS = env_int("WATCH_WARNING_HOURS", 8)
WATCH_DIGEST_AT = os.environ.get("WATCH_DIGEST_AT", "").strip() or "07:00"
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", WATCH_DIGEST_AT):
    raise ImproperlyConfigured(f"WATCH_DIGEST_AT={WATCH_DIGEST_AT!r}: expected HH:MM, e.g. 07:00.")
# A run stops starting new batches after this many seconds (the next run goes on): well within
# the queue's timeout.
WATCH_BUDGET_SECONDS = env_int("WATCH_BUDGET_SECONDS", max(1, Q_CLUSTER["timeout"] // 2), minimum=1)
if Q_CLUSTER["timeout"] <= WATCH_BUDGET_SECONDS:
    raise ImproperlyConfigured("WATCH_BUDGET_SECONDS must be shorter than Q_TIMEOUT.")
WATCH_EMAIL_STAFF = env_bool("WATCH_EMAIL_STAFF", True)
# One watch run at a time on PostgreSQL (a session advisory lock); off behind a connection
# pooler in transaction mode, where the session changes between statements.
WATCH_RUN_LOCK = env_bool("WATCH_RUN_LOCK", True)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
try:
    NOTIFY_RETRY_MINUTES = [
        int(value) for value in env_list("NOTIFY_RETRY_MINUTES", ["5", "15", "60", "240"])
    ]
except ValueError:
    raise ImproperlyConfigured(
        "NOTIFY_RETRY_MINUTES: expected whole numbers of minutes separated by commas, "
        "e.g. 5,15,60,240."
    ) from None
if not NOTIFY_RETRY_MINUTES or min(NOTIFY_RETRY_MINUTES) < 1:
    raise ImproperlyConfigured("NOTIFY_RETRY_MINUTES: expected minutes of at least 1.")
# Text messages: a class with send(phone, text) (intake/sms.py; docs/watch.md). The default
# writes them to the log. Most Vietnamese gateways take unaccented text only.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "").strip() or "intake.sms.ConsoleBackend"
SMS_UNACCENTED = env_bool("SMS_UNACCENTED", True)
# Seconds before an SMTP server that does not answer counts as a failed attempt.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)

# One-time codes confirming a phone or an e-mail (intake/contacts): seconds a code lives, wrong
# guesses it takes, and codes sent per contact and per client address within the window (seconds).
CONTACT_CODE_TTL = env_int("CONTACT_CODE_TTL", 600, minimum=60)
CONTACT_CODE_MAX_ATTEMPTS = env_int("CONTACT_CODE_MAX_ATTEMPTS", 5, minimum=1)
CONTACT_CODE_WINDOW = env_int("CONTACT_CODE_WINDOW", 3600, minimum=60)
CONTACT_CODE_PER_CONTACT = env_int("CONTACT_CODE_PER_CONTACT", 5, minimum=1)
CONTACT_CODE_PER_ADDRESS = env_int("CONTACT_CODE_PER_ADDRESS", 20, minimum=1)

# Online filing (intake/online): an online dossier is checked within ONLINE_CHECK_HOURS working
# hours of its submission (or completion); one asked to complete and not completed within
# ONLINE_SUPPLEMENT_DAYS working days is listed for closing.
ONLINE_CHECK_HOURS = env_int("ONLINE_CHECK_HOURS", 8, minimum=1)
ONLINE_SUPPLEMENT_DAYS = env_int("ONLINE_SUPPLEMENT_DAYS", 15, minimum=1)
# The deadline watch warns the receiving unit's clerks this many working hours before an online
# dossier's limit for checking it (at most half the limit), then its manager once it has passed.
ONLINE_CHECK_WARNING_HOURS = env_int("ONLINE_CHECK_WARNING_HOURS", 2, minimum=1)

# Public catalogue pages are kept this many seconds for visitors not signed in (0: never).
PUBLIC_PAGE_CACHE_SECONDS = env_int("PUBLIC_PAGE_CACHE_SECONDS", 60)
# The navigation's badge (dossiers waiting for the person) is kept this many seconds per person
# (0: counted on every page); their own actions drop it at once.
INBOX_BADGE_SECONDS = env_int("INBOX_BADGE_SECONDS", 5)

# Catalogue search: minimum trigram word similarity for a typo-tolerant match.
SEARCH_SIMILARITY = env_float("SEARCH_SIMILARITY", 0.6, minimum=0, maximum=1)

# Public dossier lookup (docs/lookup.md): failed code/key attempts per client address and code.
# After LOOKUP_MAX_FAILURES on one code within LOOKUP_FAILURE_WINDOW seconds the address is
# refused for that code until the window ends, after LOOKUP_MAX_FAILURES_PER_ADDRESS on any
# codes for all of them; before that each failure answers LOOKUP_FAILURE_DELAY milliseconds ×
# failures on that code later (at most 2 s).
LOOKUP_MAX_FAILURES = env_int("LOOKUP_MAX_FAILURES", 10, minimum=1)
LOOKUP_MAX_FAILURES_PER_ADDRESS = env_int("LOOKUP_MAX_FAILURES_PER_ADDRESS", 100, minimum=1)
LOOKUP_FAILURE_WINDOW = env_int("LOOKUP_FAILURE_WINDOW", 900, minimum=1)
LOOKUP_FAILURE_DELAY = env_int("LOOKUP_FAILURE_DELAY", 200)
# The header a trusted reverse proxy overwrites with the client's address (e.g. X-Real-IP);
# empty: REMOTE_ADDR. Never set it to a header that reaches the portal from clients unchecked.
# Read by the lookup throttle and the sign-in limits alike (portal.clients.client_address);
# LOOKUP_CLIENT_IP_HEADER is its earlier name, still accepted.
CLIENT_IP_HEADER = (
    os.environ.get("CLIENT_IP_HEADER", "").strip()
    or os.environ.get("LOOKUP_CLIENT_IP_HEADER", "").strip()
)

# Staff sign-in (django-axes, docs/configuration.md): after SIGNIN_MAX_FAILURES failed
# passwords for one account, or from one client address, further attempts are refused with 429
# until SIGNIN_LOCKOUT_MINUTES have passed since the last counted failure. An administrator
# unlocks at once in the admin (Access attempts) or with `manage.py axes_reset_username`.
SIGNIN_MAX_FAILURES = env_int("SIGNIN_MAX_FAILURES", 5, minimum=1)
SIGNIN_LOCKOUT_MINUTES = env_int("SIGNIN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = SIGNIN_MAX_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=SIGNIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Attempts refused during a lockout do not prolong it: the page can say when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "portal.clients.signin_address"
AXES_LOCKOUT_CALLABLE = "portal.signin.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # our own log line (portal.signin) records each lockout

# Files attached to dossiers (PDF, JPEG, PNG): at most this many bytes each (10 MB).
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Signing result documents (intake/results/signing.py, docs/results.md): RESULT_SIGNING_BACKEND
# names the signer class (not SIGNING_BACKEND: Django's own setting of that name signs cookies and
# links); the default signs with a PKCS#12 file per agency, SIGNING_PKCS12_DIR/<agency
# slug>.p12 (or default.p12), opened with SIGNING_PKCS12_PASSWORD. SIGNING_TRUST_ROOTS lists the
# root certificates (PEM or DER files, comma-separated) that /xac-thuc/ trusts; `make run` points
# both at the demo certificates it makes in var/signing/.
RESULT_SIGNING_BACKEND = (
    os.environ.get("RESULT_SIGNING_BACKEND", "").strip() or "intake.results.signing.PKCS12Signer"
)
SIGNING_PKCS12_DIR = Path(
    os.environ.get("SIGNING_PKCS12_DIR", "").strip() or BASE_DIR / "var" / "signing"
)
SIGNING_PKCS12_PASSWORD = os.environ.get("SIGNING_PKCS12_PASSWORD", "")
SIGNING_TRUST_ROOTS = env_list("SIGNING_TRUST_ROOTS", [])
# Scans of the documents handed in (intake/documents/): images with more pixels than this are
# refused (A4 at 600 dpi is 35 million), and a document line takes at most this many files.
SCAN_MAX_PIXELS = env_int("SCAN_MAX_PIXELS", 50_000_000, minimum=1_000_000)
SCAN_MAX_FILES = env_int("SCAN_MAX_FILES", 60, minimum=1)
# A reception form carries a scan per document line, each of several pages: Django's default
# of 100 files per request is too few.
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 500, minimum=100)
# Uploads this large are written to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe the nodes over plain HTTP on the private network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    # HSTS: 0 (off) until HTTPS works everywhere; then 31536000 (a year) is recommended.
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# The header a TLS-terminating proxy sets to "https" (e.g. X-Forwarded-Proto), named only when
# the proxy overwrites it on every request; unset, no header can make a request count as HTTPS.
_proxy_ssl_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip()
if _proxy_ssl_header:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", _proxy_ssl_header):
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER={_proxy_ssl_header!r}: expected a header name, "
            "e.g. X-Forwarded-Proto."
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")

# Content-Security-Policy (django-csp): only the portal's own files, no inline script or style;
# Bootstrap's icons are data: images. Nothing is loaded from another site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL={LOG_LEVEL!r}: expected DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # fontTools reports every glyph it keeps when a signature block embeds its font.
    "loggers": {"fontTools": {"level": "WARNING"}},
}

# In development WhiteNoise serves straight from static/ (no collectstatic needed).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Feedback and petitions (docs/petitions.md): limits in working days on the receiving agency's
# calendar, counted from the receipt (publish: from the approval), and the flood limit of the
# public form: at most PETITION_MAX_PER_ADDRESS petitions (and one-time codes) from one client
# address within PETITION_WINDOW seconds.
PETITION_REJECT_DAYS = env_int("PETITION_REJECT_DAYS", 2, minimum=1)
PETITION_FORWARD_DAYS = env_int("PETITION_FORWARD_DAYS", 5, minimum=1)
PETITION_CLARIFY_DAYS = env_int("PETITION_CLARIFY_DAYS", 5, minimum=1)
PETITION_ANSWER_DAYS = env_int("PETITION_ANSWER_DAYS", 15, minimum=1)
PETITION_PUBLISH_DAYS = env_int("PETITION_PUBLISH_DAYS", 2, minimum=1)
PETITION_WARN_DAYS = env_int("PETITION_WARN_DAYS", 1)
PETITION_MAX_PER_ADDRESS = env_int("PETITION_MAX_PER_ADDRESS", 5, minimum=1)
PETITION_WINDOW = env_int("PETITION_WINDOW", 3600, minimum=1)

# The national portal (intake/national/, docs/national.md). The outbox of reported changes is
# delivered every NATIONAL_SYNC_MINUTES through NATIONAL_SYNC_BACKEND (the log by default; the
# HTTP backend posts to NATIONAL_SYNC_URL with NATIONAL_SYNC_TOKEN), NATIONAL_SYNC_BATCH
# messages a round, each waiting at most NATIONAL_SYNC_TIMEOUT seconds; a claimed message is
# held for NATIONAL_SYNC_LEASE_SECONDS (longer than a round can take) and failures are retried
# after NATIONAL_SYNC_RETRY_SECONDS, doubling up to NATIONAL_SYNC_RETRY_MAX_SECONDS.
NATIONAL_SYNC_BACKEND = (
    os.environ.get("NATIONAL_SYNC_BACKEND", "").strip() or "intake.national.backends.LogBackend"
)
NATIONAL_SYNC_URL = os.environ.get("NATIONAL_SYNC_URL", "").strip()
NATIONAL_SYNC_TOKEN = os.environ.get("NATIONAL_SYNC_TOKEN", "").strip()
if NATIONAL_SYNC_BACKEND.endswith(".HttpBackend") and not NATIONAL_SYNC_URL.startswith(
    ("http://", "https://")
):
    raise ImproperlyConfigured(
        "NATIONAL_SYNC_URL is required by the HTTP backend: an address starting with https://"
    )
NATIONAL_SYNC_MINUTES = env_int("NATIONAL_SYNC_MINUTES", 1, minimum=1)
NATIONAL_SYNC_BATCH = env_int("NATIONAL_SYNC_BATCH", 20, minimum=1)
NATIONAL_SYNC_TIMEOUT = env_int("NATIONAL_SYNC_TIMEOUT", 10, minimum=1)
NATIONAL_SYNC_LEASE_SECONDS = env_int(
    "NATIONAL_SYNC_LEASE_SECONDS", NATIONAL_SYNC_BATCH * NATIONAL_SYNC_TIMEOUT + 60, minimum=1
)
if NATIONAL_SYNC_LEASE_SECONDS <= NATIONAL_SYNC_BATCH * NATIONAL_SYNC_TIMEOUT:
    raise ImproperlyConfigured(
        "NATIONAL_SYNC_LEASE_SECONDS must be longer than NATIONAL_SYNC_BATCH × "
        "NATIONAL_SYNC_TIMEOUT (a round's longest sending)."
    )
NATIONAL_SYNC_RETRY_SECONDS = env_int("NATIONAL_SYNC_RETRY_SECONDS", 60, minimum=1)
NATIONAL_SYNC_RETRY_MAX_SECONDS = env_int("NATIONAL_SYNC_RETRY_MAX_SECONDS", 6 * 3600, minimum=1)
NATIONAL_SYNC_BUDGET_SECONDS = env_int(
    "NATIONAL_SYNC_BUDGET_SECONDS", max(1, Q_CLUSTER["timeout"] // 2), minimum=1
)
# The inbound API (/api/v1/online-dossiers): a signed request older or newer than
# NATIONAL_API_WINDOW_SECONDS is refused (replays); file links are fetched with
# NATIONAL_API_FETCH_TIMEOUT seconds each.
NATIONAL_API_WINDOW_SECONDS = env_int("NATIONAL_API_WINDOW_SECONDS", 300, minimum=1)
NATIONAL_API_FETCH_TIMEOUT = env_int("NATIONAL_API_FETCH_TIMEOUT", 10, minimum=1)
# The hosts file links may point to (empty: any; set it in production to the national
# portal's file hosts, so the API never fetches from the internal network).
NATIONAL_API_FILE_HOSTS = env_list("NATIONAL_API_FILE_HOSTS", [])
# Whether file links may reach loopback, private, link-local (cloud metadata) or other
# non-public addresses: on only in development and tests (intake/national/fetching.py).
NATIONAL_API_FILE_PRIVATE = env_bool("NATIONAL_API_FILE_PRIVATE", DEBUG)

# Fees paid online (intake/payments; docs/payments.md). PAYMENT_GATEWAY names the gateway class
# ("" = no online payment); its requests and answers are signed with PAYMENT_GATEWAY_SECRET
# (HMAC-SHA256). The sandbox gateway's pages answer only with PAYMENT_SANDBOX on (development,
# tests, demos). VietQR transfers go to the account PAYMENT_VIETQR_* (none: no QR shown).
PAYMENT_SANDBOX = env_bool("PAYMENT_SANDBOX", DEBUG)
PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY", "").strip() or (
    "intake.payments.gateways.SandboxGateway" if PAYMENT_SANDBOX else ""
)
PAYMENT_GATEWAY_SECRET = os.environ.get("PAYMENT_GATEWAY_SECRET", "") or (
    "sandbox-secret" if PAYMENT_SANDBOX else ""
)
if PAYMENT_GATEWAY and not PAYMENT_GATEWAY_SECRET:
    raise ImproperlyConfigured("PAYMENT_GATEWAY needs PAYMENT_GATEWAY_SECRET.")
PAYMENT_VIETQR_BIN = os.environ.get("PAYMENT_VIETQR_BIN", "").strip()
PAYMENT_VIETQR_ACCOUNT = os.environ.get("PAYMENT_VIETQR_ACCOUNT", "").strip()
PAYMENT_VIETQR_BANK = os.environ.get("PAYMENT_VIETQR_BANK", "").strip()
PAYMENT_VIETQR_NAME = os.environ.get("PAYMENT_VIETQR_NAME", "").strip()
