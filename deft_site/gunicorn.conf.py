"""gunicorn settings for the production web server: `gunicorn -c deft_site/gunicorn.conf.py deft_site.wsgi`.

Threaded workers (gthread): a request spends much of its time waiting on PostgreSQL, so a few threads per
process keep the cores busy without one process per connection; each thread keeps its own persistent database
connection (CONN_MAX_AGE), so a deployment needs WEB_CONCURRENCY x GUNICORN_THREADS connections. Keep-alive
lets a browser (or a load generator) reuse its connection. Everything comes from the environment.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", str(max(2, multiprocessing.cpu_count()))))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "deft-web"
control_socket_disable = True  # gunicorn 27's runtime control socket: off (one shared path per user)
