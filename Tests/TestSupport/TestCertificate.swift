import Foundation
import LoopbackPeers

/// A self-signed certificate (EC P-256) for localhost and 127.0.0.1, made by the system's `openssl` in a
/// temp dir: the TLS tests of the transport, the collector and `serve` all need one.
public struct TestCertificate: Sendable {
    public let directory: URL
    public var certificateFile: String { directory.appendingPathComponent("cert.pem").path }
    public var keyFile: String { directory.appendingPathComponent("key.pem").path }

    public enum Failure: Error { case openssl(String) }

    public static func make(subjectAltName: String = "DNS:localhost,IP:127.0.0.1") throws -> TestCertificate {
        let certificate = TestCertificate(directory: try TestEnvironment.temporaryDirectory("tls"))
        let result = try TestEnvironment.run(URL(fileURLWithPath: "/usr/bin/openssl"), [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", certificate.keyFile, "-out", certificate.certificateFile, "-days", "2",
            "-subj", "/CN=marketprism test", "-addext", "subjectAltName=\(subjectAltName)",
        ])
        guard result.status == 0 else { throw Failure.openssl(result.stderrText) }
        return certificate
    }

    public func tlsContext() throws -> LoopbackTLSContext {
        try LoopbackTLSContext(certificateFile: certificateFile, keyFile: keyFile)
    }

    public func remove() { try? FileManager.default.removeItem(at: directory) }
}
