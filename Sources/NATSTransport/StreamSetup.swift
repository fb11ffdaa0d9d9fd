#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNats

/// Creates the stream if it is missing, else updates it to the configuration (blocking JetStream calls).
enum StreamSetup {
    static func ensure(_ js: OpaquePointer, _ config: StreamConfiguration, timeoutMilliseconds: Int64 = 5_000) throws(NATSError) {
        let name = strdup(config.name)
        let subjects = config.subjects.map { strdup($0) }
        defer {
            free(name)
            subjects.forEach { free($0) }
        }
        var subjectPointers = subjects.map { UnsafePointer<CChar>($0) }
        var cfg = jsStreamConfig()
        jsStreamConfig_Init(&cfg)
        cfg.Name = UnsafePointer(name)
        cfg.SubjectsLen = Int32(subjectPointers.count)
        cfg.Duplicates = config.duplicateWindow.value
        cfg.MaxAge = config.maxAge.value
        cfg.MaxBytes = config.maxBytes
        cfg.MaxMsgs = config.maxMessages
        cfg.Storage = config.storage == .file ? js_FileStorage : js_MemoryStorage
        cfg.Replicas = Int64(config.replicas)

        var jsOpts = jsOptions()
        jsOptions_Init(&jsOpts)
        jsOpts.Wait = timeoutMilliseconds

        var jsErr = jsErrCode(0)
        var info: UnsafeMutablePointer<jsStreamInfo>?
        let lookup = js_GetStreamInfo(&info, js, name, &jsOpts, &jsErr)
        if let info { jsStreamInfo_Destroy(info) }
        let status: natsStatus = subjectPointers.withUnsafeMutableBufferPointer { buf in
            cfg.Subjects = buf.baseAddress
            var created: UnsafeMutablePointer<jsStreamInfo>?
            let s: natsStatus
            if lookup == NATS_NOT_FOUND {
                s = js_AddStream(&created, js, &cfg, &jsOpts, &jsErr)
            } else if lookup == NATS_OK {
                s = js_UpdateStream(&created, js, &cfg, &jsOpts, &jsErr)
            } else {
                s = lookup
            }
            if let created { jsStreamInfo_Destroy(created) }
            return s
        }
        guard status == NATS_OK else {
            throw NATSError(lookup == NATS_NOT_FOUND ? "js_AddStream" : "js_UpdateStream", status, jetStreamCode: jsErr)
        }
    }
}
