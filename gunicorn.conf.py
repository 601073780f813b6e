"""The one gunicorn configuration: `make serve`, `make demo`, `make soak` and the container all run with it.

Values come from the same `CDS_*` settings as the app (service/settings.py, .env.example), so one environment
configures both. docs/serving.md explains the worker model (gthread + DeadlineThreadWorker, measured against sync
and gevent) and the reverse-proxy advice for larger deployments. Run: gunicorn -c gunicorn.conf.py
The server hooks come from service/gunicorn_hooks.py: prometheus_client's multiprocess folder (so /metrics sums
every worker) and readiness turning false on SIGTERM. The app is never preloaded in the master (see there).
"""

import math

from service.gunicorn_hooks import child_exit, on_exit, on_starting, post_worker_init  # noqa: F401  # server hooks
from service.settings import Settings

_settings = Settings.from_env()  # a bad CDS_* value stops gunicorn here, naming the variable
_host = f"[{_settings.host}]" if ":" in _settings.host else _settings.host

wsgi_app = "service.app:create_app()"
bind = [f"{_host}:{_settings.port}"]
worker_class = "service.serving.DeadlineThreadWorker"  # gthread + request read deadline + clean drain
workers = _settings.workers
threads = _settings.threads
worker_connections = _settings.max_connections
keepalive = 5
timeout = 60  # heartbeat: a worker whose main loop stalls this long is replaced (calls end within the budget)
graceful_timeout = math.ceil(
    _settings.drain_seconds
)  # SIGTERM: in-flight calls get this long, new connections are refused

# Request limits sit above the app's own (CDS_MAX_HEADER_BYTES, 100 fields) so the app answers with a 431
# OperationOutcome; what gunicorn still refuses itself is answered as an OperationOutcome too (service.serving).
limit_request_line = 8190
limit_request_fields = 200
limit_request_field_size = 2 * _settings.max_header_bytes

# gunicorn >= 25.1 opens a control socket at a per-user path shared by every instance; none is needed here.
control_socket_disable = True

# Access log: one JSON line per request of method, route template, status, duration and request id only (the id is
# also the X-Request-ID header and the app log lines' request_id). No query string, Referer or User-Agent.
accesslog = "-"
access_log_format = (
    '{"event": "access", "method": "%(m)s", "route": "%({ln_cds.route}e)s", "status": "%(s)s", '
    '"duration_ms": %(M)s, "request_id": "%({ln_cds.request_id}e)s"}'
)
errorlog = "-"
proc_name = "ln-cds"
