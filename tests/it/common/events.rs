//! Tag on create fixtures: CloudTrail events shaped as the CloudTrail
//! reference documents them (wrapped as EventBridge delivers them), a queue,
//! and a daemon in enforce mode consuming it. Shared by tests/events.rs and
//! benches/events.rs.

use super::daemon::Daemon;
use super::estate::{self, Seeder};
use super::{repo_root, write, Emulator};
use serde_json::{json, Value};
use std::time::Duration;

pub const MINUTE: Duration = Duration::from_secs(60);

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// An EventBridge envelope around the CloudTrail record of a call.
pub fn event(
    id: &str,
    name: &str,
    account: &str,
    region: &str,
    request: Value,
    response: Value,
) -> String {
    let source = match name {
        "CreateBucket" => "s3",
        n if n.contains("DB") => "rds",
        _ => "ec2",
    };
    service_event(id, source, name, account, region, request, response)
}

/// The same, for a call of `source` (`lambda` for lambda.amazonaws.com).
pub fn service_event(
    id: &str,
    source: &str,
    name: &str,
    account: &str,
    region: &str,
    request: Value,
    response: Value,
) -> String {
    json!({
        "version": "0", "id": format!("eb-{id}"),
        "detail-type": "AWS API Call via CloudTrail",
        "source": format!("aws.{source}"), "account": account, "region": region,
        "time": chrono::Utc::now().to_rfc3339(), "resources": [],
        "detail": {
            "eventVersion": "1.09", "eventTime": chrono::Utc::now().to_rfc3339(),
            "eventSource": format!("{source}.amazonaws.com"), "eventName": name,
            "awsRegion": region, "requestParameters": request, "responseElements": response,
            "eventID": id, "eventType": "AwsApiCall", "recipientAccountId": account,
            "userIdentity": {"type": "AssumedRole", "accountId": account},
        }
    })
    .to_string()
}

/// `tagwarden_events_total` for one event name and outcome.
pub fn count(d: &Daemon, event: &str, outcome: &str) -> f64 {
    let series = format!("tagwarden_events_total{{event=\"{event}\",outcome=\"{outcome}\"}}");
    d.metric(&series).unwrap_or(0.0)
}

/// A new untagged volume in `account`, in us-east-1.
pub fn new_volume(endpoint: &str, account: &str) -> String {
    runtime().block_on(async {
        let seeder = Seeder::new(endpoint).await;
        let ec2 = Seeder::ec2(&seeder.account(account).await, "us-east-1");
        estate::volume(&ec2, "us-east-1", &[]).await
    })
}

/// The `CreateVolume` event of `volume` in `account`, in us-east-1.
pub fn create_volume(id: &str, account: &str, volume: &str) -> String {
    event(
        id,
        "CreateVolume",
        account,
        "us-east-1",
        json!({}),
        json!({"volumeId": volume}),
    )
}

/// A volume's tags in `account`, in us-east-1, as (key, value).
pub fn volume_tags(endpoint: &str, account: &str, volume: &str) -> Vec<(String, String)> {
    runtime().block_on(async {
        let seeder = Seeder::new(endpoint).await;
        let ec2 = Seeder::ec2(&seeder.account(account).await, "us-east-1");
        let v = ec2
            .describe_volumes()
            .volume_ids(volume)
            .send()
            .await
            .unwrap();
        v.volumes()[0]
            .tags()
            .iter()
            .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
            .collect()
    })
}

pub fn run_instances(id: &str, account: &str, region: &str, instances: &[String]) -> String {
    let items: Vec<Value> = instances.iter().map(|i| json!({"instanceId": i})).collect();
    event(
        id,
        "RunInstances",
        account,
        region,
        json!({}),
        json!({"instancesSet": {"items": items}}),
    )
}

pub struct Fixture {
    pub emu: Emulator,
    pub dir: tempfile::TempDir,
    pub queue: String,
    pub daemon: Daemon,
}

/// An empty estate, a queue, and the daemon in enforce mode consuming it
/// (the schedule far off: only the first cycle runs).
pub fn fixture(max_receives: u32) -> Fixture {
    fixture_with(max_receives, "")
}

/// As `fixture`, with more configuration (`extra`, whole YAML lines).
pub fn fixture_with(max_receives: u32, extra: &str) -> Fixture {
    fixture_in("enforce", max_receives, extra, &[])
}

/// As `fixture_with`, the daemon in `mode` (audit or enforce), with more
/// arguments to `run`.
pub fn fixture_in(mode: &str, max_receives: u32, extra: &str, args: &[&str]) -> Fixture {
    fixture_env(mode, max_receives, extra, args, &[])
}

/// As `fixture_in`, the daemon's environment extended with `env` (the
/// test build's hooks).
pub fn fixture_env(
    mode: &str,
    max_receives: u32,
    extra: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Fixture {
    let policy = std::fs::read_to_string(repo_root().join("policies/map-migrated.yaml")).unwrap();
    start(mode, max_receives, extra, args, env, &policy)
}

/// In enforce mode, with the policy file `policy` (its text) instead of
/// the shipped MAP policy.
pub fn fixture_policy(policy: &str, extra: &str) -> Fixture {
    start("enforce", 3, extra, &[], &[], policy)
}

fn start(
    mode: &str,
    max_receives: u32,
    extra: &str,
    args: &[&str],
    env: &[(&str, &str)],
    policy: &str,
) -> Fixture {
    let emu = Emulator::start();
    let queue = runtime().block_on(async {
        let seeder = Seeder::new(&emu.endpoint()).await;
        let sqs = aws_sdk_sqs::Client::new(seeder.base());
        let q = sqs
            .create_queue()
            .queue_name("tagwarden-events")
            .send()
            .await
            .unwrap();
        q.queue_url().unwrap().to_string()
    });
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "map.yaml", policy);
    let extra = format!(
        "store: {}\ndaemon: {{listen: \"127.0.0.1:0\", interval: 1h, mode: {mode}, events: {{queues: [\"{queue}\"], wait: 1s, max_receives: {max_receives}}}}}\n{extra}",
        dir.path().join("state.db").display()
    );
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        &estate::config(&policy, &extra),
    );
    let mut command = emu.command(&[&["run", "-c", cfg.as_str()][..], args].concat());
    command.envs(env.iter().copied());
    let mut daemon = Daemon::start(command, &dir.path().join("daemon.log"));
    daemon.wait_for("the first cycle", MINUTE, |d| {
        d.metric("tagwarden_cycles_total{result=\"ok\"}")
            .unwrap_or(0.0)
            >= 1.0
    });
    Fixture {
        emu,
        dir,
        queue,
        daemon,
    }
}

impl Fixture {
    pub fn send(&self, bodies: Vec<String>) {
        self.send_stamped(bodies);
    }

    /// Send ten messages a request; when each request was answered.
    pub fn send_stamped(&self, bodies: Vec<String>) -> Vec<std::time::Instant> {
        runtime().block_on(async {
            let mut stamps = Vec::new();
            let seeder = Seeder::new(&self.emu.endpoint()).await;
            let sqs = aws_sdk_sqs::Client::new(seeder.base());
            for chunk in bodies.chunks(10) {
                let entries = chunk.iter().enumerate().map(|(i, b)| {
                    aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(b)
                        .build()
                        .unwrap()
                });
                let out = sqs
                    .send_message_batch()
                    .queue_url(&self.queue)
                    .set_entries(Some(entries.collect()))
                    .send()
                    .await
                    .unwrap();
                assert!(out.failed().is_empty(), "{:?}", out.failed());
                stamps.push(std::time::Instant::now());
            }
            stamps
        })
    }

    /// Messages still in the queue, visible or not.
    pub fn queued(&self) -> u64 {
        runtime().block_on(async {
            let seeder = Seeder::new(&self.emu.endpoint()).await;
            let sqs = aws_sdk_sqs::Client::new(seeder.base());
            let attrs = sqs
                .get_queue_attributes()
                .queue_url(&self.queue)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
                .send()
                .await
                .unwrap();
            let a = attrs.attributes().unwrap();
            [
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ]
            .iter()
            .map(|k| {
                let key = aws_sdk_sqs::types::QueueAttributeName::from(*k);
                a.get(&key).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
            })
            .sum()
        })
    }

    /// Apply runs in the journal and their applied entries.
    pub fn applied_runs(&self) -> Vec<(String, i64)> {
        let cfg = self.dir.path().join("tagwarden.yaml");
        let run = self
            .emu
            .tagwarden(&["history", "-c", cfg.to_str().unwrap(), "--format", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let v = run.json();
        let runs = v
            .as_array()
            .or_else(|| v["runs"].as_array())
            .expect("runs")
            .clone();
        runs.iter()
            .filter(|r| r["kind"] == "apply")
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_string(),
                    r["applied"].as_i64().unwrap(),
                )
            })
            .collect()
    }
}
