"""Settings: config/defaults.toml < DATA_DIR/enclave.toml < ENCLAVE_* environment.

Every setting is declared once in SCHEMA with its type and rule; its default
lives in config/defaults.toml, where it is documented. Anything unknown or
invalid stops start-up with a SettingsError naming the setting, the value and
where it came from: we never guess.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

INSTANCE_FILE = "enclave.toml"
ENV_PREFIX = "ENCLAVE_"
# Not a setting: which instance to load. Read by the CLI and the WSGI entry point.
DATA_DIR_ENV = "ENCLAVE_DATA_DIR"


class SettingsError(Exception):
    """A setting is unknown, has an invalid value, or cannot be read."""


@dataclass(frozen=True)
class Spec:
    kind: type
    secret: bool = False
    choices: tuple[str, ...] = ()
    check: Callable[[Any], str | None] | None = None


def _port(value: int) -> str | None:
    return None if 1 <= value <= 65535 else "expected a port number 1-65535"


def _positive(value: int) -> str | None:
    return None if value > 0 else "expected a positive number"


def _percent(value: int) -> str | None:
    return None if 1 <= value <= 100 else "expected a percentage 1-100"


def _origins(value: str) -> str | None:
    for origin in filter(None, (o.strip() for o in value.split(","))):
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", origin):
            return f"{origin!r} is not an origin like https://www.bank.example[:port]"
    return None


def _message_queue(value: str) -> str | None:
    # A password may be in the URL (hence a secret setting), but nothing else: no query
    # options, no other scheme (Flask-SocketIO would quietly pick another backend).
    pattern = (
        r"rediss?://([^@/\s]+@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:[0-9]{1,5})?(/[0-9]{1,2})?"
    )
    if value == "" or re.fullmatch(pattern, value):
        return None
    return "expected empty (one node) or redis://[:password@]host[:port][/db] (or rediss://)"


def _queue_names(value: str) -> str | None:
    names = [n.strip() for n in value.split(",")] if value.strip() else []
    for name in names:
        if not re.fullmatch(r"[a-z0-9._-]{1,64}", name) or name == "leave_message":
            return f"{name!r} is not a queue name (1-64 of a-z, 0-9, '.', '_', '-')"
    if len(set(names)) != len(names):
        return "a queue is listed twice"
    return None


def _database_url(value: str) -> str | None:
    if value == "" or value.startswith(("sqlite:///", "postgresql://", "postgres://")):
        return None
    return "expected empty (SQLite in the data directory), sqlite:///PATH or postgresql://..."


SCHEMA: dict[str, Spec] = {
    "server.host": Spec(str),
    "server.port": Spec(int, check=_port),
    "server.max_connections": Spec(int, check=_positive),
    "server.behind_tls": Spec(bool),
    "server.trusted_proxies": Spec(int, check=lambda v: None if 0 <= v <= 5 else "expected 0-5"),
    "server.message_queue": Spec(str, secret=True, check=_message_queue),
    "database.url": Spec(str, check=_database_url),
    "database.sqlite_synchronous": Spec(str, choices=("FULL", "NORMAL")),
    "crypto.cipher": Spec(str, choices=("sm4-gcm", "aes-256-gcm")),
    "crypto.kek_source": Spec(str, choices=("file", "passphrase")),
    "crypto.kek_passphrase": Spec(str, secret=True),
    "security.secret_key": Spec(str, secret=True),
    "security.session_idle_minutes": Spec(int, check=_positive),
    "security.lockout_threshold": Spec(int, check=_positive),
    "security.lockout_minutes": Spec(int, check=_positive),
    "chat.max_text_bytes": Spec(int, check=_positive),
    "chat.default_capacity": Spec(int, check=_positive),
    "chat.flood_rate_per_second": Spec(int, check=_positive),
    "chat.flood_burst": Spec(int, check=_positive),
    "routing.vip_boost_seconds": Spec(int, check=_positive),
    "routing.aging_bound_seconds": Spec(int, check=_positive),
    "routing.disconnect_grace_seconds": Spec(int, check=_positive),
    "routing.default_handle_seconds": Spec(int, check=_positive),
    "routing.sweep_seconds": Spec(int, check=_positive),
    "routing.first_response_seconds": Spec(int, check=_positive),
    "routing.near_sla_percent": Spec(int, check=_percent),
    "compliance.rules_file": Spec(str),
    "visitor.customer_token_secret": Spec(str, secret=True),
    "visitor.token_max_age_days": Spec(int, check=_positive),
    "visitor.allowed_origins": Spec(str, check=_origins),
    "visitor.prechat_topics": Spec(str, check=_queue_names),
    "visitor.prechat_other_topic": Spec(bool),
    "visitor.prechat_question": Spec(str, choices=("optional", "required", "hidden")),
    "audit.sequencer_interval_ms": Spec(int, check=_positive),
    "audit.checkpoint_interval_seconds": Spec(int, check=_positive),
    "audit.heartbeat_interval_seconds": Spec(int, check=_positive),
    "logging.level": Spec(str, choices=("DEBUG", "INFO", "WARNING", "ERROR")),
    "demo.enabled": Spec(bool),
}

SECTIONS = (
    "server",
    "database",
    "crypto",
    "security",
    "chat",
    "routing",
    "compliance",
    "visitor",
    "audit",
    "logging",
    "demo",
)


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    max_connections: int
    behind_tls: bool
    # Reverse proxies in front (nginx) whose X-Forwarded-For/-Proto are believed: 0 = none.
    trusted_proxies: int = 0
    # "" = one node; redis://… = Socket.IO fan-out between nodes (docs/operations.md).
    message_queue: str = field(default="", repr=False)


@dataclass(frozen=True)
class DatabaseSettings:
    url: str
    sqlite_synchronous: str


@dataclass(frozen=True)
class CryptoSettings:
    cipher: str
    kek_source: str
    kek_passphrase: str = field(repr=False)


@dataclass(frozen=True)
class SecuritySettings:
    secret_key: str = field(repr=False)
    session_idle_minutes: int
    lockout_threshold: int
    lockout_minutes: int


@dataclass(frozen=True)
class RoutingSettings:
    vip_boost_seconds: int
    aging_bound_seconds: int
    disconnect_grace_seconds: int
    default_handle_seconds: int
    sweep_seconds: int
    first_response_seconds: int
    near_sla_percent: int


@dataclass(frozen=True)
class ComplianceSettings:
    rules_file: str  # "" = the shipped config/compliance.toml


@dataclass(frozen=True)
class ChatSettings:
    max_text_bytes: int
    default_capacity: int
    flood_rate_per_second: int
    flood_burst: int


@dataclass(frozen=True)
class VisitorSettings:
    customer_token_secret: str = field(repr=False)
    token_max_age_days: int
    allowed_origins: str = ""  # comma-separated; "" = the appliance's own origin only
    # The widget's pre-chat form (docs/widget.md): queue names in display order ("" = no
    # topic choice), whether "something else" is offered, and the question's mode.
    prechat_topics: str = ""
    prechat_other_topic: bool = True
    prechat_question: str = "optional"

    @property
    def origins(self) -> list[str]:
        return [o.strip() for o in self.allowed_origins.split(",") if o.strip()]

    @property
    def topics(self) -> list[str]:
        return [t.strip() for t in self.prechat_topics.split(",") if t.strip()]


@dataclass(frozen=True)
class AuditSettings:
    sequencer_interval_ms: int
    checkpoint_interval_seconds: int
    heartbeat_interval_seconds: int


@dataclass(frozen=True)
class LoggingSettings:
    level: str


@dataclass(frozen=True)
class DemoSettings:
    # Serve the demo pages under /demo/ (appliance/http/demo.py). Off unless an instance
    # is made a demo one (`enclave demo setup`): a bank's production install serves none.
    enabled: bool


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    server: ServerSettings
    database: DatabaseSettings
    crypto: CryptoSettings
    security: SecuritySettings
    chat: ChatSettings
    routing: RoutingSettings
    compliance: ComplianceSettings
    visitor: VisitorSettings
    audit: AuditSettings
    logging: LoggingSettings
    demo: DemoSettings
    testing: bool = False

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'enclave.db'}"


def defaults_path() -> Path:
    """config/defaults.toml in a source checkout, else the installed copy."""
    candidates = [
        Path(__file__).resolve().parent.parent / "config" / "defaults.toml",
        Path(sys.prefix) / "share" / "enclave" / "config" / "defaults.toml",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise SettingsError(f"defaults file not found (looked in {', '.join(map(str, candidates))})")


def env_name(key: str) -> str:
    return ENV_PREFIX + key.replace(".", "_").upper()


def load_settings(
    data_dir: Path | str,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read, merge and validate the settings of the instance in `data_dir`.

    `overrides` (dotted keys) sit above the environment; tests use it.
    """
    environ = os.environ if environ is None else environ
    data_dir = Path(data_dir).resolve()
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}

    path = defaults_path()
    _merge_file(path, values, origins, base=data_dir, required=True)
    _merge_file(data_dir / INSTANCE_FILE, values, origins, base=data_dir, required=False)
    _merge_environment(environ, values, origins)
    for key, value in (overrides or {}).items():
        _assign(key, value, values, origins, origin="overrides")

    missing = sorted(set(SCHEMA) - set(values))
    if missing:
        raise SettingsError(f"{missing[0]}: no value (the defaults file {path} lacks it)")
    if values["crypto.kek_source"] == "passphrase" and not values["crypto.kek_passphrase"]:
        raise SettingsError(
            "crypto.kek_passphrase: no value, but crypto.kek_source is 'passphrase' "
            "(set ENCLAVE_CRYPTO_KEK_PASSPHRASE_FILE)"
        )
    return _build(data_dir, values)


def _merge_file(
    path: Path, values: dict[str, Any], origins: dict[str, str], *, base: Path, required: bool
) -> None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise SettingsError(f"settings file {path} does not exist") from None
        return
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from None
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from None

    for section, table in document.items():
        if not isinstance(table, dict):
            raise SettingsError(f"{section}: unknown setting in {path} (expected a [section])")
        for name, value in table.items():
            key = f"{section}.{name}"
            if name.endswith("_file") and key.removesuffix("_file") in SCHEMA:
                key = key.removesuffix("_file")
                value = _read_secret_file(key, str(value), base, origin=str(path))
            _assign(key, value, values, origins, origin=str(path))


def _merge_environment(
    environ: Mapping[str, str], values: dict[str, Any], origins: dict[str, str]
) -> None:
    by_env = {env_name(key): key for key in SCHEMA}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == DATA_DIR_ENV:
            continue
        if name in by_env:
            key = by_env[name]
            _assign(key, _parse_env(key, raw, name), values, origins, origin=name)
        elif name.endswith("_FILE") and name.removesuffix("_FILE") in by_env:
            key = by_env[name.removesuffix("_FILE")]
            value = _read_secret_file(key, raw, Path.cwd(), origin=name)
            _assign(key, value, values, origins, origin=name)
        else:
            raise SettingsError(f"{name}: unknown setting (environment variable)")


def _parse_env(key: str, raw: str, origin: str) -> Any:
    kind = SCHEMA[key].kind
    if kind is bool:
        if raw not in ("true", "false"):
            raise SettingsError(
                f"{key}: invalid value {raw!r} from {origin}: expected true or false"
            )
        return raw == "true"
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(
                f"{key}: invalid value {raw!r} from {origin}: expected a whole number"
            ) from None
    return raw


def _read_secret_file(key: str, raw_path: str, base: Path, *, origin: str) -> str:
    if key not in SCHEMA or not SCHEMA[key].secret:
        raise SettingsError(f"{key}_file: unknown setting in {origin} ({key} is not a secret)")
    path = Path(raw_path)
    if not path.is_absolute():
        path = base / path
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(f"{key}: cannot read secret file {path} ({exc.strerror})") from None


def _assign(
    key: str, value: Any, values: dict[str, Any], origins: dict[str, str], *, origin: str
) -> None:
    spec = SCHEMA.get(key)
    if spec is None:
        raise SettingsError(f"{key}: unknown setting in {origin}")
    shown = "(secret)" if spec.secret else repr(value)
    # bool is an int subclass: `port = true` must not pass as 1.
    if type(value) is not spec.kind:
        raise SettingsError(
            f"{key}: invalid value {shown} from {origin}: expected {spec.kind.__name__}"
        )
    if spec.choices and value not in spec.choices:
        raise SettingsError(
            f"{key}: invalid value {shown} from {origin}: expected one of {', '.join(spec.choices)}"
        )
    if spec.check is not None and (problem := spec.check(value)) is not None:
        raise SettingsError(f"{key}: invalid value {shown} from {origin}: {problem}")
    values[key] = value
    origins[key] = origin


def _build(data_dir: Path, values: Mapping[str, Any]) -> Settings:
    def section(name: str) -> dict[str, Any]:
        prefix = name + "."
        return {k.removeprefix(prefix): v for k, v in values.items() if k.startswith(prefix)}

    return Settings(
        data_dir=data_dir,
        server=ServerSettings(**section("server")),
        database=DatabaseSettings(**section("database")),
        crypto=CryptoSettings(**section("crypto")),
        security=SecuritySettings(**section("security")),
        chat=ChatSettings(**section("chat")),
        routing=RoutingSettings(**section("routing")),
        compliance=ComplianceSettings(**section("compliance")),
        visitor=VisitorSettings(**section("visitor")),
        audit=AuditSettings(**section("audit")),
        logging=LoggingSettings(**section("logging")),
        demo=DemoSettings(**section("demo")),
    )


def redact_url(url: str) -> str:
    """`url` with any password replaced by ***, for logs, audit details and display."""
    from urllib.parse import urlsplit
    from urllib.parse import urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
