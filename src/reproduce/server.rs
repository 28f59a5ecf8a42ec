//! Real processes for `racecheck reproduce`: PostgreSQL servers (run as an unprivileged user,
//! unix sockets only, in a private folder), psql sessions driven line by line, and gdb attached
//! to a backend. Every process started is registered by pid and stopped by [`stop_all`] at the
//! end of a run, on failure and on Ctrl-C; each one runs in its own process group, so a Ctrl-C
//! at the terminal reaches racecheck only.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// Why a real run stopped (exit 3 for missing tools and interruption, 2 for an unrealisable
/// step, 4 for the rest).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// PostgreSQL or gdb is missing, or a server failed to start.
    #[error("{0}")]
    Tools(String),
    /// The real server cannot follow the trace here.
    #[error("{0}")]
    Unrealisable(String),
    /// Ctrl-C.
    #[error("interrupted (Ctrl-C); every server and debugger started was stopped")]
    Interrupted,
    /// Anything else (I/O, a session that died).
    #[error("{0}")]
    Failed(String),
}

/// A `RunError::Failed` from anything displayable.
pub fn failed(e: impl std::fmt::Display) -> RunError {
    RunError::Failed(e.to_string())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Postmaster,
    Other,
}

/// Every process this run started and has not reaped, owned here so that [`stop_all`] can
/// stop and reap it from any thread.
static LIVE: Mutex<Vec<(Kind, Child)>> = Mutex::new(Vec::new());

fn register(child: Child, kind: Kind) -> u32 {
    let pid = child.id();
    if let Ok(mut l) = LIVE.lock() {
        l.push((kind, child));
    }
    pid
}

/// Whether a registered process has exited (reaped and forgotten if so; a pid no longer
/// registered has exited, or was stopped by [`stop_all`]).
fn exited(pid: u32) -> bool {
    let Ok(mut l) = LIVE.lock() else { return true };
    let Some(i) = l.iter().position(|(_, c)| c.id() == pid) else {
        return true;
    };
    match l[i].1.try_wait() {
        Ok(None) => false,
        _ => {
            l.remove(i);
            true
        }
    }
}

/// The exit status of a registered process once it has exited (reaped and forgotten).
fn status_of(pid: u32) -> Option<std::process::ExitStatus> {
    let mut l = LIVE.lock().ok()?;
    let i = l.iter().position(|(_, c)| c.id() == pid)?;
    match l[i].1.try_wait() {
        Ok(Some(st)) => {
            l.remove(i);
            Some(st)
        }
        _ => None,
    }
}

/// Send a signal (`QUIT`, `INT`, `KILL`) to a pid this run started, with kill(1).
fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// SIGKILL through the registered `Child` (no kill(1) needed).
fn kill_now(pid: u32) {
    if let Ok(mut l) = LIVE.lock()
        && let Some((_, c)) = l.iter_mut().find(|(_, c)| c.id() == pid)
    {
        let _ = c.kill();
    }
}

/// Stop one registered process: `sig` (if any), up to `grace` for it to exit, then SIGKILL;
/// reaped either way.
fn finish(pid: u32, sig: Option<&str>, grace: Duration) {
    if exited(pid) {
        return;
    }
    match sig {
        Some("KILL") => kill_now(pid),
        Some(sig) => signal(pid, sig),
        None => {}
    }
    let deadline = Instant::now() + grace;
    while !exited(pid) {
        if Instant::now() > deadline {
            kill_now(pid);
            let deadline = Instant::now() + Duration::from_secs(5);
            while !exited(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Stop every registered process: debuggers and clients with SIGKILL first (a debugger's death
/// detaches and resumes its backend), then each postmaster with SIGQUIT (immediate shutdown,
/// which ends its backends), SIGKILL after 10 s; all reaped. Safe to call more than once, and
/// from the Ctrl-C handler.
pub fn stop_all() {
    let live: Vec<(Kind, u32)> = LIVE
        .lock()
        .map(|l| l.iter().map(|(k, c)| (*k, c.id())).collect())
        .unwrap_or_default();
    for &(kind, pid) in &live {
        if kind == Kind::Other {
            finish(pid, Some("KILL"), Duration::from_secs(5));
        }
    }
    for &(kind, pid) in &live {
        if kind == Kind::Postmaster {
            finish(pid, Some("QUIT"), Duration::from_secs(10));
        }
    }
}

/// Sleep a little, failing on Ctrl-C or after the deadline.
fn tick(deadline: Instant, what: &dyn Fn() -> String) -> Result<(), RunError> {
    if crate::explore::interrupted() {
        return Err(RunError::Interrupted);
    }
    if Instant::now() > deadline {
        return Err(RunError::Failed(format!("timed out: {}", what())));
    }
    std::thread::sleep(Duration::from_millis(20));
    Ok(())
}

/// The unprivileged user servers run as when racecheck runs as root (PostgreSQL refuses root):
/// `nobody`, from /etc/passwd.
pub fn server_user() -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    if std::fs::metadata("/proc/self").map_or(true, |m| m.uid() != 0) {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let ids = passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&"nobody"))
            .then(|| Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?)))?
    });
    Some(ids.unwrap_or((65534, 65534)))
}

/// Give a tree to the server user.
pub fn chown_tree(path: &Path, user: Option<(u32, u32)>) -> Result<(), RunError> {
    let Some((uid, gid)) = user else {
        return Ok(());
    };
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))
        .map_err(|e| failed(format!("chown {}: {e}", path.display())))?;
    if path.is_dir() && !path.is_symlink() {
        for e in std::fs::read_dir(path).map_err(failed)? {
            chown_tree(&e.map_err(failed)?.path(), user)?;
        }
    }
    Ok(())
}

/// A command run as the server user, in its own process group.
pub fn as_server_user(program: &Path, user: Option<(u32, u32)>, home: &Path) -> Command {
    let mut c = Command::new(program);
    c.process_group(0).env("HOME", home).env("LC_ALL", "C");
    if let Some((uid, gid)) = user {
        c.uid(uid).gid(gid);
    }
    c
}

/// Run a short command to completion (initdb and the like), bounded in time.
pub fn run_quiet(mut c: Command, what: &str, secs: u64) -> Result<String, RunError> {
    let (reader, writer) = std::io::pipe().map_err(failed)?;
    let mut child = c
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| RunError::Tools(format!("{what}: {e}")))?;
    drop(c);
    let err = child.stderr.take();
    let pid = register(child, Kind::Other);
    // Read while it runs (a full pipe would stop it).
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut { reader }, &mut s);
        s
    });
    let errs = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut e) = err {
            let _ = std::io::Read::read_to_string(&mut e, &mut s);
        }
        s
    });
    let deadline = Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(st) = status_of(pid) {
            break st;
        }
        if let Err(e) = tick(deadline, &|| what.to_string()) {
            finish(pid, Some("KILL"), Duration::from_secs(5));
            return Err(e);
        }
    };
    let out = out.join().unwrap_or_default();
    let err = errs.join().unwrap_or_default();
    if !status.success() {
        return Err(RunError::Tools(format!(
            "{what} failed ({status}): {}",
            err.trim()
        )));
    }
    Ok(out)
}

/// A PostgreSQL server started by this run.
pub struct Server {
    /// Data directory.
    pub data: PathBuf,
    /// Unix socket directory.
    pub sock: PathBuf,
    /// Port (names the socket).
    pub port: u16,
    /// The server log (its stderr).
    pub log: PathBuf,
    /// The postmaster's pid.
    pub pid: u32,
    /// The log line that says it is up.
    ready: &'static str,
}

/// A port no one listens on over TCP (the server itself only listens on its unix socket).
pub fn free_port() -> Result<u16, RunError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(failed)?;
    Ok(l.local_addr().map_err(failed)?.port())
}

/// What a started server is up as, which says when it is up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A primary (or a restore once its recovery has ended): "ready to accept connections".
    Primary,
    /// A hot standby (`standby.signal`): "ready to accept read-only connections", at
    /// consistency.
    HotStandby,
}

impl Server {
    /// Start `postgres -D data` (settings already in its configuration) as `role`, wait until
    /// it is up.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        role: Role,
        bin: &Path,
        data: &Path,
        sock: &Path,
        port: u16,
        log: &Path,
        user: Option<(u32, u32)>,
        home: &Path,
    ) -> Result<Server, RunError> {
        let ready = match role {
            Role::Primary => "database system is ready to accept connections",
            Role::HotStandby => "database system is ready to accept read-only connections",
        };
        let logf = std::fs::File::create(log).map_err(failed)?;
        let logf2 = logf.try_clone().map_err(failed)?;
        let child = as_server_user(&bin.join("postgres"), user, home)
            .arg("-D")
            .arg(data)
            .stdin(Stdio::null())
            .stdout(logf)
            .stderr(logf2)
            .spawn()
            .map_err(|e| RunError::Tools(format!("postgres: {e}")))?;
        let pid = register(child, Kind::Postmaster);
        let mut s = Server {
            data: data.to_path_buf(),
            sock: sock.to_path_buf(),
            port,
            log: log.to_path_buf(),
            pid,
            ready,
        };
        s.wait_ready(60)?;
        Ok(s)
    }

    /// Wait until the log says the server accepts connections (Ok(true)), or the postmaster
    /// exits (Ok(false)).
    pub fn wait_ready_or_exit(&mut self, secs: u64) -> Result<bool, RunError> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            if log.contains(self.ready) {
                return Ok(true);
            }
            if exited(self.pid) {
                return Ok(false);
            }
            tick(deadline, &|| {
                format!("server {} to start", self.data.display())
            })?;
        }
    }

    fn wait_ready(&mut self, secs: u64) -> Result<(), RunError> {
        if self.wait_ready_or_exit(secs)? {
            Ok(())
        } else {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            Err(RunError::Tools(format!(
                "the server in {} did not start: {}",
                self.data.display(),
                log.lines().rev().take(3).collect::<Vec<_>>().join(" / ")
            )))
        }
    }

    /// Fast shutdown by pid (SIGINT), bounded; SIGKILL if it does not stop.
    pub fn stop(&mut self) {
        finish(self.pid, Some("INT"), Duration::from_secs(30));
    }

    /// Open a psql session to `db`.
    pub fn session(&self, bin: &Path, db: &str, home: &Path) -> Result<Session, RunError> {
        Session::open(bin, &self.sock, self.port, db, home)
    }
}

/// Lines read from a child's stdout and stderr, with a marker protocol on top.
struct Lines {
    rx: Receiver<Option<String>>,
    got: Vec<String>,
}

impl Lines {
    /// Read `r` (a child's stdout and stderr, one pipe: their order is kept) on a thread.
    fn new(r: std::io::PipeReader) -> Lines {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for l in BufReader::new(r).lines() {
                match l {
                    Ok(l) => {
                        if tx.send(Some(l)).is_err() {
                            return;
                        }
                    }
                    Err(_) => break,
                }
            }
            let _ = tx.send(None);
        });
        Lines {
            rx,
            got: Vec::new(),
        }
    }

    /// Lines until one ends with `marker` (not included), waiting at most `wait`: `None` if
    /// it has not come yet (the lines read so far are kept for the next call); `Err` if the
    /// child closed its output first.
    fn poll(
        &mut self,
        marker: &str,
        wait: Duration,
        what: &str,
    ) -> Result<Option<Vec<String>>, RunError> {
        let deadline = Instant::now() + wait;
        loop {
            if crate::explore::interrupted() {
                return Err(RunError::Interrupted);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left.min(Duration::from_millis(100))) {
                Ok(Some(l)) => {
                    if l.ends_with(marker) {
                        return Ok(Some(std::mem::take(&mut self.got)));
                    }
                    self.got.push(l);
                }
                Ok(None) | Err(RecvTimeoutError::Disconnected) => {
                    return Err(RunError::Failed(format!(
                        "{what}: the process ended; its output: {}",
                        std::mem::take(&mut self.got).join(" / ")
                    )));
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if left.is_zero() {
                return Ok(None);
            }
        }
    }

    /// [`Lines::poll`] for up to `secs` seconds; a timeout is an error.
    fn until(&mut self, marker: &str, secs: u64, what: &str) -> Result<Vec<String>, RunError> {
        match self.poll(marker, Duration::from_secs(secs), what)? {
            Some(l) => Ok(l),
            None => Err(RunError::Failed(format!(
                "timed out after {secs} s waiting for {what}; last output: {}",
                self.got
                    .iter()
                    .rev()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" / ")
            ))),
        }
    }
}

/// Spawn `c` with stdin piped and stdout and stderr on one pipe; register it.
fn spawn_piped(mut c: Command, what: &str) -> Result<(u32, ChildStdin, Lines), RunError> {
    let (reader, writer) = std::io::pipe().map_err(failed)?;
    let writer2 = writer.try_clone().map_err(failed)?;
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(writer)
        .stderr(writer2)
        .spawn()
        .map_err(|e| RunError::Tools(format!("{what}: {e}")))?;
    // The parent's copies of the write end must be gone for the reader to see the end.
    drop(c);
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| failed(format!("{what}: no stdin")))?;
    let pid = register(child, Kind::Other);
    Ok((pid, stdin, Lines::new(reader)))
}

/// A psql session, one statement at a time.
pub struct Session {
    pid: u32,
    stdin: ChildStdin,
    lines: Lines,
    marks: u64,
    /// The database.
    pub db: String,
}

impl Session {
    fn open(
        bin: &Path,
        sock: &Path,
        port: u16,
        db: &str,
        home: &Path,
    ) -> Result<Session, RunError> {
        let mut c = Command::new(bin.join("psql"));
        c.process_group(0)
            .env("HOME", home)
            .env("PGCONNECT_TIMEOUT", "10")
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=0",
                "-U",
                "postgres",
            ])
            .arg("-h")
            .arg(sock)
            .arg("-p")
            .arg(port.to_string())
            .arg("-d")
            .arg(db);
        let (pid, stdin, lines) = spawn_piped(c, "psql")?;
        let mut s = Session {
            pid,
            stdin,
            lines,
            marks: 0,
            db: db.to_string(),
        };
        s.query("SELECT 1", 30)?;
        Ok(s)
    }

    /// Send a statement without waiting for it (the command's, held by the debugger).
    pub fn send(&mut self, sql: &str) -> Result<(), RunError> {
        self.marks += 1;
        writeln!(self.stdin, "{sql};\n\\echo @@done{}", self.marks)
            .and_then(|()| self.stdin.flush())
            .map_err(|e| failed(format!("psql ({}): {e}", self.db)))
    }

    /// Wait for the statement sent last; its output lines, `Err` if psql printed an ERROR.
    pub fn wait(&mut self, secs: u64, what: &str) -> Result<Vec<String>, RunError> {
        let marker = format!("@@done{}", self.marks);
        let lines = self.lines.until(&marker, secs, what)?;
        if let Some(e) = lines
            .iter()
            .find(|l| l.contains("ERROR:") || l.contains("FATAL:"))
        {
            return Err(RunError::Failed(format!("{what}: {e}")));
        }
        Ok(lines)
    }

    /// Whether the statement sent last has finished (its output), waiting at most `wait`.
    pub fn poll(&mut self, wait: Duration) -> Result<Option<Vec<String>>, RunError> {
        let marker = format!("@@done{}", self.marks);
        self.lines.poll(&marker, wait, "psql")
    }

    /// Run a statement and wait for it.
    pub fn query(&mut self, sql: &str, secs: u64) -> Result<Vec<String>, RunError> {
        self.send(sql)?;
        self.wait(secs, sql)
    }

    /// The backend's pid.
    pub fn backend_pid(&mut self) -> Result<u32, RunError> {
        let l = self.query("SELECT pg_backend_pid()", 30)?;
        l.first()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| failed("pg_backend_pid() returned nothing"))
    }

    /// End the session (`\q`), bounded.
    pub fn close(mut self) -> Result<(), RunError> {
        let _ = writeln!(self.stdin, "\\q");
        let _ = self.stdin.flush();
        finish(self.pid, None, Duration::from_secs(30));
        Ok(())
    }
}

/// gdb attached to one backend.
pub struct Gdb {
    pid: u32,
    stdin: ChildStdin,
    lines: Lines,
    marks: u64,
}

impl Gdb {
    /// Attach to `pid`, pass every signal to it without stopping.
    pub fn attach(pid: u32) -> Result<Gdb, RunError> {
        let mut c = Command::new("gdb");
        c.process_group(0)
            .args(["-q", "-nx", "-p", &pid.to_string()]);
        let (pid, stdin, lines) = spawn_piped(c, "gdb")?;
        let mut g = Gdb {
            pid,
            stdin,
            lines,
            marks: 0,
        };
        g.cmd(
            "set pagination off\nset confirm off\nhandle all nostop noprint pass",
            60,
        )?;
        Ok(g)
    }

    fn send(&mut self, c: &str) -> Result<(), RunError> {
        self.marks += 1;
        writeln!(self.stdin, "{c}\necho @@gdb{}\\n", self.marks)
            .and_then(|()| self.stdin.flush())
            .map_err(|e| failed(format!("gdb: {e}")))
    }

    /// Run gdb commands and wait for them.
    pub fn cmd(&mut self, c: &str, secs: u64) -> Result<Vec<String>, RunError> {
        self.send(c)?;
        let m = format!("@@gdb{}", self.marks);
        self.lines.until(&m, secs, &format!("gdb: {c}"))
    }

    /// Replace every breakpoint by these and let the backend run (returns at once).
    pub fn run_to(&mut self, bps: &[&str]) -> Result<(), RunError> {
        let mut c = "delete".to_string();
        for bp in bps {
            c += &format!("\nbreak {bp}");
        }
        self.cmd(&c, 30)?;
        self.send("continue")
    }

    /// Whether the backend has stopped at a breakpoint set by [`Gdb::run_to`] (`Some(true)`),
    /// stopped otherwise (`Some(false)`, e.g. it exited), or still runs (`None`), waiting at
    /// most `wait`.
    pub fn poll_stop(&mut self, wait: Duration) -> Result<Option<bool>, RunError> {
        let m = format!("@@gdb{}", self.marks);
        Ok(self
            .lines
            .poll(&m, wait, "gdb")?
            .map(|lines| lines.iter().any(|l| l.contains("Breakpoint "))))
    }

    /// Remove the breakpoints, detach (the backend runs on) and quit.
    pub fn detach(mut self) -> Result<(), RunError> {
        let _ = self.cmd("delete\ndetach", 30);
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        finish(self.pid, None, Duration::from_secs(10));
        Ok(())
    }
}
