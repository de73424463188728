import Foundation

exit(BenchCLI.run(Array(CommandLine.arguments.dropFirst())))
