//! The tag writers against the emulator, through the library: the paths a
//! whole apply rarely takes. EC2 finds the bad id that failed a batch and
//! still writes the others; S3 refuses a bucket whose tags changed since the
//! change was decided, and one that would exceed 50 tags (the emulator does
//! not enforce that limit: tagwarden must).

use crate::common;

use common::estate::{self, CALLER};
use common::Emulator;
use std::collections::BTreeMap;
use tagwarden::aws::{AccountSession, Aws};
use tagwarden::enforce::write::{self, Outcomes, TagError};
use tagwarden_core::apply_rules::{MergeRefusal, TagWrite};
use tagwarden_core::config::Config;

const REGION: &str = "us-east-1";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

async fn session(emu: &Emulator) -> (Aws, AccountSession) {
    let config = Config {
        endpoint_url: Some(emu.endpoint()),
        ..Config::default()
    };
    // The library reads credentials from the standard chain.
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("AWS_REGION", REGION);
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let aws = Aws::connect(&config).await;
    let session = aws.session(CALLER, CALLER, None, None).await.unwrap();
    (aws, session)
}

fn tag_write(arn: &str, ty: &str, set: &[(&str, &str)], expect_absent: bool) -> TagWrite {
    let arn = arn.parse().expect("a test ARN");
    let mut w = TagWrite::empty(&arn, CALLER, REGION, ty);
    for (k, v) in set {
        w.set.insert(k.to_string(), v.to_string());
        if expect_absent {
            w.expect.insert(k.to_string(), None);
        }
    }
    w
}

fn instance_arn(id: &str) -> String {
    format!("arn:aws:ec2:{REGION}:{CALLER}:instance/{id}")
}

#[test]
fn one_bad_ec2_id_does_not_fail_the_others_in_its_batch() {
    let emu = Emulator::start();
    runtime().block_on(async {
        let seeder = estate::Seeder::new(&emu.endpoint()).await;
        let ec2 = estate::Seeder::ec2(seeder.base(), REGION);
        let ids: Vec<String> = estate::launch(&ec2, 2, &[], &[])
            .await
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        let (aws, session) = session(&emu).await;
        // A malformed id in the middle of the batch: AWS (and the emulator)
        // fail the whole CreateTags request with `InvalidID`.
        let arns = [
            instance_arn(&ids[0]),
            instance_arn("bogus-123"),
            instance_arn(&ids[1]),
        ];
        let writes: Vec<TagWrite> = arns
            .iter()
            .map(|a| tag_write(a, "ec2:instance", &[("map-migrated", "mig12345")], false))
            .collect();
        let out: Outcomes = write::write(&aws.api, &session, REGION, &writes).await;
        assert_eq!(out[&arns[0]], Ok(()));
        assert_eq!(out[&arns[2]], Ok(()));
        let bad = out[&arns[1]].as_ref().unwrap_err();
        assert_eq!(bad.code(), Some("InvalidID"), "{bad}");
        assert_eq!(
            aws.api.calls()["ec2:CreateTags"],
            1 + 3,
            "the batch, then each id alone"
        );
        // The good ones really are tagged.
        let tags = ec2.describe_tags().send().await.unwrap();
        let tagged: Vec<&str> = tags
            .tags()
            .iter()
            .filter(|t| t.key() == Some("map-migrated"))
            .filter_map(|t| t.resource_id())
            .collect();
        assert_eq!(tagged.len(), 2, "{tagged:?}");
        assert!(ids.iter().all(|id| tagged.contains(&id.as_str())));
    });
}

#[test]
fn s3_refuses_a_bucket_changed_since_it_was_read() {
    let emu = Emulator::start();
    runtime().block_on(async {
        let seeder = estate::Seeder::new(&emu.endpoint()).await;
        let s3 = estate::Seeder::s3(seeder.base(), REGION);
        // The change was decided when `map-migrated` was absent; someone has
        // set it since (and the Tagging API the scan read may lag).
        let arn = estate::bucket(
            &s3,
            "moved",
            REGION,
            &[("Owner", "data"), ("map-migrated", "mig99999")],
        )
        .await;
        let (aws, session) = session(&emu).await;
        let w = tag_write(
            &arn,
            "s3:bucket",
            &[("map-migrated", "migABCDE12345")],
            true,
        );
        let out = write::write(&aws.api, &session, REGION, &[w]).await;
        assert_eq!(
            out[&arn],
            Err(TagError::Merge(MergeRefusal::Changed(
                "`map-migrated` is `mig99999` on the resource, expected absent".into()
            )))
        );
        assert!(
            !aws.api.calls().contains_key("s3:PutBucketTagging"),
            "nothing written"
        );
        assert_eq!(
            estate::bucket_tags(&s3, "moved").await,
            BTreeMap::from([
                ("Owner".into(), "data".into()),
                ("map-migrated".into(), "mig99999".into())
            ])
        );

        // Unchanged since: written, the bucket's other tags kept.
        let plain = estate::bucket(&s3, "plain", REGION, &[("Owner", "data")]).await;
        let w = tag_write(
            &plain,
            "s3:bucket",
            &[("map-migrated", "migABCDE12345")],
            true,
        );
        let out = write::write(&aws.api, &session, REGION, &[w]).await;
        assert_eq!(out[&plain], Ok(()));
        assert_eq!(
            estate::bucket_tags(&s3, "plain").await,
            BTreeMap::from([
                ("Owner".into(), "data".into()),
                ("map-migrated".into(), "migABCDE12345".into())
            ])
        );
    });
}

#[test]
fn s3_never_writes_more_than_fifty_tags() {
    let emu = Emulator::start();
    runtime().block_on(async {
        let seeder = estate::Seeder::new(&emu.endpoint()).await;
        let s3 = estate::Seeder::s3(seeder.base(), REGION);
        let fifty: Vec<(String, String)> = (0..50)
            .map(|i| (format!("k{i:02}"), "v".to_string()))
            .collect();
        let fifty: Vec<(&str, &str)> = fifty
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let arn = estate::bucket(&s3, "crowded", REGION, &fifty).await;
        let (aws, session) = session(&emu).await;
        let w = tag_write(
            &arn,
            "s3:bucket",
            &[("map-migrated", "migABCDE12345")],
            true,
        );
        let out = write::write(&aws.api, &session, REGION, &[w]).await;
        assert_eq!(
            out[&arn],
            Err(TagError::Merge(MergeRefusal::OverTagLimit(51)))
        );
        assert_eq!(
            estate::bucket_tags(&s3, "crowded").await.len(),
            50,
            "left as it was"
        );
    });
}
