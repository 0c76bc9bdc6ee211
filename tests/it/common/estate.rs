//! The demo estate: two accounts, two regions, EC2 instances (with their root
//! volumes), volumes, snapshots, an image, RDS databases and clusters, and S3
//! buckets; some compliant with the MAP policy, some never tagged, some with
//! wrong-case keys or bad values. Seeded through the AWS SDK into an emulator.
//! Each resource records the findings the MAP 2.0 policy must report for it.
#![allow(dead_code)]

use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_ec2::types::{Filter, InstanceType, ResourceType, Tag, TagSpecification};

pub const PROD: (&str, &str) = ("111111111111", "prod");
pub const STAGING: (&str, &str) = ("222222222222", "staging");
pub const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
/// The caller's own account in moto (plain credentials act in it).
pub const CALLER: &str = "123456789012";

#[derive(Debug, Clone)]
pub struct Seeded {
    pub arn: String,
    pub account: String,
    pub region: String,
    pub resource_type: String,
    /// What the resource is, for people reading a failure.
    pub label: String,
    /// (tag, kind) findings the MAP policy must report; empty when compliant
    /// or out of scope.
    pub expect: Vec<(String, String)>,
    /// A fragment the finding's hint must contain.
    pub hint: Option<String>,
}

pub struct Seeder {
    base: SdkConfig,
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

fn missing() -> Vec<(String, String)> {
    vec![("map-migrated".into(), "missing".into())]
}

fn invalid() -> Vec<(String, String)> {
    vec![("map-migrated".into(), "invalid".into())]
}

impl Seeder {
    pub async fn new(endpoint: &str) -> Seeder {
        let base = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "testing", "testing", None, None, "seed",
            )))
            .load()
            .await;
        Seeder { base }
    }

    /// Credentials acting in `account` (moto: AssumeRole into any account).
    pub async fn account(&self, account: &str) -> SdkConfig {
        if account == CALLER {
            return self.base.clone();
        }
        let provider = AssumeRoleProvider::builder(format!("arn:aws:iam::{account}:role/seeder"))
            .session_name("seed")
            .configure(&self.base)
            .build()
            .await;
        self.base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build()
    }

    pub fn ec2(cfg: &SdkConfig, region: &str) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::from_conf(
            aws_sdk_ec2::config::Builder::from(cfg)
                .region(Region::new(region.to_string()))
                .build(),
        )
    }

    pub fn rds(cfg: &SdkConfig, region: &str) -> aws_sdk_rds::Client {
        aws_sdk_rds::Client::from_conf(
            aws_sdk_rds::config::Builder::from(cfg)
                .region(Region::new(region.to_string()))
                .build(),
        )
    }

    pub fn s3(cfg: &SdkConfig, region: &str) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(cfg)
                .region(Region::new(region.to_string()))
                .force_path_style(true)
                .build(),
        )
    }

    pub fn base(&self) -> &SdkConfig {
        &self.base
    }
}

/// A new bucket in the caller's account holding each local file under
/// `prefix` + its name (billing exports for `--cost s3://…`).
pub fn upload(endpoint: &str, bucket: &str, prefix: &str, files: &[std::path::PathBuf]) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let seeder = Seeder::new(endpoint).await;
        let s3 = Seeder::s3(seeder.base(), "us-east-1");
        s3.create_bucket().bucket(bucket).send().await.unwrap();
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy();
            s3.put_object()
                .bucket(bucket)
                .key(format!("{prefix}{name}"))
                .body(std::fs::read(file).unwrap().into())
                .send()
                .await
                .unwrap();
        }
    });
}

/// Launch `count` instances in one reservation; instance and root volume
/// tags as given. Returns instance ids and, per instance, its root volume id.
pub async fn launch(
    ec2: &aws_sdk_ec2::Client,
    count: i32,
    instance_tags: &[(&str, &str)],
    volume_tags: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut req = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .instance_type(InstanceType::T3Micro)
        .min_count(count)
        .max_count(count);
    for (rt, tags) in [
        (ResourceType::Instance, instance_tags),
        (ResourceType::Volume, volume_tags),
    ] {
        if !tags.is_empty() {
            let spec = TagSpecification::builder()
                .resource_type(rt)
                .set_tags(Some(tags.iter().map(|(k, v)| tag(k, v)).collect()))
                .build();
            req = req.tag_specifications(spec);
        }
    }
    let out = req.send().await.expect("RunInstances");
    let mut result = Vec::new();
    for i in out.instances() {
        let id = i.instance_id().unwrap().to_string();
        let vols = ec2
            .describe_volumes()
            .filters(
                Filter::builder()
                    .name("attachment.instance-id")
                    .values(&id)
                    .build(),
            )
            .send()
            .await
            .expect("DescribeVolumes");
        let vol = vols
            .volumes()
            .first()
            .and_then(|v| v.volume_id())
            .expect("root volume")
            .to_string();
        result.push((id, vol));
    }
    result
}

/// Launch `count` never-tagged instances without reading back their volumes.
pub async fn launch_only(ec2: &aws_sdk_ec2::Client, count: i32) {
    ec2.run_instances()
        .image_id("ami-12c6146b")
        .instance_type(InstanceType::T3Micro)
        .min_count(count)
        .max_count(count)
        .send()
        .await
        .expect("RunInstances");
}

pub async fn volume(ec2: &aws_sdk_ec2::Client, region: &str, tags: &[(&str, &str)]) -> String {
    let mut req = ec2
        .create_volume()
        .availability_zone(format!("{region}a"))
        .size(8);
    if !tags.is_empty() {
        req = req.tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Volume)
                .set_tags(Some(tags.iter().map(|(k, v)| tag(k, v)).collect()))
                .build(),
        );
    }
    req.send()
        .await
        .expect("CreateVolume")
        .volume_id()
        .unwrap()
        .to_string()
}

pub async fn bucket(
    s3: &aws_sdk_s3::Client,
    name: &str,
    region: &str,
    tags: &[(&str, &str)],
) -> String {
    let mut req = s3.create_bucket().bucket(name);
    if region != "us-east-1" {
        req = req.create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                .build(),
        );
    }
    req.send().await.expect("CreateBucket");
    if !tags.is_empty() {
        let tagging = aws_sdk_s3::types::Tagging::builder()
            .set_tag_set(Some(
                tags.iter()
                    .map(|(k, v)| {
                        aws_sdk_s3::types::Tag::builder()
                            .key(*k)
                            .value(*v)
                            .build()
                            .unwrap()
                    })
                    .collect(),
            ))
            .build()
            .unwrap();
        s3.put_bucket_tagging()
            .bucket(name)
            .tagging(tagging)
            .send()
            .await
            .expect("PutBucketTagging");
    }
    format!("arn:aws:s3:::{name}")
}

/// A bucket's tags; none when it has no tag set. Any other error fails the
/// test: a missing bucket must not read as an untagged one.
pub async fn bucket_tags(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> std::collections::BTreeMap<String, String> {
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    match s3.get_bucket_tagging().bucket(bucket).send().await {
        Ok(out) => out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
        Err(e) if e.code() == Some("NoSuchTagSet") => Default::default(),
        Err(e) => panic!("GetBucketTagging {bucket}: {e:?}"),
    }
}

pub async fn database(rds: &aws_sdk_rds::Client, id: &str, tags: &[(&str, &str)]) -> String {
    let out = rds
        .create_db_instance()
        .db_instance_identifier(id)
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("password123")
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .send()
        .await
        .expect("CreateDBInstance");
    out.db_instance()
        .and_then(|d| d.db_instance_arn())
        .unwrap()
        .to_string()
}

pub async fn cluster(rds: &aws_sdk_rds::Client, id: &str) -> String {
    let out = rds
        .create_db_cluster()
        .db_cluster_identifier(id)
        .engine("aurora-postgresql")
        .master_username("admin")
        .master_user_password("password123")
        .send()
        .await
        .expect("CreateDBCluster");
    out.db_cluster()
        .and_then(|c| c.db_cluster_arn())
        .unwrap()
        .to_string()
}

fn ec2_arn(region: &str, account: &str, kind: &str, id: &str) -> String {
    format!("arn:aws:ec2:{region}:{account}:{kind}/{id}")
}

/// Seed the demo estate. `suffix` keeps bucket names unique.
pub async fn seed(endpoint: &str, suffix: &str) -> Vec<Seeded> {
    let seeder = Seeder::new(endpoint).await;
    let mut out = Vec::new();
    let mut add = |account: &str,
                   region: &str,
                   ty: &str,
                   arn: String,
                   label: &str,
                   expect: Vec<(String, String)>,
                   hint: Option<&str>| {
        out.push(Seeded {
            arn,
            account: account.into(),
            region: region.into(),
            resource_type: ty.into(),
            label: label.into(),
            expect,
            hint: hint.map(str::to_string),
        })
    };
    let map = ("map-migrated", "migABCDE12345");
    // The cost-allocation tags of the shipped baseline policy, for the
    // resources that are meant to be fully compliant.
    let owner = ("Owner", "web.team@example.com");
    let cost = ("CostCenter", "1001");
    let env = ("Environment", "prod");

    // prod, us-east-1
    let (acct, region) = (PROD.0, "us-east-1");
    let cfg = seeder.account(acct).await;
    let ec2 = Seeder::ec2(&cfg, region);
    let (i, v) = launch(
        &ec2,
        1,
        &[map, ("Name", "web-1"), owner, cost, env],
        &[map, owner, cost, env],
    )
    .await
    .remove(0);
    add(
        acct,
        region,
        "ec2:instance",
        ec2_arn(region, acct, "instance", &i),
        "web-1, tagged at launch",
        vec![],
        None,
    );
    add(
        acct,
        region,
        "ec2:volume",
        ec2_arn(region, acct, "volume", &v),
        "web-1 root volume, tagged at launch",
        vec![],
        None,
    );
    let (i, v) = launch(&ec2, 1, &[], &[]).await.remove(0);
    add(
        acct,
        region,
        "ec2:instance",
        ec2_arn(region, acct, "instance", &i),
        "web-2, never tagged",
        missing(),
        None,
    );
    add(
        acct,
        region,
        "ec2:volume",
        ec2_arn(region, acct, "volume", &v),
        "web-2 root volume, never tagged",
        missing(),
        None,
    );
    let data = volume(&ec2, region, &[("Map-Migrated", "migABCDE12345")]).await;
    add(
        acct,
        region,
        "ec2:volume",
        ec2_arn(region, acct, "volume", &data),
        "data volume, key in wrong case",
        missing(),
        Some("differs in case"),
    );
    let snap = ec2
        .create_snapshot()
        .volume_id(&data)
        .send()
        .await
        .expect("CreateSnapshot")
        .snapshot_id()
        .unwrap()
        .to_string();
    add(
        acct,
        region,
        "ec2:snapshot",
        ec2_arn(region, acct, "snapshot", &snap),
        "snapshot of the data volume, never tagged",
        missing(),
        None,
    );
    let rds = Seeder::rds(&cfg, region);
    let db = database(&rds, "orders", &[("map-migrated", "MIG12345")]).await;
    add(
        acct,
        region,
        "rds:db",
        db,
        "orders database, upper-case prefix",
        invalid(),
        Some("must be lowercase"),
    );
    let s3 = Seeder::s3(&cfg, region);
    let b = bucket(
        &s3,
        &format!("prod-assets-{suffix}"),
        region,
        &[("map-migrated", "mig12345"), owner, cost, env],
    )
    .await;
    add(
        acct,
        region,
        "s3:bucket",
        b,
        "assets bucket, tagged",
        vec![],
        None,
    );

    // prod, eu-west-1
    let region = "eu-west-1";
    let ec2 = Seeder::ec2(&cfg, region);
    let exempt = volume(&ec2, region, &[("map-exempt", "shared-services")]).await;
    add(
        acct,
        region,
        "ec2:volume",
        ec2_arn(region, acct, "volume", &exempt),
        "exempt volume (map-exempt)",
        vec![],
        None,
    );
    let spaced = volume(&ec2, region, &[("map-migrated ", "migABCDE12345")]).await;
    add(
        acct,
        region,
        "ec2:volume",
        ec2_arn(region, acct, "volume", &spaced),
        "volume, key with trailing space",
        missing(),
        Some("white space"),
    );
    let s3 = Seeder::s3(&cfg, region);
    let b = bucket(&s3, &format!("prod-logs-{suffix}"), region, &[]).await;
    add(
        acct,
        region,
        "s3:bucket",
        b,
        "logs bucket in eu-west-1, never tagged",
        missing(),
        None,
    );

    // staging, eu-west-1
    let (acct, region) = (STAGING.0, "eu-west-1");
    let cfg = seeder.account(acct).await;
    let ec2 = Seeder::ec2(&cfg, region);
    let (i, v) = launch(&ec2, 1, &[("map-migrated", "d-server-020zya2d8ytar8")], &[])
        .await
        .remove(0);
    add(
        acct,
        region,
        "ec2:instance",
        ec2_arn(region, acct, "instance", &i),
        "legacy Migration Hub value",
        invalid(),
        Some("legacy"),
    );
    add(
        acct,
        region,
        "ec2:volume",
        ec2_arn(region, acct, "volume", &v),
        "its root volume, never tagged",
        missing(),
        None,
    );
    let image = ec2
        .create_image()
        .instance_id(&i)
        .name("golden")
        .send()
        .await
        .expect("CreateImage")
        .image_id()
        .unwrap()
        .to_string();
    add(
        acct,
        region,
        "ec2:image",
        ec2_arn(region, acct, "image", &image),
        "image of it, never tagged",
        missing(),
        None,
    );
    // Creating an image snapshots its volumes (in AWS as in the emulator):
    // one more never-tagged resource nobody asked for.
    let images = ec2
        .describe_images()
        .image_ids(&image)
        .send()
        .await
        .expect("DescribeImages");
    for m in images
        .images()
        .iter()
        .flat_map(|i| i.block_device_mappings())
    {
        if let Some(snap) = m.ebs().and_then(|e| e.snapshot_id()) {
            add(
                acct,
                region,
                "ec2:snapshot",
                ec2_arn(region, acct, "snapshot", snap),
                "snapshot behind the image, never tagged",
                missing(),
                None,
            );
        }
    }
    let rds = Seeder::rds(&cfg, region);
    let db = database(&rds, "reports", &[]).await;
    add(
        acct,
        region,
        "rds:db",
        db,
        "reports database, never tagged",
        missing(),
        None,
    );

    // staging, us-east-1
    let region = "us-east-1";
    let rds = Seeder::rds(&cfg, region);
    let c = cluster(&rds, "analytics").await;
    add(
        acct,
        region,
        "rds:cluster",
        c,
        "analytics cluster, never tagged",
        missing(),
        None,
    );
    let s3 = Seeder::s3(&cfg, region);
    let b = bucket(
        &s3,
        &format!("staging-data-{suffix}"),
        region,
        &[("map-dba", "xyz")],
    )
    .await;
    add(
        acct,
        region,
        "s3:bucket",
        b,
        "bucket with a legacy MAP key",
        missing(),
        Some("legacy MAP key"),
    );
    let ec2 = Seeder::ec2(&cfg, region);
    let (i, v) = launch(
        &ec2,
        1,
        &[
            ("map-migrated", "comm_ec2_ABCDE12345"),
            owner,
            cost,
            ("Environment", "staging"),
        ],
        &[
            ("map-migrated", "comm_ec2_ABCDE12345"),
            owner,
            cost,
            ("Environment", "staging"),
        ],
    )
    .await
    .remove(0);
    add(
        acct,
        region,
        "ec2:instance",
        ec2_arn(region, acct, "instance", &i),
        "database on EC2, tagged",
        vec![],
        None,
    );
    add(
        acct,
        region,
        "ec2:volume",
        ec2_arn(region, acct, "volume", &v),
        "its root volume, tagged",
        vec![],
        None,
    );
    out
}

/// A new member account `name` in the emulator's organization (created on
/// first use); its id.
pub async fn member_account(seeder: &Seeder, name: &str) -> String {
    let org = aws_sdk_organizations::Client::new(seeder.base());
    if org.describe_organization().send().await.is_err() {
        org.create_organization()
            .send()
            .await
            .expect("CreateOrganization");
    }
    let created = org
        .create_account()
        .account_name(name)
        .email(format!("{name}@example.com"))
        .send()
        .await
        .expect("CreateAccount");
    created
        .create_account_status()
        .and_then(|s| s.account_id())
        .expect("account id")
        .to_string()
}

/// The configuration that audits the demo estate.
pub fn config(policies: &str, extra: &str) -> String {
    format!(
        "policies: [{policies}]\nregions: [us-east-1, eu-west-1]\naccounts:\n  role: tagwarden-audit\n  list:\n    - {{id: \"{}\", name: {}}}\n    - {{id: \"{}\", name: {}}}\n{extra}",
        PROD.0, PROD.1, STAGING.0, STAGING.1
    )
}

/// The display name of a demo account.
pub fn name_of(account: &str) -> &str {
    [PROD, STAGING]
        .iter()
        .find(|(id, _)| *id == account)
        .map_or(account, |(_, n)| n)
}
