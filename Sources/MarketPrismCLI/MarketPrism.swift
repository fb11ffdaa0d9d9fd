import ArgumentParser
import Foundation

@main
struct MarketPrism: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "marketprism",
        abstract: "Crypto market-data collector with a recorder and a deterministic replay harness.",
        version: ToolVersion.current,
        subcommands: [
            DemoCommand.self, ReplayCommand.self, ScenarioCommand.self, BooksCommand.self, SynthCommand.self,
            ImportCommand.self, RepackCommand.self, InspectCommand.self, CatCommand.self,
            ServeCommand.self,
            CollectCommand.self, RecordCommand.self,
        ]
    )
}

enum ToolVersion {
    static let current = "0.1.0"
}

extension MarketPrism {
    /// Bad input ends with one clear line on stderr and exit status 2, never a crash.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("marketprism: \(error.description)\n".utf8))
            Foundation.exit(2)
        } catch {
            exit(withError: error)
        }
    }
}
