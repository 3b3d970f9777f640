//! Broken streams give errors, not hangs: a kubelet that dies mid-stream, a kubelet that hangs
//! (client-side timeouts: the upgrade's, and keepalive pings that go unanswered), and a
//! kube-apiserver restart under open exec, port-forward and log streams (private plane).

use std::time::Duration;

use futures::StreamExt;
use kubegen_api::Clientset;
use kubegen_api::core_v1::Pod;
use kubegen_runtime::client::{AttachParams, ChannelProtocol, Keepalive, LogParams};
use kubegen_runtime::config::{Config, Kubeconfig};
use kubegen_runtime::{Api, Client, Error};
use kubegen_tests::{ControlPlane, Kubelet};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// The longest any step may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(60);

async fn bounded<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(HANG, future).await.unwrap_or_else(|_| panic!("{what}: no result after {HANG:?}"))
}

fn admin_config(cp: &ControlPlane) -> Config {
    let kubeconfig = Kubeconfig::read(cp.kubeconfig_path()).expect("kubeconfig");
    Config::from_custom_kubeconfig(&kubeconfig, &Default::default()).expect("config")
}

async fn setup(cp: &ControlPlane, prefix: &str, client: Client) -> (Kubelet, Api<Pod>) {
    let ns = cp.fresh_namespace(prefix).await.expect("namespace");
    let kubelet = cp.start_kubelet().await.expect("fake kubelet");
    kubelet.create_pod(&cp.http().expect("http"), &ns, "box", &["app"]).await.expect("pod");
    (kubelet, Clientset::new(client).core_v1().pods(&ns))
}

/// Runs the fake's `crash` command: it answers "ready", then cuts its connection once it reads
/// a line. Returns how the session ended.
async fn crash_exec(pods: &Api<Pod>, params: &AttachParams) -> Result<kubegen_runtime::client::ExitStatus, Error> {
    let mut process = bounded("exec crash", pods.exec("box", ["crash"], params)).await.expect("exec");
    let mut stdin = process.stdin().expect("stdin");
    let mut stdout = BufReader::new(process.stdout().expect("stdout"));
    let mut line = String::new();
    bounded("ready", stdout.read_line(&mut line)).await.expect("read");
    assert_eq!(line, "ready\n");
    stdin.write_all(b"now\n").await.expect("write");
    let status = bounded("status after the cut", process.status()).await;
    // Whatever the status, the output ends (no hang).
    let mut rest = Vec::new();
    let _ = bounded("output after the cut", stdout.read_to_end(&mut rest)).await;
    status
}

/// Writes `message` on `stream` and reads it back (the echo server behind the forward).
async fn echo_once(stream: &mut kubegen_runtime::client::PortStream, message: &[u8]) {
    stream.write_all(message).await.expect("write");
    let mut echoed = vec![0; message.len()];
    bounded("echo", stream.read_exact(&mut echoed)).await.expect("read");
    assert_eq!(echoed, message);
}

#[tokio::test]
async fn a_kubelet_dying_mid_stream_is_an_error() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("control plane");
    let (kubelet, pods) = setup(cp, "crash", cp.kube_client().expect("client")).await;
    let params = AttachParams::default().stdin(true);

    // The kubelet cuts the connection an exec came on, mid-command. Over v4, kube-apiserver
    // passes the websocket through and drops the client's side with the kubelet's: the
    // session broke, so the status is an error.
    let v4 = params.clone().protocols(&[ChannelProtocol::V4]);
    let error = crash_exec(&pods, &v4).await.expect_err("a cut connection is an error");
    assert!(matches!(error, Error::Stream { .. }), "{error}");
    // Over v5, kube-apiserver ends the session itself, with the Status its SPDY client made
    // of the cut: client-go reads a closed error stream as success. The session ends (no
    // hang) and says what the server said.
    let status = crash_exec(&pods, &params).await;
    tracing::info!(?status, "exec over v5 cut by the kubelet");

    // The kubelet process dies under an open port-forward.
    let port = kubelet.echo_port();
    let mut forwarder = bounded("port-forward", pods.portforward("box", &[port])).await.expect("port-forward");
    let mut stream = forwarder.take_stream(port).expect("stream");
    echo_once(&mut stream, b"before the kill").await;
    kubelet.kill();
    let mut buffer = [0; 64];
    let read = bounded("read after the kill", stream.read(&mut buffer)).await;
    assert!(read.is_err(), "a broken port-forward is an error, not an end of file: {read:?}");
    let error = bounded("join", forwarder.join()).await.expect_err("join reports the break");
    assert!(matches!(error, Error::Stream { .. }), "{error}");

    // With no kubelet at all, the command fails at once.
    let error = bounded("exec without a kubelet", async {
        pods.exec("box", ["echo", "hi"], &AttachParams::default()).await?.status().await
    })
    .await
    .expect_err("no kubelet");
    assert!(error.code().is_some_and(|code| code >= 500), "{error}");
}

#[tokio::test]
async fn a_hung_kubelet_times_out() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("control plane");
    let mut config = admin_config(cp);
    config.timeout = Some(Duration::from_secs(2));
    let (kubelet, pods) = setup(cp, "hang", Client::new(config).expect("client")).await;

    let keepalive = Keepalive { interval: Duration::from_millis(200), timeout: Duration::from_secs(2) };
    let port = kubelet.echo_port();
    let mut forwarder =
        bounded("port-forward", pods.portforward_with("box", &[port], keepalive)).await.expect("port-forward");
    let mut stream = forwarder.take_stream(port).expect("stream");
    echo_once(&mut stream, b"before the pause").await;

    kubelet.pause().expect("SIGSTOP");
    // Pings pass through kube-apiserver to the frozen kubelet and go unanswered.
    let started = tokio::time::Instant::now();
    let mut buffer = [0; 64];
    let error = bounded("read from a frozen kubelet", stream.read(&mut buffer)).await.expect_err("keepalive timeout");
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10), "noticed after {:?}", started.elapsed());

    // v4 is passed through: kube-apiserver waits for the frozen kubelet before it answers, and
    // the client's request timeout bounds the upgrade.
    let v4 = AttachParams::default().protocols(&[ChannelProtocol::V4]);
    let started = tokio::time::Instant::now();
    let error =
        bounded("upgrade to a frozen kubelet", pods.exec("box", ["echo", "hi"], &v4)).await.expect_err("timeout");
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10), "noticed after {:?}", started.elapsed());
    kubelet.resume().expect("SIGCONT");
}

#[tokio::test]
async fn an_apiserver_restart_breaks_open_streams() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::start().expect("private control plane");
    let (_kubelet, pods) = setup(&cp, "restart", cp.kube_client().expect("client")).await;

    let mut process =
        bounded("exec cat", pods.exec("box", ["cat"], &AttachParams::default().stdin(true))).await.expect("exec");
    let mut stdin = process.stdin().expect("stdin");
    let mut stdout = BufReader::new(process.stdout().expect("stdout"));
    stdin.write_all(b"hello\n").await.expect("write");
    let mut line = String::new();
    bounded("cat echo", stdout.read_line(&mut line)).await.expect("read");
    assert_eq!(line, "hello\n");

    let port = _kubelet.echo_port();
    let mut forwarder = bounded("port-forward", pods.portforward("box", &[port])).await.expect("port-forward");
    let mut stream = forwarder.take_stream(port).expect("stream");
    echo_once(&mut stream, b"before the restart").await;

    let status = bounded("log", async {
        pods.exec("box", ["log", "first"], &AttachParams::default()).await.expect("exec").status().await
    })
    .await
    .expect("status");
    assert!(status.success());
    let follow = LogParams { follow: true, ..LogParams::default() };
    let mut lines = Box::pin(bounded("follow", pods.log_lines("box", &follow)).await.expect("log stream"));
    assert_eq!(bounded("first line", lines.next()).await.expect("a line").expect("line"), "first");

    // Killed: a graceful stop waits for hijacked exec and port-forward connections to end.
    bounded("restart", cp.kill_and_restart_apiserver()).await.expect("restart");

    // The connection drops with the old process (a broken session), or a draining server ends
    // the command with its own error: an error either way.
    let error = bounded("exec status", process.status()).await.expect_err("the exec broke");
    tracing::info!(%error, "exec across the restart");
    let mut buffer = [0; 64];
    let read = bounded("port-forward read", stream.read(&mut buffer)).await;
    assert!(read.is_err(), "a broken port-forward is an error: {read:?}");
    // A followed log ends, by an error or (when the server ended the response) by its end.
    let last = bounded("log end", lines.next()).await;
    assert!(!matches!(last, Some(Ok(_))), "no line after the restart: {last:?}");

    // New streams work on the restarted server.
    let output = bounded("exec after the restart", async {
        pods.exec("box", ["echo", "back"], &AttachParams::default()).await.expect("exec").output().await
    })
    .await
    .expect("output");
    assert_eq!(output.stdout, b"back\n");
}
