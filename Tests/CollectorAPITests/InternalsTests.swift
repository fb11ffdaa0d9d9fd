@testable import CollectorAPI
import CollectorControl
import Publishing
import Testing

@Suite("CollectorAPI pieces: the websocket client queue, decimal numbers, token comparison")
struct InternalsTests {
    func book(_ symbol: String, _ sequence: Int64?) -> OrderBookView {
        OrderBookView(exchange: "binance", symbol: symbol, sequence: sequence, exchangeTimeNs: nil, bids: [], asks: [])
    }

    func sequence(_ item: BookFeedQueue.Item?) -> Int64? {
        if case .update(let b)? = item { return b.sequence }
        return nil
    }

    @Test("a full queue drops its oldest update, counts it, and keeps every reply")
    func dropOldest() async {
        let queue = BookFeedQueue(capacity: 3)
        queue.push(reply: Array("hello".utf8))
        for s in 1...5 { queue.push(update: book("BTC-USDT", Int64(s))) }
        queue.push(reply: Array("bye".utf8))
        #expect(queue.dropped == 2)
        guard case .reply(let first)? = await queue.next() else {
            Issue.record("first item should be the reply")
            return
        }
        #expect(first == Array("hello".utf8))
        #expect(sequence(await queue.next()) == 3)
        #expect(sequence(await queue.next()) == 4)
        #expect(sequence(await queue.next()) == 5)
        guard case .reply(let last)? = await queue.next() else {
            Issue.record("last item should be the reply")
            return
        }
        #expect(last == Array("bye".utf8))
        queue.close()
        #expect(await queue.next() == nil)
    }

    @Test("a snapshot removes waiting updates of its book and later ones at or before its sequence")
    func snapshotSupersedes() async {
        let queue = BookFeedQueue(capacity: 10)
        queue.push(update: book("BTC-USDT", 10))
        queue.push(update: book("ETH-USDT", 5))
        queue.push(snapshot: Array("snap".utf8), of: book("BTC-USDT", 12))
        queue.push(update: book("BTC-USDT", 11))  // raced the snapshot: already in it
        queue.push(update: book("BTC-USDT", 12))
        queue.push(update: book("BTC-USDT", 13))
        #expect(sequence(await queue.next()) == 5)
        guard case .reply(let snap)? = await queue.next() else {
            Issue.record("expected the snapshot")
            return
        }
        #expect(snap == Array("snap".utf8))
        #expect(sequence(await queue.next()) == 13)
        #expect(queue.dropped == 0)
    }

    @Test("next() waits for an item pushed later, and close() wakes it with nil")
    func waiting() async {
        let queue = BookFeedQueue(capacity: 2)
        async let first = queue.next()
        queue.push(update: book("BTC-USDT", 1))
        // Either the reader was already waiting or the item was queued: both give the item.
        #expect(sequence(await first) == 1)
        async let second = queue.next()
        queue.close()
        #expect(await second == nil)
    }

    @Test("decimal text becomes a JSON number without changing a digit", arguments: [
        ("0.35130000", "0.35130000"), ("91234.50", "91234.50"), ("-2", "-2"), ("1e-05", "1e-05"), ("0", "0"),
        (".5", "0.5"), ("+1.20", "1.20"), ("007", "7"), ("abc", "\"abc\""), ("", "\"\""), ("1.", "1"), ("1.2.3", "\"1.2.3\""),
    ])
    func numbers(input: String, expected: String) {
        let bytes = JSONWriter.bytes { w in OrderBookJSON.number(input, into: &w) }
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
    }

    @Test("a book without a sequence or times says null for each, and the document stays valid JSON")
    func unknownTimes() throws {
        let text = String(decoding: OrderBookJSON.bytes(book("BTC-USDT", nil), depth: 5), as: UTF8.self)
        #expect(text == #"{"exchange":"binance","symbol":"BTC-USDT","sequence":null,"timestamp":null,"timestampNs":null,"collectedAt":null,"collectedAtNs":null,"bids":[],"asks":[]}"#)
    }

    @Test("the bearer token matches exactly, with any case of the scheme")
    func token() {
        let token = BearerToken("abc123")
        #expect(token.accepts(authorization: "Bearer abc123"))
        #expect(token.accepts(authorization: "bearer abc123"))
        #expect(token.accepts(authorization: "BEARER  abc123"))
        for wrong in [nil, "", "Bearer", "Bearer ", "Bearer abc12", "Bearer abc1234", "Bearer ABC123", "Basic abc123", "abc123"] {
            #expect(!token.accepts(authorization: wrong), "\(wrong ?? "nil")")
        }
        #expect(BearerToken.constantTimeEquals(Array("x".utf8)[...], Array("x".utf8)[...]))
        #expect(!BearerToken.constantTimeEquals(Array("x".utf8)[...], Array("".utf8)[...]))
    }

    @Test("metric names are sanitized and prefixed once")
    func metricNames() {
        #expect(MetricName.prefixed("frames_total") == "marketprism_frames_total")
        #expect(MetricName.prefixed("marketprism_frames_total") == "marketprism_frames_total")
        #expect(MetricName.prefixed("hb.requests-total") == "marketprism_hb_requests_total")
        #expect(MetricName.sanitized("9lives:x", allowColon: false) == "_lives_x")
    }
}
