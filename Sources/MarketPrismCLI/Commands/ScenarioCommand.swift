import ArgumentParser
import Foundation
import Simulation

struct ScenarioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Run fault scenarios.",
        discussion: """
            Example:
              marketprism scenario run scenarios/*.yaml
            """,
        subcommands: [ScenarioRun.self])
}

struct ScenarioRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one or more scenario files and report on each; exits non-zero if any fails.",
        discussion: """
            Each scenario names its recording (relative to the scenario file), seed, speed, faults and
            expectations; see docs/scenarios.md.

            Examples:
              marketprism scenario run scenarios/*.yaml
              marketprism scenario run scenarios/rest-429-storm.yaml --json
            """)

    @Argument(help: "Scenario files (YAML).")
    var files: [String]

    @OptionGroup var options: RunOptions

    func run() throws {
        var reports: [ReplayReport] = []
        for file in files {
            let scenario = try loadScenario(file)
            let report = try options.replay(scenario)
            reports.append(report)
            if !options.json {
                print(report.text)
                print("")
            }
        }
        let json = "{\"scenarios\":[" + reports.map(\.json).joined(separator: ",") + "]}"
        if options.json { print(json) }
        if let path = options.reportJSON { try Data((json + "\n").utf8).write(to: URL(fileURLWithPath: path)) }
        let failed = reports.filter { !$0.passed }
        if !options.json {
            print("\(reports.count - failed.count) passed, \(failed.count) failed")
        }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}
