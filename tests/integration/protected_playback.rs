//! Protected playback on `template.yaml`, played through the real binary:
//! `PlaybackAccess` switched on and off in place, the cookie issuer (the
//! binary's third role) run as its own function from the stack's
//! environment and called as CloudFront calls a function URL, and every
//! cookie it gives checked as CloudFront checks them
//! ([`testkit::cloudfront::TrustedKeys`], against the public keys the stack
//! published in its key group) and by OpenSSL. The browser side (the
//! player asking for the passcode, then playing) is in `player_browser`.

use std::path::Path;

use serde_json::Value;
use testkit::cloudfront::{Refused, TrustedKeys, UrlReply, passcode_request};
use testkit::events::now_secs as now;
use testkit::runtime_api::Outcome;
use testkit::stack::{Function, Rig, Stack};

use crate::stack::{assert_nothing_left, parameters, template, update};

const BINARY: &str = env!("CARGO_BIN_EXE_livestream-resources");
const PASSCODE: &str = "open sesame 2026";

/// Sends `passcode` to the issuer at `path` as CloudFront would, from `address`.
async fn sign_in_at(issuer: &Function, path: &str, passcode: &str, address: &str) -> UrlReply {
    let event = passcode_request(path, passcode, address);
    match issuer
        .api
        .invoke(event.to_string(), std::time::Duration::from_secs(30))
        .await
    {
        Outcome::Response(text) => UrlReply::of(&text).unwrap(),
        Outcome::Error(error) => panic!("the issuer failed: {error}"),
    }
}

/// A `template.yaml` stack's sign-in.
async fn sign_in(issuer: &Function, passcode: &str, address: &str) -> UrlReply {
    sign_in_at(issuer, "/auth/", passcode, address).await
}

fn encoded_key(stack: &Stack, logical_id: &str) -> String {
    stack.resource(logical_id).unwrap().properties["PublicKeyConfig"]["EncodedKey"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn viewer_keys(stack: &Stack) -> Vec<&str> {
    ["ViewerKeyA", "ViewerKeyB", "ViewerKeyC"]
        .into_iter()
        .filter(|id| stack.resource(id).is_some())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_cookies_let_in_only_viewers_with_the_passcode_and_survive_a_rotation() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("protected");
    let stack = player
        .create(template(), &parameters(&[]))
        .await
        .unwrap_or_else(|failure| panic!("{failure}\n{}", player.transcript().join("\n")));
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    let distribution = stack.physical_id("Distribution").unwrap().to_owned();
    assert!(
        stack.resource("CookieIssuerFunction").is_none(),
        "Open makes nothing of it"
    );
    let behaviours = |stack: &Stack| stack.resource("Distribution").unwrap().properties["DistributionConfig"].clone();
    assert!(!behaviours(&stack).to_string().contains("TrustedKeyGroups"));

    // Switched on in place: the same channel and distribution.
    let stack = update(
        &mut player,
        stack,
        &[("PlaybackAccess", "SignedCookies"), ("ViewerPasscode", PASSCODE)],
    )
    .await;
    assert_eq!(stack.physical_id("MediaLiveChannel"), Some(channel.as_str()));
    assert_eq!(stack.physical_id("Distribution"), Some(distribution.as_str()));
    assert_eq!(viewer_keys(&stack), ["ViewerKeyA", "ViewerKeyC"]);
    let group = stack.physical_id("ViewerKeyGroup").unwrap().to_owned();
    let config = behaviours(&stack);
    let trusted = |behaviour: &Value| behaviour["TrustedKeyGroups"] == serde_json::json!([group.clone()]);
    assert!(trusted(&config["DefaultCacheBehavior"]), "segments need the cookies");
    let by_path = |path: &str| -> Value {
        config["CacheBehaviors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["PathPattern"] == path)
            .cloned()
            .unwrap_or_else(|| panic!("no behaviour for {path}"))
    };
    for path in ["*.m3u8", "*.mpd", "*/Manifest", "recordings/*"] {
        assert!(trusted(&by_path(path)), "{path} needs the cookies");
    }
    for path in ["player/*", "auth/*", "recordings/index.json"] {
        assert!(by_path(path)["TrustedKeyGroups"].is_null(), "{path} stays open");
    }
    assert_eq!(by_path("auth/*")["TargetOriginId"], "viewers");
    let page = rig
        .s3_json(stack.physical_id("DemoBucket").unwrap(), "player/config.json")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page["auth"], "/auth/", "the page knows where to send the passcode");

    let issuer = rig.function(&stack, "CookieIssuerFunction").await;
    let keys = TrustedKeys::of(&stack, "ViewerKeyGroup");
    let key_a = stack.physical_id("ViewerKeyA").unwrap().to_owned();
    let manifest = "https://d1.cloudfront.net/out/v1/protected/protected/cmaf/index.m3u8";
    assert_eq!(
        keys.admits(None, manifest, now()),
        Err(Refused::MissingCookie("CloudFront-Policy")),
        "no cookie, no stream"
    );

    let refused = sign_in(&issuer, "open sesame 2025", "198.51.100.7:50000").await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.body, r#"{"message":"Not let in."}"#,
        "nothing about the passcode"
    );
    assert!(refused.cookies.is_empty());

    let let_in = sign_in(&issuer, PASSCODE, "198.51.100.7:50001").await;
    assert_eq!(let_in.status, 200, "{let_in:?}");
    assert_eq!(let_in.headers["cache-control"], "no-store");
    assert_eq!(let_in.cookies.len(), 4);
    for cookie in &let_in.cookies {
        assert!(
            cookie.ends_with("; Path=/; Secure; HttpOnly; SameSite=Strict"),
            "{cookie}"
        );
    }
    let cookies_a = let_in.cookie_header();
    assert_eq!(crate::cookies::cookie(&let_in.cookies, "CloudFront-Key-Pair-Id"), key_a);
    assert_eq!(keys.admits(Some(&cookies_a), manifest, now()), Ok(()));
    let policy = crate::cookies::openssl_checks(&let_in.cookies, &encoded_key(&stack, "ViewerKeyA"));
    let expires: u64 = serde_json::from_str::<Value>(&let_in.body).unwrap()["expires"]
        .as_u64()
        .unwrap();
    let session = expires - now();
    assert!(
        (4 * 3600 - 60..=4 * 3600).contains(&session),
        "ViewerSessionHours 4: {session} s"
    );
    assert!(policy.contains(r#""Resource":"https://*/*""#), "{policy}");
    assert_eq!(
        keys.admits(Some(&cookies_a), manifest, expires),
        Err(Refused::Expired),
        "an expired cookie is refused"
    );

    // Five wrong passcodes from one address: then even the right one waits;
    // another address is not held back.
    for _ in 0..5 {
        assert_eq!(sign_in(&issuer, "guess", "203.0.113.9:1").await.status, 403);
    }
    let limited = sign_in(&issuer, PASSCODE, "203.0.113.9:2").await;
    assert_eq!(limited.status, 429, "{limited:?}");
    assert!(limited.headers.contains_key("retry-after"));
    assert_eq!(sign_in(&issuer, PASSCODE, "203.0.113.10:1").await.status, 200);
    let logged = issuer.process.stop().await.join("\n");

    // A move to the next key: slot B made, A (which signed) kept, C gone;
    // a cookie signed before still opens the stream, one from the new key too.
    let stack = update(&mut player, stack, &[("KeyRotation", "B")]).await;
    assert_eq!(viewer_keys(&stack), ["ViewerKeyA", "ViewerKeyB"]);
    assert_eq!(
        stack.physical_id("ViewerKeyA"),
        Some(key_a.as_str()),
        "the signing key kept its id"
    );
    assert_eq!(stack.physical_id("ViewerKeyGroup"), Some(group.as_str()));
    let keys = TrustedKeys::of(&stack, "ViewerKeyGroup");
    assert_eq!(
        keys.admits(Some(&cookies_a), manifest, now()),
        Ok(()),
        "viewers already in keep watching"
    );
    let issuer = rig.function(&stack, "CookieIssuerFunction").await;
    let let_in = sign_in(&issuer, PASSCODE, "198.51.100.7:50002").await;
    assert_eq!(
        crate::cookies::cookie(&let_in.cookies, "CloudFront-Key-Pair-Id"),
        stack.physical_id("ViewerKeyB").unwrap()
    );
    let cookies_b = let_in.cookie_header();
    assert_eq!(keys.admits(Some(&cookies_b), manifest, now()), Ok(()));
    let logged = logged + &issuer.process.stop().await.join("\n");

    // A skipped slot would change a kept key in place: refused, rolled back.
    let (stack, failure) = player
        .update(stack, template(), &parameters(&[("KeyRotation", "A")]))
        .await
        .expect_err("a move back is refused");
    assert_eq!(failure.logical_id, "PlaybackKey");
    assert!(
        failure.reason.contains("KeyRotation") && failure.reason.contains("from B, C"),
        "{}",
        failure.reason
    );
    assert_eq!(viewer_keys(&stack), ["ViewerKeyA", "ViewerKeyB"]);

    // The next move retires A: its cookies no longer open anything.
    let stack = update(&mut player, stack, &[("KeyRotation", "C")]).await;
    assert_eq!(viewer_keys(&stack), ["ViewerKeyB", "ViewerKeyC"]);
    let keys = TrustedKeys::of(&stack, "ViewerKeyGroup");
    assert_eq!(
        keys.admits(Some(&cookies_a), manifest, now()),
        Err(Refused::UnknownKey(key_a.clone())),
        "a cookie of a rotated-out key is refused"
    );
    assert_eq!(keys.admits(Some(&cookies_b), manifest, now()), Ok(()));

    // Switched off in place: nothing of it left, the same channel.
    let stack = update(&mut player, stack, &[("PlaybackAccess", "Open")]).await;
    assert_eq!(stack.physical_id("MediaLiveChannel"), Some(channel.as_str()));
    assert!(viewer_keys(&stack).is_empty() && stack.resource("CookieIssuerFunction").is_none());
    assert!(!behaviours(&stack).to_string().contains("TrustedKeyGroups"));
    let page = rig
        .s3_json(stack.physical_id("DemoBucket").unwrap(), "player/config.json")
        .await
        .unwrap()
        .unwrap();
    assert!(page.get("auth").is_none(), "{page}");

    // No passcode and no private key in any answer, transcript or log line.
    let transcript = player.transcript().join("\n");
    let handler_log = rig.lambda.printed().join("\n");
    for (what, text) in [
        ("transcript", &transcript),
        ("handler log", &handler_log),
        ("issuer log", &logged),
    ] {
        assert!(!text.contains(PASSCODE), "the passcode is in the {what}");
        assert!(!text.contains("PRIVATE KEY"), "a private key is in the {what}");
    }
    assert!(
        logged.contains("let a viewer in"),
        "the issuer says what it did: {logged}"
    );

    // The issuer's reads were judged by its own role (and allowed, below).
    let judged = rig.iam_report().by_role();
    assert!(
        judged.keys().any(|role| role.contains("CookieIssuerRole")),
        "the issuer's calls went unjudged: {judged:?}"
    );

    let failures = player.delete(stack).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_nothing_left(&rig).await;
}

/// Sends `passcode` for `event` to a foundation's issuer.
async fn sign_in_to(issuer: &Function, event: &str, passcode: &str) -> UrlReply {
    sign_in_at(issuer, &format!("/auth/{event}"), passcode, "192.0.2.1:443").await
}

/// A foundation's cookies open one event: its own passcode when it has
/// one (the foundation's then does not open it), the foundation's
/// otherwise; a cookie for one event opens neither another event's stream
/// nor its recordings.
#[tokio::test(flavor = "multi_thread")]
async fn a_foundations_cookie_opens_one_event_and_not_another() {
    const OWN: &str = "keynote only 2026";
    let (rig, mut player, foundation) = crate::live_events::foundation_with(
        "venue",
        &[("PlaybackAccess", "SignedCookies"), ("ViewerPasscode", PASSCODE)],
    )
    .await;
    let mut keynote = rig.event_player("keynote", &foundation).await;
    let mut given = crate::live_events::sample(&foundation, "keynote");
    given.push(("ViewerPasscode".to_owned(), OWN.to_owned()));
    let keynote_stack = keynote
        .create(testkit::live_events::template("event.yaml").unwrap(), &given)
        .await
        .unwrap_or_else(|failure| panic!("{failure}\n{}", keynote.transcript().join("\n")));
    let mut workshop = rig.event_player("workshop", &foundation).await;
    let workshop_stack = workshop
        .create(
            testkit::live_events::template("event.yaml").unwrap(),
            &crate::live_events::sample(&foundation, "workshop"),
        )
        .await
        .unwrap_or_else(|failure| panic!("{failure}\n{}", workshop.transcript().join("\n")));
    assert!(workshop_stack.resource("EventPasscodeSecret").is_none());
    let page = rig
        .s3_json(foundation.physical_id("DemoBucket").unwrap(), "player/config.json")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        page["auth"], "/auth/",
        "the page sends each event's passcode to /auth/<event>"
    );

    let issuer = rig.function(&foundation, "CookieIssuerFunction").await;
    let keys = TrustedKeys::of(&foundation, "ViewerKeyGroup");
    let live = |event: &str| format!("https://d1.cloudfront.net/out/v1/venue/{event}/cmaf/index.m3u8");
    let recorded =
        |event: &str| format!("https://d1.cloudfront.net/recordings/{event}/20261205T100000Z/part-1/index.m3u8");

    assert_eq!(
        sign_in_to(&issuer, "keynote", PASSCODE).await.status,
        403,
        "its own passcode replaces the foundation's"
    );
    let keynote_in = sign_in_to(&issuer, "keynote", OWN).await;
    assert_eq!(keynote_in.status, 200, "{keynote_in:?}");
    assert_eq!(
        sign_in_to(&issuer, "workshop", OWN).await.status,
        403,
        "one event's passcode opens no other"
    );
    let workshop_in = sign_in_to(&issuer, "workshop", PASSCODE).await;
    assert_eq!(workshop_in.status, 200, "{workshop_in:?}");
    assert_eq!(sign_in_to(&issuer, "no such/event", PASSCODE).await.status, 403);

    let (keynote_cookie, workshop_cookie) = (keynote_in.cookie_header(), workshop_in.cookie_header());
    for (cookie, opens, not) in [
        (&keynote_cookie, "keynote", "workshop"),
        (&workshop_cookie, "workshop", "keynote"),
    ] {
        assert_eq!(
            keys.admits(Some(cookie), &live(opens), now()),
            Ok(()),
            "{opens}'s stream"
        );
        assert_eq!(
            keys.admits(Some(cookie), &recorded(opens), now()),
            Ok(()),
            "{opens}'s recordings"
        );
        assert_eq!(
            keys.admits(Some(cookie), &live(not), now()),
            Err(Refused::NotThisResource),
            "{opens}'s cookie opens {not}'s stream"
        );
        assert_eq!(
            keys.admits(Some(cookie), &recorded(not), now()),
            Err(Refused::NotThisResource)
        );
    }
    let logged = issuer.process.stop().await.join("\n");
    for secret in [PASSCODE, OWN, "PRIVATE KEY"] {
        assert!(!logged.contains(secret), "{secret:?} in the issuer's log");
    }

    for (mut event_player, stack) in [(keynote, keynote_stack), (workshop, workshop_stack)] {
        let failures = event_player.delete(stack).await;
        assert!(failures.is_empty(), "{failures:?}");
    }
    let failures = player.delete(foundation).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_nothing_left(&rig).await;
}
