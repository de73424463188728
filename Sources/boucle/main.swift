import BoucleCommands
import Foundation

exit(BoucleCLI.run(Array(CommandLine.arguments.dropFirst())))
