"""`--root-path` of the chat and the notifier: the prefix in the one form Chainlit and uvicorn join paths to
(docs/deploy.md)."""

from __future__ import annotations

import pytest

from herald.chat.server import main
from herald.contract.root_path import parse_root_path

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("given", "taken"), [("/chat", "/chat"), ("/chat/", "/chat"), ("/a/b//", "/a/b"),
                                              ("/", ""), ("", "")])
def test_a_root_path_loses_its_trailing_slashes(given: str, taken: str) -> None:
    assert parse_root_path(given) == taken


def test_a_root_path_without_its_leading_slash_is_refused_before_anything_starts(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--root-path", "chat"])
    assert exited.value.code == 2
    assert "a root path starts with /, not 'chat'" in capsys.readouterr().err
