import BoucleServer
import Foundation

exit(ServerCLI.run(Array(CommandLine.arguments.dropFirst())))
