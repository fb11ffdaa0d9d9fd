#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNats

/// Builds a libnats `natsOptions` from `NATSConnectionOptions` (libnats copies every string).
enum NATSOptionsFactory {
    /// The caller owns the result and must `natsOptions_Destroy` it.
    static func make(_ o: NATSConnectionOptions) throws(NATSError) -> OpaquePointer {
        var opts: OpaquePointer?
        try check("natsOptions_Create", natsOptions_Create(&opts))
        guard let opts else { throw NATSError("natsOptions_Create", NATS_NO_MEMORY) }
        do throws(NATSError) {
            try setServers(opts, o.urls)
            if let user = o.user {
                try check("natsOptions_SetUserInfo", natsOptions_SetUserInfo(opts, user, o.password))
            }
            if let token = o.token { try check("natsOptions_SetToken", natsOptions_SetToken(opts, token)) }
            if let creds = o.credentialsFile {
                try check(
                    "natsOptions_SetUserCredentialsFromFiles", natsOptions_SetUserCredentialsFromFiles(opts, creds, nil))
            }
            if let tls = o.tls {
                try check("natsOptions_SetSecure", natsOptions_SetSecure(opts, true))
                if let ca = tls.caFile {
                    try check("natsOptions_LoadCATrustedCertificates", natsOptions_LoadCATrustedCertificates(opts, ca))
                }
                if let cert = tls.certificateFile, let key = tls.keyFile {
                    try check("natsOptions_LoadCertificatesChain", natsOptions_LoadCertificatesChain(opts, cert, key))
                }
                if let host = tls.expectedHostname {
                    try check("natsOptions_SetExpectedHostname", natsOptions_SetExpectedHostname(opts, host))
                }
            }
            try check("natsOptions_SetName", natsOptions_SetName(opts, o.name))
            try check("natsOptions_SetTimeout", natsOptions_SetTimeout(opts, max(1, o.connectTimeout.value / 1_000_000)))
        } catch {
            natsOptions_Destroy(opts)
            throw error
        }
        return opts
    }

    private static func setServers(_ opts: OpaquePointer, _ urls: [String]) throws(NATSError) {
        let copies = urls.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var pointers = copies.map { UnsafePointer<CChar>($0) }
        let status = pointers.withUnsafeMutableBufferPointer { buf in
            natsOptions_SetServers(opts, buf.baseAddress, Int32(buf.count))
        }
        try check("natsOptions_SetServers", status)
    }
}
