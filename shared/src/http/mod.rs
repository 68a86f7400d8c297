//! HTTP edge: FastAPI-shaped validation issues, request helpers every endpoint uses, and the
//! one mapping from errors to responses.

mod error;
mod groups;
mod response;
mod validation;

pub use error::{error_chain, ApiError, Invalid, ValidationIssue, REQUEST_ID_HEADER};
pub use groups::{parse_groups, unknown_groups};
pub use response::{json_response, no_content};
pub use validation::{
    body_bytes, ensure_body_within, enum_issue, json_object, loc, missing, parse_invite_id,
    parse_uuid,
};
