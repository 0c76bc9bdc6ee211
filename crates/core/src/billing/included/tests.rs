//! The list as data: every row parses, and each rule tells AWS's usage
//! types apart as the list's notes do.

use super::*;

fn listed(code: &str) -> &'static Listed {
    rows_of(code)
        .next()
        .unwrap_or_else(|| panic!("{code} is listed"))
}

/// Whether a line of `code` with this usage type and operation counts
/// under some row of the code (data transfer never does).
fn counts(code: &str, usage: &str, operation: &str) -> bool {
    !is_data_transfer(usage) && rows_of(code).any(|r| r.counts(usage, operation))
}

#[test]
fn every_row_parses_and_every_date_is_a_date() {
    assert_eq!(updated(), NaiveDate::from_ymd_opt(2026, 4, 6).unwrap());
    let all: Vec<_> = rows().collect();
    assert!(all.len() > 75 + 40, "{} rows", all.len());
    for (i, r) in &all {
        assert_eq!(row(*i), Some(*r));
        assert!(!r.name.is_empty() && !r.code.is_empty(), "{r:?}");
        assert!(!r.code.contains(char::is_whitespace), "{}", r.code);
        if let Some(d) = r.after {
            let day = d.parse::<NaiveDate>();
            assert!(day.is_ok(), "{}: `{d}` is not a date", r.name);
            assert!(day.unwrap() <= updated(), "{}: after the list", r.name);
            assert_eq!(r.from().map(|f| f.to_string()).as_deref(), Some(d));
        }
        for rule in r.rules {
            assert!(!rule.what.is_empty() && !rule.matches.is_empty(), "{r:?}");
        }
    }
    // Services have Cost Explorer names; every name belongs to one code.
    for r in SERVICES {
        assert!(
            !r.cost_explorer.is_empty(),
            "{} has no Cost Explorer name",
            r.code
        );
        for name in r.cost_explorer {
            let codes: std::collections::BTreeSet<_> = rows()
                .filter(|(_, o)| o.cost_explorer.contains(name))
                .map(|(_, o)| o.code)
                .collect();
            assert_eq!(codes.len(), 1, "{name} names {codes:?}");
        }
    }
    // A code listed twice (AmazonVPC: Transit Gateway, VPC Lattice) has
    // rules that tell its rows apart; a model's code is listed once.
    for r in MODELS {
        assert_eq!(rows_of(r.code).count(), 1, "{}", r.code);
        assert!(r.from().is_some(), "{}: a model counts from a day", r.name);
    }
}

#[test]
fn the_list_counts_these_services_by_product_code() {
    for code in [
        "AmazonApiGateway",
        "awskms",
        "AWSQueueService",
        "AmazonStates",
        "AmazonDocDB",
        "AmazonNeptune",
        "AWSGlue",
        "AmazonKinesisVideo",
        "AmazonBedrock",
        "AmazonDAX",
        "AmazonMemoryDB",
        "AmazonMQ",
        "AmazonSageMaker",
        "AmazonCloudFront",
        "AmazonRoute53",
        "AWSTransfer",
        "AmazonWorkSpaces",
        "AmazonEC2",
        "AmazonRDS",
        "AmazonS3",
    ] {
        assert!(rows_of(code).next().is_some(), "{code}");
    }
    for code in [
        "AWSCloudTrail",
        "AmazonGuardDuty",
        "AWSSupportBusiness",
        "AWSDataTransfer",
        "AWSConfig",
    ] {
        assert!(rows_of(code).next().is_none(), "{code} is not on the list");
    }
}

#[test]
fn data_transfer_counts_nowhere() {
    for usage in [
        "USE1-DataTransfer-Out-Bytes",
        "USE1-DataTransfer-Regional-Bytes",
        "USE1-USW2-AWS-Out-Bytes",
        "USE1-USW2-AWS-In-Bytes",
        "US-DataTransfer-Out-Bytes",
        "DataTransfer-Out-Bytes",
        "US-DataTransfer-Out-OBytes",
        "USE1-EQNY5-DataXfer-Out",
        "USE1-EQNY5-DataXfer-In:dc.3",
        "USE1-USW2-AWS-Out-ABytes-T1",
        "USE1-C3DataTransfer-Out-ABytes",
        "USE1-CloudFront-Out-Bytes",
    ] {
        assert!(is_data_transfer(usage), "{usage}");
        for code in [
            "AmazonEC2",
            "AmazonCloudFront",
            "AWSTransfer",
            "AmazonS3",
            "AmazonVPC",
        ] {
            assert!(!counts(code, usage, ""), "{code} {usage}");
        }
    }
    assert!(!is_data_transfer("USE1-BoxUsage:m5.large"));
    // Data processing and scans end in -Bytes too.
    for usage in [
        "USE1-TransitGateway-Bytes",
        "USE1-NatGateway-Bytes",
        "USE1-VpcEndpoint-Bytes",
        "Select-Scanned-Bytes",
        "Standard-Retrieval-Bytes",
        "USE1-DataProcessing-Bytes",
        "USE1-VendedLog-Bytes",
        "USE1-S3-Egress-Bytes",
    ] {
        assert!(!is_data_transfer(usage), "{usage}");
    }
}

/// (product code, usage type, operation, counts): AWS's usage types, each
/// rule's included and excluded side.
const CASES: &[(&str, &str, &str, bool)] = &[
    // S3: storage in every tier counts; requests and retrievals do not.
    ("AmazonS3", "TimedStorage-ByteHrs", "", true),
    ("AmazonS3", "USW2-TimedStorage-GlacierByteHrs", "", true),
    ("AmazonS3", "TimedStorage-INT-FA-ByteHrs", "", true),
    ("AmazonS3", "EUC1-EarlyDelete-ByteHrs", "", true),
    ("AmazonS3", "Requests-Tier1", "", false),
    ("AmazonS3", "USW2-Requests-Tier2", "", false),
    ("AmazonS3", "Requests-GLACIER-Tier1", "", false),
    ("AmazonS3", "Retrieval-SIA", "", false),
    // CloudWatch: logs only.
    ("AmazonCloudWatch", "USE1-DataProcessing-Bytes", "", true),
    ("AmazonCloudWatch", "USE1-TimedStorage-ByteHrs", "", true),
    ("AmazonCloudWatch", "USE1-VendedLog-Bytes", "", true),
    ("AmazonCloudWatch", "APS1-DataProcessingIA-Bytes", "", true),
    ("AmazonCloudWatch", "EUS2-DataScanned-Bytes", "", true),
    ("AmazonCloudWatch", "USE1-Logs-LiveTail", "", true),
    ("AmazonCloudWatch", "USE1-CW:GMD-Metrics", "", false),
    ("AmazonCloudWatch", "USE1-CW:Canary-runs", "", false),
    ("AmazonCloudWatch", "USE1-CW:MetricMonitorUsage", "", false),
    ("AmazonCloudWatch", "CW:Requests", "", false),
    ("AmazonCloudWatch", "USE1-CW:AlarmMonitorUsage", "", false),
    ("AmazonCloudWatch", "DashboardsUsageHour-Basic", "", false),
    // EKS: Fargate under EKS does not count; ECS on Fargate does.
    ("AmazonEKS", "USE1-AmazonEKS-Hours:perCluster", "", true),
    ("AmazonEKS", "USE1-Fargate-vCPU-Hours:perCPU", "", false),
    ("AmazonEKS", "USE1-Fargate-GB-Hours", "", false),
    ("AmazonECS", "USE1-Fargate-vCPU-Hours:perCPU", "", true),
    // EC2: capacity blocks for ML do not count.
    ("AmazonEC2", "USE1-BoxUsage:m5.large", "", true),
    ("AmazonEC2", "EBS:VolumeUsage.gp3", "", true),
    ("AmazonEC2", "USE2-CapacityBlockFee:p5.48xlarge", "", false),
    ("AmazonEC2", "CapacityBlockFee:p5.48xlarge", "", false),
    // Glacier Deep Archive.
    ("AmazonGlacier", "TimedStorage-ByteHrs", "", true),
    ("AmazonGlacier", "TimedStorage-GDA-ByteHrs", "", false),
    // Route 53: hosted zones and queries count.
    ("AmazonRoute53", "HostedZone", "", true),
    ("AmazonRoute53", "DNS-Queries", "", true),
    ("AmazonRoute53", "Intra-AWS-DNS-Queries", "", true),
    ("AmazonRoute53", "Health-Check-AWS", "", true),
    ("AmazonRoute53", "Cidr-Queries", "", true),
    ("AmazonRoute53", "APS1-ResolverNetworkInterface", "", false),
    ("AmazonRoute53", "USE1-DNS-Queries", "", false),
    ("AmazonRoute53", "Traffic-Flow-Policy-Records", "", false),
    ("AmazonRoute53", "USE1-DNS-FirewallQueries", "", false),
    ("AmazonRoute53", "USE1-DNS-FirewallDomainName", "", false),
    // MemoryDB snapshots.
    ("AmazonMemoryDB", "USE1-NodeUsage:db.r6g.large", "", true),
    ("AmazonMemoryDB", "USE1-SnapshotStorage-ByteHrs", "", false),
    // QuickSight: authors and readers count; the Q fee, SPICE and Pro
    // users do not.
    ("AmazonQuickSight", "QS-User-Enterprise-Month", "", true),
    ("AmazonQuickSight", "USE1-Reader-Enterprise-Month", "", true),
    ("AmazonQuickSight", "USE1-Amazon-Q-QS-Fee", "", false),
    ("AmazonQuickSight", "EUS2-QS-Enterprise-SPICE", "", false),
    (
        "AmazonQuickSight",
        "USE1-Author-Pro-Enterprise-Month",
        "",
        false,
    ),
    // Payment Cryptography: requests count but for nine APIs.
    ("PaymentCryptography", "USE1-Requests", "Encrypt", true),
    ("PaymentCryptography", "USE1-Requests", "CreateKey", false),
    ("PaymentCryptography", "USE1-Requests", "ListAliases", false),
    // Cloud WAN: core network edge hours do not count.
    (
        "AWSCloudWAN",
        "EUW3-CloudWAN-CoreNetworkEdge-Hours",
        "",
        false,
    ),
    ("AWSCloudWAN", "USE1-CloudWAN-Attachment-Hours", "", true),
    // AmazonVPC: Transit Gateway and VPC Lattice count, the rest not.
    ("AmazonVPC", "USE1-TransitGateway-Hours", "", true),
    ("AmazonVPC", "USE1-TransitGateway-Bytes", "", true),
    ("AmazonVPC", "USE1-VPN-Usage-Hours:ipsec.1", "", true),
    ("AmazonVPC", "USE1-VPCLattice-Service-Hourly", "", true),
    (
        "AmazonVPC",
        "USE1-VPCLattice-DataProcessing-Bytes",
        "",
        true,
    ),
    ("AmazonVPC", "USE1-TGW-Multicast-Consumer-Bytes", "", true),
    ("AmazonVPC", "USE1-IPAddressManager-IP-Hours", "", false),
    ("AmazonVPC", "USE1-PublicIPv4:InUseAddress", "", false),
    ("AmazonVPC", "USE1-VpcEndpoint-Hours", "", false),
    // OpenSearch Serverless and Ingestion.
    ("AmazonES", "USE1-ESInstance:r6g.large", "", true),
    ("AmazonES", "USE1-GP3-Storage", "", true),
    ("AmazonES", "APN2-IndexingOCU", "", false),
    ("AmazonES", "APN2-SearchOCU", "", false),
    ("AmazonES", "USE1-IngestionOCU", "", false),
    ("AmazonES", "USE1-StorageUsedInS3ByteHour", "", false),
    // Deep Archive, under S3 and under Glacier.
    ("AmazonS3", "TimedStorage-GDA-ByteHrs", "", false),
    // Lambda@Edge is excluded by CloudFront's note.
    ("AWSLambda", "USE1-Lambda-GB-Second", "", true),
    ("AWSLambda", "USE1-Lambda-Edge-Request", "", false),
    ("AWSLambda", "USE1-Lambda-Edge-GB-Second", "", false),
    ("AWSLambda", "Request-ARM", "", true),
];

#[test]
fn each_exclusion_tells_the_services_usage_types_apart() {
    for &(code, usage, operation, expected) in CASES {
        assert_eq!(
            counts(code, usage, operation),
            expected,
            "{code} {usage} {operation}"
        );
    }
}

#[test]
fn a_regional_usage_type_is_a_region_prefix_and_the_text() {
    let m = Match::Regional("DNS-Queries");
    assert!(m.holds("USE1-DNS-Queries", ""));
    assert!(m.holds("EU-DNS-Queries", ""));
    assert!(!m.holds("DNS-Queries", ""));
    assert!(!m.holds("Intra-AWS-DNS-Queries", ""));
    assert!(!m.holds("-DNS-Queries", ""));
    assert!(!m.holds("USE1-DNS-Queries-2", ""));
}

#[test]
fn only_rules_on_operations_make_a_kind_read_the_operation() {
    assert!(reads_operation("PaymentCryptography"));
    assert!(!reads_operation("AmazonEC2"));
    assert!(!reads_operation("AWSGlobalWidgets"));
    assert!(!listed("AWSLambda").reads_operation());
}

#[test]
fn a_third_party_bedrock_model_counts_from_its_day_or_bedrocks() {
    let opus = listed("16kx7bv84avo7kphvohp3qiqt");
    assert_eq!(opus.from(), NaiveDate::from_ymd_opt(2025, 12, 16));
    let sonnet = listed("4a524th30q694o538qndh9ucht");
    assert_eq!(sonnet.from(), listed("AmazonBedrock").from());
    assert!(opus.cost_explorer.is_empty());
}
