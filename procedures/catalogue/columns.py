"""The columns of a procedure row and the fields of a list item: the schema both shapes share.

``COLUMNS`` are the keys of a procedure dict and the columns of a row, in file order;
``ITEM_FIELDS`` the fields of an item of a list column, in the order they appear in a line.
"""

# The columns of a row, in file order: the keys of the dict, in the same order.
COLUMNS = [
    "code",
    "name",
    "level",
    "field",
    "competent_authority",
    "agencies",
    "lead_department_code",
    "steps",
    "applicants",
    "result",
    "conditions",
    "number_of_sets",
    "electronic_result",
    "online_level",
    "cutoff_time",
    "supplement_policy",
    "status",
    "publishing_decision",
    "valid_from",
    "valid_to",
    "illustrative_note",
    "channels",
    "documents",
    "fees",
    "legal_bases",
    "process",
]

# List columns whose lines are items: the fields of an item, in the order they appear in a line.
ITEM_FIELDS = {
    "channels": ["channel", "time_value", "time_unit", "time_note"],
    "documents": [
        "name",
        "originals",
        "certified_copies",
        "photocopies",
        "is_required",
        "condition",
        "form_name",
        "notes",
    ],
    "fees": [
        "kind",
        "description",
        "amount",
        "unit",
        "from_quantity",
        "cap",
        "cap_unit",
        "online_amount",
        "exemptions",
        "effective_from",
        "effective_to",
        "resolution",
    ],
    "legal_bases": ["number", "issued_on", "title"],
    # The default internal process only; an agency's own process is kept in the admin.
    "process": [
        "order",
        "name",
        "level",
        "department_code",
        "role",
        "budget_value",
        "budget_unit",
        "forms",
    ],
}

ITEM_SEPARATOR = "|"
YES, NO = "có", "không"
