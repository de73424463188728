import BoucleCore
import Foundation
import SQLite

/// A read of one collection's live records, as `boucle list` asks it: filtered by category,
/// status or building, or near a point (within a distance); the first `limit` (all when nil) in
/// the order the command shows them: id order, or nearest first (ties by id).
public struct RecordQuery: Equatable, Sendable {
    public var collection: RecordCollection
    public var category: String?
    public var status: String?
    /// An `AddressKey`: records in that building only.
    public var building: String?
    public var near: Coordinate?
    public var within: Double?
    public var limit: Int?

    public init(_ collection: RecordCollection, category: String? = nil, status: String? = nil, building: String? = nil,
                near: Coordinate? = nil, within: Double? = nil, limit: Int? = nil) {
        self.collection = collection
        self.category = category
        self.status = status
        self.building = building
        self.near = near
        self.within = within
        self.limit = limit
    }
}

/// The records a read returned, and how many match in all (`total - records.count` more).
public struct RecordPage: Equatable, Sendable {
    public let records: [StoredRecord]
    public let total: Int
}

/// The open offers ranked for a request (`Matching.rank`), the first `limit`, and how many
/// there are in all.
public struct MatchPage: Equatable, Sendable {
    public let candidates: [MatchCandidate]
    public let offers: [UUIDString: StoredRecord]
    public let total: Int
}

/// Reads through the read columns' indexes: a read costs what it returns, not the size of the
/// replica. Each query fetches, from each (category, status) group it spans, the ids that can be
/// among the first `limit`, then orders their union as the brute-force scan would, and loads
/// those rows alone.
extension RecordTable {
    /// One (category, status) group of live rows of a collection: its size, and how many of its
    /// rows are remote, located, and both (`record_counts`).
    struct Group {
        let category: String?
        let status: String?
        let count: Int
        let remote: Int
        let located: Int
        let locatedRemote: Int
    }

    /// The groups of `collection` with live rows, narrowed to `category` and `status` when given.
    func groups(_ collection: RecordCollection, category: String? = nil, status: String? = nil) throws -> [Group] {
        try db.query(
            """
            SELECT category, status, sum(live), sum(remote), sum(located), sum(located_remote) FROM record_counts
                WHERE scope = ? AND collection = ? GROUP BY category, status HAVING sum(live) > 0
            """,
            [.integer(scope), .text(collection.rawValue)]
        ) { row in
            Group(category: row.text(0).flatMap { $0.isEmpty ? nil : $0 }, status: row.text(1).flatMap { $0.isEmpty ? nil : $0 },
                  count: Int(row.int64(2)), remote: Int(row.int64(3)), located: Int(row.int64(4)), locatedRemote: Int(row.int64(5)))
        }.filter { group in (category == nil || group.category == category) && (status == nil || group.status == status) }
    }

    /// The records `query` asks for.
    func read(_ query: RecordQuery) throws -> RecordPage {
        var records: [StoredRecord] = []
        let total = try read(query) { records.append($0) }
        return RecordPage(records: records, total: total)
    }

    /// Calls `body` with each record `query` asks for, in order; returns how many match in all.
    /// A list in id order streams in batches of 1,000: its memory does not grow with its length.
    func read(_ query: RecordQuery, each body: (StoredRecord) throws -> Void) throws -> Int {
        let groups = try groups(query.collection, category: query.category, status: query.status)
        if let center = query.near {
            let (nearest, total) = try nearest(query, to: center, in: groups)
            try loadLive(nearest.map(\.id)).forEach(body)
            return total
        }
        if let building = query.building {
            let ids = try db.query(
                """
                SELECT id FROM records INDEXED BY records_by_building WHERE scope = ? AND collection = ? AND building = ?
                    AND deleted IS NULL AND building IS NOT NULL ORDER BY id
                """,
                [.integer(scope), .text(query.collection.rawValue), .text(building)]
            ) { $0.text(0) ?? "" }
            let keys = Set(groups.map { GroupKey(category: $0.category, status: $0.status) })
            let records = try loadLive(ids.compactMap(UUIDString.init)).filter { record in
                let read = ReadColumns(record.state, building: false)
                return keys.contains(GroupKey(category: read.category, status: read.status))
            }
            try records.prefix(query.limit ?? .max).forEach(body)
            return records.count
        }
        var left = query.limit ?? .max
        var after = ""
        while left > 0 {
            let ids = try firstIDs(query.collection, groups: groups, after: after, limit: min(left, 1_000))
            guard let last = ids.last else { break }
            try loadLive(ids).forEach(body)
            left -= ids.count
            after = last.rawValue
        }
        return groups.reduce(0) { $0 + $1.count }
    }

    private struct GroupKey: Hashable {
        let category: String?
        let status: String?
    }

    /// Which rows of a group a read wants.
    enum Subset {
        case all
        /// Help at a distance (`remote` true).
        case remote
        /// Neither located nor remote.
        case unlocated
        /// Not remote, located or not.
        case notRemote
    }

    /// The first `limit` ids after `after`, in id order, of the `subset` rows of `groups` (all
    /// when nil): each group's first `limit` from its index, merged. Each query names its index:
    /// SQLite's planner cannot tell the partial indexes apart by cost, and picks by the order the
    /// file holds them in, which a large import changes.
    func firstIDs(_ collection: RecordCollection, groups: [Group], subset: Subset = .all, after: String = "", limit: Int?) throws -> [UUIDString] {
        var ids: [String] = []
        for group in groups {
            let bindings = groupBindings(collection, group) + [.text(after), .integer(Int64(limit ?? -1))]
            let row: (Statement) -> String = { $0.text(0) ?? "" }
            switch subset {
            case .all:
                ids += try db.query("""
                    SELECT id FROM records INDEXED BY records_by_group WHERE scope = ? AND collection = ? AND category IS ? AND status IS ? AND deleted IS NULL
                        AND id > ? ORDER BY id LIMIT ?
                    """, bindings, row: row)
            case .remote:
                ids += try db.query("""
                    SELECT id FROM records INDEXED BY records_remote WHERE scope = ? AND collection = ? AND category IS ? AND status IS ? AND deleted IS NULL
                        AND remote = 1 AND id > ? ORDER BY id LIMIT ?
                    """, bindings, row: row)
            case .unlocated:
                ids += try db.query("""
                    SELECT id FROM records INDEXED BY records_unlocated WHERE scope = ? AND collection = ? AND category IS ? AND status IS ? AND deleted IS NULL
                        AND lat IS NULL AND remote = 0 AND id > ? ORDER BY id LIMIT ?
                    """, bindings, row: row)
            case .notRemote:
                ids += try db.query("""
                    SELECT id FROM records INDEXED BY records_by_group WHERE scope = ? AND collection = ? AND category IS ? AND status IS ? AND deleted IS NULL
                        AND remote = 0 AND id > ? ORDER BY id LIMIT ?
                    """, bindings, row: row)
            }
        }
        ids.sort()
        return ids.prefix(limit ?? .max).compactMap(UUIDString.init)
    }

    /// How many `subset` rows `groups` hold, from their counts.
    func count(_ groups: [Group], subset: Subset) -> Int {
        groups.reduce(0) { total, group in
            switch subset {
            case .all: total + group.count
            case .remote: total + group.remote
            case .unlocated: total + group.count - group.remote - group.located + group.locatedRemote
            case .notRemote: total + group.count - group.remote
            }
        }
    }

    private func groupBindings(_ collection: RecordCollection, _ group: Group) -> [SQLValue] {
        [.integer(scope), .text(collection.rawValue), group.category.map { .text($0) } ?? .null, group.status.map { .text($0) } ?? .null]
    }

    /// The located rows of `groups` nearest `center` (ties by id), no further than `within`:
    /// the first `limit`, and how many there are in all. Without `within`, the search circle
    /// grows from 250 m, four times wider each time, until it holds `limit` rows or the whole
    /// Earth (in a dense city the first circle is enough; elsewhere the small ones cost little).
    private func nearest(_ query: RecordQuery, to center: Coordinate, in groups: [Group], remote: Bool? = nil)
        throws -> (found: [(id: UUIDString, distance: Double)], total: Int) {
        var radius = query.within ?? 250
        while true {
            let found = try located(query.collection, groups: groups, around: center, radius: radius, remote: remote)
            let covers = query.within != nil || radius >= GreatCircle.halfCircumference
            if covers || found.count >= (query.limit ?? .max) {
                let total = covers ? found.count : locatedCount(groups, remote: remote)
                return (try firstByDistance(found, limit: query.limit), total)
            }
            radius *= 4
        }
    }

    /// The first `limit` (all when nil) of `rows` by distance, ties by id. Only the rows that can
    /// be among them (up to the `limit`-th distance, ties included) have their ids read: a circle
    /// in a dense city holds thousands of rows, and the list shows fifty.
    private func firstByDistance(_ rows: [(row: Int64, distance: Double)], limit: Int?) throws -> [(id: UUIDString, distance: Double)] {
        let sorted = rows.sorted { $0.distance < $1.distance }
        var candidates = sorted.count
        if let limit, limit > 0, limit < sorted.count {
            candidates = limit
            while candidates < sorted.count, sorted[candidates].distance == sorted[limit - 1].distance { candidates += 1 }
        }
        let statement = try db.statement("SELECT id FROM records WHERE rowid = ?")
        var found: [(id: UUIDString, distance: Double)] = []
        for (row, distance) in sorted.prefix(candidates) {
            try statement.scanRows(binding: [.integer(row)]) {
                if let id = statement.text(0).flatMap(UUIDString.init) { found.append((id, distance)) }
                return false
            }
        }
        found.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.id < $1.id }
        return Array(found.prefix(limit ?? .max))
    }

    /// True when a located row `query` asks for lies within `radius` metres of `center`; stops
    /// at the first one.
    func hasLocated(_ query: RecordQuery, around center: Coordinate, radius: Double) throws -> Bool {
        let groups = try groups(query.collection, category: query.category, status: query.status)
        return try !located(query.collection, groups: groups, around: center, radius: radius, remote: nil, first: true).isEmpty
    }

    /// The located rows of `groups` within `radius` metres of `center` (their row numbers and
    /// distances, in no order), or only the first one found when `first`: a box of the index
    /// around the point, then the exact great-circle distance.
    private func located(_ collection: RecordCollection, groups: [Group], around center: Coordinate, radius: Double,
                         remote: Bool?, first: Bool = false) throws -> [(row: Int64, distance: Double)] {
        let box = GreatCircle.box(around: center, radius: radius)
        let boxBindings: [SQLValue] = [.real(box.minLat), .real(box.maxLat), .real(box.minLon), .real(box.maxLon)]
        // The box's cells, row by row; a box too tall for the grid is read as a whole band.
        let cells = PointGrid.ranges(minLat: box.minLat, maxLat: box.maxLat, minLon: box.minLon, maxLon: box.maxLon)
        var found: [(row: Int64, distance: Double)] = []
        func scan(_ statement: Statement, _ bindings: [SQLValue]) throws {
            try statement.scanRows(binding: bindings) {
                if let remote, (statement.int64(3) == 1) != remote { return true }
                let distance = GreatCircle.distance(center, Coordinate(lat: statement.double(1), lon: statement.double(2)))
                guard distance <= radius else { return true }
                found.append((statement.int64(0), distance))
                return !first
            }
        }
        for group in groups where !(first && !found.isEmpty) {
            guard let cells else {
                try scan(try db.statement("""
                    SELECT rowid, lat, lon, remote FROM records INDEXED BY records_by_point WHERE scope = ? AND collection = ? AND category IS ?
                        AND status IS ? AND deleted IS NULL AND lat IS NOT NULL AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?
                    """), groupBindings(collection, group) + boxBindings)
                continue
            }
            // A small box is read cell by cell: within one cell the index is in latitude order, so
            // only the box's band of each cell is read, not the whole cell.
            let cellByCell = cells.reduce(0) { $0 + $1.count } <= PointGrid.cellByCellLimit
            for range in cells where !(first && !found.isEmpty) {
                guard cellByCell else {
                    try scan(try db.statement("""
                        SELECT rowid, lat, lon, remote FROM records INDEXED BY records_by_point WHERE scope = ? AND collection = ?
                            AND category IS ? AND status IS ? AND deleted IS NULL AND lat IS NOT NULL AND cell BETWEEN ? AND ?
                            AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?
                        """), groupBindings(collection, group) + [.integer(range.lowerBound), .integer(range.upperBound)] + boxBindings)
                    continue
                }
                for cell in range where !(first && !found.isEmpty) {
                    try scan(try db.statement("""
                        SELECT rowid, lat, lon, remote FROM records INDEXED BY records_by_point WHERE scope = ? AND collection = ?
                            AND category IS ? AND status IS ? AND deleted IS NULL AND lat IS NOT NULL AND cell = ?
                            AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?
                        """), groupBindings(collection, group) + [.integer(cell)] + boxBindings)
                }
            }
        }
        return found
    }

    /// How many located rows `groups` hold (of `remote` alone when given), from their counts.
    private func locatedCount(_ groups: [Group], remote: Bool?) -> Int {
        groups.reduce(0) { total, group in
            switch remote {
            case nil: total + group.located
            case true?: total + group.locatedRemote
            case false?: total + group.located - group.locatedRemote
            }
        }
    }

    /// The open offers of `request`'s category ranked for it (`Matching.rank`): the first
    /// `limit`, and how many in all. From each tier, only the ids that can rank among the first
    /// `limit` are fetched (the same building's, the first remote ones by id, the nearest, the
    /// first unlocated ones by id), then ranked together.
    func match(_ request: StoredRecord, within: Double?, limit: Int?) throws -> MatchPage {
        let category = request.text("category")
        let groups = try groups(.offer, status: "open").filter { $0.category == category }
        let place = request.place
        var sameBuilding: [StoredRecord] = []
        if let key = place.buildingKey {
            sameBuilding = try read(RecordQuery(.offer, category: category, status: "open", building: key)).records
        }
        let need = limit.map { $0 + sameBuilding.count }
        var ids = Set(sameBuilding.map(\.id))
        var fetched: [UUIDString] = []
        func add(_ more: [UUIDString]) {
            for id in more where ids.insert(id).inserted { fetched.append(id) }
        }
        add(try firstIDs(.offer, groups: groups, subset: .remote, limit: need))
        var total = sameBuilding.count + count(groups, subset: .remote) - sameBuilding.filter { $0.place.remote }.count
        let others = sameBuilding.filter { !$0.place.remote }
        if let center = place.coordinate {
            let (nearest, located) = try nearest(RecordQuery(.offer, within: within, limit: need), to: center, in: groups, remote: false)
            add(nearest.map(\.id))
            total += located - others.filter { offer in
                offer.place.coordinate.map { within == nil || GreatCircle.distance(center, $0) <= (within ?? 0) } ?? false
            }.count
            if within == nil {
                add(try firstIDs(.offer, groups: groups, subset: .unlocated, limit: need))
                total += count(groups, subset: .unlocated) - others.filter { $0.place.coordinate == nil }.count
            }
        } else if within == nil {
            // Nothing is at a distance from a request without a point: every other offer ranks
            // as unlocated, by id.
            add(try firstIDs(.offer, groups: groups, subset: .notRemote, limit: need))
            total += count(groups, subset: .notRemote) - others.count
        }
        let offers = sameBuilding + (try loadLive(fetched))
        let ranked = Matching.rank(request: place, offers: offers.map { ($0.id, $0.place) }, within: within)
        let shown = Array(ranked.prefix(limit ?? .max))
        let byID = Dictionary(offers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return MatchPage(candidates: shown, offers: byID.filter { id, _ in shown.contains { $0.id == id } }, total: total)
    }

    /// The live records of `ids`, in that order (an id deleted meanwhile is left out).
    func loadLive(_ ids: [UUIDString]) throws -> [StoredRecord] {
        try ids.compactMap { id in
            guard let state = try load(id), state.tombstone == nil else { return nil }
            return StoredRecord(id: id, state: state)
        }
    }
}
