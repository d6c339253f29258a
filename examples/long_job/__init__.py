"""The long-job pattern: a Chainlit chat hands slow work to a worker, which reports back into the very
conversation that asked for it through Herald's notifier.

- `app.py`: the Chainlit app (Herald attached, Herald's login). A message `job` (or the button) puts a
  job request on a RabbitMQ queue and answers at once; the chat's event loop never runs the job.
- `jobs.py`: the job request (user, session id, thread id) and the queue both sides use.
- `worker.py`: a plain asyncio process that takes the requests, does the work off its own loop, and
  POSTs progress and the result to the notifier for that user's session.
- `notifier_client.py`: those POSTs, retried while the notifier answers 503 or 429 or is away.
"""
