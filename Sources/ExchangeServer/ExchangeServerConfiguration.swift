import Simulation

/// What `ExchangeServer` serves and how.
public struct ExchangeServerConfiguration: Sendable {
    /// Recordings (`.mprec`). Several of one venue are served as one market (merged by receive time).
    public var recordings: [String]
    /// 0 picks a free port (tests).
    public var port: Int
    /// PEM certificate and key: wss:// and https:// instead of ws:// and http://.
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?
    /// Real time (`.multiple(1)`, the default), N times faster, or `.max` (as fast as the client reads).
    public var speed: ReplaySpeed
    /// Socket-level faults, as in scenarios (docs/serve.md lists the kinds serve applies).
    public var faults: [Fault]
    /// Close each websocket with 1000 once it was sent the whole recording (otherwise it stays open, quiet).
    public var closeAtEnd: Bool
    /// Play each venue's recording again from its start when it ends: every websocket still open then is
    /// closed with 1012 (service restart), and clients that reconnect get the market from its first frame,
    /// as after a venue's restart (docs/serve.md, "Looping").
    public var loop: Bool
    /// Binance server pings; nil: the venue's own interval (spot 20 s, futures 3 min).
    public var pingIntervalNanoseconds: Int64?
    /// Replaces the interval Deribit clients ask for in `public/set_heartbeat` (tests want seconds, not tens).
    public var heartbeatIntervalNanoseconds: Int64?
    /// Host name put in the printed URLs (the server binds 127.0.0.1 whatever this says).
    public var advertisedHost: String

    public init(
        recordings: [String], port: Int = 0, tlsCertificateFile: String? = nil, tlsKeyFile: String? = nil,
        speed: ReplaySpeed = .multiple(1), faults: [Fault] = [], closeAtEnd: Bool = false,
        pingIntervalNanoseconds: Int64? = nil, heartbeatIntervalNanoseconds: Int64? = nil, advertisedHost: String = "127.0.0.1",
        loop: Bool = false
    ) {
        self.recordings = recordings
        self.port = port
        self.tlsCertificateFile = tlsCertificateFile
        self.tlsKeyFile = tlsKeyFile
        self.speed = speed
        self.faults = faults
        self.closeAtEnd = closeAtEnd
        self.loop = loop
        self.pingIntervalNanoseconds = pingIntervalNanoseconds
        self.heartbeatIntervalNanoseconds = heartbeatIntervalNanoseconds
        self.advertisedHost = advertisedHost
    }
}

/// Where a client finds one served venue.
public struct ServedEndpoint: Sendable, Equatable {
    public var venue: String
    /// The websocket URL the recorded subscription would use (Binance: with its `streams=`), for
    /// `websocketURLOverride`.
    public var websocketURL: String
    /// `http(s)://host:port`, for `restBaseURLOverride` (REST paths are the venue's own).
    public var restBaseURL: String
    public var recording: String
    /// Received websocket frames in the recording.
    public var frames: Int

    /// The line `serve` prints at startup.
    public var line: String { "\(venue) websocket=\(websocketURL) rest=\(restBaseURL) recording=\(recording) frames=\(frames)" }
}
