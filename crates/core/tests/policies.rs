//! Policy loading end to end: the shipped policies, a corpus of broken files
//! (every diagnostic snapshotted), and robustness against arbitrary input.

use std::path::{Path, PathBuf};
use tagwarden_core::policy::{load_policies, LoadContext};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn context() -> LoadContext {
    LoadContext {
        account_names: [("prod".to_string(), "111111111111".to_string())].into(),
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        resource_explorer: false,
        map_tags: vec![tagwarden_core::policy::map_format::Scheme::MapMigrated],
    }
}

/// Diagnostics with paths relative to the fixtures, so snapshots are stable.
fn diagnostics_of(paths: &[PathBuf]) -> String {
    let err = load_policies(paths, &context()).expect_err("the policies are broken");
    err.to_string()
        .replace(&format!("{}/", fixtures().display()), "")
}

#[test]
fn shipped_policies_load_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    // With Resource Explorer configured: not one diagnostic.
    let with_explorer = LoadContext {
        resource_explorer: true,
        ..context()
    };
    let set = load_policies(std::slice::from_ref(&dir), &with_explorer)
        .expect("shipped policies are valid");
    let names: Vec<&str> = set.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["cost-allocation", "map-migrated"]);
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);
    // Without it, the MAP policy's other types are seen only through the
    // Tagging API: one warning, saying how to find the never-tagged ones.
    let set = load_policies(&[dir], &context()).expect("shipped policies are valid");
    assert_eq!(set.warnings.len(), 1, "{:?}", set.warnings);
    let w = &set.warnings[0];
    assert!(w.file.ends_with("map-migrated.yaml"), "{w:?}");
    assert!(
        w.message
            .ends_with("configure `inventory.resource_explorer` to find them"),
        "{w:?}"
    );
}

#[test]
fn each_broken_file_reports_every_problem() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join("broken"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            !p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("duplicate")
        })
        .collect();
    files.sort();
    let mut all = String::new();
    for f in &files {
        all.push_str(&format!(
            "## {}\n{}\n\n",
            f.file_name().unwrap().to_str().unwrap(),
            diagnostics_of(std::slice::from_ref(f))
        ));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn duplicate_names_across_files() {
    let dir = fixtures().join("broken");
    let text = diagnostics_of(&[dir.join("duplicate-a.yaml"), dir.join("duplicate-b.yaml")]);
    assert_eq!(
        text,
        "broken/duplicate-b.yaml:3:11: error: duplicate policy name `owner-required`; first defined at broken/duplicate-a.yaml:3:11\n\
         1 error found; nothing was scanned or written"
    );
}

#[test]
fn a_directory_reports_all_its_files_at_once() {
    let text = diagnostics_of(&[fixtures().join("broken")]);
    for file in [
        "bad-yaml.yaml",
        "semantic.yaml",
        "unknown-fields.yaml",
        "limits.yaml",
        "not-utf8.yaml",
        "duplicate-b.yaml",
    ] {
        assert!(
            text.contains(&format!("broken/{file}")),
            "{file} missing from:\n{text}"
        );
    }
}

#[test]
fn missing_paths_are_reported() {
    let text = diagnostics_of(&[fixtures().join("nope.yaml")]);
    assert!(text.ends_with("nope.yaml: error: no such file or directory\n1 error found; nothing was scanned or written"), "{text}");
}

#[test]
fn tagging_api_only_types_warn() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.yaml");
    std::fs::write(&f, "version: 1\npolicies:\n  - name: fn\n    resources: [ec2:instance, lambda:function, dynamodb:table, sns:topic]\n    require: {Owner: {}}\n").unwrap();
    let set = load_policies(std::slice::from_ref(&f), &context()).unwrap();
    assert_eq!(set.warnings.len(), 1, "one warning for every such type");
    assert!(set.warnings[0].to_string().ends_with(
        "p.yaml:4:31: warning: `lambda:function`, `dynamodb:table` and `sns:topic` are seen only through the Resource Groups Tagging API: resources of these types that have never been tagged cannot be found; configure `inventory.resource_explorer` to find them"
    ), "{}", set.warnings[0]);
    // Resource Explorer finds them, never-tagged ones included.
    let explorer = LoadContext {
        resource_explorer: true,
        ..context()
    };
    assert!(load_policies(&[f], &explorer).unwrap().warnings.is_empty());
}

#[test]
fn other_types_of_discovered_services_are_tagging_api_types() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.yaml");
    std::fs::write(&f, "version: 1\npolicies:\n  - name: sg\n    resources: [ec2:security-group, rds:snapshot]\n    require: {Owner: {}}\n").unwrap();
    let set = load_policies(&[f], &context()).unwrap();
    assert_eq!(set.warnings.len(), 1, "{:?}", set.warnings);
    let text = set.warnings[0].to_string();
    assert!(
        text.contains("`ec2:security-group` and `rds:snapshot` are seen only through"),
        "{text}"
    );
}

#[test]
fn file_level_problems() {
    let dir = tempfile::tempdir().unwrap();
    let empty_dir = dir.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    let text = load_policies(&[empty_dir], &context())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("empty: error: directory holds no *.yaml or *.yml policy files"),
        "{text}"
    );

    let f = dir.path().join("no-version.yaml");
    std::fs::write(&f, "policies: []\n").unwrap();
    let text = load_policies(&[f], &context()).unwrap_err().to_string();
    assert!(
        text.contains("no-version.yaml:1:1: error: missing field `version`: add `version: 1`"),
        "{text}"
    );

    let f = dir.path().join("none.yaml");
    std::fs::write(&f, "version: 1\npolicies:\n").unwrap();
    let text = load_policies(&[f], &context()).unwrap_err().to_string();
    assert!(
        text.contains("none.yaml: error: no policies found"),
        "{text}"
    );

    let f = dir.path().join("scalar.yaml");
    std::fs::write(&f, "just text\n").unwrap();
    let text = load_policies(&[f], &context()).unwrap_err().to_string();
    assert!(
        text.contains("scalar.yaml:1:1: error: a policy file is a mapping"),
        "{text}"
    );
}

#[test]
fn regions_outside_the_configuration_warn() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.yaml");
    std::fs::write(&f, "version: 1\npolicies:\n  - name: p\n    resources: [s3:bucket]\n    scope: {regions: [ap-south-1], created_after: 2026-01-15}\n    require: {Owner: {}}\n").unwrap();
    let set = load_policies(&[f], &context()).unwrap();
    assert_eq!(set.warnings.len(), 1);
    assert!(set.warnings[0]
        .message
        .contains("region `ap-south-1` is not among the configured regions"));
    assert_eq!(
        set.policies[0].scope.created_after.unwrap().to_rfc3339(),
        "2026-01-15T00:00:00+00:00"
    );
}

#[test]
fn scope_names_resolve_to_ids_and_values_are_lenient() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.yaml");
    std::fs::write(
        &f,
        "version: 1\npolicies:\n  - name: cc\n    resources: [ec2:instance]\n    scope: {accounts: [prod, 222222222222], tags: {wave: [1, 2]}, exclude_tags: {skip: '*'}}\n    require: {CostCenter: {values: [1001, 1002]}}\n",
    )
    .unwrap();
    let set = load_policies(&[f], &context()).unwrap();
    let p = &set.policies[0];
    assert_eq!(
        p.scope.accounts.as_deref().unwrap(),
        ["111111111111", "222222222222"]
    );
    assert_eq!(p.require[0].values.as_deref().unwrap(), ["1001", "1002"]);
    assert_eq!(p.scope.tags[0].0, "wave");
}

/// No input may panic the loader: every prefix of a valid file, and every
/// single-byte corruption of it, loads or fails with diagnostics.
#[test]
fn arbitrary_input_never_panics() {
    let good = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/map-migrated.yaml"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.yaml");
    let bytes = good.as_bytes();
    let mut inputs: Vec<Vec<u8>> = (0..bytes.len())
        .step_by(3)
        .map(|n| bytes[..n].to_vec())
        .collect();
    for (i, junk) in (0..bytes.len()).step_by(7).zip(
        [b'{', b'[', b':', b'\'', b'"', b'-', b'*', b'&', b'\t', 0xff]
            .iter()
            .cycle(),
    ) {
        let mut v = bytes.to_vec();
        v[i] = *junk;
        inputs.push(v);
    }
    for input in inputs {
        std::fs::write(&f, &input).unwrap();
        let _ = load_policies(std::slice::from_ref(&f), &context());
    }
}

#[test]
fn a_map_key_the_configuration_does_not_count_is_a_warning() {
    use tagwarden_core::policy::map_format::Scheme;
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/map-migrated.yaml");
    let transform = LoadContext {
        resource_explorer: true,
        map_tags: vec![Scheme::AwsApnId],
        ..context()
    };
    let set = load_policies(std::slice::from_ref(&shipped), &transform).unwrap();
    let warnings: Vec<String> = set.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].ends_with("map-migrated.yaml:69:17: warning: `map-migrated` is not a MAP tag the configuration counts (map.tag: `aws-apn-id`): `credits` and the money view count none of what this policy requires; require `aws-apn-id` instead, or add `{key: map-migrated, id: …}` to map.tag"),
        "{}",
        warnings[0]
    );
    // Both counted, or not known (`policy validate` without a configuration): none.
    for map_tags in [Scheme::ALL.to_vec(), vec![]] {
        let ctx = LoadContext {
            resource_explorer: true,
            map_tags,
            ..context()
        };
        let set = load_policies(std::slice::from_ref(&shipped), &ctx).unwrap();
        assert!(set.warnings.is_empty(), "{:?}", set.warnings);
    }
}
