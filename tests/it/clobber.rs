//! Writes never clobber: a tag someone sets between the scan and the write
//! is never overwritten (the write re-reads just before), and a rollback
//! never removes or restores over a value set since tagwarden wrote it. The
//! test build's hook holds the write after its journal, while the test
//! plays the person who sets a tag, for EC2, RDS, S3 and the Tagging API.

use crate::common;

use common::estate::{self, Seeder, PROD};
use common::{write, Emulator, Run};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

const PERSON: &str = "migPERSON0001";
/// The value the policy writes.
const OURS: &str = "migABCDE12345";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// boto3's SNS client (`client`) in prod (no SDK crate of ours has SNS).
fn sns(emu: &Emulator, script: &str) -> String {
    common::boto3(emu, PROD.0, "sns", script)
}

/// Run `args` with the write held after its journal; `meanwhile` runs
/// while it is held.
pub fn held(emu: &Emulator, dir: &Path, args: &[&str], meanwhile: impl FnOnce()) -> Run {
    let go = dir.join(format!("go-{}", args[2]));
    let held = dir.join(format!("go-{}.held", args[2]));
    let _ = std::fs::remove_file(&held);
    let go_env = go.display().to_string();
    std::thread::scope(|scope| {
        let run = scope.spawn(|| {
            emu.tagwarden_env(args, &[("TAGWARDEN_HOLD_AFTER_JOURNAL", go_env.as_str())])
        });
        let until = Instant::now() + Duration::from_secs(120);
        while !held.exists() {
            assert!(Instant::now() < until, "the write was never held");
            assert!(!run.is_finished(), "finished without holding");
            std::thread::sleep(Duration::from_millis(50));
        }
        meanwhile();
        std::fs::write(&go, "").unwrap();
        run.join().unwrap()
    })
}

/// One untagged resource of each writer in prod, a policy that tags them,
/// and a state store.
struct Estate {
    emu: Emulator,
    dir: tempfile::TempDir,
    cfg: String,
    instance: String,
    /// Untagged, and left alone by the person: written as usual.
    bystander: String,
    db: String,
    bucket: String,
    topic: String,
}

impl Estate {
    fn new(suffix: &str) -> Estate {
        let emu = Emulator::start();
        let dir = tempfile::tempdir().unwrap();
        // Two untagged instances (the person touches the first), an
        // untagged database and bucket, all in prod's us-east-1.
        let (instances, db, bucket) = runtime().block_on(async {
            let seeder = Seeder::new(&emu.endpoint()).await;
            let prod = seeder.account(PROD.0).await;
            let ec2 = Seeder::ec2(&prod, "us-east-1");
            let instances: Vec<String> = estate::launch(&ec2, 2, &[], &[])
                .await
                .into_iter()
                .map(|(id, _)| format!("arn:aws:ec2:us-east-1:{}:instance/{id}", PROD.0))
                .collect();
            let rds = Seeder::rds(&prod, "us-east-1");
            let db = estate::database(&rds, &format!("{suffix}-db"), &[]).await;
            let s3 = Seeder::s3(&prod, "us-east-1");
            let bucket = estate::bucket(&s3, &format!("{suffix}-bucket"), "us-east-1", &[]).await;
            (instances, db, bucket)
        });
        let topic = sns(
            &emu,
            &format!("print(client.create_topic(Name='{suffix}', Tags=[{{'Key': 'Owner', 'Value': 'shop'}}])['TopicArn'])"),
        );
        let policy = write(
            dir.path(),
            "map.yaml",
            "version: 1\npolicies:\n  - name: map\n    resources: [ec2:instance, rds:db, s3:bucket, sns:topic]\n    require:\n      map-migrated: {format: map}\n    remediate:\n      set: {map-migrated: migABCDE12345}\n",
        );
        let store = dir.path().join("state.db").display().to_string();
        let cfg = write(
            dir.path(),
            "tagwarden.yaml",
            &estate::config(&policy, &format!("store: {store}\n")),
        );
        Estate {
            instance: instances[0].clone(),
            bystander: instances[1].clone(),
            db,
            bucket,
            topic,
            emu,
            dir,
            cfg,
        }
    }

    /// `tagwarden -c CFG ARGS…`, the write held after its journal while
    /// `meanwhile` runs.
    fn held(&self, args: &[&str], meanwhile: impl FnOnce()) -> Run {
        let full = [&["-c", self.cfg.as_str()][..], args].concat();
        held(&self.emu, self.dir.path(), &full, meanwhile)
    }

    /// Set `map-migrated` to `value` on all four, each through its own API.
    fn sets(&self, value: &str) {
        runtime().block_on(async {
            let seeder = Seeder::new(&self.emu.endpoint()).await;
            let prod = seeder.account(PROD.0).await;
            let id = self.instance.rsplit('/').next().unwrap();
            Seeder::ec2(&prod, "us-east-1")
                .create_tags()
                .resources(id)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("map-migrated")
                        .value(value)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            Seeder::rds(&prod, "us-east-1")
                .add_tags_to_resource()
                .resource_name(&self.db)
                .tags(
                    aws_sdk_rds::types::Tag::builder()
                        .key("map-migrated")
                        .value(value)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let s3 = Seeder::s3(&prod, "us-east-1");
            let name = self.bucket.trim_start_matches("arn:aws:s3:::");
            let mut tags = estate::bucket_tags(&s3, name).await;
            tags.insert("map-migrated".into(), value.into());
            let set = tags
                .iter()
                .map(|(k, v)| {
                    aws_sdk_s3::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .unwrap()
                })
                .collect();
            s3.put_bucket_tagging()
                .bucket(name)
                .tagging(
                    aws_sdk_s3::types::Tagging::builder()
                        .set_tag_set(Some(set))
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
        });
        sns(
            &self.emu,
            &format!(
                "client.tag_resource(ResourceArn='{}', Tags=[{{'Key': 'map-migrated', 'Value': '{value}'}}])",
                self.topic
            ),
        );
    }

    /// `map-migrated` on each of the four, as its own API reads it now.
    fn reads(&self) -> Vec<Option<String>> {
        let mut out = runtime().block_on(async {
            let seeder = Seeder::new(&self.emu.endpoint()).await;
            let prod = seeder.account(PROD.0).await;
            let id = self.instance.rsplit('/').next().unwrap();
            let ec2 = Seeder::ec2(&prod, "us-east-1")
                .describe_instances()
                .instance_ids(id)
                .send()
                .await
                .unwrap();
            let i = ec2.reservations()[0].instances()[0]
                .tags()
                .iter()
                .find(|t| t.key() == Some("map-migrated"))
                .and_then(|t| t.value().map(str::to_string));
            let rds = Seeder::rds(&prod, "us-east-1")
                .list_tags_for_resource()
                .resource_name(&self.db)
                .send()
                .await
                .unwrap();
            let d = rds
                .tag_list()
                .iter()
                .find(|t| t.key() == Some("map-migrated"))
                .and_then(|t| t.value().map(str::to_string));
            let s3 = Seeder::s3(&prod, "us-east-1");
            let b = estate::bucket_tags(&s3, self.bucket.trim_start_matches("arn:aws:s3:::"))
                .await
                .get("map-migrated")
                .cloned();
            vec![i, d, b]
        });
        let t = sns(
            &self.emu,
            &format!(
                "print(dict((t['Key'], t['Value']) for t in client.list_tags_for_resource(ResourceArn='{}')['Tags']).get('map-migrated', ''))",
                self.topic
            ),
        );
        out.push(Some(t).filter(|t| !t.is_empty()));
        out
    }

    /// The four were not written, for `reason`, and still hold the
    /// person's value.
    fn withheld(&self, report: &Value, reason: &str) {
        let mine = changes_of(report, &self.arns());
        assert_eq!(mine.len(), 4, "{report}");
        for c in &mine {
            assert_eq!(c["status"], "failed", "{c}");
            let why = c["reason"].as_str().unwrap();
            assert!(why.contains(reason), "{why}");
        }
        assert_eq!(self.reads(), vec![Some(PERSON.to_string()); 4]);
    }

    fn arns(&self) -> [&str; 4] {
        [&self.instance, &self.db, &self.bucket, &self.topic]
    }
}

fn changes_of<'a>(report: &'a Value, arns: &[&str]) -> Vec<&'a Value> {
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| arns.contains(&c["arn"].as_str().unwrap()))
        .collect()
}

#[test]
fn a_tag_set_between_the_scan_and_the_write_is_never_overwritten() {
    common::needs_test_hooks();
    let e = Estate::new("clobber");
    let applied = e.held(&["apply", "--yes", "--format", "json"], || e.sets(PERSON));
    let report = applied.json();
    e.withheld(
        &report,
        "changed since it was read: `map-migrated` is `migPERSON0001` on the resource, expected absent; not overwritten",
    );
    // What nobody touched was written.
    let bystander = changes_of(&report, &[e.bystander.as_str()]);
    assert_eq!(bystander.len(), 1, "{report}");
    assert_eq!(bystander[0]["status"], "applied", "{report}");
    assert_eq!(applied.code, 3, "{}", applied.stderr);
}

#[test]
fn a_rollback_never_removes_a_value_set_since_tagwarden_wrote() {
    common::needs_test_hooks();
    let e = Estate::new("undo");
    let applied = e
        .emu
        .tagwarden(&["-c", e.cfg.as_str(), "apply", "--yes", "--format", "json"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let run_id = applied.json()["run_id"].as_str().unwrap().to_string();
    assert_eq!(e.reads(), vec![Some("migABCDE12345".to_string()); 4]);
    // Between the rollback's plan and its writes, someone sets a value.
    let rolled = e.held(&["rollback", &run_id, "--yes", "--format", "json"], || {
        e.sets(PERSON)
    });
    let report = rolled.json();
    e.withheld(
        &report,
        "changed since tagwarden wrote it: `map-migrated` is `migPERSON0001` on the resource, tagwarden wrote `migABCDE12345`; left as it is",
    );
}

/// A cycle, tag on create and a person can put the same value in place
/// between this run's plan and its write: the run finds it there when it
/// reads just before writing, writes nothing more, journals `already`
/// (never a second `applied` with `previous: null`), and its rollback
/// leaves what the other writer put there.
#[test]
fn a_value_another_writer_put_first_is_already_there_not_applied_twice() {
    common::needs_test_hooks();
    let e = Estate::new("already");
    let applied = e.held(&["apply", "--yes", "--format", "json"], || e.sets(OURS));
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let report = applied.json();
    for c in changes_of(&report, &e.arns()) {
        assert_eq!(c["status"], "already", "{c}");
    }
    let bystander = changes_of(&report, &[e.bystander.as_str()]);
    assert_eq!(bystander[0]["status"], "applied", "{report}");
    assert_eq!(report["summary"]["already"], 4, "{report}");
    assert_eq!(report["summary"]["applied"], 1, "{report}");
    let run_id = report["run_id"].as_str().unwrap().to_string();
    let journal = e
        .emu
        .tagwarden(&["-c", e.cfg.as_str(), "history", &run_id, "--format", "json"]);
    let states: Vec<(String, String)> = journal
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["arn"].as_str().unwrap().to_string(),
                j["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (arn, state) in &states {
        let expected = if *arn == e.bystander {
            "applied"
        } else {
            "already"
        };
        assert_eq!(state, expected, "{arn}: {states:?}");
    }
    // Its rollback removes only what it wrote.
    let rolled = e.emu.tagwarden(&[
        "-c",
        e.cfg.as_str(),
        "rollback",
        &run_id,
        "--yes",
        "--format",
        "json",
    ]);
    assert_eq!(rolled.code, 0, "{}\n{}", rolled.stdout, rolled.stderr);
    assert_eq!(e.reads(), vec![Some(OURS.to_string()); 4]);
    let undone = rolled.json();
    let arns: Vec<&str> = undone["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["arn"].as_str().unwrap())
        .collect();
    assert_eq!(arns, [e.bystander.as_str()]);
}
