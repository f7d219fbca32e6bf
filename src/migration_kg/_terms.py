"""Terms of the migration-kg ontology (mkg:). Generated from ontology/*.ttl; do not edit.

Regenerate with ``python -m migration_kg.ontology --write-terms``.
"""

MKG_TERMS: tuple[str, ...] = (
    # classes: actors
    "Actor", "Person", "Organization", "State", "IntergovernmentalOrganization", "UNEntity",
    "RegionalEconomicCommunity", "StakeholderGroup", "Secretariat", "Place",
    # classes: processes, bodies, instruments
    "GovernanceProcess", "GlobalProcess", "ReviewProcess", "InterStateConsultationMechanism",
    "RegionalConsultativeProcess", "InterRegionalForum", "Body", "Chairmanship", "Troika",
    "SteeringGroup", "SteeringCommittee", "FriendsOfTheForum", "SupportUnit", "Platform",
    "Mechanism", "WorkingGroup", "Network", "Fund", "Instrument", "Compact", "Resolution",
    "Declaration", "Agenda", "Initiative", "Roadmap",
    # classes: events
    "Event", "Meeting", "Summit", "Dialogue", "Consultation", "Roundtable", "WorkingSession",
    "Workshop", "SideEvent", "Hearing", "PlenarySession", "Conference", "Briefing", "Forum",
    # classes: roles, posts, contributions
    "Membership", "PostHolding", "RoleType", "Contribution", "ContributionType",
    # classes: documents
    "Document", "Report", "SummaryReport", "ConceptPaper", "NonPaper", "Publication",
    "DocumentType",
    # classes: statements, quantities, evidence
    "Proposal", "Position", "Claim", "Quantity", "Unit", "Modality", "Extraction", "MappingRule",
    "Build", "Topic", "ThematicCluster", "Objective", "GuidingPrinciple",
    # individuals: role types
    "ChairRole", "CoChairRole", "CoFacilitatorRole", "RapporteurRole", "ChampionRole",
    "CoLeadRole", "ObserverRole", "MemberRole", "PresiderRole", "SpeakerRole", "ConvenerRole",
    "HostRole", "ParticipantRole", "PermanentRepresentativeRole", "DirectorGeneralRole",
    "UnderSecretaryGeneralRole", "SpecialRepresentativeRole", "HeadRole",
    # individuals: modality
    "Stated", "Proposed", "Expected", "Disputed",
    # individuals: contribution types
    "OpeningStatement", "WelcomeRemarks", "ClosingRemarks", "VideoMessage", "Statement",
    "RapporteurReport", "Update", "TookTheFloor",
    # individuals: document types
    "SummaryReportType", "ConceptPaperType", "ReportChapterType",
    # object properties
    "convenedBy", "presidedBy", "organizedBy", "hostedBy", "participant", "speaker",
    "rapporteur", "location", "subEventOf", "discussed", "mentions", "onBehalfOf",
    "representing", "contributor", "atEvent", "contributionType", "role", "modality",
    "contributesTo", "reportsTo", "reviews", "envisagedIn", "buildsOn", "administeredBy",
    "runBy", "partOf", "basedOn", "cites", "concerns", "proposedBy", "proposedAt",
    "quantityOf", "unit", "evidence", "document", "rule", "precededBy", "observerAt",
    "postIn", "accreditedTo", "heldBy", "about", "citesTarget", "documentType",
    # datatype properties
    "startDate", "endDate", "date", "dateText", "startYear", "endYear", "year", "asOf",
    "asOfText", "value", "approximate", "quote", "sentence", "startOffset", "endOffset",
    "acronym", "iso3166Alpha3", "iso3166Alpha2", "ordinal", "function", "description",
    "text", "status", "unSymbol", "paragraph", "tentative", "postLabel", "pattern",
    "ruleKind", "number", "count",
)
