//! exec, attach, port-forward, logs and proxy through the real kube-apiserver to a fake kubelet
//! that serves them with the kubelet's own streaming handlers (`kubegen_tests::kubelet`).
//!
//! Every wait is bounded by [`bounded`], so a stream that hangs fails its test instead of
//! hanging the suite. Fault tests (a kubelet that dies or hangs, an API server restart) are in
//! `stream_faults.rs`.

use std::time::Duration;

use futures::StreamExt;
use kubegen_api::Clientset;
use kubegen_api::core_v1::Pod;
use kubegen_runtime::client::{AttachParams, ChannelProtocol, ExitStatus, LogParams, ProxyRequest, TerminalSize};
use kubegen_runtime::{Api, Error};
use kubegen_tests::{ControlPlane, Kubelet};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// The longest any step may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(60);

async fn bounded<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(HANG, future).await.unwrap_or_else(|_| panic!("{what}: no result after {HANG:?}"))
}

/// A namespace, a kubelet and a Pod `box` on it with containers `app` and `sidecar`.
async fn setup(cp: &ControlPlane, prefix: &str) -> (Kubelet, Api<Pod>) {
    let ns = cp.fresh_namespace(prefix).await.expect("namespace");
    let kubelet = cp.start_kubelet().await.expect("fake kubelet");
    kubelet.create_pod(&cp.http().expect("http"), &ns, "box", &["app", "sidecar"]).await.expect("pod");
    let pods = Clientset::new(cp.kube_client().expect("client")).core_v1().pods(&ns);
    (kubelet, pods)
}

fn in_app() -> AttachParams {
    AttachParams::default().container("app")
}

#[tokio::test]
async fn exec_returns_output_and_exit_status() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("control plane");
    let (_kubelet, pods) = setup(cp, "exec").await;

    let process = bounded("exec echo", pods.exec("box", ["echo", "hello", "world"], &in_app())).await.expect("exec");
    assert_eq!(process.protocol(), ChannelProtocol::V5);
    let output = bounded("echo output", process.output()).await.expect("output");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "hello world\n");
    assert!(output.stderr.is_empty());
    assert_eq!(output.status, ExitStatus::Success);

    let output = bounded("stderr", async {
        pods.exec("box", ["echo-stderr", "oops"], &in_app()).await.expect("exec").output().await
    })
    .await
    .expect("output");
    assert_eq!((output.stdout.as_slice(), output.stderr.as_slice()), (&b""[..], &b"oops\n"[..]), "stderr separated");

    let status =
        bounded("exit 3", async { pods.exec("box", ["exit", "3"], &in_app()).await.expect("exec").status().await })
            .await
            .expect("an exit code is a status, not an error");
    assert_eq!(status, ExitStatus::NonZeroExitCode(3));
    assert_eq!(status.code(), 3);

    // The runtime's own failure (not an exit code) is the server's error.
    let error = bounded("unknown command", async {
        pods.exec("box", ["no-such-command"], &in_app()).await.expect("exec").status().await
    })
    .await
    .expect_err("runtime error");
    assert_eq!(error.code(), Some(500), "{error}");
    assert!(error.to_string().contains("executable file not found"), "{error}");

    // Before the request: an unknown container is the API server's 400, a bad request ours.
    let error = pods.exec("box", ["echo"], &AttachParams::default().container("nope")).await.expect_err("400");
    assert_eq!(error.code(), Some(400), "{error}");
    let error = pods.exec("box", ["echo"], &AttachParams::default()).await.expect_err("two containers");
    assert_eq!(error.code(), Some(400), "{error}");
    assert!(matches!(pods.exec("box", Vec::<String>::new(), &in_app()).await, Err(Error::InvalidRequest(_))));
}

#[tokio::test]
async fn stdin_round_trips_and_closes() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("control plane");
    let (_kubelet, pods) = setup(cp, "stdin").await;

    let mut process = bounded("exec cat", pods.exec("box", ["cat"], &in_app().stdin(true))).await.expect("exec");
    let mut stdin = process.stdin().expect("stdin");
    let mut stdout = BufReader::new(process.stdout().expect("stdout"));
    stdin.write_all(b"first line\n").await.expect("write");
    let mut line = String::new();
    bounded("echoed line", stdout.read_line(&mut line)).await.expect("read");
    assert_eq!(line, "first line\n", "cat answers while stdin is open");

    // 1 MiB more, then close stdin: cat sees end of file and exits.
    let payload: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let writer = async {
        stdin.write_all(&payload).await?;
        stdin.shutdown().await
    };
    let mut echoed = Vec::new();
    let (written, read) =
        bounded("1 MiB through cat", async { tokio::join!(writer, stdout.read_to_end(&mut echoed)) }).await;
    written.expect("write and close stdin");
    read.expect("read to end");
    assert!(echoed == payload, "cat returned {} bytes, not the 1 MiB sent", echoed.len());
    assert_eq!(bounded("status", process.status()).await.expect("status"), ExitStatus::Success);
}

#[tokio::test]
async fn v4_fallback_runs_commands_but_cannot_close_stdin() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("control plane");
    let (_kubelet, pods) = setup(cp, "v4").await;
    let v4 = in_app().protocols(&[ChannelProtocol::V4]);

    // kube-apiserver passes v4 through to the kubelet's own websocket handler.
    let process = bounded("exec over v4", pods.exec("box", ["echo", "over", "v4"], &v4)).await.expect("exec");
    assert_eq!(process.protocol(), ChannelProtocol::V4);
    let output = bounded("v4 output", process.output()).await.expect("output");
    assert_eq!((String::from_utf8_lossy(&output.stdout).as_ref(), output.status), ("over v4\n", ExitStatus::Success));

    let status = bounded("v4 exit", async { pods.exec("box", ["exit", "7"], &v4).await.expect("exec").status().await })
        .await
        .expect("status");
    assert_eq!(status, ExitStatus::NonZeroExitCode(7));

    let mut process = bounded("v4 cat", pods.exec("box", ["cat"], &v4.clone().stdin(true))).await.expect("exec");
    let mut stdin = process.stdin().expect("stdin");
    let error = stdin.shutdown().await.expect_err("v4 cannot close stdin");
    assert_eq!(error.kind(), std::io::ErrorKind::Unsupported, "{error}");
    process.abort();
}

#[tokio::test]
async fn tty_reports_resizes_and_attach_follows_stdin() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("control plane");
    let (_kubelet, pods) = setup(cp, "tty").await;

    let params = AttachParams::interactive_tty().container("app");
    let mut process = bounded("exec with a TTY", pods.exec("box", ["tty-resizes"], &params)).await.expect("exec");
    assert!(process.stderr().is_none(), "a TTY has one output");
    let resizer = process.resizer().expect("resizer");
    let mut output = BufReader::new(process.stdout().expect("stdout"));
    let stdin = process.stdin().expect("stdin");
    for (width, height) in [(80, 24), (132, 43)] {
        resizer.resize(TerminalSize { width, height }).await.expect("resize");
        let mut line = String::new();
        bounded("resize report", output.read_line(&mut line)).await.expect("read");
        assert_eq!(line.trim_end(), format!("{width}x{height}"));
    }
    drop(stdin); // closes stdin: the command ends
    assert_eq!(bounded("tty status", process.status()).await.expect("status"), ExitStatus::Success);

    let mut attached = bounded("attach", pods.attach("box", &in_app().stdin(true))).await.expect("attach");
    let mut stdin = attached.stdin().expect("stdin");
    let mut stdout = BufReader::new(attached.stdout().expect("stdout"));
    let mut line = String::new();
    bounded("greeting", stdout.read_line(&mut line)).await.expect("read");
    assert_eq!(line, "attached to app\n");
    stdin.write_all(b"typed into the container\n").await.expect("write");
    line.clear();
    bounded("echo", stdout.read_line(&mut line)).await.expect("read");
    assert_eq!(line, "typed into the container\n");
    stdin.shutdown().await.expect("close stdin");
    assert_eq!(bounded("attach status", attached.status()).await.expect("status"), ExitStatus::Success);
}

/// A TCP echo server on 127.0.0.1; returns its port. Lives as long as the test's runtime.
async fn echo_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind echo server");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((mut connection, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut read, mut write) = connection.split();
                let _ = tokio::io::copy(&mut read, &mut write).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn portforward_moves_10_mb_each_way_on_two_ports() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("control plane");
    let (kubelet, pods) = setup(cp, "portforward").await;
    let ports = [kubelet.echo_port(), echo_server().await];

    let mut forwarder = bounded("port-forward", pods.portforward("box", &ports)).await.expect("port-forward");
    let mut transfers = Vec::new();
    for (index, port) in ports.into_iter().enumerate() {
        let stream = forwarder.take_stream(port).expect("stream");
        assert_eq!(stream.port(), port);
        let mut rng = fastrand::Rng::with_seed(index as u64);
        let payload: Vec<u8> = std::iter::repeat_with(|| rng.u8(..)).take(10 << 20).collect();
        transfers.push(tokio::spawn(async move {
            let (mut read, mut write) = stream.into_split();
            let sent = payload.clone();
            let writer = tokio::spawn(async move { write.write_all(&sent).await });
            let mut received = vec![0; payload.len()];
            read.read_exact(&mut received).await.expect("read 10 MB back");
            writer.await.expect("writer task").expect("write 10 MB");
            assert!(received == payload, "port {port}: the 10 MB came back changed");
        }));
    }
    for transfer in transfers {
        bounded("10 MB each way", transfer).await.expect("transfer");
    }
    forwarder.abort();

    // The kubectl-style listener: each local connection gets its own forward.
    let local = bounded("listen", pods.forward_local("box", ports[0], "127.0.0.1:0".parse().expect("address")))
        .await
        .expect("forward_local");
    for round in 0..2 {
        let mut connection = tokio::net::TcpStream::connect(local.local_addr()).await.expect("connect locally");
        let message = format!("round {round}");
        connection.write_all(message.as_bytes()).await.expect("write");
        let mut echoed = vec![0; message.len()];
        bounded("local echo", connection.read_exact(&mut echoed)).await.expect("read");
        assert_eq!(echoed, message.as_bytes());
    }

    // A port nothing listens on: the kubelet's error reaches that port's reader and `join`.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let mut forwarder = bounded("port-forward", pods.portforward("box", &[closed])).await.expect("port-forward");
    let mut stream = forwarder.take_stream(closed).expect("stream");
    let mut buffer = [0; 16];
    let error = bounded("refused port", stream.read(&mut buffer)).await.expect_err("kubelet error");
    assert!(error.to_string().contains(&format!("port {closed}")), "{error}");
    assert!(error.to_string().contains("connection refused"), "{error}");
}

#[tokio::test]
async fn logs_follow_while_they_grow() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("control plane");
    let (_kubelet, pods) = setup(cp, "logs").await;
    let run = async |command: &[&str]| {
        let status =
            bounded("exec", async { pods.exec("box", command, &in_app()).await.expect("exec").status().await })
                .await
                .expect("status");
        assert!(status.success(), "{command:?}: {status:?}");
    };
    let app = LogParams { container: Some("app".into()), ..LogParams::default() };

    run(&["log", "line", "1"]).await;
    run(&["log", "line", "2"]).await;
    let follow = LogParams { follow: true, ..app.clone() };
    let mut lines = Box::pin(bounded("follow", pods.log_lines("box", &follow)).await.expect("log stream"));
    for expected in ["line 1", "line 2"] {
        assert_eq!(bounded("existing line", lines.next()).await.expect("a line").expect("line"), expected);
    }
    run(&["log", "line", "3"]).await;
    assert_eq!(bounded("new line", lines.next()).await.expect("a line").expect("line"), "line 3");
    // A restart ends the container's log: the followed stream ends.
    run(&["restart"]).await;
    assert!(bounded("end of the followed log", lines.next()).await.is_none());

    let previous = LogParams { previous: true, ..app.clone() };
    assert_eq!(pods.logs("box", &previous).await.expect("previous"), "line 1\nline 2\nline 3\n");
    let tail = LogParams { tail_lines: Some(1), ..previous.clone() };
    assert_eq!(pods.logs("box", &tail).await.expect("tail"), "line 3\n");
    let limited = LogParams { limit_bytes: Some(9), ..previous.clone() };
    assert_eq!(pods.logs("box", &limited).await.expect("limit"), "line 1\nli");
    let stamped = pods.logs("box", &LogParams { timestamps: true, ..previous.clone() }).await.expect("timestamps");
    for (line, expected) in stamped.lines().zip(["line 1", "line 2", "line 3"]) {
        let (stamp, text) = line.split_once(' ').expect("timestamp and text");
        assert_eq!(text, expected);
        assert!(serde_json::from_value::<kubegen_runtime::Time>(json!(stamp)).is_ok(), "{stamp:?} is an RFC 3339 time");
    }
    assert_eq!(pods.logs("box", &app).await.expect("new log"), "", "the restarted container's log is empty");
    let error =
        pods.logs("box", &LogParams { previous: true, ..LogParams::default() }).await.expect_err("two containers");
    assert_eq!(error.code(), Some(400), "{error}");
    let sidecar = LogParams { container: Some("sidecar".into()), previous: true, ..LogParams::default() };
    let error = pods.logs("box", &sidecar).await.expect_err("no previous sidecar");
    assert!(error.to_string().contains("previous terminated container"), "{error}");
}

#[tokio::test]
async fn exec_needs_create_on_pods_exec() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("control plane");
    let (_kubelet, admin_pods) = setup(cp, "rbac").await;
    let ns = admin_pods.namespace().expect("namespace").to_owned();
    let http = cp.http().expect("http");
    let user = cp.create_user("exec-reader", &[]).expect("user");
    let grant = async |name: &str, verbs: &[&str]| {
        let rules = json!([{ "apiGroups": [""], "resources": ["pods", "pods/exec", "pods/log"], "verbs": verbs }]);
        http.post(
            &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles"),
            &json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": { "name": name }, "rules": rules,
            }),
        )
        .await
        .expect("role");
        http.post(
            &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings"),
            &json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": { "name": name },
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name },
                "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "exec-reader" }],
            }),
        )
        .await
        .expect("role binding");
    };
    grant("read", &["get", "list"]).await;
    let pods = Clientset::new(user.kube_client().expect("client")).core_v1().pods(&ns);

    // A websocket upgrade is a GET (granted here), but 1.35 asks for `create` on pods/exec too
    // (AuthorizePodWebsocketUpgradeCreatePermission; RBAC gives no reason text for it).
    let error = bounded("exec without create", pods.exec("box", ["echo", "hi"], &in_app())).await.expect_err("403");
    assert!(error.is_forbidden(), "{error}");
    assert_eq!(error.code(), Some(403));
    assert!(error.to_string().contains("pods \"box\" is forbidden"), "{error}");
    assert!(!error.to_string().contains("command="), "the command line stays out of errors: {error}");

    grant("exec", &["create"]).await;
    // RBAC is read from the API server's informer: wait until the grant is in.
    let deadline = tokio::time::Instant::now() + HANG;
    let output = loop {
        match pods.exec("box", ["echo", "allowed"], &in_app()).await {
            Ok(process) => break bounded("allowed exec", process.output()).await.expect("output"),
            Err(error) if error.is_forbidden() && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("exec with create: {error}"),
        }
    };
    assert_eq!(output.stdout, b"allowed\n");
}

#[tokio::test]
async fn proxy_requests_reach_the_api_servers_proxy() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("control plane");
    let (kubelet, pods) = setup(cp, "proxy").await;
    let clientset = Clientset::new(cp.kube_client().expect("client"));

    // kube-apiserver proxies to global unicast addresses only; the harness has loopback only
    // (127.0.0.1 for the node, no IP for the Pod), so these reach its proxy and stop there.
    let error = pods.proxy_get("box:8080", "healthz").await.expect_err("no pod IP");
    assert_eq!(error.code(), Some(400), "{error}");
    assert!(error.to_string().contains("address not allowed"), "{error}");
    let error = clientset.core_v1().nodes().proxy_get(kubelet.node_name(), "healthz").await.expect_err("loopback node");
    assert_eq!(error.code(), Some(400), "{error}");
    assert!(error.to_string().contains("address not allowed"), "{error}");

    // A Service whose Endpoints list no address (endpoint addresses may not be loopback).
    let ns = pods.namespace().expect("namespace").to_owned();
    let http = cp.http().expect("http");
    http.post(
        &format!("/api/v1/namespaces/{ns}/services"),
        &json!({
            "apiVersion": "v1", "kind": "Service", "metadata": { "name": "web" },
            "spec": { "ports": [{ "name": "http", "port": 80 }] },
        }),
    )
    .await
    .expect("service");
    http.post(
        &format!("/api/v1/namespaces/{ns}/endpoints"),
        &json!({
            "apiVersion": "v1", "kind": "Endpoints", "metadata": { "name": "web" }, "subsets": [],
        }),
    )
    .await
    .expect("endpoints");
    let services = clientset.core_v1().services(&ns);
    let request =
        ProxyRequest::new(reqwest::Method::POST, "/api/submit").query("dry", "1").body("{}", "application/json");
    let error = services.proxy("web:http", request).await.expect_err("no endpoints");
    assert_eq!(error.code(), Some(503), "{error}");
    assert!(error.to_string().contains("no endpoints available"), "{error}");

    let error = pods.proxy_get("box", "../../secrets").await.expect_err("dot segments");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error}");
}
