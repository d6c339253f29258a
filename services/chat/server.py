"""Serving a Chainlit app Herald's way: `python -m herald.chat [APP] --host H --port P`.

`chainlit run` imports nest_asyncio, which swaps asyncio's C tasks and futures for the pure-Python ones
and runs a Python event loop, so that an app may re-enter the running loop (`cl.run_sync`). Herald
never does, and on a replica that relays and renders thousands of events a second that costs most of
its CPU (see docs/benchmarks.md). This does what `chainlit run --headless` does to start an app (load
the module, check the JWT secret, write chainlit.md if missing) and serves it with uvicorn on uvloop.
An app that needs `cl.run_sync` inside handlers can still use `chainlit run`: Herald works under both.

It also gives CPython's garbage collector a larger young generation (shared/gc_thresholds.py) and
glibc fewer malloc arenas (`_fewer_malloc_arenas`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import logging.config
import os
import sys
from pathlib import Path

import uvicorn
import uvloop

from herald.chat import chainlit_project
from herald.contract.gc_thresholds import use_serving_thresholds
from herald.contract.logs import logging_config
from herald.contract.root_path import parse_root_path

DEFAULT_APP = Path(__file__).with_name("app.py")


def serve(app_path: Path, host: str, port: int, root_path: str = "") -> None:
    if app_path == DEFAULT_APP:
        chainlit_project.provide_missing(chainlit_project.app_root())
    # Imported here: Chainlit reads its config from the working directory when first imported.
    from chainlit.config import config, load_module

    # As `chainlit run --root-path` does: chainlit.server reads the root path once, on import, for its
    # routes and socket path; the page (asset links, og:root_path) reads the variable (docs/deploy.md).
    config.run.root_path = os.environ["CHAINLIT_ROOT_PATH"] = root_path
    from chainlit.auth import ensure_jwt_secret
    from chainlit.markdown import init_markdown
    from chainlit.server import app

    if not app_path.is_file():
        sys.exit(f"herald chat: no Chainlit app at {app_path}")
    config.run.headless = True
    config.run.host, config.run.port = host, port
    config.run.module_name = str(app_path)
    load_module(config.run.module_name)
    ensure_jwt_secret()
    if not (config.code.on_chat_start or config.code.on_message or config.code.on_audio_chunk):
        sys.exit(f"herald chat: {app_path} defines no Chainlit chat hook (on_chat_start or on_message)")
    init_markdown(config.root)
    # The websocket settings `chainlit run` reads from the environment, with Herald's defaults, which
    # differ from Chainlit's because a replica holds thousands of mostly idle tabs (docs/benchmarks.md,
    # figure #5):
    # - per-message deflate off: browsers negotiate it, and the server then keeps a zlib compressor
    #   (~256 KiB) for the life of each tab once it has sent it anything. Measured with Chromium, 80
    #   tabs: 385 KiB per tab with it, 162 KiB without. Herald's messages are a few hundred bytes.
    # - wsproto rather than uvicorn's "auto" (websockets' sans-I/O implementation): ~3 KiB less per tab
    #   (71.5-71.8 against 68.6-68.9 KiB in figure #5), with the same broadcast times and CPU.
    # Both queues each tab holds (uvicorn's websocket events, engine.io's packets) are the libraries' own
    # asyncio.Queue: a hand-written lean queue saved 3-8 % of figure #5, too little for a subclass of
    # uvicorn's private WSProtocol (docs/benchmarks.md, "What the optimisations buy").
    deflate = os.environ.get("UVICORN_WS_PER_MESSAGE_DEFLATE", "false").lower() in ("true", "1", "yes")
    ws = os.environ.get("UVICORN_WS_PROTOCOL", "wsproto")
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, loop="none", http="httptools", ws=ws,
                                           ws_per_message_deflate=deflate, log_config=None, access_log=False))
    uvloop.run(_serve(server))


async def _serve(server: uvicorn.Server) -> None:
    serving = asyncio.ensure_future(server.serve())
    # uvicorn only looks at its exit flag once started, and an app's startup may take long (Herald's no
    # longer waits for the broker, but the embedding app's lifespan may wait for its own services): a
    # SIGTERM or Ctrl-C in the meantime would be ignored until SIGKILL. uvicorn has no hook for that,
    # so the flag is polled until the server has started.
    while not server.started and not serving.done():
        if server.should_exit:
            serving.cancel()  # asyncio then cancels the startup still waiting, and the process ends
            break
        await asyncio.sleep(0.2)
    with contextlib.suppress(asyncio.CancelledError):
        await serving


# glibc's mallopt parameter for the most malloc arenas (malloc.h).
M_ARENA_MAX = -8


def _fewer_malloc_arenas() -> None:
    """At most two glibc malloc arenas, as MALLOC_ARENA_MAX=2 would set before the start.

    glibc gives threads that allocate at the same time arenas of their own, up to eight per core, and
    freed memory stays in each. A replica's threads are those Chainlit and Starlette read files in,
    such as the frontend's assets each browser tab loads: with 40 Chromium tabs the replica grew by
    197-215 KiB a tab, and by 130-172 KiB with two arenas (docs/benchmarks.md, figure #5). Nothing
    happens where the C library is not glibc.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m herald.chat", description=__doc__.splitlines()[0])
    parser.add_argument("app", nargs="?", type=Path, default=DEFAULT_APP, help=f"default {DEFAULT_APP}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--root-path", type=parse_root_path, default=os.environ.get("CHAINLIT_ROOT_PATH", ""),
                        help="the path prefix a reverse proxy serves the chat under, e.g. /chat (docs/deploy.md); "
                             "default CHAINLIT_ROOT_PATH, as for `chainlit run`")
    args = parser.parse_args(argv)
    logging.config.dictConfig(logging_config("info"))
    use_serving_thresholds()
    _fewer_malloc_arenas()
    serve(args.app, args.host, args.port, args.root_path)

