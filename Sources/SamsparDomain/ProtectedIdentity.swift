/// Protected identity (skyddade personuppgifter, SPEC §2): what a party's mark on its own
/// registration takes out of what others see. Skatteverket protects where the person lives;
/// anything that shows where they live or spend their days counts, so another party under
/// consent gets the records without the name, the home municipality, the exit reason, the
/// activities' providers and the events' reasons (free text that may name a place). The
/// figures never read these: they count the registration as they always did.
///
/// Who may see what is the operations layer's decision; this is what "withheld" means.
public enum ProtectedIdentity {
    /// How lists, "Att göra" and drill-downs name a protected person (the party's own users,
    /// before they give a reason).
    public static let label = "Skyddad identitet"

    /// Another party's protected registration as a party under consent gets it.
    public static func withheld(_ registration: Registration) -> Registration {
        var r = registration
        r.record.givenName = nil
        r.record.familyName = nil
        r.record.exitReason = nil
        r.record.municipality = .withheld
        r.record.protected = true
        r.protectedRef = nil
        r.withheld = true
        return r
    }

    /// An event of a protected registration without its reason.
    public static func withheld(_ event: EventRecord) -> EventRecord {
        var e = event
        e.reason = nil
        return e
    }

    /// An activity of a protected registration without its provider.
    public static func withheld(_ activity: ActivityRecord) -> ActivityRecord {
        var a = activity
        a.provider = nil
        return a
    }

    /// The person as several registrations describe them, some of them withheld: the rules of
    /// ``Registrations/merge(_:asOf:)``, except that a withheld registration's municipality
    /// is used only when no other registration has one (then the municipality is
    /// ``Kommunkod/withheld``). A view, never a figure's input.
    public static func merge(_ registrations: [Registration], asOf: Day) -> ParticipantRecord? {
        guard var merged = Registrations.merge(registrations, asOf: asOf) else { return nil }
        let existing = registrations.filter { $0.record.registeredOn <= asOf }.sorted(by: Registrations.precedes)
        merged.municipality = existing.first { !$0.withheld }?.record.municipality ?? .withheld
        merged.protected = nil
        return merged
    }
}
