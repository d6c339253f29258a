"""The `herald` package's own surface: its version, the lazy `herald.chat` exports, and the demo's Chainlit
files it carries. Imports are checked in fresh interpreters: this process has imported everything already."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from herald.chat import chainlit_project
from tests.support.processes import ROOT

pytestmark = pytest.mark.unit

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def python(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_version_is_pyprojects() -> None:
    assert python("-m", "herald", "--version") == f"herald {VERSION}"
    assert python("-c", "import herald; print(herald.__version__)") == VERSION


def test_herald_chat_imports_without_chainlit() -> None:
    """Chainlit reads .chainlit/ from the working directory when first imported: not before an app serves."""
    assert python("-c", "import sys, herald.chat, herald.chat.users; print('chainlit' in sys.modules)") == "False"


def test_the_delivery_api_is_exported_lazily_from_herald_chat() -> None:
    same = python("-c", "import sys, herald.chat, herald.chat.delivery as d\n"
                  "names = ('attach', 'running', 'is_live', 'wait_live', 'restore_notifications')\n"
                  "print(all(getattr(herald.chat, n) is getattr(d, n) for n in names), sorted(herald.chat.__all__))")
    assert same == "True ['attach', 'is_live', 'restore_notifications', 'running', 'wait_live']"


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    import herald.chat

    with pytest.raises(AttributeError, match="no_such_name"):
        herald.chat.no_such_name  # noqa: B018


def test_the_package_is_marked_typed() -> None:
    assert (ROOT / "src" / "herald" / "py.typed").is_file()


def test_the_demos_chainlit_files_are_written_where_missing(tmp_path: Path) -> None:
    written = chainlit_project.provide_missing(tmp_path)
    shipped = sorted([ROOT / ".chainlit" / "config.toml", *(ROOT / ".chainlit" / "translations").glob("*.json")])
    assert len(shipped) > 20  # the translations too (dot_chainlit/translations is a link to a directory)
    assert written == [tmp_path / path.relative_to(ROOT) for path in shipped]
    assert all((tmp_path / path.relative_to(ROOT)).read_text() == path.read_text() for path in shipped)


def test_an_operators_chainlit_files_are_kept(tmp_path: Path) -> None:
    config = tmp_path / ".chainlit" / "config.toml"
    config.parent.mkdir()
    config.write_text("[UI]\nname = 'Ours'\n")
    ours = config.parent / "translations" / "en-US.json"
    ours.parent.mkdir()
    ours.write_text("{}")
    written = chainlit_project.provide_missing(tmp_path)
    assert config not in written and ours not in written and written  # the missing ones only
    assert config.read_text() == "[UI]\nname = 'Ours'\n" and ours.read_text() == "{}"
