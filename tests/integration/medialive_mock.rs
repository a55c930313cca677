//! MediaLive behaviour shown with the SDK's mock client.

use crate::common::*;
use aws_sdk_medialive::operation::create_input::CreateInputError;
use aws_sdk_medialive::operation::create_input_security_group::CreateInputSecurityGroupOutput;
use aws_sdk_medialive::operation::delete_input_security_group::DeleteInputSecurityGroupOutput;
use aws_sdk_medialive::operation::list_input_security_groups::ListInputSecurityGroupsOutput;
use aws_sdk_medialive::types::InputSecurityGroup;
use aws_sdk_medialive::types::error::BadRequestException;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;
use livestream_resources::Clients;
use livestream_resources::cfn::response::is_sentinel;
use serde_json::json;
use testkit::events::event;
use testkit::receiver::Receiver;

#[tokio::test]
async fn a_failed_create_input_removes_the_security_group_it_made() {
    let no_groups = mock!(aws_sdk_medialive::Client::list_input_security_groups)
        .then_output(|| ListInputSecurityGroupsOutput::builder().build());
    let make_group = mock!(aws_sdk_medialive::Client::create_input_security_group).then_output(|| {
        CreateInputSecurityGroupOutput::builder()
            .security_group(InputSecurityGroup::builder().id("4242").build())
            .build()
    });
    let refuse_input = mock!(aws_sdk_medialive::Client::create_input).then_error(|| {
        let meta = ErrorMetadata::builder()
            .code("BadRequestException")
            .message("input limit reached")
            .build();
        CreateInputError::BadRequestException(BadRequestException::builder().meta(meta).build())
    });
    let remove_group = mock!(aws_sdk_medialive::Client::delete_input_security_group)
        .match_requests(|request| request.input_security_group_id() == Some("4242"))
        .then_output(|| DeleteInputSecurityGroupOutput::builder().build());
    let rules = [&no_groups, &make_group, &refuse_input, &remove_group];
    let (clients, fake_aws) = recording_clients().await;
    let clients = Clients {
        medialive: mock_client!(aws_sdk_medialive, RuleMode::MatchAny, &rules),
        ..clients
    };
    let receiver = Receiver::start().await;
    let app = app(clients, &receiver);
    let props = json!({"Type": "RTP_PUSH", "Cidr": "203.0.113.0/24"});
    let response = answer(
        &app,
        &receiver,
        event("Create", "MediaLiveInput", props, &receiver.url()),
    )
    .await;
    assert_eq!(response["Status"], "FAILED");
    assert_eq!(
        reason(&response),
        "CreateInput: BadRequestException: input limit reached"
    );
    assert!(
        is_sentinel(response["PhysicalResourceId"].as_str().unwrap()),
        "nothing is left, so nothing to roll back"
    );
    assert_eq!(
        (make_group.num_calls(), remove_group.num_calls()),
        (1, 1),
        "the group was made and removed"
    );
    assert!(fake_aws.requests().is_empty(), "no other service was called");
}
