/// A cryptofeed capture file name, `FEED.R`, `FEED.ws.N.R` or `FEED.http.N.R`, parsed from the right
/// (feed names may contain dots; R is the file's rotation number, N the connection or REST source).
public struct CryptofeedFileName: Equatable, Hashable, Sendable, Comparable {
    public enum Source: Equatable, Hashable, Sendable, Comparable {
        /// `FEED.R`: REST responses served to startup fetches, then the configuration line.
        case startup
        /// `FEED.http.N.R`: REST responses fetched while running.
        case http(Int)
        /// `FEED.ws.N.R`: one websocket connection.
        case websocket(Int)
    }

    public var feed: String
    public var source: Source
    public var rotation: Int

    public init(feed: String, source: Source, rotation: Int) {
        self.feed = feed
        self.source = source
        self.rotation = rotation
    }

    /// Parses a base name (no directory); nil when it does not follow the pattern.
    public init?(_ name: Substring) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, let rotation = Int(parts[parts.count - 1]), rotation >= 0 else { return nil }
        var feedParts = parts.dropLast()
        if feedParts.count >= 3, let n = Int(feedParts[feedParts.count - 1]), n >= 0,
            feedParts[feedParts.count - 2] == "ws" || feedParts[feedParts.count - 2] == "http"
        {
            source = feedParts[feedParts.count - 2] == "ws" ? .websocket(n) : .http(n)
            feedParts = feedParts.dropLast(2)
        } else {
            source = .startup
        }
        // `FEED.ws.R` is a websocket name missing its N, not a feed called `FEED.ws`.
        guard let last = feedParts.last, last != "ws", last != "http", !feedParts.contains(where: \.isEmpty) else { return nil }
        feed = feedParts.joined(separator: ".")
        self.rotation = rotation
    }

    public init?(path: String) {
        let base = path.lastIndex(of: "/").map { path[path.index(after: $0)...] } ?? path[...]
        self.init(base)
    }

    /// Streams order startup, then REST sources, then connections; files of one source by rotation.
    public static func < (a: CryptofeedFileName, b: CryptofeedFileName) -> Bool {
        (a.feed, a.source, a.rotation) < (b.feed, b.source, b.rotation)
    }
}

extension CryptofeedFileName.Source {
    public static func < (a: Self, b: Self) -> Bool {
        func key(_ s: Self) -> (Int, Int) {
            switch s {
            case .startup: (0, 0)
            case .http(let n): (1, n)
            case .websocket(let n): (2, n)
            }
        }
        return key(a) < key(b)
    }
}
