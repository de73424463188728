// swift-tools-version:6.0
// Boucle: offline-first sync for neighbourhood mutual aid.
// No package dependencies: Foundation, Dispatch and the system SQLite only.
import PackageDescription

let package = Package(
    name: "Boucle",
    products: [
        .executable(name: "boucle", targets: ["boucle"]),
        .executable(name: "boucle-server", targets: ["boucle-server"]),
        .executable(name: "boucle-bench", targets: ["boucle-bench"]),
    ],
    targets: [
        // Layer 0: the system SQLite, seen through a module map.
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // Layer 1: a small owned wrapper of SQLite handles and statements.
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        // Layer 1: the pure core: clock, merge, change-set codec, JSON, SHA-256. No I/O.
        .target(name: "BoucleCore"),
        // Layer 1: a tiny command-line argument parser shared by every executable.
        .target(name: "ArgumentParsing"),
        // Layer 1: HTTP/1.1 framing, pure (bytes in, requests out), for the server and the client.
        .target(name: "HTTPCodec"),
        // Layer 2: the replica store: the core's rules kept in a SQLite file.
        .target(name: "BoucleStore", dependencies: ["SQLite", "BoucleCore"]),
        // Layer 2: POSIX sockets and a small blocking HTTP client, on the pure codec.
        .target(name: "Networking", dependencies: ["HTTPCodec"]),
        // Layer 3: the city's server: sockets, routing, authentication, metrics.
        .target(name: "BoucleServer", dependencies: ["Networking", "HTTPCodec", "BoucleStore", "BoucleCore", "ArgumentParsing"]),
        // Layer 3: the `boucle` client's commands.
        .target(name: "BoucleCommands", dependencies: ["BoucleStore", "BoucleCore", "ArgumentParsing", "Networking", "HTTPCodec"]),
        // Executables stay thin.
        .executableTarget(name: "boucle", dependencies: ["BoucleCommands"]),
        .executableTarget(name: "boucle-server", dependencies: ["BoucleServer", "ArgumentParsing", "BoucleStore", "BoucleCore"]),
        .executableTarget(
            name: "boucle-bench",
            dependencies: ["BoucleCommands", "BoucleServer", "BoucleStore", "BoucleCore", "Networking", "HTTPCodec", "SQLite", "ArgumentParsing"]
        ),

        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"]),
        .testTarget(name: "ArgumentParsingTests", dependencies: ["ArgumentParsing"]),
        .testTarget(name: "HTTPCodecTests", dependencies: ["HTTPCodec", "BoucleCore"]),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["BoucleCommands", "BoucleServer", "BoucleStore", "BoucleCore", "HTTPCodec"]
        ),
        .testTarget(name: "BoucleCoreTests", dependencies: ["BoucleCore"]),
        .testTarget(name: "BoucleStoreTests", dependencies: ["BoucleStore", "BoucleCore", "SQLite"]),
        .testTarget(
            name: "BoucleCLITests",
            dependencies: ["BoucleCore", "BoucleStore", "SQLite", "Networking", "HTTPCodec", "boucle", "boucle-server"],
            exclude: ["Golden"]
        ),
    ]
)
