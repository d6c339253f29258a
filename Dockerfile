# One image for both services; compose picks the command.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src src
COPY shared shared
COPY services services
COPY scripts scripts
COPY .chainlit .chainlit
RUN pip install --no-cache-dir .
ENV PYTHONUNBUFFERED=1
