//! Where the browser goes after signing in: a local path only, so that a
//! link to `/login?return_to=…` cannot send a user to another site.

/// The longest `return_to` kept.
const MAX_LENGTH: usize = 2048;

/// `candidate` when it is a path on this site (`/`, `/orders?page=2`),
/// `/` otherwise: no scheme, no host (`//evil.example`), no backslash
/// (`/\evil.example`, which browsers read as `//`), no control or space
/// characters, at most 2 KiB.
pub(crate) fn local_path(candidate: Option<&str>) -> String {
    match candidate {
        Some(path) if is_local(path) => path.to_owned(),
        _ => "/".to_owned(),
    }
}

fn is_local(path: &str) -> bool {
    path.len() <= MAX_LENGTH
        && path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.bytes().all(|byte| byte.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_kept() {
        for good in [
            "/",
            "/orders",
            "/orders?page=2&sort=asc",
            "/a/b#frag",
            "/%2F%2Fx",
        ] {
            assert_eq!(local_path(Some(good)), good, "{good}");
        }
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\\/evil.example",
            "evil.example",
            "",
            "/ space",
            "/\tx",
            "/\nx",
            "javascript:alert(1)",
            "/é",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
        assert_eq!(local_path(Some(&format!("/{}", "a".repeat(3000)))), "/");
    }
}
