"""Typed per-service settings read from `CDS_*` variables: the base class every service's config extends.

A service declares a `pydantic_settings.BaseSettings` subclass of `EnvConfig`, one field per variable, with the
variable names as `validation_alias` (an `AliasChoices` lists the current name first and older names after it:
the first one set wins). `from_env(env)` reads only the mapping it is given (never `os.environ` behind the
caller's back: the app factory passes the environment, tests pass a dict), treats a blank value as unset, and
turns a validation failure into `ConfigError("<VARIABLE>: <what it accepts>")`, so startup stops naming it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Self

from pydantic import AliasChoices, BeforeValidator, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from hooks.spec import ConfigError

_TRUE = frozenset({"on", "true", "1"})
_FALSE = frozenset({"off", "false", "0"})


def parse_switch(raw: Any) -> bool:
    """Returns the switch `raw` (on/off/true/false/1/0, any case); raises ValueError naming what it accepts."""
    if isinstance(raw, bool):
        return raw
    value = str(raw).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not a switch; use one of on, off, true, false, 1, 0")


Switch = Annotated[bool, BeforeValidator(parse_switch)]
"""An on/off variable: on, off, true, false, 1 or 0; pydantic's wider bool set (yes, y, t...) is not accepted."""


class _Given(Mapping[str, str]):
    """The caller's environment as the env source sees it: `CDS_*` names only, values stripped, blank = unset."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def get(self, key: str, default: Any = None) -> Any:
        if not key.startswith("CDS_"):  # pydantic also looks fields up by their Python name: not a variable
            return default
        raw = self._env.get(key)
        return default if raw is None or not raw.strip() else raw.strip()

    def __getitem__(self, key: str) -> str:
        value: str | None = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (key for key in self._env if self.get(key) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class EnvConfig(BaseSettings):
    """Base of a service's own settings; subclasses add fields with `validation_alias` = their variable names."""

    model_config = SettingsConfigDict(frozen=True, case_sensitive=True, extra="ignore", validate_by_name=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Returns the init arguments only: a config built in code never reads `os.environ` (`from_env` does)."""
        return (init_settings,)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        """Returns the config read from `env`; raises ConfigError naming the first bad variable."""
        given = _Given(env)
        source = EnvSettingsSource(cls, case_sensitive=True)
        source.env_vars = given  # the given mapping, not os.environ
        try:
            return cls(_build_sources=((source,), {}))
        except ValidationError as exc:
            error = exc.errors()[0]
            cause = error.get("ctx", {}).get("error")
            name = cls._variable_set(str(error["loc"][0]), given)
            raise ConfigError(f"{name}: {cause if cause is not None else error['msg']}") from None

    @classmethod
    def _variable_set(cls, reported: str, given: Mapping[str, str]) -> str:
        """Returns the variable that actually held the bad value (pydantic reports a field's first name)."""
        for info in cls.model_fields.values():
            alias = info.validation_alias
            names = [str(n) for n in alias.choices] if isinstance(alias, AliasChoices) else [str(alias)]
            if reported in names:
                return next((n for n in names if given.get(n) is not None), reported)
        return reported
