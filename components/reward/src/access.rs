//! Org paths as rewards need them. Who is calling and what they may do where is `kit`'s
//! (`kit::authenticate`, `kit::gate`, `kit::Scope`), through `wenming:identity/identity`.

/// The org path and every ancestor's: `/1/4/17/` → `/1/`, `/1/4/`, `/1/4/17/`. A volunteer
/// may redeem at their home org and every org above it (the county's supermarket included).
pub fn ancestors(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut acc = String::from("/");
    for part in path.split('/').filter(|s| !s.is_empty()) {
        acc.push_str(part);
        acc.push('/');
        out.push(acc.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_run_from_the_root_to_the_org_itself() {
        assert_eq!(ancestors("/1/4/17/"), vec!["/1/", "/1/4/", "/1/4/17/"]);
        assert_eq!(ancestors("/1/"), vec!["/1/"]);
        assert!(ancestors("/").is_empty());
    }
}
