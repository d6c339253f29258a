"""Herald's chat side: delivery of events into the live tabs of a Chainlit app.

An app embeds it with `from herald.chat import attach; attach()` (or `running()` in a parent app's
lifespan, and `is_live()` / `wait_live()` to tell its users when notifications are delayed), and
with history calls `await restore_notifications(thread)` in its `@cl.on_chat_resume`.

Those five are loaded on first use (PEP 562), not when `herald.chat` is imported: they live in
`herald.chat.delivery`, which imports Chainlit, and Chainlit reads its config (.chainlit/config.toml)
from the working directory when first imported. `python -m herald.chat` must import it only once it
is set to serve, and `python -m herald.chat.users` never needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from herald.chat.delivery import attach, is_live, restore_notifications, running, wait_live

__all__ = ["attach", "is_live", "restore_notifications", "running", "wait_live"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from herald.chat import delivery

        return getattr(delivery, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
