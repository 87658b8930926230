//! A real HTTP/1.1 server on 127.0.0.1 for the revocation tests: it parses
//! requests off the socket (keep-alive included), logs each one, and answers
//! as the test's behaviour says, including not at all.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request as the server saw it, and what it answered.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    /// The status sent back; 0 when the connection was dropped or left hanging.
    pub status: u16,
    /// When the request had arrived.
    pub at: std::time::Instant,
}

impl Seen {
    pub fn header(&self, k: &str) -> &str {
        self.headers.get(k).map(String::as_str).unwrap_or("")
    }

    /// Panics unless the request carries a Standard Webhooks signature by
    /// `secret` (`whsec_…`), timestamped within five minutes of now.
    pub fn assert_signed_by(&self, secret: &str) {
        let secret = burnkey::webhook::Secret::parse(secret).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        burnkey::webhook::verify(
            &secret,
            self.header("webhook-id"),
            self.header("webhook-timestamp"),
            self.header("webhook-signature"),
            &self.body,
            now,
            300,
        )
        .expect("signed with the secret");
    }
}

/// What to do with a request.
pub enum Act {
    Reply(u16, Vec<(&'static str, String)>),
    /// Answer with these headers and this body.
    Body(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// Close the connection without answering.
    Drop,
    /// Answer nothing for this long, then close.
    Hang(Duration),
}

type Behaviour = dyn Fn(&Seen, usize) -> Act + Send + Sync;

pub struct Server {
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

fn read_request(r: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut it = line.split_whitespace();
    let method = it.next()?.to_string();
    let path = it.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        headers,
        body,
        status: 0,
        at: std::time::Instant::now(),
    })
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        202 => "Accepted",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        410 => "Gone",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

impl Server {
    /// Starts on a free loopback port.
    pub fn start(behaviour: impl Fn(&Seen, usize) -> Act + Send + Sync + 'static) -> Server {
        Server::start_on("127.0.0.1:0".parse().unwrap(), behaviour)
    }

    /// Starts on `addr` (to bring a server up where one was refused before).
    pub fn start_on(
        addr: SocketAddr,
        behaviour: impl Fn(&Seen, usize) -> Act + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind(addr).unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicUsize::new(0));
        let behaviour: Arc<Behaviour> = Arc::new(behaviour);
        let (log2, stop2) = (log.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (log, count, behaviour, stop) = (
                            log2.clone(),
                            count.clone(),
                            behaviour.clone(),
                            stop2.clone(),
                        );
                        std::thread::spawn(move || {
                            stream.set_nonblocking(false).unwrap();
                            let mut w = stream.try_clone().unwrap();
                            let mut r = BufReader::new(stream);
                            while let Some(mut seen) = read_request(&mut r) {
                                let n = count.fetch_add(1, Ordering::SeqCst);
                                let (code, headers, body) = match behaviour(&seen, n) {
                                    Act::Reply(code, headers) => (code, headers, b"ok".to_vec()),
                                    Act::Body(code, headers, body) => (code, headers, body),
                                    act => {
                                        log.lock().unwrap().push(seen);
                                        if let Act::Hang(d) = act {
                                            let until = std::time::Instant::now() + d;
                                            while std::time::Instant::now() < until
                                                && !stop.load(Ordering::Relaxed)
                                            {
                                                std::thread::sleep(Duration::from_millis(20));
                                            }
                                        } else {
                                            let _ = w.shutdown(std::net::Shutdown::Both);
                                        }
                                        return;
                                    }
                                };
                                let mut resp = format!(
                                    "HTTP/1.1 {code} {}\r\nContent-Length: {}\r\n",
                                    reason(code),
                                    body.len()
                                );
                                for (k, v) in headers {
                                    resp.push_str(&format!("{k}: {v}\r\n"));
                                }
                                resp.push_str("\r\n");
                                let mut resp = resp.into_bytes();
                                resp.extend_from_slice(&body);
                                seen.status = code;
                                log.lock().unwrap().push(seen);
                                if w.write_all(&resp).is_err() {
                                    return;
                                }
                            }
                        });
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(_) => return,
                }
            }
        });
        Server {
            addr,
            log,
            stop,
            handle: Some(handle),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/revoke", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A loopback address nothing listens on (bound, then released).
pub fn refused_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}
