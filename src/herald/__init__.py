"""Herald: a bus that carries events from outside systems into the right live Chainlit chats.

- `herald.notifier`: the HTTP edge (FastAPI) that takes events and webhooks and publishes them.
- `herald.chat`: the Chainlit side that consumes them and shows them in the right tabs.
- `herald.contract`: what both sides agree on: the event, the AMQP topology and the settings.

In the repository these live in services/notifier, services/chat and shared/; src/herald links them in.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("herald")  # pyproject.toml's, as installed: one place to change it
except PackageNotFoundError:  # a source tree put on sys.path by hand, never installed
    __version__ = "0+unknown"
