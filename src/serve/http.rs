//! The HTTP/1.1 side of `burnkey serve`, on hyper and tokio: routes, the
//! body limit, timeouts, bounded connections and requests, one log line per
//! request, and a graceful stop on SIGTERM or Ctrl-C.
//!
//! - A request's head must arrive within `header_timeout` (also between
//!   keep-alive requests), its body within `read_timeout`: a slow client is
//!   cut off and holds no worker meanwhile, since reading is asynchronous.
//! - A body past `max_body` is answered 413 (at once when its
//!   `Content-Length` says so) and the connection closed.
//! - At most `max_connections` connections; one more is answered 503 and
//!   closed. At most `max_requests` reports are handled at once, on
//!   tokio's blocking threads (the store is synchronous).
//! - On SIGTERM the listener closes, requests in flight finish (for up to
//!   `grace`), idle connections close, queued notifications are sent.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::log::{Line, Log};
use super::{Receiver, Reply, Reporter, Settings};
use crate::error::Error;

/// The headers a signature is in: all the receiver is given.
const SIGNED_BY: [&str; 5] = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "github-public-key-identifier",
    "github-public-key-signature",
];

/// The answer to a connection past `max_connections`.
const BUSY: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

struct Shared {
    receiver: Arc<Receiver>,
    log: Log,
    max_body: u64,
    read_timeout: Duration,
    requests: Semaphore,
}

/// Serves until SIGTERM or Ctrl-C; `ready` hears the bound address first.
pub fn run(
    settings: &Settings,
    receiver: Arc<Receiver>,
    log: Log,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(settings.max_requests + 2)
        .enable_all()
        .build()
        .map_err(|e| Error::Invalid(format!("cannot start the server's runtime: {e}")))?;
    let r = rt.block_on(serve(settings, receiver.clone(), log, ready));
    // Connections cut off at the end of the grace period end with the runtime.
    rt.shutdown_timeout(Duration::from_secs(1));
    receiver.finish();
    r
}

async fn serve(
    settings: &Settings,
    receiver: Arc<Receiver>,
    log: Log,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), Error> {
    use tokio::signal::unix::{signal, SignalKind};
    // The handlers are in place before anyone can know the address.
    let mut term = signal(SignalKind::terminate())
        .map_err(|e| Error::Invalid(format!("cannot handle SIGTERM: {e}")))?;
    let listener = TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| Error::Invalid(format!("cannot listen on {}: {e}", settings.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Invalid(format!("cannot listen on {}: {e}", settings.listen)))?;
    let ctx = Arc::new(Shared {
        receiver,
        log,
        max_body: settings.max_body,
        read_timeout: settings.read_timeout,
        requests: Semaphore::new(settings.max_requests),
    });
    let connections = Arc::new(Semaphore::new(settings.max_connections));
    let graceful = GracefulShutdown::new();
    ready(addr);
    let why = loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors, most likely: let some close.
                        log.event("accept-failed", &[("error", &e.to_string())]);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(permit) = connections.clone().try_acquire_owned() else {
                    let _ = stream.try_write(BUSY);
                    log.event("busy", &[("remote", &remote.to_string())]);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let ctx = ctx.clone();
                let svc = service_fn(move |req| handle(req, ctx.clone(), remote));
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(settings.header_timeout)
                    .serve_connection(TokioIo::new(stream), svc);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(permit);
                });
            }
            _ = term.recv() => break "SIGTERM",
            _ = tokio::signal::ctrl_c() => break "SIGINT",
        }
    };
    drop(listener);
    log.event(
        "shutdown",
        &[("signal", why), ("grace", &format!("{:?}", settings.grace))],
    );
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(settings.grace) => {
            log.event("grace-over", &[("message", "requests still in flight were cut off")]);
        }
    }
    Ok(())
}

async fn handle(
    req: Request<Incoming>,
    ctx: Arc<Shared>,
    remote: SocketAddr,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let (reply, bytes, close) = match (&method, path.as_str()) {
        (&Method::GET | &Method::HEAD, "/healthz") => {
            (Reply::json(200, br#"{"status":"ok"}"#.to_vec()), 0, false)
        }
        (&Method::POST, "/v1/revocations") => report(req, &ctx, Reporter::Burnkey).await,
        (&Method::POST, "/v1/github/secret-scanning") => report(req, &ctx, Reporter::Github).await,
        (_, "/healthz" | "/v1/revocations" | "/v1/github/secret-scanning") => {
            (Reply::error(405, "method not allowed"), 0, false)
        }
        _ => (Reply::error(404, "no such route"), 0, false),
    };
    ctx.log.request(&Line {
        remote: &remote.to_string(),
        method: method.as_str(),
        path: &path,
        status: reply.status,
        ms: start.elapsed().as_secs_f64() * 1000.0,
        bytes,
        counts: reply.counts,
        replayed: reply.replayed,
        why: reply.why.as_deref(),
    });
    let mut resp = Response::new(Full::new(Bytes::from(reply.body)));
    *resp.status_mut() = hyper::StatusCode::from_u16(reply.status).expect("a status");
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if close {
        h.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    if reply.status == 503 {
        h.insert(RETRY_AFTER, HeaderValue::from_static("5"));
    }
    Ok(resp)
}

/// Reads a report's body within the limits, then hands it to the receiver
/// on a blocking thread: the reply, the bytes read, and whether to close.
async fn report(req: Request<Incoming>, ctx: &Shared, route: Reporter) -> (Reply, usize, bool) {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > ctx.max_body) {
        return (too_large(ctx.max_body), 0, true);
    }
    let headers: Vec<(&'static str, String)> = SIGNED_BY
        .iter()
        .filter_map(|&n| {
            let v = req.headers().get(n)?.to_str().ok()?;
            Some((n, v.to_string()))
        })
        .collect();
    let limit = usize::try_from(ctx.max_body).unwrap_or(usize::MAX);
    let read = Limited::new(req.into_body(), limit).collect();
    let body = match tokio::time::timeout(ctx.read_timeout, read).await {
        Err(_) => {
            return (
                Reply::error(408, "the body did not arrive in time"),
                0,
                true,
            )
        }
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return (too_large(ctx.max_body), 0, true)
        }
        Ok(Err(_)) => return (Reply::error(400, "the body could not be read"), 0, true),
        Ok(Ok(c)) => c.to_bytes(),
    };
    let n = body.len();
    let Ok(_permit) = ctx.requests.acquire().await else {
        return (Reply::error(503, "shutting down"), n, true);
    };
    let receiver = ctx.receiver.clone();
    let reply = tokio::task::spawn_blocking(move || {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        match route {
            Reporter::Burnkey => receiver.revocations(&h, &body, SystemTime::now()),
            Reporter::Github => receiver.github(&h, &body, SystemTime::now()),
        }
    })
    .await
    .unwrap_or_else(|_| Reply::error(500, "the report could not be handled"));
    (reply, n, false)
}

fn too_large(max: u64) -> Reply {
    Reply::error(413, format!("the body is larger than {max} bytes"))
}
