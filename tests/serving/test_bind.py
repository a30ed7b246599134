"""`omgeving serve` on an address it cannot use says so at once, naming OMGEVING_BIND, and
`make run` checks the address before it migrates and prints the demo's URLs."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def _serve(*args):
    return subprocess.run([BIN / "omgeving", "serve", *args], capture_output=True, text=True,
                          timeout=30)


def test_a_taken_port_is_refused_with_the_way_out():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for extra in ((), ("--check",)):  # serving fails as clearly as checking
            result = _serve("--bind", f"127.0.0.1:{port}", *extra)
            assert result.returncode == 2
            assert "the port is taken" in result.stderr and "OMGEVING_BIND" in result.stderr


def test_a_free_port_passes_the_check_and_nonsense_does_not():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert _serve("--bind", f"127.0.0.1:{port}", "--check").returncode == 0
    result = _serve("--bind", "127.0.0.1:http", "--check")
    assert result.returncode == 2 and "a number from 1 to 65535" in result.stderr


def test_make_run_checks_the_address_first():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0].splitlines()
    assert "serve --check" in run[1], run


def test_an_address_other_than_loopback_needs_a_proxy_in_front():
    """The embedded server cannot limit connections per client (docs/deploy.md, "Why a
    proxy"): on a public address it starts only when told that a proxy does."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _serve("--bind", f"0.0.0.0:{port}", "--check")
    assert result.returncode == 2 and "--behind-proxy" in result.stderr
    assert _serve("--bind", f"0.0.0.0:{port}", "--check", "--behind-proxy").returncode == 0
    for loopback in ("127.0.0.1", "localhost"):
        assert _serve("--bind", f"{loopback}:{port}", "--check").returncode == 0
