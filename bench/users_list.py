"""Requests per second of GET /api/users/ under `omgeving serve` (granian + the buffering
bridge), against a baseline in the same run.

Starts `omgeving serve` on a private port with a throwaway SQLite database, creates an
organisation with an Application user and 200 people, then loads with wrk (Debian package;
`apt-get install wrk`) over keep-alive connections:

- baseline: GET /api/            (host → organisation, no token, no user query)
- measured: GET /api/users/      (token check, count, one page of 25 users, and the
                                  access-log INSERT of 25 rows)

Prints both figures and their ratio. Not a test: numbers depend on the machine.

    .venv/bin/python bench/users_list.py [--seconds 10] [--connections 16] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench-password-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(env, *args):
    subprocess.run([str(BIN / "omgeving"), *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def seed(env):
    code = f"""
from omgeving.accounts import services
from omgeving.tenancy.services import create_organization
org = create_organization(slug="bench", name="Bench")
services.create_user(organization=org, username="api", roles=["APPLICATION"],
                     password={PASSWORD!r}, grants=["users:read"])
for i in range(200):
    services.create_user(organization=org, username=f"client{{i}}", roles=["CLIENT"],
                         first_name="Client", last_name=str(i), email=f"c{{i}}@example.org")
"""
    run(env, "shell", "-c", code)


def request(port, path, data=None, headers=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                 headers={"Host": f"bench.localhost:{port}", **(headers or {})})
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.loads(response.read())


def wrk(port, path, seconds, connections, headers):
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s",
            "-H", f"Host: bench.localhost:{port}"]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run([*args, f"http://127.0.0.1:{port}{path}"], capture_output=True,
                         text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"{path}: {non2xx.group(1)} non-2xx answers\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as var:
        env = {**os.environ, "OMGEVING_VAR_DIR": var, "OMGEVING_LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        run(env, "migrate", "-v0")
        seed(env)
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "omgeving"), "serve", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    request(port, "/api/")
                    break
                except OSError:
                    time.sleep(0.1)
            token = request(port, "/api/token-auth/",
                            data=json.dumps({"username": "api", "password": PASSWORD}).encode(),
                            headers={"Content-Type": "application/json"})["token"]
            auth = [f"Authorization: JWT {token}"]
            wrk(port, "/api/users/", 2, args.connections, auth)  # warm-up
            base = wrk(port, "/api/", args.seconds, args.connections, [])
            users = wrk(port, "/api/users/", args.seconds, args.connections, auth)
        finally:
            server.terminate()
            server.wait(10)
    print(f"omgeving serve (granian), {args.workers} workers x 8 threads, {args.connections} "
          f"keep-alive connections, {args.seconds} s each, SQLite (WAL)")
    print(f"baseline GET /api/        {base:8.0f} req/s")
    print(f"measured GET /api/users/  {users:8.0f} req/s   ratio {users / base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
