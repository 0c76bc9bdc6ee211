//! Tag on create against the emulator: CloudTrail events (shaped as the
//! CloudTrail reference documents them, wrapped as EventBridge delivers
//! them) put on an SQS queue the daemon consumes. Resources end up tagged
//! and journaled once, duplicates and poison messages are counted and
//! dropped, and a burst is written in a few batched calls.

use crate::common;

use common::estate::{self, Seeder, CALLER, PROD, STAGING};
use common::events::{
    count, create_volume, event, fixture, fixture_in, fixture_with, new_volume, run_instances,
    runtime, volume_tags, MINUTE,
};
use serde_json::{json, Value};

fn tags_of(tags: &[aws_sdk_ec2::types::Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect()
}

#[test]
fn creation_events_tag_new_resources_once() {
    let mut f = fixture(3);
    let endpoint = f.emu.endpoint();
    let (instances, volume, db_arn) = runtime().block_on(async {
        let seeder = Seeder::new(&endpoint).await;
        let staging = seeder.account(STAGING.0).await;
        let ec2 = Seeder::ec2(&staging, "eu-west-1");
        let launched = estate::launch(&ec2, 2, &[], &[]).await;
        let instances: Vec<String> = launched.into_iter().map(|(i, _)| i).collect();
        let volume = estate::volume(&ec2, "eu-west-1", &[]).await;
        let rds = Seeder::rds(&seeder.account(PROD.0).await, "us-east-1");
        let db_arn = estate::database(&rds, "orders-new", &[]).await;
        let s3 = Seeder::s3(&seeder.account(PROD.0).await, "us-east-1");
        s3.create_bucket()
            .bucket("migrated-new")
            .send()
            .await
            .unwrap();
        (instances, volume, db_arn)
    });
    let volume_event = event(
        "e-vol",
        "CreateVolume",
        STAGING.0,
        "eu-west-1",
        json!({}),
        json!({"volumeId": volume}),
    );
    f.send(vec![
        // Out of order: the volume's event before the instances'.
        volume_event.clone(),
        run_instances("e-run", STAGING.0, "eu-west-1", &instances),
        event(
            "e-db",
            "CreateDBInstance",
            PROD.0,
            "us-east-1",
            json!({}),
            json!({"dBInstanceArn": db_arn}),
        ),
        event(
            "e-bucket",
            "CreateBucket",
            PROD.0,
            "us-east-1",
            json!({"bucketName": "migrated-new"}),
            Value::Null,
        ),
        // The same call delivered twice.
        volume_event,
        // A snapshot that never becomes visible: retried, then left to the cycle.
        event(
            "e-snap",
            "CreateSnapshot",
            STAGING.0,
            "eu-west-1",
            json!({}),
            json!({"snapshotId": "snap-0123456789abcdef0"}),
        ),
        // An account this daemon does not scan.
        event(
            "e-other",
            "CreateVolume",
            "999999999999",
            "eu-west-1",
            json!({}),
            json!({"volumeId": "vol-1"}),
        ),
    ]);
    f.daemon.wait_for("the creations tagged", MINUTE, |d| {
        let tagged = |e: &str| {
            d.metric(&format!(
                "tagwarden_events_total{{event=\"{e}\",outcome=\"tagged\"}}"
            ))
            .unwrap_or(0.0)
        };
        [
            "CreateVolume",
            "RunInstances",
            "CreateDBInstance",
            "CreateBucket",
        ]
        .iter()
        .all(|e| tagged(e) >= 1.0)
    });
    // Every resource carries its MAP value now.
    runtime().block_on(async {
        let seeder = Seeder::new(&endpoint).await;
        let ec2 = Seeder::ec2(&seeder.account(STAGING.0).await, "eu-west-1");
        let described = ec2
            .describe_instances()
            .set_instance_ids(Some(instances.clone()))
            .send()
            .await
            .unwrap();
        for i in described.reservations().iter().flat_map(|r| r.instances()) {
            assert!(
                tags_of(i.tags()).iter().any(|(k, _)| k == "map-migrated"),
                "{i:?}"
            );
        }
        let vols = ec2
            .describe_volumes()
            .volume_ids(&volume)
            .send()
            .await
            .unwrap();
        assert!(tags_of(vols.volumes()[0].tags())
            .iter()
            .any(|(k, _)| k == "map-migrated"));
    });
    // The duplicate is acknowledged without a second write.
    f.daemon
        .wait_for("the duplicate and the stranger counted", MINUTE, |d| {
            count(d, "CreateVolume", "duplicate") + count(d, "CreateVolume", "compliant") >= 1.0
                && count(d, "CreateVolume", "account_not_configured") >= 1.0
        });
    // The invisible snapshot: tried 3 times (2 s, 4 s apart), then left.
    f.daemon
        .wait_for("the snapshot left to the cycle", MINUTE, |d| {
            count(d, "CreateSnapshot", "left_for_cycle") >= 1.0
        });
    assert!(count(&f.daemon, "CreateSnapshot", "retried") >= 2.0);
    assert_eq!(f.queued(), 0, "every message is settled and deleted");
    // Journaled once: 5 resources, one entry each, whatever the batches.
    let runs = f.applied_runs();
    assert_eq!(runs.iter().map(|(_, n)| n).sum::<i64>(), 5, "{runs:?}");
    let latency = f
        .daemon
        .metric("tagwarden_event_to_tagged_seconds_count")
        .unwrap_or(0.0);
    assert!(
        latency >= 4.0,
        "latency observed per tagged event: {latency}"
    );
}

#[test]
fn poison_messages_are_counted_and_dropped() {
    let mut f = fixture(3);
    let endpoint = f.emu.endpoint();
    let volume = new_volume(&endpoint, STAGING.0);
    let missing_ids = event(
        "p-3",
        "RunInstances",
        STAGING.0,
        "us-east-1",
        json!({}),
        json!({}),
    );
    let mut big = create_volume("p-4", STAGING.0, &volume);
    big = big.replace(
        "\"requestParameters\":{}",
        &format!(
            "\"requestParameters\":{{\"padding\":\"{}\"}}",
            "x".repeat(300 * 1024)
        ),
    );
    f.send(vec![
        "not json at all".into(),
        event(
            "p-2",
            "DescribeInstances",
            STAGING.0,
            "us-east-1",
            json!({}),
            Value::Null,
        ),
        missing_ids,
    ]);
    f.send(vec![big]);
    // The consumer goes on: a good event after the poison is handled.
    f.send(vec![event(
        "p-5",
        "CreateVolume",
        STAGING.0,
        "us-east-1",
        json!({}),
        json!({"volumeId": volume}),
    )]);
    f.daemon.wait_for(
        "the poison counted and the good event tagged",
        MINUTE,
        |d| {
            count(d, "other", "not_json") >= 1.0
                && count(d, "other", "not_creation") >= 1.0
                && count(d, "RunInstances", "malformed") >= 1.0
                && count(d, "other", "too_large") >= 1.0
                && count(d, "CreateVolume", "tagged") >= 1.0
        },
    );
    assert_eq!(f.queued(), 0);
    let (status, _) = f.daemon.get("/healthz").unwrap();
    assert_eq!(status, 200);
    let _ = CALLER;
}

#[test]
fn a_burst_of_creations_is_written_in_a_few_batched_calls() {
    const BURST: usize = 1000;
    let mut f = fixture_with(3, "limits: {max_changes_per_run: 5000}\n");
    let endpoint = f.emu.endpoint();
    let instances = runtime().block_on(async {
        let seeder = Seeder::new(&endpoint).await;
        let ec2 = Seeder::ec2(&seeder.account(STAGING.0).await, "us-east-1");
        let mut ids = Vec::new();
        for _ in 0..BURST / 250 {
            ids.extend(
                estate::launch(&ec2, 250, &[], &[])
                    .await
                    .into_iter()
                    .map(|(i, _)| i),
            );
        }
        ids
    });
    let bodies = instances
        .iter()
        .enumerate()
        .map(|(n, id)| {
            run_instances(
                &format!("burst-{n}"),
                STAGING.0,
                "us-east-1",
                std::slice::from_ref(id),
            )
        })
        .collect();
    f.send(bodies);
    f.daemon.wait_for("the burst tagged", 3 * MINUTE, |d| {
        count(d, "RunInstances", "tagged") >= BURST as f64
    });
    let calls = |op: &str| {
        f.daemon
            .metric(&format!(
                "tagwarden_aws_requests_total{{service=\"ec2\",operation=\"{op}\"}}"
            ))
            .unwrap_or(0.0)
    };
    // Each burst read together is one write: CreateTags takes up to 1,000
    // ids with the same tags a request. The emulator hands out ~13 messages
    // a second with 1,000 queued (emulator-notes.md), so the burst arrives
    // over many one-second windows; AWS delivers it in a few.
    let bursts = f.daemon.log_text().matches("burst handled").count() as f64;
    let create_tags = calls("CreateTags");
    assert!(
        create_tags <= bursts && create_tags <= (BURST / 20) as f64,
        "{create_tags} CreateTags calls for {bursts} bursts of {BURST} events"
    );
    assert_eq!(f.queued(), 0);
    let runs = f.applied_runs();
    assert_eq!(
        runs.iter().map(|(_, n)| n).sum::<i64>(),
        BURST as i64,
        "{runs:?}"
    );
    assert!(
        runs.len() as f64 <= bursts,
        "one apply run per burst, not per event: {} runs, {bursts} bursts",
        runs.len()
    );
}

/// An agreement run in AWS Transform: the shipped policy with its key
/// `aws-apn-id`, and `map.tag` counting it.
#[test]
fn a_new_resource_takes_the_aws_transform_key_on_create() {
    let shipped =
        std::fs::read_to_string(common::repo_root().join("policies/map-migrated.yaml")).unwrap();
    let policy = shipped
        .replace("map-migrated:", "aws-apn-id:")
        .replace("migABCDE12345", "migra-abcdefg123456");
    let mut f = common::events::fixture_policy(
        &policy,
        "map:\n  tag: {key: aws-apn-id, id: ra-abcdefg123456}\n",
    );
    let endpoint = f.emu.endpoint();
    let volume = new_volume(&endpoint, STAGING.0);
    f.send(vec![create_volume("t-1", STAGING.0, &volume)]);
    f.daemon.wait_for("the volume tagged", MINUTE, |d| {
        count(d, "CreateVolume", "tagged") >= 1.0
    });
    assert_eq!(
        volume_tags(&endpoint, STAGING.0, &volume),
        vec![("aws-apn-id".to_string(), "migra-abcdefg123456".to_string())]
    );
    assert!(
        !f.daemon
            .log_text()
            .contains("is not a MAP tag the configuration counts"),
        "the policy's key is the one map.tag counts"
    );
}

#[test]
fn in_audit_mode_a_new_resource_is_reported_not_tagged() {
    let mut f = fixture_in("audit", 3, "", &[]);
    let endpoint = f.emu.endpoint();
    let volume = new_volume(&endpoint, STAGING.0);
    f.send(vec![create_volume("a-1", STAGING.0, &volume)]);
    f.daemon.wait_for("the finding counted", MINUTE, |d| {
        count(d, "CreateVolume", "non_compliant") >= 1.0
    });
    assert!(f
        .daemon
        .log_text()
        .contains("a new resource is not compliant"));
    assert!(f.applied_runs().is_empty(), "audit mode writes nothing");
    let tags = volume_tags(&endpoint, STAGING.0, &volume);
    assert!(tags.is_empty(), "{tags:?}");
}

#[test]
fn creation_events_of_every_service_are_tagged_or_left_to_the_cycle() {
    use common::events::service_event;
    // Each write is tried once: what the emulator refuses is left to the cycle.
    let mut f = fixture(1);
    let seeded = common::seed_services(&f.emu, &[], &[PROD.0]);
    let never: Vec<(String, String)> = seeded["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["class"] == "never_tagged")
        .map(|r| {
            (
                r["type"].as_str().unwrap().to_string(),
                r["arn"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let name = |arn: &str| arn.rsplit([':', '/']).next().unwrap().to_string();
    let events: Vec<(String, &str)> = never
        .iter()
        .map(|(ty, arn)| {
            let id = format!("e-{ty}");
            let (source, call, request, response) = match ty.as_str() {
                "lambda:function" => (
                    "lambda",
                    "CreateFunction20150331",
                    json!({}),
                    json!({"functionArn": arn}),
                ),
                "dynamodb:table" => (
                    "dynamodb",
                    "CreateTable",
                    json!({}),
                    json!({"tableDescription": {"tableArn": arn}}),
                ),
                "elasticloadbalancing:loadbalancer" => (
                    "elasticloadbalancing",
                    "CreateLoadBalancer",
                    json!({}),
                    json!({"loadBalancers": [{"loadBalancerArn": arn}]}),
                ),
                "elasticfilesystem:file-system" => (
                    "elasticfilesystem",
                    "CreateFileSystem",
                    json!({}),
                    json!({"fileSystemArn": arn}),
                ),
                "elasticache:cluster" => (
                    "elasticache",
                    "CreateCacheCluster",
                    json!({"cacheClusterId": name(arn)}),
                    json!({"cacheClusterId": name(arn)}),
                ),
                "ecs:cluster" => (
                    "ecs",
                    "CreateCluster",
                    json!({}),
                    json!({"cluster": {"clusterArn": arn}}),
                ),
                "sns:topic" => ("sns", "CreateTopic", json!({}), json!({"topicArn": arn})),
                "sqs:queue" => (
                    "sqs",
                    "CreateQueue",
                    json!({"queueName": name(arn)}),
                    Value::Null,
                ),
                "logs:log-group" => (
                    "logs",
                    "CreateLogGroup",
                    json!({"logGroupName": arn.split_once("log-group:").unwrap().1}),
                    Value::Null,
                ),
                "secretsmanager:secret" => (
                    "secretsmanager",
                    "CreateSecret",
                    json!({}),
                    json!({"arn": arn}),
                ),
                "kinesis:stream" => (
                    "kinesis",
                    "CreateStream",
                    json!({"streamName": name(arn)}),
                    Value::Null,
                ),
                "eks:cluster" => (
                    "eks",
                    "CreateCluster",
                    json!({}),
                    json!({"cluster": {"arn": arn}}),
                ),
                other => panic!("no event for {other}"),
            };
            (
                service_event(&id, source, call, PROD.0, "us-east-1", request, response),
                call,
            )
        })
        .collect();
    f.send(events.iter().map(|(e, _)| e.clone()).collect());
    // moto's TagResources writes these; it refuses load balancers, queues,
    // streams and EKS (AWS writes them all).
    let written = [
        "CreateFunction20150331",
        "CreateTable",
        "CreateFileSystem",
        "CreateCacheCluster",
        "CreateTopic",
        "CreateLogGroup",
        "CreateSecret",
    ];
    f.daemon.wait_for("every event settled", MINUTE * 2, |d| {
        let tagged: f64 = written.iter().map(|e| count(d, e, "tagged")).sum();
        let left: f64 = ["CreateLoadBalancer", "CreateQueue", "CreateStream"]
            .iter()
            .map(|e| count(d, e, "left_for_cycle"))
            .sum();
        // ECS and EKS both record CreateCluster: one tagged, one left.
        tagged >= 7.0
            && left >= 3.0
            && count(d, "CreateCluster", "tagged") >= 1.0
            && count(d, "CreateCluster", "left_for_cycle") >= 1.0
    });
    // Journaled: every tag written in an apply run, the refused ones failed.
    let applied: i64 = f.applied_runs().iter().map(|(_, n)| n).sum();
    assert_eq!(applied, 8, "{:?}", f.applied_runs());
    let cfg = f.dir.path().join("tagwarden.yaml");
    let audit = f
        .emu
        .tagwarden(&["audit", "-c", cfg.to_str().unwrap(), "--format", "json"])
        .json();
    let still: Vec<&str> = audit["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["arn"].as_str())
        .filter(|a| never.iter().any(|(_, n)| n == a))
        .collect();
    // Tagged ones comply; of the refused, the Tagging API sees only those
    // the emulator lists untagged (load balancers, queues, streams and EKS
    // clusters are not all visible to it without Resource Explorer).
    for (ty, arn) in &never {
        let refused = [
            "elasticloadbalancing:loadbalancer",
            "sqs:queue",
            "kinesis:stream",
            "eks:cluster",
        ]
        .contains(&ty.as_str());
        if !refused {
            assert!(!still.contains(&arn.as_str()), "{arn} tagged on create");
        }
    }
}

/// At cutover (and for a test launch) MGN starts the instance itself,
/// through its service-linked role: CloudTrail records a `RunInstances`
/// invoked by mgn.amazonaws.com from the launch template MGN keeps for the
/// server (the identity as docs/map-facts.md records it; AWS publishes no
/// complete cutover event). It is a creation like any other.
#[test]
fn an_instance_mgn_launches_is_tagged_on_create() {
    let mut f = fixture(3);
    let endpoint = f.emu.endpoint();
    let instances: Vec<String> = runtime().block_on(async {
        let seeder = Seeder::new(&endpoint).await;
        let ec2 = Seeder::ec2(&seeder.account(PROD.0).await, "us-east-1");
        let launched = estate::launch(&ec2, 1, &[("Name", "erp-app")], &[]).await;
        launched.into_iter().map(|(i, _)| i).collect()
    });
    let mut by_mgn: Value =
        serde_json::from_str(&run_instances("e-mgn", PROD.0, "us-east-1", &instances)).unwrap();
    let detail = &mut by_mgn["detail"];
    detail["userIdentity"] = json!({
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLE:ApplicationMigrationService",
        "arn": format!("arn:aws:sts::{}:assumed-role/AWSServiceRoleForApplicationMigrationService/ApplicationMigrationService", PROD.0),
        "accountId": PROD.0,
        "invokedBy": "mgn.amazonaws.com",
    });
    detail["sourceIPAddress"] = json!("mgn.amazonaws.com");
    detail["userAgent"] = json!("mgn.amazonaws.com");
    detail["requestParameters"] = json!({
        "instancesSet": {"items": [{"minCount": 1, "maxCount": 1}]},
        "launchTemplate": {"launchTemplateId": "lt-0123456789abcdef0", "version": "1"},
    });
    f.send(vec![by_mgn.to_string()]);
    f.daemon
        .wait_for("the instance MGN launched tagged", MINUTE, |d| {
            count(d, "RunInstances", "tagged") >= 1.0
        });
    runtime().block_on(async {
        let seeder = Seeder::new(&endpoint).await;
        let ec2 = Seeder::ec2(&seeder.account(PROD.0).await, "us-east-1");
        let described = ec2
            .describe_instances()
            .set_instance_ids(Some(instances.clone()))
            .send()
            .await
            .unwrap();
        let i = &described.reservations()[0].instances()[0];
        assert!(
            tags_of(i.tags()).iter().any(|(k, _)| k == "map-migrated"),
            "{i:?}"
        );
    });
}

/// A daemon that dies while it works on a burst: the events it held come
/// back within a minute of its restart (received invisible for 30 s,
/// extended while worked on), not after minutes.
#[test]
fn the_events_a_killed_daemon_held_are_handled_within_a_minute_of_its_restart() {
    common::needs_test_hooks();
    let crash = [("TAGWARDEN_CRASH_AFTER_JOURNAL", "1")];
    let mut f = common::events::fixture_env("enforce", 5, "", &[], &crash);
    let volume = new_volume(&f.emu.endpoint(), STAGING.0);
    f.send(vec![create_volume("k-1", STAGING.0, &volume)]);
    let (code, _) = f.daemon.wait_exit(MINUTE);
    assert_ne!(code, 0, "it aborted once the event's write was journaled");
    // Back in audit mode, so that only the event (not a cycle) answers for
    // the volume.
    let cfg = std::fs::read_to_string(f.dir.path().join("tagwarden.yaml"))
        .unwrap()
        .replace("mode: enforce", "mode: audit");
    let cfg = common::write(f.dir.path(), "audit.yaml", &cfg);
    let mut d = common::daemon::Daemon::start(
        f.emu.command(&["run", "-c", &cfg]),
        &f.dir.path().join("restarted.log"),
    );
    d.wait_for("the held event handled again", MINUTE, |d| {
        count(d, "CreateVolume", "non_compliant") >= 1.0
    });
    assert_eq!(
        d.metric("tagwarden_journal_pending"),
        Some(1.0),
        "the crashed write is reported, for the next enforce run to settle"
    );
}
