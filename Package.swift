// swift-tools-version:6.0
// Boucle: offline-first sync for neighbourhood mutual aid.
// No package dependencies: Foundation, Dispatch, the system SQLite and the system OpenSSL only.
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
        // Layer 0: the system OpenSSL, for the client's HTTPS (Foundation's URLSession cannot take
        // a city's own CA on Linux, and would bypass the client's deadlines).
        .systemLibrary(
            name: "COpenSSL",
            path: "Sources/COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // Layer 1: a small owned wrapper of SQLite handles and statements.
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        // Layer 1: the pure core: clock, merge, change-set codec, JSON, SHA-256. No I/O.
        .target(name: "BoucleCore"),
        // Layer 1: a tiny command-line argument parser shared by every executable.
        .target(name: "ArgumentParsing"),
        // Layer 1: HTTP/1.1 framing, pure (bytes in, requests out), for the server and the client.
        .target(name: "HTTPCodec"),
        // Layer 2: the sync protocol declared once: endpoints, headers, refusals, push and pull
        // exchanges, defaults. Pure: used by the store, the server, the client and the simulation.
        .target(name: "BoucleProtocol", dependencies: ["BoucleCore", "HTTPCodec"]),
        // Layer 2: the replica store: the core's rules kept in a SQLite file.
        .target(name: "BoucleStore", dependencies: ["SQLite", "BoucleCore", "BoucleProtocol"]),
        // Layer 2: POSIX sockets and a small blocking HTTP(S) client, on the pure codec.
        .target(name: "Networking", dependencies: ["HTTPCodec", "COpenSSL"]),
        // Layer 3: the city's server: sockets, routing, authentication, metrics.
        .target(name: "BoucleServer", dependencies: ["Networking", "HTTPCodec", "BoucleStore", "BoucleCore", "BoucleProtocol", "ArgumentParsing"]),
        // Layer 3: the sync client: push in batches, pull in pages, re-sync in full.
        .target(name: "BoucleSync", dependencies: ["BoucleStore", "BoucleCore", "BoucleProtocol", "Networking", "HTTPCodec"]),
        // Layer 4: the `boucle` client's commands.
        .target(name: "BoucleCommands", dependencies: ["BoucleStore", "BoucleCore", "BoucleProtocol", "BoucleSync", "ArgumentParsing", "Networking", "HTTPCodec"]),
        // Executables stay thin.
        .executableTarget(name: "boucle", dependencies: ["BoucleCommands"]),
        .executableTarget(name: "boucle-server", dependencies: ["BoucleServer", "ArgumentParsing", "BoucleStore", "BoucleCore"]),
        .executableTarget(
            name: "boucle-bench",
            dependencies: ["BoucleCommands", "BoucleServer", "BoucleStore", "BoucleCore", "BoucleProtocol", "BoucleSync", "Networking", "HTTPCodec", "SQLite", "ArgumentParsing"]
        ),

        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"]),
        .testTarget(name: "ArgumentParsingTests", dependencies: ["ArgumentParsing"]),
        .testTarget(name: "HTTPCodecTests", dependencies: ["HTTPCodec", "BoucleCore"]),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["BoucleSync", "BoucleServer", "BoucleStore", "BoucleCore", "BoucleProtocol", "HTTPCodec"]
        ),
        .testTarget(name: "BoucleCoreTests", dependencies: ["BoucleCore"]),
        .testTarget(name: "BoucleProtocolTests", dependencies: ["BoucleProtocol", "BoucleCore", "HTTPCodec"]),
        .testTarget(name: "BoucleStoreTests", dependencies: ["BoucleStore", "BoucleCore", "BoucleProtocol", "SQLite"]),
        .testTarget(
            name: "BoucleCLITests",
            dependencies: ["BoucleCore", "BoucleStore", "BoucleProtocol", "BoucleSync", "SQLite", "Networking", "HTTPCodec", "boucle", "boucle-server"],
            exclude: ["Golden"]
        ),
    ]
)
