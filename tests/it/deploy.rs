//! What a user installs from deploy/, checked with the tools that consume
//! it: `systemd-analyze security` scores the unit, `kubectl kustomize`
//! renders the manifests and `kubernetes-validate` checks them against the
//! Kubernetes schemas, `cfn-lint` checks the CloudFormation template,
//! `promtool` checks and unit-tests the Prometheus alerting rules. The
//! tools come from `scripts/setup-tools.sh` (run by `scripts/test.sh`); a
//! missing one fails the test and says so.

use crate::common;

use common::repo_root;
use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const SETUP_HINT: &str = "run scripts/setup-tools.sh (scripts/test.sh does) to install it";

fn tool(name: &str) -> PathBuf {
    let venv = repo_root().join(".venv/bin").join(name);
    if venv.exists() {
        return venv;
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| panic!("`{name}` not found: {SETUP_HINT}"))
}

/// Run a tool: its standard output, or the test fails with what it said.
fn run(tool_path: &Path, args: &[&str]) -> String {
    run_both(tool_path, args).0
}

/// Run a tool: its standard output and standard error.
fn run_both(tool_path: &Path, args: &[&str]) -> (String, String) {
    let out = Command::new(tool_path)
        .args(args)
        .current_dir(repo_root())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}; {SETUP_HINT}", tool_path.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{stdout}\n{}",
        tool_path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn the_systemd_unit_is_hardened() {
    let unit = "deploy/systemd/tagwarden.service";
    let out = run(
        &tool("systemd-analyze"),
        &["security", "--offline=yes", unit],
    );
    let line = out
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("no score in:\n{out}"));
    let score: f64 = line
        .split(": ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("cannot read the score in `{line}`"));
    assert!(score <= 2.0, "exposure {score} > 2.0 (\"OK\"):\n{out}");
    let text = std::fs::read_to_string(repo_root().join(unit)).unwrap();
    for want in [
        "Type=notify",
        "WatchdogSec=",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "DynamicUser=yes",
        "StateDirectory=tagwarden",
        // systemd's default, stated: the listener stays well under it.
        "LimitNOFILE=1024",
        "MemoryMax=",
    ] {
        assert!(text.contains(want), "{want}");
    }
}

/// `kubectl kustomize DIR`, validated against the Kubernetes schemas, as
/// a list of objects.
fn render(dir: &str) -> Vec<Value> {
    let (yaml, warnings) = run_both(&tool("kubectl"), &["kustomize", dir]);
    assert!(
        !warnings.contains("Warning"),
        "kustomize fields current kubectl reads without a warning:\n{warnings}"
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &yaml).unwrap();
    let path = file.path().to_str().unwrap();
    run(&tool("kubernetes-validate"), &["--strict", "--quiet", path]);
    serde_yaml_ng::Deserializer::from_str(&yaml)
        .map(|doc| Value::deserialize(doc).unwrap())
        .collect()
}

use serde::Deserialize;

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects
        .iter()
        .filter(|o| o["kind"].as_str() == Some(kind))
        .collect()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter().fold(v, |v, k| &v[*k]).as_str().unwrap_or("")
}

/// What both renderings must get right: one namespace, references that
/// resolve, probes on the daemon's endpoints, a locked-down container.
fn check_workload(objects: &[Value], workload: &Value) {
    for o in objects.iter().filter(|o| o["kind"] != "Namespace") {
        assert_eq!(str_at(o, &["metadata", "namespace"]), "tagwarden", "{o:?}");
    }
    let pod = &workload["spec"]["template"]["spec"];
    let names = |kind: &str| -> BTreeSet<&str> {
        of_kind(objects, kind)
            .iter()
            .map(|o| str_at(o, &["metadata", "name"]))
            .collect()
    };
    assert!(names("ServiceAccount").contains(str_at(pod, &["serviceAccountName"])));
    for v in pod["volumes"].as_sequence().unwrap() {
        if let Some(cm) = v["configMap"]["name"].as_str() {
            assert!(
                names("ConfigMap").contains(cm),
                "volume refers to ConfigMap {cm}"
            );
        }
    }
    assert_eq!(pod["securityContext"]["runAsNonRoot"], Value::Bool(true));
    let c = &pod["containers"][0];
    assert_eq!(str_at(c, &["livenessProbe", "httpGet", "path"]), "/healthz");
    assert_eq!(str_at(c, &["readinessProbe", "httpGet", "path"]), "/readyz");
    let sc = &c["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], Value::Bool(true));
    assert_eq!(sc["allowPrivilegeEscalation"], Value::Bool(false));
    assert_eq!(sc["capabilities"]["drop"][0], "ALL");
    let sa = of_kind(objects, "ServiceAccount")[0];
    assert!(str_at(
        sa,
        &["metadata", "annotations", "eks.amazonaws.com/role-arn"]
    )
    .starts_with("arn:aws:iam::"));
}

#[test]
fn the_kubernetes_base_renders_and_validates() {
    let objects = render("deploy/k8s/base");
    let deployments = of_kind(&objects, "Deployment");
    assert_eq!(deployments.len(), 1);
    let d = deployments[0];
    assert_eq!(str_at(d, &["spec", "strategy", "type"]), "Recreate");
    assert_eq!(d["spec"]["replicas"], Value::from(1));
    check_workload(&objects, d);
    assert_eq!(of_kind(&objects, "Service").len(), 1);
    check_shipped_configuration(of_kind(&objects, "ConfigMap")[0]);
    check_network_policy(&objects, d);
}

/// Only labelled namespaces reach the port that shows the report.
fn check_network_policy(objects: &[Value], workload: &Value) {
    let policies = of_kind(objects, "NetworkPolicy");
    assert_eq!(policies.len(), 1);
    let spec = &policies[0]["spec"];
    let pod_labels = &workload["spec"]["template"]["metadata"]["labels"];
    for (k, v) in spec["podSelector"]["matchLabels"].as_mapping().unwrap() {
        assert_eq!(&pod_labels[k.as_str().unwrap()], v, "selects the pods");
    }
    assert_eq!(spec["policyTypes"][0], "Ingress");
    let rules = spec["ingress"].as_sequence().unwrap();
    assert_eq!(rules.len(), 1);
    let from = &rules[0]["from"];
    assert_eq!(
        from[0]["namespaceSelector"]["matchLabels"]["tagwarden.io/read"],
        "true"
    );
    assert!(from[0]["podSelector"].is_null() && from[0]["ipBlock"].is_null());
}

#[test]
fn the_sharded_overlay_renders_a_statefulset_instead() {
    let objects = render("deploy/k8s/overlays/sharded");
    assert!(of_kind(&objects, "Deployment").is_empty());
    assert!(
        of_kind(&objects, "PersistentVolumeClaim").is_empty(),
        "one volume per replica instead"
    );
    let sets = of_kind(&objects, "StatefulSet");
    assert_eq!(sets.len(), 1);
    let s = sets[0];
    check_workload(&objects, s);
    check_network_policy(&objects, s);
    let env = s["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_sequence()
        .unwrap();
    let var = |name: &str| {
        env.iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(
        str_at(var("POD_NAME"), &["valueFrom", "fieldRef", "fieldPath"]),
        "metadata.name"
    );
    let total: u64 = str_at(var("TAGWARDEN_TOTAL_SHARDS"), &["value"])
        .parse()
        .unwrap();
    assert_eq!(
        Some(total),
        s["spec"]["replicas"].as_u64(),
        "shards = replicas"
    );
    assert_eq!(
        s["spec"]["volumeClaimTemplates"][0]["metadata"]["name"],
        "state"
    );
    let headless = of_kind(&objects, "Service")
        .into_iter()
        .find(|svc| svc["spec"]["clusterIP"] == "None")
        .expect("a headless service");
    assert_eq!(
        str_at(s, &["spec", "serviceName"]),
        str_at(headless, &["metadata", "name"])
    );
}

/// The ConfigMap's configuration and policy load as tagwarden loads them,
/// and the policy is the one shipped in policies/.
fn check_shipped_configuration(cm: &Value) {
    let dir = tempfile::tempdir().unwrap();
    let data = cm["data"].as_mapping().unwrap();
    for (name, text) in data {
        std::fs::write(
            dir.path().join(name.as_str().unwrap()),
            text.as_str().unwrap(),
        )
        .unwrap();
    }
    let shipped = std::fs::read_to_string(repo_root().join("policies/map-migrated.yaml")).unwrap();
    assert_eq!(
        data[&Value::from("map-migrated.yaml")].as_str(),
        Some(shipped.as_str()),
        "deploy/k8s/base/map-migrated.yaml is a copy of policies/map-migrated.yaml"
    );
    let cfg = dir.path().join("tagwarden.yaml");
    let run = common::run_tagwarden(&["policy", "validate", "-c", cfg.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

fn actions(v: &serde_json::Value) -> BTreeSet<String> {
    v["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["Action"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn the_cloudformation_template_lints_and_matches_the_iam_policies() {
    let template = "deploy/cloudformation/member-role.yaml";
    run(&tool("cfn-lint"), &[template]);
    let text = std::fs::read_to_string(repo_root().join(template)).unwrap();
    let t: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
    let r = &t["Resources"];
    assert_eq!(r["MemberRole"]["Type"], "AWS::IAM::Role");
    assert_eq!(r["EnforcePolicy"]["Type"], "AWS::IAM::RolePolicy");
    assert_eq!(
        r["EnforcePolicy"]["Condition"], "Enforce",
        "enforcement is optional"
    );
    let trust = &r["MemberRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(
        trust["Condition"]["StringEquals"]["sts:ExternalId"]["Ref"],
        "ExternalId"
    );
    for p in [
        "ScannerAccountId",
        "ExternalId",
        "RoleName",
        "EnableEnforcement",
    ] {
        assert!(t["Parameters"][p].is_object(), "parameter {p}");
    }
    let iam = |f: &str| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(repo_root().join("deploy/iam").join(f)).unwrap(),
        )
        .unwrap()
    };
    // The role's policies are deploy/iam's, statement for statement, and
    // so what `policy iam` prints for the shipped policies (tests/it/iam.rs).
    let config = repo_root().join("deploy/iam/tagwarden.yaml");
    let printed = |role: &str| -> serde_json::Value {
        let run = common::run_tagwarden(
            &[
                "-c",
                config.to_str().unwrap(),
                "policy",
                "iam",
                "--role",
                role,
            ],
            &[],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        serde_json::from_str(&run.stdout).unwrap()
    };
    let audit = &r["MemberRole"]["Properties"]["Policies"][0]["PolicyDocument"];
    assert_eq!(audit, &iam("audit-role-policy.json"));
    assert_eq!(audit, &printed("audit"));
    let enforce = &r["EnforcePolicy"]["Properties"]["PolicyDocument"];
    assert_eq!(enforce, &iam("enforce-role-policy.json"));
    assert_eq!(enforce, &printed("enforce"));
}

#[test]
fn the_container_image_runs_unprivileged_with_state_on_a_volume() {
    // No registry is reachable here to build it; check what matters in it.
    let text = std::fs::read_to_string(repo_root().join("deploy/container/Containerfile")).unwrap();
    let stages: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    // Every base image is pinned by its digest, not only a tag that moves.
    for from in &stages {
        let image = from.split_whitespace().nth(1).unwrap();
        let digest = image.split_once("@sha256:").map(|(_, d)| d).unwrap_or("");
        assert!(
            digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
            "not pinned by digest: {from}"
        );
    }
    // The builder is the Rust the crate says it needs.
    let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let msrv = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    assert!(
        stages[0].contains(&format!("/rust:{msrv}-")),
        "{}",
        stages[0]
    );
    let user = text
        .lines()
        .rev()
        .find(|l| l.starts_with("USER "))
        .expect("USER");
    assert!(!user.contains("root") && !user.contains(" 0"), "{user}");
    assert!(text.contains("VOLUME [\"/var/lib/tagwarden\"]"));
    assert!(
        text.contains("--chown=65532:65532 /state/var/lib/tagwarden /var/lib/tagwarden"),
        "the volume starts writable"
    );
    assert!(text.contains("ENTRYPOINT [\"/usr/local/bin/tagwarden\"]"));
    // The command it runs is one tagwarden accepts.
    let run = common::run_tagwarden(&["run", "--help"], &[]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("--total-shards"));
}

#[test]
fn the_tag_on_create_templates_lint_and_forward_exactly_the_calls_tagwarden_reads() {
    let central = "deploy/cloudformation/events-central.yaml";
    let member = "deploy/cloudformation/events-member.yaml";
    run(&tool("cfn-lint"), &[central, member]);
    let load = |f: &str| -> serde_json::Value {
        serde_yaml_ng::from_str(&std::fs::read_to_string(repo_root().join(f)).unwrap()).unwrap()
    };
    let (central, member) = (load(central), load(member));
    let list = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    };
    let names =
        |rule: &serde_json::Value| list(&rule["Properties"]["EventPattern"]["detail"]["eventName"]);
    let sources = |rule: &serde_json::Value| list(&rule["Properties"]["EventPattern"]["source"]);
    let known: Vec<String> = tagwarden_core::cloudtrail::call_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let rule = &central["Resources"]["CreationRule"];
    assert_eq!(names(rule), known);
    assert_eq!(names(&member["Resources"]["ForwardRule"]), known);
    assert_eq!(sources(rule), tagwarden_core::cloudtrail::event_sources());
    assert_eq!(
        rule["Properties"]["EventPattern"],
        member["Resources"]["ForwardRule"]["Properties"]["EventPattern"]
    );
    // EventBridge's default quota for a pattern is 2,048 characters.
    let pattern = serde_json::to_string(&rule["Properties"]["EventPattern"]).unwrap();
    assert!(pattern.len() <= 2048, "{} characters", pattern.len());
    // Only the rule may put a message on the queue, only over TLS; only
    // the forwarding roles of the organization may put events on the bus.
    let statements = central["Resources"]["EventsQueuePolicy"]["Properties"]["PolicyDocument"]
        ["Statement"]
        .as_array()
        .unwrap()
        .clone();
    let sid = |id: &str| {
        statements
            .iter()
            .find(|s| s["Sid"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    let deny_others = sid("OnlyTheCreationRuleSends");
    assert_eq!(deny_others["Effect"], "Deny");
    assert_eq!(deny_others["Principal"], "*");
    assert_eq!(deny_others["Action"], "sqs:SendMessage");
    assert_eq!(
        deny_others["Condition"]["ArnNotEquals"]["aws:SourceArn"]["Fn::GetAtt"][0],
        "CreationRule"
    );
    let tls = sid("OnlyOverTls");
    assert_eq!(
        (&tls["Effect"], &tls["Action"]),
        (&"Deny".into(), &"sqs:*".into())
    );
    assert_eq!(tls["Condition"]["Bool"]["aws:SecureTransport"], "false");
    let bus = &central["Resources"]["OrganizationMayForward"]["Properties"]["Statement"];
    assert!(bus["Condition"]["StringEquals"]["aws:PrincipalOrgID"].is_object());
    let principal = bus["Condition"]["ArnLike"]["aws:PrincipalArn"]["Fn::Sub"]
        .as_str()
        .unwrap();
    assert!(principal.ends_with(":role/tagwarden/*"), "{principal}");
    assert_eq!(
        member["Resources"]["ForwardRole"]["Properties"]["Path"],
        "/tagwarden/"
    );
    // The queue outlasts tagwarden's 300 s of handling, and has a way out.
    let queue = &central["Resources"]["EventsQueue"]["Properties"];
    assert!(queue["VisibilityTimeout"].as_u64().unwrap() >= 300);
    assert!(queue["RedrivePolicy"]["deadLetterTargetArn"].is_object());
    // The scanner may consume the queue the template names by default, and
    // the member role may read a new resource's tags.
    let iam = |f: &str| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(repo_root().join("deploy/iam").join(f)).unwrap(),
        )
        .unwrap()
    };
    let scanner = iam("scanner-policy.json");
    let sqs = scanner["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "ConsumeTagOnCreateEvents")
        .expect("the SQS statement");
    let default_name = central["Parameters"]["QueueName"]["Default"]
        .as_str()
        .unwrap();
    let queue = sqs["Resource"].as_str().unwrap();
    assert!(queue.ends_with(&format!(":{default_name}")), "{queue}");
    sharded_queues(&central);
    for action in [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
    ] {
        assert!(
            sqs["Action"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == action),
            "{action}"
        );
    }
    // A new bucket's tags are read from S3 itself (the Tagging API's
    // answers lag); EC2 and RDS describe calls return tags inline.
    let audit = actions(&iam("audit-role-policy.json"));
    assert!(audit.contains("s3:GetBucketTagging"), "{audit:?}");
}

/// With `Shards` = M the template makes M queues, every one a target of
/// the rule and under the same policy, and its output names `{shard}`.
fn sharded_queues(central: &serde_json::Value) {
    let resources = &central["Resources"];
    let shards = central["Parameters"]["Shards"]["AllowedValues"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(shards, 5, "a rule has at most 5 targets");
    let targets = resources["CreationRule"]["Properties"]["Targets"]
        .as_array()
        .unwrap();
    let queues = resources["EventsQueuePolicy"]["Properties"]["Queues"]
        .as_array()
        .unwrap();
    assert_eq!((targets.len(), queues.len()), (shards, shards));
    let first = &resources["EventsQueue"]["Properties"];
    for n in 1..shards {
        let name = format!("ShardQueue{n}");
        let queue = &resources[&name];
        assert_eq!(queue["Condition"], format!("HasShard{n}"), "{name}");
        assert_eq!(
            queue["Properties"]["QueueName"]["Fn::Sub"],
            format!("${{QueueName}}-{n}")
        );
        for same in ["VisibilityTimeout", "RedrivePolicy", "SqsManagedSseEnabled"] {
            assert_eq!(queue["Properties"][same], first[same], "{name} {same}");
        }
        let target = &targets[n]["Fn::If"];
        assert_eq!(target[0], format!("HasShard{n}"));
        assert_eq!(target[1]["Arn"]["Fn::GetAtt"][0], name);
        assert_eq!(queues[n]["Fn::If"][1]["Ref"], name);
    }
    let url = resources["EventsQueue"]["Properties"]["QueueName"]["Fn::If"][1]["Fn::Sub"].clone();
    assert_eq!(url, "${QueueName}-0");
    let output = central["Outputs"]["QueueUrl"]["Value"]["Fn::If"][1]["Fn::Sub"]
        .as_str()
        .unwrap();
    assert!(output.ends_with("/${QueueName}-{shard}"), "{output}");
}

#[test]
fn the_scanner_assumes_roles_only_in_the_organization_with_no_guessable_external_id() {
    let scanner: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("deploy/iam/scanner-policy.json")).unwrap(),
    )
    .unwrap();
    let assume = scanner["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Action"] == serde_json::json!(["sts:AssumeRole"]))
        .expect("the AssumeRole statement");
    assert_eq!(
        assume["Condition"]["StringEquals"]["aws:ResourceOrgID"], "ORGANIZATION_ID",
        "{assume}"
    );
    // The shipped configuration's external id is a placeholder for a
    // random value, not a word anyone could guess.
    let text = std::fs::read_to_string(repo_root().join("deploy/k8s/base/tagwarden.yaml")).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("external_id:"))
        .expect("external_id");
    assert!(!line.contains("external_id: tagwarden"), "{line}");
    assert!(line.contains("REPLACE-WITH-A-RANDOM-ID"), "{line}");
}

/// The alerting rules load, and every alert fires on the series that
/// should fire it and stays quiet on a healthy daemon's (the unit tests in
/// deploy/prometheus/tagwarden-rules.test.yaml; that every metric they use
/// is one the daemon exports is a unit test of the metrics module).
#[test]
fn the_alerting_rules_load_and_every_alert_is_tested() {
    let rules = "deploy/prometheus/tagwarden-rules.yaml";
    let checked = run(&tool("promtool"), &["check", "rules", rules]);
    assert!(checked.contains("SUCCESS: 12 rules found"), "{checked}");
    let tested = run(
        &tool("promtool"),
        &[
            "test",
            "rules",
            "deploy/prometheus/tagwarden-rules.test.yaml",
        ],
    );
    assert!(tested.contains("SUCCESS"), "{tested}");
    // Each alert has a test that expects it to fire.
    let text = |f: &str| std::fs::read_to_string(repo_root().join(f)).unwrap();
    let alerts: BTreeSet<String> = text(rules)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .map(str::to_string)
        .collect();
    let tests = text("deploy/prometheus/tagwarden-rules.test.yaml");
    for a in &alerts {
        let firing = format!("alertname: {a}\n        exp_alerts:\n          - exp_labels");
        assert!(tests.contains(&firing), "no test makes {a} fire");
    }
    assert_eq!(alerts.len(), 12);
}
