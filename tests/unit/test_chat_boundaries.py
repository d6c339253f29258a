"""Only the chat's adapter modules, its demo app and its launcher name Chainlit, python-socketio,
python-engineio or uvicorn: the rest of services/chat reaches the chat through the tabs port
(services/chat/tabs.py), so a library upgrade touches the adapters and their contract tests only.

The same search as issue #16's acceptance:
`grep -rn "from chainlit\\|import chainlit\\|socketio\\|engineio\\|uvicorn" services/chat`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import herald.chat

pytestmark = pytest.mark.unit

LIBRARIES = re.compile(r"from chainlit|import chainlit|socketio|engineio|uvicorn")
CHAT = Path(herald.chat.__file__).parent

ALLOWED = {
    "chainlit_tabs.py": "the port on Chainlit and python-socketio (tests/unit/test_chainlit_contract.py)",
    "socket_liveness.py": "python-engineio's pings and pongs, the proof that a tab read an emit "
                          "(tests/unit/test_socket_liveness.py)",
    "server.py": "the launcher: serves a Chainlit app with uvicorn",
    "app.py": "the demo app, a plain Chainlit app",
    "login.py": "the demo app's login, Chainlit's auth callbacks",
    "history.py": "the demo app's thread history: Chainlit's SQLAlchemy data layer, its tables made first "
                  "through its `execute_sql` (tests/unit/test_history.py)",
}


def test_only_adapters_the_demo_and_the_launcher_name_the_chat_libraries() -> None:
    naming = {path.name: [number for number, line in enumerate(path.read_text().splitlines(), 1)
                          if LIBRARIES.search(line)]
              for path in sorted(CHAT.rglob("*.py"))}
    strays = {name: lines for name, lines in naming.items() if lines and name not in ALLOWED}
    assert not strays, (f"these modules of services/chat name Chainlit, python-socketio, python-engineio or uvicorn "
                        f"at the lines given; go through the tabs port (tabs.py) or move the code into an "
                        f"adapter: {strays}")
    assert all(name in naming for name in ALLOWED), "an allowed module is gone: update ALLOWED"
