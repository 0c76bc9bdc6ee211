//! Migration waves end to end: MGN (the stand-in in tests/it/support/mgn.py,
//! answering per calling account) with instances MGN launched that exist in
//! the emulator, across two accounts; `waves`, `audit --wave`, `apply
//! --wave` and `rollback` of launch settings and tags.

use crate::common;

use common::daemon::{metric, Daemon};
use common::estate::{self, Seeder, PROD, STAGING};
use common::{findings, write, Emulator, Run};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tempfile::TempDir;

pub(crate) const OURS: &str = "migABCDE12345";

pub(crate) const POLICY: &str = "version: 1
policies:
  - name: map
    resources: [mgn:source-server, ec2:instance, ec2:volume]
    scope: {exclude_tags: {map-exempt: \"*\"}}
    require:
      map-migrated: {values: [migABCDE12345], format: map}
    remediate:
      set: {map-migrated: migABCDE12345}
      overwrite: never
";

pub(crate) struct Waves {
    pub emu: Emulator,
    pub dir: TempDir,
    pub cfg: String,
    /// Hostname → server id, per account.
    prod: Value,
    /// The instance of a cut-over server that lost its tag, and an
    /// instance of no wave.
    lost: String,
    elsewhere: String,
}

pub(crate) fn seed_mgn(emu: &Emulator, account: &str, body: Value) -> Value {
    let mut body = body;
    body["account"] = json!(account);
    body["region"] = json!("us-east-1");
    emu.mgn("POST", "/_control/seed", &body.to_string())
}

pub(crate) fn setup() -> Waves {
    let emu = Emulator::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (lost, tagged, elsewhere) = rt.block_on(async {
        let seeder = Seeder::new(&emu.endpoint()).await;
        let prod = Seeder::ec2(&seeder.account(PROD.0).await, "us-east-1");
        let staging = Seeder::ec2(&seeder.account(STAGING.0).await, "us-east-1");
        let lost = estate::launch(&prod, 1, &[("Name", "erp-app")], &[]).await;
        let other = estate::launch(&prod, 1, &[], &[]).await;
        let tagged = estate::launch(
            &staging,
            1,
            &[("map-migrated", OURS)],
            &[("map-migrated", OURS)],
        )
        .await;
        (lost[0].0.clone(), tagged[0].0.clone(), other[0].0.clone())
    });
    let on = |v: &str| json!({"enableMapAutoTagging": true, "mapAutoTaggingMpeID": v});
    let prod = seed_mgn(
        &emu,
        PROD.0,
        json!({
            "waves": [{"name": "wave-3"}, {"name": "wave-4"}, {"name": "wave-1", "archived": true}],
            "applications": [{"name": "erp", "wave": "wave-3"}, {"name": "crm", "wave": "wave-4"}],
            "servers": [
                {"hostname": "erp-ready", "application": "erp", "state": "READY_FOR_CUTOVER", "launch": on(OURS)},
                {"hostname": "erp-off", "application": "erp", "state": "READY_FOR_CUTOVER"},
                {"hostname": "erp-other", "application": "erp", "launch": on("migZZZZZ99999")},
                {"hostname": "erp-bare", "application": "erp", "launch": on("ABCDE12345")},
                {"hostname": "erp-exempt", "application": "erp", "tags": {"map-exempt": "yes"}},
                {"hostname": "erp-cut", "application": "erp", "state": "CUTOVER", "launched_instance": lost},
                {"hostname": "erp-gone", "application": "erp", "archived": true},
                {"hostname": "crm-1", "application": "crm"}
            ],
            "templates": [{"enableMapAutoTagging": false}]
        }),
    );
    seed_mgn(
        &emu,
        STAGING.0,
        json!({
            "waves": [{"name": "wave-3"}],
            "applications": [{"name": "web", "wave": "wave-3"}],
            "servers": [{"hostname": "web-1", "application": "web", "state": "READY_FOR_CUTOVER",
                         "launch": on(OURS), "launched_instance": tagged}]
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "map.yaml", POLICY);
    let store = dir.path().join("state.db").display().to_string();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(
            &policy,
            &format!("store: {store}\ninventory:\n  mgn: {{}}\n"),
        ),
    );
    Waves {
        emu,
        dir,
        cfg,
        prod: prod["servers"].clone(),
        lost,
        elsewhere,
    }
}

impl Waves {
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(&self.cfg, args)
    }

    /// With another configuration.
    pub fn run_with(&self, cfg: &str, args: &[&str]) -> Run {
        let mut full = vec!["-c", cfg];
        full.extend_from_slice(args);
        self.emu.tagwarden(&full)
    }

    /// `audit --wave wave-3` in prod, as JSON.
    pub fn audit_wave(&self) -> Run {
        self.run(&[
            "audit",
            "--wave",
            "wave-3",
            "--account",
            "prod",
            "--format",
            "json",
        ])
    }

    /// A person turns MAP auto-tagging on with `value` on a prod server.
    fn person_sets(&self, host: &str, value: &str) {
        let body = json!({"account": PROD.0, "region": "us-east-1", "sourceServerID": self.server(host),
                          "enableMapAutoTagging": true, "mapAutoTaggingMpeID": value});
        self.emu
            .mgn("POST", "/_control/launch_configuration", &body.to_string());
    }

    fn server(&self, host: &str) -> String {
        self.prod[host].as_str().unwrap().to_string()
    }

    fn arn(&self, host: &str) -> String {
        format!(
            "arn:aws:mgn:us-east-1:{}:source-server/{}",
            PROD.0,
            self.server(host)
        )
    }

    /// A PROD server's launch configuration, as the stand-in holds it.
    fn launch(&self, host: &str) -> Value {
        let state = self.emu.mgn("GET", "/_control/state", "");
        let id = self.server(host);
        state[PROD.0]["us-east-1"]["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["sourceServerID"] == id.as_str())
            .map(|s| s["launchConfiguration"].clone())
            .unwrap()
    }
}

#[test]
fn waves_lists_each_wave_per_account_with_its_readiness_and_reasons() {
    let w = setup();
    let run = w.run(&["waves", "--format", "json"]);
    assert_eq!(run.code, 1, "servers are not ready: {}", run.stderr);
    let doc = run.json();
    assert_eq!(
        doc["errors"],
        json!([]),
        "eu-west-1 has no MGN: no waves, no error"
    );
    let rows = doc["waves"].as_array().unwrap();
    let names: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["account"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("wave-3", PROD.0),
            ("wave-3", STAGING.0),
            ("wave-4", PROD.0)
        ],
        "archived wave-1 is left out"
    );
    let prod = &rows[0];
    assert_eq!(prod["applications"], 1);
    assert_eq!(prod["servers"], 6, "the archived server is left out");
    assert_eq!(
        prod["states"],
        json!({"CUTOVER": 1, "READY_FOR_CUTOVER": 2, "READY_FOR_TEST": 3})
    );
    assert_eq!(
        (
            prod["ready"].as_u64(),
            prod["not_ready"].as_u64(),
            prod["out_of_scope"].as_u64()
        ),
        (Some(1), Some(4), Some(1))
    );
    assert_eq!(
        prod["reasons"],
        json!({"auto_tagging_off": 1, "value_refused": 2, "launched_untagged": 1})
    );
    assert_eq!(
        (
            prod["launched"].as_u64(),
            prod["launched_untagged"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let not_ready: BTreeSet<&str> = prod["not_ready_servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["hostname"].as_str().unwrap())
        .collect();
    assert_eq!(
        not_ready,
        BTreeSet::from(["erp-off", "erp-other", "erp-bare", "erp-cut"])
    );
    let bare = prod["not_ready_servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["hostname"] == "erp-bare")
        .unwrap();
    assert!(bare["reasons"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("bare MPE ID"));
    let staging = &rows[1];
    assert_eq!(
        (staging["ready"].as_u64(), staging["not_ready"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(staging["launched"], 1);
    assert_eq!(staging["launched_untagged"], 0);

    // By ID: that wave alone; the table names what is wrong.
    let id = rows[2]["id"].as_str().unwrap();
    let one = w.run(&["waves", "--wave", id, "--format", "json"]).json();
    assert_eq!(one["waves"].as_array().unwrap().len(), 1);
    let table = w.run(&["waves", "--wave", "wave-3", "--format", "table"]);
    assert!(
        table.stdout.contains("not ready: wave-3"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("auto_tagging_off"),
        "{}",
        table.stdout
    );
}

#[test]
fn a_wave_that_does_not_exist_is_a_usage_error_listing_the_waves() {
    let w = setup();
    for cmd in ["waves", "audit", "plan"] {
        let run = w.run(&[cmd, "--wave", "wave-9"]);
        assert_eq!(run.code, 2, "{cmd}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("--wave wave-9: no wave has this name or ID"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("wave-3 (wave-"), "{}", run.stderr);
    }
    let no_mgn = write(
        w.dir.path(),
        "plain.yaml",
        &estate::config(&write(w.dir.path(), "p.yaml", POLICY), ""),
    );
    let run = w.emu.tagwarden(&["-c", &no_mgn, "waves"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("inventory: {mgn: {}}"),
        "{}",
        run.stderr
    );
}

#[test]
fn audit_wave_reports_exactly_the_wave() {
    let w = setup();
    let run = w.audit_wave();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let arns: BTreeSet<String> = findings(&report)
        .into_iter()
        .map(|(arn, _, _)| arn)
        .collect();
    let expected: BTreeSet<String> = ["erp-off", "erp-other", "erp-bare"]
        .iter()
        .map(|h| w.arn(h))
        .chain([format!(
            "arn:aws:ec2:us-east-1:{}:instance/{}",
            PROD.0, w.lost
        )])
        .collect();
    // The lost instance's root volume is untagged too.
    let volumes: Vec<&String> = arns.iter().filter(|a| a.contains(":volume/")).collect();
    assert_eq!(volumes.len(), 1, "{arns:?}");
    assert_eq!(
        arns.iter()
            .filter(|a| !a.contains(":volume/"))
            .cloned()
            .collect::<BTreeSet<_>>(),
        expected
    );
    assert!(
        !arns.iter().any(|a| a.contains(&w.elsewhere)),
        "an instance of no wave is not scanned"
    );
    assert!(
        !arns.contains(&w.arn("crm-1")),
        "another wave's server is not scanned"
    );
    let kinds: BTreeSet<String> = findings(&report)
        .into_iter()
        .filter(|(a, _, _)| a.contains(":source-server/"))
        .map(|(_, _, k)| k)
        .collect();
    assert_eq!(kinds, BTreeSet::from(["source".to_string()]));
}

#[test]
fn apply_wave_then_rollback_restores_launch_settings_and_tags() {
    let w = setup();
    assert_eq!(w.launch("erp-off").get("enableMapAutoTagging"), None);
    let before = w.audit_wave().json();
    let run = w.run(&[
        "apply",
        "--wave",
        "wave-3",
        "--account",
        "prod",
        "--yes",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let applied = run.json();
    let run_id = applied["run_id"].as_str().unwrap().to_string();
    let off = w.launch("erp-off");
    assert_eq!(
        (
            off["enableMapAutoTagging"].clone(),
            off["mapAutoTaggingMpeID"].clone()
        ),
        (json!(true), json!(OURS))
    );
    // overwrite: never leaves another agreement's value and a bare ID alone.
    assert_eq!(
        w.launch("erp-other")["mapAutoTaggingMpeID"],
        "migZZZZZ99999"
    );
    assert_eq!(w.launch("erp-bare")["mapAutoTaggingMpeID"], "ABCDE12345");
    assert_eq!(
        w.launch("erp-exempt").get("enableMapAutoTagging"),
        None,
        "out of scope"
    );
    assert_eq!(
        w.launch("crm-1").get("enableMapAutoTagging"),
        None,
        "another wave"
    );
    let audit = w.audit_wave().json();
    let left: BTreeSet<String> = findings(&audit).into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(
        left,
        BTreeSet::from([w.arn("erp-other"), w.arn("erp-bare")]),
        "the instance and its volume are tagged"
    );

    let rolled = w.run(&["rollback", &run_id, "--yes", "--format", "json"]);
    assert_eq!(rolled.code, 0, "{}\n{}", rolled.stdout, rolled.stderr);
    assert_eq!(w.launch("erp-off")["enableMapAutoTagging"], false);
    let after = w.audit_wave().json();
    assert_eq!(
        findings(&after),
        findings(&before),
        "the wave's findings are back as before the apply"
    );
    let arns: BTreeSet<String> = findings(&after).into_iter().map(|(a, _, _)| a).collect();
    assert!(
        arns.contains(&w.arn("erp-off")) && arns.iter().any(|a| a.contains(&w.lost)),
        "{arns:?}"
    );
}

#[test]
fn a_launch_setting_changed_between_plan_and_apply_is_not_overwritten() {
    let w = setup();
    let plan = w.dir.path().join("plan.json").display().to_string();
    let run = w.run(&[
        "plan",
        "--wave",
        "wave-3",
        "--account",
        "prod",
        "-o",
        &plan,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    w.person_sets("erp-off", "migPERSON1234");
    let run = w.run(&[
        "apply",
        "--plan",
        &plan,
        "--wave",
        "wave-3",
        "--account",
        "prod",
        "--yes",
        "--format",
        "json",
    ]);
    assert!(
        run.code == 0 || run.code == 1,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(
        w.launch("erp-off")["mapAutoTaggingMpeID"],
        "migPERSON1234",
        "{}",
        run.stdout
    );
}

#[test]
fn a_launch_setting_a_person_sets_between_read_and_write_is_kept() {
    common::needs_test_hooks();
    let w = setup();
    let args = [
        "-c",
        w.cfg.as_str(),
        "apply",
        "--wave",
        "wave-3",
        "--account",
        "prod",
        "--yes",
        "--format",
        "json",
    ];
    let run = crate::clobber::held(&w.emu, w.dir.path(), &args, || {
        w.person_sets("erp-off", "migPERSON1234");
    });
    assert_eq!(
        w.launch("erp-off")["mapAutoTaggingMpeID"],
        "migPERSON1234",
        "{}",
        run.stdout
    );
    let report = run.json();
    let change = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["arn"] == w.arn("erp-off").as_str())
        .expect("the server's change is reported");
    assert_ne!(change["status"], "applied", "{change}");
    assert!(
        change["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("changed since it was read"),
        "{change}"
    );
}

#[test]
fn the_daemon_exports_each_waves_readiness_and_lists_it() {
    let w = setup();
    let rows = w.run(&["waves", "--format", "json"]).json()["waves"].clone();
    let cfg = std::fs::read_to_string(&w.cfg).unwrap()
        + "daemon: {listen: \"127.0.0.1:0\", interval: 1h}\n";
    let cfg = write(w.dir.path(), "daemon.yaml", &cfg);
    let mut d = Daemon::start(
        w.emu.command(&["run", "-c", &cfg]),
        &w.dir.path().join("daemon.log"),
    );
    d.wait_for("the first cycle", std::time::Duration::from_secs(60), |d| {
        d.metric("tagwarden_last_cycle_timestamp_seconds")
            .is_some_and(|t| t > 0.0)
    });
    let text = d.metrics();
    let series = |wave: &str, account: &str, state: &str| {
        let s = format!(
            "tagwarden_wave_servers{{wave=\"{wave}\",account=\"{account}\",state=\"{state}\"}}"
        );
        metric(&text, &s)
    };
    assert_eq!(series("wave-3", PROD.0, "ready"), Some(1.0), "{text}");
    assert_eq!(series("wave-3", PROD.0, "not_ready"), Some(4.0));
    assert_eq!(series("wave-3", STAGING.0, "ready"), Some(1.0));
    assert_eq!(series("wave-3", STAGING.0, "not_ready"), Some(0.0));
    assert_eq!(series("wave-1", PROD.0, "ready"), None, "archived");
    // The same counts as `tagwarden waves`, every row.
    for row in rows.as_array().unwrap() {
        let (name, account) = (
            row["name"].as_str().unwrap(),
            row["account"].as_str().unwrap(),
        );
        for state in ["ready", "not_ready"] {
            assert_eq!(
                series(name, account, state),
                row[state].as_f64(),
                "{name} {account}"
            );
        }
    }
    let (status, page) = d.get("/").unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("<h3>Migration waves</h3>"), "{page}");
    let prod_row = format!("<tr><td>wave-3</td><td>{}</td><td>us-east-1</td><td>6</td><td>1</td><td class=\"failed\">4</td>", PROD.0);
    assert!(page.contains(&prod_row), "{page}");
    assert!(
        page.contains("auto_tagging_off 1, value_refused 2, launched_untagged 1"),
        "{page}"
    );
}
