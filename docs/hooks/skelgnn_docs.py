"""MkDocs hook: pages generated from the package itself at build time, so they cannot drift from the code.

* ``<!-- cli-reference -->`` in a page becomes the ``--help`` text of ``skelgnn`` and of every subcommand,
  taken from the argparse parser that the ``skelgnn`` command runs.
* ``<!-- api-index -->`` becomes a list of the package's public modules and subpackages, each linked to an
  API page ``api/<name>.md`` that this hook adds and that mkdocstrings fills from the docstrings.

The module list is read from the source tree (``src/skelgnn``), so the pages follow the package layout.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "skelgnn"
CLI_MARK = "<!-- cli-reference -->"
API_MARK = "<!-- api-index -->"


# --- command line -----------------------------------------------------------------------------------

def _find_parser() -> argparse.ArgumentParser:
    """The parser of the ``skelgnn`` command (the function ``_parser`` of ``skelgnn.cli`` or a submodule)."""
    cli = importlib.import_module("skelgnn.cli")
    candidates = [cli]
    if hasattr(cli, "__path__"):  # skelgnn.cli is a package: look in its modules too
        import pkgutil
        candidates += [importlib.import_module(f"skelgnn.cli.{m.name}")
                       for m in pkgutil.iter_modules(cli.__path__) if m.name != "__main__"]  # that one runs
    for mod in candidates:
        for name in ("_parser", "build_parser", "make_parser", "parser"):
            fn = getattr(mod, name, None)
            if callable(fn):
                p = fn()
                if isinstance(p, argparse.ArgumentParser):
                    return p
    raise RuntimeError("skelgnn docs: no argparse parser found in skelgnn.cli")


def _subcommands(parser: argparse.ArgumentParser):
    for action in parser._actions:  # argparse keeps subparsers only here
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield name, helps.get(name) or "", sub


def _cli_markdown() -> str:
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal width: fix it for a stable page
    root = _find_parser()
    out = ["## skelgnn", "", "```text", root.format_help().rstrip(), "```", ""]

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for name, summary, sub in _subcommands(parser):
            title = f"{prefix} {name}"
            out.extend([f"## {title}", ""])
            if summary:
                out.extend([summary[0].upper() + summary[1:] + ".", ""])
            out.extend(["```text", sub.format_help().rstrip(), "```", ""])
            walk(sub, title)

    walk(root, "skelgnn")
    return "\n".join(out)


# --- Python API -------------------------------------------------------------------------------------

def _public_entries() -> list[tuple[str, bool, str]]:
    """(name, is_package, first docstring line) of every public module and subpackage of skelgnn."""
    entries = []
    for path in sorted(PACKAGE.iterdir()):
        if path.name.startswith("_"):
            continue
        if path.is_dir() and (path / "__init__.py").is_file():
            name, source, pkg = path.name, path / "__init__.py", True
        elif path.suffix == ".py":
            name, source, pkg = path.stem, path, False
        else:
            continue
        doc = ast.get_docstring(ast.parse(source.read_text(encoding="utf-8"))) or ""
        first = doc.strip().split("\n\n")[0].replace("\n", " ").strip()
        entries.append((name, pkg, first))
    return entries


def _api_page(name: str, pkg: bool) -> str:
    options = "\n".join([
        "    options:",
        f"      show_submodules: {'true' if pkg else 'false'}",
    ])
    return f"# skelgnn.{name}\n\n::: skelgnn.{name}\n{options}\n"


def _api_index() -> str:
    lines = ["| module | what it holds |", "|---|---|"]
    for name, pkg, first in _public_entries():
        kind = " (package)" if pkg else ""
        lines.append(f"| [`skelgnn.{name}`]({name}.md){kind} | {first.replace('|', '/')} |")
    return "\n".join(lines)


# --- hooks --------------------------------------------------------------------------------------------

def on_config(config):
    """The Python API section of the navigation lists the generated pages, one per module or subpackage."""
    nav = config.get("nav") or []
    for i, item in enumerate(nav):
        if isinstance(item, dict) and item.get("Python API") == "api/index.md":
            pages = [{f"skelgnn.{name}": f"api/{name}.md"} for name, _, _ in _public_entries()]
            nav[i] = {"Python API": [{"Overview": "api/index.md"}, *pages]}
    return config


def on_files(files, config):
    for name, pkg, _ in _public_entries():
        uri = f"api/{name}.md"
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=_api_page(name, pkg)))
    return files


def on_page_markdown(markdown, page, config, files):
    if CLI_MARK in markdown:
        markdown = markdown.replace(CLI_MARK, _cli_markdown())
    if API_MARK in markdown:
        markdown = markdown.replace(API_MARK, _api_index())
    return markdown
