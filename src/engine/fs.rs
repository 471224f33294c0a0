//! A container's view of files: its image's files, under its writable
//! layer, under the volumes mounted into it. Programs run by `exec` (and
//! the main processes the kubelet starts) see files only through this.

use crate::engine::world::{FileTree, VolumeId, World};

/// One volume mounted into a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Absolute mount point inside the container, without trailing slash.
    pub path: String,
    pub volume: VolumeId,
    /// A sub-directory of the volume mounted instead of its root (`subPath`).
    pub sub_path: String,
    pub read_only: bool,
    /// The pod volume name (for messages).
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FsError {
    NotFound,
    IsDirectory,
    NotDirectory,
    ReadOnly,
}

impl FsError {
    /// The strerror text programs print.
    pub fn text(&self) -> &'static str {
        match self {
            FsError::NotFound => "No such file or directory",
            FsError::IsDirectory => "Is a directory",
            FsError::NotDirectory => "Not a directory",
            FsError::ReadOnly => "Read-only file system",
        }
    }
}

/// Normalizes a path: absolute, no `.`/`..`/empty segments, no trailing slash.
pub fn clean(path: &str, cwd: &str) -> String {
    let joined = if path.starts_with('/') { path.to_string() } else { format!("{cwd}/{path}") };
    let mut parts: Vec<&str> = vec![];
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

/// A container's file system view.
pub struct ContainerFs<'w> {
    pub world: &'w mut World,
    /// The container's writable layer.
    pub layer: VolumeId,
    /// Mounts, any order.
    pub mounts: Vec<Mount>,
    /// Files the image ships (read-only lower layer).
    pub image_files: Vec<(String, String)>,
    pub cwd: String,
}

impl<'w> ContainerFs<'w> {
    /// Which tree holds `path`, and the path inside it.
    fn locate(&self, path: &str) -> (Option<&Mount>, String) {
        let best = self.mounts.iter().filter(|m| path == m.path || path.starts_with(&format!("{}/", m.path)) || m.path == "/").max_by_key(|m| m.path.len());
        match best {
            Some(m) => {
                let rest = &path[m.path.len().min(path.len())..];
                let base = if m.sub_path.is_empty() { String::new() } else { clean(&m.sub_path, "/") };
                let inner = clean(&format!("{base}/{rest}"), "/");
                (Some(m), inner)
            }
            None => (None, path.to_string()),
        }
    }

    fn tree(&self, m: Option<&Mount>) -> Option<&FileTree> {
        match m {
            Some(m) => self.world.volume(&m.volume),
            None => self.world.volume(&self.layer),
        }
    }

    /// Whether the writable layer hides this image path (it was deleted).
    fn whited_out(&self, path: &str) -> bool {
        match self.world.whiteouts.get(&self.layer) {
            Some(w) => w.iter().any(|d| path == d || path.starts_with(&format!("{d}/"))),
            None => false,
        }
    }

    fn image_file(&self, path: &str) -> Option<&str> {
        if self.whited_out(path) {
            return None;
        }
        self.image_files.iter().find(|(p, _)| p == path).map(|(_, c)| c.as_str())
    }

    fn image_dir(&self, path: &str) -> bool {
        if self.whited_out(path) {
            return false;
        }
        let prefix = if path == "/" { "/".to_string() } else { format!("{path}/") };
        // A directory stays when the files in it are deleted; only deleting
        // the directory itself (a whiteout on it) removes it.
        self.image_files.iter().any(|(p, _)| p.starts_with(&prefix))
    }

    /// The volume holding `path` and the path inside it (the writable layer
    /// for paths under no mount).
    pub fn resolve(&self, path: &str) -> (VolumeId, String) {
        let path = clean(path, &self.cwd);
        let (m, inner) = self.locate(&path);
        match m {
            Some(m) => (m.volume.clone(), inner),
            None => (self.layer.clone(), inner),
        }
    }

    pub fn read(&self, path: &str) -> Result<String, FsError> {
        let path = clean(path, &self.cwd);
        let (m, inner) = self.locate(&path);
        if let Some(t) = self.tree(m) {
            if let Some(c) = t.files.get(&inner) {
                return Ok(c.clone());
            }
            if t.dirs.contains(&inner) || t.files.keys().any(|k| k.starts_with(&format!("{inner}/"))) {
                return Err(FsError::IsDirectory);
            }
        }
        if m.is_none() {
            if let Some(c) = self.image_file(&path) {
                return Ok(c.to_string());
            }
            if self.image_dir(&path) {
                return Err(FsError::IsDirectory);
            }
        }
        Err(FsError::NotFound)
    }

    pub fn exists(&self, path: &str) -> bool {
        self.is_dir(path) || self.read(path).is_ok()
    }

    pub fn is_dir(&self, path: &str) -> bool {
        let path = clean(path, &self.cwd);
        if path == "/" || self.mounts.iter().any(|m| m.path == path || m.path.starts_with(&format!("{path}/"))) {
            return true;
        }
        let (m, inner) = self.locate(&path);
        if let Some(t) = self.tree(m) {
            let prefix = format!("{inner}/");
            if inner == "/"
                || t.dirs.contains(&inner)
                || t.files.range(prefix.clone()..).next().is_some_and(|(k, _)| k.starts_with(&prefix))
                || t.dirs.range(prefix.clone()..).next().is_some_and(|k| k.starts_with(&prefix))
            {
                return true;
            }
        }
        m.is_none() && self.image_dir(&path)
    }

    fn writable(&mut self, path: &str) -> Result<(VolumeId, String), FsError> {
        let path = clean(path, &self.cwd);
        let (m, inner) = self.locate(&path);
        let parent = clean(&format!("{path}/.."), "/");
        if !self.is_dir(&parent) {
            return Err(FsError::NotFound);
        }
        if self.is_dir(&path) {
            return Err(FsError::IsDirectory);
        }
        match m {
            Some(m) if m.read_only => Err(FsError::ReadOnly),
            Some(m) => Ok((m.volume.clone(), inner)),
            None => Ok((self.layer.clone(), inner)),
        }
    }

    pub fn write(&mut self, path: &str, content: &str) -> Result<(), FsError> {
        let (vol, inner) = self.writable(path)?;
        if vol == self.layer {
            self.unwhiteout(&inner);
        }
        self.world.volume_mut(&vol).files.insert(inner, content.to_string());
        Ok(())
    }

    fn unwhiteout(&mut self, inner: &str) {
        if let Some(w) = self.world.whiteouts.get_mut(&self.layer) {
            w.remove(inner);
        }
    }

    pub fn append(&mut self, path: &str, content: &str) -> Result<(), FsError> {
        let existing = match self.read(path) {
            Ok(c) => c,
            Err(FsError::NotFound) => String::new(),
            Err(e) => return Err(e),
        };
        self.write(path, &format!("{existing}{content}"))
    }

    pub fn mkdir_all(&mut self, path: &str) -> Result<(), FsError> {
        let path = clean(path, &self.cwd);
        if self.is_dir(&path) {
            return Ok(());
        }
        let (m, _) = self.locate(&path);
        if m.is_some_and(|m| m.read_only) {
            return Err(FsError::ReadOnly);
        }
        let parent = clean(&format!("{path}/.."), "/");
        if !self.is_dir(&parent) {
            self.mkdir_all(&parent)?;
        }
        if self.exists(&path) {
            return Err(FsError::NotDirectory);
        }
        let (m, inner) = self.locate(&path);
        let vol = m.map(|m| m.volume.clone()).unwrap_or_else(|| self.layer.clone());
        self.world.volume_mut(&vol).dirs.insert(inner);
        Ok(())
    }

    pub fn remove(&mut self, path: &str) -> Result<(), FsError> {
        let path = clean(path, &self.cwd);
        let (m, inner) = self.locate(&path);
        if m.is_some_and(|m| m.read_only) {
            return Err(FsError::ReadOnly);
        }
        let vol = m.map(|m| m.volume.clone()).unwrap_or_else(|| self.layer.clone());
        let from_image = m.is_none() && self.image_file(&path).is_some();
        let t = self.world.volume_mut(&vol);
        let removed = t.files.remove(&inner).is_some();
        if from_image {
            self.world.whiteouts.entry(Box::new(self.layer.clone())).or_default().insert(path);
            return Ok(());
        }
        if removed {
            return Ok(());
        }
        Err(FsError::NotFound)
    }

    /// Removes an empty directory.
    pub fn remove_dir(&mut self, path: &str) -> Result<(), FsError> {
        let path = clean(path, &self.cwd);
        if !self.is_dir(&path) {
            return Err(if self.exists(&path) { FsError::NotDirectory } else { FsError::NotFound });
        }
        self.remove_all(&path)
    }

    /// Removes a file or a directory with everything under it. A mount
    /// point itself stays (it is busy); what is under it goes.
    pub fn remove_all(&mut self, path: &str) -> Result<(), FsError> {
        let path = clean(path, &self.cwd);
        if !self.exists(&path) {
            return Err(FsError::NotFound);
        }
        // Everything below, in every tree that shows under this path.
        let mut trees: Vec<(Option<Mount>, String)> = vec![];
        let (m, inner) = self.locate(&path);
        let m = m.cloned();
        let in_image = m.is_none() && (self.image_dir(&path) || self.image_file(&path).is_some());
        trees.push((m, inner));
        for mnt in self.mounts.clone() {
            if mnt.path.starts_with(&format!("{path}/")) {
                let base = if mnt.sub_path.is_empty() { "/".to_string() } else { clean(&mnt.sub_path, "/") };
                trees.push((Some(mnt.clone()), base));
            }
        }
        for (m, inner) in &trees {
            if m.as_ref().is_some_and(|m| m.read_only) {
                return Err(FsError::ReadOnly);
            }
            let vol = m.as_ref().map(|m| m.volume.clone()).unwrap_or_else(|| self.layer.clone());
            let t = self.world.volume_mut(&vol);
            let prefix = if inner == "/" { "/".to_string() } else { format!("{inner}/") };
            t.files.retain(|k, _| k != inner && !k.starts_with(&prefix));
            t.dirs.retain(|k| k != inner && !k.starts_with(&prefix));
        }
        if in_image && path != "/" {
            self.world.whiteouts.entry(Box::new(self.layer.clone())).or_default().insert(path);
        }
        Ok(())
    }

    /// Every file under a directory (absolute container paths), sorted.
    pub fn walk(&self, dir: &str) -> Vec<String> {
        self.walk_all(dir).into_iter().filter(|p| !self.is_dir(p)).collect()
    }

    /// Every file and directory under a directory, depth first, sorted.
    pub fn walk_all(&self, dir: &str) -> Vec<String> {
        let dir = clean(dir, &self.cwd);
        let mut out = vec![];
        let Ok(names) = self.list(&dir) else { return out };
        for n in names {
            let p = if dir == "/" { format!("/{n}") } else { format!("{dir}/{n}") };
            out.push(p.clone());
            if self.is_dir(&p) && out.len() < 100_000 {
                out.extend(self.walk_all(&p));
            }
        }
        out
    }

    /// Names directly inside a directory, sorted.
    pub fn list(&self, dir: &str) -> Result<Vec<String>, FsError> {
        let dir = clean(dir, &self.cwd);
        if !self.is_dir(&dir) {
            return if self.read(&dir).is_ok() { Err(FsError::NotDirectory) } else { Err(FsError::NotFound) };
        }
        let mut names = std::collections::BTreeSet::new();
        let child = |full: &str, base: &str| -> Option<String> {
            let prefix = if base == "/" { "/".to_string() } else { format!("{base}/") };
            full.strip_prefix(&prefix).map(|r| r.split('/').next().unwrap_or("").to_string()).filter(|s| !s.is_empty())
        };
        let (m, inner) = self.locate(&dir);
        if let Some(t) = self.tree(m) {
            for k in t.files.keys().chain(t.dirs.iter()) {
                if let Some(n) = child(k, &inner) {
                    names.insert(n);
                }
            }
        }
        if m.is_none() {
            for (p, _) in &self.image_files {
                if let Some(n) = child(p, &dir) {
                    let full = if dir == "/" { format!("/{n}") } else { format!("{dir}/{n}") };
                    if !self.whited_out(&full) {
                        names.insert(n);
                    }
                }
            }
        }
        for mnt in &self.mounts {
            if let Some(n) = child(&mnt.path, &dir) {
                names.insert(n);
            }
        }
        Ok(names.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs(world: &mut World) -> ContainerFs<'_> {
        ContainerFs {
            world,
            layer: VolumeId::Container { pod_uid: "p".into(), container: "c".into(), instance: 0 },
            mounts: vec![Mount {
                path: "/data".into(),
                volume: VolumeId::Disk { handle: "d".into() },
                sub_path: String::new(),
                read_only: false,
                name: "data".into(),
            }],
            image_files: vec![("/usr/share/nginx/html/index.html".into(), "Welcome".into())],
            cwd: "/".into(),
        }
    }

    #[test]
    fn writes_land_on_the_right_tree() {
        let mut w = World::default();
        {
            let mut f = fs(&mut w);
            f.write("/data/a.txt", "on the volume").unwrap();
            f.write("/tmp/b.txt", "in the layer").unwrap_err();
            f.mkdir_all("/tmp").unwrap();
            f.write("/tmp/b.txt", "in the layer").unwrap();
            assert_eq!(f.read("/usr/share/nginx/html/index.html").unwrap(), "Welcome");
            assert_eq!(f.list("/").unwrap(), ["data", "tmp", "usr"]);
            f.append("/data/a.txt", "!").unwrap();
            assert_eq!(f.read("/data/../data/a.txt").unwrap(), "on the volume!");
        }
        assert_eq!(w.volume(&VolumeId::Disk { handle: "d".into() }).unwrap().files["/a.txt"], "on the volume!");
    }

    #[test]
    fn deleting_image_files_whites_them_out_in_the_layer_only() {
        let mut w = World::default();
        {
            let mut f = fs(&mut w);
            f.remove("/usr/share/nginx/html/index.html").unwrap();
            assert_eq!(f.read("/usr/share/nginx/html/index.html"), Err(FsError::NotFound));
            assert_eq!(f.list("/usr/share/nginx/html").unwrap(), Vec::<String>::new());
            f.write("/usr/share/nginx/html/index.html", "mine").unwrap();
            assert_eq!(f.read("/usr/share/nginx/html/index.html").unwrap(), "mine");
            f.mkdir_all("/data/a/b").unwrap();
            f.write("/data/a/b/c", "x").unwrap();
            assert_eq!(f.walk("/data"), ["/data/a/b/c"]);
            f.remove_all("/data/a").unwrap();
            assert!(f.is_dir("/data"));
            assert!(!f.exists("/data/a"));
        }
        // Another container of the same image (another layer) still has it.
        let mut f = fs(&mut w);
        f.layer = VolumeId::Container { pod_uid: "q".into(), container: "c".into(), instance: 0 };
        assert_eq!(f.read("/usr/share/nginx/html/index.html").unwrap(), "Welcome");
    }

    #[test]
    fn a_mount_hides_the_image_files_under_it() {
        let mut w = World::default();
        let mut f = fs(&mut w);
        f.mounts.push(Mount {
            path: "/usr/share/nginx/html".into(),
            volume: VolumeId::Disk { handle: "h".into() },
            sub_path: String::new(),
            read_only: true,
            name: "html".into(),
        });
        assert_eq!(f.read("/usr/share/nginx/html/index.html"), Err(FsError::NotFound));
        assert_eq!(f.write("/usr/share/nginx/html/x", "y"), Err(FsError::ReadOnly));
    }
}
