//! The rows of the AWS Migrations Included Services List, last updated on
//! 6 April 2026, in its order. Each row: the list's service name, product
//! code, Cost Explorer names, "eligible after" date, and its notes as
//! rules on usage types and operations (what a bill line can show) or as
//! `unseen` (what it cannot). The usage types are AWS's (`USE1-` and the
//! like are region prefixes, so rules match a part of the type).
//!
//! Readings of the list's words that are choices are said where made, and
//! in docs/map-facts.md.

use super::Basis::{Seen, Worded};
use super::Match::{Operation as Op, Regional, Usage as U};
use super::RuleKind::{Excludes, Only};
use super::{Basis, Listed, Match, Rule};

const fn row(name: &'static str, code: &'static str, ce: &'static [&'static str]) -> Listed {
    Listed {
        name,
        code,
        cost_explorer: ce,
        after: None,
        rules: &[],
        unseen: &[],
    }
}

const fn dated(
    name: &'static str,
    code: &'static str,
    ce: &'static [&'static str],
    after: &'static str,
) -> Listed {
    Listed {
        after: Some(after),
        ..row(name, code, ce)
    }
}

/// Only usage types AWS documents or bills show count.
const fn only(what: &'static str, matches: &'static [Match]) -> Rule {
    Rule {
        what,
        kind: Only,
        matches,
        basis: Seen,
    }
}

/// Only usage found by the list's own words counts: no bill or document
/// showing its usage types was found.
const fn only_worded(what: &'static str, matches: &'static [Match]) -> Rule {
    Rule {
        basis: Worded,
        ..only(what, matches)
    }
}

/// Usage types or operations AWS documents or bills show do not count.
const fn excludes(what: &'static str, matches: &'static [Match]) -> Rule {
    rule(what, matches, Seen)
}

/// Usage that does not count, found by the list's own words: no bill or
/// document showing its usage type was found.
const fn worded(what: &'static str, matches: &'static [Match]) -> Rule {
    rule(what, matches, Worded)
}

const fn rule(what: &'static str, matches: &'static [Match], basis: Basis) -> Rule {
    Rule {
        what,
        kind: Excludes,
        matches,
        basis,
    }
}

/// Lambda@Edge runs billed as Lambda (`…-Lambda-Edge-Request`,
/// `…-Lambda-Edge-GB-Second`).
const LAMBDA_EDGE: &[Match] = &[U("Lambda-Edge")];

#[rustfmt::skip]
pub const SERVICES: &[Listed] = &[
    row("Amazon API Gateway", "AmazonApiGateway", &["Amazon API Gateway"]),
    // User fees are a product family ("User Fees") with no usage type of
    // their own found.
    Listed { unseen: &["Amazon AppStream user fees"], ..row("Amazon AppStream", "AmazonAppStream", &["Amazon AppStream"]) },
    row("AWS AppSync", "AWSAppSync", &["AWS AppSync"]),
    row("Amazon Athena", "AmazonAthena", &["Amazon Athena"]),
    row("AWS Backup", "AWSBackup", &["AWS Backup"]),
    row("AWS Certificate Manager", "AWSCertificateManager", &["AWS Certificate Manager"]),
    row("Amazon Cloud Directory", "AmazonCloudDirectory", &["Amazon Cloud Directory"]),
    row("AWS CloudHSM", "CloudHSM", &["AWS CloudHSM"]),
    // "Logs only": ingestion (both classes), storage, vended logs and
    // their delivery, Logs Insights scans, Live Tail, data protection.
    Listed { rules: &[only("Logs only", &[U("DataProcessing"), U("TimedStorage-ByteHrs"), U("VendedLog"), U("S3-Egress"), U("FH-Egress"), U("DataScanned-Bytes"), U("Logs-LiveTail"), U("DataProtection-Bytes")])], ..row("Amazon CloudWatch", "AmazonCloudWatch", &["AmazonCloudWatch"]) },
    row("AWS CodeBuild", "CodeBuild", &["CodeBuild"]),
    row("AWS CodePipeline", "AWSCodePipeline", &["AWS CodePipeline"]),
    row("AWS CodeStar", "AWSCodeStar", &["AWS CodeStar"]),
    Listed { rules: &[worded("Amazon Cognito add-ons (advanced security, threat protection)", &[U("AdvancedSecurity"), U("ThreatProtection")])], ..row("Amazon Cognito", "AmazonCognito", &["Amazon Cognito"]) },
    row("Amazon Comprehend", "comprehend", &["Amazon Comprehend"]),
    row("AWS Data Pipeline", "datapipeline", &["AWS Data Pipeline"]),
    row("AWS Database Migration Service", "AWSDatabaseMigrationSvc", &["AWS Database Migration Service"]),
    row("AWS DataSync", "AWSDataSync", &["AWS DataSync"]),
    Listed { unseen: &["AWS Local Zones usage of AWS Direct Connect"], ..row("AWS Direct Connect", "AWSDirectConnect", &["AWS Direct Connect"]) },
    row("AWS Directory Service", "AWSDirectoryService", &["AWS Directory Service"]),
    row("Amazon DynamoDB", "AmazonDynamoDB", &["Amazon DynamoDB"]),
    dated("Amazon DynamoDB Accelerator (DAX)", "AmazonDAX", &["Amazon DynamoDB Accelerator (DAX)"], "2026-03-27"),
    // Includes EBS, snapshots, Mac, Local Zones, Savings Plans for ML
    // instance types; Amazon EVS counts only as its EC2 use, here.
    Listed { rules: &[excludes("Capacity Blocks for ML", &[U("CapacityBlockFee")])], ..row("Amazon EC2", "AmazonEC2", &["Amazon Elastic Compute Cloud - Compute", "EC2 - Other"]) },
    row("Amazon ECR", "AmazonECR", &["Amazon EC2 Container Registry (ECR)"]),
    Listed { rules: &[excludes("Fargate is not included", &[U("Fargate")])], ..row("Amazon EKS", "AmazonEKS", &["Amazon Elastic Container Service for Kubernetes"]) },
    row("Amazon ECS", "AmazonECS", &["Amazon Elastic Container Service"]),
    row("AWS Elastic Beanstalk", "AWSElasticBeanstalk", &["AWS Elastic Beanstalk"]),
    row("Amazon Elastic File System", "AmazonEFS", &["Amazon Elastic File System"]),
    row("Elastic Load Balancing", "AWSELB", &["Amazon Elastic Load Balancing"]),
    row("Amazon ElastiCache", "AmazonElastiCache", &["Amazon ElastiCache"]),
    row("Amazon EMR", "ElasticMapReduce", &["Amazon Elastic MapReduce"]),
    row("Amazon FSx", "AmazonFSx", &["Amazon FSx"]),
    // Deep Archive is billed under AmazonS3 (`TimedStorage-GDA-ByteHrs`);
    // read with S3's "all storage tiers" as this row's exclusion of it.
    Listed { rules: &[excludes("Glacier Deep Archive", &[U("GDA")])], ..row("Amazon S3 Glacier", "AmazonGlacier", &["Amazon Glacier"]) },
    row("AWS Glue", "AWSGlue", &["AWS Glue"]),
    Listed { unseen: &["AWS KMS cross-account request costs"], ..row("AWS Key Management Service", "awskms", &["AWS Key Management Service"]) },
    row("Amazon Kinesis Data Streams", "AmazonKinesis", &["Amazon Kinesis"]),
    row("Amazon Kinesis Data Analytics", "AmazonKinesisAnalytics", &["Amazon Kinesis Analytics"]),
    row("Amazon Kinesis Data Firehose", "AmazonKinesisFirehose", &["Amazon Kinesis Firehose"]),
    dated("Amazon Kinesis Video Streams", "AmazonKinesisVideo", &["Amazon Kinesis Video Streams"], "2025-09-19"),
    // CloudFront's note excludes Lambda@Edge, which is billed as Lambda.
    Listed { rules: &[excludes("Lambda@Edge (CloudFront's note)", LAMBDA_EDGE)], ..row("AWS Lambda", "AWSLambda", &["AWS Lambda"]) },
    row("Amazon MQ", "AmazonMQ", &["Amazon MQ"]),
    row("Amazon MSK", "AmazonMSK", &["Amazon Managed Streaming for Apache Kafka"]),
    row("Amazon Neptune", "AmazonNeptune", &["Amazon Neptune"]),
    row("AWS Network Firewall", "AWSNetworkFirewall", &["AWS Network Firewall"]),
    Listed { rules: &[excludes("OpenSearch Serverless and OpenSearch Ingestion", &[U("OCU"), U("StorageUsedInS3")])], ..row("Amazon OpenSearch Service", "AmazonES", &["Amazon OpenSearch Service"]) },
    row("Amazon Redshift", "AmazonRedshift", &["Amazon Redshift"]),
    Listed { unseen: &["Db2 licensing fees of Amazon RDS for Db2 (billed through AWS Marketplace)"], ..row("Amazon Relational Database Service (RDS)", "AmazonRDS", &["Amazon Relational Database Service"]) },
    // Resolver: endpoints, its region's recursive queries, DNS Firewall.
    // CIDR collections have no usage type of their own (`Cidr-Queries` are
    // IP-based routing's queries, which count).
    Listed { rules: &[excludes("Route 53 Resolver and Traffic Flow", &[U("ResolverNetworkInterface"), Regional("DNS-Queries"), U("DNS-Firewall"), U("Traffic-Flow")])], unseen: &["Route 53 CIDR block storage"], ..row("Amazon Route 53", "AmazonRoute53", &["Amazon Route 53"]) },
    // "Includes storage cost only, all storage tiers; excludes requests".
    // Glacier Deep Archive is excluded by the Glacier row; read here too.
    Listed { rules: &[only("storage cost only (all storage tiers)", &[U("TimedStorage"), U("EarlyDelete")]), excludes("Requests", &[U("Requests-")]), excludes("Glacier Deep Archive (the S3 Glacier row)", &[U("GDA")])], ..row("Amazon S3", "AmazonS3", &["Amazon Simple Storage Service"]) },
    Listed { rules: &[worded("SageMaker training plans for training jobs or HyperPod clusters", &[U("TrainingPlan")])], ..row("Amazon SageMaker", "AmazonSageMaker", &["Amazon SageMaker"]) },
    row("AWS Secrets Manager", "AWSSecretsManager", &["AWS Secrets Manager"]),
    row("AWS Security Hub", "AWSSecurityHub", &["AWS Security Hub"]),
    row("Amazon Simple Notification Service (SNS)", "AmazonSNS", &["Amazon Simple Notification Service"]),
    row("Amazon Simple Queue Service (SQS)", "AWSQueueService", &["Amazon Simple Queue Service"]),
    row("AWS Step Functions", "AmazonStates", &["AWS Step Functions"]),
    row("AWS Storage Gateway", "AWSStorageGateway", &["AWS Storage Gateway"]),
    Listed { rules: &[only_worded("OpsCenter only", &[U("OpsItem"), U("OpsCenter")])], ..row("AWS Systems Manager", "AWSSystemsManager", &["AWS Systems Manager"]) },
    row("AWS Transfer Family", "AWSTransfer", &["AWS Transfer Family"]),
    // Billed under AmazonVPC with the rest of VPC: only Transit Gateway
    // (attachments, data processing, its VPN) counts here.
    Listed { rules: &[only("Transit Gateway, its VPN, VPC, peering and Direct Connect attachments", &[U("TransitGateway"), U("TGW-"), U("VPN-Usage")])], ..row("AWS Transit Gateway", "AmazonVPC", &["Amazon Virtual Private Cloud"]) },
    Listed { unseen: &["third-party VDI management software license", "third-party OS or software license on virtual desktop"], ..row("Amazon WorkSpaces", "AmazonWorkSpaces", &["Amazon WorkSpaces"]) },
    Listed { rules: &[worded("hourly metering of WorkSpaces Managed Instances", &[U("Hourly-Metering"), U("HourlyMetering")])], unseen: &["third-party VDI management software license", "third-party OS or software license on virtual desktop"], ..dated("Amazon WorkSpaces Core Managed Instances", "AmazonWorkSpacesInstances", &["Amazon WorkSpaces Core Managed Instances"], "2026-03-05") },
    dated("Amazon CloudFront", "AmazonCloudFront", &["Amazon CloudFront"], "2023-01-16"),
    dated("Amazon Kendra", "AmazonKendra", &["Amazon Kendra"], "2023-01-16"),
    dated("Amazon Keyspaces (for Apache Cassandra)", "AmazonMCS", &["Amazon Keyspaces (for Apache Cassandra)"], "2023-01-16"),
    Listed { rules: &[worded("M2 Custom; Blu Age Transformation Center per lines of code and per week", &[U("M2Custom"), U("M2-Custom"), U("LinesOfCode"), U("ProjectWeek")])], ..dated("AWS Mainframe Modernization", "AWSM2", &["AWS Mainframe Modernization"], "2023-01-16") },
    dated("AWS Elastic Disaster Recovery (DRS)", "AWSElasticDisasterRecovery", &["AWS Elastic Disaster Recovery"], "2023-03-01"),
    row("AWS Elemental MediaLive", "AWSElementalMediaLive", &["AWS Elemental MediaLive"]),
    row("AWS Elemental MediaPackage", "AWSElementalMediaPackage", &["AWS Elemental MediaPackage"]),
    row("AWS Elemental MediaConvert", "AWSElementalMediaConvert", &["AWS Elemental MediaConvert"]),
    row("Amazon DocumentDB (with MongoDB compatibility)", "AmazonDocDB", &["Amazon DocumentDB (with MongoDB compatibility)"]),
    dated("Amazon Omics", "AmazonOmics", &["AWS HealthOmics"], "2023-07-17"),
    dated("Amazon Timestream", "AmazonTimestream", &["Amazon Timestream"], "2023-09-11"),
    // Authors and administrators share `QS-User-Enterprise-Month`: the
    // exclusion is read as of Pro users, authors and administrators.
    Listed { rules: &[excludes("Region fee for Q, and SPICE; Pro users, authors and administrators", &[U("Q-QS-Fee"), U("SPICE"), U("-Pro-")])], unseen: &["unused charges on QuickSight subscription packs"], ..dated("Amazon QuickSight", "AmazonQuickSight", &["Amazon QuickSight"], "2023-09-27") },
    dated("AWS Resilience Hub", "AWSResilienceHub", &["AWS Resilience Hub"], "2023-09-28"),
    Listed { unseen: &["kdb Insights software license amounts of Amazon FinSpace"], ..dated("Amazon FinSpace", "AmazonFinSpace", &["Amazon FinSpace"], "2023-12-06") },
    Listed { rules: &[worded("GameLift Anywhere, FleetIQ, and FlexMatch", &[U("Anywhere"), U("FleetIQ"), U("FlexMatch")])], ..dated("Amazon GameLift", "AmazonGameLift", &["Amazon GameLift"], "2023-12-06") },
    Listed { rules: &[worded("Snapshot Storage", &[U("Snapshot")])], ..dated("Amazon MemoryDB for Redis", "AmazonMemoryDB", &["Amazon MemoryDB"], "2024-02-09") },
    dated("AWS HealthImaging", "AmazonMedicalImaging", &["AWS HealthImaging"], "2024-03-01"),
    Listed { rules: &[only("VPC Lattice", &[U("VpcLattice"), U("VPCLattice")])], ..dated("Amazon VPC Lattice", "AmazonVPC", &["Amazon Virtual Private Cloud"], "2024-05-10") },
    // Amazon's own models (Titan, Nova) and the providers listed "all
    // models" under AmazonBedrock (DeepSeek, Meta Llama, Mistral, MiniMax,
    // Moonshot AI, OpenAI, Qwen, Z.AI) bill as AmazonBedrock.
    Listed { unseen: &["Bedrock model usage not made through an inference profile", "spend from AWS Marketplace private offers"], ..dated("Amazon Bedrock", "AmazonBedrock", &["Amazon Bedrock"], "2024-12-16") },
    Listed { unseen: &["Bring-Your-Own-License third-party creative tool licenses"], ..dated("AWS Deadline Cloud", "AmazonDeadline", &["AWS Deadline Cloud"], "2025-05-05") },
    Listed { rules: &[worded("FHIR data export and transformation", &[U("Export"), U("Transform")])], ..dated("AWS HealthLake", "AmazonHealthLake", &["AWS HealthLake"], "2025-07-14") },
    dated("Aurora DSQL", "AuroraDSQL", &["Amazon Aurora DSQL"], "2025-09-18"),
    Listed { rules: &[worded("Registry operations", &[U("Registry")])], ..dated("AWS IoT Core", "AWSIoT", &["AWS IoT"], "2025-10-10") },
    Listed { rules: &[worded("Alarm, Query, Warm Storage, Edge data collection pack, Assistant fees and API bundle, Bulk Import", &[U("Alarm"), U("Query"), U("WarmStorage"), U("Warm-Storage"), U("DataCollectionPack"), U("Assistant"), U("BulkImport"), U("Bulk-Import")])], ..dated("AWS IoT SiteWise", "AWSIoTSiteWise", &["AWS IoT SiteWise"], "2025-11-05") },
    // Observability is billed as CloudWatch, whose row applies.
    dated("Amazon Bedrock AgentCore", "AmazonBedrockAgentCore", &["Amazon Bedrock AgentCore"], "2025-11-04"),
    Listed { rules: &[worded("APIs ListAliases, ListKeys, GetResourcePolicy, GetParametersForImport, GetParametersForExport, DeleteResourcePolicy, DeleteAlias, CreateKey, CreateAlias", &[Op("ListAliases"), Op("ListKeys"), Op("GetResourcePolicy"), Op("GetParametersForImport"), Op("GetParametersForExport"), Op("DeleteResourcePolicy"), Op("DeleteAlias"), Op("CreateKey"), Op("CreateAlias")])], ..dated("AWS Payment Cryptography", "PaymentCryptography", &["AWS Payment Cryptography"], "2025-11-18") },
    Listed { rules: &[excludes("Core Network Edge Hours", &[U("CoreNetworkEdge")])], ..dated("AWS Cloud WAN", "AWSCloudWAN", &["AWS Cloud WAN"], "2025-12-10") },
];

/// A third-party model of Amazon Bedrock's, billed under a Marketplace
/// product code: from its own date, else from Bedrock's (16 December
/// 2024), since Bedrock itself counts only from then. Cost Explorer names
/// them as their Marketplace listings, which the list does not give.
const fn model(name: &'static str, code: &'static str, after: Option<&'static str>) -> Listed {
    Listed {
        name,
        code,
        cost_explorer: &[],
        after: match after {
            Some(d) => Some(d),
            None => Some("2024-12-16"),
        },
        rules: &[],
        unseen: &[],
    }
}

/// The list's "Amazon Bedrock supported foundation models" with a product
/// code of their own (the list spells two "Cluade"; named right here).
#[rustfmt::skip]
pub const MODELS: &[Listed] = &[
    model("Claude - 100K tokens", "6g6ab1sru7eirvh6e7oq9d0qm", None),
    model("Claude 12k", "5jm1opkmaj61url2p3po87d3b2", None),
    model("Claude 3 Sonnet", "7cloiv1lqe76eogr33nhp9r5k8", None),
    model("Claude 3.5 Haiku (Amazon Bedrock Edition)", "mrranvtjv73frdrt492b07oio", None),
    model("Claude 3.5 Sonnet", "4a524th30q694o538qndh9ucht", None),
    model("Claude 3.5 Sonnet v2 (Amazon Bedrock Edition)", "5jl6d7hjcj7sd8pjt4cag3ttm0", None),
    model("Claude 3.7 Sonnet (Amazon Bedrock Edition)", "78rs41v08o682aebuab075t6n3", None),
    model("Claude Instant - 100K tokens", "2h6g04a0oc66maqka32cj9d049", None),
    model("Claude Instant - 12K tokens", "3ghtt72ra669kqboojpglmmh9g", None),
    model("Claude 3 Haiku", "4s10koflct6dqpec6l9i37drsi", None),
    model("Claude Haiku 4.5", "7g37zhparap7eesm9k78jrzqc", Some("2025-10-10")),
    model("Claude 3 Opus", "7t92q43968640bcrgt21cr6gbd", None),
    model("Claude Opus 4", "23otb4rdau62rpd0j3jiod095n", Some("2025-06-20")),
    model("Claude Opus 4.1", "bijmvsacydcvlmkfn4aoais9l", Some("2025-09-28")),
    model("Claude Opus 4.5", "16kx7bv84avo7kphvohp3qiqt", Some("2025-12-16")),
    model("Claude Opus 4.6", "3jkxki7g66gt6v02m7pqlqyyx", Some("2026-02-11")),
    model("Claude Sonnet 4", "17khu2002f6qgpo5v4c48l86p7", Some("2025-06-20")),
    // The list gives Sonnet 4.1 and 4.5 one code and one date.
    model("Claude Sonnet 4.1 and 4.5", "9svps415mdwhhoxlp2tx3hald", Some("2025-09-28")),
    model("Claude Sonnet 4.6", "7zgyu5r4uonlsrnaq20qq63eo", Some("2026-02-25")),
    model("Cohere - Command", "5tea8etmii7n8psresm4sphmmd", None),
    model("Cohere - Command Light", "2klpp849cp7hu80e2id56dv3fm", None),
    model("Cohere - Command R", "5s4alasn2363hanqn0bnj1cebd", None),
    model("Cohere - Command R+", "3e74mlahrt6sbanvu7b5lt7f2f", None),
    model("Cohere - Embed (english)", "2mln3pdg1n6ve9f3enhr6sk6b7", None),
    model("Cohere - Embed (multi-lingual)", "1bdfsn34iq7cpomvps1ds1s5ka", None),
    model("Embed v4", "5tcg3vnqgmtc9v94qeud503qm", Some("2025-10-10")),
    model("Jamba 1.5 Large", "4q7vjg00b86khqbnmohodshjvh", None),
    model("Jamba 1.5 Mini", "v6cb8lh156aca7tmbeaqqoanl", None),
    model("Jamba-Instruct", "713ahoolel7riqnkg3obffgubl", None),
    model("Jurassic-2 Mid", "24bngp5r3b64lqgd8j5t6h1bd4", None),
    model("Jurassic-2 Ultra", "3ati5r8njj7nhrav2m9vcp4f0a", None),
    model("Marengo Embed 2.7", "3u017gmzbyn77kcc2bifhcs9u", Some("2025-09-28")),
    model("Marengo Embed 3.0", "emw7xgkdbf5zgzmulswgnc0mh", Some("2025-11-03")),
    model("Meta - Llama 2 13B chat", "4hh74csn487di98lf2n14hk256", None),
    model("Meta - Llama 2 70B chat", "1rba0m3nhm62aoaht9sequkg30", None),
    model("Pegasus 1.2", "1loi2q7onlg7ghwkrcbd3gqp", Some("2025-09-28")),
    model("Palmyra X4", "5rta26t9sd7h6rggf5d4gqjvbl", Some("2025-06-20")),
    model("Palmyra X5", "7581bo10ok740bqmal1uhamp25", Some("2025-06-20")),
    model("Stability", "2vsi6e3d2j6tjqo73msdslnuus", None),
    model("Stability - SDXL 1.0 (PT Only)", "374tv6kr397rkbt173gl2buu8p", None),
    model("Stable Image Core (Amazon Bedrock Edition)", "65tbrqi5786lkon1p4cuo8esqu", None),
    model("Stable Image Ultra (Amazon Bedrock Edition)", "9c1qlsn4v6s2arj6d3b6dhvd5", None),
];
