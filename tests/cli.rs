//! The command line without AWS: policy validation, the schema, and bad input
//! that must stop with exit 2 before any AWS request.

mod common;

use common::{repo_root, run_tagwarden, write};
use std::net::TcpListener;

#[test]
fn validate_reports_every_broken_file_and_exits_2() {
    let dir = repo_root().join("crates/core/tests/fixtures/broken");
    let run = run_tagwarden(&["policy", "validate", dir.to_str().unwrap()], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    for file in [
        "bad-yaml.yaml:5:12",
        "semantic.yaml:3:11",
        "unknown-fields.yaml:5:5",
        "duplicate-b.yaml:3:11",
    ] {
        assert!(run.stderr.contains(file), "{file} missing:\n{}", run.stderr);
    }
    assert!(run
        .stderr
        .contains("errors found; nothing was scanned or written"));
    assert!(!run.stderr.contains("panicked"));
}

#[test]
fn validate_accepts_the_shipped_policies() {
    let run = run_tagwarden(
        &[
            "policy",
            "validate",
            repo_root().join("policies").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "2 policies in 2 file(s) are valid\n");
}

#[test]
fn validate_resolves_account_names_from_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "p.yaml",
        "version: 1\npolicies:\n  - name: p\n    resources: [ec2:instance]\n    scope: {accounts: [prod, prdo]}\n    require: {Owner: {}}\n",
    );
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        "accounts:\n  list: [{id: \"111111111111\", name: prod}]\n",
    );
    let run = run_tagwarden(&["-c", &cfg, "policy", "validate", &policy], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("p.yaml:5:30: error: unknown account `prdo` in scope; did you mean `prod`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_committed_schema_is_current() {
    let run = run_tagwarden(&["policy", "schema"], &[]);
    assert_eq!(run.code, 0);
    let committed = std::fs::read_to_string(repo_root().join("schema/policy.schema.json")).unwrap();
    assert_eq!(
        run.stdout, committed,
        "regenerate with `tagwarden policy schema > schema/policy.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(schema["$defs"]["PolicySpec"]["properties"]["require"].is_object());
}

/// Bad input exits 2 and makes no AWS request: the endpoint is a listener of
/// this test that must see no connection.
#[test]
fn bad_input_stops_before_any_aws_request() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let good_policy = repo_root()
        .join("policies/map-migrated.yaml")
        .display()
        .to_string();
    let broken_policy = repo_root()
        .join("crates/core/tests/fixtures/broken/semantic.yaml")
        .display()
        .to_string();
    let cases: Vec<(String, Vec<String>, &str)> = vec![
        (
            write(dir.path(), "bad-config.yaml", &format!("policies: [{good_policy}]\nregions: [us-east-1]\nlimits: {{requests_per_secnd: 3}}\n")),
            vec![],
            "bad-config.yaml:3:10: error: unknown field `requests_per_secnd`",
        ),
        (
            write(dir.path(), "bad-policy.yaml", &format!("policies: [{broken_policy}]\nregions: [us-east-1]\n")),
            vec![],
            "semantic.yaml:3:11: error: policy name `Bad_Name`",
        ),
        (write(dir.path(), "no-policies.yaml", "regions: [us-east-1]\n"), vec![], "error: no policies"),
        (
            write(dir.path(), "ok.yaml", &format!("policies: [{good_policy}]\nregions: [us-east-1]\n")),
            vec!["--region".into(), "eu-west-1".into()],
            "--region eu-west-1 is not among the configured regions",
        ),
        ("/nonexistent/tagwarden.yaml".into(), vec![], "configuration file /nonexistent/tagwarden.yaml not found"),
    ];
    for (cfg, extra, expected) in cases {
        let mut args = vec!["audit", "-c", cfg.as_str()];
        args.extend(extra.iter().map(String::as_str));
        let run = run_tagwarden(&args, &[("AWS_ENDPOINT_URL", &endpoint)]);
        assert_eq!(run.code, 2, "{cfg}: {}", run.stderr);
        assert!(
            run.stderr.contains(expected),
            "{cfg}: expected {expected:?} in:\n{}",
            run.stderr
        );
        assert!(
            run.stdout.is_empty(),
            "no report on bad input: {}",
            run.stdout
        );
        assert!(listener.accept().is_err(), "{cfg}: an AWS request was made");
    }
}

#[test]
fn help_lists_the_commands() {
    let run = run_tagwarden(&["--help"], &[]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("audit") && run.stdout.contains("policy"));
}
