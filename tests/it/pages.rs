//! Pagination of the list APIs the emulator answers in one page whatever
//! the page size (EC2 DescribeVolumes, DescribeSnapshots, DescribeImages and
//! DescribeTags, RDS DescribeDBClusters, S3 ListBuckets): a small endpoint
//! of this test serves each in two pages, the second only for the first
//! page's token, through the real SDK and the tagwarden binary. Dropping a
//! next-page token anywhere loses the second page's resource (or, for
//! DescribeTags, the read-back of a write) and fails these tests. The APIs
//! the emulator does paginate are crossed against it in tests/audit.rs.

use crate::common;

use common::{run_tagwarden, write};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

const ACCOUNT: &str = "123456789012";
const TOKEN: &str = "page-2";

/// The requests the endpoint saw: (operation, whether it carried the token).
type Seen = Arc<Mutex<Vec<(String, bool)>>>;

struct Request {
    method: String,
    target: String,
    amz_target: String,
    body: String,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let (mut length, mut amz_target) = (0, String::new());
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "x-amz-target" => amz_target = value.trim().to_string(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        amz_target,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// The operation a request names, and whether it asks for the second page.
fn operation(r: &Request) -> (String, bool) {
    let has_token = r.body.contains(TOKEN) || r.target.contains(TOKEN);
    let op = if let Some(action) = r.body.split('&').find_map(|p| p.strip_prefix("Action=")) {
        action.to_string()
    } else if !r.amz_target.is_empty() {
        r.amz_target
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_string()
    } else if r.method == "GET" && r.target.contains("x-id=ListBuckets") {
        "ListBuckets".into()
    } else {
        format!("{} {}", r.method, r.target)
    };
    (op, has_token)
}

fn ec2_page(op: &str, set: &str, item: &str, next: bool) -> String {
    let token = if next {
        format!("<nextToken>{TOKEN}</nextToken>")
    } else {
        String::new()
    };
    format!(
        r#"<{op}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><{set}>{item}</{set}>{token}</{op}Response>"#
    )
}

/// The answer to one request: page 1 (with a token) or page 2; `written`:
/// a `CreateTags` came before it.
fn answer(op: &str, second: bool, written: bool) -> (&'static str, String) {
    let n = if second { 2 } else { 1 };
    let xml = "text/xml";
    match op {
        "GetCallerIdentity" => (xml, format!(r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::{ACCOUNT}:user/t</Arn><UserId>T</UserId><Account>{ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#)),
        "DescribeVolumes" => (xml, ec2_page(op, "volumeSet", &format!("<item><volumeId>vol-{n}</volumeId></item>"), !second)),
        "DescribeSnapshots" => (xml, ec2_page(op, "snapshotSet", &format!("<item><snapshotId>snap-{n}</snapshotId><ownerId>{ACCOUNT}</ownerId></item>"), !second)),
        "DescribeImages" => (xml, ec2_page(op, "imagesSet", &format!("<item><imageId>ami-{n}</imageId><imageOwnerId>{ACCOUNT}</imageOwnerId></item>"), !second)),
        // The read just before the write: two pages, no tags. The read-back
        // after CreateTags: each page shows one volume tagged.
        "DescribeTags" if !written => (xml, ec2_page(op, "tagSet", "", !second)),
        "DescribeTags" => (xml, ec2_page(op, "tagSet", &format!("<item><resourceId>vol-{n}</resourceId><resourceType>volume</resourceType><key>map-migrated</key><value>migABCDE12345</value></item>"), !second)),
        "CreateTags" => (xml, r#"<CreateTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><return>true</return></CreateTagsResponse>"#.into()),
        "DescribeDBClusters" => {
            let marker = if second { String::new() } else { format!("<Marker>{TOKEN}</Marker>") };
            (xml, format!(r#"<DescribeDBClustersResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBClustersResult><DBClusters><DBCluster><DBClusterIdentifier>c{n}</DBClusterIdentifier><DBClusterArn>arn:aws:rds:us-east-1:{ACCOUNT}:cluster:c{n}</DBClusterArn><TagList/></DBCluster></DBClusters>{marker}</DescribeDBClustersResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeDBClustersResponse>"#))
        }
        "ListBuckets" => {
            let token = if second { String::new() } else { format!("<ContinuationToken>{TOKEN}</ContinuationToken>") };
            (xml, format!(r#"<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o</ID></Owner><Buckets><Bucket><Name>bucket-{n}</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket></Buckets>{token}</ListAllMyBucketsResult>"#))
        }
        "GetResources" => ("application/x-amz-json-1.1", r#"{"ResourceTagMappingList":[]}"#.into()),
        _ => ("text/plain", String::new()),
    }
}

fn serve(stream: TcpStream, seen: Seen) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    while let Some(request) = read_request(&mut reader) {
        let (op, second) = operation(&request);
        // A first page asked for again before its token's page means a
        // token was dropped: fail the request rather than loop for ever. (A
        // read that starts over after the last page is a new read.)
        let (repeated, written) = {
            let mut seen = seen.lock().unwrap();
            let last = seen.iter().rev().find(|(o, _)| *o == op).map(|(_, t)| *t);
            let repeated = !second && last == Some(false);
            let written = seen.iter().any(|(o, _)| o == "CreateTags");
            seen.push((op.clone(), second));
            (repeated && op != "GetCallerIdentity", written)
        };
        let (content_type, body) = if repeated {
            ("text/plain", String::new())
        } else {
            answer(&op, second, written)
        };
        let status = if body.is_empty() {
            "500 Unexpected"
        } else {
            "200 OK"
        };
        let head = format!("HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-requestid: r\r\n\r\n", body.len());
        if out
            .write_all(head.as_bytes())
            .and_then(|()| out.write_all(body.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

/// An endpoint on a free loopback port; the requests it saw.
fn endpoint() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || serve(stream, log));
        }
    });
    (url, seen)
}

fn config(dir: &std::path::Path, types: &str) -> String {
    let policy = write(
        dir,
        "p.yaml",
        &format!("version: 1\npolicies:\n  - name: map\n    resources: [{types}]\n    require: {{map-migrated: {{format: map}}}}\n    remediate: {{set: {{map-migrated: migABCDE12345}}}}\n"),
    );
    let store = dir.join("state.db").display().to_string();
    write(
        dir,
        "tagwarden.yaml",
        &format!("policies: [{policy}]\nregions: [us-east-1]\nstore: {store}\n"),
    )
}

fn run(url: &str, args: &[&str]) -> common::Run {
    run_tagwarden(args, &[("AWS_ENDPOINT_URL", url)])
}

#[test]
fn every_list_api_follows_its_next_page_token() {
    let (url, seen) = endpoint();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "ec2:volume, ec2:snapshot, ec2:image, rds:cluster, s3:bucket",
    );
    let audit = run(&url, &["audit", "-c", &cfg, "--format", "json"]);
    assert_eq!(audit.code, 1, "{}", audit.stderr);
    let report = audit.json();
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    let found: BTreeSet<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["arn"]
                .as_str()
                .unwrap()
                .rsplit([':', '/'])
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    let expected: BTreeSet<String> = ["vol-", "snap-", "ami-", "c", "bucket-"]
        .iter()
        .flat_map(|prefix| [format!("{prefix}1"), format!("{prefix}2")])
        .collect();
    assert_eq!(found, expected, "each second page's resource is found");
    let seen = seen.lock().unwrap().clone();
    for op in [
        "DescribeVolumes",
        "DescribeSnapshots",
        "DescribeImages",
        "DescribeDBClusters",
        "ListBuckets",
    ] {
        let pages: Vec<bool> = seen
            .iter()
            .filter(|(o, _)| o == op)
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(
            pages,
            [false, true],
            "{op}: the first page, then the token's page"
        );
    }
    assert!(
        !seen.iter().any(|(op, _)| op.contains(' ')),
        "unexpected requests: {seen:?}"
    );
}

#[test]
fn the_read_back_after_a_write_follows_its_next_page_token() {
    let (url, seen) = endpoint();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "ec2:volume");
    let apply = run(&url, &["-c", &cfg, "apply", "--yes", "--format", "json"]);
    let report = apply.json();
    assert_eq!(apply.code, 0, "{report}\n{}", apply.stderr);
    assert_eq!(
        report["summary"]["applied"], 2,
        "both volumes read back as written: {report}"
    );
    let seen = seen.lock().unwrap().clone();
    let reads: Vec<bool> = seen
        .iter()
        .filter(|(o, _)| o == "DescribeTags")
        .map(|(_, t)| *t)
        .collect();
    // Read just before the write (a tag set since is never overwritten),
    // then read back: each time both pages.
    assert_eq!(reads, [false, true, false, true], "{seen:?}");
}
