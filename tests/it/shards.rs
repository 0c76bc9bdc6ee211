//! Tag on create with two replicas (`--total-shards 2`): each consumes its
//! own queue (`{shard}` in the URL), every queue receives every event, and
//! only the replica that owns an account writes, so the write is journaled
//! in that replica's store, where its `history` and `rollback` find it.

use crate::common::daemon::Daemon;
use crate::common::estate::{self, Seeder, PROD, STAGING};
use crate::common::events::{count, create_volume, new_volume, runtime, volume_tags, MINUTE};
use crate::common::{write, Emulator, Run};
use serde_json::Value;
use std::path::Path;

const QUEUE: &str = "tagwarden-events";

/// Two queues, `tagwarden-events-0` and `-1`; the URL with `{shard}`.
fn queues(emu: &Emulator) -> (String, Vec<String>) {
    runtime().block_on(async {
        let seeder = Seeder::new(&emu.endpoint()).await;
        let sqs = aws_sdk_sqs::Client::new(seeder.base());
        let mut urls = Vec::new();
        for shard in 0..2 {
            let q = sqs
                .create_queue()
                .queue_name(format!("{QUEUE}-{shard}"))
                .send()
                .await
                .unwrap();
            urls.push(q.queue_url().unwrap().to_string());
        }
        (urls[0].replace("-0", "-{shard}"), urls)
    })
}

/// Replica `shard`'s configuration: its own store, the shared queue URL.
fn config(dir: &Path, shard: u32, queue: &str) -> String {
    let policy =
        std::fs::read_to_string(crate::common::repo_root().join("policies/map-migrated.yaml"))
            .unwrap();
    let policy = write(dir, "map.yaml", &policy);
    let extra = format!(
        "store: {}\ndaemon: {{listen: \"127.0.0.1:0\", interval: 1h, mode: enforce, events: {{queues: [\"{queue}\"], wait: 1s, max_receives: 3}}}}\n",
        dir.join(format!("state-{shard}.db")).display()
    );
    write(
        dir,
        &format!("shard-{shard}.yaml"),
        &estate::config(&policy, &extra),
    )
}

fn replica(emu: &Emulator, dir: &Path, cfg: &str, shard: u32) -> Daemon {
    let shard = shard.to_string();
    let cmd = emu.command(&["run", "-c", cfg, "--shard", &shard, "--total-shards", "2"]);
    let mut d = Daemon::start(cmd, &dir.join(format!("shard-{shard}.log")));
    d.wait_for("the first cycle", MINUTE, |d| {
        d.metric("tagwarden_cycles_total{result=\"ok\"}")
            .unwrap_or(0.0)
            >= 1.0
    });
    d
}

fn send_to_all(emu: &Emulator, urls: &[String], bodies: &[String]) {
    runtime().block_on(async {
        let seeder = Seeder::new(&emu.endpoint()).await;
        let sqs = aws_sdk_sqs::Client::new(seeder.base());
        for url in urls {
            for body in bodies {
                sqs.send_message()
                    .queue_url(url)
                    .message_body(body)
                    .send()
                    .await
                    .unwrap();
            }
        }
    });
}

/// The accounts of every entry journaled in `cfg`'s store, per apply run.
fn journaled(emu: &Emulator, cfg: &str) -> Vec<(String, Vec<String>)> {
    let history = emu
        .tagwarden(&["-c", cfg, "history", "--format", "json"])
        .json();
    history
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "apply")
        .map(|r| {
            let id = r["id"].as_str().unwrap().to_string();
            let run: Run = emu.tagwarden(&["-c", cfg, "history", &id, "--format", "json"]);
            let entries = run.json();
            let accounts = entries
                .as_array()
                .unwrap()
                .iter()
                .map(|e: &Value| e["account"].as_str().unwrap().to_string())
                .collect();
            (id, accounts)
        })
        .collect()
}

/// Whether the volume carries the MAP tag.
fn map_tagged(emu: &Emulator, account: &str, volume: &str) -> bool {
    volume_tags(&emu.endpoint(), account, volume)
        .iter()
        .any(|(k, _)| k == "map-migrated")
}

#[test]
fn each_write_is_journaled_by_the_replica_that_owns_the_account() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let (url, urls) = queues(&emu);
    // Shard 0 owns 222222222222 (even), shard 1 owns 111111111111.
    let cfgs: Vec<String> = (0..2).map(|s| config(dir.path(), s, &url)).collect();
    let mut replicas: Vec<Daemon> = (0..2)
        .map(|s| replica(&emu, dir.path(), &cfgs[s as usize], s))
        .collect();
    let accounts = [STAGING.0, PROD.0];
    let volumes: Vec<String> = accounts
        .iter()
        .map(|a| new_volume(&emu.endpoint(), a))
        .collect();
    let events: Vec<String> = accounts
        .iter()
        .zip(&volumes)
        .enumerate()
        .map(|(i, (account, volume))| create_volume(&format!("shard-{i}"), account, volume))
        .collect();
    send_to_all(&emu, &urls, &events);
    for d in &mut replicas {
        d.wait_for(
            "its own volume tagged, the other acknowledged",
            MINUTE,
            |d| {
                count(d, "CreateVolume", "tagged") >= 1.0
                    && count(d, "CreateVolume", "other_shard") >= 1.0
            },
        );
    }
    for (d, volume, account) in [(0, &volumes[0], STAGING.0), (1, &volumes[1], PROD.0)] {
        assert_eq!(
            count(&replicas[d], "CreateVolume", "tagged"),
            1.0,
            "each volume written once, by its owner"
        );
        assert!(map_tagged(&emu, account, volume));
        let runs = journaled(&emu, &cfgs[d]);
        assert_eq!(runs.len(), 1, "shard {d}: {runs:?}");
        assert_eq!(
            runs[0].1,
            [account],
            "shard {d} journals only its own account"
        );
    }
    for d in &mut replicas {
        d.signal("TERM");
        assert_eq!(
            d.wait_exit(std::time::Duration::from_secs(20)).0,
            0,
            "{}",
            d.log_text()
        );
    }
    // The owner's store has the run: its rollback undoes the write.
    let (run, _) = journaled(&emu, &cfgs[1]).remove(0);
    let undone = emu.tagwarden(&["-c", &cfgs[1], "rollback", &run, "--yes"]);
    assert_eq!(undone.code, 0, "{}", undone.stderr);
    assert!(volume_tags(&emu.endpoint(), PROD.0, &volumes[1]).is_empty());
    assert!(map_tagged(&emu, STAGING.0, &volumes[0]));

    // One queue shared by two shards is refused before anything is read.
    let shared = config(dir.path(), 0, &urls[0]);
    let refused = emu.tagwarden(&["run", "-c", &shared, "--shard", "0", "--total-shards", "2"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("would be shared by the 2 shards"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("with {shard} in the URL"),
        "{}",
        refused.stderr
    );
}
