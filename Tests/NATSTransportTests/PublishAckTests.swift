import Foundation
import Testing

@testable import NATSTransport

/// The publisher reads JetStream's answers and its own reply subjects byte by byte: these are
/// the exact shapes nats-server sends, and what must never be mistaken for a stored message.
@Suite struct PublishAckTests {
    func ack(_ text: String) -> PublishAck { PublishAck(Array(text.utf8)) }

    @Test func storedAndDuplicateAcks() {
        #expect(ack(#"{"stream":"MARKET_DATA","seq":12}"#) == .stored(duplicate: false))
        #expect(ack(#"{"stream":"MARKET_DATA","seq":12,"duplicate":true}"#) == .stored(duplicate: true))
        #expect(ack(#"{"stream":"MARKET_DATA", "domain":"hub", "seq":3, "duplicate":false}"#) == .stored(duplicate: false))
        #expect(ack(" {\"stream\":\"S\",\"seq\":1}\r\n") == .stored(duplicate: false))
    }

    @Test func errorsAreRejectionsWithTheServersText() {
        let text = #"{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"},"stream":"S","seq":0}"#
        #expect(ack(text) == .rejected("maximum messages exceeded (code 503, err_code 10077)"))
        #expect(ack(#"{"error":{"code":400,"description":"invalid \"id\""}}"#) == .rejected(#"invalid "id" (code 400)"#))
    }

    @Test func anythingElseIsUnreadableNotStored() {
        for text in ["", "{}", "{\"seq\":1}", "{\"stream\":\"S\"", "[1]", "{\"stream\":\"S\",\"duplicate\":1}", "{\"stream\":\"S\"} x", "\u{0}"] {
            guard case .rejected(let why) = ack(text) else {
                Issue.record("\(text.debugDescription) read as stored")
                continue
            }
            #expect(why.hasPrefix("unreadable publish ack"))
        }
    }

    @Test func replySubjectsCarryTheWindowSequence() throws {
        let inbox = try #require(AckInbox())
        #expect(inbox.wildcard.hasPrefix("_INBOX.") && inbox.wildcard.hasSuffix(".*"))
        let prefix = String(inbox.wildcard.dropLast())
        for sequence: UInt64 in [0, 1, 9, 10, 4_096, 1_000_000_007, .max] {
            let reply = String(cString: inbox.reply(for: sequence))
            #expect(reply == prefix + String(sequence))
            #expect(reply.withCString { AckInbox.sequence(inSubject: $0) } == sequence)
        }
        // A shorter reply after a longer one is terminated where it ends.
        _ = inbox.reply(for: 123_456_789)
        #expect(String(cString: inbox.reply(for: 7)) == prefix + "7")
        #expect(AckInbox().map { $0.wildcard != inbox.wildcard } == true)
    }

    @Test func subjectsWithoutASequenceAreIgnored() {
        for subject in ["_INBOX.abc.", "_INBOX.abc.x1", "_INBOX.abc.18446744073709551616", "nodots", "_INBOX.abc.-1"] {
            #expect(subject.withCString { AckInbox.sequence(inSubject: $0) } == nil, "\(subject)")
        }
    }
}
