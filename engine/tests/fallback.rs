//! When the kernel refuses io_uring (as Docker's default seccomp profile
//! does), the default driver falls back to epoll and serves. A child
//! process of this test forbids `io_uring_setup` with a seccomp filter,
//! then starts a server and asks it which driver answered.

mod common;

use std::process::Command;

use common::{Drv, Opts, TestServer};
use jero_engine::Driver;

/// Set in the child process.
const CHILD: &str = "JERO_ENGINE_FALLBACK_CHILD";
const TEST: &str = "epoll_serves_when_the_kernel_refuses_io_uring";

#[test]
fn epoll_serves_when_the_kernel_refuses_io_uring() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let out = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", TEST, "--nocapture", "--test-threads", "1"])
        .env(CHILD, "1")
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test: does TEST name this test?\n{stdout}"
    );
    assert!(
        stdout.contains("served by: epoll"),
        "no answer from the child's server:\n{stdout}\n{stderr}"
    );
}

fn child() {
    forbid_io_uring_setup();
    assert!(
        io_uring::IoUring::new(8).is_err(),
        "the filter should make io_uring_setup fail"
    );
    // The default driver: `with` checks that the worker answers on epoll.
    let mut server = TestServer::with(
        Drv {
            driver: Driver::Auto,
            name: "epoll",
        },
        Opts {
            workers: 1,
            ..Opts::default()
        },
    );
    server.assert_alive();
    // What the worker itself says it runs on, for the parent to read.
    println!("served by: {}", server.get_close("/driver").body_str());
    server.begin_shutdown();
    server
        .wait_stopped(std::time::Duration::from_secs(5))
        .expect("serve");
}

/// A seccomp filter on this thread and the threads it starts afterwards:
/// `io_uring_setup` fails with `ENOSYS`, everything else is allowed.
fn forbid_io_uring_setup() {
    const IO_URING_SETUP: u32 = 425; // the same number on every architecture
    let filter = [
        // Load the syscall number (`seccomp_data.nr`, offset 0).
        libc::sock_filter {
            code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
            jt: 0,
            jf: 0,
            k: 0,
        },
        libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: IO_URING_SETUP,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ALLOW,
        },
    ];
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: plain prctl calls. PR_SET_NO_NEW_PRIVS takes integer
    // arguments only; PR_SET_SECCOMP reads `program`, which points at
    // `filter`, both alive for the call (the kernel copies the filter).
    let installed = unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
            && libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &program as *const libc::sock_fprog,
            ) == 0
    };
    assert!(installed, "seccomp filter: {}", std::io::Error::last_os_error());
}
