# syntax=docker/dockerfile:1
# ln-cds: the CDS Hooks service under gunicorn, as a non-root user (docs/deployment.md).
# Build: docker build -t ln-cds:local .    Run: see compose.yaml (the service and PostgreSQL).

# --- build: the package and its dependencies into a virtual environment -----------------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
# Only what the package ships (pyproject's include list): the runtime layers, not tests, demo or fixtures.
COPY pyproject.toml README.md ./
COPY service ./service
COPY hooks ./hooks
COPY fhir_maps ./fhir_maps
# PostgreSQL through psycopg 3 (the `postgres` extra): a deployment keeps its store there, not in the image.
RUN /opt/venv/bin/pip install --no-cache-dir ".[postgres]"

# --- runtime: the same base, the venv, the gunicorn configuration, nothing else --------------------------
FROM python:3.11-slim AS runtime
LABEL org.opencontainers.image.title="ln-cds" \
      org.opencontainers.image.description="CDS Hooks 2.0 service: lupus nephritis treatment response" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 ln-cds \
 && useradd --system --uid 10001 --gid ln-cds --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin ln-cds
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The one gunicorn configuration (issue 11): workers, threads, timeouts, drain and access-log format come from
# the same CDS_* settings as the app; it takes the metrics and drain hooks from service/gunicorn_hooks.py.
COPY gunicorn.conf.py ./
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CDS_HOST=0.0.0.0 \
    CDS_PORT=8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/ln-cds-metrics
USER 10001:10001
EXPOSE 8000
# Liveness only (the process answers); readiness (/readyz) is for the orchestrator's load balancing.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('CDS_PORT', '8000'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2).status == 200 else 1)"]
CMD ["gunicorn", "--config", "gunicorn.conf.py"]
