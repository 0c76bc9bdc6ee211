//! An SQS message is a claim, not a fact: events that name a region the
//! daemon does not scan, a resource of another type than their call
//! creates, or a resource their account does not hold are never written;
//! and a burst that waits stays invisible to other replicas.

use crate::common;

use common::estate::{self, Seeder, PROD, STAGING};
use common::events::{
    count, create_volume, event, fixture, fixture_env, new_volume, run_instances, runtime, MINUTE,
};
use serde_json::{json, Value};

#[test]
fn events_that_lie_are_not_believed_and_nothing_is_written() {
    let mut f = fixture(2);
    let endpoint = f.emu.endpoint();
    let (far_instance, snapshot_arn, volume) = runtime().block_on(async {
        let seeder = Seeder::new(&endpoint).await;
        let staging = seeder.account(STAGING.0).await;
        // us-west-2 is not in `regions:`.
        let far = Seeder::ec2(&staging, "us-west-2");
        let (instance, _) = estate::launch(&far, 1, &[], &[]).await.remove(0);
        let rds = Seeder::rds(&seeder.account(PROD.0).await, "us-east-1");
        estate::database(&rds, "ledger", &[]).await;
        let snap = rds
            .create_db_snapshot()
            .db_instance_identifier("ledger")
            .db_snapshot_identifier("ledger-before")
            .send()
            .await
            .unwrap();
        let snapshot_arn = snap
            .db_snapshot()
            .unwrap()
            .db_snapshot_arn()
            .unwrap()
            .to_string();
        // A bucket of the staging account, claimed by an event of prod.
        let s3 = Seeder::s3(&staging, "us-east-1");
        estate::bucket(&s3, "staging-only", "us-east-1", &[]).await;
        let ec2 = Seeder::ec2(&staging, "us-east-1");
        let volume = estate::volume(&ec2, "us-east-1", &[]).await;
        (instance, snapshot_arn, volume)
    });
    let volume_event = create_volume("h-vol", STAGING.0, &volume);
    // The same call, its envelope claiming another service.
    let mut relabelled: Value = serde_json::from_str(&volume_event).unwrap();
    relabelled["source"] = json!("aws.rds");
    relabelled["detail"]["eventID"] = json!("h-relabelled");
    f.send(vec![
        run_instances(
            "h-far",
            STAGING.0,
            "us-west-2",
            std::slice::from_ref(&far_instance),
        ),
        event(
            "h-snap",
            "CreateDBInstance",
            PROD.0,
            "us-east-1",
            json!({}),
            json!({"dBInstanceArn": snapshot_arn}),
        ),
        event(
            "h-bucket",
            "CreateBucket",
            PROD.0,
            "us-east-1",
            json!({"bucketName": "staging-only"}),
            Value::Null,
        ),
        relabelled.to_string(),
        // A true event, so that the daemon is seen to act at all.
        volume_event,
    ]);
    f.daemon
        .wait_for("the lies rejected, the truth tagged", MINUTE, |d| {
            count(d, "RunInstances", "rejected") >= 1.0
                && count(d, "CreateDBInstance", "rejected") >= 1.0
                && count(d, "CreateVolume", "rejected") >= 1.0
                && count(d, "CreateVolume", "tagged") >= 1.0
                && count(d, "CreateBucket", "left_for_cycle") >= 1.0
        });
    let log = f.daemon.log_text();
    assert!(
        log.contains("region us-west-2 is not in `regions:`"),
        "{log}"
    );
    assert!(log.contains("its type is `rds:snapshot`"), "{log}");
    runtime().block_on(async {
        let seeder = Seeder::new(&endpoint).await;
        let staging = seeder.account(STAGING.0).await;
        let far = Seeder::ec2(&staging, "us-west-2");
        let i = far
            .describe_instances()
            .instance_ids(&far_instance)
            .send()
            .await
            .unwrap();
        let tags = i.reservations()[0].instances()[0].tags();
        assert!(
            !tags.iter().any(|t| t.key() == Some("map-migrated")),
            "{tags:?}"
        );
        let rds = Seeder::rds(&seeder.account(PROD.0).await, "us-east-1");
        let snap_tags = rds
            .list_tags_for_resource()
            .resource_name(&snapshot_arn)
            .send()
            .await
            .unwrap();
        assert!(snap_tags.tag_list().is_empty(), "{snap_tags:?}");
        let s3 = Seeder::s3(&staging, "us-east-1");
        assert!(estate::bucket_tags(&s3, "staging-only").await.is_empty());
    });
    assert_eq!(f.queued(), 0, "every message is settled and deleted");
    let runs = f.applied_runs();
    assert_eq!(runs.iter().map(|(_, n)| n).sum::<i64>(), 1, "{runs:?}");
}

#[test]
fn a_burst_that_waits_stays_invisible_to_other_replicas() {
    common::needs_test_hooks();
    // Messages are invisible for 3 s at a time, and the write waits 8 s
    // after its journal: without the burst's visibility kept up, another
    // replica would receive the message while it waits.
    let mut f = fixture_env(
        "enforce",
        3,
        "",
        &[],
        &[
            ("TAGWARDEN_HANDLING_SECS", "3"),
            ("TAGWARDEN_PAUSE_AFTER_JOURNAL_MS", "8000"),
        ],
    );
    let endpoint = f.emu.endpoint();
    let volume = new_volume(&endpoint, STAGING.0);
    f.send(vec![create_volume("w-vol", STAGING.0, &volume)]);
    f.daemon.wait_for("the write waiting", MINUTE, |d| {
        d.log_text().contains("waiting 8000 ms before writing")
    });
    // Another replica polls for 7 s: nothing for it.
    let stolen = runtime().block_on(async {
        let seeder = Seeder::new(&endpoint).await;
        let sqs = aws_sdk_sqs::Client::new(seeder.base());
        let until = std::time::Instant::now() + std::time::Duration::from_secs(7);
        let mut stolen = 0;
        while std::time::Instant::now() < until {
            let got = sqs
                .receive_message()
                .queue_url(&f.queue)
                .visibility_timeout(0)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            stolen += got.messages().len();
        }
        stolen
    });
    assert_eq!(
        stolen, 0,
        "a waiting burst's message was received elsewhere"
    );
    f.daemon.wait_for("the volume tagged", MINUTE, |d| {
        count(d, "CreateVolume", "tagged") >= 1.0
    });
    assert_eq!(f.queued(), 0);
}
