"""gunicorn in production: `gunicorn -c gunicorn.conf.py` (README, "Running in production").

A worker that does not answer within `timeout` is killed and replaced, so no request may
wait on anything longer: TikTok calls made inside a request stay well under it, and slow
TikTok work runs in Celery. Threads keep one slow request from holding a whole process.
Override any value on the command line (e.g. `--bind 127.0.0.1:8000`) or in
GUNICORN_CMD_ARGS; WEB_CONCURRENCY sets the number of processes, and FORWARDED_ALLOW_IPS the
proxies whose X-Forwarded-Proto is trusted, as gunicorn documents.
"""

import gc
import multiprocessing
import os

wsgi_app = "aspire_tiktok.wsgi:application"
bind = ["0.0.0.0:8000"]
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 9)))
worker_class = "gthread"
threads = 4
# Seconds a request may take before its worker is killed; then seconds in-flight requests
# get to finish on a restart or deploy (SIGTERM) before the worker is killed.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle each process now and then (staggered) so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"


def post_worker_init(worker: object) -> None:
    """The app is loaded: what it built at start-up lives as long as the process, so the cyclic
    collector stops walking it. A full collection otherwise visits those ~140,000 objects each
    time, about 70 ms of CPU inside whichever request triggered it, a page's slowest answers."""
    gc.freeze()
