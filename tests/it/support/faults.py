"""A fault proxy in front of moto, for the set-up checks (`tagwarden doctor`)
and any test that needs AWS to refuse an action: every request is forwarded
to moto as it came, except

- an action denied to an account: answered as AWS refuses a caller without
  the permission, in the service's own protocol (EC2 `UnauthorizedOperation`,
  other query services `AccessDenied`, JSON services `AccessDeniedException`,
  S3 `AccessDenied`). The account is the caller's (from the SigV4 access
  key), but for `sts:AssumeRole` it is the account of the role asked for (its
  trust policy refuses the caller);
- `iam:SimulatePrincipalPolicy`, which moto lacks: answered from the same
  deny list, per action, for the account of `PolicySourceArn`
  (`implicitDeny` for a denied action, else `allowed`), paged by `Marker`
  and `MaxItems` as the IAM API reference says;
- `ce:ListCostAllocationTags`, which moto lacks: answered from
  `cost_allocation_tags`, filtered by `TagKeys`.

Every request is counted per IAM action (`ec2:CreateTags`), EC2 dry runs
apart (`ec2:CreateTags(DryRun)`), so a test can show that nothing was
written. Control (on the proxy's own port):

    POST /_faults        {"deny": {ACCOUNT: [ACTION, ...]},  ("ec2:*" denies a service,
                                                          "ACTION@REGION" one region)
                          "cost_allocation_tags": {KEY: "Active" | "Inactive"}}
    GET  /_faults/calls  requests per action
"""

import http.client
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from moto.iam.models import get_account_id_from

SETTINGS = {"deny": {}, "cost_allocation_tags": {}}
CALLS = {}
LOCK = threading.Lock()
MOTO_PORT = [0]

SCOPE = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/")
# The signing name where it differs from the IAM prefix.
PREFIX = {"tagging": "tag", "email": "ses"}
EC2_LIKE = {"ec2"}


def s3_action(method, path, query):
    """The IAM action of an S3 REST request (the ones tagwarden makes)."""
    bucket = path.strip("/")
    if not bucket:
        return "s3:ListAllMyBuckets"
    if "tagging" in query:
        return {"GET": "s3:GetBucketTagging", "PUT": "s3:PutBucketTagging",
                "DELETE": "s3:PutBucketTagging"}.get(method, "s3:BucketTagging")
    if "location" in query:
        return "s3:GetBucketLocation"
    if "/" not in bucket:
        return "s3:ListBucket" if method == "GET" else f"s3:{method}Bucket"
    return {"GET": "s3:GetObject", "HEAD": "s3:GetObject", "PUT": "s3:PutObject"}.get(
        method, f"s3:{method}Object")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/_faults/calls":
            with LOCK:
                return self.send(200, json.dumps(CALLS).encode(), "application/json")
        self.handle_aws()

    def do_POST(self):
        if self.path == "/_faults":
            body = self.read_body()
            with LOCK:
                SETTINGS.update(json.loads(body or b"{}"))
            return self.send(200, b"{}", "application/json")
        self.handle_aws()

    def do_PUT(self):
        self.handle_aws()

    def do_DELETE(self):
        self.handle_aws()

    def do_HEAD(self):
        self.handle_aws()

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, status, body, content_type, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_aws(self):
        body = self.read_body()
        m = SCOPE.search(self.headers.get("Authorization", ""))
        key, region, service = (m.group(1), m.group(2), m.group(3)) if m else ("", "", "")
        prefix = PREFIX.get(service, service)
        split = urlsplit(self.path)
        form = parse_qs(body.decode("utf-8", "replace")) if b"Action=" in body else {}
        target = self.headers.get("X-Amz-Target")
        if target:
            operation = target.rsplit(".", 1)[-1]
            action = f"{prefix}:{operation}"
        elif form:
            operation = form["Action"][0]
            action = f"{prefix}:{operation}"
        elif prefix == "s3":
            action = s3_action(self.command, split.path, split.query)
            operation = action.split(":", 1)[1]
        else:
            operation = split.path
            action = f"{prefix}:{operation}"
        counted = action
        if form.get("DryRun", ["false"])[0].lower() == "true":
            counted = f"{action}(DryRun)"
        with LOCK:
            CALLS[counted] = CALLS.get(counted, 0) + 1
        account = get_account_id_from(key) if key else None
        if action == "sts:AssumeRole":
            account = form.get("RoleArn", [":::::"])[0].split(":")[4]
        if self.denied(account, action, region):
            return self.refuse(prefix, operation, action, bool(target))
        if action == "iam:SimulatePrincipalPolicy":
            return self.simulate(form)
        if action == "ce:ListCostAllocationTags":
            return self.cost_allocation_tags(json.loads(body or b"{}"))
        self.forward(body)

    @staticmethod
    def denied(account, action, region=None):
        with LOCK:
            rules = SETTINGS["deny"].get(account or "", [])
        service = action.split(":", 1)[0]
        return bool({action, f"{service}:*", f"{action}@{region}"} & set(rules))

    def refuse(self, prefix, operation, action, json_protocol):
        message = f"User is not authorized to perform: {action}"
        rid = str(uuid.uuid4())
        if json_protocol:
            code = "AccessDenied" if prefix == "sqs" else "AccessDeniedException"
            body = json.dumps({"__type": code, "message": message}).encode()
            return self.send(400, body, "application/x-amz-json-1.1",
                             [("x-amzn-query-error", "AccessDenied;Sender")])
        if prefix in EC2_LIKE:
            body = (f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
                    f"<Code>UnauthorizedOperation</Code><Message>You are not authorized to "
                    f"perform this operation. {message}</Message></Error></Errors>"
                    f"<RequestID>{rid}</RequestID></Response>")
        elif prefix == "s3":
            body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code>"
                    f"<Message>Access Denied</Message><RequestId>{rid}</RequestId></Error>")
        else:
            body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                    f"<Message>{message}</Message></Error><RequestId>{rid}</RequestId>"
                    f"</ErrorResponse>")
        self.send(403, body.encode(), "text/xml")

    def simulate(self, form):
        source = form.get("PolicySourceArn", [""])[0]
        parts = source.split(":")
        if len(parts) < 6 or not parts[4]:
            return self.invalid(f"PolicySourceArn {source!r} is not an ARN")
        actions = [v[0] for k, v in sorted(form.items(), key=lambda kv: member_index(kv[0]))
                   if k.startswith("ActionNames.member.")]
        resources = [v[0] for k, v in form.items() if k.startswith("ResourceArns.member.")]
        start = int(form.get("Marker", ["0"])[0])
        size = int(form.get("MaxItems", ["100"])[0])
        page = actions[start:start + size]
        members = "".join(
            f"<member><EvalActionName>{a}</EvalActionName>"
            f"<EvalResourceName>{(resources or ['*'])[0]}</EvalResourceName>"
            f"<EvalDecision>{'implicitDeny' if self.denied(parts[4], a) else 'allowed'}"
            f"</EvalDecision><MatchedStatements/><MissingContextValues/></member>"
            for a in page)
        more = start + size < len(actions)
        marker = f"<Marker>{start + size}</Marker>" if more else ""
        body = (f'<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
                f"<SimulatePrincipalPolicyResult><IsTruncated>{str(more).lower()}</IsTruncated>"
                f"{marker}<EvaluationResults>{members}</EvaluationResults>"
                f"</SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>{uuid.uuid4()}"
                f"</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>")
        self.send(200, body.encode(), "text/xml")

    def invalid(self, message):
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidInput</Code>"
                f"<Message>{message}</Message></Error><RequestId>x</RequestId></ErrorResponse>")
        self.send(400, body.encode(), "text/xml")

    def cost_allocation_tags(self, request):
        keys = request.get("TagKeys")
        with LOCK:
            known = dict(SETTINGS["cost_allocation_tags"])
        tags = [{"TagKey": k, "Type": "UserDefined", "Status": s}
                for k, s in sorted(known.items()) if keys is None or k in keys]
        self.send(200, json.dumps({"CostAllocationTags": tags}).encode(),
                  "application/x-amz-json-1.1")

    def forward(self, body):
        conn = http.client.HTTPConnection("127.0.0.1", MOTO_PORT[0], timeout=120)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("content-length", "connection")}
        conn.request(self.command, self.path, body=body or None, headers=headers)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        self.send_response(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "date",
                                 "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def member_index(name):
    tail = name.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else 0
