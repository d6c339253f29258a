"""The long-job chat: `python -m herald.chat examples/long_job/app.py` (from the checkout's root).

A message `job` (or `job 8`, for 8 steps), or the button under the greeting, queues a slow job for
the worker (worker.py) and answers at once. The job never runs here: this process serves every tab's
socket on one event loop, and a job on it would freeze them all. The request carries where to report
back: the user, this tab's session id and its thread id, read from Chainlit's context. Any other
message is echoed, so you can see the chat answer while the job runs.
"""

from __future__ import annotations

import uuid

import chainlit as cl

from examples.long_job.jobs import MAX_STEPS, JobQueue, JobRequest
from herald.chat.config import ChatSettings
from herald.chat.delivery import attach
from herald.chat.login import install_login

DEFAULT_STEPS = 5

settings = ChatSettings()
install_login(settings)
attach(settings)
jobs = JobQueue(settings.amqp_url)


@cl.on_app_shutdown
async def close_job_queue() -> None:
    await jobs.close()


async def start_job(steps: int) -> None:
    session = cl.context.session
    if session.user is None:  # the app has a login, so a tab without a user is not one of ours
        return
    request = JobRequest(job=uuid.uuid4().hex, user=session.user.identifier, session=session.id,
                         thread=session.thread_id, steps=max(1, min(steps, MAX_STEPS)))
    try:
        await jobs.submit(request)
    except Exception as exc:  # the broker is away or refused it: say so, and keep chatting
        await cl.Message(content=f"The job could not be queued ({type(exc).__name__}); try again shortly.").send()
        return
    await cl.Message(content=f"Job `{request.job[:8]}` queued: {request.steps} steps. Its progress and result "
                             "will appear in this conversation; keep chatting meanwhile.",
                     metadata={"job": request.job}).send()


@cl.on_chat_start
async def greet() -> None:
    start = cl.Action(name="start_job", payload={"steps": DEFAULT_STEPS}, label="Start a slow job")
    await cl.Message(content="Type `job` (or `job 8`) or press the button to start a slow job.",
                     actions=[start]).send()


@cl.action_callback("start_job")
async def start_from_button(action: cl.Action) -> None:
    steps = action.payload.get("steps")
    await start_job(steps if isinstance(steps, int) else DEFAULT_STEPS)


@cl.on_message
async def answer(message: cl.Message) -> None:
    words = message.content.split()
    if words and words[0].lower() == "job":
        await start_job(int(words[1]) if len(words) > 1 and words[1].isdigit() else DEFAULT_STEPS)
        return
    await cl.Message(content=f"You said: {message.content}").send()
