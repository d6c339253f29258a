"""Herald in a Chainlit app mounted inside your own FastAPI app.

Chainlit's own lifespan does not run when it is mounted, so Herald's delivery runs in the parent
app's lifespan instead, and Herald's health endpoints are the parent's too (/herald/healthz,
/herald/readyz). Run it with `uvicorn examples.mounted_chat:app`; the chat is at /chat.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from chainlit.utils import mount_chainlit
from fastapi import FastAPI

from herald.chat import health, running
from herald.chat.server import DEFAULT_APP  # Herald's demo app, as installed


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with running():
        yield


app = FastAPI(lifespan=lifespan)
app.include_router(health.router)


@app.get("/")
async def home() -> dict[str, str]:
    return {"chat": "/chat"}


mount_chainlit(app, target=str(DEFAULT_APP), path="/chat")
