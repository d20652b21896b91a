"""The intake app's models: dossiers and what the counter records (``dossiers``), and what
happens to them between the counters (``processing``), the documents handed in and their
scans (``documents``)."""

from intake.models.dossiers import (
    CLOSED_STATUSES,
    COUNTER_CHANNELS,
    PROCESSING_STATUSES,
    PUBLIC_STATUS_TEXT,
    ApplicantKind,
    Decision,
    Dossier,
    DossierEvent,
    DossierEventQuerySet,
    DossierQuerySet,
    EventKind,
    Outcome,
    Reception,
    ReturnMethod,
    Sequence,
    Slip,
    SlipForm,
    Status,
    Timeliness,
)
from intake.models.processing import (
    Attachment,
    AttachmentKind,
    Consultation,
    Pause,
    StepVisit,
)

__all__ = [
    "CLOSED_STATUSES",
    "COUNTER_CHANNELS",
    "PROCESSING_STATUSES",
    "PUBLIC_STATUS_TEXT",
    "ApplicantKind",
    "Attachment",
    "AttachmentKind",
    "Consultation",
    "Decision",
    "Dossier",
    "DossierEvent",
    "DossierEventQuerySet",
    "DossierQuerySet",
    "EventKind",
    "Outcome",
    "Pause",
    "Reception",
    "ReturnMethod",
    "Sequence",
    "Slip",
    "SlipForm",
    "Status",
    "StepVisit",
    "Timeliness",
]

from intake.models.watch import (  # noqa: E402  (the deadline watch's records)
    ApologyDraft,
    DeliveryStatus,
    Flag,
    FlagKind,
    Notification,
    NotificationChannel,
    NotificationKind,
    WatchCursor,
)

__all__ += [
    "ApologyDraft",
    "DeliveryStatus",
    "Flag",
    "FlagKind",
    "Notification",
    "NotificationChannel",
    "NotificationKind",
    "WatchCursor",
]

from intake.models.satisfaction import (  # noqa: E402  (satisfaction ratings)
    FollowUp,
    Level,
    Rating,
    RatingChannel,
    Score,
)

__all__ += ["FollowUp", "Level", "Rating", "RatingChannel", "Score"]

from intake.models.statistics import (  # noqa: E402  (frozen statistics of closed months)
    FrozenMonth,
    MonthlySummary,
)

__all__ += ["FrozenMonth", "MonthlySummary"]

from intake.models.results import ResultDocument  # noqa: E402  (the result, signed)

__all__ += ["ResultDocument"]

from intake.models.documents import (  # noqa: E402  (the documents handed in and their scans)
    DossierDocument,
    DossierDocumentQuerySet,
    ScanExemption,
)

__all__ += ["DossierDocument", "DossierDocumentQuerySet", "ScanExemption"]

from intake.models.contacts import ContactKind, OneTimeCode  # noqa: E402  (one-time codes)

__all__ += ["ContactKind", "OneTimeCode"]

from intake.models.petitions import (  # noqa: E402  (feedback and petitions)
    FINISHED_STATUSES,
    Petition,
    PetitionChannel,
    PetitionClass,
    PetitionEvent,
    PetitionEventKind,
    PetitionFile,
    PetitionFollowUp,
    PetitionStatus,
    Rated,
    Subject,
)

__all__ += [
    "FINISHED_STATUSES",
    "Petition",
    "PetitionChannel",
    "PetitionClass",
    "PetitionEvent",
    "PetitionEventKind",
    "PetitionFile",
    "PetitionFollowUp",
    "PetitionStatus",
    "Rated",
    "Subject",
]

from intake.models.scorecard import (  # noqa: E402  (the Decision 766 scorecard)
    FrozenScorecard,
    IndicatorGroup,
    NationalFigure,
    ScorecardFigure,
    ScorecardIndicator,
    ScorecardVersion,
)

__all__ += [
    "FrozenScorecard",
    "IndicatorGroup",
    "NationalFigure",
    "ScorecardFigure",
    "ScorecardIndicator",
    "ScorecardVersion",
]

from intake.models.online import (  # noqa: E402  (dossiers filed online, drafts)
    DraftFile,
    OnlineCheck,
    OnlineDraft,
    OnlineSource,
    OnlineSubmission,
)

__all__ += ["DraftFile", "OnlineCheck", "OnlineDraft", "OnlineSource", "OnlineSubmission"]

from intake.models.national import (  # noqa: E402  (the national portal: outbox, connectors)
    ApiClient,
    MessageKind,
    OutboxMessage,
    OutboxMessageQuerySet,
)

__all__ += ["ApiClient", "MessageKind", "OutboxMessage", "OutboxMessageQuerySet"]

from intake.models.payments import (  # noqa: E402  (fees paid: ledger, receipts, closings)
    DayClosing,
    Direction,
    FeeAccount,
    GatewayCallback,
    Method,
    OrderState,
    Payment,
    PaymentLine,
    PaymentOrder,
    PaymentTerms,
)

__all__ += [
    "DayClosing",
    "Direction",
    "FeeAccount",
    "GatewayCallback",
    "Method",
    "OrderState",
    "Payment",
    "PaymentLine",
    "PaymentOrder",
    "PaymentTerms",
]

from intake.models.petition_notices import (  # noqa: E402  (petition e-mails, sent once)
    PetitionNotice,
)

__all__ += ["PetitionNotice"]
