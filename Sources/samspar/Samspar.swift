import ArgumentParser

/// `samspar`: argument parsing and wiring only (STYLE §1). Each command calls into
/// SamsparDomain or SamsparStore; errors become one message in `CLIFailure`.
@main
struct Samspar: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samspar",
        abstract: "Samspår – gemensam uppföljning av fördjupad samverkan om nyanländas etablering.",
        discussion: "Shared follow-up for agreements on newly arrived people's establishment (SPEC §5).",
        subcommands: [
            Migrate.self, Demo.self, AgreementCommand.self, Import.self, ReportCommand.self, Serve.self, UserCommand.self, TokenCommand.self,
            AuditCommand.self, DatabaseCommand.self, OrganisationCommand.self, BenchReports.self, CloseCommand.self, RetentionCommand.self,
            EraseCommand.self, ExtractCommand.self, BackupCommand.self, RestoreCommand.self,
        ]
    )
}
