//! The server's virtual file system.
//!
//! One [`Vfs`] belongs to one simulated server and is shared by all its
//! sessions (the simulator passes `&mut Vfs` into each call, so sessions
//! see each other's uploads in the order the simulator runs them). It is
//! a tree of directories and files with modification times and Unix
//! permission bits; file content is either given bytes or a deterministic
//! generated text of any size, which is produced piece by piece and never
//! held in memory whole.
//!
//! Paths are [`VfsPath`]s: absolute, normalised lists of names. Resolving a
//! client's argument handles `.`, `..` and absolute paths, and `..` at the
//! root stays at the root (as a chrooted vsftpd does), so no argument
//! can name anything outside the tree: there is nothing outside it.
//!
//! Leaves out: symbolic and hard links, owners per user (every node has an
//! owner and group string, shown by `LIST`, but nothing is checked against
//! them), quotas other than the session's upload limit, and file locking.

use core::fmt;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Seconds since 1970-01-01 00:00:00 UTC.
pub type UnixTime = i64;

/// Why a path argument was refused before touching the tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("path contains a NUL byte")]
    Nul,
    #[error("path is longer than {0} bytes")]
    TooLong(usize),
    #[error("path is deeper than {0} levels")]
    TooDeep(usize),
}

/// An absolute, normalised path inside the Vfs: no empty, `.` or `..`
/// components. The empty list is the root `/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct VfsPath(Vec<String>);

impl VfsPath {
    /// Longest path argument accepted.
    pub const MAX_LEN: usize = 4096;
    /// Deepest path accepted.
    pub const MAX_DEPTH: usize = 64;

    pub fn root() -> Self {
        VfsPath(Vec::new())
    }

    /// Resolves `arg` as a client means it: relative to `self` (the working
    /// directory) unless it starts with `/`. `..` above the root stays at
    /// the root.
    pub fn resolve(&self, arg: &str) -> Result<VfsPath, PathError> {
        if arg.len() > Self::MAX_LEN {
            return Err(PathError::TooLong(Self::MAX_LEN));
        }
        if arg.contains('\0') {
            return Err(PathError::Nul);
        }
        let mut parts = if arg.starts_with('/') {
            Vec::new()
        } else {
            self.0.clone()
        };
        for c in arg.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                name => {
                    parts.push(name.to_string());
                    if parts.len() > Self::MAX_DEPTH {
                        return Err(PathError::TooDeep(Self::MAX_DEPTH));
                    }
                }
            }
        }
        Ok(VfsPath(parts))
    }

    /// Parses an absolute path such as `/pub/a.txt`.
    pub fn parse(path: &str) -> Result<VfsPath, PathError> {
        VfsPath::root().resolve(path)
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn components(&self) -> &[String] {
        &self.0
    }

    /// The last component, or `None` for the root.
    pub fn name(&self) -> Option<&str> {
        self.0.last().map(String::as_str)
    }

    pub fn parent(&self) -> Option<VfsPath> {
        let (_, init) = self.0.split_last()?;
        Some(VfsPath(init.to_vec()))
    }

    pub fn join(&self, name: &str) -> VfsPath {
        let mut v = self.0.clone();
        v.push(name.to_string());
        VfsPath(v)
    }

    /// True if `self` is `other` or inside it.
    pub fn starts_with(&self, other: &VfsPath) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for VfsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("/");
        }
        for c in &self.0 {
            write!(f, "/{c}")?;
        }
        Ok(())
    }
}

/// What a file holds.
#[derive(Clone, PartialEq, Eq)]
pub enum FileContent {
    /// Exactly these bytes (shared, so taking a snapshot for a transfer is cheap).
    Bytes(Arc<[u8]>),
    /// `size` bytes of deterministic text: 64-byte lines that start with
    /// their line number, then letters chosen by `seed`, then LF. Lets a
    /// scenario offer a 100 MB file without holding it.
    Generated { size: u64, seed: u64 },
}

impl fmt::Debug for FileContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileContent::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            FileContent::Generated { size, seed } => {
                write!(f, "Generated {{ size: {size}, seed: {seed} }}")
            }
        }
    }
}

const GEN_LINE: u64 = 64;

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn generated_byte(seed: u64, offset: u64) -> u8 {
    let line = offset / GEN_LINE;
    let col = offset % GEN_LINE;
    if col == GEN_LINE - 1 {
        return b'\n';
    }
    if col < 9 {
        // "00000042 ": the line number, so a reader can see where a piece is from.
        if col == 8 {
            return b' ';
        }
        let digit = (line / 10u64.pow(7 - col as u32)) % 10;
        return b'0' + digit as u8;
    }
    b'a' + (splitmix(seed ^ offset.wrapping_mul(0x100_0000_01B3)) % 26) as u8
}

impl FileContent {
    pub fn bytes(data: impl Into<Vec<u8>>) -> Self {
        FileContent::Bytes(Arc::from(data.into()))
    }

    pub fn generated(size: u64, seed: u64) -> Self {
        FileContent::Generated { size, seed }
    }

    pub fn len(&self) -> u64 {
        match self {
            FileContent::Bytes(b) => b.len() as u64,
            FileContent::Generated { size, .. } => *size,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Up to `len` bytes from `offset` (fewer at the end of the file).
    pub fn read(&self, offset: u64, len: usize) -> Vec<u8> {
        let total = self.len();
        if offset >= total {
            return Vec::new();
        }
        let end = total.min(offset.saturating_add(len as u64));
        match self {
            FileContent::Bytes(b) => b[offset as usize..end as usize].to_vec(),
            FileContent::Generated { seed, .. } => {
                (offset..end).map(|o| generated_byte(*seed, o)).collect()
            }
        }
    }

    /// The number of LF bytes not preceded by CR: how much longer the file
    /// gets on the wire in ASCII mode (each becomes CRLF).
    pub fn bare_newlines(&self) -> u64 {
        match self {
            FileContent::Bytes(b) => {
                let mut prev = 0u8;
                let mut n = 0;
                for &c in b.iter() {
                    if c == b'\n' && prev != b'\r' {
                        n += 1;
                    }
                    prev = c;
                }
                n
            }
            // Every 64th byte is a LF after a letter.
            FileContent::Generated { size, .. } => size / GEN_LINE,
        }
    }
}

/// A file or a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    File(FileContent),
    Dir(BTreeMap<String, Node>),
}

/// One node of the tree, with the metadata `LIST` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: NodeKind,
    pub mtime: UnixTime,
    /// Permission bits, e.g. `0o644`.
    pub mode: u16,
    pub owner: String,
    pub group: String,
}

impl Node {
    pub fn is_dir(&self) -> bool {
        matches!(self.kind, NodeKind::Dir(_))
    }

    pub fn is_file(&self) -> bool {
        matches!(self.kind, NodeKind::File(_))
    }

    /// The file's size, or 4096 for a directory (what `ls -l` shows on ext3).
    pub fn size(&self) -> u64 {
        match &self.kind {
            NodeKind::File(c) => c.len(),
            NodeKind::Dir(_) => 4096,
        }
    }

    pub fn content(&self) -> Option<&FileContent> {
        match &self.kind {
            NodeKind::File(c) => Some(c),
            NodeKind::Dir(_) => None,
        }
    }

    pub fn children(&self) -> Option<&BTreeMap<String, Node>> {
        match &self.kind {
            NodeKind::Dir(c) => Some(c),
            NodeKind::File(_) => None,
        }
    }

    /// The link count `ls -l` shows: 1 for a file, 2 plus the number of
    /// subdirectories for a directory.
    pub fn nlink(&self) -> u64 {
        match &self.kind {
            NodeKind::File(_) => 1,
            NodeKind::Dir(c) => 2 + c.values().filter(|n| n.is_dir()).count() as u64,
        }
    }
}

/// Why a file-system operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VfsError {
    #[error("{0}: no such file or directory")]
    NotFound(String),
    #[error("{0}: not a directory")]
    NotADirectory(String),
    #[error("{0}: is a directory")]
    IsADirectory(String),
    #[error("{0}: already exists")]
    AlreadyExists(String),
    #[error("{0}: directory not empty")]
    NotEmpty(String),
    #[error("the root directory cannot be removed or renamed")]
    Root,
    #[error("{0}: cannot move a directory into itself")]
    IntoItself(String),
    #[error(transparent)]
    Path(#[from] PathError),
}

/// The file tree of one server; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vfs {
    root: Node,
    /// Owner and group given to new nodes.
    pub default_owner: String,
    pub default_group: String,
}

impl Default for Vfs {
    fn default() -> Self {
        Vfs::new(0)
    }
}

impl Vfs {
    /// An empty tree whose root directory was modified at `root_mtime`.
    /// New nodes belong to `ftp:ftp`.
    pub fn new(root_mtime: UnixTime) -> Self {
        Vfs {
            root: Node {
                kind: NodeKind::Dir(BTreeMap::new()),
                mtime: root_mtime,
                mode: 0o755,
                owner: "ftp".into(),
                group: "ftp".into(),
            },
            default_owner: "ftp".into(),
            default_group: "ftp".into(),
        }
    }

    pub fn root(&self) -> &Node {
        &self.root
    }

    pub fn get(&self, path: &VfsPath) -> Option<&Node> {
        let mut node = &self.root;
        for c in path.components() {
            node = node.children()?.get(c)?;
        }
        Some(node)
    }

    fn get_mut(&mut self, path: &VfsPath) -> Option<&mut Node> {
        let mut node = &mut self.root;
        for c in path.components() {
            node = match &mut node.kind {
                NodeKind::Dir(ch) => ch.get_mut(c)?,
                NodeKind::File(_) => return None,
            };
        }
        Some(node)
    }

    fn dir_mut(&mut self, path: &VfsPath) -> Result<&mut BTreeMap<String, Node>, VfsError> {
        let shown = path.to_string();
        match self.get_mut(path) {
            None => Err(VfsError::NotFound(shown)),
            Some(Node {
                kind: NodeKind::Dir(ch),
                ..
            }) => Ok(ch),
            Some(_) => Err(VfsError::NotADirectory(shown)),
        }
    }

    fn new_node(&self, kind: NodeKind, mtime: UnixTime, mode: u16) -> Node {
        Node {
            kind,
            mtime,
            mode,
            owner: self.default_owner.clone(),
            group: self.default_group.clone(),
        }
    }

    /// The directory's entries in name order.
    pub fn list(&self, dir: &VfsPath) -> Result<Vec<(&str, &Node)>, VfsError> {
        match self.get(dir) {
            None => Err(VfsError::NotFound(dir.to_string())),
            Some(n) => match n.children() {
                Some(ch) => Ok(ch.iter().map(|(k, v)| (k.as_str(), v)).collect()),
                None => Err(VfsError::NotADirectory(dir.to_string())),
            },
        }
    }

    /// The content of a regular file.
    pub fn file(&self, path: &VfsPath) -> Result<&FileContent, VfsError> {
        match self.get(path) {
            None => Err(VfsError::NotFound(path.to_string())),
            Some(n) => n
                .content()
                .ok_or_else(|| VfsError::IsADirectory(path.to_string())),
        }
    }

    /// Makes `path` and any missing parents (`mkdir -p`), for building a
    /// scenario's tree.
    pub fn create_dir_all(&mut self, path: &str, mtime: UnixTime) -> Result<VfsPath, VfsError> {
        let p = VfsPath::parse(path)?;
        let mut at = VfsPath::root();
        for c in p.components() {
            let next = at.join(c);
            match self.get(&next) {
                Some(n) if n.is_dir() => {}
                Some(_) => return Err(VfsError::NotADirectory(next.to_string())),
                None => {
                    let node = self.new_node(NodeKind::Dir(BTreeMap::new()), mtime, 0o755);
                    self.dir_mut(&at)?.insert(c.clone(), node);
                }
            }
            at = next;
        }
        Ok(p)
    }

    /// Puts a file at `path`, making missing parent directories, replacing
    /// a file already there. For building a scenario's tree.
    pub fn insert_file(
        &mut self,
        path: &str,
        content: FileContent,
        mtime: UnixTime,
    ) -> Result<VfsPath, VfsError> {
        let p = VfsPath::parse(path)?;
        let (parent, name) = match (p.parent(), p.name()) {
            (Some(parent), Some(name)) => (parent, name.to_string()),
            _ => return Err(VfsError::IsADirectory("/".into())),
        };
        self.create_dir_all(&parent.to_string(), mtime)?;
        self.put_file(&p, &parent, name, content, mtime, 0o644)?;
        Ok(p)
    }

    fn put_file(
        &mut self,
        p: &VfsPath,
        parent: &VfsPath,
        name: String,
        content: FileContent,
        mtime: UnixTime,
        mode: u16,
    ) -> Result<(), VfsError> {
        let node = self.new_node(NodeKind::File(content), mtime, mode);
        let dir = self.dir_mut(parent)?;
        match dir.get_mut(&name) {
            Some(existing) if existing.is_dir() => Err(VfsError::IsADirectory(p.to_string())),
            Some(existing) => {
                // Replacing keeps the file's owner and permissions, as
                // writing over an existing Unix file does.
                existing.kind = node.kind;
                existing.mtime = mtime;
                Ok(())
            }
            None => {
                dir.insert(name, node);
                Ok(())
            }
        }
    }

    fn split(path: &VfsPath) -> Result<(VfsPath, String), VfsError> {
        match (path.parent(), path.name()) {
            (Some(parent), Some(name)) => Ok((parent, name.to_string())),
            _ => Err(VfsError::Root),
        }
    }

    /// Creates or replaces a regular file; the parent must exist. New
    /// files get `mode`.
    pub fn write_file(
        &mut self,
        path: &VfsPath,
        content: FileContent,
        mtime: UnixTime,
        mode: u16,
    ) -> Result<(), VfsError> {
        let (parent, name) = Self::split(path)?;
        self.put_file(path, &parent, name, content, mtime, mode)
    }

    /// Whether a file could be written at `path`: the parent is a
    /// directory and `path` is not one.
    pub fn can_create(&self, path: &VfsPath) -> bool {
        let Ok((parent, name)) = Self::split(path) else {
            return false;
        };
        match self.get(&parent).and_then(Node::children) {
            Some(ch) => !ch.get(&name).is_some_and(Node::is_dir),
            None => false,
        }
    }

    /// Appends to a file, creating it if missing.
    pub fn append_file(
        &mut self,
        path: &VfsPath,
        data: &[u8],
        mtime: UnixTime,
        mode: u16,
    ) -> Result<(), VfsError> {
        let mut bytes = match self.get(path) {
            Some(n) => match n.content() {
                Some(c) => c.read(0, usize::try_from(c.len()).unwrap_or(usize::MAX)),
                None => return Err(VfsError::IsADirectory(path.to_string())),
            },
            None => Vec::new(),
        };
        bytes.extend_from_slice(data);
        self.write_file(path, FileContent::bytes(bytes), mtime, mode)
    }

    /// `mkdir`: the parent must exist and the name must be free.
    pub fn mkdir(&mut self, path: &VfsPath, mtime: UnixTime, mode: u16) -> Result<(), VfsError> {
        let (parent, name) = Self::split(path)?;
        let node = self.new_node(NodeKind::Dir(BTreeMap::new()), mtime, mode);
        let dir = self.dir_mut(&parent)?;
        if dir.contains_key(&name) {
            return Err(VfsError::AlreadyExists(path.to_string()));
        }
        dir.insert(name, node);
        Ok(())
    }

    /// `rmdir`: only an empty directory, never the root.
    pub fn rmdir(&mut self, path: &VfsPath) -> Result<(), VfsError> {
        let (parent, name) = Self::split(path)?;
        match self.get(path) {
            None => return Err(VfsError::NotFound(path.to_string())),
            Some(n) => match n.children() {
                None => return Err(VfsError::NotADirectory(path.to_string())),
                Some(ch) if !ch.is_empty() => return Err(VfsError::NotEmpty(path.to_string())),
                Some(_) => {}
            },
        }
        self.dir_mut(&parent)?.remove(&name);
        Ok(())
    }

    /// `unlink`: only a regular file.
    pub fn remove_file(&mut self, path: &VfsPath) -> Result<(), VfsError> {
        let (parent, name) = Self::split(path)?;
        match self.get(path) {
            None => return Err(VfsError::NotFound(path.to_string())),
            Some(n) if n.is_dir() => return Err(VfsError::IsADirectory(path.to_string())),
            Some(_) => {}
        }
        self.dir_mut(&parent)?.remove(&name);
        Ok(())
    }

    /// `rename(2)`: moves a node; a file may replace a file, a directory
    /// may replace an empty directory, nothing moves into itself.
    pub fn rename(&mut self, from: &VfsPath, to: &VfsPath) -> Result<(), VfsError> {
        let (from_parent, from_name) = Self::split(from)?;
        let (to_parent, to_name) = Self::split(to)?;
        let moving = self
            .get(from)
            .ok_or_else(|| VfsError::NotFound(from.to_string()))?;
        let moving_dir = moving.is_dir();
        if from == to {
            return Ok(());
        }
        if moving_dir && to.starts_with(from) {
            return Err(VfsError::IntoItself(to.to_string()));
        }
        match self.get(&to_parent) {
            None => return Err(VfsError::NotFound(to_parent.to_string())),
            Some(n) if !n.is_dir() => return Err(VfsError::NotADirectory(to_parent.to_string())),
            Some(_) => {}
        }
        if let Some(target) = self.get(to) {
            match (moving_dir, target.children()) {
                (false, Some(_)) => return Err(VfsError::IsADirectory(to.to_string())),
                (true, None) => return Err(VfsError::NotADirectory(to.to_string())),
                (true, Some(ch)) if !ch.is_empty() => {
                    return Err(VfsError::NotEmpty(to.to_string()));
                }
                _ => {}
            }
        }
        let node = self
            .dir_mut(&from_parent)?
            .remove(&from_name)
            .ok_or_else(|| VfsError::NotFound(from.to_string()))?;
        self.dir_mut(&to_parent)?.insert(to_name, node);
        Ok(())
    }

    /// `chmod`.
    pub fn set_mode(&mut self, path: &VfsPath, mode: u16) -> Result<(), VfsError> {
        let n = self
            .get_mut(path)
            .ok_or_else(|| VfsError::NotFound(path.to_string()))?;
        n.mode = mode & 0o7777;
        Ok(())
    }

    /// Sets a node's modification time.
    pub fn set_mtime(&mut self, path: &VfsPath, mtime: UnixTime) -> Result<(), VfsError> {
        let n = self
            .get_mut(path)
            .ok_or_else(|| VfsError::NotFound(path.to_string()))?;
        n.mtime = mtime;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> VfsPath {
        VfsPath::parse(s).unwrap()
    }

    #[test]
    fn paths_resolve_like_a_chrooted_server() {
        let cwd = p("/pub/docs");
        assert_eq!(cwd.resolve("a.txt").unwrap().to_string(), "/pub/docs/a.txt");
        assert_eq!(cwd.resolve("../x").unwrap().to_string(), "/pub/x");
        assert_eq!(
            cwd.resolve("/etc/passwd").unwrap().to_string(),
            "/etc/passwd"
        );
        assert_eq!(cwd.resolve("../../../../etc").unwrap().to_string(), "/etc");
        assert_eq!(cwd.resolve("././/b/.").unwrap().to_string(), "/pub/docs/b");
        assert_eq!(
            cwd.resolve("..").unwrap().resolve("..").unwrap(),
            VfsPath::root()
        );
        assert_eq!(cwd.resolve("a\0b"), Err(PathError::Nul));
        assert!(cwd.resolve(&"a/".repeat(100)).is_err());
    }

    #[test]
    fn the_tree_supports_the_ftp_operations() {
        let mut v = Vfs::new(100);
        v.insert_file("/pub/a.txt", FileContent::bytes(b"hello\n".to_vec()), 5)
            .unwrap();
        assert_eq!(v.file(&p("/pub/a.txt")).unwrap().read(0, 100), b"hello\n");
        assert_eq!(v.list(&p("/pub")).unwrap().len(), 1);
        v.mkdir(&p("/pub/d"), 7, 0o755).unwrap();
        assert_eq!(
            v.mkdir(&p("/pub/d"), 7, 0o755),
            Err(VfsError::AlreadyExists("/pub/d".into()))
        );
        assert_eq!(
            v.mkdir(&p("/nope/d"), 7, 0o755),
            Err(VfsError::NotFound("/nope".into()))
        );
        v.rename(&p("/pub/a.txt"), &p("/pub/d/b.txt")).unwrap();
        assert!(v.get(&p("/pub/a.txt")).is_none());
        assert_eq!(
            v.rmdir(&p("/pub/d")),
            Err(VfsError::NotEmpty("/pub/d".into()))
        );
        assert_eq!(
            v.rename(&p("/pub"), &p("/pub/d/x")),
            Err(VfsError::IntoItself("/pub/d/x".into()))
        );
        v.append_file(&p("/pub/d/b.txt"), b"more", 9, 0o644)
            .unwrap();
        assert_eq!(
            v.file(&p("/pub/d/b.txt")).unwrap().read(0, 100),
            b"hello\nmore"
        );
        v.remove_file(&p("/pub/d/b.txt")).unwrap();
        v.rmdir(&p("/pub/d")).unwrap();
        assert_eq!(v.rmdir(&VfsPath::root()), Err(VfsError::Root));
        assert_eq!(
            v.remove_file(&p("/pub")),
            Err(VfsError::IsADirectory("/pub".into()))
        );
        assert!(!v.can_create(&p("/pub")));
        assert!(v.can_create(&p("/pub/new")));
        assert!(!v.can_create(&p("/missing/new")));
    }

    #[test]
    fn generated_content_is_deterministic_readable_text() {
        let c = FileContent::generated(200, 7);
        let all = c.read(0, 1000);
        assert_eq!(all.len(), 200);
        assert_eq!(&all[..9], b"00000000 ");
        assert_eq!(all[63], b'\n');
        assert_eq!(&all[64..73], b"00000001 ");
        assert_eq!(c.read(60, 10), all[60..70].to_vec());
        assert_eq!(c.bare_newlines(), 3);
        assert_ne!(FileContent::generated(200, 8).read(0, 200), all);
        assert!(
            all.iter()
                .all(|b| b.is_ascii_graphic() || *b == b' ' || *b == b'\n')
        );
    }
}
