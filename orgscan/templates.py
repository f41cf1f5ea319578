"""Where the jinja2 templates live, and the one autoescaping environment that renders them.

In a source checkout (and an editable install) the templates are the repository's
``report_templates/`` folder next to the package. A regular install ships the same files as
data files under ``<prefix>/share/orgscan/report_templates`` (see ``pyproject.toml``).
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from orgscan.wording import plural

TEMPLATES_FOLDER = "report_templates"


def template_dirs() -> list[Path]:
    """The places the templates may be, in the order they are tried."""
    return data_dirs(TEMPLATES_FOLDER)


def data_dirs(folder: str) -> list[Path]:
    """Where a repository folder shipped as data (``report_templates``, ``configs``) may be, in
    the order tried: the source checkout, then ``<prefix>/share/orgscan/`` of an install."""
    source_checkout = Path(__file__).resolve().parents[1] / folder
    installed = [
        Path(sysconfig.get_path("data", scheme)) / "share" / "orgscan" / folder
        for scheme in _install_schemes()
    ]
    return [source_checkout, *installed]


def _install_schemes() -> list[str]:
    default = sysconfig.get_default_scheme()
    user = sysconfig.get_preferred_scheme("user")
    return list(dict.fromkeys([default, user]))


def template_dir() -> Path:
    """The first existing templates folder; ``FileNotFoundError`` names every place tried."""
    candidates = template_dirs()
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    tried = ", ".join(str(path) for path in candidates)
    raise FileNotFoundError(f"orgscan's templates are not installed (looked in {tried})")


def environment(folder: Path | None = None) -> jinja2.Environment:
    """A jinja2 environment over ``folder`` (default: ``template_dir()``), autoescape always on.

    Every name, ARN and message in a report comes from AWS and may contain markup.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder or template_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Every template counts in the same words: "1 trail", "2 trails", never "trail(s)".
    env.globals["plural"] = plural
    env.filters["breakable"] = breakable
    return env


def breakable(text: object) -> Markup:
    """``text`` escaped, with a line-break opportunity (``<wbr>``) after each ``:`` and ``/``:
    an ARN wraps between its parts, never in the middle of a name."""
    return Markup(str(escape(text)).replace(":", ":<wbr>").replace("/", "/<wbr>"))
