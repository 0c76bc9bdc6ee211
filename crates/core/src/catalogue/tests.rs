use super::*;
use std::collections::HashSet;

#[test]
fn each_type_once_with_a_service_row() {
    let mut seen = HashSet::new();
    for t in TYPES {
        assert!(seen.insert(t.name), "{} twice", t.name);
        assert!(service(t.service()).is_some(), "{}: no service row", t.name);
        assert!(t.name.split_once(':').is_some_and(|(_, k)| !k.is_empty()));
    }
}

#[test]
fn each_service_once_and_its_actions_its_own() {
    let mut prefixes = HashSet::new();
    let mut sources = HashSet::new();
    for s in SERVICES {
        assert!(prefixes.insert(s.prefix), "{} twice", s.prefix);
        assert!(sources.insert(s.source), "{} twice", s.source);
        assert!(s.source.ends_with(".amazonaws.com"));
        if let Some((tag, untag)) = s.tag_actions {
            let own = format!("{}:", s.prefix);
            assert!(
                tag.starts_with(&own) && untag.starts_with(&own),
                "{}",
                s.prefix
            );
        }
        // Only the Tagging API writes through another service's actions.
        assert_eq!(
            s.tag_actions.is_some(),
            s.writer == Writer::Tagging && s.prefix != "tag"
        );
    }
}

#[test]
fn a_call_is_either_a_creation_or_a_tag_call_and_each_once() {
    let mut seen = HashSet::new();
    for c in creation_calls() {
        assert!(!c.source.is_empty(), "{}", c.name);
        assert!(
            seen.insert((c.source, c.name)),
            "{} {} twice",
            c.source,
            c.name
        );
    }
    for (s, name, _) in tag_calls() {
        assert!(seen.insert((s.source, name)), "{} {} twice", s.source, name);
    }
}

#[test]
fn ec2_id_prefixes_name_one_type_each() {
    let prefixes: Vec<&str> = TYPES.iter().filter_map(|t| t.ec2_prefix).collect();
    let unique: HashSet<&str> = prefixes.iter().copied().collect();
    assert_eq!(prefixes.len(), unique.len());
    assert_eq!(ec2_type_of_id("i-0abc"), Some("ec2:instance"));
    assert_eq!(ec2_type_of_id("eipalloc-1"), Some("ec2:elastic-ip"));
    assert_eq!(ec2_type_of_id("sg-1"), None);
    assert_eq!(ec2_type_of_id("tgw-0123abcd"), Some("ec2:transit-gateway"));
    assert_eq!(ec2_type_of_id("tgw-attach-0123abcd"), None);
    assert_eq!(ec2_type_of_id("tgw-rtb-0123abcd"), None);
    assert_eq!(
        ec2_type_of_id("fleet-73fdd2ce-7a6f-4ad0-9e4b-0a1b2c3d4e5f"),
        Some("ec2:fleet")
    );
    assert_eq!(ec2_type_of_id("i-"), None);
    for t in TYPES.iter().filter(|t| t.ec2_prefix.is_some()) {
        assert_eq!(t.service(), "ec2", "{}", t.name);
    }
}

#[test]
fn arns_are_built_in_each_form() {
    let b = |ty: &str, id: &str| {
        type_of(ty)
            .unwrap()
            .arn
            .build(ty, "aws", "eu-west-1", "222222222222", id)
    };
    assert_eq!(
        b("ec2:instance", "i-1").unwrap(),
        "arn:aws:ec2:eu-west-1:222222222222:instance/i-1"
    );
    assert_eq!(
        b("lambda:function", "f").unwrap(),
        "arn:aws:lambda:eu-west-1:222222222222:function:f"
    );
    assert_eq!(
        b("sqs:queue", "q").unwrap(),
        "arn:aws:sqs:eu-west-1:222222222222:q"
    );
    assert_eq!(b("s3:bucket", "b").unwrap(), "arn:aws:s3:::b");
    assert_eq!(
        b(AUTO_SCALING_GROUP, "web").unwrap(),
        "arn:aws:autoscaling:eu-west-1:222222222222:autoScalingGroup:*:autoScalingGroupName/web"
    );
    assert_eq!(
        b(AUTO_SCALING_GROUP, "web/blue*").unwrap(),
        "arn:aws:autoscaling:eu-west-1:222222222222:autoScalingGroup:*:autoScalingGroupName/web/blue*"
    );
    assert_eq!(b(AUTO_SCALING_GROUP, "web:x"), None);
    assert_eq!(
        b("apigateway:restapis", "a1b2c3").unwrap(),
        "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3"
    );
    assert_eq!(
        b("apigateway:apis/stages", "d4e5f6/$default").unwrap(),
        "arn:aws:apigateway:eu-west-1::/apis/d4e5f6/stages/$default"
    );
    assert_eq!(b("apigateway:restapis/stages", "a1b2c3"), None);
    assert_eq!(b("apigateway:restapis/stages", "a1b2c3/"), None);
    assert_eq!(
        b("cloudfront:distribution", "E1").unwrap(),
        "arn:aws:cloudfront::222222222222:distribution/E1"
    );
    for id in ["Z1D633PJN98FT9", "/hostedzone/Z1D633PJN98FT9"] {
        assert_eq!(
            b("route53:hostedzone", id).unwrap(),
            "arn:aws:route53:::hostedzone/Z1D633PJN98FT9"
        );
    }
    // Every ARN built is read back as its type, with the parts its form names.
    for t in TYPES.iter().filter(|t| t.arn != ArnForm::ByName) {
        let kinds = t.name.split_once(':').unwrap().1.split('/').count();
        let id = vec!["x1"; kinds].join("/");
        let text = t.arn.build(t.name, "aws", "eu-west-1", "222222222222", &id);
        let arn = crate::arn::Arn::parse(&text.unwrap()).unwrap();
        assert_eq!(arn.resource_type(), t.name);
        assert_eq!(arn.region().is_some(), t.arn.names_region(), "{}", t.name);
        assert_eq!(arn.account().is_some(), t.arn.names_account(), "{}", t.name);
    }
    assert_eq!(b(AUTO_SCALING_GROUP, &"w".repeat(256)), None);
}

#[test]
fn untyped_arns_and_writers() {
    assert_eq!(untyped_arn_type("s3"), Some("s3:bucket"));
    assert_eq!(untyped_arn_type("sqs"), Some("sqs:queue"));
    assert_eq!(untyped_arn_type("sns"), Some("sns:topic"));
    assert_eq!(untyped_arn_type("lambda"), None);
    assert_eq!(Writer::of("ec2:volume"), Writer::Ec2);
    assert_eq!(Writer::of("ec2:security-group"), Writer::Ec2);
    assert_eq!(Writer::of("rds:cluster"), Writer::Rds);
    assert_eq!(Writer::of("s3:bucket"), Writer::S3);
    assert_eq!(Writer::of(AUTO_SCALING_GROUP), Writer::AutoScaling);
    assert_eq!(Writer::of("sns:topic"), Writer::Tagging);
    assert_eq!(Writer::of("kafka:cluster"), Writer::Tagging);
    assert_eq!(Writer::of(MGN_SOURCE_SERVER), Writer::Mgn);
    assert_eq!(Writer::of(MGN_LAUNCH_TEMPLATE), Writer::Mgn);
}

#[test]
fn types_listed_by_tagwarden_itself() {
    assert_eq!(
        listed_by_itself(),
        [
            "ec2:instance",
            "ec2:volume",
            "ec2:snapshot",
            "ec2:image",
            "rds:db",
            "rds:cluster",
            "s3:bucket",
            AUTO_SCALING_GROUP,
            MGN_SOURCE_SERVER,
            MGN_LAUNCH_TEMPLATE,
        ]
    );
}
