//! The keys a manifest names, checked and matched to the delivery's files.

use std::collections::HashSet;

/// A key names a file inside a bucket: relative, no empty, `.` or `..`
/// parts, no backslash or NUL. Anything else is refused, whatever it
/// would match.
pub(super) fn is_safe(key: &str) -> bool {
    !key.is_empty()
        && !key.contains(['\\', '\0'])
        && key.split('/').all(|p| !matches!(p, "" | "." | ".."))
}

/// The delivery's data files, to find the one a key names.
pub(super) struct Index<'a> {
    files: HashSet<&'a str>,
    /// S3: the key is the path. A folder: the file whose path the key
    /// ends with, at a `/`, the longest such.
    exact: bool,
}

impl<'a> Index<'a> {
    pub fn new(files: &'a [String], exact: bool) -> Index<'a> {
        Index {
            files: files.iter().map(String::as_str).collect(),
            exact,
        }
    }

    pub fn find(&self, key: &str) -> Option<&'a str> {
        if self.exact {
            return self.files.get(key).copied();
        }
        let mut rest = key;
        loop {
            if let Some(found) = self.files.get(rest) {
                return Some(found);
            }
            rest = rest.split_once('/')?.1;
        }
    }
}

/// Whether `path` lies under `folder` ("" is the whole delivery).
pub(super) fn under(path: &str, folder: &str) -> bool {
    folder.is_empty()
        || path
            .strip_prefix(folder)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The folder right below `folder` that holds `path`, if it is deeper:
/// the version folder of a file (an assembly id, an execution's folder).
pub(super) fn version_folder<'p>(path: &'p str, folder: &str) -> Option<&'p str> {
    let rest = if folder.is_empty() {
        path
    } else {
        path.strip_prefix(folder)?.strip_prefix('/')?
    };
    rest.split_once('/').map(|(first, _)| first)
}
