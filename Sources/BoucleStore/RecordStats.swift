import BoucleCore
import SQLite

/// Counts of the live offers, requests and matches, by category, status and team: what
/// `boucle stats` and `boucle-server stats` show, as a terminal report or as JSON.
public struct RecordStats: Equatable, Sendable {
    /// One collection's counts.
    public struct Breakdown: Equatable, Sendable {
        public var total = 0
        public var byCategory: [String: Int] = [:]
        public var byStatus: [String: Int] = [:]
        public var byTeam: [String: Int] = [:]
    }

    public static let collections: [RecordCollection] = [.offer, .request, .match]
    public var breakdowns: [RecordCollection: Breakdown] = [:]

    /// The figures as JSON: `{"offer":{"total":…,"by_category":{…},"by_status":{…},"by_team":{…}},…}`.
    public var json: JSONValue {
        .object(Dictionary(uniqueKeysWithValues: RecordStats.collections.map { collection in
            let breakdown = breakdowns[collection] ?? Breakdown()
            func counts(_ table: [String: Int]) -> JSONValue { .object(table.mapValues { .number(Double($0)) }) }
            var object: [String: JSONValue] = [
                "total": .number(Double(breakdown.total)), "by_status": counts(breakdown.byStatus), "by_team": counts(breakdown.byTeam),
            ]
            if collection != .match { object["by_category"] = counts(breakdown.byCategory) }
            return (collection.rawValue, .object(object))
        }))
    }

    /// The figures as a report for a terminal: a section per collection, a bar per count.
    public var report: String {
        var lines: [String] = []
        for collection in RecordStats.collections {
            let breakdown = breakdowns[collection] ?? Breakdown()
            lines.append("\(Plural.plural(collection.rawValue)): \(breakdown.total)")
            var tables = [("by status", breakdown.byStatus), ("by team", breakdown.byTeam)]
            if collection != .match { tables.insert(("by category", breakdown.byCategory), at: 0) }
            for (title, table) in tables where !table.isEmpty {
                lines.append("  \(title)")
                lines += RecordStats.bars(table)
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// Rows `label  count  ████` with bars scaled to the largest count (30 cells at most).
    static func bars(_ table: [String: Int]) -> [String] {
        let rows = table.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let labelWidth = rows.map(\.key.count).max() ?? 0
        let countWidth = String(rows.first?.value ?? 0).count
        let top = max(1, rows.first?.value ?? 1)
        return rows.map { label, count in
            let cells = count == 0 ? 0 : max(1, Int((Double(count) / Double(top) * 30).rounded()))
            let number = String(count)
            return "    \(TerminalText.escaped(label))\(String(repeating: " ", count: labelWidth - label.count))  "
                + "\(String(repeating: " ", count: countWidth - number.count))\(number)  \(String(repeating: "█", count: cells))"
        }
    }
}

extension RecordTable {
    /// Counts the scope's live offers, requests and matches.
    func stats() throws -> RecordStats {
        var stats = RecordStats()
        for collection in RecordStats.collections {
            var breakdown = RecordStats.Breakdown()
            for (_, state) in try live(in: collection) {
                breakdown.total += 1
                func text(_ name: String) -> String {
                    if case .text(let value)? = state.fields[name]?.value { return value }
                    return "(none)"
                }
                if collection != .match { breakdown.byCategory[text("category"), default: 0] += 1 }
                breakdown.byStatus[text("status"), default: 0] += 1
                breakdown.byTeam[state.team, default: 0] += 1
            }
            stats.breakdowns[collection] = breakdown
        }
        return stats
    }
}

extension ReplicaStore {
    /// The replica's figures.
    public func stats() throws -> RecordStats { try table.stats() }
}

extension ServerStore {
    /// A tenant's figures.
    public func stats(tenant: String) throws -> RecordStats {
        guard let scope = try tenantScope(tenant) else {
            throw StoreError.noTenant(tenant)
        }
        return try db.transactionForReading { try records(scope: scope).stats() }
    }
}
