import SamsparDomain
import SamsparStore

/// The records of processing as printable documents in Swedish (issue 23, part 3).
enum ProcessingDocument {
    struct Named {
        var name: String
        var number: String
        var count = ""
    }
    struct Reader {
        var agreement: String
        var organisation: String
        var coordinators: String
    }
    struct ControllerModel {
        var css = ExtractDocument.css
        var organisation: String
        var number: String
        var madeOn: String
        var people: String
        var agreements: String
        var recipients: [Named]
        var smallest: String
        var retention: String
        var engine: String
        var readers: [Reader]
        // Stored, not computed: templates see a model's stored properties only (by reflection).
        var hasRecipients = false
        var hasReaders = false
    }
    struct ProcessorModel {
        var css = ExtractDocument.css
        var madeOn: String
        var controllers: [Named]
        var engine: String
        var hasControllers = false
    }

    static func controller(_ r: ProcessingOperations.ControllerRecord, names: [Organisationsnummer: String]) -> String {
        var model = ControllerModel(
            organisation: r.organisation.name, number: r.organisation.number.description, madeOn: r.madeOn.description, people: String(r.people),
            agreements: r.agreements.isEmpty ? "de överenskommelser organisationen blir part i" : r.agreements.map(\.title).joined(separator: ", "),
            recipients: r.recipients.map { Named(name: names[$0.0] ?? $0.0.description, number: $0.0.description, count: String($0.1)) },
            smallest: String(r.threshold - 1),
            retention: r.retention.map(ExtractOperations.Words.retention) ?? ExtractOperations.Words.noDecision, engine: r.engine,
            readers: r.jointReaders.map {
                Reader(
                    agreement: $0.agreement, organisation: "\($0.organisation.name) (\($0.organisation.number))",
                    coordinators: $0.coordinators.isEmpty ? "ingen i dag" : $0.coordinators.joined(separator: ", "))
            })
        model.hasRecipients = !model.recipients.isEmpty
        model.hasReaders = !model.readers.isEmpty
        return Templates.shared.render(model, "processing-controller")
    }

    static func processor(_ r: ProcessingOperations.ProcessorRecord) -> String {
        var model = ProcessorModel(
            madeOn: r.madeOn.description, controllers: r.controllers.map { Named(name: $0.name, number: $0.number.description) }, engine: r.engine)
        model.hasControllers = !model.controllers.isEmpty
        return Templates.shared.render(model, "processing-processor")
    }
}
