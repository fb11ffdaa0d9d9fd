import CollectorAPI
import Foundation
import Metrics
import Testing

@Suite("/metrics: swift-metrics values as Prometheus text")
struct MetricsTests {
    @Test("values recorded through swift-metrics appear under marketprism_ names, and the page parses strictly")
    func exposition() async throws {
        MetricsBootstrap.install()
        #expect(MetricsBootstrap.isSystemFactory)
        let frames = Counter(label: "marketprism_test_frames_total", dimensions: [("exchange", "binance"), ("type", "depth")])
        frames.increment(by: 7)
        frames.increment()
        Counter(label: "marketprism_test_frames_total", dimensions: [("exchange", "okx"), ("type", "depth")]).increment(by: 3)
        // Unprefixed and dotted names (as a library might use) are prefixed and sanitized.
        Counter(label: "test.resyncs-seen").increment(by: 2)
        Gauge(label: "marketprism_test_breaker_state", dimensions: [("target", "binance-rest")]).record(2)
        let latency = Metrics.Timer(label: "marketprism_test_latency_seconds", dimensions: [("exchange", "binance")])
        latency.recordNanoseconds(40_000)  // 40 µs
        latency.recordNanoseconds(400_000)  // 0.4 ms
        latency.recordNanoseconds(3_000_000)  // 3 ms

        try await withAPIServer(InMemoryCollector()) { api in
            #expect(try await api.get("/health").status == 200)
            let reply = try await api.get("/metrics")
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
            let page = try PrometheusText.parse(reply.text)
            #expect(page.types["marketprism_test_frames_total"] == "counter")
            #expect(page.value("marketprism_test_frames_total", ["exchange": "binance", "type": "depth"]) == 8)
            #expect(page.value("marketprism_test_frames_total", ["exchange": "okx", "type": "depth"]) == 3)
            #expect(page.value("marketprism_test_resyncs_seen") == 2)
            #expect(page.types["marketprism_test_breaker_state"] == "gauge")
            #expect(page.value("marketprism_test_breaker_state", ["target": "binance-rest"]) == 2)
            #expect(page.types["marketprism_test_latency_seconds"] == "histogram")
            let labels = ["exchange": "binance"]
            #expect(page.value("marketprism_test_latency_seconds_count", labels) == 3)
            // The sub-millisecond buckets resolve the live path: 40 µs is under 50 µs, 0.4 ms under 0.5 ms.
            #expect(page.bucket("marketprism_test_latency_seconds", labels, le: 0.00005) == 1)
            #expect(page.bucket("marketprism_test_latency_seconds", labels, le: 0.0005) == 2)
            #expect(page.bucket("marketprism_test_latency_seconds", labels, le: .infinity) == 3)
            #expect(abs((page.value("marketprism_test_latency_seconds_sum", labels) ?? 0) - 0.00344) < 1e-9)
            #expect(page.samples.allSatisfy { $0.name.hasPrefix("marketprism_") })
            // The API's own request metrics (Hummingbird's middleware, names and labels sanitized).
            let healthRequests = page.samples.filter {
                $0.name == "marketprism_hb_requests" && $0.labels["http_route"] == "/health"
                    && $0.labels["http_response_status_code"] == "200"
            }
            #expect(healthRequests.reduce(0) { $0 + $1.value } >= 1)
            #expect(page.types["marketprism_http_server_request_duration"] == "histogram")

            try checkWithPythonClient(reply.text)
        }
    }

    @Test("the strict parser refuses malformed pages")
    func strictParserRejects() {
        let bad = [
            "marketprism_x 1",  // no TYPE
            "# TYPE marketprism_x counter\nmarketprism_x{a=\"1\" 1",
            "# TYPE marketprism_x counter\nmarketprism_x one",
            "# TYPE marketprism_x counter\n9x 1",
            "# TYPE marketprism_x widget\nmarketprism_x 1",
            "# TYPE marketprism_h histogram\nmarketprism_h_bucket{le=\"1\"} 2\nmarketprism_h_bucket{le=\"+Inf\"} 1\nmarketprism_h_sum 1\nmarketprism_h_count 1",
            "# TYPE marketprism_h histogram\nmarketprism_h_bucket{le=\"+Inf\"} 2\nmarketprism_h_sum 1\nmarketprism_h_count 3",
        ]
        for text in bad {
            #expect(throws: PrometheusText.ParseError.self, "\(text)") { _ = try PrometheusText.parse(text) }
        }
        #expect((try? PrometheusText.parse("# TYPE marketprism_x counter\nmarketprism_x{a=\"q\\\"\"} 1.5e3\n"))?.value("marketprism_x", ["a": "q\""]) == 1500)
    }
}

/// Python's prometheus_client parser (the reference implementation's), when `make test` installed it.
func checkWithPythonClient(_ text: String) throws {
    let script = """
        import sys
        try:
            from prometheus_client.parser import text_string_to_metric_families
        except ImportError:
            print("MISSING"); sys.exit(0)
        families = list(text_string_to_metric_families(sys.stdin.read()))
        frames = [s for f in families for s in f.samples if s.name == "marketprism_test_frames_total" and s.labels.get("exchange") == "binance"]
        assert len(frames) == 1 and frames[0].value == 8.0, frames
        print("OK", len(families))
        """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = output
    do {
        try process.run()
    } catch {
        print("prometheus_client check skipped: python3 not runnable (\(error))")
        return
    }
    input.fileHandleForWriting.write(Data(text.utf8))
    try input.fileHandleForWriting.close()
    let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    if out.hasPrefix("MISSING") {
        print("prometheus_client check skipped: the Python package is not installed (make test installs it)")
        return
    }
    #expect(process.terminationStatus == 0, "prometheus_client rejected /metrics: \(out)")
    #expect(out.hasPrefix("OK"), "\(out)")
}
