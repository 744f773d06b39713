//! Where an org sits in the county's tree (中心 → 所 → 站 → 点), as a materialised path: the ids
//! from the root down, each followed by `/`, e.g. `/1/4/17/`. A subtree is then a range of
//! paths, which an index answers without walking the tree.

use std::fmt;

/// Why a text is not an org path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an org path is positive ids each between slashes, e.g. /1/4/17/")]
pub struct NotAPath;

/// A materialised org path: `/`, then one or more positive ids each followed by `/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrgPath(String);

impl OrgPath {
    /// Parses a stored path exactly (`/1/4/17/`: no empty, signed, zero or zero-padded ids).
    pub fn parse(s: &str) -> Result<OrgPath, NotAPath> {
        let inner = s.strip_prefix('/').and_then(|r| r.strip_suffix('/')).ok_or(NotAPath)?;
        let ok = !inner.is_empty()
            && inner.split('/').all(|id| {
                !id.is_empty()
                    && !id.starts_with('0')
                    && id.bytes().all(|b| b.is_ascii_digit())
                    && id.parse::<i64>().is_ok()
            });
        ok.then(|| OrgPath(s.to_string())).ok_or(NotAPath)
    }

    /// The path of a root org.
    pub fn root(id: i64) -> OrgPath {
        OrgPath(format!("/{id}/"))
    }

    /// The path of this org's child `id`.
    pub fn child(&self, id: i64) -> OrgPath {
        OrgPath(format!("{}{id}/", self.0))
    }

    /// The text, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ids on the path, root first: `/1/4/17/` → `[1, 4, 17]`.
    pub fn ids(&self) -> Vec<i64> {
        self.0.split('/').filter_map(|s| s.parse().ok()).collect()
    }

    /// This org's own id (the last on the path).
    pub fn id(&self) -> i64 {
        *self.ids().last().expect("a parsed path has an id")
    }

    /// How far below the root the org is: a root is 0.
    pub fn depth(&self) -> usize {
        self.0.matches('/').count() - 2
    }

    /// The parent's path; `None` for a root.
    pub fn parent(&self) -> Option<OrgPath> {
        let without_last = self.0[..self.0.len() - 1].rfind('/')?;
        (without_last > 0).then(|| OrgPath(self.0[..=without_last].to_string()))
    }

    /// Whether `other` is this org or below it (the subtree this path heads contains it).
    pub fn contains(&self, other: &OrgPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// Whether this org is strictly above `other`.
    pub fn is_ancestor_of(&self, other: &OrgPath) -> bool {
        self.contains(other) && self != other
    }

    /// The half-open range of paths in this subtree (`/1/4/` → [`/1/4/`, `/1/40`)): use as
    /// `path >= ? AND path < ?`. `0` is the character after `/`, so `/1/4/…` falls inside and the
    /// sibling `/1/40/` does not.
    pub fn subtree_bounds(&self) -> (String, String) {
        let stem = &self.0[..self.0.len() - 1];
        (self.0.clone(), format!("{stem}0"))
    }
}

impl fmt::Display for OrgPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> OrgPath {
        OrgPath::parse(s).unwrap_or_else(|_| panic!("{s}"))
    }

    #[test]
    fn paths_are_parsed_exactly() {
        assert_eq!(p("/1/4/17/").ids(), vec![1, 4, 17]);
        assert_eq!(p("/1/4/17/").id(), 17);
        for bad in [
            "",
            "/",
            "//",
            "1/4/",
            "/1/4",
            "/1//4/",
            "/1/x/",
            "/1/04/",
            "/0/",
            "/-1/",
            "/+1/",
            "/1/99999999999999999999/",
        ] {
            assert_eq!(OrgPath::parse(bad), Err(NotAPath), "{bad}");
        }
        assert_eq!(OrgPath::root(1).child(4).child(17), p("/1/4/17/"));
    }

    #[test]
    fn depth_and_parent() {
        assert_eq!((p("/1/").depth(), p("/1/4/").depth(), p("/1/4/17/").depth()), (0, 1, 2));
        assert_eq!(p("/1/4/17/").parent(), Some(p("/1/4/")));
        assert_eq!(p("/1/4/").parent(), Some(p("/1/")));
        assert_eq!(p("/1/").parent(), None);
    }

    #[test]
    fn ancestry_is_by_whole_ids() {
        let (centre, institute, station) = (p("/1/"), p("/1/4/"), p("/1/4/17/"));
        assert!(centre.is_ancestor_of(&station) && institute.is_ancestor_of(&station));
        assert!(institute.contains(&institute) && !institute.is_ancestor_of(&institute));
        assert!(!station.contains(&institute));
        assert!(!institute.contains(&p("/1/40/")));
    }

    #[test]
    fn subtree_bounds_cover_the_subtree_only() {
        let (lo, hi) = p("/1/4/").subtree_bounds();
        let inside = |s: &str| s >= lo.as_str() && s < hi.as_str();
        assert!(inside("/1/4/") && inside("/1/4/17/") && inside("/1/4/9/"));
        assert!(!inside("/1/40/") && !inside("/1/") && !inside("/1/5/") && !inside("/1/3/"));
    }
}
