//! The command line without AWS: policy validation, the schema, and bad input
//! that must stop with exit 2 before any AWS request.

use crate::common;

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
    let good_policy = common::map_policy_path();
    let broken_policy = repo_root()
        .join("crates/core/tests/fixtures/broken/semantic.yaml")
        .display()
        .to_string();
    let ok = write(
        dir.path(),
        "ok.yaml",
        &format!("policies: [{good_policy}]\nregions: [us-east-1]\n"),
    );
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
            ok.clone(),
            vec!["--region".into(), "eu-west-1".into()],
            "--region eu-west-1 is not among the configured regions",
        ),
        ("/nonexistent/tagwarden.yaml".into(), vec![], "configuration file /nonexistent/tagwarden.yaml not found"),
    ];
    let interval = write(
        dir.path(),
        "interval.yaml",
        &format!(
            "policies: [{good_policy}]\nregions: [us-east-1]\ndaemon:\n  interval: 99999999999d\n"
        ),
    );
    let mut runs: Vec<(Vec<String>, String)> = cases
        .into_iter()
        .map(|(cfg, extra, expected)| {
            let mut args: Vec<String> = vec!["audit".into(), "-c".into(), cfg];
            args.extend(extra);
            (args, expected.to_string())
        })
        .collect();
    // plan and apply check `--account`, `--region` and `--at` before any
    // session is opened, as audit does.
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    for command in ["plan", "apply"] {
        runs.push((
            s(&["-c", &ok, command, "--account", "prdo"]),
            "--account prdo: not a 12-digit account id nor a name".into(),
        ));
        runs.push((
            s(&["-c", &ok, command, "--region", "eu-west-9"]),
            "--region eu-west-9 is not among the configured regions (us-east-1)".into(),
        ));
    }
    runs.push((
        s(&["-c", &ok, "plan", "--at", "next week"]),
        "--at next week: not an RFC 3339 time".into(),
    ));
    runs.push((
        s(&["-c", &interval, "audit"]),
        "interval.yaml:4:13: error: `99999999999d` is longer than a year (366d), the longest duration allowed".into(),
    ));
    for (args, expected) in runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = run_tagwarden(&args, &[("AWS_ENDPOINT_URL", &endpoint)]);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(&expected),
            "{args:?}: expected {expected:?} in:\n{}",
            run.stderr
        );
        assert!(
            run.stdout.is_empty(),
            "no report on bad input: {}",
            run.stdout
        );
        assert!(
            listener.accept().is_err(),
            "{args:?}: an AWS request was made"
        );
    }
}

/// tagwarden's own failures (local I/O, the state store) exit 4, never 3
/// ("partially scanned") nor 2 ("bad input").
#[test]
fn internal_failures_exit_4() {
    // A closed pipe on standard output.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tagwarden"))
        .args(["policy", "schema"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("error: cannot write to standard output: Broken pipe"),
        "{stderr}"
    );

    // A state store that cannot be created.
    let dir = tempfile::tempdir().unwrap();
    let blocker = write(dir.path(), "not-a-folder", "");
    let cfg = write(
        dir.path(),
        "t.yaml",
        &format!("store: {blocker}/state.db\n"),
    );
    let run = run_tagwarden(&["-c", &cfg, "history"], &[]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cannot create the folder of the state store"),
        "{}",
        run.stderr
    );

    // A journal state this version does not know.
    let store_path = dir.path().join("state.db");
    {
        let mut store = tagwarden::store::Store::open(&store_path).unwrap();
        store
            .begin_run("r1", tagwarden_core::journal::RunKind::Apply, "cfg", None)
            .unwrap();
        let change = tagwarden_core::journal::KeyChange {
            arn: "arn:aws:ec2:us-east-1:111111111111:instance/i-1"
                .parse()
                .unwrap(),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            resource_type: "ec2:instance".into(),
            policy: "map".into(),
            key: "map-migrated".into(),
            previous: None,
            new: Some("mig12345".into()),
        };
        store.journal("r1", &[change]).unwrap();
    }
    let db = rusqlite::Connection::open(&store_path).unwrap();
    db.execute("UPDATE changes SET state = 'half_done'", [])
        .unwrap();
    let cfg = write(
        dir.path(),
        "ok.yaml",
        &format!("store: {}\n", store_path.display()),
    );
    let run = run_tagwarden(&["-c", &cfg, "history", "r1"], &[]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown journal state `half_done`"),
        "{}",
        run.stderr
    );
}

#[test]
fn help_lists_the_commands() {
    let run = run_tagwarden(&["--help"], &[]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("audit") && run.stdout.contains("policy"));
}

#[test]
fn a_breakdown_by_map_key_needs_two_keys() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "tagwarden.yaml",
        "map: {agreement: {start: 2026-01-01, end: 2026-12-31}}\n",
    );
    let run = run_tagwarden(&["credits", "-c", &cfg, "--by", "scheme"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--by scheme: one MAP tag is counted (map-migrated); a breakdown by key needs two in map.tag"),
        "{}",
        run.stderr
    );
}

/// A new machine's ways to have no usable credentials: each command that
/// needs AWS says so in one line that names what to do, and exits 3
/// before any scan (nothing on standard output, no SDK structures).
#[test]
fn without_usable_credentials_every_command_says_what_to_do_in_one_line() {
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(aws.join("sso/cache")).unwrap();
    write(&aws, "config", "[profile sso-dev]\nsso_session = my-sso\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\nregion = us-east-1\n\n[sso-session my-sso]\nsso_region = us-east-1\nsso_start_url = https://example.awsapps.com/start\n\n[profile other]\nregion = us-east-1\n");
    // The session's cached token (named by the SHA-1 of its name), expired
    // and without a refresh token.
    write(
        &aws.join("sso/cache"),
        "0ad374308c5a4e22f723adf10145eafad7c4031c.json",
        r#"{"accessToken":"x","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"https://example.awsapps.com/start"}"#,
    );
    let policy = write(
        home.path(),
        "p.yaml",
        "version: 1\npolicies:\n  - name: p\n    resources: [ec2:instance]\n    require: {Owner: {}}\n",
    );
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = write(
        home.path(),
        "tagwarden.yaml",
        &format!("policies: [{policy}]\nregions: [us-east-1]\nmap: {{agreement: {{start: 2026-01-01, end: 2026-12-31}}}}\n"),
    );
    let down = write(
        home.path(),
        "down.yaml",
        &format!("policies: [{policy}]\nregions: [us-east-1]\naws: {{endpoint_url: \"http://127.0.0.1:{closed}\"}}\n"),
    );
    let metadata = format!("http://127.0.0.1:{closed}");
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 5] = [
        (&[("AWS_EC2_METADATA_DISABLED", "true")], &cfg, "error: no AWS credentials: tried the environment, profile `default` in ~/.aws, web identity, ECS and EC2 instance metadata (disabled): run `aws configure`"),
        (&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &metadata)], &cfg, "error: no AWS credentials: tried the environment, profile `default` in ~/.aws, web identity, ECS and EC2 instance metadata"),
        (&[("AWS_PROFILE", "nope"), ("AWS_EC2_METADATA_DISABLED", "true")], &cfg, "error: AWS profile `nope` is not defined in ~/.aws/config or ~/.aws/credentials"),
        (&[("AWS_PROFILE", "sso-dev"), ("AWS_EC2_METADATA_DISABLED", "true")], &cfg, "error: the SSO session of AWS profile `sso-dev` has expired: run `aws sso login --profile sso-dev`"),
        (&[("AWS_ACCESS_KEY_ID", "a"), ("AWS_SECRET_ACCESS_KEY", "b"), ("AWS_EC2_METADATA_DISABLED", "true")], &down, "error: cannot reach http://127.0.0.1:"),
    ];
    let page = home.path().join("report.html");
    let page = page.to_str().unwrap();
    let commands: [&[&str]; 5] = [
        &["audit"],
        &["plan"],
        &["waves"],
        &["credits", "--at", "2026-06-01"],
        &["report", "--at", "2026-06-01", "-o", page],
    ];
    // (`apply` and `rollback` check their plan or run first.)
    for (i, (env, config, expected)) in cases.iter().enumerate() {
        // Every command for the first case, `audit` for the others.
        let asked = if i == 0 {
            &commands[..]
        } else {
            &commands[..1]
        };
        for command in asked {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tagwarden"));
            cmd.env_clear()
                .env("PATH", "/usr/bin:/bin")
                .env("HOME", home.path())
                .env("AWS_REGION", "us-east-1")
                .envs(env.iter().copied())
                .args(*command)
                .args(["-c", config]);
            let out = cmd.output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let what = format!("{command:?} with {env:?}");
            assert_eq!(out.status.code(), Some(3), "{what}: {stderr}");
            assert!(out.stdout.is_empty(), "{what}: nothing is scanned");
            assert!(!std::path::Path::new(page).exists(), "{what}: no report");
            assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
            assert!(stderr.starts_with(expected), "{what}: {stderr}");
            assert!(
                stderr.len() < 300,
                "{what}: {} characters: {stderr}",
                stderr.len()
            );
        }
    }
}
