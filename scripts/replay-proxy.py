#!/usr/bin/env python3
"""Record an emulator's answers once, then replay them with a fixed latency,
so that a benchmark measures tagwarden behind real API latency rather than
the emulator's own speed; or put that latency in front of the emulator live.

    replay-proxy.py record LISTEN_PORT TARGET_PORT FILE
    replay-proxy.py replay LISTEN_PORT FILE LATENCY_MS
    replay-proxy.py delay LISTEN_PORT TARGET_PORT LATENCY_MS [THROTTLE_PERCENT]

`record` forwards every request to the emulator and keeps each answer under
its request (method, path, body, the credentials' access key and the
X-Amz-Target header): the SDK's requests are deterministic but for their
signatures, and assumed-role credentials come back as recorded, so a replayed
run asks exactly the recorded questions. `replay` answers each request after
LATENCY_MS, from memory. The recording is written to FILE when the recorder
is stopped (SIGTERM). `delay` forwards every request to the emulator as it
comes (for a daemon whose writes must take effect, and whose questions depend
on what it has written) and answers each LATENCY_MS after it arrived, or as
soon as the emulator has answered if that is later. Prints "ready" when it
listens; a replayer or a delayer stopped (SIGTERM) prints the requests it
answered per operation, as one JSON line, and a delayer prints the same
line for the requests answered so far on SIGUSR1, and goes on. With
THROTTLE_PERCENT, that share of EC2's requests (every n-th, so a run is
repeatable) is refused as AWS refuses a caller over its rate
(`RequestLimitExceeded`, HTTP 503) without reaching the emulator, and
counted as `throttled:<operation>`.
"""
import asyncio
import concurrent.futures
import http.client
import json
import pickle
import re
import signal
import sys

CREDENTIAL = re.compile(rb"Credential=([^/]+)/")
ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z0-9]+)")


def operation_of(path, headers, body):
    """JSON protocols name it in X-Amz-Target, query protocols in the body's
    Action, REST JSON ones (MGN) in the path."""
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    m = ACTION.search(body)
    return m.group(1).decode() if m else path.split("?")[0]


async def read_request(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return method, path, headers, body


def key_of(method, path, headers, body):
    auth = headers.get("authorization", "").encode()
    m = CREDENTIAL.search(auth)
    return (method, path, body, m.group(1) if m else b"", headers.get("x-amz-target", ""))


def response_bytes(status, reason, headers, body):
    out = [f"HTTP/1.1 {status} {reason}"]
    out += [f"{k}: {v}" for k, v in headers if k.lower() not in ("content-length", "transfer-encoding", "connection", "date")]
    out += [f"Content-Length: {len(body)}", "Connection: keep-alive", "", ""]
    return "\r\n".join(out).encode("latin-1") + body


def forward(target_port, method, path, headers, body):
    conn = http.client.HTTPConnection("127.0.0.1", target_port, timeout=120)
    conn.request(method, path, body=body, headers={k: v for k, v in headers.items() if k != "content-length"})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return response_bytes(r.status, r.reason, r.getheaders(), data)


async def serve(handler, port, on_usr1=None):
    # Every connection may wait on the emulator at once (a long poll holds
    # one for its whole wait): more threads than asyncio's default handful.
    loop = asyncio.get_running_loop()
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=512))

    async def on_connection(reader, writer):
        try:
            while True:
                request = await read_request(reader)
                writer.write(await handler(*request))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client left, or the proxy is stopping
        finally:
            writer.close()

    server = await asyncio.start_server(on_connection, "127.0.0.1", port, backlog=2048)
    print("ready", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if on_usr1:
        loop.add_signal_handler(signal.SIGUSR1, on_usr1)
    async with server:
        await stop.wait()


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "record":
        target_port, file = int(sys.argv[3]), sys.argv[4]
        answers = {}

        async def record(method, path, headers, body):
            data = await asyncio.to_thread(forward, target_port, method, path, headers, body)
            key = key_of(method, path, headers, body)
            if key in answers:
                print("recorded twice:", key[0], key[1], key[2][:120], key[3], key[4], file=sys.stderr, flush=True)
            answers[key] = data
            return data

        asyncio.run(serve(record, port))
        with open(file, "wb") as f:
            pickle.dump(answers, f)
    elif mode == "delay":
        target_port, latency = int(sys.argv[3]), int(sys.argv[4]) / 1000
        percent = int(sys.argv[5]) if len(sys.argv) > 5 else 0
        every = round(100 / percent) if percent else 0
        ec2_seen = [0]
        refused = response_bytes(
            503,
            "Service Unavailable",
            [("Content-Type", "text/xml")],
            b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>'
            b"<Message>Request limit exceeded.</Message></Error></Errors><RequestID>throttled</RequestID></Response>",
        )
        answered = {}

        def counts():
            print(json.dumps(dict(sorted(answered.items()))), flush=True)

        async def delay(method, path, headers, body):
            op = operation_of(path, headers, body)
            due = asyncio.get_running_loop().time() + latency
            if every and b"Version=2016-11-15" in body:
                ec2_seen[0] += 1
                if ec2_seen[0] % every == 0:
                    op = f"throttled:{op}"
                    answered[op] = answered.get(op, 0) + 1
                    await asyncio.sleep(latency)
                    return refused
            answered[op] = answered.get(op, 0) + 1
            data = await asyncio.to_thread(forward, target_port, method, path, headers, body)
            await asyncio.sleep(max(0.0, due - asyncio.get_running_loop().time()))
            return data

        asyncio.run(serve(delay, port, counts))
        counts()
    else:
        file, latency = sys.argv[3], int(sys.argv[4]) / 1000
        with open(file, "rb") as f:
            answers = pickle.load(f)
        missing = response_bytes(500, "Not Recorded", [("Content-Type", "text/plain")], b"not recorded")
        answered = {}

        async def replay(method, path, headers, body):
            op = operation_of(path, headers, body)
            answered[op] = answered.get(op, 0) + 1
            await asyncio.sleep(latency)
            key = key_of(method, path, headers, body)
            if key not in answers:
                print("not recorded:", key[0], key[1], key[2][:120], key[3], key[4], file=sys.stderr, flush=True)
            return answers.get(key, missing)

        asyncio.run(serve(replay, port))
        print(json.dumps(dict(sorted(answered.items()))), flush=True)


main()
