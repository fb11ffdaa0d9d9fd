import ExchangeServer
import Foundation
import Live
import Model
import TestSupport
import Testing

/// wss:// and https:// with a self-signed certificate; `marketprism serve` as a process.
struct TLSAndCLITests {
    @Test func tlsWebsocketAndRestWithATestCertificate() throws {
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let path = ServeRecordings.synthetic("okx")
        let server = try startedServer([path]) {
            $0.tlsCertificateFile = certificate.certificateFile
            $0.tlsKeyFile = certificate.keyFile
        }
        defer { server.stop() }
        let endpoint = try #require(server.endpoints.first)
        #expect(endpoint.websocketURL.hasPrefix("wss://127.0.0.1:"))
        let adapter = try collectorAdapter(path)
        let got = try receiveAll(
            url: endpoint.websocketURL, venue: .okx, send: adapter.connectFrames(),
            options: .init(tls: .trusting(caFile: certificate.certificateFile), random: SeededRandom(seed: 8)))
        #expect(firstDifference(got.texts.filter { isDataFrame($0, venue: .okx) }, try recordedDataFrames(path)) == nil)
        let client = try CurlRestClient(options: .init(tls: .trusting(caFile: certificate.certificateFile)))
        #expect(try client.get(endpoint.restBaseURL + "/api/v5/public/instruments?instType=SPOT").status == 200)
        // Certificate verification stays on: a client that does not trust it fails.
        #expect(throws: TransportError.self) { _ = try CurlWebSocket(url: endpoint.websocketURL, options: .init(random: SeededRandom(seed: 9))) }
    }

    @Test func serveProcessPrintsItsURLsServesAndStopsOnSIGTERM() throws {
        let recording = ServeRecordings.synthetic("binance-spot")
        let process = Process()
        process.executableURL = TestEnvironment.executable("marketprism")
        process.arguments = ["serve", recording, "--speed", "max", "--close-at-end"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The startup lines: one per venue, then "serving on".
        var text = ""
        let handle = out.fileHandleForReading
        while !text.contains("serving on") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("binance websocket=") })
        let url = try #require(line.split(separator: " ").first { $0.hasPrefix("websocket=") }).dropFirst("websocket=".count)
        #expect(line.contains("rest=http://127.0.0.1:"))
        let got = try receiveAll(url: String(url), venue: .binance, send: [])
        #expect(got.closeCode == 1000)
        #expect(firstDifference(got.texts, try recordedDataFrames(recording)) == nil)
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let rest = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        #expect(rest.contains("stopped (SIGTERM)"))
    }

    @Test func badArgumentsEndWithOneLineAndStatus2() throws {
        let result = try TestEnvironment.marketprism("serve", "/nonexistent.mprec")
        #expect(result.status == 2)
        #expect(result.stderrText.hasPrefix("marketprism: /nonexistent.mprec"))
    }
}
