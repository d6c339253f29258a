# One image for both services; compose picks the command.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src src
COPY shared shared
COPY services services
COPY scripts scripts
COPY .chainlit .chainlit
# With the history extra: the demo chat keeps thread history by default (HERALD_DATA_LAYER_URL).
RUN pip install --no-cache-dir '.[history]'
ENV PYTHONUNBUFFERED=1
