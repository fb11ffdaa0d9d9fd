import Foundation

/// A strict reader of the Prometheus text exposition format 0.0.4, enough to prove `/metrics`
/// is well formed: every line is a comment, a HELP/TYPE line or a sample; names and labels follow
/// the grammar; values parse; each sample belongs to a family typed before it; histogram buckets
/// are cumulative with a `+Inf` bucket equal to `_count`.
struct PrometheusText {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    enum ParseError: Error, Equatable {
        case badLine(Int, String)
        case badName(Int, String)
        case badLabels(Int, String)
        case badValue(Int, String)
        case untypedSample(Int, String)
        case duplicateType(Int, String)
        case histogram(String)
    }

    var types: [String: String] = [:]
    var samples: [Sample] = []

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// A histogram bucket by its bound's value, whatever its spelling ("0.00005", "5e-05").
    func bucket(_ name: String, _ labels: [String: String], le: Double) -> Double? {
        samples.first { s in
            var rest = s.labels
            let bound = rest.removeValue(forKey: "le").flatMap(Self.parseValue)
            return s.name == name + "_bucket" && rest == labels && bound == le
        }?.value
    }

    static func parse(_ text: String) throws(ParseError) -> PrometheusText {
        var result = PrometheusText()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated() {
            let n = index + 1
            let line = String(raw)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                if parts.count >= 2 && parts[1] == "TYPE" {
                    guard parts.count == 4, isMetricName(parts[2]),
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3])
                    else { throw .badLine(n, line) }
                    guard result.types[parts[2]] == nil else { throw .duplicateType(n, line) }
                    result.types[parts[2]] = parts[3]
                } else if parts.count >= 2 && parts[1] == "HELP" {
                    guard parts.count >= 3, isMetricName(parts[2]) else { throw .badLine(n, line) }
                }
                continue
            }
            result.samples.append(try sample(line, n))
        }
        for s in result.samples where family(of: s.name, in: result.types) == nil {
            throw .untypedSample(0, s.name)
        }
        try result.checkHistograms()
        return result
    }

    private static func family(of name: String, in types: [String: String]) -> String? {
        if types[name] != nil { return name }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let t = types[base], t == "histogram" || t == "summary" { return base }
        }
        return nil
    }

    private static func sample(_ line: String, _ n: Int) throws(ParseError) -> Sample {
        var rest = Substring(line)
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        guard isMetricName(name) else { throw .badName(n, line) }
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let eq = rest.firstIndex(of: "=") else { throw .badLabels(n, line) }
                let label = String(rest[..<eq])
                guard isLabelName(label), labels[label] == nil else { throw .badLabels(n, line) }
                rest = rest[rest.index(after: eq)...]
                guard rest.first == "\"" else { throw .badLabels(n, line) }
                rest = rest.dropFirst()
                var value = ""
                var closed = false
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if c == "\\" {
                        guard let e = rest.first else { throw .badLabels(n, line) }
                        rest = rest.dropFirst()
                        switch e {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw .badLabels(n, line)
                        }
                    } else if c == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { throw .badLabels(n, line) }
                labels[label] = value
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw .badLabels(n, line) }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw .badLine(n, line) }
        let fields = rest.dropFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 1 || (fields.count == 2 && Int64(fields[1]) != nil) else { throw .badValue(n, line) }
        guard let value = parseValue(String(fields[0])) else { throw .badValue(n, line) }
        return Sample(name: name, labels: labels, value: value)
    }

    static func parseValue(_ text: String) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard let first = text.first, first.isNumber || first == "-" || first == "+" || first == "." else { return nil }
            return Double(text)
        }
    }

    static func isMetricName(_ s: String) -> Bool {
        guard let first = s.utf8.first, !(48...57).contains(first) else { return false }
        return s.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 58 }
    }

    static func isLabelName(_ s: String) -> Bool {
        guard let first = s.utf8.first, !(48...57).contains(first) else { return false }
        return s.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }

    private func checkHistograms() throws(ParseError) {
        for (name, type) in types where type == "histogram" {
            // Series of this family, keyed by their labels without `le`.
            var buckets: [[String: String]: [(le: Double, count: Double)]] = [:]
            for s in samples where s.name == name + "_bucket" {
                guard let leText = s.labels["le"], let le = Self.parseValue(leText) else { throw .histogram("\(name): bucket without le") }
                var key = s.labels
                key["le"] = nil
                buckets[key, default: []].append((le, s.value))
            }
            for (key, series) in buckets {
                for i in series.indices.dropFirst() {
                    guard series[i].le > series[i - 1].le, series[i].count >= series[i - 1].count else {
                        throw .histogram("\(name)\(key): buckets not increasing")
                    }
                }
                guard let last = series.last, last.le == .infinity else { throw .histogram("\(name)\(key): no +Inf bucket") }
                guard value(name + "_count", key) == last.count else { throw .histogram("\(name)\(key): +Inf bucket != _count") }
                guard value(name + "_sum", key) != nil else { throw .histogram("\(name)\(key): no _sum") }
            }
        }
    }
}
