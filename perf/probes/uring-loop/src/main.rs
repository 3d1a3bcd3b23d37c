//! Probe: a canned-response HTTP/1.1 server on raw io_uring, one thread.
//!
//! It answers every request head (`\r\n\r\n`) with the same 115-byte
//! response and does nothing else, so that the kernel's cost per request
//! can be compared between ways of driving the ring, side by side with the
//! engine (`hello`) and the peers:
//!
//! * `single`: what monoio does. One `recv` per request into the
//!   connection's own buffer, submitted after the response's `send` has
//!   completed; the kernel tries it at once, finds nothing, arms a poll and
//!   retries from task work when the next request arrives.
//! * `multi`: one multishot `recv` per connection, armed once, taking
//!   buffers from a provided buffer ring; no attempt and no poll arm per
//!   request.
//! * `multi-fixed`: `multi` with registered (direct) descriptors: accepted
//!   sockets go straight into the ring's file table, so no `fget`/`fput`
//!   per operation.
//! * `hybrid`: `multi`'s ring driven from inside a monoio runtime (set up
//!   as the engine's), the way the engine could use multishot receive
//!   without leaving monoio: the probe's ring signals an eventfd, a monoio
//!   read on that eventfd wakes the loop, which then enters the probe's
//!   ring to reap and submit. (With `register_eventfd_async` the deferred
//!   task work of a single-issuer ring never signals, and the loop stalls.)
//!
//! The ring is set up single-issuer with deferred task running, as the
//! engine's is. Usage: `uring-loop --addr 127.0.0.1:8080 --mode multi`
//! (or `URING_LOOP_MODE=multi`).
//! Not a server: no parsing, no timeouts, no limits. It exists to be
//! measured (see perf/README.md, "Kernel calls per request").

use std::collections::VecDeque;
use std::io;
use std::net::TcpListener;
use std::os::fd::{AsRawFd, FromRawFd};
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::{cqueue, opcode, squeue, types, IoUring};

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\ndate: Tue, 24 Nov 2026 12:00:00 GMT\r\n\r\nHello, World!";

const ACCEPT: u64 = 1;
const RECV: u64 = 2;
const SEND: u64 = 3;
const CLOSE: u64 = 4;

/// Provided buffers: count (a power of two) and size.
const BUFS: u16 = 1024;
const BUF_SIZE: usize = 2048;
const BGID: u16 = 7;
/// Direct descriptor table size (`multi-fixed`).
const FILES: u32 = 16384;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Single,
    Multi,
    MultiFixed,
    /// `Multi`, driven from a monoio runtime.
    Hybrid,
}

struct Conn {
    /// A raw fd, or a direct descriptor's index (`multi-fixed`).
    fd: i32,
    /// `single`: the connection's receive buffer.
    rbuf: Box<[u8; 4096]>,
    /// Bytes of `\r\n\r\n` matched at the end of what was read so far.
    matched: u8,
    /// The response bytes being sent (not touched while a send is in flight).
    sending: Vec<u8>,
    sent: usize,
    /// Responses queued behind the send in flight.
    pending: Vec<u8>,
    send_in_flight: bool,
    recv_in_flight: bool,
    closing: bool,
}

impl Conn {
    fn new(fd: i32) -> Conn {
        Conn {
            fd,
            rbuf: Box::new([0; 4096]),
            matched: 0,
            sending: Vec::with_capacity(4096),
            sent: 0,
            pending: Vec::with_capacity(4096),
            send_in_flight: false,
            recv_in_flight: false,
            closing: false,
        }
    }
}

/// Counts the request heads completed by `bytes`, carrying the partial
/// match of `\r\n\r\n` in `matched`.
fn heads(matched: &mut u8, bytes: &[u8]) -> usize {
    const END: &[u8; 4] = b"\r\n\r\n";
    let mut n = 0;
    let mut m = *matched as usize;
    for &b in bytes {
        if b == END[m] {
            m += 1;
            if m == 4 {
                n += 1;
                m = 0;
            }
        } else {
            m = usize::from(b == b'\r');
        }
    }
    *matched = m as u8;
    n
}

/// A provided buffer ring: the entries (page aligned, as the kernel wants)
/// and the buffers they point at.
struct BufRing {
    entries: *mut types::BufRingEntry,
    bufs: Vec<u8>,
    tail: u16,
}

impl BufRing {
    fn new(ring: &IoUring) -> io::Result<BufRing> {
        let layout = std::alloc::Layout::from_size_align(BUFS as usize * 16, 4096).expect("layout");
        // SAFETY: the layout has a non-zero size.
        let entries = unsafe { std::alloc::alloc_zeroed(layout) } as *mut types::BufRingEntry;
        assert!(!entries.is_null(), "out of memory");
        let mut br = BufRing {
            entries,
            bufs: vec![0; BUFS as usize * BUF_SIZE],
            tail: 0,
        };
        for bid in 0..BUFS {
            br.give(bid);
        }
        br.publish();
        // SAFETY: the entries live as long as the process (never freed), and
        // BUFS entries were allocated.
        unsafe { ring.submitter().register_buf_ring(entries as u64, BUFS, BGID)? };
        Ok(br)
    }

    fn buf(&self, bid: u16, len: usize) -> &[u8] {
        let start = bid as usize * BUF_SIZE;
        &self.bufs[start..start + len]
    }

    /// Puts buffer `bid` back at the tail (visible after `publish`).
    fn give(&mut self, bid: u16) {
        let slot = (self.tail & (BUFS - 1)) as usize;
        // SAFETY: `slot` < BUFS, inside the allocation; the kernel only
        // reads entries between its head and the published tail, and this
        // one is past the published tail.
        let e = unsafe { &mut *self.entries.add(slot) };
        e.set_addr(self.bufs.as_ptr() as u64 + bid as u64 * BUF_SIZE as u64);
        e.set_len(BUF_SIZE as u32);
        e.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
    }

    fn publish(&self) {
        // SAFETY: the tail field overlays the first entry's `resv`, which is
        // inside the allocation; the kernel reads it with acquire ordering.
        let tail = unsafe { types::BufRingEntry::tail(self.entries) } as *const AtomicU16;
        // SAFETY: as above; u16 and AtomicU16 have the same layout.
        unsafe { (*tail).store(self.tail, Ordering::Release) };
    }
}

struct Server {
    ring: IoUring,
    mode: Mode,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    bufs: Option<BufRing>,
    listener: i32,
    backlog: VecDeque<squeue::Entry>,
}

fn ud(kind: u64, conn: usize) -> u64 {
    (conn as u64) << 8 | kind
}

impl Server {
    fn new(ring: IoUring, mode: Mode, listener: i32) -> io::Result<Server> {
        let bufs = if mode == Mode::Single {
            None
        } else {
            Some(BufRing::new(&ring)?)
        };
        Ok(Server {
            ring,
            mode,
            conns: Vec::new(),
            free: Vec::new(),
            bufs,
            listener,
            backlog: VecDeque::new(),
        })
    }

    fn push(&mut self, e: squeue::Entry) {
        // SAFETY: every entry's buffers outlive the operation: receive
        // buffers are boxed per connection (or in the buffer ring), send
        // buffers are not touched while their send is in flight, and a
        // connection is freed only once no operation of its is in flight.
        if unsafe { self.ring.submission().push(&e) }.is_err() {
            self.backlog.push_back(e);
        }
    }

    fn fd(&self, fd: i32) -> Fd {
        match self.mode {
            Mode::MultiFixed => Fd::Fixed(types::Fixed(fd as u32)),
            _ => Fd::Raw(types::Fd(fd)),
        }
    }

    fn arm_accept(&mut self) {
        let fixed = self.mode == Mode::MultiFixed;
        let e = opcode::AcceptMulti::new(types::Fd(self.listener))
            .allocate_file_index(fixed)
            .build()
            .user_data(ACCEPT);
        self.push(e);
    }

    fn arm_recv(&mut self, id: usize) {
        let c = self.conns[id].as_mut().expect("live conn");
        c.recv_in_flight = true;
        let fd = c.fd;
        let ptr = c.rbuf.as_mut_ptr();
        let e = match (self.mode, self.fd(fd)) {
            (Mode::Single, Fd::Raw(f)) => opcode::Recv::new(f, ptr, 4096).build(),
            (_, Fd::Raw(f)) => opcode::RecvMulti::new(f, BGID).build(),
            (_, Fd::Fixed(f)) => opcode::RecvMulti::new(f, BGID).build(),
        };
        self.push(e.user_data(ud(RECV, id)));
    }

    fn start_send(&mut self, id: usize) {
        let mode = self.mode;
        let c = self.conns[id].as_mut().expect("live conn");
        if c.send_in_flight || c.pending.is_empty() {
            return;
        }
        std::mem::swap(&mut c.sending, &mut c.pending);
        c.pending.clear();
        c.sent = 0;
        c.send_in_flight = true;
        let (fd, ptr, len) = (c.fd, c.sending.as_ptr(), c.sending.len() as u32);
        let e = match (mode, self.fd(fd)) {
            (_, Fd::Raw(f)) => opcode::Send::new(f, ptr, len).build(),
            (_, Fd::Fixed(f)) => opcode::Send::new(f, ptr, len).build(),
        };
        self.push(e.user_data(ud(SEND, id)));
    }

    fn resend_rest(&mut self, id: usize) {
        let c = self.conns[id].as_mut().expect("live conn");
        let rest = &c.sending[c.sent..];
        let (fd, ptr, len) = (c.fd, rest.as_ptr(), rest.len() as u32);
        let e = match self.fd(fd) {
            Fd::Raw(f) => opcode::Send::new(f, ptr, len).build(),
            Fd::Fixed(f) => opcode::Send::new(f, ptr, len).build(),
        };
        self.push(e.user_data(ud(SEND, id)));
    }

    fn on_bytes(&mut self, id: usize, n: usize, bid: Option<u16>) {
        let c = self.conns[id].as_mut().expect("live conn");
        let heads = match bid {
            Some(b) => heads(&mut c.matched, self.bufs.as_ref().expect("buffer ring").buf(b, n)),
            None => heads(&mut c.matched, &c.rbuf[..n]),
        };
        for _ in 0..heads {
            c.pending.extend_from_slice(RESPONSE);
        }
        if let Some(b) = bid {
            let br = self.bufs.as_mut().expect("buffer ring");
            br.give(b);
            br.publish();
        }
        self.start_send(id);
    }

    /// Closes the connection once nothing of it is in flight.
    fn close(&mut self, id: usize) {
        let c = self.conns[id].as_mut().expect("live conn");
        c.closing = true;
        if c.send_in_flight || c.recv_in_flight {
            return;
        }
        let fd = c.fd;
        self.conns[id] = None;
        self.free.push(id);
        match self.mode {
            Mode::MultiFixed => {
                let e = opcode::Close::new(types::Fixed(fd as u32))
                    .build()
                    .user_data(CLOSE);
                self.push(e);
            }
            _ => {
                // SAFETY: the fd is this connection's and no operation uses it.
                unsafe { libc::close(fd) };
            }
        }
    }

    fn complete(&mut self, user_data: u64, res: i32, flags: u32) {
        let kind = user_data & 0xff;
        let id = (user_data >> 8) as usize;
        match kind {
            ACCEPT => {
                if res >= 0 {
                    let id = self.free.pop().unwrap_or_else(|| {
                        self.conns.push(None);
                        self.conns.len() - 1
                    });
                    self.conns[id] = Some(Conn::new(res));
                    self.arm_recv(id);
                }
                if !cqueue::more(flags) {
                    self.arm_accept();
                }
            }
            RECV => {
                let more = self.mode != Mode::Single && cqueue::more(flags);
                if !more {
                    self.conns[id].as_mut().expect("live conn").recv_in_flight = false;
                }
                if res > 0 {
                    let bid = cqueue::buffer_select(flags);
                    self.on_bytes(id, res as usize, bid);
                    let c = self.conns[id].as_ref().expect("live conn");
                    // `single`: the next recv goes out after the response's
                    // send, as the engine does; right away if there was none.
                    if !more && !c.closing && (self.mode != Mode::Single || !c.send_in_flight) {
                        self.arm_recv(id);
                    }
                } else if res == -libc::ENOBUFS {
                    if !more {
                        self.arm_recv(id);
                    }
                } else {
                    self.close(id);
                }
            }
            SEND => {
                let c = self.conns[id].as_mut().expect("live conn");
                if res < 0 {
                    c.send_in_flight = false;
                    self.close(id);
                    return;
                }
                c.sent += res as usize;
                if c.sent < c.sending.len() {
                    self.resend_rest(id);
                    return;
                }
                c.send_in_flight = false;
                if c.closing {
                    self.close(id);
                    return;
                }
                if !c.pending.is_empty() {
                    self.start_send(id);
                } else if self.mode == Mode::Single && !c.recv_in_flight {
                    self.arm_recv(id);
                }
            }
            _ => {}
        }
    }

    /// Moves entries that did not fit back into the submission queue.
    fn drain_backlog(&mut self) -> io::Result<()> {
        while let Some(e) = self.backlog.pop_front() {
            // SAFETY: as in `push`.
            if unsafe { self.ring.submission().push(&e) }.is_err() {
                self.backlog.push_front(e);
                self.ring.submit()?;
            }
        }
        Ok(())
    }

    /// Handles every completion in the queue; returns how many there were.
    fn reap(&mut self, cqes: &mut Vec<(u64, i32, u32)>) -> usize {
        cqes.clear();
        cqes.extend(
            self.ring
                .completion()
                .map(|c| (c.user_data(), c.result(), c.flags())),
        );
        for &(u, r, f) in cqes.iter() {
            self.complete(u, r, f);
        }
        cqes.len()
    }

    fn run(&mut self) -> io::Result<()> {
        self.arm_accept();
        let mut cqes = Vec::with_capacity(1024);
        loop {
            self.drain_backlog()?;
            match self.ring.submit_and_wait(1) {
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
                Err(e) => return Err(e),
            }
            self.reap(&mut cqes);
        }
    }

    /// `hybrid`: the same loop, waiting in monoio instead of in this ring.
    async fn run_hybrid(&mut self, eventfd: monoio::fs::File) -> io::Result<()> {
        const IORING_ENTER_GETEVENTS: u32 = 1;
        self.arm_accept();
        let mut cqes = Vec::with_capacity(1024);
        let mut counter = vec![0u8; 8];
        loop {
            self.drain_backlog()?;
            let queued = self.ring.submission().len() as u32;
            // SAFETY: no wait (min_complete 0) and no argument; GETEVENTS runs
            // the ring's deferred task work, posting what is ready.
            match unsafe {
                self.ring
                    .submitter()
                    .enter::<libc::sigset_t>(queued, 0, IORING_ENTER_GETEVENTS, None)
            } {
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
                Err(e) => return Err(e),
            }
            if self.reap(&mut cqes) == 0 {
                // Nothing ready: wait (in monoio) for the ring to signal.
                let (res, buf) = eventfd.read_at(counter, 0).await;
                counter = buf;
                res?;
            }
        }
    }
}

enum Fd {
    Raw(types::Fd),
    Fixed(types::Fixed),
}

fn parse_mode(name: Option<&str>) -> Mode {
    match name {
        Some("single") => Mode::Single,
        Some("multi") => Mode::Multi,
        Some("multi-fixed") => Mode::MultiFixed,
        Some("hybrid") => Mode::Hybrid,
        other => panic!("mode: single, multi, multi-fixed or hybrid, not {other:?}"),
    }
}

fn main() -> io::Result<()> {
    let mut addr = "127.0.0.1:8080".to_owned();
    // `URING_LOOP_MODE` is how perf/run.sh picks the mode (it passes only
    // the environment, `--workers` and `--addr`); `--mode` overrides it.
    let mut mode = parse_mode(std::env::var("URING_LOOP_MODE").ok().as_deref().or(Some("multi")));
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--addr" => addr = args.next().expect("--addr ADDR"),
            "--mode" => mode = parse_mode(args.next().as_deref()),
            // Accepted and ignored: perf/run.sh passes it to every server.
            "--workers" => {
                args.next();
            }
            other => panic!("unknown argument {other}"),
        }
    }
    let listener = TcpListener::bind(&addr)?;
    // Accepted sockets inherit TCP_NODELAY from the listener (direct
    // descriptors have no fd to set it on afterwards).
    let one: libc::c_int = 1;
    // SAFETY: a valid socket fd and a c_int option value.
    let rc = unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            &one as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as u32,
        )
    };
    assert_eq!(rc, 0, "TCP_NODELAY: {}", io::Error::last_os_error());
    let ring = IoUring::builder()
        .setup_single_issuer()
        .setup_defer_taskrun()
        .setup_cqsize(8192)
        .build(4096)?;
    if mode == Mode::MultiFixed {
        ring.submitter().register_files_sparse(FILES)?;
    }
    if mode == Mode::Hybrid {
        let mut b = IoUring::builder();
        b.setup_single_issuer().setup_defer_taskrun();
        let mut rt = monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
            .with_entries(1024)
            .uring_builder(b)
            .build()?;
        return rt.block_on(async move {
            // SAFETY: plain eventfd creation; the result is checked.
            let efd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
            if efd < 0 {
                return Err(io::Error::last_os_error());
            }
            ring.submitter().register_eventfd(efd)?;
            // SAFETY: `efd` is a fresh descriptor owned by nothing else.
            let file = monoio::fs::File::from_std(unsafe { std::fs::File::from_raw_fd(efd) })?;
            let mut server = Server::new(ring, Mode::Multi, listener.as_raw_fd())?;
            server.run_hybrid(file).await
        });
    }
    let mut server = Server::new(ring, mode, listener.as_raw_fd())?;
    server.run()
}
