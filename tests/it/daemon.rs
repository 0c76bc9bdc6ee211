//! `tagwarden run` end to end against a moto server, over real HTTP and real
//! signals: cycles, metrics, the status page and history; reloads; drains;
//! outages; sharding; and the input it refuses before scanning anything.

use crate::common;

use common::daemon::{metric, Daemon};
use common::estate::{self, CALLER, PROD, STAGING};
use common::{repo_root, run_tagwarden, write, Emulator, Run};
use serde_json::Value;
use std::time::Duration;
use tempfile::TempDir;

const MINUTE: Duration = Duration::from_secs(60);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

fn map_policy() -> String {
    std::fs::read_to_string(repo_root().join("policies/map-migrated.yaml")).unwrap()
}

struct Fixture {
    emu: Emulator,
    dir: TempDir,
    cfg: String,
}

/// The demo estate (when `suffix` is given), the MAP policy in a file of the
/// test's own, and a configuration whose `daemon:` section is `daemon`.
fn fixture(suffix: Option<&str>, daemon: &str) -> Fixture {
    let emu = Emulator::start();
    if let Some(s) = suffix {
        runtime().block_on(estate::seed(&emu.endpoint(), s));
    }
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "map.yaml", &map_policy());
    let store = dir.path().join("state.db").display().to_string();
    let extra = format!("store: {store}\ndaemon: {{listen: \"127.0.0.1:0\", {daemon}}}\n");
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(&policy, &extra),
    );
    Fixture { emu, dir, cfg }
}

impl Fixture {
    fn start(&self, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        self.start_with(&self.cfg, args, env, "daemon.log")
    }

    /// Start with configuration `cfg`.
    fn start_with(&self, cfg: &str, args: &[&str], env: &[(&str, &str)], log: &str) -> Daemon {
        let mut all = vec!["run", "-c", cfg];
        all.extend_from_slice(args);
        let mut cmd = self.emu.command(&all);
        cmd.envs(env.iter().copied());
        Daemon::start(cmd, &self.dir.path().join(log))
    }

    fn tagwarden(&self, args: &[&str]) -> Run {
        let mut all = vec!["-c", self.cfg.as_str()];
        all.extend_from_slice(args);
        self.emu.tagwarden(&all)
    }

    fn history(&self) -> Vec<Value> {
        let run = self.tagwarden(&["history", "--format", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json().as_array().unwrap().clone()
    }
}

fn runs_of<'a>(history: &'a [Value], kind: &str) -> Vec<&'a Value> {
    history.iter().filter(|r| r["kind"] == kind).collect()
}

#[test]
fn cycles_are_served_recorded_and_stopped_cleanly() {
    let f = fixture(Some("d1"), "interval: 2s");
    let mut d = f.start(&[], &[]);
    d.wait_cycles("ok", 2.0, MINUTE);

    let (status, body) = d.get("/readyz").unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("ready: the last cycle finished"), "{body}");
    assert_eq!(d.get("/healthz").unwrap(), (200, "ok\n".to_string()));

    // The metrics agree with a one-off audit of the same estate.
    let audit = f.tagwarden(&["audit", "--format", "json"]).json();
    let text = d.metrics();
    let version = env!("CARGO_PKG_VERSION");
    let build = format!("tagwarden_build_info{{version=\"{version}\"}}");
    assert_eq!(metric(&text, &build), Some(1.0), "{text}");
    let shard = "tagwarden_shard_info{shard=\"0\",total_shards=\"1\"}";
    assert_eq!(metric(&text, shard), Some(1.0));
    let rows = common::non_empty(&audit["compliance"], "compliance rows");
    for row in rows {
        let labels = format!(
            "account=\"{}\",policy=\"{}\"",
            row["account"].as_str().unwrap(),
            row["policy"].as_str().unwrap()
        );
        let non_compliant = metric(
            &text,
            &format!("tagwarden_resources_non_compliant{{{labels}}}"),
        );
        assert_eq!(
            non_compliant,
            row["non_compliant"].as_f64(),
            "{labels}\n{text}"
        );
        let in_scope = metric(&text, &format!("tagwarden_resources_in_scope{{{labels}}}"));
        assert_eq!(in_scope, row["in_scope"].as_f64(), "{labels}");
    }
    let missing = format!(
        "tagwarden_findings{{account=\"{}\",policy=\"map-migrated\",kind=\"missing\"}}",
        PROD.0
    );
    assert!(metric(&text, &missing).unwrap() > 0.0, "{text}");
    for account in [PROD.0, STAGING.0] {
        let ok = format!("tagwarden_account_scan_success{{account=\"{account}\"}}");
        assert_eq!(metric(&text, &ok), Some(1.0));
    }
    let requests = "tagwarden_aws_requests_total{service=\"ec2\",operation=\"DescribeInstances\"}";
    assert!(
        metric(&text, requests).unwrap() >= 8.0,
        "2 cycles x 2 accounts x 2 regions"
    );
    assert!(metric(&text, "tagwarden_last_successful_cycle_timestamp_seconds").unwrap() > 1.7e9);
    assert!(metric(&text, "tagwarden_cycle_duration_seconds_count").unwrap() >= 2.0);
    // Labels come from bounded sets only: never a resource.
    assert!(!text.contains("arn:aws"), "{text}");

    let (status, page) = d.get("/").unwrap();
    assert_eq!(status, 200);
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(
        page.contains("Last cycle: <span class=\"ok\">ok</span>"),
        "{page}"
    );
    assert!(page.contains(&format!("{} (prod)", PROD.0)), "{page}");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external assets"
    );

    // The HTML report of the last cycle; credits need the agreement's dates.
    let (status, report) = d.get("/report").unwrap();
    assert_eq!(status, 200);
    assert!(
        report.contains("<title>tagwarden report</title>"),
        "{report}"
    );
    assert!(report.contains("<svg"), "charts");
    assert!(
        report.contains("credits need the agreement's dates"),
        "{report}"
    );

    d.signal("TERM");
    let (code, took) = d.wait_exit(Duration::from_secs(20));
    assert_eq!(code, 0, "{}", d.log_text());
    assert!(took < Duration::from_secs(5), "idle shutdown took {took:?}");
    assert!(d.log_text().contains("stopped"));

    // Every cycle is in the store, with its counts.
    let history = f.history();
    // A cycle under way at SIGTERM is recorded as cancelled; the others ok.
    let cycles: Vec<_> = runs_of(&history, "cycle")
        .into_iter()
        .filter(|c| c["status"] != "cancelled")
        .collect();
    assert!(cycles.len() >= 2, "{history:?}");
    for c in &cycles {
        assert_eq!(c["status"], "ok", "{c}");
        assert_eq!(
            c["summary"]["resources"], audit["summary"]["resources"],
            "{c}"
        );
        assert_eq!(
            c["summary"]["non_compliant"],
            audit["summary"]["non_compliant"]
        );
    }
    let table = f.tagwarden(&["history", "--format", "table"]);
    assert!(table.stdout.contains("cycle"), "{}", table.stdout);
}

#[test]
fn failing_accounts_regions_and_an_outage_do_not_stop_the_daemon() {
    let mut f = fixture(None, "interval: 2s");
    // The caller's own account scans (one volume in us-east-1); PROD has no
    // role to enter it by; the emulator answers 500 for an unknown region
    // (real AWS fails it at DNS).
    runtime().block_on(async {
        let seeder = estate::Seeder::new(&f.emu.endpoint()).await;
        let ec2 = estate::Seeder::ec2(seeder.base(), "us-east-1");
        estate::volume(&ec2, "us-east-1", &[]).await;
    });
    let policy = f.dir.path().join("map.yaml").display().to_string();
    let store = f.dir.path().join("state.db").display().to_string();
    let text = format!(
        "policies: [{policy}]\nregions: [us-east-1, xx-nowhere-1]\nstore: {store}\naccounts:\n  list:\n    - {{id: \"{CALLER}\", name: own}}\n    - {{id: \"{}\", name: prod}}\ndaemon: {{interval: 2s, listen: \"127.0.0.1:0\"}}\n",
        PROD.0
    );
    f.cfg = write(f.dir.path(), "tagwarden.yaml", &text);
    let mut d = f.start(&[], &[]);
    d.wait_cycles("partial", 1.0, MINUTE);
    let text = d.metrics();
    let own = format!("tagwarden_resources_scanned{{account=\"{CALLER}\"}}");
    assert_eq!(metric(&text, &own), Some(1.0), "{text}");
    let prod = format!("tagwarden_account_scan_success{{account=\"{}\"}}", PROD.0);
    assert_eq!(metric(&text, &prod), Some(0.0), "{text}");
    assert_eq!(
        d.get("/readyz").unwrap().0,
        200,
        "a partial cycle is still a working daemon"
    );
    let (_, page) = d.get("/").unwrap();
    assert!(page.contains("no `accounts.role`"), "{page}");

    // The emulator goes away mid-run: that cycle fails and is counted, and
    // the daemon is not ready until one succeeds again.
    f.emu.stop();
    d.wait_cycles("failed", 1.0, MINUTE);
    let (status, body) = d.get("/readyz").unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("the last cycle failed"), "{body}");
    assert_eq!(d.get("/healthz").unwrap().0, 200, "alive all the same");
    let failures = "tagwarden_cycle_failures_total{reason=\"nothing_scanned\"}";
    assert!(d.metric(failures).unwrap() >= 1.0);

    f.emu.restart();
    let partial = d
        .metric("tagwarden_cycles_total{result=\"partial\"}")
        .unwrap();
    d.wait_cycles("partial", partial + 1.0, MINUTE);
    d.wait_for("ready again", MINUTE, |d| {
        d.get("/readyz").unwrap().0 == 200
    });
    d.signal("INT");
    assert_eq!(d.wait_exit(Duration::from_secs(20)).0, 0);
}

#[test]
fn sighup_keeps_a_broken_configuration_out_and_takes_a_valid_one() {
    let f = fixture(Some("d3"), "interval: 2s");
    let mut d = f.start(&[], &[]);
    d.wait_cycles("ok", 1.0, MINUTE);
    let in_scope = |d: &Daemon, policy: &str| {
        d.metric(&format!(
            "tagwarden_resources_in_scope{{account=\"{}\",policy=\"{policy}\"}}",
            PROD.0
        ))
    };
    assert!(in_scope(&d, "map-migrated").unwrap() > 0.0);

    let policy = f.dir.path().join("map.yaml");
    std::fs::write(&policy, map_policy().replace("require:", "requires:")).unwrap();
    d.signal("HUP");
    d.wait_for("a rejected reload", MINUTE, |d| {
        d.metric("tagwarden_config_reloads_total{result=\"failure\"}") == Some(1.0)
    });
    let log = d.log_text();
    assert!(
        log.contains("configuration reload rejected; keeping the running configuration"),
        "{log}"
    );
    assert!(
        log.contains(&format!("{}:", policy.display())),
        "the file and position: {log}"
    );
    // Still serving, still cycling, with the policy it had.
    let ok = d.metric("tagwarden_cycles_total{result=\"ok\"}").unwrap();
    d.wait_cycles("ok", ok + 1.0, MINUTE);
    assert!(in_scope(&d, "map-migrated").unwrap() > 0.0);
    assert_eq!(d.get("/readyz").unwrap().0, 200);

    // Moving the store (and its journal) under a running daemon is refused,
    // valid files or not.
    std::fs::write(&policy, map_policy()).unwrap();
    let cfg = std::fs::read_to_string(&f.cfg).unwrap();
    std::fs::write(&f.cfg, cfg.replace("state.db", "moved.db")).unwrap();
    d.signal("HUP");
    d.wait_for("the store change rejected", MINUTE, |d| {
        d.metric("tagwarden_config_reloads_total{result=\"failure\"}") == Some(2.0)
    });
    assert!(d
        .log_text()
        .contains("`store` cannot change while the daemon runs"));
    std::fs::write(&f.cfg, cfg).unwrap();

    std::fs::write(
        &policy,
        map_policy().replace("name: map-migrated", "name: map-wave-2"),
    )
    .unwrap();
    d.signal("HUP");
    d.wait_for("the new policy in a cycle", MINUTE, |d| {
        in_scope(d, "map-wave-2").is_some()
    });
    assert_eq!(
        d.metric("tagwarden_config_reloads_total{result=\"success\"}"),
        Some(1.0)
    );
    assert_eq!(
        in_scope(&d, "map-migrated"),
        None,
        "the old policy's series are gone"
    );
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(20)).0, 0);
}

/// Start in enforce mode with `pause_ms` between the journal and the
/// writes, and send SIGTERM in that pause: the daemon exits 0 within `bound`.
fn terminate_while_writing(f: &Fixture, pause_ms: &str, bound: Duration) -> Daemon {
    common::needs_test_hooks();
    let mut d = f.start(&[], &[("TAGWARDEN_PAUSE_AFTER_JOURNAL_MS", pause_ms)]);
    d.wait_for("the journal written", MINUTE, |d| {
        d.log_text().contains("before writing")
    });
    d.signal("TERM");
    let (code, took) = d.wait_exit(Duration::from_secs(30));
    assert_eq!(code, 0, "{}", d.log_text());
    assert!(took < bound, "exit took {took:?}, more than {bound:?}");
    d
}

#[test]
fn shutdown_during_an_enforce_cycle_lets_the_writes_finish() {
    let f = fixture(Some("d4"), "interval: 1h, mode: enforce");
    // Within daemon.drain (20 s).
    terminate_while_writing(&f, "3000", Duration::from_secs(20));

    let history = f.history();
    let applies = runs_of(&history, "apply");
    assert_eq!(applies.len(), 1, "{history:?}");
    assert_eq!(applies[0]["pending"], 0, "{history:?}");
    assert!(applies[0]["applied"].as_i64().unwrap() > 0);
    let cycles = runs_of(&history, "cycle");
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0]["summary"]["applied"], applies[0]["applied"]);
    assert_eq!(cycles[0]["summary"]["apply_run"], applies[0]["id"]);
    // What it wrote shows: nothing is left missing the MAP tag.
    let audit = f.tagwarden(&["audit", "--format", "json"]).json();
    let missing = common::findings(&audit)
        .into_iter()
        .filter(|(_, tag, kind)| tag == "map-migrated" && kind == "missing")
        .count();
    assert_eq!(missing, 0, "{audit}");
}

#[test]
fn a_drain_that_runs_out_leaves_only_what_the_next_start_settles() {
    let f = fixture(Some("d5"), "interval: 1h, mode: enforce, drain: 1s");
    // Bounded by daemon.drain (1 s), though the writes would take a minute.
    let d = terminate_while_writing(&f, "60000", Duration::from_secs(5));
    assert!(d.log_text().contains("did not finish within daemon.drain"));
    let history = f.history();
    let interrupted = runs_of(&history, "apply")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(runs_of(&history, "apply")[0]["pending"].as_i64().unwrap() > 0);

    // The next start says so, and settles the journal before it writes.
    let mut d = f.start(&[], &[]);
    assert!(d.metric("tagwarden_journal_pending").unwrap() > 0.0);
    d.wait_for("a cycle", MINUTE, |d| {
        d.metric("tagwarden_cycles_total{result=\"ok\"}") == Some(1.0)
    });
    let history = f.history();
    assert!(history.iter().all(|r| r["pending"] == 0), "{history:?}");
    let old = history
        .iter()
        .find(|r| r["id"] == interrupted.as_str())
        .unwrap();
    assert_eq!(old["status"], "interrupted", "{old}");
    let applied: i64 = runs_of(&history, "apply")
        .iter()
        .map(|r| r["applied"].as_i64().unwrap())
        .sum();
    assert!(
        applied > 0,
        "the second start wrote what the first never sent"
    );
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(20)).0, 0);
}

#[test]
fn shards_split_the_accounts_by_id() {
    let f = fixture(Some("d6"), "interval: 1h");
    // Two replicas side by side, each with its own store and port;
    // 111111111111 is odd, 222222222222 even.
    let mut one = f.start(&["--shard", "1", "--total-shards", "2"], &[]);
    let text = std::fs::read_to_string(&f.cfg)
        .unwrap()
        .replace("state.db", "state-0.db");
    let cfg0 = write(f.dir.path(), "shard-0.yaml", &text);
    let env = [("POD_NAME", "tagwarden-0"), ("TAGWARDEN_TOTAL_SHARDS", "2")];
    let mut zero = f.start_with(&cfg0, &[], &env, "zero.log");
    for d in [&mut one, &mut zero] {
        d.wait_cycles("ok", 1.0, MINUTE);
    }
    let scanned = |d: &Daemon, account: &str| {
        d.metric(&format!(
            "tagwarden_resources_scanned{{account=\"{account}\"}}"
        ))
    };
    assert!(scanned(&one, PROD.0).unwrap() > 0.0);
    assert_eq!(scanned(&one, STAGING.0), None);
    assert!(scanned(&zero, STAGING.0).unwrap() > 0.0);
    assert_eq!(scanned(&zero, PROD.0), None);
    assert_eq!(
        one.metric("tagwarden_shard_info{shard=\"1\",total_shards=\"2\"}"),
        Some(1.0)
    );
    assert_eq!(
        zero.metric("tagwarden_shard_info{shard=\"0\",total_shards=\"2\"}"),
        Some(1.0)
    );
}

#[test]
fn bad_input_is_refused_before_anything_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "map.yaml", &map_policy());
    let store = dir.path().join("state.db");
    let run_with = |daemon: &str, args: &[&str]| {
        let text = format!(
            "policies: [{policy}]\nstore: {}\ndaemon: {daemon}\n",
            store.display()
        );
        let cfg = write(dir.path(), "tagwarden.yaml", &text);
        let mut all = vec!["run", "-c", cfg.as_str()];
        all.extend_from_slice(args);
        run_tagwarden(&all, &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")])
    };
    let cases: [(&str, &[&str], &str); 5] = [
        ("{listen: \"localhost\"}", &[], "tagwarden.yaml:3:18: error: `localhost` is not an address such as 127.0.0.1:9464 or [::]:9464"),
        ("{interval: 0s}", &[], "tagwarden.yaml:3:20: error: `0s` is zero; a duration must be at least 1s"),
        ("{drain: soon}", &[], "error: `soon` is not a duration such as 90s, 15m, 1h or 1d"),
        ("{}", &["--shard", "2", "--total-shards", "2"], "error: --shard 2 is out of range: with --total-shards 2 it must be 0 to 1"),
        ("{}", &["--total-shards", "3", "--pod-name", "tagwarden"], "cannot take the shard from the pod name `tagwarden`"),
    ];
    for (daemon, args, message) in cases {
        let run = run_with(daemon, args);
        assert_eq!(run.code, 2, "{daemon} {args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{daemon}: {}", run.stderr);
        assert!(!store.exists(), "nothing scanned or recorded");
    }
    // An address already in use.
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap();
    let run = run_with(&format!("{{listen: \"{addr}\"}}"), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("error: cannot listen on {addr} (daemon.listen):")),
        "{}",
        run.stderr
    );
    assert!(!store.exists(), "nothing scanned or recorded");
}

/// systemd's side of Type=notify: a datagram socket in NOTIFY_SOCKET.
#[test]
fn systemd_hears_ready_reloading_stopping_and_the_watchdog() {
    use std::os::unix::net::UnixDatagram;
    let f = fixture(Some("d7"), "interval: 1h");
    let socket_path = f.dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let notify = socket_path.display().to_string();
    // WatchdogSec=2: a ping at least every second.
    let env = [
        ("NOTIFY_SOCKET", notify.as_str()),
        ("WATCHDOG_USEC", "2000000"),
    ];
    let mut d = f.start(&[], &env);
    let mut seen: Vec<String> = Vec::new();
    let until = |want: &str, seen: &mut Vec<String>| {
        let mut buf = [0u8; 4096];
        while !seen.iter().any(|m| m.lines().any(|l| l == want)) {
            let n = socket
                .recv(&mut buf)
                .unwrap_or_else(|e| panic!("no {want} from the daemon ({e}); got {seen:?}"));
            seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    };
    until("READY=1", &mut seen);
    until("WATCHDOG=1", &mut seen);
    d.wait_cycles("ok", 1.0, MINUTE);
    d.signal("HUP");
    until("RELOADING=1", &mut seen);
    let reloading = seen.iter().find(|m| m.contains("RELOADING=1")).unwrap();
    assert!(reloading.contains("MONOTONIC_USEC="), "{reloading}");
    seen.retain(|m| !m.contains("READY=1"));
    until("READY=1", &mut seen);
    d.signal("TERM");
    until("STOPPING=1", &mut seen);
    assert_eq!(d.wait_exit(Duration::from_secs(20)).0, 0);
}

#[test]
fn the_blast_radius_cap_holds_in_enforce_mode() {
    let f = fixture(Some("d8"), "interval: 1h, mode: enforce");
    let text = std::fs::read_to_string(&f.cfg).unwrap() + "limits: {max_changes_per_run: 1}\n";
    std::fs::write(&f.cfg, text).unwrap();
    let mut d = f.start(&[], &[]);
    d.wait_cycles("failed", 1.0, MINUTE);
    let over = d.metric("tagwarden_cycle_failures_total{reason=\"over_cap\"}");
    assert_eq!(over, Some(1.0), "{}", d.log_text());
    let history = f.history();
    assert!(
        runs_of(&history, "apply").is_empty(),
        "nothing written: {history:?}"
    );
    let cycle = runs_of(&history, "cycle")[0];
    assert_eq!(cycle["status"], "failed");
    let error = cycle["summary"]["error"].as_str().unwrap();
    assert!(error.contains("max_changes_per_run"), "{error}");
}

#[test]
fn a_new_organization_account_is_scanned_from_the_next_cycle() {
    let f = fixture(None, "interval: 2s");
    let create = |name: &str| -> String {
        runtime().block_on(async {
            let seeder = estate::Seeder::new(&f.emu.endpoint()).await;
            let id = estate::member_account(&seeder, name).await;
            let cfg = seeder.account(&id).await;
            estate::launch(&estate::Seeder::ec2(&cfg, "us-east-1"), 1, &[], &[]).await;
            id
        })
    };
    let first = create("wave-1");
    let policy = f.dir.path().join("map.yaml").display().to_string();
    let store = f.dir.path().join("state.db").display().to_string();
    let text = format!(
        "policies: [{policy}]\nregions: [us-east-1]\nstore: {store}\naccounts:\n  role: tagwarden-audit\n  discover: organizations\ndaemon: {{interval: 2s, listen: \"127.0.0.1:0\"}}\n"
    );
    std::fs::write(&f.cfg, text).unwrap();
    let mut d = f.start(&[], &[]);
    let scanned = |d: &Daemon, id: &str| {
        d.metric(&format!("tagwarden_resources_scanned{{account=\"{id}\"}}"))
    };
    d.wait_cycles("ok", 1.0, MINUTE);
    // An instance and its root volume.
    assert_eq!(scanned(&d, &first), Some(2.0));
    let second = create("wave-2");
    d.wait_for("the new account scanned", MINUTE, |d| {
        scanned(d, &second) == Some(2.0)
    });
    assert_eq!(scanned(&d, &first), Some(2.0));
}

/// Opens N connections to PORT, each sending half a request, and holds
/// them for SECONDS, reopening any the daemon closes.
const FLOOD: &str = r#"
import resource, socket, sys, time
port, n, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < n + 64:
    sys.exit(f"the flood needs {n + 64} open files; the hard limit is {hard}")
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
def half_open():
    s = socket.create_connection(("127.0.0.1", port))
    s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    s.setblocking(False)
    return s
socks = [half_open() for _ in range(n)]
print("open", flush=True)
until = time.time() + seconds
while time.time() < until:
    for i, s in enumerate(socks):
        try:
            if s.recv(1) == b"":
                raise ConnectionError
        except BlockingIOError:
            continue
        except OSError:
            s.close()
            socks[i] = half_open()
    time.sleep(0.05)
"#;

#[test]
fn healthz_answers_under_a_flood_of_half_open_connections() {
    use std::io::BufRead;
    let f = fixture(None, "interval: 1h");
    let d = f.start(&[], &[]);
    // systemd's default limit: 1,024 open files.
    let limited = std::process::Command::new("prlimit")
        .args(["--pid", &d.pid().to_string(), "--nofile=1024:1024"])
        .status()
        .expect("prlimit (util-linux) sets the daemon's open-file limit");
    assert!(limited.success());
    let mut flood = std::process::Command::new(common::emulator_python())
        .args(["-c", FLOOD, &d.port.to_string(), "1200", "30"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(flood.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "open", "the flood did not start");
    // While 1,200 connections hold half a request each, and come back
    // when closed, /healthz answers every time.
    for _ in 0..10 {
        let answer = d.get("/healthz");
        assert_eq!(
            answer.as_ref().map(|(s, _)| *s),
            Some(200),
            "{answer:?}\n{}",
            d.log_text()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let _ = flood.kill();
    let _ = flood.wait();
}
