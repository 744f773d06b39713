//! HTTP trigger routing with Spin's semantics (`crates/routes` in Spin, matcher `routefinder`).
//!
//! A route is a list of segments — exact text or `:name` — optionally ending in a trailing
//! wildcard (`/...`, or the undocumented `/*`). Among the routes that match a path, the best is
//! found by comparing segment kinds left to right (exact > `:name` > wildcard); the first
//! difference decides and, when all shared segments are equal, the shorter route wins. Identical
//! route strings replace each other: the last one in the manifest wins.

use std::cmp::Ordering;

/// One parsed route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern {
    /// The route as written in the manifest (before normalisation).
    pub raw: String,
    /// The route normalised: leading `/`, one trailing `/` stripped.
    pub normalised: String,
    segments: Vec<Segment>,
    wildcard: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Exact(String),
    Param(String),
}

/// Segment kinds in precedence order: an earlier variant is a better match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Exact,
    Param,
    Wildcard,
}

impl RoutePattern {
    /// Parses a manifest route string.
    pub fn parse(raw: &str) -> RoutePattern {
        let mut normalised = if raw.starts_with('/') { raw.to_string() } else { format!("/{raw}") };
        if normalised.len() > 1 && normalised.ends_with('/') {
            normalised.pop();
        }
        let mut parts: Vec<&str> = normalised.split('/').skip(1).collect();
        let wildcard = matches!(parts.last(), Some(&"...") | Some(&"*"));
        if wildcard {
            parts.pop();
        }
        let segments = parts
            .into_iter()
            .filter(|p| !p.is_empty())
            .map(|p| match p.strip_prefix(':') {
                Some(name) => Segment::Param(name.to_string()),
                None => Segment::Exact(p.to_string()),
            })
            .collect();
        RoutePattern { raw: raw.to_string(), normalised, segments, wildcard }
    }

    /// The route without its trailing wildcard, as Spin reports it in `spin-component-route`.
    pub fn component_route(&self) -> String {
        if self.wildcard {
            let base = self.normalised.trim_end_matches("...").trim_end_matches('*').trim_end_matches('/');
            base.to_string()
        } else {
            self.normalised.clone()
        }
    }

    /// Whether the route reserves a prefix Spin keeps for itself.
    pub fn is_reserved(&self) -> bool {
        self.normalised.starts_with("/.well-known/spin")
    }

    fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Exact(_) => Kind::Exact,
                Segment::Param(_) => Kind::Param,
            })
            .chain(self.wildcard.then_some(Kind::Wildcard))
    }

    /// Precedence between two routes that both match: `Less` means `self` is the better match.
    fn precedence(&self, other: &RoutePattern) -> Ordering {
        for (a, b) in self.kinds().zip(other.kinds()) {
            match a.cmp(&b) {
                Ordering::Equal => continue,
                decided => return decided,
            }
        }
        self.kinds().count().cmp(&other.kinds().count())
    }

    /// Matches a request path (no query). Returns the named captures and the path info.
    fn matches(&self, path: &str) -> Option<(Vec<(String, String)>, String)> {
        let mut pos = 0;
        let mut captures = Vec::new();
        for seg in &self.segments {
            // Each segment must be introduced by a slash and hold the route's text (or, for a
            // `:name`, any non-empty text).
            if path.as_bytes().get(pos) != Some(&b'/') {
                return None;
            }
            pos += 1;
            let end = path[pos..].find('/').map_or(path.len(), |i| pos + i);
            let piece = &path[pos..end];
            match seg {
                Segment::Exact(text) if text == piece => {}
                Segment::Param(name) if !piece.is_empty() => captures.push((name.clone(), piece.to_string())),
                _ => return None,
            }
            pos = end;
        }
        let rest = &path[pos..];
        if self.wildcard {
            Some((captures, rest.to_string()))
        } else if rest.is_empty() || rest == "/" {
            Some((captures, String::new()))
        } else {
            None
        }
    }
}

/// What a route leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A component, by id.
    Component(String),
    /// A fixed response defined in the manifest (index into the trigger list).
    Static(usize),
}

/// A route and what it leads to.
#[derive(Debug, Clone)]
pub struct Route {
    /// The parsed pattern.
    pub pattern: RoutePattern,
    /// Where matching requests go.
    pub target: Target,
}

/// The result of routing one request.
#[derive(Debug, Clone)]
pub struct RouteMatch<'a> {
    /// The route that won.
    pub route: &'a Route,
    /// `:name` captures in order.
    pub captures: Vec<(String, String)>,
    /// The part of the path matched by a trailing wildcard (`""` for exact routes).
    pub path_info: String,
}

/// A warning produced while building the router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateRoute {
    /// The route string.
    pub route: String,
    /// The target that was replaced.
    pub replaced: Target,
    /// The target that now serves the route.
    pub effective: Target,
}

/// All public routes of an application.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    /// Builds a router; identical routes replace earlier ones (returned as warnings).
    pub fn build(routes: impl IntoIterator<Item = (String, Target)>) -> (Router, Vec<DuplicateRoute>) {
        let mut out: Vec<Route> = Vec::new();
        let mut warnings = Vec::new();
        for (raw, target) in routes {
            let pattern = RoutePattern::parse(&raw);
            if let Some(existing) = out.iter_mut().find(|r| r.pattern.normalised == pattern.normalised) {
                warnings.push(DuplicateRoute {
                    route: pattern.normalised.clone(),
                    replaced: existing.target.clone(),
                    effective: target.clone(),
                });
                *existing = Route { pattern, target };
            } else {
                out.push(Route { pattern, target });
            }
        }
        (Router { routes: out }, warnings)
    }

    /// Finds the best route for a path.
    pub fn route(&self, path: &str) -> Option<RouteMatch<'_>> {
        let mut best: Option<RouteMatch<'_>> = None;
        for route in &self.routes {
            let Some((captures, path_info)) = route.pattern.matches(path) else { continue };
            let better = match &best {
                None => true,
                Some(b) => route.pattern.precedence(&b.route.pattern) == Ordering::Less,
            };
            if better {
                best = Some(RouteMatch { route, captures, path_info });
            }
        }
        best
    }

    /// The routes, in manifest order (after duplicates were replaced).
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[&str]) -> Router {
        Router::build(routes.iter().map(|r| (r.to_string(), Target::Component(r.to_string())))).0
    }

    fn winner(routes: &[&str], path: &str) -> Option<String> {
        router(routes).route(path).map(|m| m.route.pattern.raw.clone())
    }

    #[test]
    fn exact_routes_match_only_themselves_and_a_trailing_slash() {
        assert_eq!(winner(&["/cart"], "/cart").as_deref(), Some("/cart"));
        assert_eq!(winner(&["/cart"], "/cart/").as_deref(), Some("/cart"));
        assert_eq!(winner(&["/cart"], "/cart/x"), None);
        assert_eq!(winner(&["/cart"], "/car"), None);
    }

    #[test]
    fn trailing_wildcards_match_the_prefix_and_below() {
        let r = ["/users/..."];
        for p in ["/users", "/users/", "/users/1/edit"] {
            assert_eq!(winner(&r, p).as_deref(), Some("/users/..."), "{p}");
        }
        assert_eq!(winner(&r, "/usersx"), None);
        assert_eq!(winner(&["/..."], "/").as_deref(), Some("/..."));
    }

    #[test]
    fn precedence_follows_spin() {
        assert_eq!(winner(&["/users/...", "/users/admin"], "/users/admin").as_deref(), Some("/users/admin"));
        assert_eq!(
            winner(&["/one/...", "/one/two/three/..."], "/one/two/three/four").as_deref(),
            Some("/one/two/three/...")
        );
        assert_eq!(winner(&["/foo/...", "/foo"], "/foo").as_deref(), Some("/foo"));
        assert_eq!(winner(&["/a/:x/c", "/a/b/..."], "/a/b/c").as_deref(), Some("/a/b/..."));
        assert_eq!(winner(&["/a/...", "/a/:x"], "/a/z").as_deref(), Some("/a/:x"));
        assert_eq!(winner(&["/...", "/a/:x"], "/a/z").as_deref(), Some("/a/:x"));
    }

    #[test]
    fn path_info_and_captures_are_reported() {
        let r = router(&["/users/:userid/cart/...", "/cart", "/..."]);
        let m = r.route("/users/1/cart/items/3/edit").unwrap();
        assert_eq!(m.captures, vec![("userid".to_string(), "1".to_string())]);
        assert_eq!(m.path_info, "/items/3/edit");
        assert_eq!(m.route.pattern.component_route(), "/users/:userid/cart");
        assert_eq!(r.route("/users/1/cart").unwrap().path_info, "");
        assert_eq!(r.route("/users/1/cart/").unwrap().path_info, "/");
        assert_eq!(r.route("/cart").unwrap().path_info, "");
        assert_eq!(r.route("/cart/").unwrap().path_info, "");
        let root = r.route("/").unwrap();
        assert_eq!(root.path_info, "/");
        assert_eq!(root.route.pattern.component_route(), "");
        assert_eq!(r.route("/x/y/").unwrap().path_info, "/x/y/");
    }

    #[test]
    fn duplicates_keep_the_last_and_warn() {
        let (r, warnings) = Router::build(vec![
            ("/dup".to_string(), Target::Component("first".into())),
            ("/dup/".to_string(), Target::Component("second".into())),
        ]);
        assert_eq!(r.route("/dup").unwrap().route.target, Target::Component("second".into()));
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn relative_routes_get_a_leading_slash_and_star_is_a_wildcard() {
        assert_eq!(winner(&["hello"], "/hello").as_deref(), Some("hello"));
        assert_eq!(winner(&["/x/*"], "/x/y/z").as_deref(), Some("/x/*"));
    }
}
