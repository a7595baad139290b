"""A small OIDC issuer for the benchmark: the service runs in production mode, which trusts
only an external identity provider.

``python -m bench.issuer --jwks FILE`` serves OIDC discovery and the JWKS in FILE on
127.0.0.1 and a free port, printing ``{"port": N}`` first. ``Issuer`` starts that process
and mints tokens locally with the private key (the process never sees it).
"""

from __future__ import annotations

import argparse
import json
import select
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

AUDIENCE = "careerpath"


class Issuer:
    """The issuer process and its signing key."""

    def __init__(self, workdir: Path) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex, "use": "sig"})
        workdir.mkdir(parents=True, exist_ok=True)
        jwks = workdir / "issuer-jwks.json"
        jwks.write_text(json.dumps({"keys": [self.key.as_dict(private=False, alg="RS256")]}))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.issuer", "--jwks", str(jwks)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The issuer's URL, once it listens (it starts in the background meanwhile)."""
        if self._url is None:
            assert self.process.stdout is not None
            ready, _, _ = select.select([self.process.stdout], [], [], 30)
            if not ready:
                self.stop()
                raise RuntimeError("the benchmark issuer did not start")
            port = json.loads(self.process.stdout.readline())["port"]
            self._url = f"http://127.0.0.1:{port}"
        return self._url

    def mint(self, subject: str, *, org: str, scopes: str, ttl: int = 4 * 3600) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "scope": scopes,
            "org_id": org,
        }
        header = {"alg": "RS256", "typ": "JWT", "kid": self.key.kid}
        return jwt.encode(header, claims, self.key)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jwks", type=Path, required=True)
    args = parser.parse_args()
    jwks = args.jwks.read_bytes()
    base = {"url": ""}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *a: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                body = json.dumps({"issuer": base["url"], "jwks_uri": f"{base['url']}/jwks"})
                data = body.encode()
            elif self.path == "/jwks":
                data = jwks
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
