import ExchangeServer
import Foundation
import Live
import Model
import TestSupport
import Testing

/// `--loop`: when a venue's recording ends, open websockets are closed with 1012 (service restart) and a
/// client that reconnects gets the recording again from its first frame, as after a venue's restart.
struct LoopTests {
    @Test func aLoopingMarketClosesWith1012AndServesTheRecordingAgainToAReconnectingClient() throws {
        let path = ServeRecordings.synthetic("okx")
        let server = try startedServer([path], closeAtEnd: false) { $0.loop = true }
        defer { server.stop() }
        let url = try #require(server.endpoint(.okx)).websocketURL
        let adapter = try collectorAdapter(path)
        let recorded = try recordedDataFrames(path)
        for pass in 0..<3 {
            let got = try receiveAll(url: url, venue: .okx, send: adapter.connectFrames(), idleMilliseconds: 5_000)
            #expect(got.closeCode == 1012, "pass \(pass): \(String(describing: got.error))")
            let data = got.texts.filter { isDataFrame($0, venue: .okx) }
            #expect(firstDifference(data, recorded) == nil, "pass \(pass): \(firstDifference(data, recorded) ?? "")")
        }
    }

    @Test func withoutLoopTheConnectionStaysOpenAndQuietAtTheEnd() throws {
        let path = ServeRecordings.synthetic("okx")
        let server = try startedServer([path], closeAtEnd: false)
        defer { server.stop() }
        let got = try receiveAll(
            url: try #require(server.endpoint(.okx)).websocketURL, venue: .okx, send: try collectorAdapter(path).connectFrames(),
            idleMilliseconds: 1_500)
        #expect(got.closeCode == nil)
        #expect(got.texts.filter { isDataFrame($0, venue: .okx) }.count == (try recordedDataFrames(path)).count)
    }

    @Test func loopAndCloseAtEndExcludeEachOther() throws {
        let result = try TestEnvironment.marketprism("serve", ServeRecordings.synthetic("okx"), "--loop", "--close-at-end")
        #expect(result.status != 0)
        #expect(result.stderrText.contains("--loop and --close-at-end"))
    }
}

extension LoopTests {
    @Test func afterALoopTheRecordedSnapshotsAreServedAgainFromTheFirst() throws {
        let path = ServeRecordings.synthetic("binance-spot")
        var firstAnswer: (target: String, body: [UInt8])?
        try RecordingReaderBodies.depthAnswers(path).first.map { firstAnswer = $0 }
        let recorded = try #require(firstAnswer)
        let server = try startedServer([path], closeAtEnd: false) { $0.loop = true }
        defer { server.stop() }
        let endpoint = try #require(server.endpoint(.binance))
        let client = try CurlRestClient()
        for pass in 0..<2 {
            let got = try receiveAll(url: endpoint.websocketURL, venue: .binance, send: [], idleMilliseconds: 5_000)
            #expect(got.closeCode == 1012, "pass \(pass)")
            // Between passes the market is back at its start: the first recorded snapshot again.
            let answer = try client.get(endpoint.restBaseURL + recorded.target)
            #expect(answer.status == 200)
            #expect(answer.body == recorded.body, "pass \(pass)")
        }
    }
}
