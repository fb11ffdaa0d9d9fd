import ArgumentParser
import Foundation
import Recording

struct RepackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repack",
        abstract: "Rewrite a recording with the offline framing: the same records, cheaper to replay.",
        discussion: """
            A live capture is cut into a zstd frame every second (bounding what a crash loses) at level 3. \
            Once it is complete, nothing is lost by cutting frames by size alone and compressing harder: \
            the file shrinks by about a quarter and replays read it with ~40% fewer instructions \
            (docs/recording-format.md). The header and every record are kept as they are.

            Example:
              marketprism repack capture.mprec --output capture.offline.mprec
            """)

    @Argument(help: "The recording to read.")
    var recording: String

    @Option(name: .shortAndLong, help: "The recording to write (written as OUTPUT.tmp, renamed when complete).")
    var output: String

    @Option(help: "zstd compression level.")
    var level: Int32 = RecordingWriterOptions.offline.compressionLevel

    func run() throws {
        guard output != recording else { throw ValidationError("--output must differ from the recording read") }
        var options = RecordingWriterOptions.offline
        options.compressionLevel = level
        do {
            let reader = try RecordingReader(path: recording)
            let writer = try RecordingWriter(path: output, header: reader.header, options: options)
            try reader.forEachRecord { try writer.append($0.makeRecord()) }
            let paths = try writer.close()
            reader.warnAboutSkippedBytes()
            let sizes = [recording, paths[0]].map { (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 0 }
            print("\(paths.joined(separator: ", ")): \(writer.recordCount) records, \(sizes[0]) -> \(sizes[1]) bytes")
        } catch let error as RecordingError {
            throw CLIError(error.description)
        }
    }
}
