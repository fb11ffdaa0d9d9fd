import ExchangeServer
import Foundation
import Live
import Model
import Recording
import Simulation
import TestSupport
import Testing

/// Recorded REST depth answers of a recording, as (path and query, body), in recorded order.
enum RecordingReaderBodies {
    static func depthAnswers(_ path: String) throws -> [(target: String, body: [UInt8])] {
        var answers: [(target: String, body: [UInt8])] = []
        try RecordingReader(path: path).forEachRecord { r in
            guard r.kind == .restResponse, let url = r.url, let at = url.range(of: "/api/") else { return }
            if url.contains("depth") || url.contains("books") || url.contains("get_order_book") {
                answers.append((String(url[at.lowerBound...]), Array(r.payload)))
            }
        }
        return answers
    }
}

/// Several recordings of one venue served as one market: merged by receive time.
struct MultipleRecordingsTests {
    /// Copies the records of `path` that `keep` accepts into a new recording with the same header.
    func split(_ path: String, into name: String, _ keep: (RecordView) -> Bool) throws -> String {
        let reader = try RecordingReader(path: path)
        let out = try TestEnvironment.temporaryDirectory("serve-split").appendingPathComponent(name).path
        let writer = try RecordingWriter(path: out, header: reader.header)
        try reader.forEachRecord { r in if keep(r) { try writer.append(r.makeRecord()) } }
        _ = try writer.close()
        return out
    }

    @Test func twoConsecutiveSegmentsServeTheWholeRecording() throws {
        let path = ServeRecordings.synthetic("binance-spot")
        let feed = try RecordedFeed.load(path: path)
        let middle = feed.firstFrameNs + (feed.lastNs - feed.firstFrameNs) / 2
        let first = try split(path, into: "a.mprec") { $0.wallNs < middle }
        let second = try split(path, into: "b.mprec") { $0.wallNs >= middle }
        let server = try startedServer([first, second])
        defer { server.stop() }
        let endpoint = try #require(server.endpoint(.binance))
        #expect(endpoint.recording == "\(first),\(second)")
        #expect(endpoint.frames == feed.receivedFrames)
        let got = try receiveAll(url: endpoint.websocketURL, venue: .binance, send: [])
        #expect(got.closeCode == 1000)
        let data = got.texts.filter { isDataFrame($0, venue: .binance) }
        let expected = try recordedDataFrames(path)
        #expect(firstDifference(data, expected) == nil, "\(firstDifference(data, expected) ?? "")")
        // The recorded snapshots of both segments are served, first in first out.
        let answers = try RecordingReaderBodies.depthAnswers(path)
        try #require(!answers.isEmpty)
        let client = try CurlRestClient()
        let answer = try client.get(endpoint.restBaseURL + answers[0].target)
        #expect(answer.body == answers[0].body)
    }

    @Test func recordingsOfDifferentInstrumentsAtTheSameTimeMerge() throws {
        let path = ServeRecordings.synthetic("okx")
        let btc = try split(path, into: "spot.mprec") { r in
            r.kind != .wsReceived || !String(decoding: r.payload, as: UTF8.self).contains("\"BTC-USDT-SWAP\"")
        }
        let swap = try split(path, into: "swap.mprec") { r in
            r.kind == .wsReceived && String(decoding: r.payload, as: UTF8.self).contains("\"BTC-USDT-SWAP\"")
        }
        let server = try startedServer([btc, swap])
        defer { server.stop() }
        let endpoint = try #require(server.endpoint(.okx))
        let got = try receiveAll(url: endpoint.websocketURL, venue: .okx, send: try collectorAdapter(path).connectFrames())
        #expect(got.closeCode == 1000)
        let data = got.texts.filter { isDataFrame($0, venue: .okx) }
        let expected = try recordedDataFrames(path)
        // Each instrument's frames in recorded order, all of them (frames recorded at the same instant may
        // come in file order instead of the original's).
        func of(_ frames: [[UInt8]], swap: Bool) -> [[UInt8]] {
            frames.filter { String(decoding: $0, as: UTF8.self).contains("\"BTC-USDT-SWAP\"") == swap }
        }
        #expect(data.count == expected.count)
        #expect(firstDifference(of(data, swap: true), of(expected, swap: true)) == nil)
        #expect(firstDifference(of(data, swap: false), of(expected, swap: false)) == nil)
    }

    @Test func overlappingRecordingsOfTheSameChannelAreRefused() throws {
        let path = ServeRecordings.synthetic("okx")
        #expect(throws: ExchangeServerError.self) { try ExchangeServer(configuration: .init(recordings: [path, path])) }
        do {
            _ = try ExchangeServer(configuration: .init(recordings: [path, path]))
        } catch {
            guard case .overlappingRecordings(let venue, _, let channel) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(venue == "okx")
            #expect(!channel.isEmpty)
        }
    }
}
