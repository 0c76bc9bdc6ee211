//! A small soak: scheduled cycles every 5 s and tag on create meet on the
//! same new volumes while the daemon is killed once (SIGKILL) and
//! restarted, every request it makes answered 150 ms late and a fifth of
//! its EC2 requests refused as throttled (scripts/replay-proxy.py's `delay`
//! mode in front of the emulator), so that a cycle's and an event's writes
//! overlap and retried writes land late. Every volume ends up tagged, every event is handled, and no
//! key is journaled `applied` by two runs (a run whose re-read finds the
//! value already written counts it `already`), so `history`, the metrics
//! and a rollback see each write once.

use crate::common;

use common::daemon::Daemon;
use common::estate::STAGING;
use common::events::{create_volume, fixture, new_volume, volume_tags, MINUTE};
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// scripts/replay-proxy.py `delay`: every request to the emulator at
/// `target` answered `latency_ms` late, `throttled` percent of EC2's
/// refused (`RequestLimitExceeded`). Stopped when dropped.
struct Late {
    child: Child,
    out: BufReader<ChildStdout>,
    port: u16,
}

impl Late {
    fn start(target: &str, latency_ms: u32, throttled: u32) -> Late {
        let target = target.rsplit(':').next().unwrap().trim_end_matches('/');
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = common::repo_root().join("scripts/replay-proxy.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["delay", &port.to_string(), target])
            .args([latency_ms.to_string(), throttled.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs scripts/replay-proxy.py");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the delaying proxy did not start");
        Late { child, out, port }
    }

    /// Stop it: the requests it answered (or refused) per operation.
    fn stop(&mut self) -> std::collections::BTreeMap<String, u64> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }
}

impl Drop for Late {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ROUNDS: usize = 6;
const PER_ROUND: usize = 6;

#[test]
fn cycles_and_creation_events_through_a_kill_write_each_key_once() {
    let mut f = fixture(5);
    f.daemon.signal("KILL");
    f.daemon.wait_exit(MINUTE);
    let cfg = std::fs::read_to_string(f.dir.path().join("tagwarden.yaml"))
        .unwrap()
        .replace("interval: 1h", "interval: 5s");
    let cfg = common::write(f.dir.path(), "soak.yaml", &cfg);
    let mut late = Late::start(&f.emu.endpoint(), 150, 20);
    let start = |log: &str| {
        let mut command = f.emu.command(&["run", "-c", &cfg]);
        command.env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", late.port),
        );
        let mut d = Daemon::start(command, &f.dir.path().join(log));
        d.wait_for("the first cycle", MINUTE, |d| {
            d.metric("tagwarden_cycles_total{result=\"ok\"}")
                .unwrap_or(0.0)
                >= 1.0
        });
        d
    };
    let mut daemon = start("soak-1.log");
    let endpoint = f.emu.endpoint();
    let mut volumes = Vec::new();
    for round in 0..ROUNDS {
        if round == ROUNDS / 2 {
            daemon.signal("KILL");
            daemon.wait_exit(MINUTE);
            daemon = start("soak-2.log");
        }
        let made: Vec<String> = (0..PER_ROUND)
            .map(|_| new_volume(&endpoint, STAGING.0))
            .collect();
        let events = made
            .iter()
            .enumerate()
            .map(|(i, v)| create_volume(&format!("soak-{round}-{i}"), STAGING.0, v))
            .collect();
        f.send(events);
        volumes.extend(made);
        std::thread::sleep(Duration::from_millis(1500));
    }
    let tagged = |v: &String| {
        volume_tags(&endpoint, STAGING.0, v)
            .iter()
            .any(|(k, value)| k == "map-migrated" && value == "migABCDE12345")
    };
    let until = Instant::now() + 3 * MINUTE;
    while !(volumes.iter().all(tagged) && f.queued() == 0) {
        assert!(
            Instant::now() < until,
            "not every volume tagged and every event handled within three minutes:\n{}",
            daemon.log_text()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // Let the run that wrote the last volume finish its journal.
    daemon.wait_cycles(
        "ok",
        daemon
            .metric("tagwarden_cycles_total{result=\"ok\"}")
            .unwrap_or(0.0)
            + 1.0,
        MINUTE,
    );
    daemon.signal("TERM");
    daemon.wait_exit(MINUTE);
    let answered = late.stop();
    let throttled: u64 = answered
        .iter()
        .filter(|(op, _)| op.starts_with("throttled:"))
        .map(|(_, n)| n)
        .sum();
    assert!(
        throttled > 0,
        "the proxy refused some of EC2's requests: {answered:?}"
    );
    let runs = f.applied_runs();
    let applied: i64 = runs.iter().map(|(_, n)| n).sum();
    assert_eq!(
        applied,
        volumes.len() as i64,
        "each volume's key journaled applied once, by one run: {runs:?}"
    );
}
