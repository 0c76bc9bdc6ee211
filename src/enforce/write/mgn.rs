//! MGN launch settings: the MAP tag MGN writes on what it launches is set
//! by turning MAP auto-tagging on with the policy's value
//! (`UpdateLaunchConfiguration`; templates
//! `UpdateLaunchConfigurationTemplate`), and removed (rollback) by turning
//! it off. Launch settings are not tags, but they are read as such
//! (`tags`: `map-migrated` while auto-tagging writes it), so the run's
//! read just before the writes (`verify::read_before`, `still_as_read`)
//! withholds a setting someone changed since, as for every writer. MGN
//! writes only `map-migrated`: another key cannot be written this way.

use super::{record, Outcomes, TagError, Target};
use crate::aws::AwsError;
use tagwarden_core::apply_rules::TagWrite;
use tagwarden_core::mgn::{LAUNCH_TEMPLATE, MAP_TAG};
use tagwarden_core::{Arn, Tags};

pub(super) async fn write(
    at: &Target<'_>,
    client: &aws_sdk_mgn::Client,
    writes: &[&TagWrite],
    out: &mut Outcomes,
) {
    for w in writes {
        let r = write_one(at, client, w).await;
        record(out, &w.arn, r);
    }
}

fn operation(w: &TagWrite) -> &'static str {
    if w.resource_type == LAUNCH_TEMPLATE {
        "mgn:UpdateLaunchConfigurationTemplate"
    } else {
        "mgn:UpdateLaunchConfiguration"
    }
}

async fn write_one(
    at: &Target<'_>,
    client: &aws_sdk_mgn::Client,
    w: &TagWrite,
) -> Result<(), TagError> {
    if let Some(k) = w.set.keys().chain(w.remove.keys()).find(|k| *k != MAP_TAG) {
        return Err(TagError::Refused {
            operation: operation(w),
            code: "UnsupportedKey".into(),
            message: format!("MGN's launch settings write only `{MAP_TAG}`: put `{k}` in the tag specifications of the EC2 launch template MGN launches with"),
        });
    }
    match (w.set.get(MAP_TAG), w.remove.contains_key(MAP_TAG)) {
        (Some(value), _) => update(at, client, w, true, Some(value)).await,
        (None, true) => update(at, client, w, false, None).await,
        (None, false) => Ok(()),
    }
}

/// Turn MAP auto-tagging on with `value`, or off (`value` None: the id is
/// left as it is; with auto-tagging off MGN writes nothing).
async fn update(
    at: &Target<'_>,
    client: &aws_sdk_mgn::Client,
    w: &TagWrite,
    on: bool,
    value: Option<&String>,
) -> Result<(), TagError> {
    let id = w.arn.id().to_string();
    if w.resource_type == LAUNCH_TEMPLATE {
        at.api
            .call(at.quota(), "mgn:UpdateLaunchConfigurationTemplate", || {
                client
                    .update_launch_configuration_template()
                    .launch_configuration_template_id(&id)
                    .enable_map_auto_tagging(on)
                    .set_map_auto_tagging_mpe_id(value.cloned())
                    .send()
            })
            .await?;
    } else {
        at.api
            .call(at.quota(), "mgn:UpdateLaunchConfiguration", || {
                client
                    .update_launch_configuration()
                    .source_server_id(&id)
                    .enable_map_auto_tagging(on)
                    .set_map_auto_tagging_mpe_id(value.cloned())
                    .send()
            })
            .await?;
    }
    Ok(())
}

/// The value MAP auto-tagging writes now: None when it is off.
async fn map_value(
    at: &Target<'_>,
    client: &aws_sdk_mgn::Client,
    arn: &Arn,
) -> Result<Option<String>, AwsError> {
    let id = arn.id();
    let (on, value) = if arn.resource_type() == LAUNCH_TEMPLATE {
        let out = at
            .api
            .call(
                at.quota(),
                "mgn:DescribeLaunchConfigurationTemplates",
                || {
                    client
                        .describe_launch_configuration_templates()
                        .launch_configuration_template_ids(id)
                        .send()
                },
            )
            .await?;
        let t = out.items().first().ok_or_else(|| AwsError {
            operation: "mgn:DescribeLaunchConfigurationTemplates",
            code: Some("ResourceNotFoundException".into()),
            message: format!("launch configuration template {id} not found"),
        })?;
        (
            t.enable_map_auto_tagging(),
            t.map_auto_tagging_mpe_id().map(str::to_string),
        )
    } else {
        let out = at
            .api
            .call(at.quota(), "mgn:GetLaunchConfiguration", || {
                client
                    .get_launch_configuration()
                    .source_server_id(id)
                    .send()
            })
            .await?;
        (
            out.enable_map_auto_tagging(),
            out.map_auto_tagging_mpe_id().map(str::to_string),
        )
    };
    Ok(value.filter(|_| on == Some(true)))
}

/// What a read back shows: `map-migrated` with the value MAP
/// auto-tagging writes, when it is on.
pub async fn tags(
    at: &Target<'_>,
    client: &aws_sdk_mgn::Client,
    arn: &Arn,
) -> Result<Tags, AwsError> {
    Ok(map_value(at, client, arn)
        .await?
        .map(|v| Tags::from([(MAP_TAG.to_string(), v)]))
        .unwrap_or_default())
}
