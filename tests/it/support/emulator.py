"""The tests' AWS: a moto server and, in the same process, stand-ins for AWS
Resource Explorer, answering from what moto holds, and for AWS Application
Migration Service (MGN, mgn.py), answering from what tests seed: moto has
neither; and a fault proxy in front of moto (faults.py) that refuses actions
per account and stands in for the calls moto lacks that the set-up checks
make.

    python emulator.py [--port N]

prints one JSON line, {"moto": PORT, "resource_explorer": PORT, "mgn": PORT,
"faults": PORT}, once all four listen (port 0, the default, takes a free port:
no race with other tests; the others always take free ports), and serves until
killed. The MGN stand-in's interface (operations, `/_control` endpoints) is
described in mgn.py.

The Resource Explorer stand-in is written from its API reference (restJson1,
`POST /<Operation>`, errors named in the `x-amzn-ErrorType` header):
GetIndex, GetDefaultView, GetView and ListResources, paged by NextToken, with
`accountid:`, `region:`, `resourcetype:` and `service:` filter tokens (a `-`
in front negates; tokens of one prefix are ORed, of different prefixes
ANDed), the type names Resource Explorer uses (`elasticloadbalancing:
loadbalancer/app`, `sns:topic`, `sqs:queue`), and the errors a user meets:
no index, no default view, a view without the `tags` property,
AccessDenied, ThrottlingException. Nothing is set up until a test says so:

    POST /_control   {"indexes": {ACCOUNT: {"region": R, "type": "AGGREGATOR"}},
                      "views": {VIEW_ARN: {"tags": true, "scope": "organization"}},
                      "default_views": {"ACCOUNT/REGION": VIEW_ARN},
                      "deny": [ACCOUNT], "throttle_every": N, "max_page": N}
    POST /_control/freeze   the index stops following moto (Resource
                            Explorer lags behind the services)
    GET  /_control/calls    requests answered, per operation
"""

import argparse
import base64
import json
import re
import sys
import threading
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer

from moto.core.base_backend import BackendDict
from moto.core.resource_tagging import TaggableResourcesMixin
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

sys.dont_write_bytecode = True  # no __pycache__ in the tests' folder
import faults  # noqa: E402
import mgn  # noqa: E402
from stand_in import JsonHandler  # noqa: E402

STATE = {"indexes": {}, "views": {}, "default_views": {}, "deny": [], "throttle_every": 0,
         "max_page": 1000}
CALLS = {}
FROZEN = None
LOCK = threading.Lock()
NOW = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def re_type(arn):
    """The type Resource Explorer reports for an ARN."""
    parts = arn.split(":", 5)
    service, resource = parts[2], parts[5]
    if service == "sns":
        return "sns:topic"
    if service == "sqs":
        return "sqs:queue"
    if service == "s3" and "/" not in resource:
        return "s3:bucket"
    m = re.match(r"loadbalancer/(app|net|gwy)/", resource)
    if service == "elasticloadbalancing" and m:
        return f"elasticloadbalancing:loadbalancer/{m.group(1)}"
    kind = re.split(r"[/:]", resource, 1)[0]
    return f"{service}:{kind}"


def arn_region(arn, fallback):
    region = arn.split(":")[3]
    return region or fallback


def moto_resources():
    """Every resource moto holds, tagged or not: (account, region, arn, tags)."""
    out = {}
    for backend_dict in list(BackendDict._instances):
        if not isinstance(backend_dict.backend, type):
            continue
        taggable = issubclass(backend_dict.backend, TaggableResourcesMixin)
        name = getattr(backend_dict, "service_name", "")
        if not taggable and name not in ("kinesis", "eks"):
            continue
        for account in list(backend_dict.keys()):
            per_account = backend_dict[account]
            for region in list(per_account.keys()):
                backend = per_account[region]
                for arn, tags in resources_of(backend, taggable, name):
                    where = arn_region(arn, region if region != "aws" else "us-east-1")
                    out[arn] = (account, where, arn, tags)
    return list(out.values())


def resources_of(backend, taggable, name):
    if taggable:
        for r in backend.iter_tagged_resources():
            yield r.arn, dict(r.tags)
    elif name == "kinesis":
        for s in backend.streams.values():
            yield s.arn, dict(getattr(s, "tags", {}) or {})
    elif name == "eks":
        for c in backend.clusters.values():
            yield c.arn, dict(c.tags or {})
            for ng in c.nodegroups.values():
                yield ng.arn, dict(ng.tags or {})


def matches(filter_string, account, region, rtype):
    groups = {}
    for token in (filter_string or "").split():
        negate = token.startswith("-")
        prefix, _, value = token.lstrip("-").partition(":")
        groups.setdefault((prefix, negate), []).append(value)
    fields = {"accountid": account, "region": region, "resourcetype": rtype,
              "service": rtype.split(":")[0]}
    for (prefix, negate), values in groups.items():
        if prefix not in fields:
            raise ValueError(f"the filter prefix `{prefix}:` is not supported")
        hit = any(fnmatch(fields[prefix], v) for v in values)
        if hit == negate:
            return False
    return True


def fnmatch(text, pattern):
    if pattern.endswith("*"):
        return text.startswith(pattern[:-1])
    return text == pattern


class Handler(JsonHandler):
    def error(self, status, code, message):
        self.reply(status, {"Message": message}, code)

    def do_GET(self):
        if self.path == "/_control/calls":
            with LOCK:
                return self.reply(200, dict(CALLS))
        self.error(404, "ResourceNotFoundException", "no such path")

    def do_POST(self):
        global FROZEN
        body = self.body()
        if self.path == "/_control":
            with LOCK:
                STATE.update(body)
            return self.reply(200, {})
        if self.path == "/_control/freeze":
            with LOCK:
                FROZEN = moto_resources()
            return self.reply(200, {"resources": len(FROZEN)})
        op = self.path.strip("/")
        with LOCK:
            CALLS[op] = CALLS.get(op, 0) + 1
            n = sum(CALLS.values())
            every = STATE["throttle_every"]
        if every and n % every == 0:
            return self.error(429, "ThrottlingException", "Rate exceeded")
        account, region = self.caller()
        if account in STATE["deny"]:
            return self.error(403, "AccessDeniedException",
                              f"User is not authorized to perform: resource-explorer-2:{op}")
        handler = {"GetIndex": self.get_index, "GetDefaultView": self.get_default_view,
                   "GetView": self.get_view, "ListResources": self.list_resources}.get(op)
        if handler is None:
            return self.error(400, "ValidationException", f"unknown operation {op}")
        handler(account, region, body)

    def index(self, account, region):
        i = STATE["indexes"].get(account)
        return i if i and i.get("region") == region else None

    def get_index(self, account, region, body):
        i = self.index(account, region)
        if not i:
            return self.error(404, "ResourceNotFoundException", "Index not found")
        arn = f"arn:aws:resource-explorer-2:{region}:{account}:index/00000000-0000-0000-0000-000000000000"
        self.reply(200, {"Arn": arn, "Type": i.get("type", "LOCAL"), "State": "ACTIVE",
                         "CreatedAt": NOW, "LastUpdatedAt": NOW})

    def get_default_view(self, account, region, body):
        arn = STATE["default_views"].get(f"{account}/{region}")
        self.reply(200, {"ViewArn": arn} if arn else {})

    def view(self, arn):
        v = STATE["views"].get(arn)
        if v is None:
            return None
        return v

    def get_view(self, account, region, body):
        arn = body.get("ViewArn", "")
        v = self.view(arn)
        if v is None or arn.split(":")[4] != account:
            return self.error(404, "ResourceNotFoundException", f"View {arn} not found")
        props = [{"Name": "tags"}] if v.get("tags") else []
        scope = (f"arn:aws:organizations::{account}:organization/o-example"
                 if v.get("scope") == "organization" else f"arn:aws:iam::{account}:root")
        self.reply(200, {"View": {"ViewArn": arn, "Owner": account, "LastUpdatedAt": NOW,
                                  "Scope": scope, "IncludedProperties": props,
                                  "Filters": {"FilterString": ""}}, "Tags": {}})

    def list_resources(self, account, region, body):
        arn = body.get("ViewArn") or STATE["default_views"].get(f"{account}/{region}")
        if not arn:
            return self.error(401, "UnauthorizedException",
                              "no view given and no default view in this Region")
        v = self.view(arn)
        if v is None or arn.split(":")[4] != account:
            return self.error(401, "UnauthorizedException", f"cannot use view {arn}")
        index = self.index(account, region)
        if not index:
            return self.error(401, "UnauthorizedException", "no index in this Region")
        size = min(int(body.get("MaxResults") or 100), 1000, int(STATE["max_page"]))
        if size < 1:
            return self.error(400, "ValidationException", "MaxResults must be 1 to 1000")
        filter_string = (body.get("Filters") or {}).get("FilterString", "")
        with LOCK:
            source = FROZEN if FROZEN is not None else None
        found = []
        try:
            for owner, where, rarn, tags in (source or moto_resources()):
                if v.get("scope") != "organization" and owner != account:
                    continue
                if index.get("type") != "AGGREGATOR" and where not in (region, "global"):
                    continue
                rtype = re_type(rarn)
                if matches(filter_string, owner, where, rtype):
                    found.append((owner, where, rarn, tags, rtype))
        except ValueError as e:
            return self.error(400, "ValidationException", str(e))
        found.sort(key=lambda r: r[2])
        start = int(base64.b64decode(body["NextToken"]).decode()) if body.get("NextToken") else 0
        page = found[start:start + size]
        out = {"Resources": [self.resource(r, v.get("tags")) for r in page], "ViewArn": arn}
        if start + size < len(found):
            out["NextToken"] = base64.b64encode(str(start + size).encode()).decode()
        self.reply(200, out)

    @staticmethod
    def resource(r, with_tags):
        owner, where, arn, tags, rtype = r
        props = []
        if with_tags:
            props = [{"Name": "tags", "LastReportedAt": NOW,
                      "Data": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}]
        return {"Arn": arn, "LastReportedAt": NOW, "OwningAccountId": owner,
                "Properties": props, "Region": where, "ResourceType": rtype,
                "Service": rtype.split(":")[0]}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    moto.start()
    explorer = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=explorer.serve_forever, daemon=True).start()
    migration = ThreadingHTTPServer(("127.0.0.1", 0), mgn.Handler)
    threading.Thread(target=migration.serve_forever, daemon=True).start()
    faults.MOTO_PORT[0] = moto.get_host_and_port()[1]
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), faults.Handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    print(json.dumps({"moto": moto.get_host_and_port()[1],
                      "resource_explorer": explorer.server_address[1],
                      "mgn": migration.server_address[1],
                      "faults": proxy.server_address[1]}), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())
