"""Herald: a bus that carries events from outside systems into the right live Chainlit chats.

- `herald.notifier`: the HTTP edge (FastAPI) that takes events and webhooks and publishes them.
- `herald.chat`: the Chainlit side that consumes them and shows them in the right tabs.
- `herald.contract`: what both sides agree on: the event, the AMQP topology and the settings.

In the repository these live in services/notifier, services/chat and shared/; src/herald links them in.
"""
