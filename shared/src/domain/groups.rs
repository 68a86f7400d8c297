//! The groups an invite adds its invitee to.

use serde::Serialize;

use super::{GroupId, TenantId};

/// The most groups one invite (or invite link) may name, as the client documents.
pub const MAX_GROUPS: usize = 10;

/// A group of a tenant, as this service sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub id: GroupId,
    pub tenant_id: TenantId,
    pub name: String,
}

/// At most [`MAX_GROUPS`] distinct group ids, in the order first given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct GroupIds(Vec<GroupId>);

/// More than [`MAX_GROUPS`] distinct groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("at most {MAX_GROUPS} groups")]
pub struct TooManyGroups;

impl GroupIds {
    /// Repeated ids count once.
    pub fn new(ids: impl IntoIterator<Item = GroupId>) -> Result<Self, TooManyGroups> {
        let mut distinct: Vec<GroupId> = Vec::new();
        for id in ids {
            if !distinct.contains(&id) {
                if distinct.len() == MAX_GROUPS {
                    return Err(TooManyGroups);
                }
                distinct.push(id);
            }
        }
        Ok(Self(distinct))
    }

    pub fn iter(&self) -> impl Iterator<Item = GroupId> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_and_bounded() {
        let one = GroupId::new_random();
        let ids = GroupIds::new([one, one, GroupId::new_random()]).unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids.iter().next(), Some(one));
        let many: Vec<GroupId> = (0..=MAX_GROUPS).map(|_| GroupId::new_random()).collect();
        assert_eq!(GroupIds::new(many.clone()), Err(TooManyGroups));
        assert!(GroupIds::new(many[..MAX_GROUPS].to_vec()).is_ok());
    }
}
