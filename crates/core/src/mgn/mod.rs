//! Migration waves: what AWS Application Migration Service (MGN) holds of a
//! migration — waves, their applications, the source servers MGN will
//! launch at cutover, and each server's launch settings — and what those
//! launches would carry. Pure: the binary reads MGN (`src/inventory/mgn.rs`)
//! into these types; `readiness` judges them; `report::waves` renders them.
//!
//! A source server and a launch configuration template are resources of
//! their own (`mgn:source-server`, `mgn:launch-configuration-template`):
//! their own tags decide a policy's scope, while the policy's `require`
//! rules judge the tags their launch would write (`Resource::launches`),
//! never their own.

pub mod readiness;
pub mod waves;

use crate::arn::Arn;
use crate::resource::{Resource, Tags};
use serde::Serialize;

pub use crate::resource::{
    judged_by_launch, MAP_TAG, MGN_LAUNCH_TEMPLATE as LAUNCH_TEMPLATE,
    MGN_SOURCE_SERVER as SOURCE_SERVER,
};

/// A source server's `lifeCycle.state`, as MGN names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LifeCycle {
    Stopped,
    NotReady,
    ReadyForTest,
    Testing,
    ReadyForCutover,
    CuttingOver,
    Cutover,
    Disconnected,
    Discovered,
    PendingInstallation,
    /// A state this version does not know, kept as MGN wrote it.
    Other(String),
}

impl LifeCycle {
    const KNOWN: [(LifeCycle, &'static str); 10] = [
        (LifeCycle::Stopped, "STOPPED"),
        (LifeCycle::NotReady, "NOT_READY"),
        (LifeCycle::ReadyForTest, "READY_FOR_TEST"),
        (LifeCycle::Testing, "TESTING"),
        (LifeCycle::ReadyForCutover, "READY_FOR_CUTOVER"),
        (LifeCycle::CuttingOver, "CUTTING_OVER"),
        (LifeCycle::Cutover, "CUTOVER"),
        (LifeCycle::Disconnected, "DISCONNECTED"),
        (LifeCycle::Discovered, "DISCOVERED"),
        (LifeCycle::PendingInstallation, "PENDING_INSTALLATION"),
    ];

    pub fn parse(s: &str) -> LifeCycle {
        LifeCycle::KNOWN
            .iter()
            .find(|(_, name)| *name == s)
            .map(|(state, _)| state.clone())
            .unwrap_or_else(|| LifeCycle::Other(s.to_string()))
    }

    pub fn label(&self) -> &str {
        match self {
            LifeCycle::Other(s) => s,
            known => LifeCycle::KNOWN
                .iter()
                .find(|(state, _)| state == known)
                .map(|(_, name)| *name)
                .unwrap_or_default(),
        }
    }

    /// Cut over or disconnected: MGN launches nothing more for it, and
    /// only what it launched is judged.
    pub fn is_done(&self) -> bool {
        matches!(self, LifeCycle::Cutover | LifeCycle::Disconnected)
    }
}

impl Serialize for LifeCycle {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

/// Where an MGN object lives: the account whose MGN holds it, and the region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Place {
    pub account: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wave {
    pub id: String,
    pub name: String,
    pub arn: Option<Arn>,
    #[serde(flatten)]
    pub place: Place,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub wave_id: Option<String>,
    #[serde(flatten)]
    pub place: Place,
}

/// The launch settings that decide what MGN writes on what it launches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LaunchSettings {
    /// `enableMapAutoTagging`.
    pub map_auto_tagging: bool,
    /// `mapAutoTaggingMpeID`: the whole value MGN writes as `map-migrated`
    /// (e.g. `migABCDE12345`), kept even while auto-tagging is off.
    pub mpe_id: Option<String>,
    /// `copyTags`: the source server's own tags are copied to the instance.
    pub copy_tags: bool,
    /// `ec2LaunchTemplateID`: the EC2 launch template MGN launches with.
    pub ec2_launch_template: Option<String>,
}

impl LaunchSettings {
    /// The value MAP auto-tagging writes, when it is on.
    pub fn map_value(&self) -> Option<&str> {
        self.map_auto_tagging
            .then_some(self.mpe_id.as_deref())
            .flatten()
    }
}

/// A source server as MGN describes it, with its launch settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceServer {
    pub id: String,
    pub arn: Arn,
    pub place: Place,
    pub hostname: Option<String>,
    pub application_id: Option<String>,
    pub state: LifeCycle,
    /// Its own tags (they decide a policy's scope; with `copyTags` the
    /// launched instance gets them too).
    pub tags: Tags,
    /// The EC2 instance MGN launched for it (test or cutover), if any.
    pub launched_instance: Option<String>,
    /// Its launch settings, or why they could not be read.
    pub launch: Result<LaunchSettings, String>,
    /// The tags its EC2 launch template writes on instances and volumes
    /// alike; None when it has no template or it could not be read.
    pub template_tags: Option<Tags>,
}

/// An account's launch configuration template, in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchTemplate {
    pub id: String,
    pub arn: Arn,
    pub place: Place,
    pub tags: Tags,
    pub launch: LaunchSettings,
}

/// What MGN holds in the scanned accounts and regions (archived waves,
/// applications and servers left out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Estate {
    pub waves: Vec<Wave>,
    pub applications: Vec<Application>,
    pub servers: Vec<SourceServer>,
    pub templates: Vec<LaunchTemplate>,
}

impl Estate {
    /// Add another account's or region's estate.
    pub fn extend(&mut self, other: Estate) {
        self.waves.extend(other.waves);
        self.applications.extend(other.applications);
        self.servers.extend(other.servers);
        self.templates.extend(other.templates);
    }
}

/// The tags a launch with these settings writes on the instance and its
/// volumes: the EC2 launch template's (those it writes on both), the
/// source server's own with `copyTags` (never `aws:` keys), then MAP
/// auto-tagging's `map-migrated`. Which of two sources wins on one key AWS
/// does not document; MGN's own settings are taken to apply last.
pub fn launch_tags(own: &Tags, launch: &LaunchSettings, template: Option<&Tags>) -> Tags {
    let mut out = template.cloned().unwrap_or_default();
    if launch.copy_tags {
        out.extend(
            own.iter()
                .filter(|(k, _)| !k.starts_with("aws:"))
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    if let Some(value) = launch.map_value() {
        out.insert(MAP_TAG.to_string(), value.to_string());
    }
    out
}

impl SourceServer {
    /// The server as a resource of type `mgn:source-server`: its own tags,
    /// and what its launch would write (`launches`); unreadable launch
    /// settings make it `unknown`.
    pub fn resource(&self) -> Resource {
        let mut r = Resource::new(
            self.arn.clone(),
            &self.place.account,
            &self.place.region,
            SOURCE_SERVER,
        );
        r.tags = self.tags.clone();
        match &self.launch {
            Ok(launch) => {
                r.launches = Some(launch_tags(&self.tags, launch, self.template_tags.as_ref()))
            }
            Err(why) => {
                r.tags_unreadable = Some(format!("its launch settings could not be read: {why}"))
            }
        }
        r
    }
}

impl LaunchTemplate {
    pub fn resource(&self) -> Resource {
        let mut r = Resource::new(
            self.arn.clone(),
            &self.place.account,
            &self.place.region,
            LAUNCH_TEMPLATE,
        );
        r.tags = self.tags.clone();
        r.launches = Some(launch_tags(&Tags::new(), &self.launch, None));
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::tags;

    #[test]
    fn life_cycle_states_read_and_print_as_mgn_names_them() {
        for (state, name) in LifeCycle::KNOWN {
            assert_eq!(LifeCycle::parse(name), state);
            assert_eq!(state.label(), name);
        }
        assert_eq!(LifeCycle::parse("NEW_STATE").label(), "NEW_STATE");
        assert!(LifeCycle::Cutover.is_done() && LifeCycle::Disconnected.is_done());
        assert!(!LifeCycle::ReadyForCutover.is_done());
    }

    #[test]
    fn a_launch_writes_the_template_s_then_the_copied_then_the_map_tag() {
        let own = tags(&[("app", "erp"), ("aws:x", "y"), (MAP_TAG, "migOWN")]);
        let template = tags(&[("owner", "ops"), ("app", "template")]);
        let mut launch = LaunchSettings {
            map_auto_tagging: true,
            mpe_id: Some("migABCDE12345".into()),
            copy_tags: true,
            ec2_launch_template: Some("lt-1".into()),
        };
        assert_eq!(
            launch_tags(&own, &launch, Some(&template)),
            tags(&[("app", "erp"), ("owner", "ops"), (MAP_TAG, "migABCDE12345")])
        );
        launch.map_auto_tagging = false;
        launch.copy_tags = false;
        assert_eq!(launch_tags(&own, &launch, Some(&template)), template);
        assert_eq!(
            launch.map_value(),
            None,
            "an id kept while off writes nothing"
        );
        launch.map_auto_tagging = true;
        launch.mpe_id = None;
        assert_eq!(launch.map_value(), None, "on without an id writes nothing");
    }

    #[test]
    fn a_server_whose_settings_cannot_be_read_is_unknown() {
        let server = SourceServer {
            id: "s-1".into(),
            arn: "arn:aws:mgn:us-east-1:111111111111:source-server/s-1"
                .parse()
                .unwrap(),
            place: Place {
                account: "111111111111".into(),
                region: "us-east-1".into(),
            },
            hostname: None,
            application_id: None,
            state: LifeCycle::ReadyForTest,
            tags: Tags::new(),
            launched_instance: None,
            launch: Err("AccessDeniedException".into()),
            template_tags: None,
        };
        let r = server.resource();
        assert_eq!(r.resource_type, SOURCE_SERVER);
        assert!(r.launches.is_none());
        assert!(r.tags_unreadable.unwrap().contains("AccessDenied"));
    }
}
