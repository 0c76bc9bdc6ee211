use super::*;
use crate::mgn::waves::{rows, Selection, UnknownWave};
use crate::mgn::{Application, Estate, LaunchSettings, LifeCycle, Wave};
use crate::policy::map_format::MapFormat;
use crate::policy::{Policy, Requirement, Scope, Severity, ValueMatch};
use crate::resource::{Tags, MGN_SOURCE_SERVER};

const ACCOUNT: &str = "111111111111";
const OTHER: &str = "222222222222";

fn place(account: &str) -> Place {
    Place {
        account: account.into(),
        region: "us-east-1".into(),
    }
}

fn map_policy(values: Option<&[&str]>) -> Policy {
    Policy {
        name: "map".into(),
        description: None,
        severity: Severity::High,
        resource_types: vec![MGN_SOURCE_SERVER.into(), "ec2:instance".into()],
        scope: Scope {
            exclude_tags: vec![("map-exempt".into(), ValueMatch::Any)],
            ..Scope::default()
        },
        require: vec![Requirement {
            key: MAP_TAG.into(),
            values: values.map(|v| v.iter().map(|s| s.to_string()).collect()),
            pattern: None,
            format: Some(MapFormat::Strict),
        }],
        forbid: vec![],
        remediate: None,
        file: "map.yaml".into(),
    }
}

fn server(id: &str, account: &str, app: &str, launch: LaunchSettings) -> SourceServer {
    SourceServer {
        id: id.into(),
        arn: format!("arn:aws:mgn:us-east-1:{account}:source-server/{id}")
            .parse()
            .unwrap(),
        place: place(account),
        hostname: Some(format!("{id}.example")),
        application_id: Some(app.into()),
        state: LifeCycle::ReadyForCutover,
        tags: Tags::new(),
        launched_instance: None,
        launch: Ok(launch),
        template_tags: None,
    }
}

fn on(value: &str) -> LaunchSettings {
    LaunchSettings {
        map_auto_tagging: true,
        mpe_id: Some(value.into()),
        ..LaunchSettings::default()
    }
}

fn instance(id: &str, account: &str, tags: &[(&str, &str)]) -> (String, Resource) {
    let r = Resource::new(
        format!("arn:aws:ec2:us-east-1:{account}:instance/{id}")
            .parse()
            .unwrap(),
        account,
        "us-east-1",
        "ec2:instance",
    )
    .with_tags(tags.iter().copied());
    (id.to_string(), r)
}

fn reasons(v: &Verdict) -> Vec<Reason> {
    v.reasons().iter().map(|w| w.reason).collect()
}

const OURS: &str = "migABCDE12345";

#[test]
fn a_server_whose_launch_writes_the_agreement_s_value_is_ready() {
    let p = [map_policy(Some(&[OURS]))];
    let s = server("s-1", ACCOUNT, "app-1", on(OURS));
    assert_eq!(judge(&s, &p, &Launched::default()), Verdict::Ready);
}

#[test]
fn every_reason_a_launch_is_not_ready() {
    let p = [map_policy(Some(&[OURS]))];
    let none = Launched::default();
    let off = server("s-1", ACCOUNT, "a", LaunchSettings::default());
    assert_eq!(reasons(&judge(&off, &p, &none)), [Reason::AutoTaggingOff]);
    let detail = judge(&off, &p, &none).reasons()[0].detail.clone();
    assert!(
        detail.contains("aws mgn update-launch-configuration --source-server-id s-1"),
        "{detail}"
    );

    // Kept while off: still nothing written.
    let kept = server(
        "s-2",
        ACCOUNT,
        "a",
        LaunchSettings {
            map_auto_tagging: false,
            ..on(OURS)
        },
    );
    assert_eq!(reasons(&judge(&kept, &p, &none)), [Reason::AutoTaggingOff]);

    let other = server("s-3", ACCOUNT, "a", on("migZZZZZ99999"));
    let v = judge(&other, &p, &none);
    assert_eq!(reasons(&v), [Reason::ValueRefused]);
    assert!(v.reasons()[0].detail.contains("migZZZZZ99999"));

    let prefix = server("s-4", ACCOUNT, "a", on("sapABCDE12345"));
    assert_eq!(reasons(&judge(&prefix, &p, &none)), [Reason::ValueRefused]);

    let bare = server("s-5", ACCOUNT, "a", on("ABCDE12345"));
    let v = judge(&bare, &[map_policy(None)], &none);
    assert_eq!(reasons(&v), [Reason::ValueRefused]);
    assert!(
        v.reasons()[0].detail.contains("bare MPE ID"),
        "{}",
        v.reasons()[0].detail
    );
    assert!(v.reasons()[0].detail.contains("migABCDE12345"));

    let mut unread = server("s-6", ACCOUNT, "a", on(OURS));
    unread.launch = Err("AccessDeniedException: mgn:GetLaunchConfiguration".into());
    assert_eq!(reasons(&judge(&unread, &p, &none)), [Reason::Unknown]);
}

#[test]
fn a_template_that_tags_instances_and_volumes_makes_a_server_ready() {
    let p = [map_policy(Some(&[OURS]))];
    let mut s = server("s-1", ACCOUNT, "a", LaunchSettings::default());
    s.template_tags = Some(crate::resource::tags(&[(MAP_TAG, OURS)]));
    assert_eq!(judge(&s, &p, &Launched::default()), Verdict::Ready);
    // copyTags passes the server's own value on.
    let mut s = server(
        "s-2",
        ACCOUNT,
        "a",
        LaunchSettings {
            copy_tags: true,
            ..LaunchSettings::default()
        },
    );
    s.tags.insert(MAP_TAG.into(), OURS.into());
    assert_eq!(judge(&s, &p, &Launched::default()), Verdict::Ready);
}

#[test]
fn a_cut_over_server_is_judged_by_its_instance_only() {
    let p = [map_policy(Some(&[OURS]))];
    let mut s = server("s-1", ACCOUNT, "a", LaunchSettings::default());
    s.state = LifeCycle::Cutover;
    s.launched_instance = Some("i-1".into());
    let tagged = Launched {
        instances: [instance("i-1", ACCOUNT, &[(MAP_TAG, OURS)])].into(),
        ..Launched::default()
    };
    assert_eq!(
        judge(&s, &p, &tagged),
        Verdict::Ready,
        "auto-tagging off no longer matters"
    );
    let lost = Launched {
        instances: [instance("i-1", ACCOUNT, &[("Name", "erp")])].into(),
        ..Launched::default()
    };
    let v = judge(&s, &p, &lost);
    assert_eq!(reasons(&v), [Reason::LaunchedUntagged]);
    assert!(v.reasons()[0].detail.contains("i-1"));
    // A terminated test instance is not judged.
    assert_eq!(judge(&s, &p, &Launched::default()), Verdict::Ready);
    let unreadable = Launched {
        unreadable: [(place(ACCOUNT), "AccessDenied".to_string())].into(),
        ..Launched::default()
    };
    assert_eq!(reasons(&judge(&s, &p, &unreadable)), [Reason::Unknown]);
}

#[test]
fn a_server_out_of_every_policy_s_scope_is_not_judged() {
    let p = [map_policy(Some(&[OURS]))];
    let mut s = server("s-1", ACCOUNT, "a", LaunchSettings::default());
    s.tags.insert("map-exempt".into(), "true".into());
    assert_eq!(judge(&s, &p, &Launched::default()), Verdict::OutOfScope);
}

fn estate() -> Estate {
    let wave = |id: &str, name: &str, account: &str| Wave {
        id: id.into(),
        name: name.into(),
        arn: None,
        place: place(account),
    };
    let app = |id: &str, wave: &str, account: &str| Application {
        id: id.into(),
        name: format!("{id}-name"),
        wave_id: Some(wave.into()),
        place: place(account),
    };
    let mut launched = server("s-3", OTHER, "app-b", LaunchSettings::default());
    launched.state = LifeCycle::Cutover;
    launched.launched_instance = Some("i-9".into());
    Estate {
        waves: vec![
            wave("wave-a1", "wave-3", ACCOUNT),
            wave("wave-b1", "wave-3", OTHER),
            wave("wave-a2", "wave-4", ACCOUNT),
        ],
        applications: vec![
            app("app-a", "wave-a1", ACCOUNT),
            app("app-b", "wave-b1", OTHER),
            app("app-c", "wave-a2", ACCOUNT),
        ],
        servers: vec![
            server("s-1", ACCOUNT, "app-a", on(OURS)),
            server("s-2", ACCOUNT, "app-a", LaunchSettings::default()),
            launched,
            server("s-4", ACCOUNT, "app-c", on(OURS)),
        ],
        templates: vec![],
    }
}

#[test]
fn a_wave_by_name_spans_accounts_and_each_is_counted() {
    let e = estate();
    let p = [map_policy(Some(&[OURS]))];
    let launched = Launched {
        instances: [instance("i-9", OTHER, &[])].into(),
        ..Launched::default()
    };
    let sel = Selection::of(&e, &["wave-3".into()]).unwrap();
    let ids: Vec<&str> = sel.servers(&e).iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["s-1", "s-2", "s-3"]);
    let rows = rows(&e, &sel, &p, &launched);
    assert_eq!(rows.len(), 2);
    let (a, b) = (&rows[0], &rows[1]);
    assert_eq!(
        (a.account.as_str(), a.servers, a.ready, a.not_ready),
        (ACCOUNT, 2, 1, 1)
    );
    assert_eq!(a.reasons, [(Reason::AutoTaggingOff, 1)].into());
    assert_eq!(a.not_ready_servers[0].id, "s-2");
    assert_eq!(a.states, [("READY_FOR_CUTOVER".to_string(), 2)].into());
    assert_eq!(
        (b.account.as_str(), b.launched, b.launched_untagged),
        (OTHER, 1, 1)
    );
    assert_eq!(b.states, [("CUTOVER".to_string(), 1)].into());
    // By ID: that wave alone.
    let one = Selection::of(&e, &["wave-b1".into()]).unwrap();
    assert_eq!(rows_of(&e, &one).len(), 1);
    // None named: every wave.
    assert_eq!(rows_of(&e, &Selection::of(&e, &[]).unwrap()).len(), 3);
}

fn rows_of(e: &Estate, sel: &Selection) -> Vec<crate::mgn::waves::WaveRow> {
    rows(e, sel, &[map_policy(Some(&[OURS]))], &Launched::default())
}

#[test]
fn a_wave_that_does_not_exist_lists_those_that_do() {
    let err = Selection::of(&estate(), &["wave-9".into()]).unwrap_err();
    assert_eq!(
        err,
        UnknownWave {
            wanted: "wave-9".into(),
            known: vec![
                "wave-3 (wave-a1, 111111111111, us-east-1)".into(),
                "wave-3 (wave-b1, 222222222222, us-east-1)".into(),
                "wave-4 (wave-a2, 111111111111, us-east-1)".into(),
            ],
        }
    );
    assert!(err
        .to_string()
        .starts_with("--wave wave-9: no wave has this name or ID"));
    let none = Selection::of(&Estate::default(), &["w".into()]).unwrap_err();
    assert!(none
        .to_string()
        .contains("MGN holds no (unarchived) wave there"));
}

#[test]
fn only_the_named_waves_servers_are_kept_for_their_launch_settings() {
    let ids = |e: &Estate| -> Vec<String> { e.servers.iter().map(|s| s.id.clone()).collect() };
    assert_eq!(ids(&estate().only_waves(&[])), ["s-1", "s-2", "s-3", "s-4"]);
    let by_name = estate().only_waves(&["wave-3".into()]);
    assert_eq!(ids(&by_name), ["s-1", "s-2", "s-3"]);
    assert_eq!(by_name.waves.len(), 3, "every wave stays, for UnknownWave");
    assert_eq!(ids(&estate().only_waves(&["wave-a2".into()])), ["s-4"]);
    assert!(estate().only_waves(&["wave-9".into()]).servers.is_empty());
    // What is kept selects as the whole estate would.
    let kept = estate().only_waves(&["wave-b1".into()]);
    let sel = Selection::of(&kept, &["wave-b1".into()]).unwrap();
    assert_eq!(
        sel.servers(&kept),
        Selection::of(&estate(), &["wave-b1".into()])
            .unwrap()
            .servers(&estate())
    );
}
