"""A stand-in for AWS Application Migration Service (MGN), which moto does not
have, written from its API reference (botocore's `mgn` model, 2020-02-26):
restJson1, `POST /<Operation>`, errors named in the `x-amzn-ErrorType` header
with the members of the model's error shapes. emulator.py serves `Handler` on
its own port.

ListWaves, ListApplications, DescribeSourceServers, GetLaunchConfiguration,
UpdateLaunchConfiguration, DescribeLaunchConfigurationTemplates,
UpdateLaunchConfigurationTemplate and ListManagedAccounts. Requests are checked
against the model's input shapes (lengths, patterns, enums, ranges: a
ValidationException naming the fields); answers carry only the members of the
model's output shapes. State is per (account, Region); one never seeded nor
initialized answers UninitializedAccountException (400). `accountID` names
another account (its data in the caller's Region) only for a caller in
`admins` that manages it, else AccessDeniedException (403); ListManagedAccounts
lists an admin's `managed_accounts`. `deny` (by caller) answers 403,
`throttle_every` 429 ThrottlingException with `Retry-After: 1`; pages hold at
most `max_page`. Nothing is set up until a test says so:

    POST /_control  {"deny": {ACCOUNT: [OPERATION, ...] or "*"},
                     "throttle_every": N, "max_page": N, "admins": [ACCOUNT],
                     "managed_accounts": {ADMIN: [ACCOUNT, ...]}}
    POST /_control/initialize  {"account", "region"}
    POST /_control/seed  {"account", "region", "waves": [{"name", "archived",
                          "tags"}], "applications": [{"name", "wave", ...}],
                          "servers": [{"hostname", "application", "state",
                          "archived", "tags", "launched_instance", "launch"}],
                          "templates": [{LaunchConfigurationTemplate members}]}
                          -> {"waves": {NAME: ID}, "applications": {NAME: ID},
                              "servers": {HOSTNAME: ID}, "templates": [ID]}
    POST /_control/launch_configuration  {"account", "region",
                          "sourceServerID", MEMBER: VALUE (null unsets)}
    GET  /_control/state  {ACCOUNT: {REGION: {"waves", "applications",
                          "servers" (each with its "launchConfiguration"),
                          "templates"}}}
    GET  /_control/calls  requests answered, per operation
    GET  /_control/agents  the User-Agent headers seen
    POST /_control/reset  no state, no settings, no calls
"""

import base64
import hashlib
import json
import re
import threading
from datetime import datetime, timezone

import botocore.session

from stand_in import JsonHandler

MODEL = botocore.session.get_session().get_service_model("mgn")
DEFAULTS = {"deny": {}, "throttle_every": 0, "max_page": 1000, "admins": [],
            "managed_accounts": {}}
SETTINGS = json.loads(json.dumps(DEFAULTS))
DATA = {}  # ACCOUNT -> REGION -> {"waves", "applications", "servers", "templates"}
CALLS = {}
AGENTS = set()
SERIAL = [0]
LOCK = threading.Lock()


class Fail(Exception):
    def __init__(self, status, code, message, **members):
        super().__init__(message)
        self.status, self.code, self.members = status, code, members


def new_id(prefix, account, region):
    """`prefix` and 17 characters of [0-9a-z]: a hashed serial, unique across
    accounts and Regions, the same again after a reset."""
    SERIAL[0] += 1
    seed = f"{prefix}{account}/{region}/{SERIAL[0]}".encode()
    return prefix + hashlib.sha256(seed).hexdigest()[:17]


def view(shape, item):
    """The members of `item` that the model's `shape` has (drops internals)."""
    members = MODEL.shape_for(shape).members
    return {k: v for k, v in item.items() if k in members and v is not None}


def problems(shape, value, path=""):
    """What in `value` breaks the model's constraints for `shape`: (field, why)."""
    t, meta, out = shape.type_name, shape.metadata, []
    at = (lambda k: f"{path}.{k}" if path else k)
    if value is None:
        return out
    if t == "structure":
        if not isinstance(value, dict):
            return [(path, "must be an object")]
        out += [(at(r), "is required") for r in shape.required_members if r not in value]
        for k, v in value.items():
            if k in shape.members:
                out += problems(shape.members[k], v, at(k))
        return out
    if t in ("list", "map", "string"):
        if not isinstance(value, {"list": list, "map": dict, "string": str}[t]):
            return [(path, f"must be a {t}")]
        if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
            out.append((path, f"length must be {meta.get('min', 0)} to {meta.get('max')}"))
    if t == "list":
        for i, v in enumerate(value):
            out += problems(shape.member, v, f"{path}[{i}]")
    elif t == "map":
        for k, v in value.items():
            out += problems(shape.value, v, at(k))
    elif t == "string":
        if shape.enum and value not in shape.enum:
            out.append((path, f"must be one of {', '.join(shape.enum)}"))
        if meta.get("pattern") and not re.search(meta["pattern"], value):
            out.append((path, f"must match {meta['pattern']}"))
    elif t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            return [(path, "must be an integer")]
        if not meta.get("min", value) <= value <= meta.get("max", value):
            out.append((path, f"must be {meta.get('min')} to {meta.get('max')}"))
    elif t == "boolean" and not isinstance(value, bool):
        out.append((path, "must be a boolean"))
    return out


def page(items, body, cap=1000):
    size = min(body.get("maxResults") or cap, cap, int(SETTINGS["max_page"]))
    try:
        token = body.get("nextToken")
        start = int(base64.b64decode(token, validate=True).decode()) if token else 0
    except ValueError:
        start = -1
    if not 0 <= start <= len(items):
        raise Fail(400, "ValidationException", "Invalid nextToken", reason="cannotParse")
    out = {"items": items[start:start + size]}
    if start + size < len(items):
        out["nextToken"] = base64.b64encode(str(start + size).encode()).decode()
    return out


def pick(items, filters, fields):
    """AWS filters: a list is "any of" (an empty one no filter), a boolean equals."""
    for name, field in fields.items():
        want = (filters or {}).get(name)
        get = (lambda i, f=field: i["lifeCycle"]["state"] if f == "state" else i.get(f))
        if isinstance(want, bool):
            items = [i for i in items if bool(get(i)) == want]
        elif want:
            items = [i for i in items if get(i) in want]
    return items


def find(items, key, value, what):
    for item in items:
        if item[key] == value:
            return item
    raise Fail(404, "ResourceNotFoundException", f"{what} {value} not found",
               resourceId=value, resourceType=what)


def merge(target, members):
    """Sets the members; a None unsets one."""
    for k, v in members.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = v
    return target


# operation: (collection, item shape, {filter: item member}, filters in "filters")
LISTS = {
    "ListWaves": ("waves", "Wave", {"waveIDs": "waveID", "isArchived": "isArchived"}, 1),
    "ListApplications": ("applications", "Application", {
        "applicationIDs": "applicationID", "isArchived": "isArchived", "waveIDs": "waveID"}, 1),
    "DescribeSourceServers": ("servers", "SourceServer", {
        "sourceServerIDs": "sourceServerID", "isArchived": "isArchived",
        "replicationTypes": "replicationType", "lifeCycleStates": "state",
        "applicationIDs": "applicationID"}, 1),
    "DescribeLaunchConfigurationTemplates": ("templates", "LaunchConfigurationTemplate", {
        "launchConfigurationTemplateIDs": "launchConfigurationTemplateID"}, 0)}
# operation: (collection, ID member, what the ID names, answer shape, updates?)
ONE = {"GetLaunchConfiguration": ("servers", "sourceServerID", "SOURCE_SERVER",
                                  "LaunchConfiguration", False),
       "UpdateLaunchConfiguration": ("servers", "sourceServerID", "SOURCE_SERVER",
                                     "LaunchConfiguration", True),
       "UpdateLaunchConfigurationTemplate": ("templates", "launchConfigurationTemplateID",
                                             "LAUNCH_CONFIGURATION_TEMPLATE",
                                             "LaunchConfigurationTemplate", True)}
OPERATIONS = {*LISTS, *ONE, "ListManagedAccounts"}


def operate(op, data, body):
    if op in LISTS:
        kind, shape, fields, nested = LISTS[op]
        items = pick(data[kind], body.get("filters") if nested else body, fields)
        items_shape = MODEL.operation_model(op).output_shape.members["items"]
        cap = items_shape.metadata.get("max", 1000)  # 200 for the templates
        return page([view(shape, i) for i in items], body, cap)
    kind, key, what, shape, update = ONE[op]
    item = find(data[kind], key, body[key], what)
    target = item.get("launchConfiguration", item)
    if update:
        members = MODEL.operation_model(op).input_shape.members
        merge(target, {k: v for k, v in body.items()
                       if k in members and k not in (key, "accountID")})
    return view(shape, target)


def place(account, region):
    return DATA.setdefault(account, {}).setdefault(
        region, {"waves": [], "applications": [], "servers": [], "templates": []})


KINDS = {"waves": ("wave", "wave-", "waveID"), "servers": ("source-server", "s-", "sourceServerID"),
         "applications": ("application", "app-", "applicationID"),
         "templates": ("launch-configuration-template", "lct-", "launchConfigurationTemplateID")}
LAUNCH = {"launchDisposition": "STOPPED", "targetInstanceTypeRightSizingMethod": "BASIC",
          "copyPrivateIp": False, "copyTags": False, "licensing": {"osByol": False}}


def seed(body):
    account, region = body["account"], body["region"]
    data, stamp = place(account, region), datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = {"waves": {}, "applications": {}, "servers": {}, "templates": []}

    def add(kind, given, **item):
        resource, prefix, key = KINDS[kind]
        ident = new_id(prefix, account, region)
        item = {key: ident, "arn": f"arn:aws:mgn:{region}:{account}:{resource}/{ident}",
                "tags": given.get("tags", {}), "isArchived": bool(given.get("archived")), **item}
        data[kind].append({k: v for k, v in item.items() if v is not None})
        return ident

    def named(kind, name):
        if not name:
            return {}
        hits = [x for x in data[kind] if x["name"] == name]
        if not hits:
            raise Fail(400, "ValidationException", f"no {kind[:-1]} named {name!r}")
        return hits[-1]

    for w in body.get("waves", []):
        out["waves"][w["name"]] = add("waves", w, name=w["name"], creationDateTime=stamp,
                                      lastModifiedDateTime=stamp)
    for a in body.get("applications", []):
        out["applications"][a["name"]] = add(
            "applications", a, name=a["name"], waveID=named("waves", a.get("wave")).get("waveID"),
            creationDateTime=stamp, lastModifiedDateTime=stamp)
    for s in body.get("servers", []):
        ran = s.get("launched_instance")
        sid = add("servers", s, replicationType="AGENT_BASED",
                  lifeCycle={"state": s.get("state", "READY_FOR_TEST"),
                             "addedToServiceDateTime": stamp},
                  applicationID=named("applications", s.get("application")).get("applicationID"),
                  sourceProperties={"identificationHints": {"hostname": s["hostname"]},
                                    "lastUpdatedDateTime": stamp},
                  launchedInstance={"ec2InstanceID": ran, "firstBoot": "SUCCEEDED",
                                    "jobID": new_id("mgnjob-", account, region)} if ran else None)
        data["servers"][-1]["launchConfiguration"] = merge(
            {"sourceServerID": sid, "name": s["hostname"],
             "ec2LaunchTemplateID": new_id("lt-", account, region), **LAUNCH}, s.get("launch", {}))
        out["servers"][s["hostname"]] = sid
    for t in body.get("templates", []):
        out["templates"].append(add("templates", t, isArchived=None, **LAUNCH,
                                    ec2LaunchTemplateID=new_id("lt-", account, region)))
        merge(data["templates"][-1], t)
    return out


class Handler(JsonHandler):
    def fail(self, e):
        self.reply(e.status, {"message": str(e), "code": e.code, **e.members}, e.code)

    def do_GET(self):
        with LOCK:
            answer = {"/_control/state": DATA, "/_control/calls": CALLS,
                      "/_control/agents": sorted(AGENTS)}.get(self.path)
            answer = json.loads(json.dumps(answer))
        if answer is not None:
            return self.reply(200, answer)
        self.reply(404, {"message": "no such path"}, "ResourceNotFoundException")

    def do_POST(self):
        try:
            body = self.body()
        except ValueError:
            body = None
        if self.path.startswith("/_control"):
            try:
                with LOCK:
                    answer = self.control(self.path, body or {})
                self.reply(200, answer)
            except Fail as e:
                self.fail(e)
            except (KeyError, TypeError) as e:
                self.reply(400, {"message": f"bad control request: {e!r}"}, "ValidationException")
            return
        op = self.path.strip("/")
        with LOCK:
            CALLS[op] = CALLS.get(op, 0) + 1
            AGENTS.add(self.headers.get("User-Agent", ""))
            n = sum(CALLS.values())
            every = int(SETTINGS["throttle_every"] or 0)
        if every and n % every == 0:
            return self.reply(429, {"message": "Rate exceeded", "serviceCode": "mgn"},
                              "ThrottlingException", [("Retry-After", "1")])
        try:
            with LOCK:
                answer = self.call(op, body)
            self.reply(200, answer)
        except Fail as e:
            self.fail(e)
        except Exception as e:  # a bug here: say so rather than drop the connection
            self.reply(500, {"message": repr(e)}, "InternalServerException")

    def call(self, op, body):
        caller, region = self.caller()
        denied = SETTINGS["deny"].get(caller or "", [])
        if caller is None or denied == "*" or op in denied:
            raise Fail(403, "AccessDeniedException", f"User: arn:aws:sts::{caller}:assumed-role"
                       f" is not authorized to perform: mgn:{op}")
        if op not in OPERATIONS:
            raise Fail(400, "ValidationException", f"Unknown operation {op}",
                       reason="unknownOperation")
        if not isinstance(body, dict):
            raise Fail(400, "ValidationException", "Cannot parse the request body",
                       reason="cannotParse")
        wrong = problems(MODEL.operation_model(op).input_shape, body)
        if wrong:
            raise Fail(400, "ValidationException", "; ".join(f"{p}: {m}" for p, m in wrong),
                       reason="fieldValidationFailed",
                       fieldList=[{"name": p, "message": m} for p, m in wrong])
        if op == "ListManagedAccounts":
            managed = SETTINGS["managed_accounts"].get(caller, [])
            accounts = managed if caller in SETTINGS["admins"] else []
            return page([{"accountId": a} for a in accounts], body)
        account = body.get("accountID") or caller
        if account != caller and not (caller in SETTINGS["admins"] and account in
                                      SETTINGS["managed_accounts"].get(caller, [])):
            raise Fail(403, "AccessDeniedException",
                       f"Account {caller} does not manage account {account}")
        data = DATA.get(account, {}).get(region)
        if data is None:
            raise Fail(400, "UninitializedAccountException",
                       f"Account {account} is not initialized in {region}")
        return operate(op, data, body)

    def control(self, path, body):
        if path == "/_control":
            SETTINGS.update(body)
            return {}
        if path == "/_control/reset":
            DATA.clear()
            CALLS.clear()
            AGENTS.clear()
            SETTINGS.clear()
            SETTINGS.update(json.loads(json.dumps(DEFAULTS)))
            SERIAL[0] = 0
            return {}
        if path == "/_control/initialize":
            place(body["account"], body["region"])
            return {}
        if path == "/_control/seed":
            return seed(body)
        if path == "/_control/launch_configuration":
            data = DATA.get(body["account"], {}).get(body["region"], {"servers": []})
            server = find(data["servers"], "sourceServerID", body["sourceServerID"],
                          "SOURCE_SERVER")
            members = {k: v for k, v in body.items()
                       if k not in ("account", "region", "sourceServerID")}
            return dict(merge(server["launchConfiguration"], members))
        raise Fail(404, "ResourceNotFoundException", f"no control endpoint {path}")
