//! Domain types. Each is parsed once at the edge and cannot hold an invalid value afterwards.

mod delivery;
mod directory;
mod email;
mod groups;
mod ids;
mod invite;
mod list_query;
mod role;
mod time;

pub use delivery::{
    Delivery, DeliveryStatus, Suppression, SuppressionReason, EMAIL_ID_TAG, INVITE_ID_TAG,
    MAX_DETAIL_CHARS,
};
pub use directory::{
    ApiKey, InviteLinkSettings, LinkRole, Membership, Tenant, TenantSettings, User,
};
pub use email::{EmailAddress, InvalidEmail, MAX_EMAIL_LEN};
pub use groups::{Group, GroupIds, TooManyGroups, MAX_GROUPS};
pub use ids::{EmailId, GroupId, InviteId, TenantId, UserId};
pub use invite::{Invite, InviteStatus};
pub use list_query::{
    InviteListQuery, ListCursor, SortDirection, SortField, TimeRange, DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE, MIN_PAGE_SIZE,
};
pub use role::Role;
pub use time::{Clock, Timestamp};
