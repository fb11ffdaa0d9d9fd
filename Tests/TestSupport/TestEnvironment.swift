import Foundation

/// Where tests find the real recorded traffic and the built executables.
///
/// `../shared/data` sits beside the checkout in CI and on the team's machines; a user's own clone
/// has none, and tests that need it are skipped with `SharedData.skipMessage`.
public enum TestEnvironment {
    /// The package root, derived from this file's location (Tests/TestSupport/TestEnvironment.swift).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/data/cryptofeed-sample`, if present.
    public static let cryptofeedSample: URL? = {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/cryptofeed-sample")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }()

    public static var hasSharedData: Bool { cryptofeedSample != nil }
    public static let sharedDataSkipMessage =
        "skipped: ../shared/data/cryptofeed-sample is not beside this checkout (only the team's machines and CI have it)"

    /// The cryptofeed capture files of one feed (`BINANCE`, `OKX`, `DERIBIT`), sorted by name.
    public static func cryptofeedFiles(feed: String) -> [URL] {
        guard let dir = cryptofeedSample,
            let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path)
        else { return [] }
        return names.filter { $0 == feed + ".0" || $0.hasPrefix(feed + ".ws.") || $0.hasPrefix(feed + ".http.") }
            .sorted().map { dir.appendingPathComponent($0) }
    }

    /// The directory holding built products (the test bundle sits in it), e.g. `.build/debug`.
    public static let productsDirectory: URL = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url = url.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("marketprism").path) { return url }
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }()

    /// A built executable of this package by product name.
    public static func executable(_ name: String) -> URL {
        productsDirectory.appendingPathComponent(name)
    }

    /// A fresh temporary directory, removed by the caller when done.
    public static func temporaryDirectory(_ label: String = "marketprism") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// The result of running a child process to completion.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

extension TestEnvironment {
    /// Runs an executable with arguments, collecting its output (no shell involved).
    public static func run(_ executable: URL, _ arguments: [String], stdin: Data? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        // Read both pipes concurrently so a full stderr pipe cannot block the child.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, stdout: outData, stderr: errData)
    }

    /// Runs the `marketprism` CLI built alongside the tests.
    public static func marketprism(_ arguments: String...) throws -> ProcessResult {
        try run(executable("marketprism"), arguments)
    }

    public static func marketprism(arguments: [String]) throws -> ProcessResult {
        try run(executable("marketprism"), arguments)
    }
}
