//! Helpers shared by the socket tests: a server on an ephemeral port and a
//! tiny HTTP/1.1 client over one keep-alive connection.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use jero::engine::ShutdownHandle;
use jero::App;
use serde_json::Value;

pub struct Server {
    pub addr: SocketAddr,
    shutdown: ShutdownHandle,
    pub thread: Option<JoinHandle<Result<(), jero::ServeError>>>,
}

impl Server {
    pub fn start(app: impl App) -> Server {
        let bound = jero::serve(app)
            .addr("127.0.0.1:0")
            .workers(1)
            .handle_signals(false)
            .bind()
            .expect("the app binds");
        let addr = bound.local_addr();
        let shutdown = bound.shutdown_handle();
        let thread = std::thread::spawn(move || bound.run());
        Server {
            addr,
            shutdown,
            thread: Some(thread),
        }
    }

    pub fn connect(&self) -> Conn {
        let stream = TcpStream::connect(self.addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    /// Stops the server and waits for it to finish cleanly.
    pub fn stop(mut self) {
        self.shutdown.shutdown();
        let result = self
            .thread
            .take()
            .unwrap()
            .join()
            .expect("the server thread panicked");
        result.expect("the server ran cleanly");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failed test still stops its server.
        if let Some(thread) = self.thread.take() {
            self.shutdown.shutdown();
            let _ = thread.join();
        }
    }
}

/// One keep-alive connection.
pub struct Conn {
    pub reader: BufReader<TcpStream>,
    pub writer: TcpStream,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

impl Conn {
    /// Sends one request and reads its response.
    pub fn send(&mut self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut raw = format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\n");
        for (n, v) in headers {
            raw.push_str(&format!("{n}: {v}\r\n"));
        }
        if !body.is_empty() {
            raw.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        raw.push_str("\r\n");
        let mut bytes = raw.into_bytes();
        bytes.extend_from_slice(body);
        self.writer.write_all(&bytes).expect("write the request");
        self.read_response(method == "HEAD")
    }

    /// Sends raw request bytes and reads the response.
    pub fn send_raw(&mut self, raw: &[u8], is_head: bool) -> Resp {
        self.writer.write_all(raw).expect("write the request");
        self.read_response(is_head)
    }

    pub fn get(&mut self, target: &str) -> Resp {
        self.send("GET", target, &[], b"")
    }

    /// Reads a response framed by `Content-Length`, chunked, or by the
    /// connection's end (no body for HEAD, 1xx, 204 and 304).
    pub fn read_response(&mut self, is_head: bool) -> Resp {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("read the status line");
        let mut parts = line.trim_end().splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"), "status line: {line:?}");
        let status: u16 = parts.next().and_then(|s| s.parse().ok()).expect("a status code");
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("read a header line");
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                break;
            }
            let (n, v) = line.split_once(':').expect("a header line");
            headers.push((n.to_owned(), v.trim().to_owned()));
        }
        let mut resp = Resp {
            status,
            headers,
            body: Vec::new(),
        };
        let bodiless = is_head || status < 200 || status == 204 || status == 304;
        if !bodiless && resp.header("transfer-encoding") == Some("chunked") {
            loop {
                let mut size = String::new();
                self.reader.read_line(&mut size).expect("read a chunk size");
                let size = usize::from_str_radix(size.trim_end(), 16).expect("a hex chunk size");
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk).expect("read a chunk");
                assert_eq!(&chunk[size..], b"\r\n", "a chunk ends with CRLF");
                if size == 0 {
                    break;
                }
                resp.body.extend_from_slice(&chunk[..size]);
            }
        } else if !bodiless {
            match resp.header("content-length") {
                Some(len) => {
                    let len: usize = len.parse().expect("a numeric content-length");
                    resp.body = vec![0; len];
                    self.reader.read_exact(&mut resp.body).expect("read the body");
                }
                None => {
                    assert_eq!(resp.header("connection"), Some("close"), "no length, no close");
                    self.reader.read_to_end(&mut resp.body).expect("read to the end");
                }
            }
        }
        resp
    }

    /// Whether the server closed the connection (EOF, nothing more sent).
    pub fn closed_by_server(&mut self) -> bool {
        let mut rest = Vec::new();
        match self.reader.read_to_end(&mut rest) {
            Ok(_) => rest.is_empty(),
            Err(_) => false,
        }
    }
}
