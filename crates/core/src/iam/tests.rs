use super::*;
use crate::arn::Arn;
use crate::policy::{Overwrite, Remediate, Scope, Severity};

fn policy(name: &str, types: &[&str], set: &[(&str, &str)]) -> Policy {
    Policy {
        name: name.into(),
        description: None,
        severity: Severity::Medium,
        resource_types: types.iter().map(|t| t.to_string()).collect(),
        scope: Scope::default(),
        require: vec![],
        forbid: vec![],
        remediate: (!set.is_empty()).then(|| Remediate {
            set: set
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            overwrite: Overwrite::Never,
            window: None,
        }),
        file: "p.yaml".into(),
    }
}

fn explorer(scope: ExplorerScope, view: Option<&str>) -> Config {
    let mut config = Config::default();
    config.inventory.resource_explorer = Some(ResourceExplorer {
        region: "us-east-1".into(),
        view: view.map(|v| Arn::parse(v).unwrap()),
        scope,
    });
    config
}

fn actions(doc: &Document, sid: Sid) -> Vec<&'static str> {
    doc.statement(sid)
        .unwrap_or_else(|| panic!("no {sid:?} in {}", doc.to_json()))
        .action
        .clone()
}

fn sids(doc: &Document) -> Vec<Sid> {
    doc.statements.iter().map(|s| s.sid).collect()
}

const MAP: (&str, &str) = ("map-migrated", "migABCDE12345");

#[test]
fn the_audit_role_reads_only_the_types_in_scope() {
    let config = Config::default();
    let roles = roles(&[policy("p", &["ec2:instance", "rds:db"], &[])], &config);
    assert_eq!(
        actions(&roles.audit, Sid::AuditReadOnly),
        ["ec2:DescribeInstances", "rds:DescribeDBInstances"]
    );
    let roles = roles_of(&["s3:bucket", "lambda:function"], &config);
    assert_eq!(
        actions(&roles.audit, Sid::AuditReadOnly),
        [
            "s3:GetBucketLocation",
            "s3:ListAllMyBuckets",
            "tag:GetResources"
        ]
    );
    // Tag on create reads a new bucket's tags from S3 itself.
    let mut events = Config::default();
    events.daemon.events.queues =
        vec!["https://sqs.us-east-1.amazonaws.com/111111111111/tagwarden-events".into()];
    let with_events = roles_of(&["s3:bucket", "ec2:volume"], &events);
    assert_eq!(
        actions(&with_events.audit, Sid::AuditReadOnly),
        [
            "ec2:DescribeVolumes",
            "s3:GetBucketLocation",
            "s3:GetBucketTagging",
            "s3:ListAllMyBuckets",
            "tag:GetResources"
        ]
    );
    let launchers = roles_of(&["autoscaling:autoScalingGroup", "ecs:service"], &config);
    assert_eq!(
        actions(&launchers.audit, Sid::AuditReadOnly),
        [
            "autoscaling:DescribeAutoScalingGroups",
            "ec2:DescribeLaunchTemplateVersions",
            "ecs:DescribeServices",
            "tag:GetResources"
        ]
    );
}

fn roles_of(types: &[&str], config: &Config) -> Roles {
    roles(&[policy("p", types, &[])], config)
}

#[test]
fn the_tag_keys_are_exactly_those_remediate_sets() {
    let policies = [
        policy("map", &["ec2:instance"], &[MAP]),
        policy(
            "cost",
            &["rds:db"],
            &[("CostCenter", "1001"), ("Owner", "a@b.c")],
        ),
        policy("audit-only", &["lambda:function"], &[]),
    ];
    let roles = roles(&policies, &Config::default());
    let enforce = roles.enforce.as_ref().unwrap();
    let keys = Condition::TagKeys(vec![
        "CostCenter".into(),
        "Owner".into(),
        "map-migrated".into(),
    ]);
    for sid in [Sid::WriteTagKeys, Sid::RemoveTagKeys] {
        assert_eq!(
            enforce.statement(sid).unwrap().condition,
            Some(keys.clone())
        );
    }
    assert_eq!(
        actions(enforce, Sid::WriteTagKeys),
        ["ec2:CreateTags", "rds:AddTagsToResource"],
        "a policy that does not remediate writes nothing"
    );
    let json: serde_json::Value = serde_json::from_str(&enforce.to_json()).unwrap();
    assert_eq!(
        json["Statement"][1]["Condition"],
        serde_json::json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["CostCenter", "Owner", "map-migrated"]}})
    );
}

#[test]
fn an_aws_transform_agreement_writes_only_its_own_key() {
    let apn = ("aws-apn-id", "migra-abcdefg123456");
    let roles = roles(
        &[policy("map", &["ec2:instance", "rds:cluster"], &[apn])],
        &Config::default(),
    );
    let enforce = roles.enforce.as_ref().unwrap();
    for sid in [Sid::WriteTagKeys, Sid::RemoveTagKeys] {
        assert_eq!(
            enforce.statement(sid).unwrap().condition,
            Some(Condition::TagKeys(vec!["aws-apn-id".into()]))
        );
    }
}

#[test]
fn rollback_removals_are_a_statement_of_their_own() {
    let types = [
        "ec2:volume",
        "rds:cluster",
        "autoscaling:autoScalingGroup",
        "sns:topic",
    ];
    let roles = roles(&[policy("map", &types, &[MAP])], &Config::default());
    let enforce = roles.enforce.unwrap();
    assert_eq!(
        sids(&enforce),
        [Sid::ReadTagsBack, Sid::WriteTagKeys, Sid::RemoveTagKeys]
    );
    assert_eq!(
        actions(&enforce, Sid::ReadTagsBack),
        [
            "autoscaling:DescribeTags",
            "ec2:DescribeTags",
            "rds:ListTagsForResource",
            "tag:GetResources"
        ]
    );
    assert_eq!(
        actions(&enforce, Sid::WriteTagKeys),
        [
            "autoscaling:CreateOrUpdateTags",
            "ec2:CreateTags",
            "rds:AddTagsToResource",
            "sns:TagResource",
            "tag:TagResources"
        ]
    );
    assert_eq!(
        actions(&enforce, Sid::RemoveTagKeys),
        [
            "autoscaling:DeleteTags",
            "ec2:DeleteTags",
            "rds:RemoveTagsFromResource",
            "sns:UntagResource",
            "tag:UntagResources"
        ]
    );
    assert!(enforce
        .statement(Sid::ReadTagsBack)
        .unwrap()
        .condition
        .is_none());
    assert!(roles.warnings.is_empty());
}

#[test]
fn policies_that_do_not_remediate_need_no_enforce_role() {
    let roles = roles_of(&["ec2:instance", "s3:bucket"], &Config::default());
    assert_eq!(roles.enforce, None);
    assert_eq!(roles.of(Role::Enforce), Err(IamError::NothingToWrite));
    let json: serde_json::Value = serde_json::from_str(&roles.to_json()).unwrap();
    assert!(json.get("enforce").is_none() && json.get("scanner").is_none());
    assert!(json["audit"]["Statement"].is_array());
}

#[test]
fn bucket_tag_sets_are_replaced_by_a_statement_without_keys() {
    let roles = roles(&[policy("map", &["s3:bucket"], &[MAP])], &Config::default());
    let enforce = roles.enforce.unwrap();
    assert_eq!(
        sids(&enforce),
        [Sid::ReadTagsBack, Sid::ReplaceBucketTagSets]
    );
    let replace = enforce.statement(Sid::ReplaceBucketTagSets).unwrap();
    assert_eq!(replace.action, ["s3:PutBucketTagging"]);
    assert_eq!(replace.condition, None);
    assert_eq!(
        actions(&enforce, Sid::ReadTagsBack),
        ["s3:GetBucketTagging"]
    );
}

#[test]
fn a_service_whose_tag_permission_is_unknown_is_named() {
    let types = ["lambda:function", "athena:workgroup", "appsync:apis"];
    let roles = roles(&[policy("map", &types, &[MAP])], &Config::default());
    assert_eq!(
        roles.warnings,
        [IamWarning::UnknownTagPermission(vec![
            "appsync:apis".into(),
            "athena:workgroup".into()
        ])]
    );
    let enforce = roles.enforce.unwrap();
    assert_eq!(
        actions(&enforce, Sid::WriteTagKeys),
        ["lambda:TagResource", "tag:TagResources"]
    );
    assert!(roles.warnings[0].to_string().contains("`athena:workgroup`"));
}

#[test]
fn api_gateways_verbs_are_granted_on_its_tags_paths_only() {
    let types = ["glue:job", "apigateway:restapis", "apigateway:apis/stages"];
    let roles = roles(&[policy("map", &types, &[MAP])], &Config::default());
    assert!(roles.warnings.is_empty(), "{:?}", roles.warnings);
    let enforce = roles.enforce.unwrap();
    assert_eq!(
        actions(&enforce, Sid::WriteTagKeys),
        ["glue:TagResource", "tag:TagResources"]
    );
    assert_eq!(
        actions(&enforce, Sid::RemoveTagKeys),
        ["glue:UntagResource", "tag:UntagResources"]
    );
    for (sid, action) in [
        (Sid::WriteTagKeysOnTagPaths, "apigateway:PUT"),
        (Sid::RemoveTagKeysOnTagPaths, "apigateway:DELETE"),
    ] {
        let s = enforce.statement(sid).unwrap();
        assert_eq!(s.action, [action]);
        assert_eq!(
            s.resource,
            Resource::Arns(vec!["arn:*:apigateway:*::/tags/*".into()])
        );
        assert!(s.condition.is_some());
    }
}

#[test]
fn resource_explorer_is_read_by_whoever_reads_the_view() {
    let types = ["ec2:instance", "lambda:function"];
    let explorer_reads = [
        "resource-explorer-2:GetDefaultView",
        "resource-explorer-2:GetIndex",
        "resource-explorer-2:GetView",
        "resource-explorer-2:Search",
    ];
    let org = roles_of(&types, &explorer(ExplorerScope::Organization, None));
    let scanner = org.scanner.unwrap();
    assert_eq!(actions(&scanner, Sid::ReadOrganizationView), explorer_reads);
    assert!(!org
        .audit
        .actions()
        .iter()
        .any(|a| a.starts_with("resource-explorer-2:")));

    let view = "arn:aws:resource-explorer-2:us-east-1:111111111111:view/v/0b1c";
    let own = roles_of(&types, &explorer(ExplorerScope::Account, Some(view)));
    assert_eq!(own.scanner, None, "no role, no queue, no view of its own");
    let audit = own.audit.actions();
    assert!(explorer_reads[1..].iter().all(|a| audit.contains(a)));
    assert!(
        !audit.contains("resource-explorer-2:GetDefaultView"),
        "the view is configured"
    );

    // Types tagwarden lists itself never ask Resource Explorer.
    let native = roles_of(
        &["ec2:instance"],
        &explorer(ExplorerScope::Organization, None),
    );
    assert_eq!(native.scanner, None);
}

#[test]
fn the_scanner_assumes_the_configured_role_in_the_organization_only() {
    let mut config = Config {
        regions: vec!["eu-west-1".into()],
        ..Config::default()
    };
    config.accounts.role = Some("tagwarden-audit".into());
    config.accounts.discover_organizations = true;
    config.daemon.events.queues = vec![
        "https://sqs.eu-west-1.amazonaws.com/111111111111/tagwarden-events".into(),
        "https://sqs.us-east-1.amazonaws.com/111111111111/tagwarden-events".into(),
    ];
    config.map.start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1);
    let roles = roles_of(&["ec2:instance"], &config);
    let scanner = roles.of(Role::Scanner).unwrap();
    assert_eq!(
        sids(scanner),
        [
            Sid::AssumeMemberRole,
            Sid::DiscoverAccounts,
            Sid::ConsumeEvents,
            Sid::ReadCredits
        ]
    );
    let json: serde_json::Value = serde_json::from_str(&scanner.to_json()).unwrap();
    assert_eq!(
        json["Statement"][0],
        serde_json::json!({
            "Sid": "AssumeTheAuditRoleInEveryAccount",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Resource": "arn:aws:iam::*:role/tagwarden-audit",
            "Condition": {"StringEquals": {"aws:ResourceOrgID": "ORGANIZATION_ID"}}
        })
    );
    assert_eq!(
        json["Statement"][2]["Resource"],
        serde_json::json!([
            "arn:aws:sqs:eu-west-1:111111111111:tagwarden-events",
            "arn:aws:sqs:us-east-1:111111111111:tagwarden-events"
        ])
    );
    assert_eq!(
        actions(scanner, Sid::ConsumeEvents),
        [
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:ReceiveMessage"
        ]
    );
    // Without a role, tagwarden reads its own account: no scanner policy.
    let alone = roles_of(&["ec2:instance"], &Config::default());
    assert_eq!(alone.of(Role::Scanner), Err(IamError::NoScannerPolicy));
}

#[test]
fn every_role_prints_as_aws_reads_it() {
    let mut config = explorer(ExplorerScope::Organization, None);
    config.accounts.role = Some("tagwarden-audit".into());
    let policies = [
        policy(
            "map",
            &["ec2:instance", "s3:bucket", "lambda:function"],
            &[MAP],
        ),
        policy("cost", &["rds:db"], &[]),
    ];
    insta::assert_snapshot!(roles(&policies, &config).to_json());
}

#[test]
fn mgn_is_read_only_where_configured_and_its_launch_settings_written_apart() {
    let types = [
        crate::resource::MGN_SOURCE_SERVER,
        crate::resource::MGN_LAUNCH_TEMPLATE,
        "ec2:instance",
    ];
    let p = [policy("map", &types, &[MAP])];
    let off = roles(&p, &Config::default());
    assert_eq!(
        actions(&off.audit, Sid::AuditReadOnly),
        ["ec2:DescribeInstances"],
        "without inventory.mgn nothing of MGN is read"
    );
    let mut config = Config::default();
    config.inventory.mgn = Some(crate::config::Mgn::default());
    let on = roles(&p, &config);
    assert_eq!(
        actions(&on.audit, Sid::AuditReadOnly),
        [
            "ec2:DescribeInstances",
            "ec2:DescribeLaunchTemplateVersions",
            "mgn:DescribeLaunchConfigurationTemplates",
            "mgn:DescribeSourceServers",
            "mgn:GetLaunchConfiguration",
            "mgn:ListApplications",
            "mgn:ListWaves",
        ]
    );
    let enforce = on.enforce.unwrap();
    let launch = enforce.statement(Sid::WriteLaunchSettings).unwrap();
    assert_eq!(
        launch.action,
        [
            "mgn:UpdateLaunchConfiguration",
            "mgn:UpdateLaunchConfigurationTemplate"
        ]
    );
    assert!(launch.condition.is_none(), "MGN takes no aws:TagKeys");
    assert_eq!(actions(&enforce, Sid::WriteTagKeys), ["ec2:CreateTags"]);
    assert!(on
        .scanner
        .is_none_or(|s| s.statement(Sid::ReadMgnGlobalView).is_none()));
    config.inventory.mgn = Some(crate::config::Mgn {
        scope: crate::config::MgnScope::Organization,
    });
    let global = roles(&p, &config).scanner.unwrap();
    assert!(actions(&global, Sid::ReadMgnGlobalView).contains(&"mgn:ListManagedAccounts"));
}
