"""The command line, run as a newcomer runs it: real processes, the embedded PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CLI = [sys.executable, "-m", "service.cli"]


def env_for(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERPATH_")}
    env["CAREERPATH_DATA_DIR"] = str(data_dir)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_help_lists_the_commands() -> None:
    result = subprocess.run([*CLI, "--help"], capture_output=True, text=True, check=True)
    for command in ("serve", "migrate", "demo", "token", "org"):
        assert command in result.stdout


def test_serve_demo_answers_with_printed_tokens_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    proc = subprocess.Popen(
        [*CLI, "serve", "--demo", "--port", str(port)],
        env=env_for(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        tokens: dict[str, str] = {}
        output: list[str] = []
        deadline = time.monotonic() + 90
        assert proc.stdout is not None
        while len(tokens) < 3 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if " token (" in line:
                persona = line.split(" token (")[0]
                tokens[persona] = line.rsplit(" ", 1)[1].strip()
        assert set(tokens) == {"employee", "manager", "admin"}, "".join(output)
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        response = httpx.post(
            f"{base}/graphql",
            json={"query": "{ me { id name } }"},
            headers={"Authorization": f"Bearer {tokens['manager']}"},
        )
        assert response.status_code == 200
        assert response.json()["data"]["me"]["name"] == "Nora Lindqvist"
        assert httpx.get(f"{base}/.well-known/jwks.json").json()["keys"][0]["kty"] == "RSA"

        # `careerpath token` mints for the running server's issuer.
        minted = subprocess.run(
            [
                *CLI,
                "token",
                "--employee",
                "chiara.bianchi@northwind.example",
                "--scope",
                "career:employee",
            ],
            env=env_for(data_dir),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        response = httpx.post(
            f"{base}/graphql",
            json={"query": "{ me { name } }"},
            headers={"Authorization": f"Bearer {minted}"},
        )
        assert response.json() == {"data": {"me": {"name": "Chiara Bianchi"}}}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    # The embedded PostgreSQL stopped with the server.
    assert not (data_dir / "pg" / "postmaster.pid").exists()


def test_serve_on_a_busy_port_fails_with_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*CLI, "serve", "--port", str(port)],
            env=env_for(tmp_path),
            capture_output=True,
            text=True,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def test_unwritable_data_dir_fails_with_one_clear_line() -> None:
    result = subprocess.run(
        [*CLI, "serve", "--port", str(free_port())],
        env=env_for(Path("/proc/careerpath-data")),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: data directory /proc/careerpath-data is not writable")


def test_token_refuses_unknown_employee(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "token", "--employee", "nobody@example.com"],
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "no organization yet" in result.stderr
