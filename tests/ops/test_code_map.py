"""README's code map names every module of the package, so that a newcomer finds each one."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _code_map() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("```\norgscan/\n")
    return readme[start : readme.index("```", start + 3)]


def test_the_readme_code_map_names_every_module() -> None:
    code_map = _code_map()
    modules = sorted(
        path.relative_to(ROOT / "orgscan") for path in (ROOT / "orgscan").rglob("*.py")
    )
    # A package's __init__.py is named by its folder; every other file by its own name.
    missing = [
        str(module)
        for module in modules
        if module.name not in code_map
        and not (module.name == "__init__.py" and f"{module.parent}/" in code_map)
    ]
    assert missing == []
    folders = sorted({str(module.parent) for module in modules} - {"."})
    assert [folder for folder in folders if f"  {folder.split('/')[-1]}/" not in code_map] == []
