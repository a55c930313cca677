//! Each Create and each Delete delivered twice, one after the other and
//! racing (as a Lambda retry after a timeout would): both answered, the
//! same id, one resource, and nothing left after the Deletes.

use crate::common::*;
use serde_json::{Value, json};
use testkit::events::{event, unique, with};
use testkit::faithful::Faithful;
use testkit::moto::{self, Moto};

async fn session(logical_id: &str) -> (Moto, Session) {
    let moto = moto::dedicated();
    let aws = Faithful::start(&moto.endpoint).await;
    let session = Session::emulated_at(aws).await.for_resource(logical_id);
    (moto, session)
}

async fn leftovers(session: &Session) -> Vec<String> {
    let config = moto::sdk_config(&session.aws.endpoint()).await;
    testkit::stack::leftovers(&config, &[])
        .await
        .expect("listing what is left")
}

/// Sends `event` twice at once; both answers.
async fn twice_at_once(session: &Session, event: Value) -> (Value, Value) {
    tokio::join!(session.send(event.clone()), session.send(event))
}

/// Create twice in sequence, and (as another resource, `raced_props`)
/// twice racing; then Delete the same ways. Returns what existed between
/// the Creates and the Deletes.
async fn delivered_twice(session: &Session, kind: &str, props: Value, raced_props: Value) -> Vec<String> {
    let create = event("Create", kind, props.clone(), &session.receiver.url());
    let first = succeeded(&session.send(create.clone()).await);
    let again = succeeded(&session.send(create).await);
    assert_eq!(first, again, "{kind}: a repeated Create answers with the same id");

    let raced = session.for_resource("Raced");
    let racing = event("Create", kind, raced_props.clone(), &session.receiver.url());
    let (a, b) = twice_at_once(&raced, racing).await;
    let (a, b) = (succeeded(&a), succeeded(&b));
    assert_eq!(a, b, "{kind}: racing Creates answer with the same id");
    let made = leftovers(session).await;

    let delete = with(
        event("Delete", kind, props, &session.receiver.url()),
        "PhysicalResourceId",
        first.as_str(),
    );
    succeeded(&session.send(delete.clone()).await);
    succeeded(&session.send(delete).await);
    let delete = with(
        event("Delete", kind, raced_props, &session.receiver.url()),
        "PhysicalResourceId",
        a.as_str(),
    );
    let (x, y) = twice_at_once(&raced, delete).await;
    succeeded(&x);
    succeeded(&y);
    made
}

#[tokio::test]
async fn a_push_input_delivered_twice() {
    let (_moto, session) = session("Input").await;
    let props = json!({"Type": "RTMP_PUSH", "Cidr": "0.0.0.0/0", "StreamName": "show"});
    let made = delivered_twice(&session, "MediaLiveInput", props.clone(), props).await;
    let count = |prefix: &str| made.iter().filter(|line| line.starts_with(prefix)).count();
    assert_eq!(count("MediaLive input security group"), 2, "one group each: {made:#?}");
    assert_eq!(count("MediaLive input "), 4, "and one input each: {made:#?}");
    assert_eq!(leftovers(&session).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_mediapackage_channel_and_endpoint_delivered_twice() {
    let (_moto, session) = session("PackageChannel").await;
    let made = delivered_twice(
        &session,
        "MediaPackageChannel",
        json!({"ChannelId": unique("dup")}),
        json!({"ChannelId": unique("race")}),
    )
    .await;
    assert_eq!(made.len(), 2, "one channel each: {made:#?}");
    let channel = unique("dup-ep");
    let owner = session.for_resource("Owner");
    succeeded(&owner.create("MediaPackageChannel", json!({"ChannelId": channel})).await);
    let made = delivered_twice(
        &session.for_resource("Endpoint"),
        "MediaPackageEndPoint",
        json!({"EndPoint": "HLS", "ChannelId": channel}),
        json!({"EndPoint": "DASH", "ChannelId": channel}),
    )
    .await;
    let endpoints = made
        .iter()
        .filter(|l| l.starts_with("MediaPackage origin endpoint"))
        .count();
    assert_eq!(endpoints, 2, "one endpoint each: {made:#?}");
    succeeded(
        &owner
            .delete("MediaPackageChannel", &channel, json!({"ChannelId": channel}))
            .await,
    );
    assert_eq!(leftovers(&session).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_cdn_secret_delivered_twice() {
    let (_moto, session) = session("CdnSecret").await;
    let made = delivered_twice(
        &session,
        "MediaPackageCdnSecret",
        json!({"Name": unique("dup-secret")}),
        json!({"Name": unique("race-secret")}),
    )
    .await;
    // The audit lists secrets on one line.
    assert!(
        made.len() == 1 && made[0].starts_with("secrets ") && made[0].matches(", ").count() == 1,
        "one secret each: {made:#?}"
    );
    assert_eq!(leftovers(&session).await, Vec::<String>::new());
}
