import Foundation

/// Messages other threads want sent on a `CurlWebSocket`, and a pipe that wakes its owner thread out of
/// `receive`'s poll so they go out at once instead of after the receive timeout.
public final class WebSocketOutbox: @unchecked Sendable {
    public enum Item: Equatable, Sendable {
        case text(String)
        case binary([UInt8])
        case ping([UInt8])
        /// Starts the close handshake; `receive` then returns the server's `.close` and throws after it.
        case close(code: UInt16, reason: String)
    }

    private let lock = NSLock()
    private var items: [Item] = []
    let wakeReadFD: Int32
    private let wakeWriteFD: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }
        wakeReadFD = fds[0]
        wakeWriteFD = fds[1]
    }

    deinit {
        if wakeReadFD >= 0 { close(wakeReadFD) }
        if wakeWriteFD >= 0 { close(wakeWriteFD) }
    }

    /// Queues an item from any thread; the owner sends it in its next (or current) `receive`.
    public func enqueue(_ item: Item) {
        lock.lock()
        items.append(item)
        lock.unlock()
        var byte: UInt8 = 1
        _ = write(wakeWriteFD, &byte, 1)  // a full pipe already means "wake up"
    }

    func drain() -> [Item] {
        var sink = [UInt8](repeating: 0, count: 64)
        while read(wakeReadFD, &sink, sink.count) > 0 {}
        lock.lock()
        defer { lock.unlock() }
        let out = items
        items.removeAll()
        return out
    }
}
