use super::*;
use serde_json::json;

fn at(t: &str) -> Option<DateTime<Utc>> {
    Some(t.parse().unwrap())
}

fn manifest(path: &str, modified: Option<DateTime<Utc>>, text: String) -> ManifestFile {
    ManifestFile {
        path: path.into(),
        modified,
        text,
    }
}

fn legacy(assembly: &str, keys: &[&str]) -> String {
    json!({
        "assemblyId": assembly,
        "account": "111111111111",
        "columns": [{"category": "lineItem", "name": "UnblendedCost", "type": "OptionalBigDecimal"}],
        "charset": "UTF-8",
        "compression": "GZIP",
        "reportKeys": keys,
        "billingPeriod": {"start": "20260301T000000.000Z", "end": "20260401T000000.000Z"},
        "bucket": "bills",
    })
    .to_string()
}

fn export(execution: &str, uris: &[&str]) -> String {
    json!({
        "executionId": execution,
        "exportArn": "arn:aws:bcm-data-exports:us-east-1:111111111111:export/exp-1",
        "columns": [{"name": "line_item_unblended_cost", "type": "double"}],
        "dataFiles": uris,
    })
    .to_string()
}

fn strings(paths: &[&str]) -> Vec<String> {
    paths.iter().map(|p| p.to_string()).collect()
}

fn run(
    origin: Origin<'_>,
    files: &[&str],
    manifests: &[ManifestFile],
) -> Result<Selection, ManifestError> {
    select(&Delivery {
        origin,
        files: &strings(files),
        manifests,
    })
}

const MARCH: &str = "cur/report/20260301-20260401";

/// A legacy CUR delivery that keeps every version: March under two
/// assemblies, February with no manifest, a plain file beside.
fn legacy_delivery() -> (Vec<String>, Vec<ManifestFile>) {
    let files = vec![
        format!("{MARCH}/aaa/report-1.csv.gz"),
        format!("{MARCH}/bbb/report-1.csv.gz"),
        format!("{MARCH}/bbb/report-2.csv.gz"),
        "cur/report/20260201-20260301/report-1.csv.gz".to_string(),
        "plain.csv".to_string(),
    ];
    let current = [
        format!("{MARCH}/bbb/report-1.csv.gz"),
        format!("{MARCH}/bbb/report-2.csv.gz"),
    ];
    let current: Vec<&str> = current.iter().map(String::as_str).collect();
    let old = format!("{MARCH}/aaa/report-1.csv.gz");
    let manifests = vec![
        manifest(
            &format!("{MARCH}/report-Manifest.json"),
            at("2026-03-10T00:00:00Z"),
            legacy("bbb", &current),
        ),
        // Modified last (copied again): the period's own manifest still decides.
        manifest(
            &format!("{MARCH}/aaa/report-Manifest.json"),
            at("2026-03-20T00:00:00Z"),
            legacy("aaa", &[&old]),
        ),
        manifest(
            &format!("{MARCH}/bbb/report-Manifest.json"),
            at("2026-03-10T00:00:00Z"),
            legacy("bbb", &current),
        ),
    ];
    (files, manifests)
}

#[test]
fn legacy_cur_reads_the_assembly_the_period_manifest_names() {
    let (files, manifests) = legacy_delivery();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let s = run(Origin::Bucket("bills"), &files, &manifests).unwrap();
    assert_eq!(
        s.read,
        strings(&[
            "cur/report/20260201-20260301/report-1.csv.gz",
            &format!("{MARCH}/bbb/report-1.csv.gz"),
            &format!("{MARCH}/bbb/report-2.csv.gz"),
            "plain.csv",
        ])
    );
    let march = PeriodChoice {
        period: "2026-03".into(),
        format: Format::LegacyCur,
        version: "bbb".into(),
        manifest: format!("s3://bills/{MARCH}/report-Manifest.json"),
        chosen_by: ChosenBy::PeriodManifest,
        files: 2,
        skipped_versions: vec!["aaa".into()],
        skipped_files: 1,
    };
    assert_eq!(s.periods, vec![march.clone()]);
    assert_eq!(
        march.to_string(),
        format!("billing period 2026-03: assembly bbb of 2 (legacy CUR manifest s3://bills/{MARCH}/report-Manifest.json, the period's own manifest); 2 file(s) read, 1 skipped")
    );
}

#[test]
fn a_local_copy_matches_keys_by_their_ending() {
    // The folder is a copy of the bucket's `cur/` prefix.
    let (files, manifests) = legacy_delivery();
    let strip = |p: &str| p.strip_prefix("cur/").unwrap_or(p).to_string();
    let files: Vec<String> = files.iter().map(|f| strip(f)).collect();
    let manifests: Vec<ManifestFile> = manifests
        .into_iter()
        .map(|m| ManifestFile {
            path: strip(&m.path),
            ..m
        })
        .collect();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let s = run(Origin::Folder("/data/bills/"), &files, &manifests).unwrap();
    assert_eq!(
        s.read,
        strings(&[
            "plain.csv",
            "report/20260201-20260301/report-1.csv.gz",
            "report/20260301-20260401/bbb/report-1.csv.gz",
            "report/20260301-20260401/bbb/report-2.csv.gz",
        ])
    );
    assert_eq!(
        s.periods[0].manifest,
        "/data/bills/report/20260301-20260401/report-Manifest.json"
    );
    assert_eq!(s.periods[0].skipped_versions, vec!["aaa".to_string()]);
}

#[test]
fn legacy_cur_overwritten_in_place_skips_files_its_manifest_does_not_name() {
    let files = [
        "r/20260301-20260401/r-1.csv.gz",
        "r/20260301-20260401/r-2.csv.gz",
    ];
    let text = legacy("ccc", &["r/20260301-20260401/r-1.csv.gz"])
        .replace("20260301T000000.000Z", "2026-03-01T00:00:00.000Z");
    let manifests = [manifest("r/20260301-20260401/r-Manifest.json", None, text)];
    let s = run(Origin::Folder("./"), &files, &manifests).unwrap();
    assert_eq!(s.read, strings(&["r/20260301-20260401/r-1.csv.gz"]));
    assert_eq!(s.periods[0].period, "2026-03");
    assert_eq!(s.periods[0].skipped_versions, Vec::<String>::new());
    assert_eq!(s.periods[0].skipped_files, 1);
}

const DATA: &str = "exp/data/BILLING_PERIOD=2026-03";

#[test]
fn data_exports_create_new_reads_the_execution_the_period_manifest_names() {
    let files = [
        format!("{DATA}/20260305T010203Z-e1/exp-00001.csv.gz"),
        format!("{DATA}/20260310T010203Z-e2/exp-00001.csv.gz"),
        format!("{DATA}/20260310T010203Z-e2/exp-00002.csv.gz"),
        "exp/data/BILLING_PERIOD=2026-02/exp-00001.csv.gz".to_string(),
    ];
    let uris: Vec<String> = files[1..3]
        .iter()
        .map(|f| format!("s3://bills/{f}"))
        .collect();
    let uris: Vec<&str> = uris.iter().map(String::as_str).collect();
    let manifests = [manifest(
        "exp/metadata/BILLING_PERIOD=2026-03/exp-Manifest.json",
        None,
        export("e2", &uris),
    )];
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let s = run(Origin::Bucket("bills"), &files, &manifests).unwrap();
    assert_eq!(s.read, strings(&[files[3], files[1], files[2]]));
    assert_eq!(
        s.periods,
        vec![PeriodChoice {
            period: "2026-03".into(),
            format: Format::DataExports,
            version: "e2".into(),
            manifest: "s3://bills/exp/metadata/BILLING_PERIOD=2026-03/exp-Manifest.json".into(),
            chosen_by: ChosenBy::PeriodManifest,
            files: 2,
            // No manifest gives its id: the execution's folder names it.
            skipped_versions: vec!["20260305T010203Z-e1".into()],
            skipped_files: 1,
        }]
    );
}

#[test]
fn without_a_period_manifest_the_one_modified_last_wins() {
    let files = [
        format!("{DATA}/20260305T010203Z-e1/exp-00001.csv.gz"),
        format!("{DATA}/20260310T010203Z-e2/exp-00001.csv.gz"),
    ];
    let meta = "exp/metadata/BILLING_PERIOD=2026-03";
    let for_file = |i: usize, exec: &str, modified| {
        let dir = files[i].split('/').nth(3).unwrap();
        manifest(
            &format!("{meta}/{dir}/exp-Manifest.json"),
            modified,
            export(exec, &[&format!("s3://any/{}", files[i])]),
        )
    };
    let files_ref: Vec<&str> = files.iter().map(String::as_str).collect();
    for (first, second) in [
        (at("2026-03-05T00:00:00Z"), at("2026-03-10T00:00:00Z")),
        // No times: the last path (create-new folders start with their time).
        (None, None),
    ] {
        let manifests = [for_file(0, "e1", first), for_file(1, "e2", second)];
        let s = run(Origin::Folder(""), &files_ref, &manifests).unwrap();
        assert_eq!(s.read, strings(&[files_ref[1]]));
        let p = &s.periods[0];
        assert_eq!(
            (p.version.as_str(), p.chosen_by),
            ("e2", ChosenBy::LatestModified)
        );
        assert_eq!(p.skipped_versions, vec!["e1".to_string()]);
    }
    // Newer by time wins over the path.
    let manifests = [
        for_file(0, "e1", at("2026-03-11T00:00:00Z")),
        for_file(1, "e2", at("2026-03-10T00:00:00Z")),
    ];
    let s = run(Origin::Folder(""), &files_ref, &manifests).unwrap();
    assert_eq!(s.read, strings(&[files_ref[0]]));
}

#[test]
fn without_manifests_everything_is_read_as_given() {
    let files = ["b.csv", "a/data/BILLING_PERIOD=2026-03/x.parquet"];
    let s = run(Origin::Folder("/x/"), &files, &[]).unwrap();
    assert_eq!(
        s.read,
        strings(&["a/data/BILLING_PERIOD=2026-03/x.parquet", "b.csv"])
    );
    assert!(s.periods.is_empty());
}

#[test]
fn manifests_are_told_by_name() {
    assert!(is_manifest("r/20260301-20260401/r-Manifest.json"));
    assert!(is_manifest("exp-Manifest.json"));
    assert!(!is_manifest("r/r-RedshiftManifest.json"));
    assert!(!is_manifest("-Manifest.json"));
    assert!(!is_manifest("Manifest.json"));
    assert!(!is_manifest("r-Manifest.json.gz"));
}

fn error(text: &str) -> String {
    let manifests = [manifest("m/x-Manifest.json", None, text.to_string())];
    run(Origin::Folder("/d/"), &["m/a.csv"], &manifests)
        .unwrap_err()
        .to_string()
}

#[test]
fn malformed_manifests_are_refused_naming_them() {
    let too_big = check_size("/d/m/x-Manifest.json", MAX_MANIFEST_BYTES + 1).unwrap_err();
    assert_eq!(
        too_big.to_string(),
        "/d/m/x-Manifest.json: 10485761 bytes, over the 10485760 a billing manifest may have; not read"
    );
    // Also when the text itself is handed over.
    let huge = format!(
        "{{\"pad\": \"{}\"}}",
        "x".repeat(MAX_MANIFEST_BYTES as usize)
    );
    assert!(error(&huge).contains("/d/m/x-Manifest.json: 10485771 bytes, over"));
    let cases = [
        ("{not json}", "/d/m/x-Manifest.json: not a billing manifest tagwarden reads: key must be a string"),
        ("[]", "/d/m/x-Manifest.json: not a billing manifest tagwarden reads"),
        ("{\"columns\": []}", "/d/m/x-Manifest.json: neither a legacy CUR manifest (assemblyId, reportKeys) nor a Data Exports manifest (executionId, dataFiles)"),
        ("{\"reportKeys\": [], \"dataFiles\": []}", "neither a legacy CUR manifest"),
        ("{\"assemblyId\": \"a\", \"reportKeys\": [1], \"billingPeriod\": {\"start\": \"20260301T000000.000Z\"}}", "invalid type: integer `1`, expected a string"),
        ("{\"assemblyId\": \"a\", \"reportKeys\": []}", "missing field `billingPeriod`"),
        ("{\"assemblyId\": \"\", \"reportKeys\": [], \"billingPeriod\": {\"start\": \"20260301T000000.000Z\"}}", "/d/m/x-Manifest.json: `assemblyId` is empty"),
        ("{\"assemblyId\": \"a\", \"reportKeys\": [], \"billingPeriod\": {\"start\": \"March\"}}", "billingPeriod.start `March` is not a date such as 20260301T000000.000Z"),
        ("{\"assemblyId\": \"a\", \"reportKeys\": [], \"billingPeriod\": {\"start\": \"20261301T000000.000Z\"}}", "billingPeriod.start `20261301T000000.000Z`"),
        ("{\"executionId\": \"e\"}", "neither a legacy CUR manifest"),
        ("{\"executionId\": \"e\", \"dataFiles\": \"s3://b/k.csv\"}", "invalid type: string \"s3://b/k.csv\", expected a sequence"),
        ("{\"executionId\": \"e\", \"dataFiles\": [\"s3://b/k.csv\"]}", "/d/m/x-Manifest.json: no billing period: neither its folder nor its data files are under BILLING_PERIOD=YYYY-MM"),
    ];
    for (text, expected) in cases {
        let e = error(text);
        assert!(e.contains(expected), "{text}: {e}");
    }
}

#[test]
fn a_manifest_naming_a_file_outside_the_delivery_is_refused() {
    let legacy_key = |key: &str| {
        format!("{{\"assemblyId\": \"a\", \"reportKeys\": [{}], \"billingPeriod\": {{\"start\": \"20260301T000000.000Z\"}}}}", json!(key))
    };
    for key in [
        "../../etc/passwd.csv",
        "/etc/x.csv",
        "a//b.csv",
        "a/./b.csv",
        "a\\..\\b.csv",
        "",
    ] {
        let e = error(&legacy_key(key));
        assert!(
            e.contains(&format!(
                "/d/m/x-Manifest.json: names `{key}`, which is not a path inside a bucket"
            )),
            "{key}: {e}"
        );
    }
    let e = error("{\"executionId\": \"e\", \"dataFiles\": [\"https://example.com/BILLING_PERIOD=2026-03/a.csv\"]}");
    assert!(
        e.contains("names `https://example.com/BILLING_PERIOD=2026-03/a.csv`, which is not a path"),
        "{e}"
    );

    // In S3, another bucket is refused; a local copy does not check it.
    let uri = format!("s3://elsewhere/{DATA}/a.csv");
    let manifests = [manifest(
        "exp/metadata/BILLING_PERIOD=2026-03/exp-Manifest.json",
        None,
        export("e", &[&uri]),
    )];
    let file = format!("{DATA}/a.csv");
    let e = run(Origin::Bucket("bills"), &[&file], &manifests).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("s3://bills/exp/metadata/BILLING_PERIOD=2026-03/exp-Manifest.json: names `{DATA}/a.csv` in bucket `elsewhere`, not bills; tagwarden reads only the delivery --cost names")
    );
    let s = run(Origin::Folder("/d/"), &[&file], &manifests).unwrap();
    assert_eq!(s.read, vec![file.clone()]);

    // A key under another prefix of the same bucket is not in the delivery.
    let uri = "s3://bills/other/data/BILLING_PERIOD=2026-03/a.csv";
    let manifests = [manifest(
        "exp/metadata/BILLING_PERIOD=2026-03/exp-Manifest.json",
        None,
        export("e", &[uri]),
    )];
    let e = run(Origin::Bucket("bills"), &[&file], &manifests).unwrap_err();
    assert_eq!(
        e.to_string(),
        "s3://bills/exp/metadata/BILLING_PERIOD=2026-03/exp-Manifest.json: billing period 2026-03: names `other/data/BILLING_PERIOD=2026-03/a.csv`, which is not in the delivery; refusing to read part of the month"
    );
}

#[test]
fn only_the_chosen_versions_files_must_be_there() {
    // The old assembly's files were removed by a lifecycle rule.
    let (files, manifests) = legacy_delivery();
    let files: Vec<&str> = files
        .iter()
        .map(String::as_str)
        .filter(|f| !f.contains("/aaa/"))
        .collect();
    let s = run(Origin::Bucket("bills"), &files, &manifests).unwrap();
    assert_eq!(s.periods[0].skipped_versions, vec!["aaa".to_string()]);
    assert_eq!(s.periods[0].skipped_files, 0);
    // The current one's are.
    let files: Vec<&str> = files
        .into_iter()
        .filter(|f| !f.ends_with("bbb/report-2.csv.gz"))
        .collect();
    let e = run(Origin::Bucket("bills"), &files, &manifests).unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "names `{MARCH}/bbb/report-2.csv.gz`, which is not in the delivery"
        )),
        "{e}"
    );
}
