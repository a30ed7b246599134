"""In-process profile of one hot endpoint: where the time of a request goes.

Seeds a throwaway database like bench/hot_path.py (10,000 people), then calls the WSGI
application directly (no server, no sockets) N times under pyinstrument and prints the call
tree, plus the median time per request without the profiler.

    .venv/bin/python bench/profile_hot_path.py [--path /api/users/] [--requests 500]
        [--people 10000] [--html profile.html]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", default="/api/users/")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--html")
    args = parser.parse_args()
    var = tempfile.mkdtemp()
    os.environ.update({"OMGEVING_VAR_DIR": var, "OMGEVING_LOG_LEVEL": "WARNING",
                       "DJANGO_SETTINGS_MODULE": "omgeving.settings",
                       "OMGEVING_LOGIN_SUCCESS_LIMIT": "1000000000"})
    os.environ.pop("DATABASE_URL", None)
    import hot_path

    hot_path.seed(dict(os.environ), args.people, Path(var) / "ceiling.sqlite3")

    import django

    django.setup()
    from omgeving.wsgi import application

    def call(path, method="GET", body=b"", headers=None):
        query = ""
        if "?" in path:
            path, query = path.split("?", 1)
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
                   "SERVER_NAME": "bench.localhost", "SERVER_PORT": "80",
                   "HTTP_HOST": "bench.localhost", "REMOTE_ADDR": "127.0.0.1",
                   "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
                   "wsgi.url_scheme": "http", "SERVER_PROTOCOL": "HTTP/1.1",
                   **(headers or {})}
        status = []
        out = b"".join(application(environ, lambda s, h, e=None: status.append(s)))
        return status[0], out

    import json

    status, out = call("/api/token-auth/", "POST",
                       json.dumps({"username": "api", "password": hot_path.PASSWORD}).encode(),
                       {"CONTENT_TYPE": "application/json"})
    auth = {"HTTP_AUTHORIZATION": f"JWT {json.loads(out)['token']}"}
    _, out = call("/api/users/?page_size=1", headers=auth)
    first = json.loads(out)["results"][0]["id"]
    rnd = random.Random(1)

    def path():
        if args.path == "/api/users/":
            return f"/api/users/?page={rnd.randint(1, args.people // 25)}"
        if args.path == "/api/users/{id}/":
            return f"/api/users/{rnd.randint(first, first + args.people - 1)}/"
        return args.path

    for _ in range(50):
        assert call(path(), headers=auth)[0].startswith("200"), "not a 200"
    times = []
    for _ in range(args.requests):
        started = time.perf_counter()
        call(path(), headers=auth)
        times.append(time.perf_counter() - started)
    times.sort()
    median, low = times[len(times) // 2] * 1000, times[len(times) // 10] * 1000
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.requests):
        call(path(), headers=auth)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.html:
        Path(args.html).write_text(profiler.output_html())
    print(f"{args.path}: {median:.2f} ms per request in-process (median of {args.requests}, "
          f"no profiler; 10th percentile {low:.2f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
