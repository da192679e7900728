# The pipeline image used by every Airflow service of docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    CSC_HOME=/var/lib/csc

RUN apt-get update \
 && apt-get install -y --no-install-recommends curl libpq5 \
 && rm -rf /var/lib/apt/lists/* \
 && pip install --no-cache-dir uv==0.13.9 \
 && useradd --create-home --uid 50000 airflow

WORKDIR /opt/csc
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-default-groups --extra celery --no-install-project
COPY include ./include
COPY dags ./dags
COPY dbt_project ./dbt_project
COPY expectations ./expectations
COPY config ./config
RUN uv sync --frozen --no-default-groups --extra celery \
 && mkdir -p /var/lib/csc && chown -R airflow /var/lib/csc /opt/csc/dbt_project

USER airflow
