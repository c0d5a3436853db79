//! Expanding the arguments into the inputs to read: folders walked in name
//! order, every entry met either an input or a row that says why it is
//! not read, each file once however it was reached, and display names
//! that tell files apart.
//!
//! Display names (see `docs/formats.md`, "Inputs"):
//! - a file named on the command line is shown as given;
//! - a file found in the one folder argument is shown relative to it;
//! - with several folder arguments, files are shown relative to the
//!   folders' common parent (`hostA/ hostB/` gives `hostA/access.log` and
//!   `hostB/access.log`);
//! - a name still shared by two different files is replaced, for the file
//!   found in a folder, by its path as found (folder argument joined with
//!   the path under it).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::object::{self, KeyWindow};
use super::{InputError, InputFile, NotRead, Origin, Warning};

/// One entry of a folder, before it is named.
struct Found {
    path: PathBuf,
    /// Relative to the folder argument.
    rel: String,
    what: FoundKind,
}

enum FoundKind {
    File {
        size: u64,
        mtime: Option<i64>,
        id: Option<FileId>,
    },
    NotRead(NotRead),
}

/// What identifies a file or folder however it is reached (links, paths
/// given twice): device and inode on Unix.
#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = PathBuf;

#[cfg(unix)]
fn file_id(path: &Path, meta: &fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let _ = path;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(path: &Path, _: &fs::Metadata) -> Option<FileId> {
    fs::canonicalize(path).ok()
}

/// One argument, expanded.
enum Arg {
    Stdin,
    File {
        given: String,
        size: u64,
        mtime: Option<i64>,
        id: Option<FileId>,
    },
    Folder {
        given: String,
        found: Vec<Found>,
    },
    /// An `s3://` URL: its objects, listed (named by their URLs).
    Remote {
        given: String,
        listed: Vec<InputFile>,
    },
}

/// Expands the arguments into the files to read, in a stable order.
pub fn expand(args: &[String]) -> Result<(Vec<InputFile>, Vec<Warning>), InputError> {
    expand_in(args, KeyWindow::default())
}

/// [`expand`], with objects under an `s3://` prefix whose key's time lies
/// outside `window` (± one interval) left out of the listing (and
/// counted in a warning).
pub fn expand_in(
    args: &[String],
    window: KeyWindow,
) -> Result<(Vec<InputFile>, Vec<Warning>), InputError> {
    if args.is_empty() {
        return Err(InputError::NoInput);
    }
    let mut warnings = Vec::new();
    let mut expanded = Vec::new();
    let mut folders_seen: HashMap<FileId, String> = HashMap::new();
    for arg in args {
        if arg == "-" {
            expanded.push(Arg::Stdin);
            continue;
        }
        if object::is_url(arg) {
            let listed = object::list(arg, window)?;
            warnings.extend(listed.warnings);
            expanded.push(Arg::Remote {
                given: arg.clone(),
                listed: listed.files,
            });
            continue;
        }
        let path = Path::new(arg);
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(InputError::Missing { path: arg.clone() })
            }
            Err(e) => {
                return Err(InputError::Unreadable {
                    path: arg.clone(),
                    source: e,
                })
            }
        };
        if meta.is_dir() {
            if let Some(id) = file_id(path, &meta) {
                if let Some(first) = folders_seen.get(&id) {
                    warnings.push(Warning {
                        path: arg.clone(),
                        message: format!("the same folder as {first}: read once"),
                    });
                    continue;
                }
                folders_seen.insert(id, arg.clone());
            }
            let mut visited = HashSet::new();
            let mut found = Vec::new();
            walk(path, &mut found, &mut visited);
            expanded.push(Arg::Folder {
                given: arg.clone(),
                found,
            });
        } else if meta.is_file() {
            expanded.push(Arg::File {
                given: arg.clone(),
                size: meta.len(),
                mtime: mtime_secs(&meta),
                id: file_id(path, &meta),
            });
        } else {
            return Err(InputError::Special { path: arg.clone() });
        }
    }
    let files = name_and_dedupe(expanded, &mut warnings);
    Ok((files, warnings))
}

/// Names every input and keeps one of each file.
fn name_and_dedupe(args: Vec<Arg>, warnings: &mut Vec<Warning>) -> Vec<InputFile> {
    let roots: Vec<&str> = args
        .iter()
        .filter_map(|a| match a {
            Arg::Folder { given, .. } => Some(given.as_str()),
            _ => None,
        })
        .collect();
    let base = common_parent(&roots);
    let mut files: Vec<InputFile> = Vec::new();
    // Index of the input already holding a file, by identity.
    let mut by_id: HashMap<FileId, usize> = HashMap::new();
    let mut stdin_seen = false;
    // Index of the input holding an object, by URL.
    let mut by_url: HashMap<String, usize> = HashMap::new();
    for arg in args {
        match arg {
            Arg::Remote { given, listed } => {
                let mut again = 0usize;
                for f in listed {
                    if let Some(&i) = by_url.get(&f.display) {
                        files[i].explicit |= f.explicit;
                        again += 1;
                        continue;
                    }
                    by_url.insert(f.display.clone(), files.len());
                    files.push(f);
                }
                if again > 0 {
                    warnings.push(Warning {
                        path: given,
                        message: format!(
                            "{again} object{} already found through an earlier argument: read once",
                            if again == 1 { "" } else { "s" }
                        ),
                    });
                }
            }
            Arg::Stdin => {
                if !stdin_seen {
                    stdin_seen = true;
                    files.push(InputFile::new("-".to_string(), Origin::Stdin, true));
                }
            }
            Arg::File {
                given,
                size,
                mtime,
                id,
            } => {
                if let Some(&i) = id.as_ref().and_then(|id| by_id.get(id)) {
                    files[i].explicit = true;
                    warnings.push(Warning {
                        path: given.clone(),
                        message: format!("the same file as {}: read once", files[i].display),
                    });
                    continue;
                }
                let mut f = InputFile::new(given.clone(), Origin::Path(given.into()), true);
                f.size = size;
                f.mtime = mtime;
                if let Some(id) = id {
                    by_id.insert(id, files.len());
                }
                files.push(f);
            }
            Arg::Folder { given, found } => {
                let prefix = base
                    .as_ref()
                    .map(|(b, absolute)| relative_prefix(b, *absolute, &given))
                    .unwrap_or_default();
                let mut again = 0usize;
                let mut by_name = 0usize;
                for f in found {
                    let display = if prefix.is_empty() {
                        f.rel
                    } else {
                        format!("{prefix}/{}", f.rel)
                    };
                    let mut input = InputFile::new(display, Origin::Path(f.path), false);
                    match f.what {
                        FoundKind::File { size, mtime, id } => {
                            if let Some(id) = id {
                                if by_id.contains_key(&id) {
                                    again += 1;
                                    continue;
                                }
                                by_id.insert(id, files.len());
                            }
                            input.size = size;
                            input.mtime = mtime;
                        }
                        FoundKind::NotRead(n) => {
                            by_name += n.quiet as usize;
                            input.not_read = Some(n);
                        }
                    }
                    files.push(input);
                }
                if again > 0 {
                    warnings.push(Warning {
                        path: given.clone(),
                        message: format!(
                            "{again} file{} already found through an earlier argument: read once",
                            if again == 1 { "" } else { "s" }
                        ),
                    });
                }
                if by_name > 0 {
                    warnings.push(Warning {
                        path: given.clone(),
                        message: format!(
                            "{by_name} file{} not read for {} name (hidden files, images, documents…; `postmortem formats` lists them)",
                            if by_name == 1 { "" } else { "s" },
                            if by_name == 1 { "its" } else { "their" }
                        ),
                    });
                }
            }
        }
    }
    make_unique(&mut files);
    files
}

/// Names shared by two inputs: a file found in a folder takes its path as
/// found; anything still shared gets a number.
fn make_unique(files: &mut [InputFile]) {
    let mut count: HashMap<String, usize> = HashMap::new();
    for f in files.iter() {
        *count.entry(f.display.clone()).or_default() += 1;
    }
    if count.values().all(|&n| n == 1) {
        return;
    }
    for f in files.iter_mut() {
        if count[&f.display] > 1 && !f.explicit {
            if let Origin::Path(p) = &f.origin {
                f.display = p.to_string_lossy().replace('\\', "/");
            }
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for f in files.iter_mut() {
        let n = seen.entry(f.display.clone()).or_default();
        *n += 1;
        if *n > 1 {
            f.display = format!("{} ({n})", f.display);
        }
    }
}

/// The lexical components of a path as given, `.` dropped; absolute when
/// `absolute` (relative paths joined to the working folder).
fn components(path: &str, absolute: bool) -> Vec<String> {
    let p = Path::new(path);
    let joined;
    let p = if absolute && p.is_relative() {
        joined = std::env::current_dir().unwrap_or_default().join(p);
        joined.as_path()
    } else {
        p
    };
    p.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect()
}

/// The folder the folder arguments share, when there are several
/// different ones; `None` for one (its files are shown relative to it).
fn common_parent(roots: &[&str]) -> Option<(Vec<String>, bool)> {
    let absolute = roots.iter().any(|r| Path::new(r).is_absolute());
    let all: Vec<Vec<String>> = roots.iter().map(|r| components(r, absolute)).collect();
    let first = all.first()?;
    if all.iter().all(|c| c == first) {
        return None;
    }
    let mut common = first.clone();
    for c in &all[1..] {
        let n = common.iter().zip(c).take_while(|(a, b)| a == b).count();
        common.truncate(n);
    }
    Some((common, absolute))
}

/// The path of `root` under `base`, with `/` separators.
fn relative_prefix(base: &[String], absolute: bool, root: &str) -> String {
    let c = components(root, absolute);
    c[base.len().min(c.len())..].join("/")
}

pub(super) fn mtime_secs(meta: &fs::Metadata) -> Option<i64> {
    let t = meta.modified().ok()?;
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => Some(d.as_secs() as i64),
        Err(e) => Some(-(e.duration().as_secs() as i64)),
    }
}

/// Relative display path of `path` under the directory argument `root`.
fn display_under(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel.to_string_lossy().replace('\\', "/");
    if s.is_empty() {
        path.to_string_lossy().into_owned()
    } else {
        s
    }
}

fn not_read(reason: impl Into<String>) -> FoundKind {
    FoundKind::NotRead(NotRead {
        reason: reason.into(),
        quiet: false,
    })
}

/// Lists `root` recursively, in name order, depth first. The walk keeps
/// its own stack rather than recursing: a hostile tree can be thousands of
/// folders deep, more than a thread's stack holds.
fn walk(root: &Path, found: &mut Vec<Found>, visited: &mut HashSet<FileId>) {
    let mut stack: Vec<std::vec::IntoIter<PathBuf>> = Vec::new();
    match list_dir(root, visited) {
        Ok(Some(entries)) => stack.push(entries),
        Ok(None) => {}
        Err(e) => found.push(Found {
            path: root.to_path_buf(),
            rel: root.to_string_lossy().into_owned(),
            what: not_read(format!("cannot list this folder: {e}")),
        }),
    }
    while let Some(top) = stack.last_mut() {
        let Some(path) = top.next() else {
            stack.pop();
            continue;
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rel = display_under(root, &path);
        if let Some(reason) = skip_by_name(&name) {
            found.push(Found {
                path,
                rel,
                what: FoundKind::NotRead(NotRead {
                    reason,
                    quiet: true,
                }),
            });
            continue;
        }
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                let what =
                    if fs::symlink_metadata(&path).is_ok() && e.kind() == io::ErrorKind::NotFound {
                        "dangling symbolic link".to_string()
                    } else {
                        format!("cannot read it: {e}")
                    };
                found.push(Found {
                    path,
                    rel,
                    what: not_read(what),
                });
                continue;
            }
        };
        if meta.is_dir() {
            match list_dir(&path, visited) {
                Ok(Some(entries)) => stack.push(entries),
                Ok(None) => {}
                Err(e) => found.push(Found {
                    path,
                    rel,
                    what: not_read(format!("cannot list this folder: {e}")),
                }),
            }
        } else if meta.is_file() {
            let id = file_id(&path, &meta);
            found.push(Found {
                path,
                rel,
                what: FoundKind::File {
                    size: meta.len(),
                    mtime: mtime_secs(&meta),
                    id,
                },
            });
        } else {
            found.push(Found {
                path,
                rel,
                what: not_read("not a regular file (FIFO, socket or device)"),
            });
        }
    }
}

/// The entries of a folder, sorted; `None` for a folder already listed
/// (directory links can form loops).
fn list_dir(
    dir: &Path,
    visited: &mut HashSet<FileId>,
) -> io::Result<Option<std::vec::IntoIter<PathBuf>>> {
    if let Some(id) = fs::metadata(dir).ok().and_then(|m| file_id(dir, &m)) {
        if !visited.insert(id) {
            return Ok(None);
        }
    }
    let entries = fs::read_dir(dir)?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    Ok(Some(paths.into_iter()))
}

/// Why a file or folder met in a folder (or an archive) is not read, from
/// its name alone: hidden entries, and files that are never logs (images,
/// documents, binaries, our own reports).
pub fn skip_by_name(name: &str) -> Option<String> {
    if name.starts_with('.') && name != "." && name != ".." {
        return Some("hidden (a name starting with '.')".to_string());
    }
    let lower = name.to_ascii_lowercase();
    const SKIP: &[&str] = &[
        ".png", ".jpg", ".jpeg", ".gif", ".pdf", ".7z", ".rar", ".so", ".exe", ".dll", ".pyc",
        ".class", ".jar", ".swp", ".md",
    ];
    SKIP.iter()
        .find(|ext| lower.ends_with(*ext))
        .map(|ext| format!("not a log, by its name ({ext})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(args: &[&str]) -> Vec<String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (files, _) = expand(&args).unwrap();
        files.into_iter().map(|f| f.display).collect()
    }

    #[test]
    fn very_deep_folders_do_not_overflow_the_stack() {
        let dir = tempfile::tempdir().unwrap();
        // As deep as a path can be written (PATH_MAX), in single letters.
        let room = 4000usize.saturating_sub(dir.path().as_os_str().len()) / 2 - 8;
        let mut deep = dir.path().to_path_buf();
        for _ in 0..room {
            deep.push("d");
        }
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("x.log"), "2024-03-09 08:36:17,412 INFO hi\n").unwrap();
        std::fs::write(dir.path().join("a.log"), "").unwrap();
        // A small stack, as on a worker thread: recursion would overflow it.
        let root = dir.path().to_string_lossy().into_owned();
        let found = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || expand(&[root]).map(|(files, _)| files.len()))
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert_eq!(found.unwrap(), 2, "{room} folders deep");
    }

    #[cfg(unix)]
    #[test]
    fn folder_loops_are_walked_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/x.log"), "x\n").unwrap();
        std::os::unix::fs::symlink("..", dir.path().join("a/b/up")).unwrap();
        std::os::unix::fs::symlink(".", dir.path().join("self")).unwrap();
        assert_eq!(names(&[dir.path().to_str().unwrap()]), ["a/b/x.log"]);
    }

    #[test]
    fn display_paths_are_relative() {
        assert_eq!(
            display_under(Path::new("logs"), Path::new("logs/lb/access.log")),
            "lb/access.log"
        );
    }

    #[test]
    fn same_names_in_different_folders_stay_apart() {
        let dir = tempfile::tempdir().unwrap();
        for host in ["hostA", "hostB"] {
            std::fs::create_dir_all(dir.path().join(host).join("nginx")).unwrap();
            std::fs::write(dir.path().join(host).join("nginx/access.log"), "x\n").unwrap();
        }
        let a = dir.path().join("hostA");
        let b = dir.path().join("hostB");
        assert_eq!(
            names(&[a.to_str().unwrap(), b.to_str().unwrap()]),
            ["hostA/nginx/access.log", "hostB/nginx/access.log"]
        );
        // One folder: relative to it, as always.
        assert_eq!(names(&[a.to_str().unwrap()]), ["nginx/access.log"]);
        // A folder and one inside it: read once, named from the outer one.
        let inner = dir.path().join("hostA/nginx");
        assert_eq!(
            names(&[a.to_str().unwrap(), inner.to_str().unwrap()]),
            ["nginx/access.log"]
        );
    }

    #[test]
    fn a_file_given_twice_or_through_a_link_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("access.log");
        std::fs::write(&f, "x\n").unwrap();
        let s = f.to_str().unwrap();
        assert_eq!(names(&[s, s]).len(), 1);
        let d = dir.path().to_str().unwrap();
        let args = [d.to_string(), s.to_string()];
        let (files, warnings) = expand(&args).unwrap();
        assert_eq!(files.len(), 1);
        assert!(files[0].explicit, "named on the command line too");
        assert!(warnings[0].message.contains("read once"), "{warnings:?}");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&f, dir.path().join("link.log")).unwrap();
            assert_eq!(names(&[d]), ["access.log"]);
        }
    }

    #[test]
    fn names_shared_by_different_files_are_made_unique() {
        let mut files = vec![
            InputFile::new("access.log".into(), Origin::Path("access.log".into()), true),
            InputFile::new(
                "access.log".into(),
                Origin::Path("logs/access.log".into()),
                false,
            ),
        ];
        make_unique(&mut files);
        assert_eq!(files[0].display, "access.log");
        assert_eq!(files[1].display, "logs/access.log");
    }

    #[test]
    fn the_common_parent_of_folder_arguments() {
        let c = |r: &[&str]| common_parent(r).map(|(c, _)| c);
        assert_eq!(c(&["logs"]), None);
        assert_eq!(c(&["logs/", "./logs"]), None);
        assert_eq!(c(&["a/x", "a/y"]), Some(vec!["a".to_string()]));
        assert_eq!(c(&["x", "y"]), Some(vec![]));
        assert_eq!(relative_prefix(&["a".to_string()], false, "a/x/"), "x");
        assert_eq!(relative_prefix(&[], false, "./y"), "y");
    }

    #[test]
    fn names_that_are_never_logs() {
        assert!(skip_by_name(".hidden.log").is_some());
        assert!(skip_by_name("shot.PNG").is_some());
        assert!(skip_by_name("POSTMORTEM.md").is_some());
        for name in [
            "access.log",
            "bundle.tar.gz",
            "logs.zip",
            "a.log.xz",
            "b.bz2",
        ] {
            assert_eq!(skip_by_name(name), None, "{name}");
        }
    }
}
