//! What a hostile or broken server cannot make the client do: follow a redirect with its
//! credentials, read an endless error body, or send a server name other than the configured
//! `tls-server-name`. Each server here is a socket on loopback speaking just enough of the
//! protocol to try one thing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kubegen_runtime::client::Request;
use kubegen_runtime::config::{Auth, Config};
use kubegen_runtime::{Client, Error};

fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let port = listener.local_addr().expect("address").port();
    (listener, port)
}

/// Reads an HTTP/1.1 request's head.
fn read_head(stream: &TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            return head;
        }
        head.push_str(&line);
    }
}

fn get(client: &Client, path: &str) -> impl std::future::Future<Output = Result<reqwest::Response, Error>> {
    let client = client.clone();
    let request = Request::new(reqwest::Method::GET, path.to_owned());
    async move { client.send(request).await }
}

#[tokio::test]
async fn redirects_are_errors_that_name_the_location_and_are_not_followed() {
    let (elsewhere, elsewhere_port) = listener();
    elsewhere.set_nonblocking(true).expect("nonblocking");
    let (server, port) = listener();
    std::thread::spawn(move || {
        for code in [301, 302, 307, 308] {
            let Ok((mut stream, _)) = server.accept() else { return };
            read_head(&stream);
            let response = format!(
                "HTTP/1.1 {code} Moved\r\nLocation: http://stealer:pw@127.0.0.1:{elsewhere_port}/collect\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    let mut config = Config::new(format!("http://127.0.0.1:{port}").parse().expect("url"));
    config.auth = Auth::Token("the-bearer-token".into());
    let client = Client::new(config).expect("client");
    for code in [301u16, 302, 307, 308] {
        let error = get(&client, "/api/v1/namespaces").await.expect_err("a redirect");
        let Error::Redirect { code: seen, location, .. } = &error else { panic!("{error:?}") };
        assert_eq!(*seen, code);
        assert_eq!(location, &format!("http://<redacted>@127.0.0.1:{elsewhere_port}/collect"));
        let text = error.to_string();
        assert!(text.contains("do not follow redirects") && !text.contains("pw@"), "{text}");
    }
    assert!(elsewhere.accept().is_err(), "nothing went to the redirect's target");
}

#[tokio::test]
async fn an_endless_error_body_is_cut_short() {
    let (server, port) = listener();
    let written = Arc::new(AtomicUsize::new(0));
    let counter = written.clone();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = server.accept() else { return };
        read_head(&stream);
        let _ = stream.write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\n");
        let chunk = vec![b'x'; 64 * 1024];
        while stream.write_all(&chunk).is_ok() {
            counter.fetch_add(chunk.len(), Ordering::Relaxed);
        }
    });
    let client = Client::new(Config::new(format!("http://127.0.0.1:{port}").parse().expect("url"))).expect("client");
    let error = tokio::time::timeout(Duration::from_secs(30), get(&client, "/api"))
        .await
        .expect("the client stops reading")
        .expect_err("a 500");
    assert_eq!(error.code(), Some(500));
    assert!(error.to_string().len() < 2000, "the message is bounded");
    // The client read 1 MiB; socket buffers hold some more.
    assert!(written.load(Ordering::Relaxed) < 64 << 20, "{} bytes sent", written.load(Ordering::Relaxed));
}

/// Accepts one TLS connection and returns the server name of its ClientHello.
fn server_name_of_one_hello(server: TcpListener) -> std::thread::JoinHandle<Option<String>> {
    std::thread::spawn(move || {
        let (mut stream, _) = server.accept().ok()?;
        let mut acceptor = rustls::server::Acceptor::default();
        let mut buffer = [0u8; 4096];
        loop {
            let read = stream.read(&mut buffer).ok().filter(|read| *read > 0)?;
            acceptor.read_tls(&mut &buffer[..read]).ok()?;
            match acceptor.accept() {
                Ok(Some(accepted)) => return Some(accepted.client_hello().server_name().unwrap_or("").to_owned()),
                Ok(None) => continue,
                Err(_) => return None,
            }
        }
    })
}

#[tokio::test]
async fn tls_server_name_is_the_server_name_sent() {
    let cases = [
        ("127.0.0.1", Some("api.internal.example"), "api.internal.example"),
        ("127.0.0.1", None, ""),
        ("localhost", None, "localhost"),
        ("localhost", Some("other.example"), "other.example"),
    ];
    for (host, server_name, expected) in cases {
        let (server, port) = listener();
        let hello = server_name_of_one_hello(server);
        let mut config = Config::new(format!("https://{host}:{port}").parse().expect("url"));
        config.tls_server_name = server_name.map(str::to_owned);
        let client = Client::new(config).expect("client");
        let error = get(&client, "/version").await.expect_err("the handshake is cut");
        assert!(matches!(error, Error::Transport { .. }), "{error:?}");
        assert!(error.to_string().contains(&format!("https://{host}:{port}/version")), "{error}");
        let sent = hello.join().expect("joins").expect("a ClientHello");
        assert_eq!(sent, expected, "{host} with {server_name:?}");
    }
}
