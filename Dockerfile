# One image for both services; compose picks the command (`python -m herald.notifier`, `python -m herald.chat`).
# The first stage builds Herald's wheel from the checkout's layout (src/herald links services/ and shared/
# in, services/chat/dot_chainlit links .chainlit/config.toml); the image holds only the installed package,
# as `pip install` of the wheel gives any user (tests/e2e/test_wheel_install.py checks that wheel).
FROM python:3.11-slim AS wheel
WORKDIR /build
COPY pyproject.toml README.md LICENSE ./
COPY src src
COPY shared shared
COPY services services
COPY .chainlit/config.toml .chainlit/config.toml
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
COPY --from=wheel /wheels /wheels
# With the history extra: the demo chat keeps thread history by default (HERALD_DATA_LAYER_URL).
RUN pip install --no-cache-dir "$(ls /wheels/*.whl)[history]" && rm -r /wheels
# The chat's working directory: Chainlit keeps .chainlit/ and uploads here, and the demo app gets
# Herald's Chainlit settings written into it on its first start.
WORKDIR /app
ENV PYTHONUNBUFFERED=1
