"""A tiny external OIDC issuer for tests, run as its own process.

It binds 127.0.0.1 on a free port and prints ``{"port": N}`` on its first stdout line.

- ``GET /.well-known/openid-configuration`` and ``GET /jwks``: discovery and keys
  (every key it has ever signed with, like a real issuer during rotation).
- ``POST /rotate``: a new signing key; answers ``{"kid": ...}``.
- ``POST /token``: signs the JSON body as claims with the current key; with
  ``?unpublished=1`` signs with a fresh key that is never published.
- ``GET /stats``: how often discovery and JWKS were fetched.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey


def new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex, "use": "sig"})


class IssuerState:
    def __init__(self, jwks_delay: float) -> None:
        self.lock = threading.Lock()
        self.keys = [new_key()]
        self.counts = {"discovery": 0, "jwks": 0}
        self.jwks_delay = jwks_delay
        self.url = ""


def make_handler(state: IssuerState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def send_json(self, body: Any, status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/.well-known/openid-configuration":
                with state.lock:
                    state.counts["discovery"] += 1
                self.send_json({"issuer": state.url, "jwks_uri": f"{state.url}/jwks"})
            elif path == "/jwks":
                with state.lock:
                    state.counts["jwks"] += 1
                    keys = [key.as_dict(private=False, alg="RS256") for key in state.keys]
                # A slow issuer makes concurrent refreshes overlap for real.
                time.sleep(state.jwks_delay)
                self.send_json({"keys": keys})
            elif path == "/stats":
                with state.lock:
                    self.send_json(dict(state.counts))
            else:
                self.send_json({"error": "not found"}, 404)

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if url.path == "/rotate":
                with state.lock:
                    state.keys.append(new_key())
                    self.send_json({"kid": state.keys[-1].kid})
            elif url.path == "/token":
                claims = json.loads(body or b"{}")
                if parse_qs(url.query).get("unpublished") == ["1"]:
                    key = new_key()
                else:
                    with state.lock:
                        key = state.keys[-1]
                header = {"alg": "RS256", "kid": key.kid}
                self.send_json({"token": jwt.encode(header, claims, key), "kid": key.kid})
            else:
                self.send_json({"error": "not found"}, 404)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jwks-delay", type=float, default=0.1)
    args = parser.parse_args()
    state = IssuerState(args.jwks_delay)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    port = server.server_address[1]
    state.url = f"http://127.0.0.1:{port}"
    print(json.dumps({"port": port}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
