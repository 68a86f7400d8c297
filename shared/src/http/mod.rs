//! HTTP edge: parsing requests into typed input and mapping errors to responses.

mod error;
mod input;

pub use error::{error_chain, json_response, no_content, ApiError, ValidationIssue};
pub use input::{
    body_bytes, ensure_body_within, parse_create_invite, parse_invite_id, parse_list_invites,
    CreateInviteInput, ListInvitesInput,
};
