//! Tags that stay on: CloudTrail tag calls (a removal, a replaced set) on
//! the daemon's event queue. In enforce mode a policy's key that is gone
//! is written back within seconds as a `restore` run; an event whose
//! resource still holds the key writes nothing; tagwarden's own rollback
//! is left; audit mode only reports. The shipped MAP policy sets
//! `map-migrated=migABCDE12345`.

use crate::common;

use common::daemon::Daemon;
use common::estate::{self, Seeder, STAGING};
use common::events::{count, fixture, fixture_in, runtime, service_event, Fixture, MINUTE};
use serde_json::{json, Value};

const OURS: &str = "migABCDE12345";
const TERRAFORM: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.31.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.24.0 os/linux lang/go#1.20.12 api/ec2#1.141.0";
const REGION: &str = "eu-west-1";

/// A tag call in staging's eu-west-1 made by `role` with `user_agent`.
fn tag_call(
    id: &str,
    source: &str,
    name: &str,
    request: Value,
    role: &str,
    user_agent: &str,
) -> String {
    let body = service_event(id, source, name, STAGING.0, REGION, request, Value::Null);
    let mut v: Value = serde_json::from_str(&body).unwrap();
    v["detail"]["userAgent"] = json!(user_agent);
    v["detail"]["userIdentity"] = json!({
        "type": "AssumedRole",
        "accountId": STAGING.0,
        "arn": format!("arn:aws:sts::{}:assumed-role/{role}/session", STAGING.0),
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::{}:role/{role}", STAGING.0)}},
    });
    v.to_string()
}

/// EC2 `DeleteTags` of `key` on `instance`.
fn delete_tags(id: &str, instance: &str, key: &str, role: &str, user_agent: &str) -> String {
    let request = json!({
        "resourcesSet": {"items": [{"resourceId": instance}]},
        "tagSet": {"items": [{"key": key}]}
    });
    tag_call(id, "ec2", "DeleteTags", request, role, user_agent)
}

fn ec2(f: &Fixture) -> aws_sdk_ec2::Client {
    runtime().block_on(async {
        let seeder = Seeder::new(&f.emu.endpoint()).await;
        Seeder::ec2(&seeder.account(STAGING.0).await, REGION)
    })
}

/// An instance tagged with the MAP value and an owner.
fn tagged_instance(f: &Fixture) -> String {
    let client = ec2(f);
    runtime().block_on(async {
        let launched = estate::launch(
            &client,
            1,
            &[("map-migrated", OURS), ("Owner", "shop")],
            &[],
        )
        .await;
        launched[0].0.clone()
    })
}

/// Remove `key` from the instance, as Terraform would.
fn remove(f: &Fixture, instance: &str, key: &str) {
    let client = ec2(f);
    runtime().block_on(async {
        client
            .delete_tags()
            .resources(instance)
            .tags(aws_sdk_ec2::types::Tag::builder().key(key).build())
            .send()
            .await
            .unwrap();
    });
}

fn map_value(f: &Fixture, instance: &str) -> Option<String> {
    let client = ec2(f);
    runtime().block_on(async {
        let out = client
            .describe_instances()
            .instance_ids(instance)
            .send()
            .await
            .unwrap();
        out.reservations()[0].instances()[0]
            .tags()
            .iter()
            .find(|t| t.key() == Some("map-migrated"))
            .and_then(|t| t.value().map(str::to_string))
    })
}

fn removals(d: &Daemon, tool: &str, outcome: &str) -> f64 {
    let series = format!(
        "tagwarden_tag_removals_total{{policy=\"map-migrated\",tool=\"{tool}\",outcome=\"{outcome}\"}}"
    );
    d.metric(&series).unwrap_or(0.0)
}

/// `tagwarden drift ARGS…` with the fixture's configuration.
fn drift_text(f: &Fixture, args: &[&str]) -> String {
    let cfg = f.dir.path().join("tagwarden.yaml");
    let mut all = vec!["drift", "-c", cfg.to_str().unwrap()];
    all.extend_from_slice(args);
    let run = f.emu.tagwarden(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

fn drift(f: &Fixture, args: &[&str]) -> Value {
    serde_json::from_str(&drift_text(f, args)).unwrap()
}

fn runs_of_kind(f: &Fixture, kind: &str) -> Vec<Value> {
    let cfg = f.dir.path().join("tagwarden.yaml");
    let run = f
        .emu
        .tagwarden(&["history", "-c", cfg.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == kind)
        .cloned()
        .collect()
}

#[test]
fn a_map_tag_terraform_removed_is_restored_within_seconds_naming_the_fix() {
    let mut f = fixture(3);
    let instance = tagged_instance(&f);
    remove(&f, &instance, "map-migrated");
    f.send(vec![delete_tags(
        "r-1",
        &instance,
        "map-migrated",
        "terraform-ci",
        TERRAFORM,
    )]);
    f.daemon.wait_for("the removal restored", MINUTE, |d| {
        count(d, "DeleteTags", "restored") >= 1.0
    });
    assert_eq!(map_value(&f, &instance).as_deref(), Some(OURS));
    assert_eq!(removals(&f.daemon, "terraform", "restored"), 1.0);
    let restores = runs_of_kind(&f, "restore");
    assert_eq!(restores.len(), 1, "{restores:?}");
    assert_eq!(restores[0]["applied"], 1);
    // `drift` says who removed it, with what, and the fix.
    let drift = drift(&f, &["--format", "json"]);
    let rows = drift["removals"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{drift}");
    let r = &rows[0];
    assert_eq!(
        (r["outcome"].as_str(), r["tool"].as_str(), r["key"].as_str()),
        (Some("restored"), Some("terraform"), Some("map-migrated"))
    );
    assert_eq!(
        r["arn"],
        format!("arn:aws:ec2:{REGION}:{}:instance/{instance}", STAGING.0)
    );
    assert!(
        r["principal"].as_str().unwrap().contains("terraform-ci"),
        "{r}"
    );
    assert!(
        r["restored_at"].is_string() && r["event_time"].is_string(),
        "{r}"
    );
    assert!(r["fix"].as_str().unwrap().contains("ignore_tags"), "{r}");
    let table = drift_text(&f, &["--format", "table"]);
    assert!(table.contains("(terraform) removed or changed map-migrated 1 time(s) on 1 resource(s): add `ignore_tags"), "{table}");
    let (status, page) = f.daemon.get("/").unwrap();
    assert_eq!(status, 200);
    assert!(
        page.contains("<h3>Tags removed lately</h3>") && page.contains("terraform-ci"),
        "{page}"
    );
    let bad = f.emu.tagwarden(&[
        "drift",
        "-c",
        f.dir.path().join("tagwarden.yaml").to_str().unwrap(),
        "--since",
        "soon",
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("--since soon"), "{}", bad.stderr);
    let log = f.daemon.log_text();
    assert!(
        log.contains("ignore_tags { keys = [\\\"map-migrated\\\"] }")
            || log.contains("ignore_tags { keys = [\"map-migrated\"] }"),
        "{log}"
    );
    assert!(log.contains("terraform-ci"), "the principal is named");
}

#[test]
fn a_removal_the_resource_does_not_show_own_rollbacks_and_other_keys_write_nothing() {
    let mut f = fixture(3);
    let instance = tagged_instance(&f);
    // The event claims a removal, but the tag is still there.
    f.send(vec![delete_tags(
        "r-lie",
        &instance,
        "map-migrated",
        "terraform-ci",
        TERRAFORM,
    )]);
    f.daemon.wait_for("the claim checked", MINUTE, |d| {
        count(d, "DeleteTags", "not_removed") >= 1.0
    });
    // tagwarden's own rollback, through the role it assumes.
    remove(&f, &instance, "map-migrated");
    let ours = "aws-sdk-rust/1.3.9 ua/2.1 api/ec2/1.99.0 os/linux lang/rust/1.95.0 app/tagwarden";
    f.send(vec![delete_tags(
        "r-own",
        &instance,
        "map-migrated",
        "tagwarden-audit",
        ours,
    )]);
    // Another key.
    f.send(vec![delete_tags(
        "r-owner",
        &instance,
        "Owner",
        "terraform-ci",
        TERRAFORM,
    )]);
    f.daemon
        .wait_for("the rollback and the other key settled", MINUTE, |d| {
            count(d, "DeleteTags", "own") >= 1.0 && count(d, "DeleteTags", "other_keys") >= 1.0
        });
    assert_eq!(map_value(&f, &instance), None, "a rollback is never undone");
    assert_eq!(removals(&f.daemon, "tagwarden", "own"), 1.0);
    let outcomes: Vec<String> = drift(&f, &["--format", "json"])["removals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        outcomes,
        ["not_removed", "own"],
        "the other key is no removal of a policy's"
    );
    assert!(runs_of_kind(&f, "restore")
        .iter()
        .all(|r| r["applied"] == 0));
    // Someone else's app name alone is not tagwarden's: restored.
    f.send(vec![delete_tags(
        "r-spoof",
        &instance,
        "map-migrated",
        "intruder",
        ours,
    )]);
    f.daemon
        .wait_for("the spoofed removal restored", MINUTE, |d| {
            count(d, "DeleteTags", "restored") >= 1.0
        });
    assert_eq!(map_value(&f, &instance).as_deref(), Some(OURS));
}

#[test]
fn a_bucket_whose_whole_set_was_replaced_gets_the_key_back_with_the_others_kept() {
    let mut f = fixture(3);
    let s3 = runtime().block_on(async {
        let seeder = Seeder::new(&f.emu.endpoint()).await;
        Seeder::s3(&seeder.account(STAGING.0).await, REGION)
    });
    runtime().block_on(async {
        estate::bucket(
            &s3,
            "replaced-set",
            REGION,
            &[("map-migrated", OURS), ("Owner", "shop")],
        )
        .await;
        // Terraform puts the set it manages, without the MAP tag.
        let tag = aws_sdk_s3::types::Tag::builder()
            .key("Owner")
            .value("web")
            .build()
            .unwrap();
        s3.put_bucket_tagging()
            .bucket("replaced-set")
            .tagging(
                aws_sdk_s3::types::Tagging::builder()
                    .tag_set(tag)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    });
    let request = json!({"bucketName": "replaced-set", "Tagging": {"TagSet": {"Tag": [{"Key": "Owner", "Value": "web"}]}}});
    let body = tag_call(
        "r-s3",
        "s3",
        "PutBucketTagging",
        request,
        "terraform-ci",
        TERRAFORM,
    );
    f.send(vec![body]);
    f.daemon.wait_for("the bucket restored", MINUTE, |d| {
        count(d, "PutBucketTagging", "restored") >= 1.0
    });
    let tags = runtime().block_on(estate::bucket_tags(&s3, "replaced-set"));
    assert_eq!(tags.get("map-migrated").map(String::as_str), Some(OURS));
    assert_eq!(
        tags.get("Owner").map(String::as_str),
        Some("web"),
        "Terraform's value kept"
    );
}

/// A daemon in audit mode that saw Terraform's CI remove `map-migrated`
/// from an instance, and reported it; the instance.
fn reported_removal() -> (Fixture, String) {
    let mut f = fixture_in("audit", 3, "", &[]);
    let instance = tagged_instance(&f);
    remove(&f, &instance, "map-migrated");
    f.send(vec![delete_tags(
        "a-1",
        &instance,
        "map-migrated",
        "terraform-ci",
        TERRAFORM,
    )]);
    f.daemon.wait_for("the removal reported", MINUTE, |d| {
        count(d, "DeleteTags", "reported") >= 1.0
    });
    (f, instance)
}

#[test]
fn in_audit_mode_a_removal_is_reported_not_restored() {
    let (f, instance) = reported_removal();
    assert_eq!(map_value(&f, &instance), None);
    assert_eq!(removals(&f.daemon, "terraform", "reported"), 1.0);
    assert!(runs_of_kind(&f, "restore").is_empty());
}

#[test]
fn the_fourth_removal_in_a_day_is_capped_and_the_cycles_leave_it_alone() {
    let mut f = fixture(3);
    let instance = tagged_instance(&f);
    for n in 1..=3 {
        remove(&f, &instance, "map-migrated");
        f.send(vec![delete_tags(
            &format!("c-{n}"),
            &instance,
            "map-migrated",
            "terraform-ci",
            TERRAFORM,
        )]);
        f.daemon.wait_for("the removal restored", MINUTE, |d| {
            count(d, "DeleteTags", "restored") >= n as f64
        });
    }
    remove(&f, &instance, "map-migrated");
    f.send(vec![delete_tags(
        "c-4",
        &instance,
        "map-migrated",
        "terraform-ci",
        TERRAFORM,
    )]);
    f.daemon.wait_for("the fourth capped", MINUTE, |d| {
        count(d, "DeleteTags", "capped") >= 1.0
    });
    assert_eq!(map_value(&f, &instance), None, "left alone");
    assert_eq!(removals(&f.daemon, "terraform", "capped"), 1.0);
    assert!(f.daemon.log_text().contains("ignore_tags"));
    // A plan says why it leaves the key alone; the other resources are
    // planned as ever.
    let cfg = f.dir.path().join("tagwarden.yaml");
    let plan = f
        .emu
        .tagwarden(&["plan", "-c", cfg.to_str().unwrap(), "--format", "json"]);
    let doc = plan.json();
    let arn = format!("arn:aws:ec2:{REGION}:{}:instance/{instance}", STAGING.0);
    let skipped: Vec<&Value> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["arn"] == arn.as_str())
        .collect();
    assert_eq!(skipped.len(), 1, "{doc}");
    let reason = skipped[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("capped: `map-migrated` was written back 3 times within 24 h"),
        "{reason}"
    );
    assert!(!doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["arn"] == arn.as_str()));
}

/// Auto Scaling's `DeleteTags` names a group by name (its ARN holds a UUID
/// no event gives): the group is read by name, the key written back with
/// PropagateAtLaunch, and the removal recorded under the group's real ARN.
#[test]
fn a_map_tag_removed_from_an_auto_scaling_group_is_restored_and_propagates() {
    let mut f = fixture(3);
    let asg = |script: &str| {
        common::boto3(
            &f.emu,
            STAGING.0,
            "sts",
            &format!(
                "kw = dict(aws_access_key_id=c['AccessKeyId'], aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken'], endpoint_url=sys.argv[1], region_name='{REGION}')\n\
                 ec2 = boto3.client('ec2', **kw)\n\
                 a = boto3.client('autoscaling', **kw)\n\
                 {script}"
            ),
        )
    };
    asg("ec2.create_launch_template(LaunchTemplateName='web', LaunchTemplateData={'ImageId': 'ami-12c6146b', 'InstanceType': 't3.micro'})\n\
         tags = [dict(ResourceId='web', ResourceType='auto-scaling-group', Key=k, Value=v, PropagateAtLaunch=True) for k, v in [('map-migrated', 'migABCDE12345'), ('Owner', 'shop')]]\n\
         a.create_auto_scaling_group(AutoScalingGroupName='web', LaunchTemplate={'LaunchTemplateName': 'web'}, MinSize=0, MaxSize=1, DesiredCapacity=0, AvailabilityZones=['eu-west-1a'], Tags=tags)\n\
         a.delete_tags(Tags=[dict(ResourceId='web', ResourceType='auto-scaling-group', Key='map-migrated')])");
    let request = json!({"tags": [{"resourceId": "web", "resourceType": "auto-scaling-group", "key": "map-migrated", "value": "", "propagateAtLaunch": true}]});
    f.send(vec![tag_call(
        "asg-1",
        "autoscaling",
        "DeleteTags",
        request,
        "terraform-ci",
        TERRAFORM,
    )]);
    f.daemon
        .wait_for("the group's removal restored", MINUTE, |d| {
            count(d, "DeleteTags", "restored") >= 1.0
        });
    let tags = asg("import json\n\
         g = a.describe_auto_scaling_groups(AutoScalingGroupNames=['web'])['AutoScalingGroups'][0]\n\
         print(json.dumps({'arn': g['AutoScalingGroupARN'], 'tags': {t['Key']: [t['Value'], t['PropagateAtLaunch']] for t in g['Tags']}}))");
    let group: Value = serde_json::from_str(tags.trim()).unwrap();
    assert_eq!(
        group["tags"]["map-migrated"],
        json!([OURS, true]),
        "{group}"
    );
    assert_eq!(group["tags"]["Owner"], json!(["shop", true]), "{group}");
    let rows = drift(&f, &["--format", "json"])["removals"].clone();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(
        rows[0]["arn"], group["arn"],
        "the group's own ARN, not one built from its name"
    );
    assert_eq!(rows[0]["outcome"], "restored");
    assert_eq!(runs_of_kind(&f, "restore").len(), 1);
}

/// A call naming several resources is `restored` when one was written
/// back, but each resource's `drift` row says what became of its own: the
/// one still holding the key is `not_removed`, not `restored`.
#[test]
fn each_resource_a_call_names_has_its_own_outcome_in_drift() {
    let mut f = fixture(3);
    let (gone, kept) = (tagged_instance(&f), tagged_instance(&f));
    remove(&f, &gone, "map-migrated");
    let request = json!({
        "resourcesSet": {"items": [{"resourceId": gone}, {"resourceId": kept}]},
        "tagSet": {"items": [{"key": "map-migrated"}]}
    });
    f.send(vec![tag_call(
        "r-2",
        "ec2",
        "DeleteTags",
        request,
        "ops",
        "aws-cli/2.15.0",
    )]);
    f.daemon.wait_for("the removal restored", MINUTE, |d| {
        count(d, "DeleteTags", "restored") >= 1.0
    });
    let rows = drift(&f, &["--format", "json"])["removals"].clone();
    let outcome_of = |instance: &str| {
        let arn = format!("arn:aws:ec2:{REGION}:{}:instance/{instance}", STAGING.0);
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["arn"] == arn.as_str());
        row.map(|r| {
            (
                r["outcome"].as_str().unwrap().to_string(),
                r["restored_at"].is_string(),
            )
        })
    };
    assert_eq!(outcome_of(&gone), Some(("restored".into(), true)), "{rows}");
    assert_eq!(
        outcome_of(&kept),
        Some(("not_removed".into(), false)),
        "{rows}"
    );
    assert_eq!(map_value(&f, &gone).as_deref(), Some(OURS));
}

#[test]
fn a_removal_the_daemon_saw_is_named_by_the_report_and_by_the_audit_finding() {
    let (mut f, instance) = reported_removal();
    let who = format!(
        "arn:aws:sts::{}:assumed-role/terraform-ci/session",
        STAGING.0
    );
    let line = format!("{who} (terraform) removed or changed map-migrated 1 time(s) on 1 resource(s): add `ignore_tags {{ keys = [&quot;map-migrated&quot;] }}`");
    // The report, and the daemon's, group it with the fix.
    let cfg = f.dir.path().join("tagwarden.yaml");
    let cfg = cfg.to_str().unwrap();
    let file = f.dir.path().join("report.html");
    let run = f
        .emu
        .tagwarden(&["report", "-c", cfg, "-o", file.to_str().unwrap()]);
    assert!(matches!(run.code, 0 | 1 | 3), "{}", run.stderr);
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.contains("<h2>Tags removed lately</h2>"), "{html}");
    assert!(html.contains(&format!("<li>{line}")), "{html}");
    let (status, page) = f.daemon.get("/report").unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&format!("<li>{line}")), "{page}");
    // The audit's finding of the missing key names who removed it, with
    // what, and the fix.
    let run = f.emu.tagwarden(&["audit", "-c", cfg, "--format", "json"]);
    assert!(matches!(run.code, 1 | 3), "{}", run.stderr);
    let doc = run.json();
    let arn = format!("arn:aws:ec2:{REGION}:{}:instance/{instance}", STAGING.0);
    let finding = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["arn"] == arn.as_str() && x["tag"] == "map-migrated")
        .unwrap_or_else(|| panic!("no finding of {arn}: {doc}"));
    assert_eq!(finding["kind"], "missing", "{finding}");
    let hint = finding["hint"].as_str().unwrap();
    assert!(hint.starts_with("map-migrated was removed 20"), "{hint}");
    assert!(
        hint.contains(&format!(" UTC by {who} (terraform): add `ignore_tags {{ keys = [\"map-migrated\"] }}` to every AWS provider block")),
        "{hint}"
    );
    // A resource nobody removed a key from keeps its hint.
    let others = doc["findings"].as_array().unwrap().iter();
    assert!(others
        .filter(|x| x["arn"] != arn.as_str())
        .all(|x| !x["hint"].as_str().unwrap_or("").contains("was removed")));
    // Restarted, the daemon shows the store's last removals from the start.
    f.daemon.signal("TERM");
    assert_eq!(f.daemon.wait_exit(MINUTE).0, 0);
    let log = f.dir.path().join("daemon-2.log");
    f.daemon = Daemon::start(f.emu.command(&["run", "-c", cfg]), &log);
    let (_, page) = f.daemon.get("/").unwrap();
    assert!(page.contains(&format!("<li>{line}")), "{page}");
}
