"""Terms of the migration-kg ontology (mkg:). Generated from ontology/*.ttl; do not edit.

Regenerate with ``python -m migration_kg.ontology --write-terms``.
"""

MKG_TERMS: tuple[str, ...] = (
    # classes: actions
    "Action",
    # classes: actors
    "Actor", "GovernmentAgency", "IntergovernmentalOrganization", "Network", "Organization",
    "Person", "Place", "RegionalEconomicCommunity", "Secretariat", "StakeholderGroup", "State",
    "UNEntity",
    # classes: documents
    "ConceptPaper", "Document", "DocumentType", "NonPaper", "Publication", "Report",
    "SummaryReport",
    # classes: events
    "Briefing", "Conference", "Consultation", "Dialogue", "Event", "Forum", "Hearing", "Meeting",
    "PlenarySession", "Roundtable", "SideEvent", "Summit", "WorkingSession", "Workshop",
    # classes: processes
    "Agenda", "Agreement", "Body", "Chairmanship", "Compact", "Declaration", "FriendsOfTheForum",
    "Fund", "GlobalProcess", "GovernanceProcess", "Initiative", "Instrument", "InterRegionalForum",
    "InterStateConsultationMechanism", "Law", "Mechanism", "Plan", "Platform", "Programme",
    "RegionalConsultativeProcess", "Resolution", "ReviewProcess", "Roadmap", "SteeringCommittee",
    "SteeringGroup", "Strategy", "SupportUnit", "Troika", "WorkingGroup",
    # classes: roles
    "Contribution", "ContributionType", "Membership", "PostHolding", "RoleType",
    # classes: statements
    "Build", "Claim", "Conflict", "Extraction", "GuidingPrinciple", "MappingRule", "Modality",
    "Objective", "Position", "Proposal", "Proposition", "Quantity", "ThematicCluster", "Topic",
    "Unit",
    # individuals: documents
    "ConceptPaperType", "ReportChapterType", "SummaryReportType",
    # individuals: roles
    "ChairRole", "ChampionRole", "ClosingRemarks", "CoChairRole", "CoFacilitatorRole", "CoLeadRole",
    "ConvenerRole", "DirectorGeneralRole", "HeadRole", "HostRole", "MemberRole", "ObserverRole",
    "OpeningStatement", "ParticipantRole", "PermanentRepresentativeRole", "PresiderRole",
    "RapporteurReport", "RapporteurRole", "SpeakerRole", "SpecialRepresentativeRole", "Statement",
    "TookTheFloor", "UnderSecretaryGeneralRole", "Update", "VideoMessage", "WelcomeRemarks",
    # individuals: statements
    "Disputed", "Expected", "Proposed", "Stated",
    # object properties: actions
    "actedOn", "adoptedBy", "agent", "authoredBy", "establishedBy", "ledBy", "successorOf",
    # object properties: actors
    "partOf",
    # object properties: documents
    "basedOn", "cites", "citesTarget", "documentType", "mentions",
    # object properties: events
    "convenedBy", "discussed", "hostedBy", "location", "observerAt", "organizedBy", "participant",
    "precededBy", "presidedBy", "rapporteur", "speaker", "subEventOf",
    # object properties: processes
    "administeredBy", "buildsOn", "contributesTo", "envisagedIn", "heldBy", "outcomeOf",
    "reportsTo", "reviews", "runBy",
    # object properties: roles
    "accreditedTo", "atEvent", "contributionType", "contributor", "onBehalfOf", "postIn",
    "representing", "role",
    # object properties: statements
    "about", "concerns", "conflictingStatement", "document", "evidence", "hasConflict", "modality",
    "notIncludedIn", "proposedAt", "proposedBy", "quantityOf", "rule",
    # datatype properties: actions
    "actionVerb",
    # datatype properties: actors
    "acronym", "iso3166Alpha2", "iso3166Alpha3",
    # datatype properties: events
    "date", "dateText", "endDate", "ordinal", "startDate", "tentative", "theme", "year",
    # datatype properties: processes
    "description", "function", "number", "paragraph", "unSymbol",
    # datatype properties: roles
    "asOf", "asOfText", "endYear", "postLabel", "startYear", "status",
    # datatype properties: statements
    "approximate", "conflictProperty", "count", "endOffset", "pattern", "quote", "ruleKind",
    "score", "sentence", "startOffset", "text", "unit", "value",
)
