"""Seeds the services a migration creates beyond EC2, RDS and S3 into the
emulator, through boto3 (moto's own dependency: no SDK crate of ours has to
be built for them).

    python seed_services.py ENDPOINT REGION ACCOUNT [ACCOUNT ...]

In each account (entered through STS AssumeRole, as tagwarden does), for
each service: one resource tagged with this agreement's MAP value
(`compliant`), one tagged with other tags only (`non_compliant`), and one
never tagged (`never_tagged`). Kinesis streams and EKS clusters are seeded
never tagged only: the emulator's Tagging API does not know those types, so
their tags could not be read back (AWS's does). Prints one JSON document:
{"resources": [{"arn", "account", "type", "class"}]}.
"""

import io
import json
import sys
import zipfile

import boto3

MAP = {"map-migrated": "migABCDE12345"}
OTHER = {"Owner": "platform"}
CLASSES = [("compliant", MAP), ("non_compliant", OTHER), ("never_tagged", None)]


def pairs(tags, key="Key", value="Value"):
    return [{key: k, value: v} for k, v in tags.items()]


def session(endpoint, region, account):
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=region,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/tagwarden-audit",
                        RoleSessionName="seed")["Credentials"]
    return boto3.Session(aws_access_key_id=c["AccessKeyId"],
                         aws_secret_access_key=c["SecretAccessKey"],
                         aws_session_token=c["SessionToken"], region_name=region)


def zipped():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return 0\n")
    return buf.getvalue()


def seed(s, endpoint, account):
    c = lambda name: s.client(name, endpoint_url=endpoint)  # noqa: E731
    out = []

    def add(arn, ty, cls):
        out.append({"arn": arn, "account": account, "type": ty, "class": cls})

    role = c("iam").create_role(RoleName="lambda-run", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    ec2 = c("ec2")
    subnets = [x["SubnetId"] for x in ec2.describe_subnets()["Subnets"]][:2]
    for cls, tags in CLASSES:
        n = cls.replace("_", "-")
        kw = {"Tags": tags} if tags else {}
        f = c("lambda").create_function(FunctionName=f"fn-{n}", Runtime="python3.12", Role=role,
                                        Handler="index.handler", Code={"ZipFile": zipped()}, **kw)
        add(f["FunctionArn"], "lambda:function", cls)
        kw = {"Tags": pairs(tags)} if tags else {}
        t = c("dynamodb").create_table(TableName=f"table-{n}", BillingMode="PAY_PER_REQUEST",
                                       KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                                       AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], **kw)
        add(t["TableDescription"]["TableArn"], "dynamodb:table", cls)
        lb = c("elbv2").create_load_balancer(Name=f"alb-{n}", Subnets=subnets, **kw)
        add(lb["LoadBalancers"][0]["LoadBalancerArn"], "elasticloadbalancing:loadbalancer", cls)
        fs = c("efs").create_file_system(CreationToken=f"fs-{n}", **kw)
        add(fs["FileSystemArn"], "elasticfilesystem:file-system", cls)
        cc = c("elasticache").create_cache_cluster(CacheClusterId=f"cache-{n}", Engine="redis",
                                                   CacheNodeType="cache.t3.micro", NumCacheNodes=1, **kw)
        add(cc["CacheCluster"]["ARN"], "elasticache:cluster", cls)
        topic = c("sns").create_topic(Name=f"topic-{n}", **kw)
        add(topic["TopicArn"], "sns:topic", cls)
        secret = c("secretsmanager").create_secret(Name=f"secret-{n}", SecretString="x", **kw)
        add(secret["ARN"], "secretsmanager:secret", cls)
        kw = {"tags": pairs(tags, "key", "value")} if tags else {}
        ecs = c("ecs").create_cluster(clusterName=f"ecs-{n}", **kw)
        add(ecs["cluster"]["clusterArn"], "ecs:cluster", cls)
        kw = {"tags": tags} if tags else {}
        q = c("sqs").create_queue(QueueName=f"queue-{n}", **kw)["QueueUrl"]
        qarn = c("sqs").get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        add(qarn, "sqs:queue", cls)
        c("logs").create_log_group(logGroupName=f"/app/{n}", **kw)
        group = c("logs").describe_log_groups(logGroupNamePrefix=f"/app/{n}")["logGroups"][0]
        add(group["arn"].removesuffix(":*"), "logs:log-group", cls)
    stream = "stream-never-tagged"
    c("kinesis").create_stream(StreamName=stream, ShardCount=1)
    add(c("kinesis").describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"],
        "kinesis:stream", "never_tagged")
    eks = c("eks").create_cluster(name="eks-never-tagged", roleArn=role,
                                  resourcesVpcConfig={"subnetIds": subnets})
    add(eks["cluster"]["arn"], "eks:cluster", "never_tagged")
    return out


def main():
    endpoint, region, accounts = sys.argv[1], sys.argv[2], sys.argv[3:]
    resources = []
    for account in accounts:
        resources += seed(session(endpoint, region, account), endpoint, account)
    print(json.dumps({"resources": resources}))


if __name__ == "__main__":
    main()
