import ConfigSupport
import Model
import Testing
@testable import Simulation

@Suite("Scenario files")
struct ScenarioParsingTests {
    @Test func parsesEveryField() throws {
        let yaml = """
            name: okx-drop
            description: drop two book messages and expect a resync
            recording: ../recordings/okx.mprec
            seed: 7
            speed: 10x
            faults:
              - at: 2s
                kind: message.drop
                count: 2
                instrument: BTC-USDT
              - at: 1m
                kind: rest.429
                retry_after: 5s
              - at: 90s
                kind: clock.step
                offset: -2s
            expect:
              latency_p95_ms: 250
              resync_within: 10s
              max_lost: 0
            """
        let s = try Scenario.parse(yaml, file: "okx-drop.yaml")
        #expect(s.name == "okx-drop")
        #expect(s.seed == 7)
        #expect(s.speed == .multiple(10))
        #expect(s.faults.count == 3)
        #expect(s.faults[0].kind == .messageDrop && s.faults[0].at == 2_000_000_000 && s.faults[0].count == 2)
        #expect(s.faults[0].instrument == "BTC-USDT")
        #expect(s.faults[0].line == 7)
        #expect(s.faults[1].delay == 5_000_000_000)
        #expect(s.faults[2].delay == -2_000_000_000)
        #expect(s.expectations.latencyP95Ms == 250)
        #expect(s.expectations.resyncWithin == 10_000_000_000)
    }

    @Test func unknownFaultKindNamesLineAndField() {
        let yaml = """
            name: bad
            recording: x.mprec
            faults:
              - at: 1s
                kind: message.explode
            """
        #expect {
            try Scenario.parse(yaml, file: "bad.yaml")
        } throws: { error in
            guard let e = error as? ConfigError else { return false }
            return e.file == "bad.yaml" && e.line == 5 && e.path == "faults[0].kind"
                && e.description.contains("message.explode")
        }
    }

    @Test func misspeltKeyIsRejected() {
        let yaml = "name: x\nrecording: y\nsed: 3\n"
        #expect {
            try Scenario.parse(yaml, file: "typo.yaml")
        } throws: { error in
            guard let e = error as? ConfigError else { return false }
            return e.line == 3 && e.path == "sed" && e.description.contains("unknown key")
        }
    }

    @Test func missingDurationForStall() {
        let yaml = "name: x\nrecording: y\nfaults:\n  - at: 1s\n    kind: connection.stall\n"
        #expect {
            try Scenario.parse(yaml, file: "stall.yaml")
        } throws: { error in
            guard let e = error as? ConfigError else { return false }
            return e.line == 4 && e.description.contains("duration")
        }
    }

    @Test func badDurationAndSyntax() {
        #expect(throws: ConfigError.self) { try Scenario.parse("name: x\nrecording: y\nfaults:\n  - at: soon\n    kind: message.drop\n", file: "d.yaml") }
        #expect {
            try Scenario.parse("name: [unclosed\n", file: "syntax.yaml")
        } throws: { error in
            (error as? ConfigError)?.line != nil
        }
    }

    @Test func durations() {
        #expect(DurationText.parse("250ms") == 250_000_000)
        #expect(DurationText.parse("1.5s") == 1_500_000_000)
        #expect(DurationText.parse("2m") == 120_000_000_000)
        #expect(DurationText.parse("3") == 3_000_000_000)
        #expect(DurationText.parse("-1s") == nil)
        #expect(DurationText.parse("fast") == nil)
    }
}

@Suite("Simulation primitives")
struct SimulationPrimitiveTests {
    @Test func sha256KnownVectors() {
        var empty = SHA256()
        #expect(empty.finalizeHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var abc = SHA256()
        abc.update("abc")
        #expect(abc.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var long = SHA256()
        long.update("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        #expect(long.finalizeHex() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var million = SHA256()
        for _ in 0..<1000 { million.update([UInt8](repeating: 0x61, count: 1000)) }
        #expect(million.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func eventQueueIsStableAtEqualTimes() {
        var q = EventQueue<Int>()
        var rng = Model.SeededRandom(seed: 3)
        var expected: [(Int64, Int)] = []
        for i in 0..<500 {
            let t = Int64(rng.next() % 20)
            q.schedule(i, at: .init(nanoseconds: t))
            expected.append((t, i))
        }
        expected.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var popped: [(Int64, Int)] = []
        while let (at, e) = q.pop() { popped.append((at.nanoseconds, e)) }
        #expect(popped.map(\.1) == expected.map(\.1))
    }
}
