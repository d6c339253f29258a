"""What the notifier and the chat instances must agree on: the event contract, the AMQP topology and settings."""
