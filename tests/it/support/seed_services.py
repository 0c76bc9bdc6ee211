"""Seeds the services a migration creates beyond EC2, RDS and S3 into the
emulator, through boto3 (moto's own dependency: no SDK crate of ours has to
be built for them).

    python seed_services.py [--launchers] ENDPOINT REGION ACCOUNT [ACCOUNT ...]

In each account (entered through STS AssumeRole, as tagwarden does), for
each service: one resource tagged with this agreement's MAP value
(`compliant`), one tagged with other tags only (`non_compliant`), and one
never tagged (`never_tagged`). Kinesis streams and EKS clusters are seeded
never tagged only: the emulator's Tagging API does not know those types, so
their tags could not be read back (AWS's does). Prints one JSON document:
{"resources": [{"arn", "account", "type", "class"}]}. With `--launchers`:
Auto Scaling groups and ECS services instead, by what they launch.
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


def seed_launchers(s, endpoint, account):
    """Auto Scaling groups and ECS services, by what they launch:
    `compliant` (passed on), `source` (on the group or service only),
    `missing` (not tagged at all)."""
    c = lambda name: s.client(name, endpoint_url=endpoint)  # noqa: E731
    out = []
    ec2 = c("ec2")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    tagged_lt = ec2.create_launch_template(
        LaunchTemplateName="lt-tagged",
        LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro", "TagSpecifications": [
            {"ResourceType": "instance", "Tags": pairs(MAP)}]})["LaunchTemplate"]["LaunchTemplateId"]
    bare_lt = ec2.create_launch_template(
        LaunchTemplateName="lt-bare",
        LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"})["LaunchTemplate"]["LaunchTemplateId"]
    asg = c("autoscaling")
    groups = [
        ("asg-template", tagged_lt, MAP, False, "compliant"),
        ("asg-propagating", bare_lt, MAP, True, "compliant"),
        ("asg-kept", bare_lt, MAP, False, "source"),
        ("asg-bare", bare_lt, {}, False, "missing"),
    ]
    for name, lt, tags, propagate, cls in groups:
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name, MinSize=0, MaxSize=1, DesiredCapacity=0,
            VPCZoneIdentifier=subnet, LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Default"},
            Tags=[{"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": k, "Value": v,
                   "PropagateAtLaunch": propagate} for k, v in tags.items()])
        arn = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["AutoScalingGroupARN"]
        out.append({"arn": arn, "account": account, "type": "autoscaling:autoScalingGroup", "class": cls})
    ecs = c("ecs")
    ecs.create_cluster(clusterName="services")
    task = ecs.register_task_definition(family="web", containerDefinitions=[
        {"name": "web", "image": "nginx", "memory": 128}])["taskDefinition"]["taskDefinitionArn"]
    for name, propagate, cls in [("svc-propagating", "SERVICE", "compliant"), ("svc-none", "NONE", "source")]:
        svc = ecs.create_service(cluster="services", serviceName=name, taskDefinition=task, desiredCount=0,
                                 propagateTags=propagate, tags=pairs(MAP, "key", "value"))
        out.append({"arn": svc["service"]["serviceArn"], "account": account, "type": "ecs:service", "class": cls})
    return out


def main():
    launchers = "--launchers" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--launchers"]
    endpoint, region, accounts = args[0], args[1], args[2:]
    resources = []
    for account in accounts:
        s = session(endpoint, region, account)
        resources += seed_launchers(s, endpoint, account) if launchers else seed(s, endpoint, account)
    print(json.dumps({"resources": resources}))


if __name__ == "__main__":
    main()
