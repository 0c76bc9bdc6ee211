//! MGN as it fails and grows: every page of a thousand servers and more,
//! a denied action, throttling, and MGN's global view (`scope:
//! organization`) instead of each account's role.

use crate::common;
use crate::waves::{seed_mgn, setup, OURS, POLICY};

use common::estate::{self, CALLER, PROD, STAGING};
use common::{findings, write, Emulator};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Requests the MGN stand-in answered, per operation.
fn calls(emu: &Emulator) -> BTreeMap<String, u64> {
    serde_json::from_value(emu.mgn("GET", "/_control/calls", "")).unwrap()
}

/// `after - before`, per operation.
fn made(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(op, n)| (op.clone(), n - before.get(op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

const WAVES: usize = 12;
const PER_WAVE: usize = 88;

#[test]
fn every_page_of_a_thousand_servers_and_more_is_read() {
    let emu = Emulator::start();
    let on = json!({"enableMapAutoTagging": true, "mapAutoTaggingMpeID": OURS});
    let servers: Vec<Value> = (0..WAVES * PER_WAVE)
        .map(|i| {
            let mut s = json!({"hostname": format!("host-{i:04}"), "application": format!("app-{:02}", i % WAVES)});
            if (i / WAVES).is_multiple_of(2) {
                s["launch"] = on.clone();
            }
            s
        })
        .collect();
    seed_mgn(
        &emu,
        STAGING.0,
        json!({
            "waves": (0..WAVES).map(|i| json!({"name": format!("w-{i:02}")})).collect::<Vec<_>>(),
            "applications": (0..WAVES).map(|i| json!({"name": format!("app-{i:02}"), "wave": format!("w-{i:02}")})).collect::<Vec<_>>(),
            "servers": servers,
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "map.yaml", POLICY);
    // MGN's own pace (5 requests a second) would take minutes here.
    let extra = "inventory: {mgn: {}}\nlimits: {requests_per_second: 1000}\n";
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(&policy, extra),
    );
    // In staging's us-east-1, as JSON: the run and the MGN requests it made.
    let staging = |args: &[&str]| {
        let before = calls(&emu);
        let mut all = vec!["-c", cfg.as_str()];
        all.extend_from_slice(args);
        all.extend([
            "--account",
            "staging",
            "--region",
            "us-east-1",
            "--format",
            "json",
        ]);
        let run = emu.tagwarden(&all);
        assert_eq!(run.code, 1, "{}", run.stderr);
        (run.json(), made(&before, &calls(&emu)))
    };
    let waves = || staging(&["waves"]);

    let (whole, requests) = waves();
    let rows = whole["waves"].as_array().unwrap();
    assert_eq!(rows.len(), WAVES);
    for r in rows {
        assert_eq!(
            (
                r["servers"].as_u64(),
                r["ready"].as_u64(),
                r["not_ready"].as_u64()
            ),
            (Some(88), Some(44), Some(44)),
            "{r}"
        );
    }
    // List pages of 1,000 (MGN's most), and one GetLaunchConfiguration per
    // server: MGN has no batch form of it. Waves need no launch
    // configuration template.
    let expected: BTreeMap<String, u64> = [
        ("ListWaves", 1),
        ("ListApplications", 1),
        ("DescribeSourceServers", 2),
        ("GetLaunchConfiguration", (WAVES * PER_WAVE) as u64),
    ]
    .into_iter()
    .map(|(op, n)| (op.to_string(), n))
    .collect();
    assert_eq!(requests, expected);

    // Pages of seven: every list's every page, and the same answer.
    emu.mgn("POST", "/_control", &json!({"max_page": 7}).to_string());
    let (paged, requests) = waves();
    assert_eq!(paged["waves"], whole["waves"]);
    let pages = |n: usize| n.div_ceil(7) as u64;
    assert_eq!(requests["ListWaves"], pages(WAVES));
    assert_eq!(requests["ListApplications"], pages(WAVES));
    assert_eq!(requests["DescribeSourceServers"], pages(WAVES * PER_WAVE));

    // One wave of them, and nothing else: only its servers' launch
    // settings are read.
    let (report, requests) = staging(&["audit", "--wave", "w-03"]);
    let found = findings(&report);
    assert_eq!(found.len(), PER_WAVE / 2);
    assert!(
        found.iter().all(|(_, _, kind)| kind == "source"),
        "{found:?}"
    );
    assert_eq!(requests["GetLaunchConfiguration"], PER_WAVE as u64);
    // Every request names tagwarden in its user agent (CloudTrail's
    // `userAgent` tells its changes from everyone else's).
    let agents = emu.mgn("GET", "/_control/agents", "");
    let agents = agents.as_array().unwrap();
    assert!(!agents.is_empty());
    for a in agents {
        assert!(a.as_str().unwrap().contains("app/tagwarden"), "{a}");
    }
}

#[test]
fn a_denied_mgn_action_is_a_scan_error_naming_account_region_and_action() {
    let w = setup();
    let deny = json!({"deny": {PROD.0: ["GetLaunchConfiguration"]}});
    w.emu.mgn("POST", "/_control", &deny.to_string());
    for args in [
        &["waves", "--format", "json"][..],
        &["audit", "--format", "json"],
    ] {
        let run = w.run(args);
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
        let doc = run.json();
        let errors = doc["errors"].as_array().unwrap();
        let denied: Vec<&Value> = errors
            .iter()
            .filter(|e| {
                e["message"]
                    .as_str()
                    .unwrap()
                    .contains("mgn:GetLaunchConfiguration")
            })
            .collect();
        assert_eq!(denied.len(), 1, "{args:?}: {errors:?}");
        let e = denied[0];
        assert_eq!(
            (e["account"].as_str(), e["region"].as_str()),
            (Some(PROD.0), Some("us-east-1")),
            "{e}"
        );
        let message = e["message"].as_str().unwrap();
        assert!(message.contains("AccessDenied"), "{message}");
        assert!(message.contains("tagwarden policy iam"), "{message}");
    }
    // The other account's wave is still read.
    let doc = w.run(&["waves", "--format", "json"]).json();
    let accounts: Vec<&str> = doc["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["account"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, [STAGING.0]);
}

#[test]
fn throttled_mgn_requests_are_retried_to_the_same_answer() {
    let w = setup();
    let before = calls(&w.emu);
    let calm = w.run(&["waves", "--format", "json"]);
    let calm_requests: u64 = made(&before, &calls(&w.emu)).values().sum();
    w.emu.mgn(
        "POST",
        "/_control",
        &json!({"throttle_every": 3}).to_string(),
    );
    let before = calls(&w.emu);
    let throttled = w.run(&["waves", "--format", "json"]);
    let throttled_requests: u64 = made(&before, &calls(&w.emu)).values().sum();
    assert_eq!(throttled.code, calm.code, "{}", throttled.stderr);
    assert_eq!(throttled.json(), calm.json());
    assert!(
        throttled_requests > calm_requests,
        "every third request was refused and asked again: {throttled_requests} vs {calm_requests}"
    );
}

#[test]
fn the_organization_scope_reads_every_account_through_mgns_global_view() {
    let w = setup();
    let by_role = w.run(&["waves", "--format", "json"]).json();
    let audit_by_role = w.audit_wave().json();
    let cfg = std::fs::read_to_string(&w.cfg)
        .unwrap()
        .replace("  mgn: {}\n", "  mgn: {scope: organization}\n");
    let cfg = write(w.dir.path(), "organization.yaml", &cfg);
    let run = |args: &[&str]| w.run_with(&cfg, args);
    // The members' roles may not read MGN: every answer comes through the
    // credentials' own account, the delegated administrator.
    let control = json!({
        "admins": [CALLER],
        "managed_accounts": {CALLER: [PROD.0, STAGING.0]},
        "deny": {PROD.0: "*", STAGING.0: "*"},
    });
    w.emu.mgn("POST", "/_control", &control.to_string());
    let global = run(&["waves", "--format", "json"]);
    assert_eq!(global.code, 1, "{}", global.stderr);
    assert_eq!(global.json(), by_role);
    let audit = run(&[
        "audit",
        "--wave",
        "wave-3",
        "--account",
        "prod",
        "--format",
        "json",
    ]);
    assert_eq!(findings(&audit.json()), findings(&audit_by_role));

    // An account the global view does not manage is an error naming it.
    let fewer = json!({"managed_accounts": {CALLER: [PROD.0]}});
    w.emu.mgn("POST", "/_control", &fewer.to_string());
    let partial = run(&["waves", "--format", "json"]);
    assert_eq!(partial.code, 3, "{}", partial.stderr);
    let doc = partial.json();
    let errors = doc["errors"].as_array().unwrap();
    assert!(
        errors.iter().all(|e| e["account"] == STAGING.0
            && e["message"]
                .as_str()
                .unwrap()
                .contains(&format!("does not manage account {}", STAGING.0))),
        "{errors:?}"
    );
    assert!(!errors.is_empty());
    let accounts: Vec<&str> = doc["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["account"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, [PROD.0, PROD.0]);
}
