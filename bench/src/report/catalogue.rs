//! The report's sections, in order: each workload id with its title and what it measures.
//! Records of a workload not listed here still appear, after these, titled by their id.

/// One section of the report.
pub struct Section {
    /// The workload id of its records.
    pub id: &'static str,
    /// The heading.
    pub title: &'static str,
    /// What is measured and how, for the reader.
    pub about: &'static str,
}

/// The sections.
pub const SECTIONS: &[Section] = &[
    Section {
        id: "decode-pod-list",
        title: "1a. Decoding a 10,000-Pod list",
        about: "The PodList fixture (10,000 Pods, ~3.8 KB of JSON each) decoded the way each client decodes a \
                list response, into `kubegen_runtime::client::ObjectList<Pod>` and `k8s_openapi::List<Pod>`: \
                kubegen as `Api::list` does, with `ListDecoder` fed 16 KiB chunks (each element of `items` \
                split off as it completes, then `parse_json`: one UTF-8 check, then `serde_json::from_str`) and, \
                as `kubegen (whole body)`, with `parse_json` over the whole body (the models alone, without \
                the split that lets `Api::list` decode while the body arrives), \
                kube-rs as kube-client 5.0 does (`String::from_utf8(body.to_vec())`, then `serde_json::from_str`); Go: `encoding/json` into \
                `corev1.PodList`, and, as `client-go (codec)`, client-go's own JSON decoder \
                (`scheme.Codecs.UniversalDeserializer()`, which is what a typed client runs). Median of \
                the timed runs after a warm-up; the two Rust libraries' runs alternate, so that a change in \
                the machine's load hits both alike; every run checks the decoded container count. The Rust \
                process keeps the memory it frees mapped (glibc's `mallopt`: no trimming, no mmap), so no \
                run faults in pages an earlier run gave back; with glibc's defaults, which run paid for that \
                depended on the allocator's state, and it was k8s-openapi's list (about 100 ms of its time). \
                Go's runtime is left as it is. The Rust decode runs in `kubegen-bench`, whose allocator is \
                the system's, as in a user's program (the counting allocator of the heap workload lives in \
                its own binary, `kubegen-bench-heap`: even idle it cost about 2% of a protobuf watch decode). Protobuf: the same list as kube-apiserver writes it (`k8s\\0` envelope; written from the JSON \
                fixture by client-go's serializer, `kubegen-bench-go protofixtures`), about half the bytes; \
                `kubegen (protobuf)` decodes it as `Api::list` does (the generated `Pod` decoder, crate \
                feature `protobuf`), `client-go (protobuf)` as a typed client-go client does (the codec); \
                their throughput is over the protobuf bytes.",
    },
    Section {
        id: "decode-pod-watch",
        title: "1b. Decoding a watch stream of 10,000 Pod events",
        about: "One `{\"type\":\"MODIFIED\",\"object\":{...}}` line per Pod, decoded event by event (each line \
                parsed as in 1a) and dropped; the file is cut into lines before the clock starts, in both \
                languages: \
                kubegen with `kubegen_runtime::watch::WatchEvent<Pod>` (the runtime's decoder), kube-rs with \
                `kube::core::WatchEvent<Pod>` (what kube-runtime's watcher decodes), Go with `encoding/json` \
                into `{Type string; Object corev1.Pod}` and, as `client-go (codec)`, `metav1.WatchEvent` then \
                the object through the codec, as client-go's watch decoder does. Protobuf: the same events \
                as `;stream=watch` frames (4-byte length, `WatchEvent`, the object's envelope), split before \
                the clock; `kubegen (protobuf)` as its watch stream decodes them, `client-go (protobuf)` \
                with `WatchEvent.Unmarshal` then the codec.",
    },
    Section {
        id: "heap-pods",
        title: "2a. Heap retained per cached Pod",
        about: "Each Pod of the watch fixture decoded and kept as `Arc<Pod>` (Go: `*corev1.Pod`) in a map \
                keyed by `namespace/name`; heap growth over the fixture bytes already loaded, divided by \
                10,000 (map and keys included). Rust: a counting global allocator (requested bytes; \
                `kubegen-bench-heap`, the only binary that has it); Go: \
                `runtime.ReadMemStats().HeapAlloc` after `runtime.GC()` (size-class rounded). The ratio is to \
                the Pod's compact JSON size. A reference figure measured elsewhere for k8s-openapi: \
                ~29 KB per Pod, 7.7× its JSON.",
    },
    Section {
        id: "heap-configmaps",
        title: "2b. Heap retained per cached ConfigMap",
        about: "As 2a, for the 10,000 ConfigMaps of ~1 KB.",
    },
    Section {
        id: "type-sizes",
        title: "2c. Diagnostic: inline size of the main types",
        about: "`std::mem::size_of` (Go: `unsafe.Sizeof`) of each type. Every `Option<T>` field costs the \
                inline size of `T` whether it is set or not, so a large inline struct inside a mostly-empty \
                optional field shows up directly in the heap figures above.",
    },
    Section {
        id: "generate",
        title: "3. Generation time of the bundled spec",
        about: "`kubegen generate --out <fresh dir>` with the release binary (`cargo build --release -p kubegen`), \
                Kubernetes v1.35 spec; median wall time. k8s-openapi and client-go ship pre-generated code, so \
                they have no counterpart here.",
    },
    Section {
        id: "build",
        title: "4. Build time of the model crate",
        about: "Each crate as the single dependency of a scratch project (under the bench cache, default \
                profiles, 2 jobs, shared target directory, the bench's Cargo.lock): built once to warm its \
                dependencies, then `cargo clean -p <crate>` and a timed `cargo build` that rebuilds it alone, in \
                rounds that take every row's build in turn (so a drift of the machine's speed meets all \
                rows alike); median. kube-rs's column is `k8s-openapi` 0.29 with feature `v1_35`, which has no per-group \
                features (its `core_v1 only` rows repeat the whole crate). A path dependency such as \
                `kubegen-api` is compiled incrementally in dev builds, a registry one such as `k8s-openapi` \
                is not; the `not incremental` row sets `[profile.dev.package.kubegen-api] incremental = false` \
                in the scratch project, as the generated crate's README recommends.",
    },
    Section {
        id: "informer",
        title: "5a. Informer against a real kube-apiserver: sync, memory, update delivery",
        about: "A kube-apiserver + etcd from the repository's harness (`kubegen_tests::ControlPlane`, default \
                flags) with 10,000 ConfigMaps in one namespace, then (second round) 50,000. Each library runs in a fresh process: \
                kubegen with a namespaced `SharedInformerFactory` ConfigMap informer and default options \
                (`Paging::Auto`, which on this 1.35 server is `Paging::PIPELINED`: a consistent list in \
                pages of 10,000 whose next page is asked for as soon as the previous page's continue \
                token arrives, before its items, so the server encodes up to three pages at once), and \
                again as `kubegen, watch-cache list` (`Paging::SEQUENTIAL`, what the default does on \
                servers before 1.34: the first list at resourceVersion=0, which the watch cache answers \
                whole, on one goroutine), kube-rs with kube-runtime's `reflector` over `watcher` (default config: paged initial list of \
                500, then watch), client-go with a `SharedInformerFactory` ConfigMap informer and \
                `WaitForCacheSync` (rate limits off; it polls every 100 ms, client-go's \
                `syncedPollPeriod`, so client-go's sync times fall on 100 ms steps). Sync time runs from \
                process start (client construction included) to a synced cache; RSS is the process's \
                (`VmRSS`, peak `VmHWM`). Each library syncs in four rounds, one per library, each \
                round starting with the next library, so that every library takes every place in the \
                order once (the first \
                process after the creates meets a busier server, and one sync's time follows the \
                server's list time), and its sync time and RSS after sync are the median \
                of its rounds (listed under the table). In the first round the orchestrator then sends \
                10,000 merge patches (16 in flight, with the harness's plain HTTP client) and times until \
                the library's handler has seen all of them; the update rate is bound by the API server on \
                this machine, so the lag after the last acknowledged write shows how well the client keeps \
                up. The `list transfer only` column is the floor under every sync time: the \
                harness's HTTP client fetching the list an informer starts with (resourceVersion=0, \
                protobuf, one response from the watch cache) and reading it without decoding, before \
                the libraries run; pipelined pages can beat it, as the server encodes pages in parallel.",
    },
    Section {
        id: "requests",
        title: "5b. Client request rates",
        about: "Sequential requests from a fresh process: 2,000 GETs of single ConfigMaps, then 100 LISTs with \
                `limit=500`, JSON, client-side rate limits off (kubegen's default 50 QPS and client-go's 5 QPS \
                would otherwise decide the figure). Three rounds, each starting with a different library \
                (the first process after the informer workload meets a busier server); each figure is the \
                library's median, its rounds listed below the table.",
    },
    Section {
        id: "streams",
        title: "6. Streams through kube-apiserver to a kubelet: port-forward, exec",
        about: "A private kube-apiserver + etcd and the harness's fake kubelet (`kubegen_tests::Kubelet`: the \
                kubelet's own streaming handlers from `k8s.io/kubelet`, and a loopback echo server behind \
                port-forwards), one Pod; each library in a fresh process, kubegen with `Api<Pod>`, kube-rs \
                (kube 5, `ws` feature) with `Api<Pod>`, both over websockets, and client-go as kubectl 1.35 \
                talks (exec: `NewWebSocketExecutor`, `v5.channel.k8s.io`; port-forward: SPDY tunnelled in a \
                websocket, `NewSPDYOverWebsocketDialer`, one data stream made as its `PortForwarder` makes \
                them). Port-forward: one forwarded \
                connection to the echo server, 256 MiB written in 1 MiB writes while reading the echo back \
                (after 1 MiB untimed), MB/s each way; the path is client → kube-apiserver (which passes the \
                websocket through to the kubelet, or for client-go's tunnel, turns it into SPDY) → kubelet → \
                echo and back. exec: 100 sequential `exec echo hi` (upgrade, \
                output, exit status; `v5.channel.k8s.io`, which kube-apiserver translates to SPDY for the \
                kubelet), median. stdin round trip: one `exec cat` with stdin, a 64-byte line written and \
                read back 2,000 times, median. Three rounds, each starting with another library; each \
                figure is the library's median, its rounds listed below the table.",
    },
    Section {
        id: "controller",
        title: "7. A controller against a real kube-apiserver: 10,000 objects, then 10,000 updates",
        about: "A private kube-apiserver + etcd from the repository's harness (default flags) with 10,000 \
                ConfigMaps in one namespace; each library's controller in a fresh process with 4 concurrent \
                reconciles: kubegen's `kubegen_runtime::controller::Controller` on a namespaced \
                `SharedInformerFactory`'s ConfigMap informer, kube-rs with kube-runtime's `Controller` \
                (kube 5, `watcher::Config::default()`, `controller::Config::concurrency(4)`). The reconcile \
                makes no API request: it records the name and resourceVersion of the object it was given \
                (and whether it carries this round's update) and returns await-change, so the figures are \
                the controller machinery's cost (list and watch, cache, queue, scheduling), not a real \
                reconcile's. First the time from process start (client construction included) until every \
                object was reconciled once; then the orchestrator updates every object once (merge patches, \
                16 in flight, with the harness's plain HTTP client) and times until every object was \
                reconciled again at its updated version; the update phase is bound by the API server's \
                write rate on this machine, so the lag after the last acknowledged write shows how well the \
                controller keeps up. Throughput over both phases is 20,000 reconciles over the sum of the two \
                times. Since the update phase's wall time is mostly the API server's, the child's CPU time \
                (user + system, all threads, from `/proc/self/stat`) per phase shows the controller's own \
                cost: reconciles per CPU second is 20,000 over the CPU time of both phases. RSS is the \
                process's (`VmRSS`; peak `VmHWM`). Each library runs in four rounds, each round starting \
                with the next library, and every figure is the median of its rounds (listed under the \
                table): the server's write rate moves during a run, and with a fixed order the second \
                library met the slower server in both runs tried (1.48x throughput with kubegen first, \
                0.99x with kube-rs first). client-go has no slot here.",
    },
    Section {
        id: "controller-cpu-limited",
        title: "7b. The same controller under a CPU limit of 25m",
        about: "Section 7's workload, rounds and figures, on the same control plane right after it, with \
                each library's controller process moved into a cgroup as soon as it started: a CFS quota \
                of 2.5 ms per 100 ms period, what a container's `resources.limits.cpu: 25m` gets from the \
                kubelet (`bench/src/cluster/cpu_limit.rs`; cgroup v2 `cpu.max` or v1 `cpu.cfs_quota_us`, \
                skipped with a note where neither can be written). 25m is a quarter of what kube-rs's \
                controller spends keeping up with the server's writes in section 7, and half of what \
                kubegen's does, so the controller, not the API server, sets the pace of the initial \
                phase, and of the update phase for a controller that cannot keep up, as for a controller \
                deployed with a small CPU limit. Throttled, a controller finds several events waiting \
                when it runs again and spends less CPU per event than in section 7. The orchestrator \
                still writes as fast as the server takes it, so the lag after the last write is how far \
                behind each controller fell.",
    },
];
