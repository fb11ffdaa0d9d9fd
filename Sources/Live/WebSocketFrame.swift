// The RFC 6455 codec (frames, masking, fragments, close codes, UTF-8) is the `WebSocket` target, shared with
// the exchange server and the loopback test peers; Live's users see its types through this module.
@_exported import WebSocket
