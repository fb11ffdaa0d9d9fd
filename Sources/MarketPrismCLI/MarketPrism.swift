import ArgumentParser

@main
struct MarketPrism: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "marketprism",
        abstract: "Crypto market-data collector with a recorder and a deterministic replay harness.",
        version: ToolVersion.current,
        subcommands: []
    )
}

enum ToolVersion {
    static let current = "0.1.0"
}
