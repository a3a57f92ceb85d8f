import SamsparDomain

/// A person's events and status changes packed as comma-separated integers, so the report's
/// input arrives as one row per participant (both engines aggregate with their own function:
/// `group_concat` in SQLite, `string_agg` in PostgreSQL).
///
/// Event: `track_id · 2^23 + kind · 2^20 + (date + 2^19)`; status: `status · 2^20 + (date + 2^19)`.
/// Dates are day ordinals, so any date within ±1,400 years of 1970 fits.
enum PackedFacts {
    static let dateOffset = 1 << 19

    static func eventSQL(track: String, kind: String, date: String) -> String {
        "\(track) * 8388608 + \(kind) * 1048576 + \(date) + 524288"
    }

    static func statusSQL(status: String, date: String) -> String {
        "\(status) * 1048576 + \(date) + 524288"
    }

    struct Builder {
        var participants: [ParticipantFacts] = []
        var events: [TrackEventFact] = []
        var statuses: [StatusFact] = []

        var input: ReportInput { ReportInput(participants: participants, events: events, statuses: statuses) }

        mutating func addEvents(_ text: String, person: Personnummer, trackIndex: [Int: Int]) {
            PackedFacts.forEachInteger(in: text) { value in
                let date = Day(ordinal: Int32(value & 0xFFFFF) - Int32(PackedFacts.dateOffset))
                let kind = UInt8((value >> 20) & 0x7)
                let track = value >> 23
                if let index = trackIndex[track], let kind = TrackEventKind(code: kind) {
                    events.append(TrackEventFact(person: person, track: index, kind: kind, date: date))
                }
            }
        }

        mutating func addStatuses(_ text: String, person: Personnummer) {
            PackedFacts.forEachInteger(in: text) { value in
                let date = Day(ordinal: Int32(value & 0xFFFFF) - Int32(PackedFacts.dateOffset))
                if let status = Outcome(code: UInt8(value >> 20)) {
                    statuses.append(StatusFact(person: person, status: status, date: date))
                }
            }
        }
    }

    /// Calls `body` with each non-negative integer of a comma-separated list.
    static func forEachInteger(in text: String, _ body: (Int) -> Void) {
        var text = text
        text.withUTF8 { bytes in
            var value = 0
            var inNumber = false
            for byte in bytes {
                if byte >= 48 && byte <= 57 {
                    value = value * 10 + Int(byte - 48)
                    inNumber = true
                } else if inNumber {
                    body(value)
                    value = 0
                    inNumber = false
                }
            }
            if inNumber { body(value) }
        }
    }
}
