import Foundation
import Testing
import TestSupport

@testable import Publishing

/// docs/messages.md shows the encoder's exact output; this keeps the two from drifting apart.
@Suite struct MessagesDocTests {
    @Test func everyExampleInTheDocsIsTheEncodersOutput() throws {
        let doc = try String(
            contentsOf: TestEnvironment.packageRoot.appendingPathComponent("docs/messages.md"), encoding: .utf8)
        var examples: [String] = []
        var current: String?
        for line in doc.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "```json" {
                current = ""
            } else if line == "```", let c = current {
                examples.append(c)
                current = nil
            } else if current != nil {
                current! += line.filter { $0 != " " }
            }
        }
        let encoded = Fixtures.everyKind.map { String(decoding: MessageEncoder().encode($0).payload, as: UTF8.self) }
        #expect(examples.count == encoded.count)
        for (doc, code) in zip(examples, encoded) { #expect(doc == code) }
        for e in Fixtures.everyKind {
            #expect(doc.contains("Subject `\(Subject.make(for: e))`, `Nats-Msg-Id: \(MessageId.make(for: e))`"))
        }
    }
}
