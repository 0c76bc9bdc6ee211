"""What the tests' stand-ins for AWS APIs that moto lacks (Resource
Explorer in emulator.py, Application Migration Service in mgn.py) share: a
restJson1 handler that answers JSON with the error named in the
`x-amzn-ErrorType` header, reads JSON bodies, and tells the calling account
(moto's, from the SigV4 access key) and region (from the credential scope).
"""

import json
import re
from http.server import BaseHTTPRequestHandler

from moto.iam.models import get_account_id_from


class JsonHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, error=None, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if error:
            self.send_header("x-amzn-ErrorType", error)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def caller(self):
        """(account, region) of the signed request; (None, None) unsigned."""
        auth = self.headers.get("Authorization", "")
        m = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/", auth)
        if not m:
            return None, None
        return get_account_id_from(m.group(1)), m.group(2)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw.strip() else {}
