"""The options of ``orgscan scan``, defined once for every command that takes them.

``orgscan scan`` and ``orgscan config show`` accept the same options with the same meaning;
``with_scan_options`` adds them to a command, which then receives one ``ScanOptions``. Each
option is read from its setting's declaration (``orgscan.config.settings``): named after its
config-file key (``--role-name`` is ``role_name``), so the values go to ``build_settings`` as
they are, with the setting's help, panel and default.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from orgscan.cli.panels import choices
from orgscan.config.choices import Panel
from orgscan.config.declaration import Setting
from orgscan.config.loading import default_text
from orgscan.config.settings import SETTINGS

if TYPE_CHECKING:
    from orgscan.config import ScanSettings

R = TypeVar("R")

# Help texts escape "[": typer renders help as rich markup, which drops "[default: ...]".
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", metavar="FILE", help="TOML config file: the defaults of every option below."
    ),
]


def _annotation(key: str, setting: Setting) -> Any:
    """The typer annotation of ``setting``'s option, read from its declaration."""
    option = setting.option
    assert option is not None
    declarations = [option.declaration or f"--{key.replace('_', '-')}"]
    if option.short:
        declarations.append(option.short)
    default = default_text(key)
    extra: dict[str, Any] = {}
    if option.flag:
        # metavar="" on flags: typer would show their Python type (<bool>) as if they took a value.
        extra = {"metavar": "", "show_default": False}
    elif isinstance(option.type, type) and issubclass(option.type, StrEnum):
        extra = {"metavar": choices(option.type), "case_sensitive": False}
    else:
        extra = {"metavar": option.metavar}
    return Annotated[
        option.type | None,
        typer.Option(
            *declarations,
            rich_help_panel=option.panel.value,
            help=setting.help + (f"  \\[default: {default}]" if default else ""),
            **extra,
        ),
    ]


# Every setting that has an option: its parameter name (the config key) and typer annotation.
# Panels in Panel's order (--help shows a panel where its first option is), settings' order within.
_OPTIONS: dict[str, Any] = {
    key: _annotation(key, setting)
    for key, setting in sorted(
        ((key, setting) for key, (_, setting) in SETTINGS.items() if setting.option is not None),
        key=lambda item: list(Panel).index(item[1].option.panel),  # type: ignore[union-attr]
    )
}


@dataclass(frozen=True)
class ScanOptions:
    """The shared options as given: the config file, and the other values by config key
    (None when the option was not given)."""

    config: Path | None
    values: dict[str, Any]

    def settings(self) -> ScanSettings:
        """The effective settings: defaults < config file < command line, validated."""
        from orgscan.config import build_settings, read_config_file

        file_values = read_config_file(self.config) if self.config is not None else None
        return build_settings(file_values, self.values, source=f"config file {self.config}")


def with_scan_options(command: Callable[..., R]) -> Callable[..., R]:
    """Give ``command`` every option of ``orgscan scan``, passed in as its first argument
    (a ``ScanOptions``); the command's own options follow the shared ones in ``--help``."""
    return _with_options(command, {"config": ConfigOpt, **_OPTIONS}, shared_first=True)


def with_some_scan_options(*keys: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Like ``with_scan_options``, with only the options ``keys`` (no ``--config``), listed
    after the command's own options."""
    chosen = {key: _OPTIONS[key] for key in keys}

    def decorate(command: Callable[..., R]) -> Callable[..., R]:
        return _with_options(command, chosen, shared_first=False)

    return decorate


def _with_options(
    command: Callable[..., R], options: dict[str, Any], *, shared_first: bool
) -> Callable[..., R]:
    own = list(inspect.signature(command, eval_str=True).parameters.values())[1:]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
        for name, annotation in options.items()
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> R:
        given = {name: kwargs.pop(name, None) for name in options}
        config = given.pop("config", None)
        # An unused repeatable option arrives as []: not given, as any other.
        given = {name: value if value != [] else None for name, value in given.items()}
        return command(ScanOptions(config=config, values=given), **kwargs)

    mine = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
    parameters = [*shared, *mine] if shared_first else [*mine, *shared]
    # typer reads the signature; the annotations must match it (functools.wraps copied them).
    wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper
