"""Webhook sources: their pydantic models, and loading them from a TOML file with errors that say where.

See `services/notifier/webhooks/__init__.py` for the file format.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from herald.contract.events import UserTarget
from herald.notifier.rate_limits import RateLimitSetting
from herald.notifier.webhooks.builtin_templates import BuiltinName
from herald.notifier.webhooks.errors import SourceConfigError
from herald.notifier.webhooks.sandbox import check_syntax
from herald.notifier.webhooks.schemes import VerificationScheme
from herald.notifier.webhooks.schemes.base import HeaderName

# Names appear in the URL (/v1/webhooks/<name>) and in each event's `source`.
SourceName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
DottedPath = Annotated[str, StringConstraints(pattern=r"^[^.\s]+(\.[^.\s]+)*$")]
TemplateSource = Annotated[str, StringConstraints(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MessageOverride(_Strict):
    """Jinja templates replacing the built-in template's, field by field."""

    title: TemplateSource | None = None
    body: TemplateSource | None = None
    severity: TemplateSource | None = None

    @field_validator("title", "body", "severity")
    @classmethod
    def _compiles(cls, source: str | None) -> str | None:
        return None if source is None else check_syntax(source)


def _as_target(value: Any) -> Any:
    # A bare string is shorthand for a user. Other tables pass through untouched, so the target
    # kinds the event contract adds later (group, broadcast) work without a change here; the
    # contract validates them when the event is built.
    if isinstance(value, str):
        value = {"user": value}
    if not isinstance(value, dict) or not value:
        raise ValueError('a target is a user id or a non-empty table such as { user = "alice" }')
    if "user" in value:
        try:
            UserTarget.model_validate(value)
        except ValidationError as exc:
            raise ValueError(f"not a valid user target: {_describe(exc)}") from None
    return value


TargetSpec = Annotated[dict[str, Any], BeforeValidator(_as_target)]


class SourceConfig(_Strict):
    name: SourceName
    enabled: bool = True
    verification: VerificationScheme
    template: BuiltinName = "generic"
    message: MessageOverride = MessageOverride()
    identity: TemplateSource | None = Field(default=None, description="Jinja template giving the sender.")
    targets: dict[str, TargetSpec] = {}
    default_target: TargetSpec | None = None
    delivery_id_header: HeaderName | None = None
    delivery_id_path: DottedPath | None = None
    # { per_second = .., burst = .. }, "unlimited", or absent for HERALD_RATE_LIMIT_PER_SECOND and _BURST.
    rate_limit: RateLimitSetting = None

    @field_validator("identity")
    @classmethod
    def _identity_compiles(cls, source: str | None) -> str | None:
        return None if source is None else check_syntax(source)

    @model_validator(mode="after")
    def _one_delivery_id(self) -> SourceConfig:
        if self.delivery_id_header and self.delivery_id_path:
            raise ValueError("set delivery_id_header or delivery_id_path, not both")
        return self


def parse_sources(data: Mapping[str, Any]) -> dict[str, SourceConfig]:
    """Sources from the parsed file: a `sources` table of tables, keyed by source name."""
    unknown = set(data) - {"sources"}
    if unknown:
        keys = ", ".join(sorted(unknown))
        raise SourceConfigError(f"unknown top-level keys: {keys} (expected only [sources.<name>] tables)")
    tables = data.get("sources", {})
    if not isinstance(tables, dict):
        raise SourceConfigError("'sources' must be a table of [sources.<name>] tables")
    sources: dict[str, SourceConfig] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise SourceConfigError(f"source '{name}': must be a table")
        if "name" in table:
            raise SourceConfigError(f"source '{name}': field 'name': the name is the table key; remove it")
        try:
            sources[name] = SourceConfig.model_validate({**table, "name": name})
        except ValidationError as exc:
            raise SourceConfigError(f"source '{name}': {_describe(exc)}") from None
    return sources


def enabled_source(sources: Mapping[str, SourceConfig], name: str) -> SourceConfig | None:
    """The source serving /v1/webhooks/<name>; None when unknown or disabled, so both can answer 404 alike."""
    source = sources.get(name)
    return source if source is not None and source.enabled else None


def load_sources(path: Path) -> dict[str, SourceConfig]:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise SourceConfigError(f"cannot read webhook sources from {path}: {exc.strerror}") from None
    return sources_from(content, path)


def sources_from(content: bytes, path: Path) -> dict[str, SourceConfig]:
    """The sources in `content`, the bytes of the sources file at `path` (named in the errors)."""
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceConfigError(f"cannot read webhook sources from {path}: {exc}") from None
    try:
        return parse_sources(data)
    except SourceConfigError as exc:
        raise SourceConfigError(f"{path}: {exc}") from None


def _describe(exc: ValidationError) -> str:
    # Without the input values: they may be secrets.
    return "; ".join(
        f"field '{_field(err['loc'])}': {err['msg'].removeprefix('Value error, ')}"
        for err in exc.errors(include_url=False, include_input=False, include_context=False)
    )


def _field(loc: tuple[int | str, ...]) -> str:
    # Pydantic puts the union's tag after `verification` (verification.github.secrets); the
    # reader wrote verification.secrets.
    parts = [*loc[:1], *loc[2:]] if loc[:1] == ("verification",) else list(loc)
    return ".".join(str(p) for p in parts) or "(table)"
