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

        public init() {}
    }

    public static let collections: [RecordCollection] = [.offer, .request, .match]
    public var breakdowns: [RecordCollection: Breakdown] = [:]

    public init() {}

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
    /// Counts the scope's live offers, requests and matches from `record_counts`: what it costs
    /// does not grow with the records, only with their categories, statuses and teams.
    func stats() throws -> RecordStats {
        var stats = RecordStats()
        for collection in RecordStats.collections { stats.breakdowns[collection] = RecordStats.Breakdown() }
        let rows = try db.query(
            "SELECT collection, category, status, team, live FROM record_counts WHERE scope = ? AND live > 0", [.integer(scope)]
        ) { row in
            (collection: row.text(0) ?? "", category: row.text(1) ?? "", status: row.text(2) ?? "", team: row.text(3) ?? "", live: Int(row.int64(4)))
        }
        for row in rows {
            guard let collection = RecordCollection(rawValue: row.collection), var breakdown = stats.breakdowns[collection] else { continue }
            // An unset category or status is kept as "" in record_counts.
            func label(_ text: String) -> String { text.isEmpty ? "(none)" : text }
            breakdown.total += row.live
            if collection != .match { breakdown.byCategory[label(row.category), default: 0] += row.live }
            breakdown.byStatus[label(row.status), default: 0] += row.live
            breakdown.byTeam[row.team, default: 0] += row.live
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
