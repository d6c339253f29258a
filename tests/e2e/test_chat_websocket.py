"""The chat's websocket as a browser meets it: per-message deflate is refused unless asked for.

Browsers offer per-message deflate, and a server that accepts keeps a zlib compressor (~256 KiB) for
the life of each tab (see services/chat/server.py). The python-socketio clients of the other tests
never offer it, so only a client that does can tell what a browser gets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from tests.support import processes
from tests.support.processes import Service

pytestmark = pytest.mark.e2e


@pytest.fixture
def chat_with_deflate(amqp_url: str, users_file: Path, workdir: Path) -> Iterator[Service]:
    with processes.chat(amqp_url, users_file, workdir, name="chat-deflate",
                        env={"UVICORN_WS_PER_MESSAGE_DEFLATE": "true"}) as service:
        yield service


async def negotiated_extensions(chat: Service) -> str | None:
    """Open the socket.io websocket offering per-message deflate, as a browser does; what was agreed."""
    url = chat.url.replace("http://", "ws://") + "/ws/socket.io/?EIO=4&transport=websocket"
    async with connect(url, compression="deflate") as socket:
        opened = await asyncio.wait_for(socket.recv(), timeout=10)
        assert isinstance(opened, str) and opened.startswith("0{"), opened  # engine.io's open packet
        return socket.response.headers.get("Sec-WebSocket-Extensions")


async def test_a_browser_offering_deflate_gets_plain_frames(chat: Service) -> None:
    assert await negotiated_extensions(chat) is None


async def test_deflate_is_agreed_when_the_deployment_asks_for_it(chat_with_deflate: Service) -> None:
    agreed = await negotiated_extensions(chat_with_deflate)
    assert agreed is not None and agreed.startswith("permessage-deflate")
