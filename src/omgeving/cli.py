"""`omgeving` — the command line. Every set-up step of an organisation, without the admin:

    omgeving org create SLUG --name NAME       a new organisation at SLUG.<base domain>
    omgeving org list
    omgeving org features SLUG --on NAME... --off NAME...
                                               switch families, care_status, invitations
    omgeving user create --org SLUG --username U --role ROLE [--role ROLE ...]
    omgeving user list --org SLUG
    omgeving user grant --org SLUG --username U GRANT... | --all
    omgeving user revoke --org SLUG --username U GRANT... | --all
    omgeving user set-password --org SLUG --username U
    omgeving user deactivate --org SLUG --username U
        (passwords from $OMGEVING_PASSWORD, else an interactive prompt)
    omgeving otp add [--org SLUG] --username U [--replace]
                                               an administrator's (or, without --org, a
                                               platform superuser's) authenticator
    omgeving lockout list [--org SLUG]
    omgeving lockout reset [--org SLUG] --username U
    omgeving demo                              the demo organisation of `make run`
    omgeving serve [--bind ADDR] [--check] [--with-worker]
                                               serve with granian (and a worker beside it)
    omgeving worker [--interval S] [--batch]   deliver webhooks (Django's task worker)
    omgeving <django command>                  any Django command, e.g. `omgeving migrate`

`omgeving COMMAND -h` explains each one.
"""

from __future__ import annotations

import argparse
import errno
import getpass
import os
import sys


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omgeving.settings")
    import django

    django.setup()


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _messages(exc) -> str:
    return "; ".join(exc.messages) if hasattr(exc, "messages") else str(exc)


def cmd_org(args) -> int:
    from django.core.exceptions import ValidationError

    from omgeving.tenancy.models import FEATURES, Organization
    from omgeving.tenancy.services import create_organization, set_features

    if args.action == "create":
        try:
            org = create_organization(slug=args.slug, name=args.name or args.slug)
        except ValidationError as exc:
            return _fail(_messages(exc))
        print(f"created organisation {org.slug} ({org.name}) at {org.host}")
        return 0
    if args.action == "features":
        org = Organization.objects.filter(slug=args.slug).first()
        if org is None:
            return _fail(f"no organisation '{args.slug}'")
        try:
            set_features(org, on=args.on or (), off=args.off or ())
        except ValueError as exc:
            return _fail(str(exc))
        for name in FEATURES:
            print(f"{name}\t{'on' if org.has_feature(name) else 'off'}")
        return 0
    for org in Organization.objects.order_by("slug"):
        state = "active" if org.is_active else "inactive"
        features = ",".join(n for n in FEATURES if org.has_feature(n)) or "-"
        print(f"{org.slug}\t{org.name}\t{state}\t{org.host}\tfeatures: {features}")
    return 0


def _password() -> str:
    password = os.environ.get("OMGEVING_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        raise SystemExit(_fail("set OMGEVING_PASSWORD or run interactively"))
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise SystemExit(_fail("the passwords differ"))
    return first


def cmd_user(args) -> int:
    from django.core.exceptions import ValidationError

    from omgeving.accounts import services
    from omgeving.accounts.grants import Grant
    from omgeving.accounts.models import User
    from omgeving.tenancy.models import Organization

    org = Organization.objects.filter(slug=args.org).first()
    if org is None:
        return _fail(f"no organisation '{args.org}'")
    if args.action == "list":
        for user in User.objects.for_organization(org).order_by("username"):
            print(f"{user.username}\t{user.display_name or '-'}\t{','.join(user.roles)}\t"
                  f"{'active' if user.is_active else 'inactive'}\t"
                  f"{' '.join(user.grants) if user.is_application else ''}".rstrip())
        return 0
    try:
        if args.action == "create":
            services.role_fields(args.role)  # a wrong combination fails before the prompt
            user = services.create_user(organization=org, username=args.username,
                                        roles=args.role, password=_password())
            print(f"created user {user.username} in {org.slug} with role type(s) "
                  f"{', '.join(user.roles)}")
            return 0
        user = User.objects.for_organization(org).filter(username=args.username).first()
        if user is None:
            return _fail(f"no user '{args.username}' in {org.slug}")
        if args.action in ("grant", "revoke"):
            if bool(args.grants) == args.all:
                return _fail(f"name the grants, or --all (known: {', '.join(Grant.values)})")
            names = Grant.values if args.all else args.grants
            services.change_grants(user, **{"add" if args.action == "grant" else "remove":
                                            names})
            print(f"{user.username} holds: {' '.join(user.grants) or 'no grants'}")
        elif args.action == "set-password":
            services.set_password(user, _password())
            print(f"new password set for {user.username}; its earlier tokens no longer work")
        elif args.action == "deactivate":
            services.deactivate_user(user)
            print(f"deactivated {user.username}: it can no longer log in, its tokens no "
                  f"longer work, its data is kept")
    except ValidationError as exc:
        return _fail(_messages(exc))
    return 0


class _NoOrganization(Exception):
    pass


def _organization_or_platform(slug: str | None):
    """The organisation named by --org, or None (the platform) without it."""
    from omgeving.tenancy.models import Organization

    if not slug:
        return None
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise _NoOrganization(f"no organisation '{slug}'")
    return org


def cmd_otp(args) -> int:
    import io

    import qrcode
    from django.core.exceptions import ValidationError

    from omgeving.accounts.models import User
    from omgeving.accounts.otp import add_totp_device

    try:
        org = _organization_or_platform(args.org)
    except _NoOrganization as exc:
        return _fail(str(exc))
    user = User.objects.for_organization(org).filter(username=args.username).first()
    if user is None:
        return _fail(f"no user '{args.username}' in {args.org or 'the platform'}")
    try:
        device = add_totp_device(user, name=args.name, replace=args.replace)
    except ValidationError as exc:
        return _fail(_messages(exc))
    qr = qrcode.QRCode(border=1)
    qr.add_data(device.config_url)
    buffer = io.StringIO()
    qr.print_ascii(out=buffer, invert=True)
    print(buffer.getvalue())
    print(f"Scan the code with an authenticator app, or enter this URI:\n{device.config_url}")
    return 0


def cmd_lockout(args) -> int:
    from omgeving.accounts import lockout

    try:
        org = _organization_or_platform(args.org)
    except _NoOrganization as exc:
        return _fail(str(exc))
    if args.action == "reset":
        count = lockout.reset(org, args.username)
        print(f"cleared {count} counter(s) of {args.username} in {args.org or 'the platform'}")
        return 0
    for throttle in lockout.current_lockouts(org):
        print(f"{throttle.scope}\t{throttle.username or '-'}\t{throttle.ip or '-'}\t"
              f"{throttle.count}\tuntil {throttle.locked_until:%Y-%m-%d %H:%M:%S %Z}")
    return 0


def cmd_demo(args) -> int:
    from omgeving.demo import ensure_demo

    ensure_demo(out=sys.stdout)
    return 0


def cmd_serve(args) -> int:
    """granian reads requests asynchronously (header deadline, buffered bodies: see
    omgeving/serving.py) and runs Django in a bounded thread pool per worker."""
    host, _, port = args.bind.rpartition(":")
    problem = _bind_problem(host or "127.0.0.1", port)
    if problem:
        return _fail(f"cannot listen on {args.bind}: {problem}. Choose another address with "
                     f"OMGEVING_BIND (e.g. OMGEVING_BIND=127.0.0.1:8001 make run) or "
                     f"`omgeving serve --bind HOST:PORT`.")
    if not _loopback(host or "127.0.0.1") and not args.behind_proxy:
        return _fail(
            f"refusing to serve on {args.bind}: on an address other than loopback the "
            f"embedded server must sit behind a buffering reverse proxy that limits "
            f"connections per client (THREAT_MODEL.md, docs/deploy.md). One client holding "
            f"many idle connections would otherwise stop every organisation. Behind such a "
            f"proxy, add --behind-proxy (or OMGEVING_BEHIND_PROXY=1).")
    if args.check:
        return 0
    from granian.cli import cli

    os.environ["OMGEVING_THREADS"] = str(args.threads)
    _warn_about_secret()
    from omgeving.metrics import prepare_worker_directory

    prepare_worker_directory(os.environ.get("OMGEVING_VAR_DIR", "var"))
    worker = _start_worker() if args.with_worker else None
    sys.argv = [
        "granian", "--interface", "asginl", "--factory", "omgeving.serving:application",
        "--host", host or "127.0.0.1", "--port", port,
        "--workers", str(args.workers),
        "--http", "1",
        "--http1-header-read-timeout", str(HEADER_TIMEOUT_MS),
        "--backpressure", str(args.backpressure),
        # A worker that has not stopped WORKERS_KILL_TIMEOUT seconds after SIGTERM is killed:
        # granian's worker can hang in its shutdown (emmett-framework/granian#875), which
        # left `omgeving serve` waiting for it forever (seen once in the test suite).
        "--workers-kill-timeout", str(WORKERS_KILL_TIMEOUT),
        # No granian access log: Django writes one line per request with its id
        # (omgeving/logs.py), in the chosen format.
        "--no-ws",
        *_granian_log_config(),
    ]
    try:
        return cli()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)


def _start_worker():
    """`omgeving worker` as a child process of `omgeving serve --with-worker` (make run)."""
    import subprocess

    return subprocess.Popen([sys.executable, "-m", "omgeving.cli", "worker"])


def cmd_worker(args) -> int:
    """Django's task worker (django-tasks' database worker) on the webhook queue, after
    making sure the recurring sweep runs (omgeving/webhooks/delivery.py). Run one or more
    beside the web servers; several share the work safely."""
    from django.core.management import call_command

    from omgeving.webhooks.delivery import ensure_sweep
    from omgeving.webhooks.tasks import QUEUE

    ensure_sweep()
    call_command("db_worker", queue_name=f"{QUEUE},default", interval=args.interval,
                 batch=args.batch, reload=False, startup_delay=not args.batch,
                 verbosity=args.verbosity, **({"worker_id": args.worker_id}
                                               if args.worker_id else {}))
    return 0


def _granian_log_config() -> list[str]:
    """With OMGEVING_LOG_FORMAT=json, granian's own lines (start-up, workers) are JSON too,
    on stderr beside Django's."""
    if os.environ.get("OMGEVING_LOG_FORMAT") != "json":
        return []
    import json

    config = {
        "formatters": {"json": {"()": "omgeving.logs.JsonFormatter"}},
        "handlers": {"console": {"formatter": "json", "class": "logging.StreamHandler"}},
        "loggers": {"_granian": {"handlers": ["console"], "level": "INFO",
                                 "propagate": False}},
    }
    # One file in the var folder, rewritten at each start (not a new temporary file each time).
    path = os.path.join(os.environ.get("OMGEVING_VAR_DIR", "var"), "granian-log.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(config, fh)
    return ["--log-config", path]


HEADER_TIMEOUT_MS = int(os.environ.get("OMGEVING_HEADER_TIMEOUT", 10)) * 1000
WORKERS_KILL_TIMEOUT = 15  # seconds; requests in flight have had their time by then


def _loopback(host: str) -> bool:
    import ipaddress

    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind_problem(host: str, port: str) -> str | None:
    """Why the server could not listen at host:port (taken, not an address), or None."""
    import socket

    if not port.isdigit() or not 0 < int(port) < 65536:
        return "the port must be a number from 1 to 65535"
    try:
        infos = socket.getaddrinfo(host.strip("[]"), int(port), type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"unknown host ({exc.strerror})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return "the port is taken" if exc.errno == errno.EADDRINUSE else exc.strerror
    return None


def _warn_about_secret() -> None:
    """Several app servers need one signing secret; a generated one is per machine."""
    if os.environ.get("OMGEVING_SECRET_KEY"):
        return
    database = os.environ.get("DATABASE_URL", "")
    if database and not database.startswith("sqlite"):
        print("WARNING: OMGEVING_SECRET_KEY is not set. This server signs tokens with a key "
              "generated in its own var/ folder; other app servers of the same database "
              "will refuse its tokens and it theirs. Set OMGEVING_SECRET_KEY to one secret "
              "on every server.", file=sys.stderr, flush=True)


def feature_names() -> tuple[str, ...]:
    from omgeving.tenancy.features import FEATURES

    return FEATURES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omgeving", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    from omgeving.accounts.grants import Grant  # plain choices: no Django set-up needed

    org = sub.add_parser("org", help="organisations and their feature switches")
    org_sub = org.add_subparsers(dest="action", required=True)
    create = org_sub.add_parser("create", help="a new organisation at SLUG.<base domain>")
    create.add_argument("slug", help="the subdomain: lower-case letters, digits and hyphens")
    create.add_argument("--name", help="the organisation's name (default: the slug)")
    org_sub.add_parser("list", help="every organisation, its state, host and features")
    features = org_sub.add_parser(
        "features", help="switch features on or off; prints every switch",
        description="Features off answer 404 feature_disabled in the API and are hidden in "
                    f"the admin. Names: {', '.join(feature_names())}.")
    features.add_argument("slug")
    features.add_argument("--on", nargs="+", metavar="NAME", help="features to switch on")
    features.add_argument("--off", nargs="+", metavar="NAME", help="features to switch off")
    org.set_defaults(func=cmd_org)

    user = sub.add_parser("user", help="people and Application users of an organisation")
    user_sub = user.add_subparsers(dest="action", required=True)

    def user_command(name, help, username=True, **kwargs):
        command = user_sub.add_parser(name, help=help, description=help, **kwargs)
        command.add_argument("--org", required=True, help="organisation slug")
        if username:
            command.add_argument("--username", required=True)
        return command

    ucreate = user_command(
        "create", "a new user; the password from $OMGEVING_PASSWORD or a prompt",
        epilog="Role types: APPLICATION (API access only, stands alone), ADMINISTRATOR "
               "(the admin, with a second factor), and one default authorisation: CLIENT, "
               "COUNSELOR, COUNSELOR_PLUS, GUARDIAN or EXTERNAL. A new Application user holds "
               "no grants: `omgeving user grant`.")
    ucreate.add_argument("--role", required=True, action="append",
                         help="role type; repeat for more (APPLICATION stands alone)")
    user_command("list", "every user: username, name, role types, state, grants",
                 username=False)
    for name, verb in (("grant", "give an Application user"),
                       ("revoke", "take from an Application user")):
        command = user_command(
            name, f"{verb} grants (what it may read and write through the API)",
            epilog=f"Grants: {' '.join(Grant.values)} (docs/api.md).")
        command.add_argument("grants", nargs="*", metavar="GRANT")
        command.add_argument("--all", action="store_true", help="every grant")
    user_command("set-password", "a new password (from $OMGEVING_PASSWORD or a prompt); "
                                 "the user's earlier tokens stop working")
    user_command("deactivate", "the user can no longer log in and its tokens stop working; "
                               "its data and relations are kept")
    user.set_defaults(func=cmd_user)

    otp = sub.add_parser("otp", help="second factor for administrators")
    otp_sub = otp.add_subparsers(dest="action", required=True)
    otp_add = otp_sub.add_parser(
        "add", help="an authenticator (TOTP) for an administrator; prints its QR code",
        description="An administrator (or, without --org, a platform superuser) has one "
                    "authenticator. A second one is refused unless --replace: then the old "
                    "one stops working (a lost or new phone).")
    otp_add.add_argument("--org", help="organisation slug; omit for a platform superuser")
    otp_add.add_argument("--username", required=True)
    otp_add.add_argument("--name", default="authenticator", help="the device's name")
    otp_add.add_argument("--replace", action="store_true",
                         help="replace the user's authenticator")
    otp.set_defaults(func=cmd_otp)

    lock = sub.add_parser("lockout", help="login lockouts")
    lock_sub = lock.add_subparsers(dest="action", required=True)
    lock_list = lock_sub.add_parser("list", help="current lockouts: scope, username, "
                                                 "address, failures, until when")
    lock_list.add_argument("--org", help="organisation slug; omit for the platform")
    lock_reset = lock_sub.add_parser("reset", help="clear a username's failure counters")
    lock_reset.add_argument("--org", help="organisation slug; omit for the platform")
    lock_reset.add_argument("--username", required=True)
    lock.set_defaults(func=cmd_lockout)

    sub.add_parser("demo", help="create the demo organisation of `make run` (idempotent)"
                   ).set_defaults(func=cmd_demo)
    serve = sub.add_parser("serve", help="serve over HTTP with granian")
    serve.add_argument("--bind", default=os.environ.get("OMGEVING_BIND", "127.0.0.1:8000"),
                       help="HOST:PORT (default $OMGEVING_BIND or 127.0.0.1:8000)")
    serve.add_argument("--workers", type=int, default=int(os.environ.get("OMGEVING_WORKERS", 2)),
                       help="processes (default $OMGEVING_WORKERS or 2)")
    serve.add_argument("--threads", type=int, default=int(os.environ.get("OMGEVING_THREADS", 4)),
                       help="Django threads per worker (docs/performance.md: 2-4 on 2 cores)")
    serve.add_argument("--backpressure", type=int,
                       default=int(os.environ.get("OMGEVING_BACKPRESSURE", 256)),
                       help="requests in progress per worker, slow ones included")
    serve.add_argument("--behind-proxy", action="store_true",
                       default=os.environ.get("OMGEVING_BEHIND_PROXY", "") in ("1", "true"),
                       help="serve on an address other than loopback: only behind a buffering "
                            "reverse proxy that limits connections per client "
                            "(docs/deploy.md)")
    serve.add_argument("--check", action="store_true",
                       help="only check that the address is free (`make run` does, first)")
    serve.add_argument("--with-worker", action="store_true",
                       help="also start `omgeving worker` beside the server (make run does)")
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser(
        "worker", help="deliver webhooks: Django's task worker on the database queue",
        description="Runs the queued tasks (webhook deliveries, the recurring sweep) until "
        "stopped (SIGTERM finishes the current delivery first). Run one or more per "
        "deployment, beside the web servers; they share the database queue safely.")
    worker.add_argument("--interval", type=float,
                        default=float(os.environ.get("OMGEVING_WORKER_INTERVAL", 0.1)),
                        help="seconds between looks at an empty queue "
                        "(default $OMGEVING_WORKER_INTERVAL or 0.1)")
    worker.add_argument("--batch", action="store_true",
                        help="run what is queued now, then stop")
    worker.add_argument("--worker-id", help="a name unique among the workers (default random)")
    worker.add_argument("-v", "--verbosity", type=int, default=1, choices=[0, 1, 2, 3])
    worker.set_defaults(func=cmd_worker)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] not in {"org", "user", "otp", "lockout", "demo", "serve", "worker",
                                "-h",
                                "--help"}:
        _setup()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["omgeving", *argv])
        return 0
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    if args.command != "serve":
        _setup()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
