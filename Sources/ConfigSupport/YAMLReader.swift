import Foundation
import Yams

/// An error in a YAML input file, naming the file, line and key path so a user can fix it at once.
public struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Problem: Equatable, Sendable {
        case unreadable(reason: String)
        case syntax(reason: String)
        case missingKey
        case unknownKey(allowed: [String])
        case wrongType(expected: String, found: String)
        case invalidValue(expected: String, found: String)
    }

    public var file: String
    public var line: Int?
    public var column: Int?
    /// Dotted key path, e.g. `faults[2].duration`.
    public var path: String
    public var problem: Problem

    public init(file: String, line: Int?, column: Int? = nil, path: String, problem: Problem) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.problem = problem
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        let key = path.isEmpty ? "" : " '\(path)'"
        switch problem {
        case .unreadable(let reason): return "\(location): cannot read file: \(reason)"
        case .syntax(let reason): return "\(location): YAML syntax error: \(reason)"
        case .missingKey: return "\(location): missing required key\(key)"
        case .unknownKey(let allowed):
            return "\(location): unknown key\(key); expected one of: \(allowed.joined(separator: ", "))"
        case .wrongType(let expected, let found): return "\(location):\(key) expected \(expected), found \(found)"
        case .invalidValue(let expected, let found): return "\(location):\(key) expected \(expected), got '\(found)'"
        }
    }
}

/// A cursor over one node of a parsed YAML document that reads typed values and reports
/// problems with the node's line and key path. Keys are checked against what the reader asked for,
/// so a misspelt key is an error instead of a silently ignored setting.
public struct YAMLReader {
    public let file: String
    public let node: Node
    public let path: String

    public init(file: String, node: Node, path: String = "") {
        self.file = file
        self.node = node
        self.path = path
    }

    /// Parses YAML text; syntax errors carry the line libyaml reports.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> YAMLReader {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigError(file: file, line: 1, path: "", problem: .wrongType(expected: "a mapping", found: "an empty document"))
            }
            return YAMLReader(file: file, node: node)
        } catch let error as ConfigError {
            throw error
        } catch let error as YamlError {
            throw ConfigError(file: file, line: Self.line(of: error), path: "", problem: .syntax(reason: "\(error)"))
        } catch {
            throw ConfigError(file: file, line: nil, path: "", problem: .syntax(reason: "\(error)"))
        }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }

    public var line: Int? { node.mark?.line }

    public func error(_ problem: ConfigError.Problem, at subpath: String? = nil, node other: Node? = nil) -> ConfigError {
        ConfigError(file: file, line: (other ?? node).mark?.line, column: (other ?? node).mark?.column,
                    path: subpath ?? path, problem: problem)
    }

    private func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private var kindName: String {
        switch node {
        case .scalar(let s): return "scalar '\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// Fails when the mapping holds keys outside `allowed`.
    public func requireKeys(in allowed: [String]) throws(ConfigError) {
        guard case .mapping(let mapping) = node else {
            throw error(.wrongType(expected: "a mapping", found: kindName))
        }
        for (key, _) in mapping {
            let name = key.string ?? "?"
            if !allowed.contains(name) {
                throw error(.unknownKey(allowed: allowed), at: child(name), node: key)
            }
        }
    }

    /// The value under `key`, or nil when absent.
    public func optional(_ key: String) throws(ConfigError) -> YAMLReader? {
        guard case .mapping(let mapping) = node else {
            throw error(.wrongType(expected: "a mapping", found: kindName))
        }
        guard let value = mapping[key] else { return nil }
        if case .scalar(let s) = value, s.string == "null" || s.string == "~" || (s.string.isEmpty && s.style == .plain) {
            return nil
        }
        return YAMLReader(file: file, node: value, path: child(key))
    }

    public func required(_ key: String) throws(ConfigError) -> YAMLReader {
        guard let value = try optional(key) else {
            throw error(.missingKey, at: child(key))
        }
        return value
    }

    public var items: [YAMLReader] {
        get throws(ConfigError) {
            guard case .sequence(let sequence) = node else {
                throw error(.wrongType(expected: "a list", found: kindName))
            }
            return sequence.enumerated().map { YAMLReader(file: file, node: $1, path: "\(path)[\($0)]") }
        }
    }

    /// Keys in document order (never Dictionary order).
    public var keys: [String] {
        get throws(ConfigError) {
            guard case .mapping(let mapping) = node else {
                throw error(.wrongType(expected: "a mapping", found: kindName))
            }
            return mapping.map { $0.key.string ?? "" }
        }
    }

    public func string() throws(ConfigError) -> String {
        guard case .scalar(let s) = node else { throw error(.wrongType(expected: "a string", found: kindName)) }
        return s.string
    }

    public func int() throws(ConfigError) -> Int {
        let text = try string()
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")) else {
            throw error(.invalidValue(expected: "an integer", found: text))
        }
        return value
    }

    public func double() throws(ConfigError) -> Double {
        let text = try string()
        guard let value = Double(text) else { throw error(.invalidValue(expected: "a number", found: text)) }
        return value
    }

    public func bool() throws(ConfigError) -> Bool {
        let text = try string()
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(.invalidValue(expected: "true or false", found: text))
        }
    }

    /// Reads a duration such as `250ms`, `5s`, `2m`, `1h`, `1.5s` or a bare number of seconds, as nanoseconds.
    public func durationNanoseconds() throws(ConfigError) -> Int64 {
        let text = try string().trimmingCharacters(in: .whitespaces)
        guard let ns = DurationText.parse(text) else {
            throw error(.invalidValue(expected: "a duration like 250ms, 5s, 2m or 1h", found: text))
        }
        return ns
    }

    /// Reads one of a fixed set of words.
    public func oneOf(_ allowed: [String]) throws(ConfigError) -> String {
        let text = try string()
        guard allowed.contains(text) else {
            throw error(.invalidValue(expected: "one of \(allowed.joined(separator: ", "))", found: text))
        }
        return text
    }
}

/// Durations as people write them in configs and on the command line.
public enum DurationText {
    public static func parse(_ text: String) -> Int64? {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            // "ms" also ends in "s": only accept when the rest is a number.
            if let value = Double(number), value >= 0, value.isFinite { return Int64((value * factor).rounded()) }
        }
        if let seconds = Double(text), seconds >= 0, seconds.isFinite { return Int64((seconds * 1e9).rounded()) }
        return nil
    }

    public static func format(_ ns: Int64) -> String {
        if ns % 3_600_000_000_000 == 0 && ns != 0 { return "\(ns / 3_600_000_000_000)h" }
        if ns % 60_000_000_000 == 0 && ns != 0 { return "\(ns / 60_000_000_000)m" }
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        return "\(ns)ns"
    }
}
