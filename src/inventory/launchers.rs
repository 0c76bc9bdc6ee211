//! What launches resources after cutover, so they are born tagged: Auto
//! Scaling groups (listed here, never-tagged ones included, with the tags
//! their instances will carry: the group's tags with PropagateAtLaunch and
//! the launch template's instance tags) and ECS services (whether their
//! tasks get the service's tags: `propagateTags`).

use super::ec2::{parsed, tags_of as ec2_tags};
use super::to_chrono;
use crate::aws::{all_pages, AccountSession, Api, AwsError, Quota};
use aws_sdk_autoscaling::types::AutoScalingGroup;
use std::collections::BTreeMap;
use tagwarden_core::resource::{AUTO_SCALING_GROUP, ECS_SERVICE};
use tagwarden_core::{Resource, Tags};

/// The account's Auto Scaling groups in `region` (only those `named`, when
/// given), each with what its instances will carry; a launch template that
/// cannot be read leaves that unknown (logged; never "untagged", so no
/// finding is made of it).
pub async fn auto_scaling_groups(
    api: &Api,
    session: &AccountSession,
    region: &str,
    named: Option<&[String]>,
) -> Result<Vec<Resource>, AwsError> {
    let account = session.account.as_str();
    let client = session.autoscaling(region);
    let page_size = api.page_size(100, 1);
    let names = named.map(<[String]>::to_vec);
    let groups = all_pages(|token| {
        let client = &client;
        let names = names.clone();
        async move {
            let page = api
                .call(
                    Quota::at(account, region),
                    "autoscaling:DescribeAutoScalingGroups",
                    || {
                        client
                            .describe_auto_scaling_groups()
                            .max_records(page_size)
                            .set_auto_scaling_group_names(names.clone())
                            .set_next_token(token.clone())
                            .send()
                    },
                )
                .await?;
            let groups = page.auto_scaling_groups().to_vec();
            Ok((groups, page.next_token().map(str::to_string)))
        }
    })
    .await?;
    let ec2 = session.ec2(region);
    let mut resources = Vec::new();
    for g in groups {
        let Some(arn) = g.auto_scaling_group_arn().and_then(parsed) else {
            continue;
        };
        let mut r = Resource::new(arn, account, region, AUTO_SCALING_GROUP);
        r.created_at = g.created_time().and_then(to_chrono);
        let mut launches = Tags::new();
        for t in g.tags() {
            if let (Some(k), v) = (t.key(), t.value().unwrap_or_default()) {
                r.tags.insert(k.to_string(), v.to_string());
                if t.propagate_at_launch() == Some(true) {
                    launches.insert(k.to_string(), v.to_string());
                }
            }
        }
        match template_tags(api, &ec2, account, region, &g).await {
            Ok(template) => {
                // The group's propagated tags win over the template's.
                for (k, v) in template {
                    launches.entry(k).or_insert(v);
                }
                r.launches = Some(launches);
            }
            Err(e) => tracing::warn!(
                account,
                region,
                group = %r.arn,
                error = %e,
                "cannot read the group's launch template: what its instances carry is unknown"
            ),
        }
        resources.push(r);
    }
    Ok(resources)
}

/// The instance tags of the group's launch template (its version, or the
/// default one); none without a template.
async fn template_tags(
    api: &Api,
    ec2: &aws_sdk_ec2::Client,
    account: &str,
    region: &str,
    g: &AutoScalingGroup,
) -> Result<Tags, AwsError> {
    let spec = g.launch_template().or_else(|| {
        g.mixed_instances_policy()
            .and_then(|m| m.launch_template())
            .and_then(|t| t.launch_template_specification())
    });
    let Some(spec) = spec else {
        return Ok(Tags::new());
    };
    let version = spec.version().unwrap_or("$Default").to_string();
    let out = api
        .call(
            Quota::at(account, region),
            "ec2:DescribeLaunchTemplateVersions",
            || {
                ec2.describe_launch_template_versions()
                    .set_launch_template_id(spec.launch_template_id().map(str::to_string))
                    .set_launch_template_name(spec.launch_template_name().map(str::to_string))
                    .versions(version.clone())
                    .send()
            },
        )
        .await?;
    let instance_tags = out
        .launch_template_versions()
        .iter()
        .filter_map(|v| v.launch_template_data())
        .flat_map(|d| d.tag_specifications())
        .filter(|s| s.resource_type().is_some_and(|t| t.as_str() == "instance"))
        .flat_map(|s| ec2_tags(s.tags()))
        .collect();
    Ok(instance_tags)
}

/// For the ECS services among `resources`, what their tasks will carry:
/// the service's tags when it propagates them (`SERVICE`), none when it
/// does not (`NONE`); unknown when tasks take their task definition's tags
/// or the read fails.
pub async fn ecs_services(api: &Api, session: &AccountSession, resources: &mut [Resource]) {
    let mut by_place: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, r) in resources.iter().enumerate() {
        if r.resource_type == ECS_SERVICE && r.tags_unreadable.is_none() {
            let cluster = r.arn.id().split('/').next().unwrap_or_default().to_string();
            by_place
                .entry((r.region.clone(), cluster))
                .or_default()
                .push(i);
        }
    }
    let account = session.account.as_str();
    for ((region, cluster), indexes) in by_place {
        let client = session.ecs(&region);
        for chunk in indexes.chunks(10) {
            let arns: Vec<String> = chunk
                .iter()
                .map(|&i| resources[i].arn.to_string())
                .collect();
            let described = api
                .call(Quota::at(account, &region), "ecs:DescribeServices", || {
                    client
                        .describe_services()
                        .cluster(&cluster)
                        .set_services(Some(arns.clone()))
                        .send()
                })
                .await;
            let Ok(described) = described else {
                tracing::warn!(account, region, cluster, "cannot read the ECS services' propagateTags; what their tasks carry is unknown");
                continue;
            };
            for &i in chunk {
                let arn = resources[i].arn.to_string();
                let propagate = described
                    .services()
                    .iter()
                    .find(|s| s.service_arn() == Some(arn.as_str()))
                    .map(|s| s.propagate_tags().map(|p| p.as_str().to_string()));
                let r = &mut resources[i];
                r.launches = match propagate {
                    Some(Some(p)) if p == "SERVICE" => Some(r.tags.clone()),
                    Some(Some(p)) if p == "TASK_DEFINITION" => None,
                    Some(_) => Some(Tags::new()),
                    None => None,
                };
            }
        }
    }
}
