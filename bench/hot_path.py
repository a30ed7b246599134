"""The hot path beside the hand-written ceiling, in one run (`make bench`).

Seeds the same number of people (default 10,000) into a throwaway Omgeving database and into
the ceiling's own SQLite file, serves the ceiling (`../shared/bench/ceiling.py`, the fixed
reference: run, never copied or changed) under uvicorn with 2 workers and Omgeving with the
chosen server and 2 workers, and loads both with wrk (16 keep-alive connections, random
pages), alternating rounds; prints the medians and the ratio. Also measured per round, on
Omgeving: GET /api/ (no token: the baseline of earlier runs), GET /api/users/{id}/ (random
person), GET /api/me/ and POST /api/token-auth/ (Argon2: deliberately slow). After the load:
the resident memory (RSS) of every server worker.

    .venv/bin/python bench/hot_path.py [--people 10000] [--rounds 3] [--seconds 10]
        [--server granian-bridge|granian-wsgi|gunicorn-gthread|gunicorn-sync]
        [--soak MINUTES]      # then hold ~80% of capacity, printing RSS and errors

Numbers depend on the machine; the ratio is the point. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CEILING = ROOT.parent / "shared" / "bench" / "ceiling.py"
PASSWORD = "bench-password-0123456789"
PAGE = 25
SERVERS = ("granian-bridge", "granian-wsgi", "gunicorn-gthread", "gunicorn-sync")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def omgeving(env, *args):
    subprocess.run([str(BIN / "omgeving"), *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)


SEED = """
import datetime
from django.db import transaction
from django.utils import timezone
from omgeving.accounts import services
from omgeving.accounts.models import User
from omgeving.tenancy.services import create_organization

org = create_organization(slug="bench", name="Bench")
services.create_user(organization=org, username="api", roles=["APPLICATION"],
                     password={password!r}, grants=["users:read"])
names = ["Anna", "Bram", "Cees", "Daan", "Eva"]
with transaction.atomic():
    User.objects.bulk_create([User(
        organization=org, username=f"client{{i}}", first_name=names[i % 5],
        last_name=f"Name{{i}}", email=f"c{{i}}@example.org", authorisation="CLIENT",
        external_id=f"ecd-{{i}}", password="!") for i in range({people})], batch_size=2000)
"""


def seed(env, people: int, ceiling_db: Path) -> None:
    """The same people on both sides: active clients with a name, e-mail and external id,
    and one Application user with `users:read`."""
    omgeving(env, "migrate", "-v0")
    omgeving(env, "shell", "-c", SEED.format(password=PASSWORD, people=people))
    subprocess.run([sys.executable, str(CEILING), "seed", "--db", str(ceiling_db),
                    "--users", str(people)], check=True, stdout=subprocess.DEVNULL)


def start(args, env, port) -> subprocess.Popen:
    w, t = str(args.workers), str(args.threads)
    wsgi = "omgeving.wsgi:application"
    command = {
        "granian-bridge": [str(BIN / "omgeving"), "serve", "--bind", f"127.0.0.1:{port}",
                           "--workers", w, "--threads", t],
        "granian-wsgi": [str(BIN / "granian"), "--interface", "wsgi", wsgi, "--host",
                         "127.0.0.1", "--port", str(port), "--workers", w,
                         "--blocking-threads", t, "--http", "1", "--no-ws"],
        "gunicorn-gthread": [str(BIN / "gunicorn"), wsgi, "-b", f"127.0.0.1:{port}", "-w", w,
                             "-k", "gthread", "--threads", t, "--keep-alive", "5"],
        "gunicorn-sync": [str(BIN / "gunicorn"), wsgi, "-b", f"127.0.0.1:{port}", "-w", w,
                          "-k", "sync"],
    }[args.server]
    env = {**env, "DJANGO_SETTINGS_MODULE": "omgeving.settings"}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def start_ceiling(port, ceiling_db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "uvicorn"), "--app-dir", str(CEILING.parent), "ceiling:app", "--workers",
         "2", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env={**os.environ, "CEILING_DB": str(ceiling_db)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def request(port, host, path, data=None, headers=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                 headers={"Host": host, **(headers or {})})
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.loads(response.read())


def wait_until_up(port, host, path) -> None:
    for _ in range(300):
        try:
            request(port, host, path)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the server on port {port} did not come up")


def token(port) -> str:
    return request(port, f"bench.localhost:{port}", "/api/token-auth/",
                   data=json.dumps({"username": "api", "password": PASSWORD}).encode(),
                   headers={"Content-Type": "application/json"})["token"]


def ceiling_token() -> str:
    return subprocess.run([sys.executable, str(CEILING), "token"], capture_output=True,
                          text=True, check=True).stdout.strip()


LUA_PAGES = """
math.randomseed(%(seed)d)
request = function()
  return wrk.format(nil, "/api/users/?page=" .. math.random(1, %(pages)d))
end
"""
LUA_DETAIL = """
math.randomseed(%(seed)d)
request = function()
  return wrk.format(nil, "/api/users/" .. math.random(%(first)d, %(last)d) .. "/")
end
"""
LUA_TOKEN = """
wrk.method = "POST"
wrk.body = '{"username": "api", "password": "%(password)s"}'
wrk.headers["Content-Type"] = "application/json"
"""
LUA_DELAY = """
function delay()
  return %(delay_ms)d
end
"""


def wrk(port, host, path, seconds, connections, headers=(), script=None) -> dict:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H",
            f"Host: {host}"]
    for h in headers:
        args += ["-H", h]
    if script:
        args += ["-s", str(script)]
    out = subprocess.run([*args, f"http://127.0.0.1:{port}{path}"], capture_output=True,
                         text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "errors": sum(map(int, errors.groups())) if errors else 0,
            "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else None,
            "raw": out}


def rss_mb(process: subprocess.Popen) -> list[float]:
    """Resident memory of each worker (the processes under the server's master)."""
    import psutil

    root = psutil.Process(process.pid)
    procs = root.children(recursive=True) or [root]
    return sorted(round(p.memory_info().rss / 2**20, 1) for p in procs)


def check(result: dict, what: str) -> dict:
    """Every answer must be a success; socket errors (wrk counts a request still running at
    the end as a timeout) are counted and printed."""
    if result["non2xx"]:
        raise SystemExit(f"{what}: {result['non2xx']} non-2xx answers\n{result['raw']}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--server", choices=SERVERS, default="granian-bridge")
    parser.add_argument("--soak", type=float, default=0, help="minutes at ~80%% of capacity")
    parser.add_argument("--no-ceiling", action="store_true")
    args = parser.parse_args()
    for tool in ("wrk", "uvicorn"):
        if not shutil.which(tool) and not (BIN / tool).exists():
            print(f"{tool} is missing (make bench installs it)", file=sys.stderr)
            return 2
    if not CEILING.exists():
        print(f"the ceiling is missing: {CEILING}", file=sys.stderr)
        return 2
    pages = max(1, args.people // PAGE)
    with tempfile.TemporaryDirectory() as var:
        var = Path(var)
        # The success limit (10 logins per user per 5 minutes) would turn the token-auth
        # figure into a 429 figure; everything else is as deployed.
        env = {**os.environ, "OMGEVING_VAR_DIR": str(var), "OMGEVING_LOG_LEVEL": "WARNING",
               "OMGEVING_LOGIN_SUCCESS_LIMIT": "1000000000"}
        if not env.get("DATABASE_URL", "").startswith("postgres"):
            env.pop("DATABASE_URL", None)
        ceiling_db = var / "ceiling.sqlite3"
        started = time.monotonic()
        seed(env, args.people, ceiling_db)
        print(f"seeded {args.people} people on both sides in {time.monotonic() - started:.0f} s",
              flush=True)
        scripts = {"pages": (LUA_PAGES, {"pages": pages}), "detail": (LUA_DETAIL, {}),
                   "token": (LUA_TOKEN, {"password": PASSWORD})}
        port, cport = free_port(), free_port()
        host, chost = f"bench.localhost:{port}", "ceiling.localhost"
        server = start(args, env, port)
        ceiling = None if args.no_ceiling else start_ceiling(cport, ceiling_db)
        try:
            wait_until_up(port, host, "/api/")
            if ceiling:
                wait_until_up(cport, chost, "/api/users/")
            first = request(port, host, "/api/users/?page_size=1",
                            headers={"Authorization": f"JWT {token(port)}"})["results"][0]["id"]

            def lua(name, round_no):
                text, values = scripts[name]
                path = var / f"{name}.lua"
                path.write_text(text % {"seed": 1000 + round_no, "first": first,
                                        "last": first + args.people - 1, **values})
                return path

            figures: dict[str, list[float]] = {}

            def note(label, result):
                figures.setdefault(label, []).append(result["rps"])
                figures.setdefault(label + " p50", []).append(result["p50_ms"])
                figures.setdefault(label + " err", []).append(result["errors"])

            auth = lambda: [f"Authorization: JWT {token(port)}"]  # noqa: E731  (5-minute tokens)
            check(wrk(port, host, "/api/users/", 3, args.connections, auth(),
                      lua("pages", 0)), "warm-up")
            if ceiling:
                check(wrk(cport, chost, "/api/users/", 3, args.connections,
                          [f"Authorization: JWT {ceiling_token()}"], lua("pages", 0)),
                      "ceiling warm-up")
            for round_no in range(1, args.rounds + 1):
                order = ["omgeving", "ceiling"] if round_no % 2 else ["ceiling", "omgeving"]
                for side in order:
                    if side == "ceiling" and ceiling:
                        note("ceiling GET /api/users/", check(wrk(
                            cport, chost, "/api/users/", args.seconds, args.connections,
                            [f"Authorization: JWT {ceiling_token()}"], lua("pages", round_no)),
                            "ceiling"))
                    elif side == "omgeving":
                        note("GET /api/users/", check(wrk(
                            port, host, "/api/users/", args.seconds, args.connections, auth(),
                            lua("pages", round_no)), "GET /api/users/"))
                note("GET /api/users/{id}/", check(wrk(
                    port, host, "/api/users/", args.seconds, args.connections, auth(),
                    lua("detail", round_no)), "detail"))
                note("GET /api/me/", check(wrk(port, host, "/api/me/", args.seconds,
                                               args.connections, auth()), "me"))
                note("GET /api/ (no token)", check(wrk(port, host, "/api/", args.seconds,
                                                       args.connections), "root"))
                note("POST /api/token-auth/", check(wrk(
                    port, host, "/api/token-auth/", args.seconds, args.connections, (),
                    lua("token", round_no)), "token"))
                print(f"round {round_no}/{args.rounds} done", flush=True)
            workers = rss_mb(server)
            print()
            print(f"Omgeving: {args.server}, {args.workers} workers x {args.threads} threads; "
                  f"ceiling: uvicorn, 2 workers; {args.people} people, SQLite (WAL)"
                  if not env.get("DATABASE_URL") else f"Omgeving on {env['DATABASE_URL']}")
            print(f"wrk: {args.connections} keep-alive connections, {args.seconds} s per "
                  f"figure, {args.rounds} alternating rounds; medians (all rounds)")
            print(f"{'':28} {'req/s':>8} {'p50 ms':>8} {'sock.err':>8}   req/s per round")
            for label in [k for k in figures if not k.endswith((" p50", " err"))]:
                values, lat = figures[label], figures[label + " p50"]
                print(f"{label:28} {statistics.median(values):8.0f} "
                      f"{statistics.median(lat):8.2f} {sum(figures[label + ' err']):8d}   "
                      + " ".join(f"{v:.0f}" for v in values))
            if ceiling:
                ratio = (statistics.median(figures["GET /api/users/"])
                         / statistics.median(figures["ceiling GET /api/users/"]))
                rounds = [o / c for o, c in zip(figures["GET /api/users/"],
                                                figures["ceiling GET /api/users/"],
                                                strict=True)]
                print(f"ratio GET /api/users/ ÷ ceiling: {ratio:.2f}   (per round: "
                      + " ".join(f"{r:.2f}" for r in rounds) + ")")
            print(f"RSS per worker after the load: {workers} MB")
            if args.soak:
                soak(args, port, host, server, auth, lua,
                     statistics.median(figures["GET /api/users/"]))
        finally:
            stop(server)
            if ceiling:
                stop(ceiling)
    return 0


def soak(args, port, host, server, auth, lua, capacity: float) -> None:
    """~80% of the measured capacity for `--soak` minutes, in one-minute legs (a token
    lives five minutes); wrk paces its connections with a delay found by calibration."""
    target = 0.8 * capacity
    delay = max(1, int(args.connections / target * 1000 * 0.25))
    pages = lua("pages", 99)
    script = pages.with_name("soak.lua")

    def leg(seconds):
        script.write_text(pages.read_text() + LUA_DELAY % {"delay_ms": delay})
        return wrk(port, host, "/api/users/", seconds, args.connections, auth(), script)

    for _ in range(4):  # calibrate the delay towards the target rate
        rate = leg(5)["rps"]
        delay = max(1, int(delay * rate / target)) if rate > target * 1.05 else \
            max(1, int(delay * 0.8)) if rate < target * 0.95 else delay
    start_rss = rss_mb(server)
    legs, errors, non2xx, rates = int(args.soak), 0, 0, []
    print(f"soak: {legs} min at a target of {target:.0f} req/s (80% of {capacity:.0f}); "
          f"start RSS {start_rss} MB", flush=True)
    for minute in range(1, legs + 1):
        result = leg(60)
        errors, non2xx = errors + result["errors"], non2xx + result["non2xx"]
        rates.append(result["rps"])
        print(f"  minute {minute}: {result['rps']:.0f} req/s, RSS {rss_mb(server)} MB",
              flush=True)
    end_rss = rss_mb(server)
    growth = max((e - s) / s for s, e in zip(start_rss, end_rss, strict=False))
    print(f"soak done: {statistics.mean(rates):.0f} req/s on average, {non2xx} non-2xx, "
          f"{errors} socket errors; RSS start {start_rss} MB → end {end_rss} MB "
          f"(largest growth {growth:+.1%})")


if __name__ == "__main__":
    sys.exit(main())
