//! Every name the three templates build from a stack's name fits its
//! service's limit at the longest stack name the README allows, in the
//! longest-named Region; and names that must be unique are: per Region
//! for alarms, functions, schedule groups, log groups and channel groups,
//! per account for CloudFront's origin access controls, cache and origin
//! request policies, public keys and key groups, and CloudWatch's dashboards (a stack of the same name in
//! another Region must not collide).

use std::collections::BTreeMap;
use std::path::Path;

use testkit::live_events::{EVENT_TEMPLATE, FOUNDATION_TEMPLATE, template};
use testkit::stack::Template;
use testkit::stack::names::{Name, Place, names};

/// The longest names the README allows (Deploy, "Stack names").
const MAX_STACK_NAME: usize = 40;
const MAX_EVENT_NAME: usize = 120;

/// Where a name must be unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unique {
    Account,
    Region,
    /// Within something else of the stack (a channel in its group).
    Nowhere,
}

/// The services' limits, from their API references and CloudFormation
/// resource schemas (the ones cfn-lint ships give the same maxLength).
fn limit(kind: &str, property: &str) -> Option<(usize, Unique)> {
    use Unique::{Account, Nowhere, Region};
    Some(match (kind, property) {
        // CloudFront API Reference, OriginAccessControlConfig: "up to 64 characters".
        ("AWS::CloudFront::OriginAccessControl", "OriginAccessControlConfig.Name") => (64, Account),
        // No limit documented for cache policy names: held to the origin
        // access control's, the tightest CloudFront documents.
        ("AWS::CloudFront::CachePolicy", "CachePolicyConfig.Name") => (64, Account),
        // CloudFront API Reference, PublicKeyConfig and KeyGroupConfig:
        // names of up to 128 characters; a caller reference held to the same.
        ("AWS::CloudFront::PublicKey", "PublicKeyConfig.Name") => (128, Account),
        ("AWS::CloudFront::PublicKey", "PublicKeyConfig.CallerReference") => (128, Account),
        ("AWS::CloudFront::KeyGroup", "KeyGroupConfig.Name") => (128, Account),
        // Not documented either: held to 64 as the cache policies are.
        ("AWS::CloudFront::OriginRequestPolicy", "OriginRequestPolicyConfig.Name") => (64, Account),
        // Secrets Manager API Reference, CreateSecret: up to 512 characters.
        ("AWS::SecretsManager::Secret", "Name") => (512, Region),
        // CloudWatch API Reference, PutDashboard and PutMetricAlarm.
        ("AWS::CloudWatch::Dashboard", "DashboardName") => (255, Account),
        ("AWS::CloudWatch::Alarm", "AlarmName") => (255, Region),
        // Lambda API Reference, CreateFunction: 64 characters.
        ("AWS::Lambda::Function", "FunctionName") => (64, Region),
        // EventBridge Scheduler API Reference, CreateScheduleGroup.
        ("AWS::Scheduler::ScheduleGroup", "Name") => (64, Region),
        // CloudWatch Logs API Reference, CreateLogGroup.
        ("AWS::Logs::LogGroup", "LogGroupName") => (512, Region),
        // IAM API Reference, PutRolePolicy (a policy's name is its role's
        // own) and CreateRole (paths).
        ("AWS::IAM::RolePolicy", "PolicyName") => (128, Nowhere),
        ("AWS::IAM::Role", "Path") => (512, Nowhere),
        // MediaPackage v2 API Reference: names of 1 to 256 characters.
        ("AWS::MediaPackageV2::ChannelGroup", "ChannelGroupName") => (256, Region),
        (kind, "ChannelGroupName" | "ChannelName") if kind.starts_with("AWS::MediaPackageV2::") => (256, Nowhere),
        // The handler's own checks, as MediaLive and MediaPackage v1 take names and ids.
        ("Custom::MediaLiveChannel", "Name") => (256, Nowhere),
        ("Custom::MediaPackageChannel", "ChannelId") => (256, Region),
        // CloudFormation keeps an export's name within a Region.
        ("Export", "Export.Name") => (255, Region),
        _ => return None,
    })
}

/// The name properties that are not built from the stack's name (role
/// names imported from the foundation, fixed names).
fn from_the_stack(name: &Name, stack_names: &[&str]) -> bool {
    stack_names.iter().any(|stack| name.value.contains(stack))
}

fn text_of(file: &str) -> Template {
    template(file).unwrap()
}

fn code() -> Vec<(String, String)> {
    [
        ("CodeBucketPrefix", "local-code"),
        ("CodeKey", "livestream/v0/livestream-resources.zip"),
        ("DemoSourceKey", "livestream/v0/demo-source.mp4"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The Region with the longest name, from the Regions cfn-lint knows.
fn longest_region() -> String {
    let providers = testkit::workspace_root().join(".venv/lib");
    let dir = std::fs::read_dir(&providers)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path().join("site-packages/cfnlint/data/schemas/providers"))
        .find(|p| p.is_dir())
        .expect("cfn-lint's Region list: run ./deployment/bootstrap.sh");
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| e.path().file_stem()?.to_str().map(str::to_owned))
        .filter(|stem| stem.contains('-'))
        .max_by_key(String::len)
        .unwrap()
}

/// Names of a stack (a `template.yaml` stack or a foundation) and, for a
/// foundation, its events.
fn stack_names(file: &str, stack: &str, region: &str, extra: &[(&str, &str)]) -> Vec<Name> {
    let mut parameters = code();
    parameters.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let place = Place {
        stack_name: stack,
        region,
        parameters: &parameters,
        imports: &BTreeMap::new(),
    };
    names(&text_of(file), &place).unwrap()
}

fn event_names(foundation: &str, event: &str, region: &str) -> Vec<Name> {
    // What the foundation exports, as the event imports it.
    let exported = stack_names(FOUNDATION_TEMPLATE, foundation, region, &[]);
    let imports: BTreeMap<String, String> = exported
        .iter()
        .filter(|n| n.kind == "Export")
        .map(|n| {
            let value = if n.value.ends_with("-ChannelGroup") {
                foundation.to_owned()
            } else {
                format!("imported-{}", n.logical_id)
            };
            (n.value.clone(), value)
        })
        .collect();
    let parameters = vec![
        ("Foundation".to_owned(), foundation.to_owned()),
        ("ViewerPasscode".to_owned(), "its own passcode".to_owned()),
    ];
    let place = Place {
        stack_name: event,
        region,
        parameters: &parameters,
        imports: &imports,
    };
    names(&text_of(EVENT_TEMPLATE), &place).unwrap()
}

/// Every stack's names: `template.yaml` stacks, foundations and their events.
fn deployment(region: &str, templates: &[&str], foundations: &[(&str, &[&str])]) -> Vec<Name> {
    let mut all = Vec::new();
    // Protected playback's names exist only when it is on.
    let signed: &[(&str, &str)] = &[("PlaybackAccess", "SignedCookies"), ("ViewerPasscode", "a passcode")];
    for stack in templates {
        // Either packager: the names of both, each once.
        let mut both = stack_names("template.yaml", stack, region, signed);
        both.extend(stack_names(
            "template.yaml",
            stack,
            region,
            &[("Packager", "MediaPackageV1")],
        ));
        both.sort_by(|a, b| (&a.logical_id, &a.property, &a.value).cmp(&(&b.logical_id, &b.property, &b.value)));
        both.dedup();
        all.extend(both);
    }
    for (foundation, events) in foundations {
        all.extend(stack_names(FOUNDATION_TEMPLATE, foundation, region, signed));
        for event in *events {
            all.extend(event_names(foundation, event, region));
        }
    }
    all
}

#[test]
fn every_name_fits_its_limit_at_the_longest_stack_names_allowed() {
    let region = longest_region();
    let stack = "s".repeat(MAX_STACK_NAME);
    let foundation = "f".repeat(MAX_STACK_NAME);
    let event = "e".repeat(MAX_EVENT_NAME);
    let all = deployment(&region, &[&stack], &[(&foundation, &[&event])]);
    let built: Vec<&Name> = all
        .iter()
        .filter(|n| from_the_stack(n, &[&stack, &foundation, &event]))
        .collect();
    assert!(built.len() > 20, "names were found: {built:#?}");
    for name in built {
        let (max, _) = limit(&name.kind, &name.property).unwrap_or_else(|| {
            panic!(
                "{} {} {} is built from the stack's name but has no limit here: add it",
                name.logical_id, name.kind, name.property
            )
        });
        assert!(
            name.value.len() <= max,
            "{} {} is {} characters, over {max}: {}",
            name.logical_id,
            name.property,
            name.value.len(),
            name.value
        );
    }
}

#[test]
fn names_that_must_be_unique_are_across_stacks_and_regions() {
    // Stack names chosen to collide if names were joined carelessly:
    // event 2-keynote of foundation live, event keynote of foundation
    // live-2, and a template.yaml stack named live-2-keynote.
    let stacks = ["live-2-keynote"];
    let foundations: [(&str, &[&str]); 2] = [("live", &["2-keynote"]), ("live-2", &["keynote"])];
    let regions = ["us-east-1".to_owned(), longest_region()];
    let mut account: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for region in &regions {
        let mut in_region: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for name in deployment(region, &stacks, &foundations) {
            let Some((_, unique)) = limit(&name.kind, &name.property) else {
                continue;
            };
            let key = (name.kind.clone(), name.value.clone());
            let whose = format!("{region} {}", name.logical_id);
            match unique {
                Unique::Account => account.entry(key).or_default().push(whose),
                Unique::Region => in_region.entry(key).or_default().push(whose),
                Unique::Nowhere => {}
            }
        }
        let clashes: Vec<_> = in_region.iter().filter(|(_, users)| users.len() > 1).collect();
        assert!(clashes.is_empty(), "names used twice in {region}: {clashes:#?}");
    }
    let clashes: Vec<_> = account.iter().filter(|(_, users)| users.len() > 1).collect();
    assert!(clashes.is_empty(), "account-wide names used twice: {clashes:#?}");
}

#[test]
fn the_readme_states_the_stack_name_limits_the_names_are_checked_at() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for said in [
        format!("{MAX_STACK_NAME} characters or fewer"),
        format!("{MAX_EVENT_NAME} characters or fewer"),
    ] {
        assert!(readme.contains(&said), "the README says {said:?}");
    }
}

/// A policy's size as IAM counts it: its JSON without white space.
fn policy_size(document: &serde_json::Value) -> usize {
    document.to_string().len()
}

/// The inline policies on the foundation's MediaLiveRole: its own, and
/// one per event (`MediaLiveGrants`), against IAM's quota of 10,240
/// characters per role (IAM User Guide, "IAM and AWS STS quotas"), as
/// docs/live-events.md counts them.
#[test]
fn the_events_grants_fit_the_roles_policy_quota_as_the_docs_count_them() {
    use testkit::stack::eval::Exposed;
    const QUOTA: usize = 10_240;
    let foundation = "f".repeat(MAX_STACK_NAME);
    let event = "e".repeat(20);
    let own = {
        let exposed = BTreeMap::new();
        let parameters = code();
        let place = Place {
            stack_name: &foundation,
            region: "us-east-1",
            parameters: &parameters,
            imports: &BTreeMap::new(),
        };
        let role = testkit::stack::names::properties(&text_of(FOUNDATION_TEMPLATE), &place, "MediaLiveRole", &exposed)
            .unwrap();
        role["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| policy_size(&p["PolicyDocument"]))
            .sum::<usize>()
    };
    let grant = |pairs: &[(&str, &str)]| {
        let mut parameters = vec![("Foundation".to_owned(), foundation.clone())];
        parameters.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let imports: BTreeMap<String, String> = stack_names(FOUNDATION_TEMPLATE, &foundation, "us-east-1", &[])
            .into_iter()
            .filter(|n| n.kind == "Export")
            .map(|n| (n.value, "x".repeat(60)))
            .collect();
        let secret = format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{event}-SrtPassphrase-AbCdEf");
        let exposed = BTreeMap::from([(
            "SrtPassphraseSecret".to_owned(),
            Exposed {
                physical_id: secret,
                ..Exposed::default()
            },
        )]);
        let place = Place {
            stack_name: &event,
            region: "us-east-1",
            parameters: &parameters,
            imports: &imports,
        };
        let grants =
            testkit::stack::names::properties(&text_of(EVENT_TEMPLATE), &place, "MediaLiveGrants", &exposed).unwrap();
        policy_size(&grants["PolicyDocument"])
    };
    let key = |n: usize| format!("s3ssl://bucket/{}", "k".repeat(n));
    let (pri, sec) = (key(400), key(400));
    let test_source = grant(&[]);
    let srt = grant(&[("InputType", "SRT_LISTENER"), ("InputCIDR", "203.0.113.7/32")]);
    let long_keys = grant(&[("PriPullUrl", &pri), ("SecPullUrl", &sec)]);
    let fits = |each: usize| (QUOTA - own) / each;
    let counted = format!(
        "foundation {own}, test source {test_source}, SRT {srt}, two 400-character keys {long_keys}: {} / {} / {} events",
        fits(test_source),
        fits(srt),
        fits(long_keys)
    );
    println!("{counted}");
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/live-events.md")).unwrap();
    for said in [
        format!("about {} characters of its own", (own + 5) / 10 * 10),
        format!("{} events", fits(long_keys)),
        format!("{} events", fits(test_source)),
    ] {
        assert!(docs.contains(&said), "docs/live-events.md says {said:?} ({counted})");
    }
}
